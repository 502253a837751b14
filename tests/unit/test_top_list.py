import json
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cinelake.sources.top_list import SourceError, describe, load_source, parse_items, select_top

from ..conftest import SHARED_TOP250


def item(rank: object, id_: object = None, title: str = "T") -> dict[str, object]:
    return {
        "id": id_ if id_ is not None else f"tt{int(str(rank)) if str(rank).isdigit() else 0:07d}",
        "rank": rank,
        "title": title,
        "year": "2000",
    }


def test_not_json() -> None:
    with pytest.raises(SourceError, match="not JSON"):
        parse_items(b"<html>nope</html>")


@pytest.mark.parametrize("doc", [{}, {"items": "x"}, [], {"items": None}])
def test_no_items_list(doc: object) -> None:
    with pytest.raises(SourceError, match='no "items"'):
        parse_items(json.dumps(doc).encode())


def test_empty_items() -> None:
    with pytest.raises(SourceError, match="no items"):
        parse_items(b'{"items": []}')


def test_error_message_from_the_api() -> None:
    with pytest.raises(SourceError, match="Invalid API Key"):
        parse_items(b'{"items": [], "errorMessage": "Invalid API Key"}')


@pytest.mark.parametrize(
    "rank,message",
    [
        (None, "rank is missing"),
        ("", "rank is missing"),
        ("abc", "not a positive whole number"),
        ("0", "not a positive whole number"),
        ("1.5", "not a positive whole number"),
        ("\u00b2", "not a positive whole number"),
        ("\u0661", "not a positive whole number"),
        ([1], "not a number"),
    ],
)
def test_bad_rank_is_fatal_and_named(rank: object, message: str) -> None:
    items = [
        item("1"),
        {"id": "tt0000002", "title": "X"} | ({} if rank is None else {"rank": rank}),
    ]
    with pytest.raises(SourceError, match=message) as err:
        select_top(items, 10)
    assert "#2" in str(err.value) and "tt0000002" in str(err.value)


def test_duplicate_ids_are_fatal() -> None:
    items = [item("1", "tt0000001"), item("2", "tt0000002"), item("7", "tt0000001")]
    with pytest.raises(SourceError, match=r"duplicate id 'tt0000001' in source \(ranks 1 and 7\)"):
        select_top(items, 10)


def test_invalid_ids_are_rejected_and_the_rest_go_on() -> None:
    items = [
        item("1", "../../x"),
        item("2", "tt0000002"),
        item("3", "tt0000003"),
        item("4", "tt0000004"),
    ]
    sel = select_top(items, 3)
    assert [m.imdb_id for m in sel.movies] == ["tt0000002", "tt0000003"]
    assert [(r.rank, r.id) for r in sel.rejected] == [(1, "../../x")]


def test_top_n_by_numeric_rank_not_list_order() -> None:
    items = [item("10"), item("2"), item("1"), item("9")]
    assert [m.rank for m in select_top(items, 3).movies] == [1, 2, 9]


@pytest.mark.parametrize("n", [0, -1])
def test_top_n_must_be_positive(n: int) -> None:
    with pytest.raises(SourceError, match="at least 1"):
        select_top([item("1")], n)


@given(
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=50, unique=True),
    st.integers(min_value=1, max_value=60),
)
def test_selection_is_the_n_smallest_ranks(ranks: list[int], n: int) -> None:
    items = [item(str(r), f"tt{r:07d}") for r in ranks]
    assert [m.rank for m in select_top(items, n).movies] == sorted(ranks)[:n]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        load_source(str(tmp_path / "nope.json"))


def test_unreachable_url_names_host_only() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(SourceError) as err:
        load_source(
            "https://imdb-api.example/en/API/Top250Movies/k_secret123",
            transport=httpx.MockTransport(refuse),
        )
    assert "imdb-api.example" in str(err.value) and "k_secret123" not in str(err.value)
    assert describe("https://h.example/a/k_1") == "https://h.example/…"


def test_http_error_status() -> None:
    down = httpx.MockTransport(lambda r: httpx.Response(503, text="down"))
    with pytest.raises(SourceError, match="HTTP 503"):
        load_source("http://h.example/top.json", transport=down)


@pytest.mark.skipif(
    not SHARED_TOP250.exists(), reason="shared Top250Movies.json snapshot not present"
)
def test_real_snapshot_parses() -> None:
    items = parse_items(SHARED_TOP250.read_bytes())
    sel = select_top(items, 250)
    assert len(sel.movies) == 250 and not sel.rejected
    assert sel.movies[0].imdb_id == "tt0111161" and sel.movies[0].rank == 1
    assert sel.movies[0].record["crew"].startswith("Frank Darabont")


def test_describe_never_shows_credentials_or_query() -> None:
    shown = describe("https://alice:hunter2@h.example:8443/list.json?token=abc")
    assert shown == "https://h.example:8443/…"
    assert describe("https://h.example") == "https://h.example/"


def test_oversized_source_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cinelake.sources.top_list as top_list

    monkeypatch.setattr(top_list, "MAX_SOURCE_BYTES", 100)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"items": [item(str(i)) for i in range(1, 20)]}))
    with pytest.raises(SourceError, match="larger than"):
        load_source(str(big))


def test_empty_source_location() -> None:
    with pytest.raises(SourceError, match="source is empty"):
        load_source("  ")
