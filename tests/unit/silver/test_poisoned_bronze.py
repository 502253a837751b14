"""Bronze read defensively: no line, however broken or large, crashes a build or hides a movie."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cinelake.silver.transform import MAX_BRONZE_LINE_BYTES, SilverBuild, build_silver, screen_line

SNAPSHOT = date(2026, 11, 29)
RUN = "20261129T030000Z-1a2b3c"
INGESTED = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
GOOD = "tt0000001"


def bronze(imdb_id: str) -> dict[str, Any]:
    return {
        "bronze_version": 1,
        "run_id": RUN,
        "snapshot_date": SNAPSHOT.isoformat(),
        "imdb_id": imdb_id,
        "status": "found",
        "source": {"id": imdb_id, "rank": "1"},
        "fetch": {"fetched_at": "2026-11-29T03:00:01+00:00"},
        "response": {
            "Title": f"Movie {imdb_id}",
            "Year": "1999",
            "Type": "movie",
            "imdbID": imdb_id,
            "imdbRating": "8.1",
            "Response": "True",
        },
    }


def quarantined(result: SilverBuild, requested: str | None) -> dict[str, Any]:
    rows = [r for r in result.quarantine.to_pylist() if r["requested_imdb_id"] == requested]
    assert len(rows) == 1, f"{requested} not exactly once in quarantine: {rows}"
    return rows[0]


def encoded(imdb_id: str) -> bytes:
    return json.dumps(bronze(imdb_id), ensure_ascii=False).encode()


def build_bytes(tmp_path: Path, lines: list[bytes], name: str = "part-1.jsonl") -> SilverBuild:
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines) + b"\n")
    return build_silver([path], snapshot_date=SNAPSHOT, ingested_at=INGESTED)


def test_a_line_that_is_not_utf8_is_quarantined_with_its_id(tmp_path: Path) -> None:
    poisoned = encoded("tt0000002").replace(b'"Title": "', b'"Title": "\xff\xfe', 1)
    result = build_bytes(tmp_path, [encoded(GOOD), poisoned])
    assert result.movies.column("imdb_id").to_pylist() == [GOOD]
    row = quarantined(result, "tt0000002")
    assert row["reasons"][0].startswith("invalid_utf8: byte ")
    assert "\\xff" in row["raw"] and row["run_id"] == RUN


def test_a_line_longer_than_the_reader_limit_is_quarantined_not_read(tmp_path: Path) -> None:
    huge = bronze("tt0000003")
    huge["response"]["Plot"] = "x" * (MAX_BRONZE_LINE_BYTES + 10)
    result = build_bytes(tmp_path, [encoded(GOOD), json.dumps(huge).encode()])
    assert result.movies.column("imdb_id").to_pylist() == [GOOD]
    row = quarantined(result, "tt0000003")
    assert row["reasons"][0].startswith("line_too_large: ")
    assert len(row["raw"]) <= 1000


def test_a_truncated_line_names_its_movie_when_the_id_survived(tmp_path: Path) -> None:
    cut = encoded("tt0000004")[:200]
    assert b"tt0000004" in cut
    result = build_bytes(tmp_path, [encoded(GOOD), cut])
    assert quarantined(result, "tt0000004")["reasons"] == [
        "invalid_json: the line is not a JSON object"
    ]


def test_a_good_answer_elsewhere_wins_over_a_damaged_copy(tmp_path: Path) -> None:
    cut = encoded(GOOD)[:200]
    result = build_bytes(tmp_path, [cut, encoded(GOOD), b"\xff" + encoded(GOOD)])
    assert result.movies.column("imdb_id").to_pylist() == [GOOD]
    assert result.quarantine.num_rows == 0


def test_screen_line_lets_ordinary_json_through() -> None:
    assert screen_line(encoded(GOOD)) is None
    assert screen_line(b"") is None
    assert screen_line(b"\x01") is not None and screen_line(b"\xc3") is not None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")), max_size=5
    )
)
def test_no_bronze_line_crashes_a_build_hides_the_good_answer_or_goes_missing(
    tmp_path: Path, garbage: list[bytes]
) -> None:
    result = build_bytes(tmp_path, [*garbage, encoded(GOOD), *garbage], name="any.jsonl")
    assert result.movies.column("imdb_id").to_pylist() == [GOOD]
    # Every line that is not blank is quarantined (each copy: they name no movie to dedup by).
    records = [g for g in garbage if g.strip(b" \t")]
    assert result.quarantine.num_rows == 2 * len(records)
    assert result.records_read == 1 + 2 * len(records)
