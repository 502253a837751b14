"""`movers` over the scraper's real daily captures equals an independent computation from the
raw files (json + re, no pipeline code), for every day: gaps between dates, a movie missing one
day and back the next, and a short day included."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from pathlib import Path

import pytest

from cinelake.sources.port import ListSource

from ..conftest import SHARED_HISTORY
from ..unit.gold.history_lake import HistoryLake

MIN_DAYS = 20


def capture_files() -> list[Path]:
    return sorted(SHARED_HISTORY.glob("*.json")) if SHARED_HISTORY.is_dir() else []


pytestmark = pytest.mark.skipif(
    len(capture_files()) < MIN_DAYS, reason="../shared/data/top250-history not present"
)

# ------------------------------------------------------------- the independent computation

ID = re.compile(r"tt[0-9]{7,9}")


def _value(row: dict, *names: str) -> object:
    """The value under the first of these keys the row has, ignoring case, spaces and _."""
    squash = {re.sub(r"[\s_]", "", k).lower(): v for k, v in row.items()}
    for name in names:
        if name in squash:
            return squash[name]
    return None


def raw_list(path: Path) -> dict[str, tuple[int, str]]:
    """imdb id -> (rank, title), straight from the file."""
    out: dict[str, tuple[int, str]] = {}
    for row in json.loads(path.read_text(encoding="utf-8")):
        link = str(_value(row, "movielink", "link", "url", "id", "imdbid") or "")
        found = ID.search(link)
        assert found, f"{path.name}: a row without an IMDb id: {row}"
        rank = int(str(_value(row, "rank", "position")))
        title = str(_value(row, "moviename", "title", "name") or "")
        out[found.group()] = (rank, title)
    return out


def expected_movers(days: dict[date, dict[str, tuple[int, str]]]) -> set[tuple]:
    rows: set[tuple] = set()
    previous_day: date | None = None
    for day in sorted(days):
        today = days[day]
        before = days[previous_day] if previous_day is not None else {}
        for imdb_id in today.keys() | before.keys():
            rank = today[imdb_id][0] if imdb_id in today else None
            previous_rank = before[imdb_id][0] if imdb_id in before else None
            title = today[imdb_id][1] if imdb_id in today else before[imdb_id][1]
            if previous_rank is None:
                status, change = "new", None
            elif rank is None:
                status, change = "exited", None
            else:
                change = previous_rank - rank
                status = "up" if change > 0 else "down" if change < 0 else "same"
            rows.add((day, previous_day, imdb_id, title, rank, previous_rank, change, status))
        previous_day = day
    return rows


# ------------------------------------------------------------------------------- the tests


def load_lake(tmp_path: Path, files: list[Path]) -> HistoryLake:
    """Each file's list read by the pipeline's own source reader, written as silver lists."""
    lake = HistoryLake(tmp_path / "lake")
    for path in files:
        selection = ListSource(str(path)).select(250)
        lake.put_list(
            date.fromisoformat(path.stem),
            [(m.rank, m.imdb_id, m.title) for m in selection.movies],
        )
    lake.build()
    return lake


def gold_movers(lake: HistoryLake) -> set[tuple]:
    return set(
        lake.query(
            "SELECT snapshot_date, previous_snapshot_date, imdb_id, title, rank, previous_rank, "
            "rank_change, status FROM gold_movers"
        )
    )


def test_movers_equal_an_independent_computation_over_every_captured_day(tmp_path: Path) -> None:
    files = capture_files()
    lake = load_lake(tmp_path, files)
    days = {date.fromisoformat(p.stem): raw_list(p) for p in files}
    expected = expected_movers(days)
    got = gold_movers(lake)
    assert got == expected
    # Day by day too, so a failure names the day.
    for day in days:
        assert {r for r in got if r[0] == day} == {r for r in expected if r[0] == day}, day
    # What the captures are known to hold (else this test would prove less than it says).
    dates = sorted(days)
    assert any((b - a).days > 1 for a, b in itertools.pairwise(dates)), "no gap between dates"
    status = {(r[0], r[2]): r[7] for r in expected}
    following = dict(itertools.pairwise(dates))
    blips = [
        (day, imdb_id)
        for (day, imdb_id), s in status.items()
        if s == "exited" and day in following and status.get((following[day], imdb_id)) == "new"
    ]
    assert blips, "no movie that left one day and came back the next"


def test_movers_with_a_short_day_and_a_movie_missing_one_day(tmp_path: Path) -> None:
    """A capture with 248 entries (two rows lost) and a movie absent one day, back the next."""
    files = capture_files()[: MIN_DAYS + 2]
    folder = tmp_path / "captures"
    folder.mkdir()
    short_day, blip_day = files[5].stem, files[9].stem
    blip_id = None
    for path in files:
        rows = json.loads(path.read_text(encoding="utf-8"))
        if path.stem == short_day:
            rows = [r for i, r in enumerate(rows) if i not in (40, 170)]
        if path.stem == blip_day:
            blip_id = ID.search(json.dumps(rows[100])).group()  # type: ignore[union-attr]
            rows = rows[:100] + rows[101:]
        (folder / path.name).write_text(json.dumps(rows), encoding="utf-8")
    copies = sorted(folder.glob("*.json"))
    lake = load_lake(tmp_path, copies)
    days = {date.fromisoformat(p.stem): raw_list(p) for p in copies}
    assert len(days[date.fromisoformat(short_day)]) == 248
    expected = expected_movers(days)
    got = gold_movers(lake)
    assert got == expected
    statuses = {(r[0].isoformat(), r[2]): r[7] for r in got}
    after_blip = files[10].stem
    assert statuses[(blip_day, blip_id)] == "exited"
    assert statuses[(after_blip, blip_id)] == "new"
    assert lake.query(
        f"SELECT count(*) FROM gold_rank_history WHERE snapshot_date = DATE '{short_day}'"
    ) == [(248,)]
