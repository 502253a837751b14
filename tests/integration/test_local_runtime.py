"""The embedded runtime end to end: delivery, retry, dead letters, completion, idempotence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from cinelake import accounting
from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.handlers import enrich
from cinelake.ops.runs import LocalRuntime, RunSummary
from cinelake.runtime.events import LocalContext, sqs_event
from cinelake.sample import load_omdb_answers, top_movies_path

from ..conftest import make_settings, write_source

KEY = "test-key-0451"


def silver_rows(lake: Path) -> list[tuple[Any, ...]]:
    files = sorted((lake / "silver" / "movies").glob("snapshot_date=*/*.parquet"))
    if not files:
        return []
    con = duckdb.connect()
    return con.execute(
        "SELECT imdb_id, source_rank, title, imdb_rating, box_office_usd FROM read_parquet(?) ORDER BY source_rank",
        [[str(f) for f in files]],
    ).fetchall()


def runtime(lake: Path, clock: FakeClock, sim: OmdbSimulator, **settings: Any) -> LocalRuntime:
    s = make_settings(lake, omdb_api_key=KEY, **settings)
    rt = LocalRuntime(s, clock=clock, omdb_transport=sim.transport())
    rt.render_dashboard = lambda: None  # type: ignore[method-assign]  # the browser test covers it
    return rt


def synthetic_source(tmp_path: Path, n: int) -> Path:
    return write_source(tmp_path / "top.json", synthetic.source_list(n)["items"])


def test_offline_sample_run_is_complete_and_rerun_is_identical(
    lake: Path, clock: FakeClock
) -> None:
    sim = OmdbSimulator(load_omdb_answers(), SimulatorConfig(api_key=KEY))
    first = runtime(lake, clock, sim).run(source=str(top_movies_path()), top_n=10, batch_size=1)
    assert first.complete and first.enriched == 10 and first.silver_rows == 10
    rows = silver_rows(lake)
    assert [r[1] for r in rows] == list(range(1, 11))
    gold = (lake / "gold" / "top_rated" / "data.parquet").read_bytes()

    clock.advance(3600)
    second = runtime(lake, clock, sim).run(source=str(top_movies_path()), top_n=10, batch_size=1)
    assert second.complete and second.run_id != first.run_id
    assert silver_rows(lake) == rows  # replaced, not appended
    assert second.cache_hits == 10 and second.omdb_requests == 0
    assert sim.requests == 10
    assert len(list((lake / "silver" / "movies").rglob("*.parquet"))) == 1
    con = duckdb.connect()
    q = "SELECT * EXCLUDE (snapshot_date) FROM read_parquet(?) ORDER BY rank"
    assert (
        con.execute(q, [str(lake / "gold/top_rated/data.parquet")]).fetchall()
        == duckdb.connect()
        .execute(q.replace("?", "$1"), [str(lake / "gold/top_rated/data.parquet")])
        .fetchall()
    )
    assert gold  # gold was written both times


def test_sixty_movie_source_top_thirty_in_batches_of_four(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = synthetic_source(tmp_path, 60)
    ids = [synthetic.imdb_id(i) for i in range(1, 61)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    summary = runtime(lake, clock, sim).run(source=str(source), top_n=30, batch_size=4)
    assert summary.complete and summary.selected == 30
    assert [r[0] for r in silver_rows(lake)] == ids[:30]
    assert sorted(sim.requests_by_id) == sorted(ids[:30])


def test_transient_failures_dead_letter_with_reason_and_the_rest_complete(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = synthetic_source(tmp_path, 6)
    ids = [synthetic.imdb_id(i) for i in range(1, 7)]
    broken = ids[2]
    sim = OmdbSimulator(
        synthetic.omdb_catalog(ids),
        SimulatorConfig(api_key=KEY, html_error_ids=frozenset({broken})),
    )
    rt = runtime(lake, clock, sim, max_retries=1, max_receive_count=3)
    summary = rt.run(source=str(source), top_n=6, batch_size=1)
    assert summary.failed == 1 and summary.enriched == 5 and summary.still_queued == 0
    assert summary.complete  # every movie accounted for
    [dead] = summary.dead_letters
    assert dead["imdb_id"] == broken and "503" in dead["error"] and dead["attempts"] == 3
    assert sim.requests_by_id[broken] == 3 * 2  # 3 receives x (1 try + 1 retry)
    assert [d.receive_count for d in rt.queue.dead_letters()] == [3]
    assert broken not in [r[0] for r in silver_rows(lake)]
    assert len(silver_rows(lake)) == 5


def test_thirty_percent_html_errors_still_reach_silver(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = synthetic_source(tmp_path, 40)
    ids = [synthetic.imdb_id(i) for i in range(1, 41)]
    sim = OmdbSimulator(
        synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY, error_rate=0.3, seed=7)
    )
    summary = runtime(lake, clock, sim, max_retries=4).run(
        source=str(source), top_n=40, batch_size=2
    )
    assert summary.complete and summary.enriched == 40 and summary.failed == 0
    assert [r[0] for r in silver_rows(lake)] == ids


def test_not_found_is_accounted_for_and_not_retried(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = synthetic_source(tmp_path, 4)
    ids = [synthetic.imdb_id(i) for i in range(1, 5)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids[:3]), SimulatorConfig(api_key=KEY))
    summary = runtime(lake, clock, sim).run(source=str(source), top_n=4, batch_size=1)
    assert summary.complete and summary.not_found == 1 and summary.enriched == 3
    assert sim.requests_by_id[ids[3]] == 1


def test_a_quota_below_the_budget_completes_the_day_and_the_next_day_fetches_the_pending(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = synthetic_source(tmp_path, 10)
    ids = [synthetic.imdb_id(i) for i in range(1, 11)]
    catalog = synthetic.omdb_catalog(ids)
    sim = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY, quota=4))
    first = runtime(lake, clock, sim, concurrency=1).run(source=str(source), top_n=10, batch_size=1)
    assert first.paused is not None and first.paused.reason == "quota"
    # The movies the quota left unfetched are pending for today, not queued: the day completes.
    assert first.enriched == 4 and first.pending == 6 and first.still_queued == 0
    assert first.complete and first.silver_rows == 10 and first.failed == 0
    assert sim.requests == 5  # four answers, one refusal, then nothing more

    fresh = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))  # the next day: quota reset
    clock.advance(86400)
    rt = runtime(lake, clock, fresh, concurrency=1)
    second = rt.run(source=str(source), top_n=10, batch_size=1)
    assert second.complete and second.pending == 0 and second.silver_rows == 10
    assert sorted(fresh.requests_by_id) == sorted(ids[4:])  # nothing fetched twice
    assert rt.queue.dead_letters() == []


def test_invalid_key_stops_the_run_without_dead_letters(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = synthetic_source(tmp_path, 5)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 6)]),
        SimulatorConfig(api_key="the-real-key"),
    )
    rt = runtime(lake, clock, sim, concurrency=1)
    summary: RunSummary = rt.run(source=str(source), top_n=5, batch_size=1)
    assert summary.paused is not None and summary.paused.reason == "invalid_key"
    assert summary.still_queued == 5 and summary.failed == 0 and rt.queue.dead_letters() == []
    assert sim.requests == 1


def test_out_of_order_and_duplicate_delivery(lake: Path, clock: FakeClock, tmp_path: Path) -> None:
    """Deliver messages reversed, and some twice, by hand: completion and silver are unaffected."""
    source = synthetic_source(tmp_path, 8)
    ids = [synthetic.imdb_id(i) for i in range(1, 9)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    rt = runtime(lake, clock, sim, visibility_timeout_s=5)
    from cinelake.handlers import ingest
    from cinelake.runtime.events import schedule_input

    run_id = ingest.handler(
        schedule_input(clock.now(), top_n=8, batch_size=2, source=str(source)),
        LocalContext("GetMoviesAndSendToQueue"),
    )["run_id"]
    messages = rt.queue.receive(10)
    assert len(messages) == 4
    duplicate = messages[0]
    for m in reversed(messages):
        result = enrich.handler(sqs_event([m]), LocalContext("EnrichAndStoreMovie"))
        assert result == {"batchItemFailures": []}
        if m is not duplicate:
            rt.queue.delete(m.receipt_handle)
        rt.dispatch_notifications()
    # SQS delivers at least once: the first message arrives again after its visibility timeout.
    clock.advance(6)
    [again] = rt.queue.receive(10)
    assert again.message_id == duplicate.message_id and again.receive_count == 2
    enrich.handler(sqs_event([again]), LocalContext("EnrichAndStoreMovie"))
    rt.dispatch_notifications()
    assert accounting.is_complete(rt.deps.ledger, run_id)
    assert [r[0] for r in silver_rows(lake)] == ids
    assert sim.requests == 8  # the duplicate came from the cache


def test_a_crash_between_manifest_and_queue_is_resumed(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = synthetic_source(tmp_path, 3)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 4)]),
        SimulatorConfig(api_key=KEY),
    )
    rt = runtime(lake, clock, sim)
    from cinelake.stages.ingest import IngestRequest, plan_run

    manifest, _ = plan_run(rt.deps, IngestRequest(source=str(source), top_n=3))
    rt.deps.ledger.write_manifest(manifest)  # ...and the process died before sending
    [summary] = runtime(lake, clock, sim).resume()
    assert summary.run_id == manifest.run_id and summary.complete and summary.silver_rows == 3


def test_unreadable_message_is_dead_lettered_not_lost(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    sim = OmdbSimulator({}, SimulatorConfig(api_key=KEY))
    rt = runtime(lake, clock, sim, max_receive_count=2)
    rt.queue.send(['{"run_id": "../../etc", "movies": []}'])
    rt.pump(None)
    [dead] = rt.queue.dead_letters()
    assert "../../etc" in dead.body
    assert not (lake.parent / "etc").exists()


@pytest.mark.parametrize("batch_size", [1, 3])
def test_records_per_invocation_and_batching(
    lake: Path, clock: FakeClock, tmp_path: Path, batch_size: int
) -> None:
    source = synthetic_source(tmp_path, 25)
    ids = [synthetic.imdb_id(i) for i in range(1, 26)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    summary = runtime(lake, clock, sim).run(source=str(source), top_n=25, batch_size=batch_size)
    assert summary.complete and summary.silver_rows == 25
    parts = [p for p in (lake / "bronze" / "omdb").rglob("part-*.jsonl") if p.stat().st_size]
    # one bronze object per enrich invocation (up to 10 messages), not one per movie
    assert len(parts) <= -(-25 // batch_size) and len(parts) >= -(-25 // (10 * batch_size))


def test_refresh_bypasses_the_cache(lake: Path, clock: FakeClock, tmp_path: Path) -> None:
    source = synthetic_source(tmp_path, 3)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 4)]),
        SimulatorConfig(api_key=KEY),
    )
    runtime(lake, clock, sim).run(source=str(source), top_n=3, batch_size=1)
    again = runtime(lake, clock, sim, refresh=True).run(source=str(source), top_n=3, batch_size=1)
    assert again.omdb_requests == 3 and again.cache_hits == 0 and sim.requests == 6


def test_cache_ttl_expiry_fetches_again(lake: Path, clock: FakeClock, tmp_path: Path) -> None:
    source = synthetic_source(tmp_path, 2)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 3)]),
        SimulatorConfig(api_key=KEY),
    )
    runtime(lake, clock, sim, cache_ttl_days=1).run(source=str(source), top_n=2, batch_size=1)
    clock.advance(2 * 86400)
    # fetched_at comes from the real clock; the TTL compares against the runtime's clock
    later = runtime(lake, clock, sim, cache_ttl_days=1).run(
        source=str(source), top_n=2, batch_size=1
    )
    assert later.omdb_requests == 2 and later.complete


@pytest.mark.parametrize("config", [{"api_key": "the-real-key"}, {"api_key": KEY, "quota": 5}])
def test_after_a_rejection_no_invocation_calls_omdb_again(
    lake: Path, clock: FakeClock, tmp_path: Path, config: dict[str, Any]
) -> None:
    """Parallel invocations share the stop: at most the requests already in flight are sent."""
    source = synthetic_source(tmp_path, 60)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 61)]),
        SimulatorConfig(**config),
    )
    summary = runtime(lake, clock, sim, concurrency=8).run(
        source=str(source), top_n=60, batch_size=1
    )
    assert summary.paused is not None and summary.failed == 0
    assert sim.requests <= config.get("quota", 0) + 8
    assert summary.omdb_requests == sim.requests
    if "quota" in config:
        # OMDb's quota does not fail the day: what it left unfetched is pending today.
        assert summary.paused.reason == "quota" and summary.complete
        assert summary.still_queued == 0 and summary.enriched <= config["quota"]
        assert summary.enriched + summary.pending == 60
    else:
        assert not summary.complete
        assert summary.enriched + summary.still_queued == 60


def test_an_unreadable_key_pauses_instead_of_dead_lettering(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    from cinelake.keys import SecretError

    class BrokenSecret:
        def get(self) -> str | None:
            raise SecretError(
                "cannot read secret 'cinelake/omdb' from Secrets Manager (AccessDenied)"
            )

        def forget(self) -> None:
            pass

    source = synthetic_source(tmp_path, 3)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 4)]),
        SimulatorConfig(api_key=KEY),
    )
    rt = runtime(lake, clock, sim)
    rt.deps.keys = BrokenSecret()
    summary = rt.run(source=str(source), top_n=3, batch_size=1)
    assert summary.paused is not None and summary.paused.reason == "invalid_key"
    assert summary.still_queued == 3 and summary.failed == 0 and rt.queue.dead_letters() == []
    assert sim.requests == 0


def test_a_whole_invocation_failure_still_accounts_for_its_movies(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    """The handler never answers (storage broken): on the last receive the runtime records the
    movies as failed, so the run completes instead of leaving them unaccounted."""
    source = synthetic_source(tmp_path, 3)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 4)]),
        SimulatorConfig(api_key=KEY),
    )
    rt = runtime(lake, clock, sim, max_receive_count=2)
    put = rt.deps.bronze.put

    def broken_put(key: str, data: bytes, content_type: str | None = None) -> None:
        if key.startswith("omdb/"):
            raise OSError("disk full")
        put(key, data, content_type)

    rt.deps.bronze.put = broken_put  # type: ignore[method-assign]
    summary = rt.run(source=str(source), top_n=3, batch_size=1)
    assert summary.failed == 3 and summary.unaccounted == 0 and summary.still_queued == 0
    assert all("OSError" in d["error"] for d in summary.dead_letters)
    assert len(rt.queue.dead_letters()) == 3


def test_retry_delays_are_capped_and_the_last_failure_is_not_waited_for(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = synthetic_source(tmp_path, 1)
    broken = synthetic.imdb_id(1)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([broken]),
        SimulatorConfig(api_key=KEY, html_error_ids=frozenset({broken})),
    )
    rt = runtime(lake, clock, sim, max_retries=0, max_receive_count=12, retry_delay_s=1.0)
    start = clock.monotonic()
    summary = rt.run(source=str(source), top_n=1, batch_size=1)
    assert summary.failed == 1 and summary.complete
    # 1+2+4+8+16+32 then 60 s each for the remaining 5 retries; nothing after the 12th failure
    assert clock.monotonic() - start == pytest.approx(63 + 5 * 60)


def test_queued_real_omdb_work_is_not_finished_from_the_sample(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    from cinelake.ops.runs import ModeConflict

    source = synthetic_source(tmp_path, 6)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 7)]),
        SimulatorConfig(api_key="the-real-key"),  # rejects ours: the movies stay queued
    )
    paused = runtime(lake, clock, sim, concurrency=1).run(source=str(source), top_n=6, batch_size=1)
    assert paused.still_queued == 6 and not paused.complete
    offline = LocalRuntime(make_settings(lake, offline=True), clock=clock)
    with pytest.raises(ModeConflict, match="queued for the real OMDb; set OMDB_API_KEY"):
        offline.run(source=str(top_movies_path()), top_n=3, batch_size=1)
    assert offline.queue.counts().pending == 6  # nothing was taken from the queue
