"""Status and dead letters over a real lake, driven in-process with a FakeClock."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.ops.dlq import (
    BadIds,
    DeadMessage,
    check_ids,
    dead_messages,
    dead_movies,
    plan_redrive,
    redrive,
)
from cinelake.ops.lake import open_lake
from cinelake.ops.runs import LocalRuntime
from cinelake.ops.status import lake_status, unfinished_runs

from ..conftest import make_settings, write_source

KEY = "status-key-5521"


def runtime(lake: Path, clock: FakeClock, sim: OmdbSimulator, **settings: Any) -> LocalRuntime:
    rt = LocalRuntime(
        make_settings(lake, omdb_api_key=KEY, **settings),
        clock=clock,
        omdb_transport=sim.transport(),
    )
    rt.render_dashboard = lambda: None  # type: ignore[method-assign]
    return rt


def silver_ids(lake: Path) -> list[str]:
    files = sorted((lake / "silver" / "movies").glob("snapshot_date=*/*.parquet"))
    rows = (
        duckdb.connect()
        .execute(
            "SELECT imdb_id FROM read_parquet(?) ORDER BY source_rank", [[str(f) for f in files]]
        )
        .fetchall()
    )
    return [r[0] for r in rows]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_source(tmp_path / "top.json", synthetic.source_list(6)["items"])


IDS = [synthetic.imdb_id(i) for i in range(1, 7)]
TITLES = {m["id"]: m["title"] for m in synthetic.source_list(6)["items"]}


def test_missing_or_empty_lake_is_reported_and_left_alone(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    status = lake_status(missing)
    assert not status.exists and "no lake at" in (status.message or "")
    assert not missing.exists()  # status creates nothing
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not lake_status(empty).exists
    assert list(empty.iterdir()) == []
    assert unfinished_runs(missing) == []
    with open_lake(missing) as view:
        assert dead_movies(view.queue, view.ledger) == []


def test_a_run_whose_every_omdb_call_fails_ends_and_dead_letters_everything(
    lake: Path, clock: FakeClock, source: Path
) -> None:
    broken = OmdbSimulator(
        synthetic.omdb_catalog(IDS), SimulatorConfig(api_key=KEY, error_rate=1.0)
    )
    summary = runtime(lake, clock, broken, max_retries=1).run(
        source=str(source), top_n=6, batch_size=1
    )
    assert summary.complete and summary.failed == 6 and summary.enriched == 0
    assert summary.failed_run and summary.silver_state == "failed"  # nothing usable: a failed run
    assert broken.requests == 6 * 3 * 2  # 3 receives x (1 try + 1 retry), then dead-lettered

    status = lake_status(lake, clock=clock)
    [run] = status.runs
    assert run.state == "failed" and run.failed == 6 and run.silver_rows == 0
    assert not (lake / "silver" / "movies").exists()  # no empty snapshot was written
    assert status.queue == {"visible": 0, "in_flight": 0, "delayed": 0, "dead_letters": 6}
    assert sorted(f.imdb_id for f in status.failed) == IDS
    assert all("503" in f.error and f.attempts == 3 and f.in_dead_letters for f in status.failed)
    assert [d["title"] for d in status.dead_letters] == [TITLES[i] for i in IDS]

    with open_lake(lake, clock=clock) as view:
        movies = dead_movies(view.queue, view.ledger)
    assert [(m.imdb_id, m.title, m.attempts) for m in movies] == [(i, TITLES[i], 3) for i in IDS]
    assert all("503" in m.error and m.run_id == run.run_id for m in movies)


def test_redrive_by_id_then_all_carries_the_run_to_completion(
    lake: Path, clock: FakeClock, source: Path
) -> None:
    catalog = synthetic.omdb_catalog(IDS)
    broken = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, error_rate=1.0))
    first = runtime(lake, clock, broken, max_retries=0).run(
        source=str(source), top_n=6, batch_size=1
    )
    assert first.failed == 6

    healthy = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))
    rt = runtime(lake, clock, healthy)
    result = redrive(rt, [IDS[2], "tt9999999"])
    assert result.moved == 1 and result.plan.found == [IDS[2]]
    assert result.plan.missing == ["tt9999999"]
    [summary] = result.summaries
    assert summary.run_id == first.run_id and summary.enriched == 1 and summary.failed == 5
    assert silver_ids(lake) == [IDS[2]]  # silver rebuilt with the redriven movie
    assert sorted(healthy.requests_by_id) == [IDS[2]]
    assert len(rt.queue.dead_letters()) == 5

    everything = redrive(runtime(lake, clock, healthy), None)
    assert everything.moved == 5 and sorted(everything.plan.movies) == sorted(set(IDS) - {IDS[2]})
    [summary] = everything.summaries
    assert summary.complete and summary.enriched == 6 and summary.failed == 0
    assert silver_ids(lake) == IDS
    status = lake_status(lake, clock=clock)
    assert status.queue["dead_letters"] == 0 and status.dead_letters == [] and status.failed == []
    assert status.runs[0].state == "complete" and status.runs[0].gold_datasets > 0


def test_a_batch_message_is_redriven_whole_and_only_its_failure_is_listed(
    lake: Path, clock: FakeClock, source: Path
) -> None:
    catalog = synthetic.omdb_catalog(IDS)
    bad = IDS[4]
    flaky = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, html_error_ids=frozenset({bad})))
    first = runtime(lake, clock, flaky, max_retries=0).run(
        source=str(source), top_n=6, batch_size=3
    )
    assert first.failed == 1 and first.enriched == 5
    with open_lake(lake, clock=clock) as view:
        [message] = dead_messages(view.queue, view.ledger)
    assert message.imdb_ids == IDS[3:6]  # the whole batch went to the dead letters...
    assert [m.imdb_id for m in message.movies] == [bad]  # ...but only one movie failed

    healthy = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))
    result = redrive(runtime(lake, clock, healthy), [bad])
    assert result.plan.movies == IDS[3:6] and result.moved == 1
    assert result.summaries[0].complete and result.summaries[0].enriched == 6
    assert dict(healthy.requests_by_id) == {bad: 1}  # its batch mates came from the cache
    assert silver_ids(lake) == IDS


def test_redrive_of_a_superseded_run_says_so(lake: Path, clock: FakeClock, source: Path) -> None:
    catalog = synthetic.omdb_catalog(IDS)
    bad = IDS[0]
    flaky = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, html_error_ids=frozenset({bad})))
    first = runtime(lake, clock, flaky, max_retries=0).run(
        source=str(source), top_n=6, batch_size=1
    )
    clock.advance(3600)
    runtime(lake, clock, flaky, max_retries=0).run(source=str(source), top_n=6, batch_size=1)
    healthy = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))
    result = redrive(runtime(lake, clock, healthy), [bad])
    assert result.moved == 2  # one dead letter per run
    assert result.superseded == [first.run_id]
    assert silver_ids(lake) == IDS  # the later run's snapshot, now with the movie


def test_status_reports_queued_paused_and_interrupted_runs_without_the_lock(
    lake: Path, clock: FakeClock, source: Path
) -> None:
    catalog = synthetic.omdb_catalog(IDS)
    revoked = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, revoked_after=2))
    rt = runtime(lake, clock, revoked, concurrency=1)
    paused = rt.run(source=str(source), top_n=6, batch_size=1)
    assert paused.paused is not None
    with rt.exclusive():  # a run holds the lock: status still answers
        status = lake_status(lake, clock=clock)
    [run] = status.runs
    assert run.state == "paused" and run.enriched == 2 and run.queued == 4
    assert status.paused is not None and status.paused["reason"] == "invalid_key"
    assert status.queue["delayed"] == 4
    assert unfinished_runs(lake) == [run.run_id]

    # A crash between manifest and queue: a run nobody is working on.
    from cinelake.stages.ingest import IngestRequest, plan_run

    clock.advance(86400)
    manifest, _ = plan_run(rt.deps, IngestRequest(source=str(source), top_n=3))
    rt.deps.ledger.write_manifest(manifest)
    status = lake_status(lake, clock=clock)
    assert [r.state for r in status.runs] == ["interrupted", "queued"]  # pause expired meanwhile
    assert status.runs[0].unaccounted == 3

    healthy = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))
    summaries = runtime(lake, clock, healthy).resume()
    assert all(s.complete for s in summaries)
    status = lake_status(lake, clock=clock)
    assert [r.state for r in status.runs] == ["complete", "complete"]
    assert unfinished_runs(lake) == []
    assert status.gold is not None and not status.gold["stale"]
    assert status.gold["datasets"]["top_rated"] == 3


def test_stale_gold_is_reported_and_resume_rebuilds_it(
    lake: Path, clock: FakeClock, source: Path
) -> None:
    sim = OmdbSimulator(synthetic.omdb_catalog(IDS), SimulatorConfig(api_key=KEY))
    runtime(lake, clock, sim).run(source=str(source), top_n=6, batch_size=1)
    manifest = lake / "gold" / "_manifest.json"
    before = manifest.read_bytes()
    # As if the process died after silver was written but before gold was rebuilt.
    # Gold's manifest a second older than the newest silver snapshot (relative to silver, not to
    # itself: under load gold can finish seconds after silver was written).
    newest_silver = max(
        p.stat().st_mtime_ns for p in (lake / "silver" / "movies").rglob("*.parquet")
    )
    stamp = newest_silver - 10**9
    os.utime(manifest, ns=(stamp, stamp))
    status = lake_status(lake, clock=clock)
    assert status.gold is not None and status.gold["stale"]
    assert status.runs[0].gold_datasets == 0  # gold does not reflect the run
    clock.advance(60)
    runtime(lake, clock, sim).resume()
    assert manifest.read_bytes() != before  # rebuilt (new built_at)
    assert not lake_status(lake, clock=clock).gold["stale"]  # type: ignore[index]


def test_status_counts_quarantine_and_gold_age(lake: Path, clock: FakeClock, source: Path) -> None:
    sim = OmdbSimulator(synthetic.omdb_catalog(IDS), SimulatorConfig(api_key=KEY))
    runtime(lake, clock, sim).run(source=str(source), top_n=6, batch_size=1)
    clock.advance(2 * 3600)
    status = lake_status(lake, clock=clock)
    assert status.gold is not None and status.gold["age_s"] == pytest.approx(7200, abs=5)
    assert status.quarantined == status.runs[0].quarantined
    assert status.runs[0].omdb_requests == 6 and status.runs[0].cache_hits == 0
    assert status.as_dict()["runs"][0]["state"] == "complete"


def test_check_ids_and_plan(tmp_path: Path) -> None:
    assert check_ids([" tt0111161", "tt0111161", "tt0068646"]) == ["tt0111161", "tt0068646"]
    with pytest.raises(BadIds, match=r"--id '\.\./etc'"):
        check_ids(["tt0111161", "../etc"])
    messages = [
        DeadMessage("m1", "r1", ["tt0000001", "tt0000002"], 3, None),
        DeadMessage("m2", "r1", ["tt0000003"], 3, None),
        DeadMessage("m3", "r2", ["tt0000001"], 3, None),
    ]
    plan = plan_redrive(messages, ["tt0000001", "tt0000009"])
    assert plan.message_ids == ["m1", "m3"] and plan.runs == ["r1", "r2"]
    assert plan.movies == ["tt0000001", "tt0000002"]
    assert plan.found == ["tt0000001"] and plan.missing == ["tt0000009"]
    assert plan_redrive(messages, None).message_ids == ["m1", "m2", "m3"]


def test_a_crash_after_the_send_but_before_it_was_recorded_queues_nothing_twice(
    lake: Path, clock: FakeClock, source: Path
) -> None:
    from cinelake.stages.ingest import IngestRequest, plan_run

    sim = OmdbSimulator(synthetic.omdb_catalog(IDS), SimulatorConfig(api_key=KEY))
    rt = runtime(lake, clock, sim)
    manifest, bodies = plan_run(rt.deps, IngestRequest(source=str(source), top_n=6))
    rt.deps.ledger.write_manifest(manifest)
    rt.queue.send(bodies)  # ...and the process died before mark_queued
    assert lake_status(lake, clock=clock).runs[0].state == "queued"
    [summary] = runtime(lake, clock, sim).resume()
    assert summary.complete and summary.enriched == 6
    assert summary.omdb_requests + summary.cache_hits == 6  # each movie delivered once
    assert sim.requests == 6
