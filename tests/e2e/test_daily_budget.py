"""A complete snapshot every day within any OMDb request budget (issue 14's "Done when")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import cinelake.cli
from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig

from ..conftest import invoke_cli, write_source

KEY = "budget-key-8812"
FAST = {
    "CINELAKE_BACKOFF_BASE_S": "0",
    "CINELAKE_BACKOFF_MAX_S": "0",
    "CINELAKE_RETRY_DELAY_S": "0",
    "CINELAKE_RATE_LIMIT": "0",
}


@pytest.fixture
def day_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The CLI's one clock, moved by the test from day to day."""
    fake = FakeClock(datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    monkeypatch.setattr(cinelake.cli, "CLOCK", fake)
    return fake


def cli(*args: str, **env: str) -> Any:
    return invoke_cli(*args, key=KEY, **(FAST | env))


def silver_rows(lake: Path, day: datetime) -> list[dict[str, Any]]:
    result = invoke_cli(
        "query",
        "select imdb_id, source_rank, title, enrichment, omdb_fetched_at from silver_movies "
        f"where snapshot_date = DATE '{day.date().isoformat()}' order by source_rank",
        "--format",
        "json",
        "--data-dir",
        str(lake),
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def gold_kpis(lake: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    rows = pq.read_table(lake / "gold" / "kpis" / "data.parquet").to_pylist()
    assert len(rows) == 1
    return rows[0]


def run_args(src: Path, url: str, lake: Path, top: int, budget: int) -> list[str]:
    return [
        "--source",
        str(src),
        "--top-n",
        str(top),
        "--omdb-url",
        url,
        "--data-dir",
        str(lake),
        "--daily-budget",
        str(budget),
    ]


def plan_of(args: list[str]) -> dict[str, Any]:
    result = cli("plan", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_three_days_of_a_top_60_under_a_budget_of_25(
    lake: Path, tmp_path: Path, day_clock: FakeClock
) -> None:
    src = write_source(tmp_path / "top60.json", synthetic.source_list(60)["items"])
    ids = [synthetic.imdb_id(i) for i in range(1, 61)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    pending_by_day = []
    with sim.serve() as url:
        args = run_args(src, url, lake, 60, 25)
        for day in range(3):
            plan = plan_of(args)
            before = sim.requests
            result = cli("run", *args)
            assert result.exit_code == 0, result.output
            sent = sim.requests - before
            assert sent <= 25
            rows = silver_rows(lake, day_clock.now())
            assert len(rows) == 60 and [r["source_rank"] for r in rows] == list(range(1, 61))
            pending = [r for r in rows if r["enrichment"] == "pending"]
            assert all(r["title"] is None and r["omdb_fetched_at"] is None for r in pending)
            assert all(r["title"] for r in rows if r["enrichment"] != "pending")
            pending_by_day.append(len(pending))
            # The plan made before the run is what the run did.
            assert plan["requests"] == sent and plan["pending"] == len(pending)
            assert plan["fresh"] == sum(r["enrichment"] == "fresh" for r in rows) - sent
            # Movies with no answer go first, in rank order: the pending are the lowest ranked.
            assert [r["source_rank"] for r in pending] == list(range(61 - len(pending), 61))
            # Gold and the dashboard say how fresh the snapshot is.
            kpis = gold_kpis(lake)
            stale = sum(r["enrichment"] == "stale" for r in rows)
            assert (kpis["pending_movies"], kpis["stale_movies"]) == (len(pending), stale)
            page = (lake / "dashboard.html").read_text("utf-8")
            shown = "all answers fresh" if not pending and not stale else f"{len(pending)} pending"
            assert shown in page
            day_clock.advance(timedelta(days=1).total_seconds())
    assert pending_by_day == [35, 10, 0]
    status = cli("status", "--data-dir", str(lake), "--json")
    assert status.exit_code == 0, status.output


def test_a_provider_quota_below_the_budget_still_completes_the_day(
    lake: Path, tmp_path: Path, day_clock: FakeClock
) -> None:
    src = write_source(tmp_path / "top30.json", synthetic.source_list(30)["items"])
    ids = [synthetic.imdb_id(i) for i in range(1, 31)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY, quota=10))
    with sim.serve() as url:
        result = cli("run", *run_args(src, url, lake, 30, 25), "--concurrency", "1")
        assert result.exit_code == 0, result.output
        assert "request limit" in result.output
    rows = silver_rows(lake, day_clock.now())
    states = [r["enrichment"] for r in rows]
    assert len(rows) == 30 and states.count("fresh") == 10 and states.count("pending") == 20


def test_a_budget_of_zero_sends_nothing_and_the_day_completes(
    lake: Path, tmp_path: Path, day_clock: FakeClock
) -> None:
    src = write_source(tmp_path / "top5.json", synthetic.source_list(5)["items"])
    ids = [synthetic.imdb_id(i) for i in range(1, 6)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    with sim.serve() as url:
        first = cli("run", *run_args(src, url, lake, 5, 5))
        assert first.exit_code == 0, first.output and sim.requests == 5
        day_clock.advance(timedelta(days=30).total_seconds())  # every answer past its TTL
        plan = plan_of(run_args(src, url, lake, 5, 0))
        assert plan["stale"] == 5 and plan["requests"] == 0 and plan["days_to_fresh"] is None
        zero = cli("run", *run_args(src, url, lake, 5, 0))
        assert zero.exit_code == 0, zero.output
        assert sim.requests == 5  # nothing more was sent
    rows = silver_rows(lake, day_clock.now())
    assert [r["enrichment"] for r in rows] == ["stale"] * 5 and all(r["title"] for r in rows)


def test_a_negative_budget_is_a_usage_error(lake: Path, tmp_path: Path) -> None:
    src = write_source(tmp_path / "top5.json", synthetic.source_list(5)["items"])
    result = cli("run", "--source", str(src), "--data-dir", str(lake), "--daily-budget", "-1")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not lake.exists()


def backfill_report(folder: Path, url: str, lake: Path, top: int, *more: str) -> dict[str, Any]:
    result = cli(
        "backfill", str(folder), "--omdb-url", url, "--data-dir", str(lake),
        "--top-n", str(top), "--json", *more,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_backfill_fills_over_days_within_the_budget_never_fetched_first(
    lake: Path, tmp_path: Path, day_clock: FakeClock
) -> None:
    """Three archived days of a top 8 (each day two movies of its own) under a budget of 6:
    every day is built today; the next day fetches what is still pending, and only that."""
    items = synthetic.source_list(12)["items"]
    folder = tmp_path / "history"
    folder.mkdir()
    days = [(day_clock.now() - timedelta(days=n)).date() for n in (9, 6, 3)]
    for k, day in enumerate(days):
        chosen = items[:6] + items[6 + 2 * k : 8 + 2 * k]
        listed = [item | {"rank": str(r)} for r, item in enumerate(chosen, 1)]
        write_source(folder / f"{day.isoformat()}.json", listed)
    ids = [synthetic.imdb_id(i) for i in range(1, 13)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    with sim.serve() as url:
        first = backfill_report(folder, url, lake, 8, "--daily-budget", "6")
        assert [d["status"] for d in first["days"]] == ["built"] * 3
        assert sim.requests == 6  # the day's budget, no more
        pending = {d.isoformat(): len(rows_pending(lake, d)) for d in days}
        assert pending == {days[0].isoformat(): 2, days[1].isoformat(): 2, days[2].isoformat(): 2}
        day_clock.advance(timedelta(days=1).total_seconds())
        second = backfill_report(folder, url, lake, 8, "--daily-budget", "6")
        # The days with pending movies are loaded again; six new movies, six requests.
        assert [d["status"] for d in second["days"]] == ["built"] * 3
        assert sim.requests == 12 and set(sim.requests_by_id) == set(ids)
        assert max(sim.requests_by_id.values()) == 1  # fresh answers were not asked again
        assert all(not rows_pending(lake, d) for d in days)
        third = backfill_report(folder, url, lake, 8, "--daily-budget", "6")
        assert [d["status"] for d in third["days"]] == ["unchanged"] * 3 and sim.requests == 12


def test_a_provider_quota_does_not_stop_a_backfill(
    lake: Path, tmp_path: Path, day_clock: FakeClock
) -> None:
    items = synthetic.source_list(6)["items"]
    folder = tmp_path / "history"
    folder.mkdir()
    days = [(day_clock.now() - timedelta(days=n)).date() for n in (5, 2)]
    for day in days:
        write_source(folder / f"{day.isoformat()}.json", items)
    ids = [synthetic.imdb_id(i) for i in range(1, 7)]
    catalog = synthetic.omdb_catalog(ids)
    for answer in catalog.values():  # box office known: the days' data-quality verdict is
        if answer["Type"] == "movie":  # not fail (that would exit 7, test_data_quality.py)
            answer["BoxOffice"] = "$1,000,000"
    sim = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, quota=2))
    with sim.serve() as url:
        report = backfill_report(folder, url, lake, 6, "--concurrency", "1")
    assert [d["status"] for d in report["days"]] == ["built", "built"] and report["paused"] is None
    for day in days:
        rows = silver_rows(lake, datetime.combine(day, datetime.min.time(), UTC))
        assert [r["enrichment"] for r in rows].count("fresh") == 2 and len(rows) == 6


def rows_pending(lake: Path, day: Any) -> list[dict[str, Any]]:
    rows = silver_rows(lake, datetime.combine(day, datetime.min.time(), UTC))
    assert len(rows) == 8
    return [r for r in rows if r["enrichment"] == "pending"]


def test_the_plan_of_a_big_list_comes_from_the_fetched_index(
    lake: Path, tmp_path: Path, day_clock: FakeClock
) -> None:
    """Past a few dozen movies the plan reads the index enrich writes, not the answers: it
    still matches what the run does, day after day."""
    top = 100
    src = write_source(tmp_path / "top.json", synthetic.source_list(top)["items"])
    ids = [synthetic.imdb_id(i) for i in range(1, top + 1)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    with sim.serve() as url:
        args = run_args(src, url, lake, top, 70)
        for expected_requests in (70, 30, 0):
            plan = plan_of(args)
            before = sim.requests
            result = cli("run", *args)
            assert result.exit_code == 0, result.output
            assert plan["requests"] == sim.requests - before == expected_requests
            day_clock.advance(timedelta(days=1).total_seconds())
    index = list((lake / "bronze" / "_cache" / "omdb" / "fetched").rglob("*.json"))
    assert any(p.name.startswith("upto-") for p in index)  # parts of past days were merged


def test_a_backfill_fetches_later_days_new_movies_before_refreshing_old_answers(
    lake: Path, tmp_path: Path, day_clock: FakeClock
) -> None:
    """Day one lists four movies whose answers are past the TTL, day two four never fetched:
    under a budget of four, day two's movies get the requests; day one's answers stay stale."""
    items = synthetic.source_list(8)["items"]
    ids = [synthetic.imdb_id(i) for i in range(1, 9)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    first_four = write_source(tmp_path / "four.json", items[:4])
    folder = tmp_path / "history"
    folder.mkdir()
    with sim.serve() as url:
        assert cli("run", *run_args(first_four, url, lake, 4, 4)).exit_code == 0
        day_clock.advance(timedelta(days=30).total_seconds())  # those answers are past the TTL
        days = [(day_clock.now() - timedelta(days=n)).date() for n in (2, 1)]
        write_source(folder / f"{days[0].isoformat()}.json", items[:4])
        later = [item | {"rank": str(r)} for r, item in enumerate(items[4:], 1)]
        write_source(folder / f"{days[1].isoformat()}.json", later)
        report = backfill_report(folder, url, lake, 4, "--daily-budget", "4")
    assert [d["status"] for d in report["days"]] == ["built", "built"]
    assert sim.requests == 8 and set(sim.requests_by_id) == set(ids)  # 4 + the 4 new ones
    one = silver_rows(lake, datetime.combine(days[0], datetime.min.time(), UTC))
    two = silver_rows(lake, datetime.combine(days[1], datetime.min.time(), UTC))
    assert [r["enrichment"] for r in one] == ["stale"] * 4
    assert [r["enrichment"] for r in two] == ["fresh"] * 4
