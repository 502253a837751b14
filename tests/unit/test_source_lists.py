"""Lists users bring: JSON arrays of objects and CSV files, under common key names."""

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cinelake.sources.fields import imdb_id_of, rank_of, rating_of, votes_of, year_of
from cinelake.sources.lists import select_from_bytes
from cinelake.sources.port import ListSource
from cinelake.sources.top_list import SourceError

from ..conftest import SHARED_HISTORY

ID_KEYS = ["id", "imdb_id", "tconst", "Const", "link", "url", "Movie Link", "imdbID"]
RANK_KEYS = ["rank", "Rank", "position", "Position"]
TITLE_KEYS = ["title", "Title", "Movie Name", "primaryTitle"]
RATING_KEYS = ["IMDb Rating", "imDbRating", "rating", "averageRating"]
TITLES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)


@st.composite
def bring_your_own(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 40))
    ranks = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    nums = draw(st.lists(st.integers(0, 999_999_999), min_size=n, max_size=n, unique=True))
    keys = {
        "id": draw(st.sampled_from(ID_KEYS)),
        "rank": draw(st.sampled_from(RANK_KEYS)),
        "title": draw(st.sampled_from(TITLE_KEYS)),
        "rating": draw(st.sampled_from(RATING_KEYS)),
    }
    as_url = draw(st.booleans())
    rank_as = draw(st.sampled_from(["int", "str", "float"]))
    rows, truth = [], []
    for rank, num in zip(ranks, nums, strict=True):
        tid = f"tt{num:07d}"
        title = draw(TITLES)
        rating = draw(st.integers(0, 100)) / 10
        rows.append(
            {
                keys["id"]: f"https://www.imdb.com/title/{tid}/?ref_=chttp_t_{rank}"
                if as_url
                else tid,
                keys["rank"]: {"int": rank, "str": str(rank), "float": float(rank)}[rank_as],
                keys["title"]: title,
                keys["rating"]: draw(st.sampled_from([rating, f"{rating:g}", f"{rating:.1f}"])),
                "extra": draw(st.sampled_from(["", "x", 1, None])),
            }
        )
        truth.append((rank, tid, title, rating))
    rows = draw(st.permutations(rows))
    return {
        "rows": rows,
        "truth": sorted(truth),
        "as_url": as_url,
        "rank_as": rank_as,
        "csv": draw(st.booleans()),
        "delimiter": draw(st.sampled_from([",", ";", "\t"])),
        "top_n": draw(st.integers(1, 50)),
    }


def encode(case: dict) -> bytes:
    if not case["csv"]:
        return json.dumps(case["rows"]).encode()
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(case["rows"][0]), delimiter=case["delimiter"])
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in case["rows"])
    return buf.getvalue().encode()


def test_any_shape_selects_the_n_smallest_ranks_with_their_ids_and_titles() -> None:
    seen: list[tuple[bool, bool, str]] = []

    @settings(max_examples=150, deadline=None)
    @given(bring_your_own())
    def prop(case: dict) -> None:
        selection = select_from_bytes(encode(case), case["top_n"])
        want = case["truth"][: case["top_n"]]
        assert [(m.rank, m.imdb_id) for m in selection.movies] == [(r, i) for r, i, _, _ in want]
        assert [m.title for m in selection.movies] == [t for _, _, t, _ in want]
        assert [m.rating for m in selection.movies] == [x for _, _, _, x in want]
        assert selection.rejected == [] and selection.available == len(case["truth"])
        seen.append((case["csv"], case["as_url"], case["rank_as"]))

    prop()
    # The property really ran on every shape: CSV and JSON, URLs and ids, each kind of number.
    assert len(seen) >= 100
    assert {s[0] for s in seen} == {True, False} and {s[1] for s in seen} == {True, False}
    assert {s[2] for s in seen} == {"int", "str", "float"}


@given(st.integers(0, 10**12))
def test_vote_counts_read_in_every_spelling(n: int) -> None:
    assert votes_of(n) == votes_of(str(n)) == votes_of(f"{n:,}") == votes_of(float(n)) == n


