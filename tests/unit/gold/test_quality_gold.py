"""Gold's data-quality datasets over the silver stage's figures of each day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cinelake import layout
from cinelake.quality import Facts
from cinelake.stages.quality import facts_bytes
from tests.quality_facts import clean_facts

from .history_lake import HistoryLake
from .test_history import movies_table

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


def facts(day: date, source_movies: int) -> Facts:
    return clean_facts(day.isoformat(), source_movies, movies_expected=10)


def put_day(lake: HistoryLake, day: date, f: Facts) -> None:
    lake.put_list(day, [(1, "tt0000001", "A")])
    lake.put_movies(day, movies_table([{"imdb_id": "tt0000001", "source_rank": 1}]))
    lake.silver.put(layout.quality_key(day), facts_bytes(f))


def test_every_day_with_silver_gets_a_verdict_and_the_latest_is_the_outcomes(
    tmp_path: Path,
) -> None:
    lake = HistoryLake(tmp_path / "lake")
    put_day(lake, D1, facts(D1, 10))
    put_day(lake, D2, facts(D2, 7))
    outcome = lake.build()
    assert outcome.datasets["data_quality"] == 2
    assert outcome.quality == "fail"  # 7 of the top 10
    rows = lake.query("SELECT snapshot_date, status FROM gold_data_quality ORDER BY 1")
    assert rows == [(D1, "pass"), (D2, "fail")]
    shrink = lake.query(
        "SELECT snapshot_date, value, status FROM gold_data_quality_checks "
        "WHERE \"check\" = 'list_shrink'"
    )
    assert shrink == [(D2, 0.3, "fail")]

    # A day whose silver is gone loses its verdict with it.
    lake.drop_day(D2)
    outcome = lake.build()
    assert lake.query("SELECT snapshot_date FROM gold_data_quality") == [(D1,)]
    assert outcome.quality == "pass"


def test_unreadable_figures_leave_that_day_without_a_verdict(tmp_path: Path) -> None:
    lake = HistoryLake(tmp_path / "lake")
    put_day(lake, D1, facts(D1, 10))
    put_day(lake, D2, facts(D2, 10))
    lake.silver.put(layout.quality_key(D2), b'{"snapshot_date": "2026-03-02"}')
    outcome = lake.build()  # logged as a warning; every other dataset is built
    assert outcome.datasets["data_quality"] == 1
    assert outcome.datasets["top_rated"] == 1


def test_a_lake_without_figures_has_empty_quality_datasets(tmp_path: Path) -> None:
    lake = HistoryLake(tmp_path / "lake")
    lake.put_list(D1, [(1, "tt0000001", "A")])
    lake.put_movies(D1, movies_table([{"imdb_id": "tt0000001", "source_rank": 1}]))
    outcome = lake.build()
    assert outcome.datasets["data_quality"] == 0
    assert outcome.datasets["data_quality_checks"] == 0
    assert outcome.quality is None
