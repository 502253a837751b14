"""Silver is built once per set of bronze inputs; status agrees with the silver stage on superseding.

On AWS bronze->silver runs once per bronze object (data parts and the empty completion markers
share the omdb/*.jsonl filter). Events after the run's build that bring no new answers must not
write silver again, or every one of them would also rebuild gold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cinelake import layout
from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.handlers import bronze_to_silver
from cinelake.ops.runs import LocalRuntime, RunSummary
from cinelake.ops.status import lake_status, unfinished_runs
from cinelake.runtime.events import Created, s3_event
from cinelake.stages import silver as silver_stage

from ..conftest import make_settings, write_source

KEY = "builds-once-key-3141"
IDS = [synthetic.imdb_id(i) for i in range(1, 13)]


def runtime(lake: Path, clock: FakeClock, sim: OmdbSimulator, **settings: Any) -> LocalRuntime:
    rt = LocalRuntime(
        make_settings(lake, omdb_api_key=KEY, **settings),
        clock=clock,
        omdb_transport=sim.transport(),
    )
    rt.render_dashboard = lambda: None  # type: ignore[method-assign]
    return rt


def count_puts(store: Any) -> Counter[str]:
    """Wrap ``store.put`` (this instance only) to count the writes per key."""
    writes: Counter[str] = Counter()
    put: Callable[..., None] = store.put

    def counting(key: str, data: bytes, content_type: str | None = None) -> None:
        writes[key] += 1
        put(key, data, content_type)

    store.put = counting
    return writes


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_source(tmp_path / "top.json", synthetic.source_list(len(IDS))["items"])


def complete_run(
    lake: Path, clock: FakeClock, source: Path
) -> tuple[LocalRuntime, RunSummary, Counter[str]]:
    sim = OmdbSimulator(synthetic.omdb_catalog(IDS), SimulatorConfig(api_key=KEY))
    rt = runtime(lake, clock, sim)
    writes = count_puts(rt.deps.silver)
    summary = rt.run(source=str(source), top_n=len(IDS), batch_size=1)
    assert summary.complete and summary.silver_rows == len(IDS)
    return rt, summary, writes


def run_prefix(rt: LocalRuntime, run: RunSummary) -> str:
    return layout.bronze_run_prefix(rt.deps.ledger.manifest(run.run_id).snapshot_date, run.run_id)


def redeliver(rt: LocalRuntime, run: RunSummary) -> dict[str, Any]:
    """Every bronze ObjectCreated event of the run again, in one invocation, then any event
    that raised (a silver write would invoke gold)."""
    objects = [Created("bronze", o.key, o.size) for o in rt.deps.bronze.list(run_prefix(rt, run))]
    assert any(o.size == 0 for o in objects) and any(o.size > 0 for o in objects)
    result = rt.invoke(
        bronze_to_silver.handler, s3_event(objects, rt.deps.clock.now()), "ProcessBronzeToSilver"
    )
    rt.dispatch_notifications()
    return result


def test_a_complete_run_builds_silver_once_and_redelivered_events_write_nothing(
    lake: Path, clock: FakeClock, source: Path
) -> None:
    rt, run, silver_writes = complete_run(lake, clock, source)
    try:
        movies = layout.movies_key(rt.deps.ledger.manifest(run.run_id).snapshot_date)
        assert silver_writes[movies] == 1  # batch_size=1: many invocations, many bronze events
        report = rt.deps.ledger.report(run.run_id, "silver")
        assert report is not None and report["state"] == "built"
        assert len(report["inputs_fingerprint"]) == 64
        silver_file = lake / "silver" / movies
        mtime = silver_file.stat().st_mtime_ns
        gold_writes = count_puts(rt.deps.gold)

        result = redeliver(rt, run)
        [outcome] = result["runs"]
        assert outcome["state"] == "unchanged" and outcome["run_id"] == run.run_id
        assert outcome["rows"] == len(IDS)  # the figures of the build that wrote silver
        assert silver_writes[movies] == 1 and sum(gold_writes.values()) == 0
        assert silver_file.stat().st_mtime_ns == mtime
        assert rt.deps.ledger.report(run.run_id, "silver") == report  # not rewritten

        # The stage function directly: the same answer.
        keys = [o.key for o in rt.deps.bronze.list(run_prefix(rt, run))]
        [again] = silver_stage.on_bronze_created(rt.deps, keys)
        assert again.state == "unchanged"
        assert silver_writes[movies] == 1

        # One more empty completion marker (a second invocation seeing the run complete).
        marker = f"{run_prefix(rt, run)}part-{'f' * 32}.jsonl"
        rt.deps.bronze.put(marker, b"")
        assert silver_stage.build_run(rt.deps, run.run_id).state == "unchanged"
        assert silver_writes[movies] == 1

        # force still builds.
        assert silver_stage.build_run(rt.deps, run.run_id, force=True).state == "built"
        assert silver_writes[movies] == 2
    finally:
        rt.queue.close()


def test_new_bronze_answers_build_again(lake: Path, clock: FakeClock, source: Path) -> None:
    rt, run, silver_writes = complete_run(lake, clock, source)
    try:
        movies = layout.movies_key(rt.deps.ledger.manifest(run.run_id).snapshot_date)
        before = rt.deps.ledger.report(run.run_id, "silver")
        assert before is not None
        # A redriven movie's answer: a new non-empty part.
        prefix = run_prefix(rt, run)
        part = next(o for o in rt.deps.bronze.list(prefix) if o.size > 0)
        rt.deps.bronze.put(f"{prefix}part-{'e' * 32}.jsonl", rt.deps.bronze.get(part.key))
        outcome = silver_stage.build_run(rt.deps, run.run_id)
        assert outcome.state == "built" and outcome.rows == len(IDS)
        assert silver_writes[movies] == 2
        after = rt.deps.ledger.report(run.run_id, "silver")
        assert after is not None and after["inputs_fingerprint"] != before["inputs_fingerprint"]
        # ...and once only.
        assert silver_stage.build_run(rt.deps, run.run_id).state == "unchanged"
        assert silver_writes[movies] == 2
    finally:
        rt.queue.close()


def test_a_missing_silver_object_is_built_again(lake: Path, clock: FakeClock, source: Path) -> None:
    rt, run, _ = complete_run(lake, clock, source)
    try:
        movies = layout.movies_key(rt.deps.ledger.manifest(run.run_id).snapshot_date)
        rt.deps.silver.delete(movies)
        assert silver_stage.build_run(rt.deps, run.run_id).state == "built"
        assert rt.deps.silver.exists(movies)
    finally:
        rt.queue.close()


# -- status and the silver stage agree on what supersedes a run --------------------------------


def complete_then_paused(
    lake: Path, clock: FakeClock, source: Path
) -> tuple[RunSummary, RunSummary]:
    catalog = synthetic.omdb_catalog(IDS)
    rt = runtime(lake, clock, OmdbSimulator(catalog, SimulatorConfig(api_key=KEY)))
    complete = rt.run(source=str(source), top_n=len(IDS), batch_size=1)
    rt.queue.close()
    assert complete.complete
    clock.advance(3600)
    # The key is rejected after four answers: the rest stay queued, the run is incomplete.
    revoked = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, revoked_after=4))
    rt = runtime(lake, clock, revoked, concurrency=1, refresh=True)
    paused = rt.run(source=str(source), top_n=len(IDS), batch_size=1)
    rt.queue.close()
    assert paused.paused is not None and paused.still_queued > 0 and not paused.complete
    assert paused.snapshot_date == complete.snapshot_date and paused.run_id > complete.run_id
    return complete, paused


def test_a_newer_paused_run_does_not_supersede_a_complete_one_in_status(
    lake: Path, clock: FakeClock, source: Path
) -> None:
    complete, paused = complete_then_paused(lake, clock, source)
    states = {r.run_id: r.state for r in lake_status(lake, clock=clock).runs}
    assert states == {complete.run_id: "complete", paused.run_id: "paused"}

    # Without its silver report (a crash before it was written) the complete run still needs
    # silver: the paused run does not own the day. Status, resume and recovery agree.
    (lake / "bronze" / "_runs" / complete.run_id / "silver.json").unlink()
    states = {r.run_id: r.state for r in lake_status(lake, clock=clock).runs}
    assert states[complete.run_id] == "awaiting_silver"
    assert complete.run_id in unfinished_runs(lake)
    rt = runtime(lake, clock, OmdbSimulator({}, SimulatorConfig(api_key=KEY)))
    try:
        assert complete.run_id in rt.recover()
        rt.finish(complete.run_id)
        report = rt.deps.ledger.report(complete.run_id, "silver")
        assert report is not None and report["state"] == "built"
    finally:
        rt.queue.close()
    states = {r.run_id: r.state for r in lake_status(lake, clock=clock).runs}
    assert states[complete.run_id] == "complete"
    assert complete.run_id not in unfinished_runs(lake)


def test_a_newer_complete_run_supersedes_in_status_without_a_report(
    lake: Path, clock: FakeClock, source: Path
) -> None:
    catalog = synthetic.omdb_catalog(IDS)
    first = runtime(lake, clock, OmdbSimulator(catalog, SimulatorConfig(api_key=KEY)))
    older = first.run(source=str(source), top_n=len(IDS), batch_size=1)
    first.queue.close()
    clock.advance(3600)
    second = runtime(lake, clock, OmdbSimulator(catalog, SimulatorConfig(api_key=KEY)))
    newer = second.run(source=str(source), top_n=len(IDS), batch_size=1)
    second.queue.close()
    assert older.complete and newer.complete and older.snapshot_date == newer.snapshot_date
    (lake / "bronze" / "_runs" / older.run_id / "silver.json").unlink()
    states = {r.run_id: r.state for r in lake_status(lake, clock=clock).runs}
    assert states == {older.run_id: "superseded", newer.run_id: "complete"}
    assert unfinished_runs(lake) == []