@given(st.integers(-(10**6), 10**6))
def test_ranks_are_positive_whole_numbers(n: int) -> None:
    if n >= 1:
        assert rank_of(n) == rank_of(str(n)) == rank_of(f" {n} ") == rank_of(float(n)) == n
    else:
        assert isinstance(rank_of(n), str) and isinstance(rank_of(str(n)), str)
    assert isinstance(rank_of(n + 0.5), str) and isinstance(rank_of(True), str)


@given(st.integers(1, 999_999_999))
def test_ids_from_bare_ids_and_title_urls(num: int) -> None:
    tid = f"tt{num:07d}"
    for text in (
        tid,
        f" {tid} ",
        f"https://www.imdb.com/title/{tid}/",
        f"http://m.imdb.com/title/{tid}",
        f"https://www.imdb.com/fr/title/{tid}/?ref_=x",
        f"imdb.com/title/{tid}/",
    ):
        assert imdb_id_of(text) == tid
    for text in (
        f"https://example.com/title/{tid}/",
        f"{tid}x",
        f"https://www.imdb.com/name/nm{num:07d}/",
        tid.replace("tt", "nm"),
    ):
        assert imdb_id_of(text) is None


@pytest.mark.parametrize(
    "value,rating",
    [
        ("9.3", 9.3),
        (9, 9.0),
        ("9", 9.0),
        ("10.0", 10.0),
        ("11", None),
        ("-1", None),
        ("N/A", None),
        ("", None),
        (None, None),
        (True, None),
        ("٩", None),
    ],
)
def test_ratings(value: object, rating: float | None) -> None:
    assert rating_of(value) == rating


@pytest.mark.parametrize("value,year", [("1994", 1994), (1994, 1994), ("\\N", None), ("94", None)])
def test_years(value: object, year: int | None) -> None:
    assert year_of(value) == year


@pytest.mark.parametrize(
    "content,message",
    [
        (
            b'[{"title": "A", "rank": 1}]',
            "has no IMDb id or title URL (looked for id, imdb_id, tconst, link, url, Movie Link); its keys: 'title', 'rank'",
        ),
        (b'[{"id": "tt0000001", "title": "A"}]', "has no rank (looked for rank, Rank, position)"),
        (
            b'[{"name": "A"}]',
            "has no IMDb id or title URL (looked for id, imdb_id, tconst, link, url, Movie Link) and no rank",
        ),
        (b"[]", "source list is empty"),
        (b'[{"id": "tt0000001", "rank": 1}, 3]', "row #2 is not an object"),
        (
            b'[{"id": "tt0000001", "link": "https://www.imdb.com/title/tt0000002/", "rank": 1}]',
            "ambiguous list: both 'id' and 'link' look like the IMDb id",
        ),
        (
            b'[{"rank": 1, "position": 2, "id": "tt0000001"}]',
            "ambiguous list: both 'rank' and 'position'",
        ),
        (b"Rank,Title\n1,A\n", "has no IMDb id or title URL"),
        (b"Rank,Const\n", "has a header but no rows"),
        (b"Rank,Const\n1,tt0000001,extra\n", "line 2 has 3 fields, the header 2"),
        (b"Rank,Rank,Const\n1,1,tt0000001\n", "header repeats column 'Rank'"),
        (b"\xff\xfe\x00garbage", "not JSON, nor UTF-8 CSV text"),
        (b"plain words", "not JSON, nor a CSV with a header"),
        (
            b'[{"id": "tt0000001", "rank": "first"}]',
            "source item #1 (id 'tt0000001'): rank 'first' is not a positive whole number",
        ),
    ],
)
def test_unusable_lists_are_one_line_errors_naming_what_is_missing(
    content: bytes, message: str
) -> None:
    with pytest.raises(SourceError) as err:
        select_from_bytes(content, 10)
    text = str(err.value)
    assert message in text
    assert "\n" not in text


