"""`cinelake status|dlq list|dlq redrive|query --backend aws --stack NAME` on the emulated stack.

The stack is template.yaml deployed in moto (tests/aws/emulator.py); the CLI finds its buckets
and queues in the stack's outputs (describe_stacks), as it does on AWS, and answers in the same
shapes as on a local lake.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pytest

from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.ops.status import LakeStatus
from tests.conftest import invoke_cli

from .emulator import REGION, EmulatedStack, moto_fidelity

pytestmark = pytest.mark.slow

KEY = "omdb-cli-key-5512"
SOURCE_BUCKET = "cinelake-cli-sources"
SOURCE_KEY = "lists/top.json"
STACK = "cinelake-cli"
BROKEN = synthetic.imdb_id(2)  # OMDb fails it until it is redriven


@pytest.fixture
def deployed(
    moto_endpoint: str, template: dict[str, Any]
) -> Iterator[tuple[EmulatedStack, OmdbSimulator]]:
    ids = [synthetic.imdb_id(i) for i in range(1, 5)]
    sim = OmdbSimulator(
        synthetic.omdb_catalog(ids),
        SimulatorConfig(api_key=KEY, html_error_ids=frozenset({BROKEN})),
    )
    with sim.serve() as omdb_url, moto_fidelity():
        stack = EmulatedStack(
            moto_endpoint,
            template,
            {
                "Prefix": "cinelake-cli",
                "TopN": 3,
                "SourceUrl": f"s3://{SOURCE_BUCKET}/{SOURCE_KEY}",
                "OmdbUrl": omdb_url,
                "OmdbRateLimit": 50,
                "MaxReceiveCount": 1,
            },
            test_env={"CINELAKE_BACKOFF_BASE_S": "0", "CINELAKE_BACKOFF_MAX_S": "0"},
        )
        s3 = stack.admin("s3")
        s3.create_bucket(Bucket=SOURCE_BUCKET)
        s3.put_object(
            Bucket=SOURCE_BUCKET, Key=SOURCE_KEY, Body=json.dumps(synthetic.source_list(4)).encode()
        )
        stack.deploy(secret_value={"api_key": KEY})
        stack.register_outputs(STACK)
        with stack.enforce_iam():
            stack.invoke("GetMoviesAndSendToQueue", {"time": "2026-11-29T03:00:00Z"})
            stack.create_event_source_mapping("EnrichAndStoreMovie")
            stack.poll_sqs("EnrichAndStoreMovie")  # BROKEN fails its only attempt
            stack.pump_s3_events()
            stack.expire_visibility("MoviesQueue")
            stack.poll_sqs("EnrichAndStoreMovie")  # ... and moves to the dead-letter queue
            yield stack, sim


def cli(stack: EmulatedStack, *args: str) -> Any:
    creds = stack.admin_credentials
    return invoke_cli(
        *args,
        AWS_ENDPOINT_URL=stack.endpoint,
        AWS_ACCESS_KEY_ID=creds["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=creds["aws_secret_access_key"],
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )


def test_status_dlq_and_query_operate_the_deployed_stack(
    deployed: tuple[EmulatedStack, OmdbSimulator],
) -> None:
    stack, sim = deployed
    aws = ("--backend", "aws", "--stack", STACK)

    result = cli(stack, "status", *aws, "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert set(status) == {f.name for f in fields(LakeStatus)}  # the local shape
    (run,) = status["runs"]
    assert run["state"] == "complete" and run["enriched"] == 2 and run["failed"] == 1
    assert status["queue"]["dead_letters"] == 1
    assert [d["imdb_id"] for d in status["dead_letters"]] == [BROKEN]
    assert status["failed"][0]["in_dead_letters"] is True
    assert status["gold"]["snapshot_date"] == "2026-11-29"
    table = cli(stack, "status", *aws)
    assert table.exit_code == 0 and run["run_id"] in table.output

    listed = cli(stack, "dlq", "list", *aws, "--json")
    assert listed.exit_code == 0, listed.output
    (dead,) = json.loads(listed.output)
    assert dead["imdb_id"] == BROKEN and dead["run_id"] == run["run_id"] and dead["title"]
    # Listing did not take the message away.
    assert stack.queue_counts("MoviesDeadLetterQueue")["ApproximateNumberOfMessages"] == 1

    rows = cli(
        stack, "query", "select imdb_id from gold_top_rated order by 1", *aws, "--format", "json"
    )
    assert rows.exit_code == 0, rows.output
    assert [r["imdb_id"] for r in json.loads(rows.output)] == sorted(
        {synthetic.imdb_id(1), synthetic.imdb_id(3)}
    )

    # -- OMDb is back: redrive by id; the stack carries the run on ------------------------------
    sim.config.html_error_ids = frozenset()
    wrong = cli(stack, "dlq", "redrive", *aws, "--id", synthetic.imdb_id(9))
    assert wrong.exit_code == 1 and "Not in the dead letters" in wrong.output
    moved = cli(stack, "dlq", "redrive", *aws, "--id", BROKEN)
    assert moved.exit_code == 0, moved.output
    assert "Redrove 1 message(s)" in moved.output
    assert stack.queue_counts("MoviesDeadLetterQueue")["ApproximateNumberOfMessages"] == 0
    with stack.enforce_iam():
        records, _ = stack.poll_sqs("EnrichAndStoreMovie")
        assert len(records) == 1
        stack.pump_s3_events()
    assert stack.failed_invocations == []
    after = json.loads(cli(stack, "status", *aws, "--json").output)
    assert after["runs"][0]["enriched"] == 3 and after["dead_letters"] == []
    assert json.loads(cli(stack, "dlq", "list", *aws, "--json").output) == []

    # -- mistakes are one line, exit 1 ----------------------------------------------------------
    missing = cli(stack, "status", "--backend", "aws", "--stack", "no-such-stack")
    assert missing.exit_code == 1 and "no-such-stack" in missing.output
    assert "Traceback" not in missing.output and len(missing.output.strip().splitlines()) == 1
    no_stack = cli(stack, "dlq", "list", "--backend", "aws")
    assert no_stack.exit_code == 1 and "--stack" in no_stack.output
    local = cli(stack, "query", "select 1", "--stack", STACK)
    assert local.exit_code == 1 and "--backend aws" in local.output
