"""Whole runs: offline answers never stand in for a real OMDb's, the summary's
request count is what OMDb really received, and an enrich invocation running out of time
records its failures instead of vanishing."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from cinelake import accounting
from cinelake.bootstrap import OFFLINE_URL
from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.handlers import enrich, ingest
from cinelake.ops.runs import LocalRuntime
from cinelake.runtime.events import LocalContext, schedule_input, sqs_event
from cinelake.sample import load_omdb_answers, top_movies_path
from cinelake.stages.enrich import OUT_OF_TIME

from ..conftest import make_settings, write_source

KEY = "test-key-0451"


@dataclass
class ShortContext(LocalContext):
    """A Lambda context with little time left."""

    remaining_ms: int = 1500

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def keyed(
    lake: Path, clock: FakeClock, transport: httpx.AsyncBaseTransport | None, **settings: Any
) -> LocalRuntime:
    rt = LocalRuntime(
        make_settings(lake, omdb_api_key=KEY, **settings), clock=clock, omdb_transport=transport
    )
    rt.render_dashboard = lambda: None  # type: ignore[method-assign]
    return rt


def offline(lake: Path, clock: FakeClock) -> LocalRuntime:
    rt = LocalRuntime(make_settings(lake, offline=True), clock=clock)
    rt.render_dashboard = lambda: None  # type: ignore[method-assign]
    return rt


def silver_titles(lake: Path) -> dict[str, str]:
    files = sorted((lake / "silver" / "movies").glob("snapshot_date=*/*.parquet"))
    rows = (
        duckdb.connect()
        .execute("SELECT imdb_id, title FROM read_parquet(?)", [[str(f) for f in files]])
        .fetchall()
    )
    return dict(rows)


def bronze_fetches(lake: Path, run_id: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for part in (lake / "bronze" / "omdb").glob(f"snapshot_date=*/run_id={run_id}/part-*.jsonl"):
        for line in part.read_text().splitlines():
            row = json.loads(line)
            out[row["imdb_id"]] = row["fetch"]
    return out


def synthetic_source(tmp_path: Path, n: int) -> Path:
    return write_source(tmp_path / "top.json", synthetic.source_list(n)["items"])


# -- 1. offline answers are not cached as a real OMDb's -----------------------------------------


def test_an_offline_run_does_not_answer_for_a_keyed_run(lake: Path, clock: FakeClock) -> None:
    source = str(top_movies_path())
    first = offline(lake, clock).run(source=source, top_n=10, batch_size=1)
    assert first.complete and first.enriched == 10
    assert all(
        f["omdb_url"].startswith(OFFLINE_URL) for f in bronze_fetches(lake, first.run_id).values()
    )

    real = {i: a | {"Title": f"REAL {a['Title']}"} for i, a in load_omdb_answers().items()}
    sim = OmdbSimulator(real, SimulatorConfig(api_key=KEY))
    clock.advance(3600)
    second = keyed(lake, clock, sim.transport()).run(source=source, top_n=10, batch_size=1)
    assert second.complete and second.enriched == 10
    assert second.omdb_requests == 10 == sim.requests and second.cache_hits == 0
    titles = silver_titles(lake)
    assert len(titles) == 10 and all(t.startswith("REAL ") for t in titles.values())
    fetched = bronze_fetches(lake, second.run_id)
    assert all(
        f["omdb_url"].startswith("https://www.omdbapi.com/?") and not f["cache_hit"]
        for f in fetched.values()
    )

    # The keyed answers are cached now, and a hit states where they came from.
    clock.advance(3600)
    third = keyed(lake, clock, sim.transport()).run(source=source, top_n=10, batch_size=1)
    assert third.cache_hits == 10 and third.omdb_requests == 0 and sim.requests == 10
    hits = bronze_fetches(lake, third.run_id)
    assert {i: f["omdb_url"] for i, f in hits.items()} == {
        i: f["omdb_url"] for i, f in fetched.items()
    }
    assert all(f["cache_hit"] for f in hits.values())


def test_offline_not_found_is_not_served_to_a_keyed_run(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = str(synthetic_source(tmp_path, 3))  # ids the bundled sample does not have
    first = offline(lake, clock).run(source=source, top_n=3, batch_size=1)
    assert first.not_found == 3

    ids = [synthetic.imdb_id(i) for i in range(1, 4)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    clock.advance(3600)
    second = keyed(lake, clock, sim.transport()).run(source=source, top_n=3, batch_size=1)
    assert second.enriched == 3 and second.not_found == 0 and second.omdb_requests == 3


# -- 2. the summary counts what OMDb really received ------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        SimulatorConfig(api_key="the-real-key"),  # our key is wrong
        SimulatorConfig(api_key=KEY, quota=10),
    ],
)
def test_summary_requests_equal_what_omdb_received(
    lake: Path, clock: FakeClock, tmp_path: Path, config: SimulatorConfig
) -> None:
    source = synthetic_source(tmp_path, 30)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 31)]), config
    )
    summary = keyed(lake, clock, sim.transport(), concurrency=8).run(
        source=str(source), top_n=30, batch_size=1
    )
    assert summary.paused is not None
    assert summary.omdb_requests == sim.requests
    if config.quota:
        assert summary.enriched == 10


# -- 3. an invocation running out of time records its failures ----------------------------------


def test_a_movie_that_outlives_the_invocation_is_failed_and_the_run_completes(
    lake: Path, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = synthetic_source(tmp_path, 4)
    ids = [synthetic.imdb_id(i) for i in range(1, 5)]
    hung = ids[1]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))

    async def handle(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        answer = sim.respond(params)
        if params["i"] == hung:
            # Bounded only so that, without the fix, the test fails instead of hanging.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.Event().wait(), 5)
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    # Every invocation gets 1.5 s (the local function timeout is the visibility timeout):
    # 0.5 s for OMDb, 1 s kept back.
    rt = keyed(
        lake, clock, httpx.MockTransport(handle), max_receive_count=2, visibility_timeout_s=1.5
    )
    # The hung answer would come after 5 s, past both receives' 0.5 s for OMDb: the outcome
    # (out of time, never enriched) is what proves the deadline, not a stopwatch.
    summary = rt.run(source=str(source), top_n=4, batch_size=2)
    assert summary.complete and summary.enriched == 3 and summary.failed == 1
    [dead] = summary.dead_letters
    assert dead["imdb_id"] == hung and OUT_OF_TIME in dead["error"] and dead["attempts"] == 2
    assert sim.requests_by_id[hung] == 2  # one request per receive
    assert summary.omdb_requests == sim.requests
    assert hung not in silver_titles(lake) and len(silver_titles(lake)) == 3


def test_a_slow_omdb_on_loopback_meets_the_deadline(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = synthetic_source(tmp_path, 3)
    ids = [synthetic.imdb_id(i) for i in range(1, 4)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY, latency_s=3.0))
    with sim.serve() as url:
        rt = keyed(lake, clock, None, omdb_url=url, max_receive_count=1)
        run_id = ingest.handler(
            schedule_input(clock.now(), top_n=3, batch_size=3, source=str(source)),
            LocalContext("GetMoviesAndSendToQueue"),
        )["run_id"]
        [message] = rt.queue.receive(10)
        # 3 s of latency against 0.5 s for OMDb: "out of time" below proves it was not awaited.
        out = enrich.handler(sqs_event([message]), ShortContext("EnrichAndStoreMovie", 1500))
    assert out == {"batchItemFailures": [{"itemIdentifier": message.message_id}]}
    outcomes = rt.deps.ledger.outcomes(run_id)
    assert sorted(outcomes) == ids
    assert all(o.status == "failed" and OUT_OF_TIME in (o.detail or "") for o in outcomes.values())
    assert accounting.is_complete(rt.deps.ledger, run_id)
    assert rt.deps.ledger.enrich_stats(run_id)["omdb_requests"] == sim.requests == 3
