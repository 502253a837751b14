"""How fresh a snapshot is, in gold ``kpis`` and the dashboard header: counted from silver's
``enrichment``; unknown (null), not "all fresh", for a snapshot written before silver kept it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq

from cinelake import layout
from cinelake.dashboard.render import freshness_text

from .history_lake import HistoryLake
from .test_history import movies_table, tt

DAY = date(2026, 3, 1)


def kpis(lake: HistoryLake) -> dict:
    rows = pq.read_table(lake.root / "gold" / layout.gold_data_key("kpis")).to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_kpis_count_stale_and_pending_and_date_the_oldest_answer(tmp_path: Path) -> None:
    lake = HistoryLake(tmp_path / "lake")
    lake.put_list(DAY, [(n, tt(n), f"M{n}") for n in range(1, 5)])
    fetched = [datetime(2026, 2, d, tzinfo=UTC) for d in (27, 20, 28)]
    rows = [
        {"imdb_id": tt(n), "source_rank": n, "title": f"M{n}", "enrichment": state,
         "omdb_fetched_at": at}
        for n, state, at in [(1, "fresh", fetched[0]), (2, "stale", fetched[1]),
                             (3, "stale", fetched[2]), (4, "pending", None)]
    ]  # fmt: skip
    lake.put_movies(DAY, movies_table(rows))
    lake.build()
    got = kpis(lake)
    assert (got["stale_movies"], got["pending_movies"]) == (2, 1)
    assert got["oldest_answer_date"] == date(2026, 2, 20)
    assert freshness_text(got) == "2 stale · 1 pending · oldest answer 2026-02-20"


def test_an_all_fresh_snapshot_says_so(tmp_path: Path) -> None:
    lake = HistoryLake(tmp_path / "lake")
    lake.put_list(DAY, [(1, tt(1), "M1")])
    at = datetime(2026, 2, 28, tzinfo=UTC)
    lake.put_movies(DAY, movies_table([{"imdb_id": tt(1), "source_rank": 1, "title": "M1",
                                        "omdb_fetched_at": at}]))  # fmt: skip
    lake.build()
    got = kpis(lake)
    assert (got["stale_movies"], got["pending_movies"]) == (0, 0)
    assert freshness_text(got) == "all answers fresh"


def test_a_snapshot_written_before_enrichment_builds_with_freshness_unknown(
    tmp_path: Path,
) -> None:
    lake = HistoryLake(tmp_path / "lake")
    lake.put_list(DAY, [(1, tt(1), "M1")])
    old = movies_table([{"imdb_id": tt(1), "source_rank": 1, "title": "M1"}])
    old = old.drop_columns(["enrichment", "omdb_fetched_at"])  # an older silver file
    lake.put_movies(DAY, old)
    lake.build()
    got = kpis(lake)
    assert got["movies"] == 1
    assert (got["stale_movies"], got["pending_movies"], got["oldest_answer_date"]) == (
        None,
        None,
        None,
    )
    assert freshness_text(got) is None