def test_agreeing_id_columns_are_not_ambiguous() -> None:
    # IMDb's own list export carries both Const and URL.
    data = (
        b"Position,Const,Created,Title,URL,IMDb Rating,Num Votes,Year\n"
        b'2,tt0068646,2020-01-01,"The Godfather",https://www.imdb.com/title/tt0068646/,9.2,"2,000,000",1972\n'
        b'1,tt0111161,2020-01-01,"The Shawshank Redemption, ""the""",https://www.imdb.com/title/tt0111161/,9.3,3000000,1994\n'
    )
    sel = select_from_bytes(data, 5)
    assert [(m.rank, m.imdb_id, m.title, m.year, m.rating, m.votes) for m in sel.movies] == [
        (1, "tt0111161", 'The Shawshank Redemption, "the"', 1994, 9.3, 3_000_000),
        (2, "tt0068646", "The Godfather", 1972, 9.2, 2_000_000),
    ]
    assert sel.movies[0].record["Const"] == "tt0111161"  # the row is kept as received


def test_unreadable_ids_are_rejected_not_fatal() -> None:
    data = json.dumps(
        [
            {"link": "https://www.imdb.com/title/tt0000001/", "rank": 1},
            {"link": "https://example.com/film/2", "rank": 2},
        ]
    ).encode()
    sel = select_from_bytes(data, 5)
    assert [m.imdb_id for m in sel.movies] == ["tt0000001"]
    assert [(r.rank, r.id) for r in sel.rejected] == [(2, "https://example.com/film/2")]


def test_later_scraper_shape_numbers_as_numbers_and_link_key() -> None:
    data = json.dumps(
        [
            {
                "rank": 2,
                "title": "B",
                "rating": 8.9,
                "votes": 1234567,
                "year": 1999,
                "link": "https://www.imdb.com/title/tt0000002/",
            },
            {
                "rank": 1,
                "title": "A",
                "rating": 9,
                "votes": 7,
                "year": 2001,
                "link": "https://www.imdb.com/title/tt0000001/",
            },
        ]
    ).encode()
    sel = select_from_bytes(data, 1)
    assert [(m.rank, m.imdb_id, m.title, m.rating, m.votes, m.year) for m in sel.movies] == [
        (1, "tt0000001", "A", 9.0, 7, 2001)
    ]


def history_files() -> list[Path]:
    return sorted(SHARED_HISTORY.glob("*.json")) if SHARED_HISTORY.is_dir() else []


@pytest.mark.skipif(not history_files(), reason="../shared/data/top250-history not present")
def test_every_captured_day_of_the_history_reads_as_a_list() -> None:
    files = history_files()
    for path in files:
        rows = json.loads(path.read_bytes())
        sel = ListSource(str(path)).select(250)
        assert len(sel.movies) + len(sel.rejected) == min(250, len(rows)), path.name
        assert [m.rank for m in sel.movies] == sorted(m.rank for m in sel.movies)
        first = min(rows, key=lambda r: int(r.get("Rank", r.get("rank"))))
        link = first.get("Movie Link") or first.get("link")
        assert sel.movies[0].imdb_id in link and sel.movies[0].rank == 1, path.name
    assert len(files) > 100


class _Key:
    def __init__(self, value: str | None = None, error: str | None = None) -> None:
        self.value, self.error = value, error

    def get(self) -> str | None:
        from cinelake.keys import SecretError

        if self.error:
            raise SecretError(self.error)
        return self.value

    def forget(self) -> None:
        pass


def test_a_source_url_key_comes_from_the_source_secret_never_the_label() -> None:
    import httpx

    asked: list[str] = []
    body = json.dumps([{"rank": 1, "id": "tt0111161", "title": "One"}]).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, content=body)

    location = "https://lists.example/top/{key}.json"
    source = ListSource(location, transport=httpx.MockTransport(answer), key=_Key("s3cr/et"))
    selection = source.select(1)
    assert [m.imdb_id for m in selection.movies] == ["tt0111161"]
    assert asked == ["https://lists.example/top/s3cr%2Fet.json"]  # quoted: stays one segment
    assert "s3cr" not in source.label

    with pytest.raises(SourceError, match="needs a key"):
        ListSource(location, transport=httpx.MockTransport(answer)).select(1)
    with pytest.raises(SourceError, match="AccessDenied"):
        ListSource(
            location,
            transport=httpx.MockTransport(answer),
            key=_Key(error="cannot read secret 'src' from Secrets Manager: AccessDenied"),
        ).select(1)
    assert len(asked) == 1  # no request without the key
