"""Handlers accept the payloads AWS sends and answer in the shapes AWS expects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cinelake import bootstrap
from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.handlers import enrich, ingest, s3_keys
from cinelake.runtime.events import Created, LocalContext, s3_event, sqs_event

from ..conftest import make_settings, write_source

KEY = "handler-key-111"


def deps_for(lake: Path, clock: FakeClock, sim: OmdbSimulator, **kw: Any) -> bootstrap.Deps:
    deps = bootstrap.build_local(
        make_settings(lake, omdb_api_key=KEY, **kw), clock=clock, omdb_transport=sim.transport()
    )
    bootstrap.install(deps)
    return deps


def raw_scheduled_event(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-28T03:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/daily"],
        "detail": detail,
    }


def test_ingest_accepts_a_raw_scheduled_event(lake: Path, clock: FakeClock, tmp_path: Path) -> None:
    source = write_source(tmp_path / "s.json", synthetic.source_list(7)["items"])
    deps = deps_for(lake, clock, OmdbSimulator({}))
    out = ingest.handler(
        raw_scheduled_event({"top_n": 5, "batch_size": 2, "source": str(source)}),
        LocalContext("GetMoviesAndSendToQueue"),
    )
    assert out["queued"] == 5 and out["messages"] == 3
    assert out["snapshot_date"] == "2026-11-28"  # the schedule's time, not the clock's
    assert deps.queue.counts().visible == 3


def test_ingest_uses_settings_when_the_event_is_empty(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = write_source(tmp_path / "s.json", synthetic.source_list(12)["items"])
    deps_for(lake, clock, OmdbSimulator({}), source=str(source))
    out = ingest.handler({}, LocalContext("GetMoviesAndSendToQueue"))
    assert out["queued"] == 10 and out["messages"] == 10 and out["snapshot_date"] == "2026-11-29"


def test_enrich_reports_partial_batch_failures(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    source = write_source(tmp_path / "s.json", synthetic.source_list(3)["items"])
    ids = [synthetic.imdb_id(i) for i in range(1, 4)]
    sim = OmdbSimulator(
        synthetic.omdb_catalog(ids),
        SimulatorConfig(api_key=KEY, html_error_ids=frozenset({ids[1]})),
    )
    deps = deps_for(lake, clock, sim, max_retries=0)
    ingest.handler({"top_n": 3, "source": str(source)}, LocalContext("i"))
    messages = deps.queue.receive(10)
    out = enrich.handler(sqs_event(messages), LocalContext("EnrichAndStoreMovie"))
    failed_body = next(m for m in messages if ids[1] in m.body)
    assert out == {"batchItemFailures": [{"itemIdentifier": failed_body.message_id}]}


def test_enrich_with_every_record_failing_still_answers_in_shape(
    lake: Path, clock: FakeClock
) -> None:
    deps = deps_for(lake, clock, OmdbSimulator({}))
    deps.queue.send(["not json"])
    messages = deps.queue.receive(10)
    out = enrich.handler(sqs_event(messages), LocalContext("EnrichAndStoreMovie"))
    assert out == {"batchItemFailures": [{"itemIdentifier": messages[0].message_id}]}


def test_s3_keys_are_url_decoded() -> None:
    key = "omdb/snapshot_date=2026-11-29/run_id=20261129T030000Z-abcdef/part-01.jsonl"
    event = s3_event([Created("bronze", key, 10)], FakeClock().now())
    assert "%3D" in event["Records"][0]["s3"]["object"]["key"]
    assert s3_keys(event) == [key]


def test_a_retried_schedule_event_reaches_the_same_run(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    """EventBridge retries a failed invocation with the same event: no second run, no duplicates."""
    source = write_source(tmp_path / "s.json", synthetic.source_list(4)["items"])
    deps = deps_for(lake, clock, OmdbSimulator({}))
    event = {
        "time": "2026-11-29T03:00:00Z",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "top_n": 4,
        "batch_size": 1,
        "source": str(source),
    }
    first = ingest.handler(event, LocalContext("GetMoviesAndSendToQueue"))
    clock.advance(90)  # the retry comes a little later
    again = ingest.handler(event, LocalContext("GetMoviesAndSendToQueue"))
    assert again["run_id"] == first["run_id"] and first["run_id"].startswith("20261129T030000Z-")
    assert deps.queue.counts().visible == 4
    assert deps.ledger.run_ids() == [first["run_id"]]
    other = ingest.handler(event | {"id": "another-event"}, LocalContext("GetMoviesAndSendToQueue"))
    assert other["run_id"] != first["run_id"]
