"""A failing same-day run keeps the day's good answers; rebuild uses complete runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.ops.rebuild import rebuild
from cinelake.ops.runs import LocalRuntime, RunSummary, RuntimeBusy
from cinelake.silver import schema
from cinelake.stages import silver as silver_stage

from ..conftest import make_settings, write_source

KEY = "same-day-key-0917"
IDS = [synthetic.imdb_id(i) for i in range(1, 31)]


def runtime(lake: Path, clock: FakeClock, sim: OmdbSimulator, **settings: Any) -> LocalRuntime:
    rt = LocalRuntime(
        make_settings(lake, omdb_api_key=KEY, **settings),
        clock=clock,
        omdb_transport=sim.transport(),
    )
    rt.render_dashboard = lambda: None  # type: ignore[method-assign]
    return rt


def run(rt: LocalRuntime, source: Path, top_n: int) -> RunSummary:
    try:
        return rt.run(source=str(source), top_n=top_n, batch_size=1)
    finally:
        rt.queue.close()


def source_of(tmp_path: Path, name: str, ranked: list[tuple[str, int]]) -> Path:
    """A top list naming these ids with these ranks (titles etc. from the synthetic list)."""
    by_id = {item["id"]: item for item in synthetic.source_list(len(IDS))["items"]}
    return write_source(tmp_path / name, [by_id[i] | {"rank": str(r)} for i, r in ranked])


def silver(lake: Path, columns: str = "imdb_id, run_id, source_rank") -> list[tuple[Any, ...]]:
    files = sorted((lake / "silver" / "movies").glob("snapshot_date=*/*.parquet"))
    if not files:
        return []
    return (
        duckdb.connect()
        .execute(
            f"SELECT {columns} FROM read_parquet(?) ORDER BY source_rank", [[str(f) for f in files]]
        )
        .fetchall()
    )


def quarantine(lake: Path) -> list[tuple[Any, ...]]:
    files = sorted((lake / "silver" / "quarantine").glob("snapshot_date=*/*.parquet"))
    if not files:
        return []
    return (
        duckdb.connect()
        .execute(
            "SELECT requested_imdb_id, run_id FROM read_parquet(?) ORDER BY 1",
            [[str(f) for f in files]],
        )
        .fetchall()
    )


def kpi_movies(lake: Path) -> list[int]:
    path = lake / "gold" / "kpis" / "data.parquet"
    return [
        r[0]
        for r in duckdb.connect()
        .execute("SELECT movies FROM read_parquet(?)", [str(path)])
        .fetchall()
    ]


def failing(catalog: dict[str, Any], ids: set[str] | None = None) -> OmdbSimulator:
    """OMDb answering 503 to everything (or to these ids)."""
    if ids is None:
        return OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, error_rate=1.0))
    return OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, html_error_ids=frozenset(ids)))


NO_RETRY = {"max_retries": 0, "max_receive_count": 1, "refresh": True}


# -- 1. a failing same-day run ------------------------------------------------------------------


def test_a_failing_same_day_run_keeps_the_days_good_silver_and_gold(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = source_of(tmp_path, "top.json", [(i, n) for n, i in enumerate(IDS[:20], 1)])
    catalog = synthetic.omdb_catalog(IDS)
    good = run(
        runtime(lake, clock, OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))), source, 20
    )
    assert good.complete and good.silver_rows == 20
    assert kpi_movies(lake) == [20]

    clock.advance(3600)
    bad = run(runtime(lake, clock, failing(catalog), **NO_RETRY), source, 20)
    assert bad.run_id > good.run_id and bad.snapshot_date == good.snapshot_date
    assert bad.complete and bad.failed == 20 and bad.enriched == 0
    rows = silver(lake)
    assert [r[0] for r in rows] == IDS[:20]
    assert {r[1] for r in rows} == {good.run_id}  # provenance: the run that fetched the answer
    assert bad.silver_rows == 20
    assert kpi_movies(lake) == [20]


def test_the_latest_run_decides_the_movies_and_ranks_answers_come_from_any_run_of_the_day(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    ids = IDS[:22]
    catalog = synthetic.omdb_catalog(ids)
    flawed = dict(catalog)
    for i in (ids[0], ids[4]):
        flawed[i] = catalog[i] | {"imdbRating": "11.2"}
    first_source = source_of(tmp_path, "first.json", [(i, n) for n, i in enumerate(ids[:20], 1)])
    first = run(
        runtime(lake, clock, OmdbSimulator(flawed, SimulatorConfig(api_key=KEY))), first_source, 20
    )
    assert first.silver_rows == 18 and first.quarantined == 2

    # The second run asks for ids[2:22], in reverse order; three of them fail.
    clock.advance(3600)
    ranks = {ids[k]: 22 - k for k in range(2, 22)}
    second_source = source_of(tmp_path, "second.json", list(ranks.items()))
    dead = {ids[3], ids[4], ids[21]}
    second = run(runtime(lake, clock, failing(catalog, dead), **NO_RETRY), second_source, 20)
    assert second.complete and second.failed == 3 and second.enriched == 17

    rows = silver(lake)
    expected = [i for i in ids[2:21] if i != ids[4]]  # ids[21] only the second run asked for
    assert sorted(r[0] for r in rows) == sorted(expected)
    assert {r[0]: r[2] for r in rows} == {i: ranks[i] for i in expected}  # the second run's ranks
    assert [r[2] for r in rows] == sorted(r[2] for r in rows)
    owners = {r[0]: r[1] for r in rows}
    assert owners.pop(ids[3]) == first.run_id  # the second run failed it: the first's answer
    assert set(owners.values()) == {second.run_id}
    # ids[0] was quarantined by the first run, but the second did not ask for it; ids[4] the
    # second run failed, so the first run's (quarantined) answer is still the day's answer.
    assert quarantine(lake) == [(ids[4], first.run_id)]
    assert second.silver_rows == 18 and second.quarantined == 1
    assert kpi_movies(lake) == [18]
    # The schema is unchanged.
    table_path = next((lake / "silver" / "movies").rglob("*.parquet"))
    import pyarrow.parquet as pq

    assert pq.read_schema(table_path).remove_metadata() == schema.arrow_schema().remove_metadata()


# -- 2. rebuild from complete runs only ---------------------------------------------------------


def complete_then_paused(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> tuple[RunSummary, RunSummary]:
    source = source_of(tmp_path, "top.json", [(i, n) for n, i in enumerate(IDS, 1)])
    catalog = synthetic.omdb_catalog(IDS)
    complete = run(
        runtime(lake, clock, OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))), source, 30
    )
    assert complete.complete and complete.silver_rows == 30
    clock.advance(3600)
    # The key is rejected after ten answers: the other twenty stay queued (an OMDb quota
    # would not do: the day completes with stale or pending movies).
    revoked = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, revoked_after=10))
    paused = run(runtime(lake, clock, revoked, concurrency=1, refresh=True), source, 30)
    assert paused.paused is not None and paused.paused.reason == "invalid_key"
    assert paused.enriched == 10 and paused.still_queued == 20 and not paused.complete
    assert paused.snapshot_date == complete.snapshot_date
    return complete, paused


def test_build_run_of_a_complete_run_is_not_superseded_by_a_newer_incomplete_one(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    complete, paused = complete_then_paused(lake, clock, tmp_path)
    assert paused.enriched == 10  # ...and those ten answers are in bronze, newer than complete's
    rt = runtime(lake, clock, OmdbSimulator({}, SimulatorConfig(api_key=KEY)))
    outcome = silver_stage.build_run(rt.deps, complete.run_id, force=True)
    assert outcome.state == "built" and outcome.rows == 30
    assert {r[1] for r in silver(lake)} == {complete.run_id}  # the paused run's answers unused
    rt.queue.close()


def test_rebuild_skips_an_incomplete_latest_run_and_uses_the_latest_complete_one(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    complete, paused = complete_then_paused(lake, clock, tmp_path)
    report = rebuild(make_settings(lake))
    [day] = report.days
    assert day.snapshot_date == complete.snapshot_date and day.run_id == complete.run_id
    assert day.state == "built" and day.rows == 30 and day.quarantined == 0
    assert [(s.run_id, s.reason) for s in day.skipped] == [
        (paused.run_id, "incomplete: 20 movies still queued")
    ]
    assert [r[0] for r in silver(lake)] == IDS and {r[1] for r in silver(lake)} == {complete.run_id}
    assert report.gold_datasets > 0 and kpi_movies(lake) == [30]
    assert (lake / "dashboard.html").is_file() and report.dashboard is not None
    rt = runtime(lake, clock, OmdbSimulator({}, SimulatorConfig(api_key=KEY)))
    assert rt.deps.ledger.report(paused.run_id, "silver") is None  # nothing written for it
    assert rt.deps.ledger.report(complete.run_id, "silver")["state"] == "built"  # type: ignore[index]
    rt.queue.close()
    lines = report.lines()
    assert any(complete.run_id in line and "30 rows" in line for line in lines)
    assert any(paused.run_id in line and "20 movies still queued" in line for line in lines)


def test_rebuild_skips_a_paused_run_without_bronze_and_a_day_without_a_complete_run(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = source_of(tmp_path, "top.json", [(i, n) for n, i in enumerate(IDS[:5], 1)])
    catalog = synthetic.omdb_catalog(IDS[:5])
    complete = run(
        runtime(lake, clock, OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))), source, 5
    )
    clock.advance(3600)
    rejecting = OmdbSimulator(catalog, SimulatorConfig(api_key="another-key"))
    same_day = run(runtime(lake, clock, rejecting, concurrency=1, refresh=True), source, 5)
    assert same_day.paused is not None and same_day.still_queued == 5
    assert same_day.snapshot_date == complete.snapshot_date
    clock.advance(86400)
    next_day = run(runtime(lake, clock, rejecting, concurrency=1, refresh=True), source, 5)
    assert next_day.paused is not None and next_day.snapshot_date != complete.snapshot_date
    before = silver(lake, "*")

    report = rebuild(make_settings(lake))
    first, second = report.days
    assert first.run_id == complete.run_id and first.rows == 5
    assert [s.run_id for s in first.skipped] == [same_day.run_id]
    assert second.snapshot_date == next_day.snapshot_date
    assert second.run_id is None and second.state == "skipped" and second.rows == 0
    assert [(s.run_id, s.reason) for s in second.skipped] == [
        (next_day.run_id, "incomplete: 5 movies still queued")
    ]
    assert report.built == 1
    assert [r[:2] for r in silver(lake, "*")] == [r[:2] for r in before]
    rt = runtime(lake, clock, OmdbSimulator({}, SimulatorConfig(api_key=KEY)))
    for skipped in (same_day, next_day):
        assert rt.deps.ledger.report(skipped.run_id, "silver") is None
    rt.queue.close()
    assert any("no complete run" in line for line in report.lines())


def test_rebuild_holds_the_runtime_lock(lake: Path, clock: FakeClock, tmp_path: Path) -> None:
    source = source_of(tmp_path, "top.json", [(IDS[0], 1)])
    run(
        runtime(
            lake,
            clock,
            OmdbSimulator(synthetic.omdb_catalog(IDS[:1]), SimulatorConfig(api_key=KEY)),
        ),
        source,
        1,
    )
    holder = runtime(lake, clock, OmdbSimulator({}, SimulatorConfig(api_key=KEY)))
    with holder.exclusive(), pytest.raises(RuntimeBusy):
        rebuild(make_settings(lake))
    holder.queue.close()
    assert rebuild(make_settings(lake)).built == 1


def test_an_unreadable_bronze_line_stays_visible_in_quarantine(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = source_of(tmp_path, "top.json", [(i, n) for n, i in enumerate(IDS[:3], 1)])
    sim = OmdbSimulator(synthetic.omdb_catalog(IDS[:3]), SimulatorConfig(api_key=KEY))
    run(runtime(lake, clock, sim), source, 3)
    clock.advance(3600)
    second = run(runtime(lake, clock, sim), source, 3)
    rt = runtime(lake, clock, sim)
    key = (
        f"omdb/snapshot_date={second.snapshot_date}/run_id={second.run_id}/"
        "part-00000000000000000000000000000000.jsonl"
    )
    rt.deps.bronze.put(key, b"this is not json\n")
    outcome = silver_stage.build_run(rt.deps, second.run_id)
    rt.queue.close()
    assert outcome.state == "built" and outcome.rows == 3 and outcome.quarantined == 1
    assert quarantine(lake) == [(None, None)]
    assert {r[1] for r in silver(lake)} == {second.run_id}  # cache hits: its own answers
