"""Each movie takes the newest *good* answer of the day: a later bad one never replaces it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cinelake.silver.transform import SilverBuild, build_silver

SNAPSHOT = date(2026, 11, 29)
RUN = "20261129T030000Z-1a2b3c"
OTHER_RUN = "20261129T150000Z-9f8e7d"
INGESTED = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 29, 3, 0, 1, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
ID = "tt0000001"


def answer(imdb_id: str, **fields: str) -> dict[str, Any]:
    """A found OMDb answer; ``fields`` override."""
    return {
        "Title": f"Movie {imdb_id}",
        "Year": "1972",
        "Rated": "R",
        "Released": "24 Mar 1972",
        "Runtime": "175 min",
        "Genre": "Crime, Drama",
        "Director": "Francis Ford Coppola",
        "Writer": "Mario Puzo",
        "Actors": "Marlon Brando, Al Pacino",
        "Plot": "A plot.",
        "Language": "English",
        "Country": "United States",
        "Awards": "Won 3 Oscars.",
        "Poster": "N/A",
        "Ratings": [{"Source": "Internet Movie Database", "Value": "9.2/10"}],
        "Metascore": "100",
        "imdbRating": "9.2",
        "imdbVotes": "2,031,325",
        "imdbID": imdb_id,
        "Type": "movie",
        "DVD": "11 May 2004",
        "BoxOffice": "$136,381,073",
        "Production": "N/A",
        "Website": "N/A",
        "Response": "True",
    } | fields


def bronze(
    imdb_id: str,
    response: dict[str, Any] | None = None,
    *,
    status: str = "found",
    fetched_at: datetime = T0,
    run_id: str = RUN,
) -> dict[str, Any]:
    """One bronze line, as enrich writes it."""
    if response is None:
        response = {"Response": "False", "Error": "Incorrect IMDb ID."}
    return {
        "bronze_version": 1,
        "run_id": run_id,
        "snapshot_date": SNAPSHOT.isoformat(),
        "imdb_id": imdb_id,
        "status": status,
        "source": {"id": imdb_id, "rank": "1", "title": "x"},
        "fetch": {
            "fetched_at": fetched_at.isoformat(),
            "http_status": 200,
            "attempts": 1,
            "cache_hit": False,
        },
        "response": response,
    }


def write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def good(title: str = "good", **kwargs: Any) -> dict[str, Any]:
    return bronze(ID, answer(ID, Title=title), **kwargs)


def not_found(**kwargs: Any) -> dict[str, Any]:
    return bronze(ID, status="not_found", **kwargs)


def quarantinable(**kwargs: Any) -> dict[str, Any]:
    return bronze(ID, answer(ID, Title="bad", Runtime="abc"), **kwargs)


def build_files(tmp_path: Path, *files: list[dict[str, Any]]) -> SilverBuild:
    """One bronze file per list, in order (the later file wins a fetched_at tie)."""
    paths = [write(tmp_path / f"part-{n:05d}.jsonl", lines) for n, lines in enumerate(files)]
    return build_silver(paths, snapshot_date=SNAPSHOT, ingested_at=INGESTED)


def titles(result: SilverBuild) -> list[str]:
    return [str(r["title"]) for r in result.movies.to_pylist()]


def test_a_later_not_found_does_not_replace_a_good_answer(tmp_path: Path) -> None:
    result = build_files(tmp_path, [good(fetched_at=T0)], [not_found(fetched_at=LATER)])
    assert titles(result) == ["good"]
    assert result.not_found == []
    assert result.quarantine.num_rows == 0


def test_a_later_quarantinable_answer_does_not_replace_a_good_one(tmp_path: Path) -> None:
    result = build_files(tmp_path, [good(fetched_at=T0)], [quarantinable(fetched_at=LATER)])
    assert titles(result) == ["good"]
    assert result.quarantine.num_rows == 0  # the movie is in silver, so not in quarantine
    assert result.not_found == []


def test_a_later_good_answer_replaces_a_bad_one(tmp_path: Path) -> None:
    for bad in (not_found, quarantinable):
        result = build_files(tmp_path, [bad(fetched_at=T0)], [good(fetched_at=LATER)])
        assert titles(result) == ["good"]
        assert result.quarantine.num_rows == 0 and result.not_found == []


def test_across_runs_of_the_day_the_good_answer_wins(tmp_path: Path) -> None:
    # The second run of the day failed the movie: the first run's answer stays the day's.
    result = build_files(
        tmp_path,
        [good("first run", fetched_at=T0, run_id=RUN)],
        [quarantinable(fetched_at=LATER, run_id=OTHER_RUN)],
    )
    assert [(r["title"], r["run_id"]) for r in result.movies.to_pylist()] == [("first run", RUN)]


def test_among_good_answers_the_newest_wins(tmp_path: Path) -> None:
    result = build_files(
        tmp_path,
        [good("newest", fetched_at=LATER), not_found(fetched_at=LATER + timedelta(1))],
        [good("older", fetched_at=T0)],
    )
    assert titles(result) == ["newest"]


def test_only_bad_answers_newest_not_found(tmp_path: Path) -> None:
    result = build_files(tmp_path, [quarantinable(fetched_at=T0)], [not_found(fetched_at=LATER)])
    assert result.movies.num_rows == 0
    assert result.not_found == [ID]
    assert result.quarantine.num_rows == 0


def test_only_bad_answers_newest_quarantined(tmp_path: Path) -> None:
    result = build_files(tmp_path, [not_found(fetched_at=T0)], [quarantinable(fetched_at=LATER)])
    assert result.movies.num_rows == 0
    assert result.not_found == []
    [row] = result.quarantine.to_pylist()
    assert row["requested_imdb_id"] == ID
    assert row["reasons"] == ['unparseable: Runtime="abc"']


def test_only_bad_answers_ties_still_go_to_the_later_file(tmp_path: Path) -> None:
    result = build_files(tmp_path, [not_found(fetched_at=T0)], [quarantinable(fetched_at=T0)])
    assert result.quarantine.num_rows == 1 and result.not_found == []
    result = build_files(tmp_path, [quarantinable(fetched_at=T0)], [not_found(fetched_at=T0)])
    assert result.quarantine.num_rows == 0 and result.not_found == [ID]
