"""A whole run on template.yaml's stack in moto (server mode), every handler under its own role.

What is real here: the template (every bucket, queue, redrive policy, role policy, environment
variable, S3 filter and schedule input comes from it), moto's S3/SQS/IAM/STS/Secrets Manager
over HTTP with IAM enforcement on, the handlers, boto3, Powertools, and OMDb's behaviour (the
simulator on loopback). What is played by the test: Lambda itself (see tests/aws/emulator.py).

The run: 5 of an 8-movie list uploaded to S3; one movie is "not found", one fails once
(503) then succeeds, one fails every time and is dead-lettered after MaxReceiveCount receives.
Then a second run hits OMDb's daily limit and pauses enrichment. Afterwards every role's grants
are compared with the calls its handler made: an unused grant fails the test.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

import pyarrow.parquet as pq
import pytest

from cinelake.config import Settings
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.runtime.events import schedule_input

from .emulator import EmulatedStack, grant_matches, moto_fidelity

pytestmark = pytest.mark.slow

KEY = "omdb-test-key-7731"
SOURCE_BUCKET = "cinelake-test-sources"
SOURCE_KEY = "lists/top.json"
TOP_N = 5
MAX_RECEIVES = 3

FOUND_FIRST_TRY = [synthetic.imdb_id(1), synthetic.imdb_id(2)]
NOT_FOUND = synthetic.imdb_id(3)
FLAKY = synthetic.imdb_id(4)  # 503 on the first attempt only
BROKEN = synthetic.imdb_id(5)  # 503 on every attempt: dead-lettered

# Grants that no handler code uses because Lambda itself uses them with the function's role.
EXEMPT = {
    "logs:CreateLogStream": "Lambda writes the function's stdout to its log group",
    "logs:PutLogEvents": "Lambda writes the function's stdout to its log group",
}
EXEMPT_SIDS = {
    "LambdaSendsFailedInvocations": "Lambda sends an async invocation that failed all retries "
    "to the function's DeadLetterQueue with the function's role",
    "DeleteGoneHistoryPartitions": "gold deletes a history partition only when its day's silver "
    "is gone, which this scenario never does (tests/unit/gold/test_history.py covers it)",
}

FUNCTION_ROLES = {
    "GetMoviesAndSendToQueue": "IngestFunctionRole",
    "EnrichAndStoreMovie": "EnrichFunctionRole",
    "ProcessBronzeToSilver": "SilverFunctionRole",
    "ProcessSilverToGold": "GoldFunctionRole",
}


def bodies_by_movie(records: list[dict[str, Any]]) -> dict[str, str]:
    return {json.loads(r["body"])["movies"][0]["imdb_id"]: r["messageId"] for r in records}


def failed_ids(response: dict[str, Any] | None) -> set[str]:
    return {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}


@pytest.fixture
def sim() -> OmdbSimulator:
    ids = [synthetic.imdb_id(i) for i in range(1, 9)]
    return OmdbSimulator(
        synthetic.omdb_catalog(ids),
        SimulatorConfig(
            api_key=KEY,
            not_found_ids=frozenset({NOT_FOUND}),
            html_error_ids=frozenset({FLAKY, BROKEN}),
        ),
    )


def test_a_scheduled_run_end_to_end_on_the_emulated_stack(
    moto_endpoint: str, template: dict[str, Any], sim: OmdbSimulator
) -> None:
    with sim.serve() as omdb_url, moto_fidelity():
        parameters = {
            "Prefix": "cinelake-e2e",
            "TopN": TOP_N,
            "BatchSize": 1,
            "SourceUrl": f"s3://{SOURCE_BUCKET}/{SOURCE_KEY}",
            "OmdbUrl": omdb_url,
            "OmdbRateLimit": 50,
            "MaxReceiveCount": MAX_RECEIVES,
        }
        # The only settings the template does not give: no retry back-off, so a 503 fails fast.
        stack = EmulatedStack(
            moto_endpoint,
            template,
            parameters,
            test_env={
                "CINELAKE_BACKOFF_BASE_S": "0",
                "CINELAKE_BACKOFF_MAX_S": "0",
            },
        )
        admin_s3 = stack.admin("s3")
        admin_s3.create_bucket(Bucket=SOURCE_BUCKET)
        admin_s3.put_object(
            Bucket=SOURCE_BUCKET, Key=SOURCE_KEY, Body=json.dumps(synthetic.source_list(8)).encode()
        )
        stack.deploy(secret_value={"api_key": KEY})

        with stack.recorder.installed(), stack.enforce_iam():
            run_scenario(stack, sim)
            check_least_privilege(stack)
        check_logs(stack)


def run_scenario(stack: EmulatedStack, sim: OmdbSimulator) -> None:
    # -- the dummy credentials no longer work: IAM is enforced -----------------------------------
    import boto3
    from botocore.exceptions import ClientError

    outsider = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("s3", endpoint_url=stack.endpoint)
    with pytest.raises(ClientError):
        outsider.list_objects_v2(Bucket=stack.bucket_name("BronzeBucket"))

    # -- 03:00 UTC: EventBridge -> GetMoviesAndSendToQueue ----------------------------------------
    when = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    ingest_id, event = stack.scheduled_input("DailySchedule", when)
    assert ingest_id == "GetMoviesAndSendToQueue"
    # Exactly what the local runtime hands the handler (schedule + template parameters).
    assert event == schedule_input(
        when, top_n=TOP_N, batch_size=1, source=None, event_id=event["id"]
    )
    started = stack.invoke(ingest_id, event)
    assert started["queued"] == TOP_N and started["snapshot_date"] == "2026-11-29"
    run_id = started["run_id"]
    assert stack.queue_counts("MoviesQueue")["ApproximateNumberOfMessages"] == TOP_N
    # EventBridge retries an invocation it thinks failed, with the same event: same run, no
    # second copy of the movies in the queue.
    assert stack.invoke(ingest_id, event)["run_id"] == run_id
    assert stack.queue_counts("MoviesQueue")["ApproximateNumberOfMessages"] == TOP_N
    assert stack.pump_s3_events() == []  # the run ledger (_runs/) is no trigger

    # -- the SQS event source: first batch, two movies fail ---------------------------------------
    stack.create_event_source_mapping("EnrichAndStoreMovie")
    records, response = stack.poll_sqs("EnrichAndStoreMovie")
    by_movie = bodies_by_movie(records)
    assert set(by_movie) == {*FOUND_FIRST_TRY, NOT_FOUND, FLAKY, BROKEN}
    assert failed_ids(response) == {by_movie[FLAKY], by_movie[BROKEN]}
    counts = stack.queue_counts("MoviesQueue")
    assert counts["ApproximateNumberOfMessagesNotVisible"] == 2  # they stay in the queue
    assert counts["ApproximateNumberOfMessages"] == 0
    delivered = stack.pump_s3_events()
    assert [(fn, out["runs"][0]["state"]) for fn, _, out in delivered] == [
        ("ProcessBronzeToSilver", "waiting")
    ]
    s3_event = delivered[0][1]["Records"][0]
    assert s3_event["eventName"].startswith("ObjectCreated:")
    key = unquote_plus(s3_event["s3"]["object"]["key"])  # S3 URL-encodes keys in notifications
    assert key.startswith(f"omdb/snapshot_date=2026-11-29/run_id={run_id}/part-")

    # -- the visibility timeout passes; OMDb is back for FLAKY only -------------------------------
    sim.config.html_error_ids = frozenset({BROKEN})
    stack.expire_visibility("MoviesQueue")
    records, response = stack.poll_sqs("EnrichAndStoreMovie")
    assert {json.loads(r["body"])["movies"][0]["imdb_id"] for r in records} == {FLAKY, BROKEN}
    assert all(r["attributes"]["ApproximateReceiveCount"] == "2" for r in records)
    assert failed_ids(response) == {by_movie[BROKEN]}
    delivered = stack.pump_s3_events()
    assert [out["runs"][0]["state"] for _, _, out in delivered] == ["waiting"]

    # -- last attempt (receive count == MaxReceiveCount): the movie is accounted as failed -------
    stack.expire_visibility("MoviesQueue")
    records, response = stack.poll_sqs("EnrichAndStoreMovie")
    assert [r["attributes"]["ApproximateReceiveCount"] for r in records] == [str(MAX_RECEIVES)]
    assert failed_ids(response) == {by_movie[BROKEN]}
    delivered = stack.pump_s3_events()
    functions = [fn for fn, _, _ in delivered]
    assert functions == ["ProcessBronzeToSilver", "ProcessSilverToGold"], delivered
    silver = delivered[0][2]["runs"][0]
    assert silver["state"] == "built" and silver["rows"] == 3 and silver["not_found"] == 1
    assert delivered[1][2]["built"] is True

    last_silver_event = delivered[0][1]

    # -- the redrive policy moves it to the dead-letter queue on the next receive ----------------
    stack.expire_visibility("MoviesQueue")
    assert stack.poll_sqs("EnrichAndStoreMovie") == ([], None)
    assert stack.queue_counts("MoviesDeadLetterQueue")["ApproximateNumberOfMessages"] == 1

    # -- gold is in the gold bucket ---------------------------------------------------------------
    from cinelake.gold.datasets import DATASETS

    gold = set(stack.keys("GoldBucket"))
    for ds in DATASETS:
        data = (
            f"{ds.name}/snapshot_date=2026-11-29/data.parquet"  # a history dataset's day
            if ds.partition_column
            else f"{ds.name}/data.parquet"
        )
        assert {
            data,
            f"csv/{ds.name}.csv",
            f"quicksight/{ds.name}.json",
            f"athena/{ds.name}.sql",
        } <= gold, ds.name
    assert "_manifest.json" in gold
    top = pq.read_table(io.BytesIO(stack.get("GoldBucket", "top_rated/data.parquet")))
    assert sorted(top.column("imdb_id").to_pylist()) == sorted([*FOUND_FIRST_TRY, FLAKY])
    manifest = json.loads(stack.get("GoldBucket", "quicksight/top_rated.json"))
    assert (
        json.dumps(manifest).count(f"s3://{stack.bucket_name('GoldBucket')}/csv/top_rated.csv") == 1
    )
    silver_keys = stack.keys("SilverBucket")
    assert "movies/snapshot_date=2026-11-29/data.parquet" in silver_keys
    assert "lists/snapshot_date=2026-11-29/data.parquet" in silver_keys
    # the gold role read the partitions' fingerprints back: a second build writes none again
    assert "_history_partitions.json" in gold
    tries = Settings.model_fields["max_retries"].default + 1  # per delivery, then SQS redelivers
    assert sim.requests_by_id[BROKEN] == MAX_RECEIVES * tries

    # -- S3 delivers the last bronze event again (at-least-once): nothing is rebuilt ------------
    again = stack.invoke_async("ProcessBronzeToSilver", last_silver_event)
    assert again is not None, stack.failed_invocations  # None: every retry failed
    assert [r["state"] for r in again["runs"]] == ["unchanged"]
    assert stack.pump_s3_events() == []  # unchanged writes nothing: no silver event, no gold

    # -- OMDb is back: the operator redrives the dead letter; the run is rebuilt with it --------
    sim.config.html_error_ids = frozenset()
    redrive_dead_letters(stack)
    records, response = stack.poll_sqs("EnrichAndStoreMovie")
    assert [json.loads(r["body"])["movies"][0]["imdb_id"] for r in records] == [BROKEN]
    assert failed_ids(response) == set()
    delivered = stack.pump_s3_events()
    # The answer's part builds silver, gold once. The run was complete already: its one
    # completion part (written by the invocation that completed it) is not written again.
    assert [(fn, (out or {}).get("runs", [{}])[0].get("state")) for fn, _, out in delivered] == [
        ("ProcessBronzeToSilver", "built"),
        ("ProcessSilverToGold", None),
    ], delivered
    assert delivered[0][2]["runs"][0]["rows"] == 4
    assert delivered[1][2]["built"] is True
    run_parts = stack.keys("BronzeBucket", f"omdb/snapshot_date=2026-11-29/run_id={run_id}/")
    assert [k for k in run_parts if k.endswith(f"part-{'0' * 32}.jsonl")] == [
        f"omdb/snapshot_date=2026-11-29/run_id={run_id}/part-{'0' * 32}.jsonl"
    ]
    assert stack.failed_invocations == []
    assert set(stack.queue_counts("FailedInvocationsQueue").values()) == {0}

    # -- a second run reaches OMDb's daily limit: no more requests today, yet the day completes:
    # the movies OMDb did not answer are pending (first in line tomorrow), none waits queued --
    sim.config.quota = sim.quota_used
    second = stack.invoke(
        "GetMoviesAndSendToQueue", {"time": "2026-11-29T15:00:00Z", "top_n": 7, "batch_size": 1}
    )
    records, response = stack.poll_sqs("EnrichAndStoreMovie")
    assert len(records) == 7 and failed_ids(response) == set()
    assert "_control/enrichment_paused.json" in stack.keys("BronzeBucket", "_control/")
    counts = stack.queue_counts("MoviesQueue")
    assert counts["ApproximateNumberOfMessagesDelayed"] == 0
    assert counts["ApproximateNumberOfMessages"] == 0
    # The 5 cached answers (BROKEN's since its redrive) were written; the 2 new movies are pending.
    outcomes = {
        k.rsplit("/", 1)[1].removesuffix(".json"): json.loads(stack.get("BronzeBucket", k))[
            "status"
        ]
        for k in stack.keys("BronzeBucket", f"_runs/{second['run_id']}/outcomes/")
    }
    assert sorted(outcomes.values()).count("pending") == 2 and len(outcomes) == 7
    assert outcomes[BROKEN] == "enriched"
    delivered = stack.pump_s3_events()
    silver = [out["runs"][0] for _, _, out in delivered if "runs" in out]
    assert (second["run_id"], "built") in [(r["run_id"], r["state"]) for r in silver]

    # -- the operator lifts the pause; a third run finds the key rejected: enrichment pauses
    # and the movies with no answer wait in the queue, put back delayed --------------------
    stack.admin("s3").delete_object(
        Bucket=stack.bucket_name("BronzeBucket"), Key="_control/enrichment_paused.json"
    )
    sim.config.quota, sim.config.revoked_after = None, 0
    third = stack.invoke(
        "GetMoviesAndSendToQueue", {"time": "2026-11-29T16:00:00Z", "top_n": 7, "batch_size": 1}
    )
    records, response = stack.poll_sqs("EnrichAndStoreMovie")
    assert len(records) == 7 and failed_ids(response) == set()
    paused = json.loads(stack.get("BronzeBucket", "_control/enrichment_paused.json"))
    assert paused["reason"] == "invalid_key"
    # The 5 cached answers were written; the 2 new movies were put back, delayed.
    assert stack.queue_counts("MoviesQueue")["ApproximateNumberOfMessagesDelayed"] == 2
    delivered = stack.pump_s3_events()
    silver = [out["runs"][0] for _, _, out in delivered if "runs" in out]
    assert [(r["run_id"], r["state"]) for r in silver] == [(third["run_id"], "waiting")]


def redrive_dead_letters(stack: EmulatedStack) -> None:
    """Every dead letter back into the movies queue (what `cinelake dlq redrive` does)."""
    sqs = stack.admin("sqs")
    dlq = stack.queue_urls["MoviesDeadLetterQueue"]
    for m in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]:
        sqs.send_message(QueueUrl=stack.queue_urls["MoviesQueue"], MessageBody=m["Body"])
        sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])


def check_least_privilege(stack: EmulatedStack) -> None:
    """Every call used the function's own role; every grant was used (or is Lambda's own)."""
    problems: list[str] = []
    for function, role in FUNCTION_ROLES.items():
        calls = stack.recorder.by(function)
        assert calls, f"{function} made no AWS call"
        own_key = stack.role_credentials[role]["aws_access_key_id"]
        assert {c.access_key for c in calls} == {own_key}, f"{function} used foreign credentials"
        grants = stack.role_grants(role)
        for call in calls:
            if not any(grant_matches(a, r, call) for _, a, r in grants):
                problems.append(f"{function}: {call.action} on {call.resource} is not granted")
        for sid, action, resource in grants:
            if action in EXEMPT or sid in EXEMPT_SIDS:
                continue
            if not any(grant_matches(action, resource, c) for c in calls):
                problems.append(f"{role}/{sid}: {action} on {resource} is never used by {function}")
    assert not problems, "least privilege:\n" + "\n".join(problems)


def check_logs(stack: EmulatedStack) -> None:
    """Structured JSON lines with the Lambda context, and run_id / imdb_id where they apply."""
    records = stack.log_records()
    assert records
    for r in records:
        assert r["service"] == "cinelake" and "function_name" in r and "level" in r
    queued = [r for r in records if r["message"] == "run queued"]
    assert queued and all(r.get("run_id") for r in queued)
    not_enriched = [r for r in records if r["message"] == "movie not enriched"]
    assert {r["imdb_id"] for r in not_enriched} == {FLAKY, BROKEN}
    assert all(r.get("run_id") for r in not_enriched)
    assert any(r.get("dead_letter") for r in not_enriched if r["imdb_id"] == BROKEN)
    text = json.dumps(records)
    assert KEY not in text  # the OMDb key never reaches a log line


def test_a_grant_missing_from_the_template_is_denied(
    moto_endpoint: str, template: dict[str, Any]
) -> None:
    """The enforcement is real: drop one statement from a role and its handler fails."""
    import copy

    from botocore.exceptions import ClientError

    mutated = copy.deepcopy(template)
    policy = mutated["Resources"]["IngestFunctionRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]
    policy["Statement"] = [st for st in policy["Statement"] if st.get("Sid") != "QueueMovies"]
    with moto_fidelity():
        # SourceUrl empty: the bundled sample (the default, imdb-datasets, would need the network).
        stack = EmulatedStack(moto_endpoint, mutated, {"Prefix": "cinelake-deny", "SourceUrl": ""})
        stack.deploy(secret_value={"api_key": KEY})
        with stack.recorder.installed(), stack.enforce_iam():
            _, event = stack.scheduled_input("DailySchedule", datetime(2026, 11, 29, 3, tzinfo=UTC))
            with pytest.raises(ClientError) as denied:
                stack.invoke("GetMoviesAndSendToQueue", event)
        # 403 (moto answers SQS's JSON protocol with an XML AccessDenied body botocore cannot
        # parse)
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert denied.value.operation_name == "SendMessageBatch"
        # The denied call is the send itself, after the manifest was written (its grant is
        # there)...
        assert stack.recorder.by("GetMoviesAndSendToQueue")[-1].action == "sqs:SendMessage"
        manifests = [
            k for k in stack.keys("BronzeBucket", "_runs/") if k.endswith("/manifest.json")
        ]
        assert len(manifests) == 1
        manifest = json.loads(stack.get("BronzeBucket", manifests[0]))
        assert manifest["snapshot_date"] == "2026-11-29"
        assert len(manifest["movies"]) == manifest["top_n"] > 0
        # ...and nothing reached the queue, visible or in flight.
        assert set(stack.queue_counts("MoviesQueue").values()) == {0}


@pytest.mark.parametrize(
    "version,ok",
    [("5.2.0", True), ("5.2.5", True), ("5.1.22", False), ("5.3.0", False), ("6.0.0", False)],
)
def test_the_emulator_refuses_a_moto_it_was_not_checked_against(version: str, ok: bool) -> None:
    from tests.aws.emulator import check_moto_version

    if ok:
        check_moto_version(version)
    else:
        with pytest.raises(RuntimeError, match="outside the range"):
            check_moto_version(version)


def test_a_normal_day_a_skipped_day_and_a_deleted_secret(
    moto_endpoint: str, template: dict[str, Any]
) -> None:
    """Operating the stack: a clean day raises no alarm; a day without a run trips freshness;
    a deleted OMDb secret is an ERROR naming it, then the paused alarm; the restored secret is
    read by the next invocation. The functions' clock is the test's."""
    from cinelake.clock import FakeClock

    ids = [synthetic.imdb_id(i) for i in range(1, 9)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    day1 = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    clock = FakeClock(day1)
    hour = 3600.0
    with sim.serve() as omdb_url, moto_fidelity():
        parameters = {
            "Prefix": "cinelake-ops",
            "TopN": 3,
            "SourceUrl": f"s3://{SOURCE_BUCKET}/{SOURCE_KEY}",
            "OmdbUrl": omdb_url,
            "OmdbRateLimit": 50,
            "PausedAlarmMinutes": 60,
        }
        stack = EmulatedStack(moto_endpoint, template, parameters, clock=clock)
        admin_s3 = stack.admin("s3")
        admin_s3.create_bucket(Bucket=SOURCE_BUCKET)
        admin_s3.put_object(
            Bucket=SOURCE_BUCKET, Key=SOURCE_KEY, Body=json.dumps(synthetic.source_list(8)).encode()
        )
        stack.deploy(secret_value={"api_key": KEY})
        with stack.enforce_iam():
            # -- day 1: every movie answered in one batch: its data part and the completion
            # marker both reach bronze->silver; the second finds the same inputs ------------------
            _, event = stack.scheduled_input("DailySchedule", day1)
            stack.invoke("GetMoviesAndSendToQueue", event)
            stack.create_event_source_mapping("EnrichAndStoreMovie")
            records, response = stack.poll_sqs("EnrichAndStoreMovie")
            assert len(records) == 3 and failed_ids(response) == set()
            delivered = stack.pump_s3_events()
            assert [
                (fn, (out or {}).get("runs", [{}])[0].get("state")) for fn, _, out in delivered
            ] == [
                ("ProcessBronzeToSilver", "built"),
                ("ProcessBronzeToSilver", "unchanged"),
                ("ProcessSilverToGold", None),
            ], stack.failed_invocations
            assert stack.failed_invocations == []
            assert set(stack.queue_counts("FailedInvocationsQueue").values()) == {0}
            published = stack.metric("GoldSnapshotsPublished")
            assert [p.namespace for p in published] == ["Cinelake/cinelake-ops"]

            # -- freshness: quiet through the next day's slack; day 2 has no run -------------------
            assert stack.alarm_state("GoldFreshnessAlarm", day1 + timedelta(hours=25)) == "OK"
            assert stack.alarm_state("GoldFreshnessAlarm", day1 + timedelta(hours=28)) == "ALARM"

            # -- day 3: the secret is gone --------------------------------------------------------
            stack.admin("secretsmanager").delete_secret(
                SecretId=stack.secret_name, ForceDeleteWithoutRecovery=True
            )
            clock.set(day1 + timedelta(days=2))
            stack.expire_parameter_caches()  # two days: far beyond the secret cache's max_age
            # Two more movies than day 1: the cached three need no key, the new two do.
            stack.invoke("GetMoviesAndSendToQueue", {"time": clock.now().isoformat(), "top_n": 5})
            records, response = stack.poll_sqs("EnrichAndStoreMovie")
            assert len(records) == 5 and failed_ids(response) == set()  # paused, not failed
            errors = [r for r in stack.log_records() if r["level"] == "ERROR"]
            # The cause, not "key rejected": with the role's grant scoped to the secret's ARN, a
            # missing secret is refused (403 AccessDenied, as on AWS: the ARN cannot match).
            assert len(errors) == 1, errors
            cause = errors[0]["error"]
            assert f"cannot read secret {stack.secret_name!r} from Secrets Manager" in cause
            assert "GetSecretValue" in cause and ("403" in cause or "AccessDenied" in cause)
            assert [p.value for p in stack.metric("OmdbKeyErrors")] == [1.0]
            assert stack.alarm_state("OmdbKeyErrorsAlarm", clock.now() + timedelta(hours=1)) == (
                "ALARM"
            )
            # Every 15 minutes the requeued movies come back and find the key still missing.
            minutes: list[float] = []
            while not minutes or minutes[-1] < 60:
                assert stack.alarm_state("EnrichmentPausedAlarm", clock.now()) == "OK"
                clock.advance(hour / 4)
                stack.expire_delays("MoviesQueue")
                records, response = stack.poll_sqs("EnrichAndStoreMovie")
                assert len(records) == 2 and failed_ids(response) == set()
                minutes = [p.value for p in stack.metric("EnrichmentPausedMinutes")]
            assert minutes == [0.0, 15.0, 30.0, 45.0, 60.0]
            assert stack.alarm_state("EnrichmentPausedAlarm", clock.now() + timedelta(hours=1)) == (
                "ALARM"
            )
            assert stack.queue_counts("MoviesDeadLetterQueue")["ApproximateNumberOfMessages"] == 0

            # -- the secret is restored: the next invocation after the pause reads it -----------
            stack.admin("secretsmanager").create_secret(
                Name=stack.secret_name, SecretString=json.dumps({"api_key": KEY})
            )
            clock.advance(hour / 4)
            stack.expire_delays("MoviesQueue")
            records, response = stack.poll_sqs("EnrichAndStoreMovie")
            assert len(records) == 2 and failed_ids(response) == set()
            delivered = stack.pump_s3_events()
            assert delivered[0][0] == "ProcessBronzeToSilver"
            assert delivered[0][2]["runs"][0]["state"] == "built"
            assert stack.failed_invocations == []
        assert KEY not in json.dumps(stack.log_records())


def test_a_snapshot_whose_quality_fails_is_published_and_raises_the_alarm(
    moto_endpoint: str, template: dict[str, Any]
) -> None:
    """The stack asks for the top 10 of a list of 8: gold is published all the same, its
    data_quality row says fail naming the short list, the gold function emits DataQualityFail
    (and no other verdict), and the template's alarm on it goes off."""
    from cinelake.clock import FakeClock

    ids = [synthetic.imdb_id(i) for i in range(1, 9)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    day = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    clock = FakeClock(day)
    with sim.serve() as omdb_url, moto_fidelity():
        parameters = {
            "Prefix": "cinelake-dq",
            "TopN": 10,
            "SourceUrl": f"s3://{SOURCE_BUCKET}/{SOURCE_KEY}",
            "OmdbUrl": omdb_url,
            "OmdbRateLimit": 50,
        }
        stack = EmulatedStack(moto_endpoint, template, parameters, clock=clock)
        admin_s3 = stack.admin("s3")
        admin_s3.create_bucket(Bucket=SOURCE_BUCKET)
        admin_s3.put_object(
            Bucket=SOURCE_BUCKET, Key=SOURCE_KEY, Body=json.dumps(synthetic.source_list(8)).encode()
        )
        stack.deploy(secret_value={"api_key": KEY})
        with stack.enforce_iam():
            assert stack.alarm_state("DataQualityFailAlarm", day) == "OK"
            _, event = stack.scheduled_input("DailySchedule", day)
            stack.invoke("GetMoviesAndSendToQueue", event)
            stack.create_event_source_mapping("EnrichAndStoreMovie")
            records, response = stack.poll_sqs("EnrichAndStoreMovie")
            assert len(records) == 8 and failed_ids(response) == set()
            delivered = stack.pump_s3_events()
            assert delivered[-1][0] == "ProcessSilverToGold", delivered
            assert stack.failed_invocations == []
        # Published: the eight movies are in gold.
        top = pq.read_table(io.BytesIO(stack.get("GoldBucket", "top_rated/data.parquet")))
        assert top.num_rows == 8
        [row] = pq.read_table(
            io.BytesIO(stack.get("GoldBucket", "data_quality/data.parquet"))
        ).to_pylist()
        assert (row["movies_expected"], row["source_movies"], row["status"]) == (10, 8, "fail")
        assert "source_list_coverage=0.8 (fail below 0.9)" in row["failed_checks"]
        checks = pq.read_table(
            io.BytesIO(stack.get("GoldBucket", "data_quality_checks/data.parquet"))
        )
        assert "source_list_coverage" in checks.column("check").to_pylist()
        # One metric for the verdict, in the stack's namespace, and the alarm on it.
        fails = stack.metric("DataQualityFail")
        assert [(p.namespace, p.value) for p in fails] == [("Cinelake/cinelake-dq", 1.0)]
        assert stack.metric("DataQualityPass") == [] and stack.metric("DataQualityWarn") == []
        assert stack.alarm_state("DataQualityFailAlarm", day + timedelta(hours=1)) == "ALARM"
        # A verdict is an hour's news: the next hours without a failing build are quiet.
        assert stack.alarm_state("DataQualityFailAlarm", day + timedelta(hours=3)) == "OK"
