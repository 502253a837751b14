"""S3 requests per enriched movie on the emulated stack: an upper bound (issue 17), and no
request of an enrich invocation that grows with the run (issue 14: completion and the budget).

Counted by the request recorder, not timed. `make bench-s3` prints the figures."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig

from .emulator import EmulatedStack, moto_fidelity

pytestmark = pytest.mark.slow

KEY = "omdb-test-key-5521"
ENRICH = "EnrichAndStoreMovie"
MOVIES = 40
# Per enriched movie today: a cache object and an outcome (PUTs), and the invocation's share of
# its bronze part, stats, tally, fetched index, budget record and pause check (README, costs).
MAX_S3_REQUESTS_PER_MOVIE = 3.6


def test_enrich_s3_requests_per_movie_stay_bounded(
    moto_endpoint: str, template: dict[str, Any]
) -> None:
    ids = [synthetic.imdb_id(i) for i in range(1, MOVIES + 1)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    with sim.serve() as omdb_url, moto_fidelity():
        stack = EmulatedStack(
            moto_endpoint,
            template,
            {
                "Prefix": "cinelake-s3req",
                "TopN": MOVIES,
                "BatchSize": 1,
                "SourceUrl": "s3://cinelake-s3req-sources/top.json",
                "OmdbUrl": omdb_url,
                "OmdbRateLimit": 0,
            },
        )
        admin = stack.admin("s3")
        admin.create_bucket(Bucket="cinelake-s3req-sources")
        admin.put_object(
            Bucket="cinelake-s3req-sources",
            Key="top.json",
            Body=json.dumps(synthetic.source_list(MOVIES)).encode(),
        )
        stack.deploy(secret_value={"api_key": KEY})
        with stack.recorder.installed(), stack.enforce_iam():
            _, event = stack.scheduled_input("DailySchedule", datetime(2026, 11, 29, 3, tzinfo=UTC))
            run_id = stack.invoke("GetMoviesAndSendToQueue", event)["run_id"]
            stack.create_event_source_mapping(ENRICH)
            per_invocation: list[Counter[str]] = []
            states: list[str] = []
            while True:
                before = len(stack.recorder.calls)
                records, response = stack.poll_sqs(ENRICH)
                if not records:
                    break
                assert len(records) == 10 and not (response or {}).get("batchItemFailures")
                per_invocation.append(
                    Counter(
                        c.operation
                        for c in stack.recorder.calls[before:]
                        if c.caller == ENRICH and c.service == "s3"
                    )
                )
                states += [
                    r["state"]
                    for fn, _, out in stack.pump_s3_events()
                    if fn == "ProcessBronzeToSilver"
                    for r in out["runs"]
                ]
    assert len(per_invocation) == MOVIES // 10
    total = sum(sum(c.values()) for c in per_invocation)
    assert total / MOVIES <= MAX_S3_REQUESTS_PER_MOVIE, per_invocation
    # Nothing an invocation does grows with the invocations before it: the last costs what the
    # second did, plus completing the run (its shard's full marker, one listing of the full
    # shards, the completion part).
    assert sum(per_invocation[-1].values()) <= sum(per_invocation[1].values()) + 3, per_invocation
    # Silver waited on each part without counting outcomes, and was built once.
    assert states.count("built") == 1 and states[-1] in ("built", "unchanged")
    parts = stack.keys("BronzeBucket", f"omdb/snapshot_date=2026-11-29/run_id={run_id}/")
    assert sum(k.endswith(f"part-{'0' * 32}.jsonl") for k in parts) == 1
