"""template.yaml: linted, scanned, and held to what the code expects of it."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cinelake.aws import glue_tables
from cinelake.aws.cfn import TEMPLATE_PATH, Stack, function_properties
from cinelake.config import Settings
from cinelake.layout import MOVIES_PREFIX, OMDB_CACHE_PREFIX, OMDB_PREFIX
from cinelake.runtime.events import schedule_input

from .emulator import ACCOUNT, REGION

ROOT = TEMPLATE_PATH.parent
FUNCTIONS = {
    "GetMoviesAndSendToQueue": "cinelake.handlers.ingest.handler",
    "EnrichAndStoreMovie": "cinelake.handlers.enrich.handler",
    "ProcessBronzeToSilver": "cinelake.handlers.bronze_to_silver.handler",
    "ProcessSilverToGold": "cinelake.handlers.silver_to_gold.handler",
}


def tool(name: str) -> str:
    """A console script of this environment (the venv's bin), else on PATH, else skip."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]' installs it)")
    return found


def names(stack: Stack) -> Stack:
    """Resolve references the way CloudFormation would name things, without a deployment."""

    def ref(lid: str, res: dict[str, Any]) -> Any:
        props = res.get("Properties", {})
        for key in ("BucketName", "QueueName", "FunctionName", "Name", "TopicName", "LayerName"):
            if key in props:
                return stack.resolve(props[key])
        if res["Type"] == "AWS::Glue::Database":
            return stack.resolve(props["DatabaseInput"]["Name"])
        return lid

    def att(lid: str, attribute: str, res: dict[str, Any]) -> Any:
        name = ref(lid, res)
        kind = res["Type"]
        arns = {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::Events::Rule": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}",
        }
        if attribute == "Arn":
            return arns[kind]
        if attribute == "QueueName":
            return name
        raise LookupError(f"{lid}.{attribute}")

    stack.ref_resolver, stack.att_resolver = ref, att
    return stack


@pytest.fixture
def stack(template: dict[str, Any]) -> Stack:
    return names(Stack(template, account_id=ACCOUNT, region=REGION))


# ------------------------------------------------------------------------------------------
# Linters
# ------------------------------------------------------------------------------------------


def test_cfn_lint_reports_nothing() -> None:
    result = subprocess.run(
        [tool("cfn-lint"), str(TEMPLATE_PATH)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_finds_no_failed_check_and_every_skip_says_why(template: dict[str, Any]) -> None:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    env.pop("LOG_LEVEL", None)
    result = subprocess.run(
        [
            tool("checkov"),
            "-f",
            str(TEMPLATE_PATH),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--skip-download",
            "--compact",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = report["results"].get("failed_checks", [])
    assert summary["failed"] == 0 and summary["parsing_errors"] == 0, [
        (c["check_id"], c["resource"], c["check_name"]) for c in failed
    ]
    assert summary["passed"] > 50  # it really scanned the resources
    for lid, res in template["Resources"].items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (lid, skip)
            assert len(skip.get("comment", "").split()) >= 5, (
                f"{lid}: skip {skip['id']} needs a reason"
            )


# ------------------------------------------------------------------------------------------
# Generated parts
# ------------------------------------------------------------------------------------------


def test_glue_tables_are_generated_from_the_gold_datasets(template: dict[str, Any]) -> None:
    from cinelake.gold.datasets import DATASETS

    tables = glue_tables.template_tables(template)
    assert tables == glue_tables.glue_resources(), (
        "template.yaml's Glue tables are out of date: python -m cinelake.aws.glue_tables --write"
    )
    assert len(tables) == len(DATASETS)
    assert TEMPLATE_PATH.read_text().count(glue_tables.render_block()) == 1
    assert glue_tables.main(["--check"]) == 0


def test_glue_tables_point_at_the_gold_objects(stack: Stack) -> None:
    gold = stack.resolve({"Ref": "GoldBucket"})
    for lid in stack.of_type("AWS::Glue::Table"):
        table = stack.properties(lid)["TableInput"]
        dataset = table["Name"].removeprefix("gold_")
        assert table["StorageDescriptor"]["Location"] == f"s3://{gold}/{dataset}/"
        assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith(
            "ParquetHiveSerDe"
        )
        assert stack.properties(lid)["DatabaseName"] == "cinelake"


def test_history_tables_are_partitioned_by_date_with_projection(stack: Stack) -> None:
    from cinelake import layout
    from cinelake.gold.datasets import DATASETS

    gold = stack.resolve({"Ref": "GoldBucket"})
    partitioned = {ds.name: ds for ds in DATASETS if ds.partition_column is not None}
    assert set(partitioned) == {"movers", "rank_history"}
    for lid in stack.of_type("AWS::Glue::Table"):
        table = stack.properties(lid)["TableInput"]
        dataset = table["Name"].removeprefix("gold_")
        params = table["Parameters"]
        if dataset not in partitioned:
            assert "PartitionKeys" not in table and "projection.enabled" not in params
            continue
        assert table["PartitionKeys"][0]["Name"] == "snapshot_date"
        assert table["PartitionKeys"][0]["Type"] == "date"
        columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
        assert "snapshot_date" not in columns  # in the path only
        assert columns == [c for c in partitioned[dataset].column_names if c != "snapshot_date"]
        assert params["projection.enabled"] == "true"
        assert params["projection.snapshot_date.type"] == "date"
        assert params["projection.snapshot_date.format"] == "yyyy-MM-dd"
        assert params["projection.snapshot_date.range"] == "1990-01-01,NOW"
        template = params["storage.location.template"]
        # The folder the gold stage writes, with Athena's placeholder for the date.
        example = layout.gold_partition_key(dataset, date(2026, 11, 29)).rsplit("/", 1)[0]
        assert template == f"s3://{gold}/" + example.replace("2026-11-29", "${snapshot_date}") + "/"


# ------------------------------------------------------------------------------------------
# Functions, roles, triggers
# ------------------------------------------------------------------------------------------


def test_four_functions_run_this_package_on_the_packaged_runtime(
    template: dict[str, Any], package_script: Any
) -> None:
    package = package_script
    functions = {
        lid: function_properties(template, lid)
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert {lid: p["Handler"] for lid, p in functions.items()} == FUNCTIONS
    for lid, props in functions.items():
        module, _, attr = props["Handler"].rpartition(".")
        assert callable(getattr(importlib.import_module(module), attr)), lid
        assert props["Runtime"] == package.RUNTIME
        assert props["Architectures"] == ["arm64"] and package.ARCH == "aarch64"
        assert props["CodeUri"] == "build/lambda/cinelake.zip"
        # On the function, not in Globals: `sam build` rewrites a function's or layer's zip
        # path for .aws-sam/build/template.yaml, but leaves a global CodeUri pointing nowhere.
        assert "CodeUri" in template["Resources"][lid]["Properties"]
        layers = [
            template["Resources"][x["Ref"]]["Properties"]["ContentUri"] for x in props["Layers"]
        ]
        assert layers[0] == "build/lambda/layer-core.zip"
        # ingest reads the imdb-datasets files with DuckDB; enrich needs neither duckdb nor pyarrow.
        wants_lake = lid in (
            "GetMoviesAndSendToQueue",
            "ProcessBronzeToSilver",
            "ProcessSilverToGold",
        )
        assert ("build/lambda/layer-lake.zip" in layers) == wants_lake, lid


def test_one_role_per_function_and_no_role_made_by_sam(template: dict[str, Any]) -> None:
    roles = {}
    for lid in FUNCTIONS:
        props = template["Resources"][lid]["Properties"]
        assert "Policies" not in props, f"{lid}: SAM would make a role with these"
        role = props["Role"]["Fn::GetAtt"][0]
        assert template["Resources"][role]["Type"] == "AWS::IAM::Role"
        roles[lid] = role
    assert len(set(roles.values())) == len(roles)
    for role in roles.values():
        props = template["Resources"][role]["Properties"]
        assert not props.get("ManagedPolicyArns")
        trust = props["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
        for policy in props["Policies"]:
            for st in policy["PolicyDocument"]["Statement"]:
                st = st["Fn::If"][1] if "Fn::If" in st else st
                assert st["Effect"] == "Allow" and st.get("Sid")
                assert "*" not in json.dumps(st["Action"]), st  # no wildcard actions
                if st["Sid"] == "WriteTraces":  # X-Ray's write actions have no resource scope
                    assert st["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
                    continue
                assert st["Resource"] != "*", st


def test_environment_variables_are_settings_and_name_the_right_resources(stack: Stack) -> None:
    for lid in FUNCTIONS:
        env = stack.properties(lid)["Environment"]["Variables"]
        assert env["CINELAKE_BACKEND"] == "aws"
        for var in env:
            if var.startswith("CINELAKE_"):
                assert var.removeprefix("CINELAKE_").lower() in Settings.model_fields, var
        for layer in ("BRONZE", "SILVER", "GOLD"):
            if f"CINELAKE_{layer}_BUCKET" in env:
                bucket = stack.resolve({"Ref": f"{layer.capitalize()}Bucket"})
                assert env[f"CINELAKE_{layer}_BUCKET"] == bucket


def test_redrive_and_the_handlers_last_attempt_use_the_same_parameter(
    template: dict[str, Any],
) -> None:
    stack = names(Stack(template, {"MaxReceiveCount": 7}, account_id=ACCOUNT, region=REGION))
    queue = stack.properties("MoviesQueue")
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": stack.resolve({"Fn::GetAtt": ["MoviesDeadLetterQueue", "Arn"]}),
        "maxReceiveCount": "7",
    }
    enrich = stack.properties("EnrichAndStoreMovie")
    assert enrich["Environment"]["Variables"]["CINELAKE_MAX_RECEIVE_COUNT"] == "7"
    # SQS advises a visibility timeout of six times the function timeout.
    assert int(queue["VisibilityTimeout"]) >= 6 * int(enrich["Timeout"])
    (source,) = [e["Properties"] for e in enrich["Events"].values() if e["Type"] == "SQS"]
    assert source["Queue"] == stack.resolve({"Fn::GetAtt": ["MoviesQueue", "Arn"]})
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert int(source["BatchSize"]) <= 10  # the most an SQS event source sends without a window
    concurrency = stack.values["EnrichConcurrency"]
    assert enrich["ReservedConcurrentExecutions"] == concurrency
    assert source["ScalingConfig"]["MaximumConcurrency"] == concurrency
    small = names(
        Stack(template, {"ReserveEnrichConcurrency": "false"}, account_id=ACCOUNT, region=REGION)
    )
    enrich = small.properties("EnrichAndStoreMovie")
    assert "ReservedConcurrentExecutions" not in enrich  # accounts with a quota of 10 reserve none
    (source,) = [e["Properties"] for e in enrich["Events"].values() if e["Type"] == "SQS"]
    assert source["ScalingConfig"]["MaximumConcurrency"] == concurrency


def test_s3_triggers_match_the_keys_the_stages_write(stack: Stack) -> None:
    def trigger(lid: str) -> tuple[str, dict[str, str]]:
        (source,) = [
            e["Properties"] for e in stack.properties(lid)["Events"].values() if e["Type"] == "S3"
        ]
        rules = {r["Name"]: r["Value"] for r in source["Filter"]["S3Key"]["Rules"]}
        assert source["Events"] == "s3:ObjectCreated:*"
        return source["Bucket"], rules

    assert trigger("ProcessBronzeToSilver") == (
        stack.resolve({"Ref": "BronzeBucket"}),
        {"prefix": OMDB_PREFIX, "suffix": ".jsonl"},
    )
    assert trigger("ProcessSilverToGold") == (
        stack.resolve({"Ref": "SilverBucket"}),
        {"prefix": MOVIES_PREFIX, "suffix": ".parquet"},
    )


def _references(value: Any) -> set[str]:
    """Logical ids a piece of template refers to (Ref, GetAtt, ${X} in Sub)."""
    found: set[str] = set()
    if isinstance(value, list):
        for v in value:
            found |= _references(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str):
                found.add(v)
            elif k == "Fn::GetAtt":
                found.add((v if isinstance(v, list) else v.split("."))[0])
            elif k == "Fn::Sub":
                text = v if isinstance(v, str) else v[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(v, str):
                    found |= _references(v[1])
            else:
                found |= _references(v)
    return found


def test_no_circular_dependency_once_sam_wires_the_s3_events(template: dict[str, Any]) -> None:
    """SAM makes each bucket depend on the function its S3 event source invokes; a function
    (or its role) that refers back to that bucket resource would be a cycle CloudFormation
    rejects, which cfn-lint cannot see without the transform."""
    resources = template["Resources"]

    def own(lid: str, res: dict[str, Any]) -> dict[str, Any]:
        props = dict(res.get("Properties", {}))
        if res["Type"] == "AWS::Serverless::Function":
            props.pop("Events", None)  # SAM turns these into resources of their own (below)
        return props

    graph = {
        lid: _references(own(lid, res))
        | set(
            [res["DependsOn"]]
            if isinstance(res.get("DependsOn"), str)
            else res.get("DependsOn", [])
        )
        for lid, res in resources.items()
    }
    graph = {k: {v for v in deps if v in resources} for k, deps in graph.items()}
    for lid in FUNCTIONS:
        graph[lid] |= {x["Ref"] for x in template["Globals"]["Function"].get("Layers", [])}
        for event in resources[lid]["Properties"].get("Events", {}).values():
            if event["Type"] == "S3":
                graph[event["Properties"]["Bucket"]["Ref"]].add(lid)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and (seen.add(nxt) or reaches(nxt, goal, seen))):
                return True
        return False

    cycles = [lid for lid in graph if reaches(lid, lid, set())]
    assert not cycles, f"circular dependencies through {cycles}"


def test_the_schedule_hands_ingest_what_the_local_runtime_does(stack: Stack) -> None:
    assert stack.values["ScheduleExpression"] == "cron(0 3 * * ? *)"
    rule = stack.properties("DailySchedule")
    (target,) = rule["Targets"]
    assert target["Arn"] == stack.resolve({"Fn::GetAtt": ["GetMoviesAndSendToQueue", "Arn"]})
    assert target["InputTransformer"]["InputPathsMap"] == {"time": "$.time", "id": "$.id"}
    event = json.loads(
        target["InputTransformer"]["InputTemplate"]
        .replace("<time>", '"2026-01-02T03:00:00Z"')
        .replace("<id>", '"event-1"')
    )
    from datetime import UTC, datetime

    assert event == schedule_input(
        datetime(2026, 1, 2, 3, tzinfo=UTC),
        top_n=10,
        batch_size=1,
        source=None,
        event_id="event-1",
    )
    permission = stack.properties("DailySchedulePermission")
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/cinelake-daily-run"


def test_the_source_defaults_to_imdb_datasets_sized_for_them_and_s3_sources_get_read_access(
    template: dict[str, Any],
) -> None:
    default = names(Stack(template, account_id=ACCOUNT, region=REGION))
    ingest = default.properties("GetMoviesAndSendToQueue")
    env = ingest["Environment"]["Variables"]
    assert env["CINELAKE_SOURCE"] == "imdb-datasets"
    assert env["CINELAKE_IMDB_DATASETS_URL"] == "https://datasets.imdbws.com/"
    assert int(env["CINELAKE_MIN_VOTES"]) == 25000
    # title.basics (~200 MB gzip) goes to /tmp and is read by DuckDB capped at 700 MB.
    assert int(ingest["MemorySize"]) >= 2048 and int(ingest["EphemeralStorage"]["Size"]) >= 1024
    assert int(ingest["Timeout"]) >= 300
    statements = {
        st["Sid"]: st
        for p in default.properties("IngestFunctionRole")["Policies"]
        for st in p["PolicyDocument"]["Statement"]
    }
    assert "ReadSourceList" not in statements
    cache = statements["DatasetCache"]
    assert sorted(cache["Action"]) == ["s3:GetObject", "s3:PutObject"]
    assert cache["Resource"].endswith(f"-bronze-{ACCOUNT}-{REGION}/_sources/imdb-datasets/*")

    sample = names(Stack(template, {"SourceUrl": ""}, account_id=ACCOUNT, region=REGION))
    assert (
        "CINELAKE_SOURCE"
        not in sample.properties("GetMoviesAndSendToQueue")["Environment"]["Variables"]
    )
    assert "DatasetCache" not in {
        st["Sid"]
        for p in sample.properties("IngestFunctionRole")["Policies"]
        for st in p["PolicyDocument"]["Statement"]
    }

    on_s3 = names(
        Stack(
            template,
            {"SourceUrl": "s3://lists-bucket/top/top250.json"},
            account_id=ACCOUNT,
            region=REGION,
        )
    )
    statements = [
        st
        for p in on_s3.properties("IngestFunctionRole")["Policies"]
        for st in p["PolicyDocument"]["Statement"]
    ]
    (read,) = [st for st in statements if st["Sid"] == "ReadSourceList"]
    assert read == {
        "Sid": "ReadSourceList",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::lists-bucket/top/top250.json",
    }

    on_http = names(
        Stack(
            template,
            {"SourceUrl": "https://example.org/top.json"},
            account_id=ACCOUNT,
            region=REGION,
        )
    )
    env = on_http.properties("GetMoviesAndSendToQueue")["Environment"]["Variables"]
    assert env["CINELAKE_SOURCE"] == "https://example.org/top.json"
    assert "ReadSourceList" not in {
        st["Sid"]
        for p in on_http.properties("IngestFunctionRole")["Policies"]
        for st in p["PolicyDocument"]["Statement"]
    }


# ------------------------------------------------------------------------------------------
# Safe by default
# ------------------------------------------------------------------------------------------


def test_buckets_are_private_encrypted_tls_only_and_expire_what_they_can(stack: Stack) -> None:
    policies = {
        stack.properties(lid)["Bucket"]: stack.properties(lid)["PolicyDocument"]
        for lid in stack.of_type("AWS::S3::BucketPolicy")
    }
    for lid in stack.of_type("AWS::S3::Bucket"):
        props = stack.properties(lid)
        name = props["BucketName"]
        assert set(props["PublicAccessBlockConfiguration"].values()) == {True}, lid
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]["SSEAlgorithm"] in ("AES256", "aws:kms"), lid
        assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        deny = [st for st in policies[name]["Statement"] if st["Effect"] == "Deny"]
        assert any(
            st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            and set(st["Resource"]) == {f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"}
            for st in deny
        ), f"{lid} is not TLS-only"
        assert props["LifecycleConfiguration"]["Rules"], lid
        assert stack.resources[lid].get("DeletionPolicy") == "Retain", (
            f"{lid}: data outlives the stack"
        )
    bronze = stack.properties("BronzeBucket")
    assert bronze["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r["Id"]: r for r in bronze["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-omdb-cache"]["Prefix"] == "_cache/"

    assert OMDB_CACHE_PREFIX.startswith(rules["expire-omdb-cache"]["Prefix"])
    ttl = Settings.model_fields["cache_ttl_days"].default
    assert int(rules["expire-omdb-cache"]["ExpirationInDays"]) > ttl
    assert any("NoncurrentVersionExpiration" in r for r in rules.values())


def test_queues_are_encrypted_and_tls_only(stack: Stack) -> None:
    queues = stack.of_type("AWS::SQS::Queue")
    (policy,) = [stack.properties(lid) for lid in stack.of_type("AWS::SQS::QueuePolicy")]
    assert len(policy["Queues"]) == len(queues)
    for lid in queues:
        assert stack.properties(lid)["SqsManagedSseEnabled"] is True


def test_every_function_has_logs_with_retention_an_errors_alarm_and_dlq_alarms(
    stack: Stack,
) -> None:
    groups = {
        stack.properties(lid)["LogGroupName"]: stack.properties(lid)
        for lid in stack.of_type("AWS::Logs::LogGroup")
    }
    alarms = [stack.properties(lid) for lid in stack.of_type("AWS::CloudWatch::Alarm")]
    for lid in FUNCTIONS:
        name = stack.properties(lid)["FunctionName"]
        assert int(groups[f"/aws/lambda/{name}"]["RetentionInDays"]) == 30
        assert any(
            a["MetricName"] == "Errors"
            and a["Dimensions"] == [{"Name": "FunctionName", "Value": name}]
            for a in alarms
        ), f"no Errors alarm for {lid}"
    for queue in ("MoviesDeadLetterQueue", "FailedInvocationsQueue"):
        qname = stack.properties(queue)["QueueName"]
        assert any(
            a["Namespace"] == "AWS/SQS"
            and a["Dimensions"] == [{"Name": "QueueName", "Value": qname}]
            for a in alarms
        ), f"no depth alarm on {queue}"


def test_the_enrich_role_reads_only_the_named_secret(stack: Stack) -> None:
    statements = [
        st
        for p in stack.properties("EnrichFunctionRole")["Policies"]
        for st in p["PolicyDocument"]["Statement"]
    ]
    (secret,) = [st for st in statements if st["Action"] == "secretsmanager:GetSecretValue"]
    assert (
        secret["Resource"]
        == f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:cinelake/omdb-??????"
    )
    others = [
        st
        for lid in ("IngestFunctionRole", "SilverFunctionRole", "GoldFunctionRole")
        for p in stack.properties(lid)["Policies"]
        for st in p["PolicyDocument"]["Statement"]
    ]
    assert not [st for st in others if "secretsmanager" in json.dumps(st["Action"])]


# ------------------------------------------------------------------------------------------
# Names: stacks side by side, and a redeploy after `sam delete`
# ------------------------------------------------------------------------------------------


def account_wide_names(stack: Stack) -> dict[str, str]:
    """Every name a resource takes in the account (and the secret and metric namespace the
    functions use): "<logical id>.<property>" -> value."""
    out: dict[str, str] = {}
    for lid, res in stack.resources.items():
        if not stack.included(lid):
            continue
        props = stack.properties(lid)
        if res["Type"] == "AWS::Glue::Database":
            out[f"{lid}.DatabaseInput.Name"] = props["DatabaseInput"]["Name"]
        for key, value in props.items():
            if not isinstance(value, str) or key == "MetricName":
                continue  # a metric is named within its namespace
            if key.endswith("Name") or (key == "Namespace" and not value.startswith("AWS/")):
                out[f"{lid}.{key}"] = value  # AWS/ namespaces: their dimensions are ours
        for key, value in props.get("Environment", {}).get("Variables", {}).items():
            if key in ("CINELAKE_OMDB_SECRET_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
                out[f"{lid}.{key}"] = str(value)
    return out


def test_two_stacks_with_different_prefixes_share_no_account_wide_name(
    template: dict[str, Any],
) -> None:
    a = account_wide_names(names(Stack(template, {"Prefix": "lake-a"}, account_id=ACCOUNT)))
    b = account_wide_names(names(Stack(template, {"Prefix": "lake-b"}, account_id=ACCOUNT)))
    # Every kind of named thing is covered (a new one would show up here, unnamed or shared).
    kinds = {k.split(".", 1)[1] for k in a}
    assert {
        "BucketName",
        "QueueName",
        "FunctionName",
        "LayerName",
        "LogGroupName",
        "AlarmName",
        "TopicName",
        "Name",
        "DatabaseInput.Name",
        "Namespace",
        "CINELAKE_OMDB_SECRET_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
    } <= kinds
    shared = set(a.values()) & set(b.values())
    # Glue tables live inside their stack's database; their DatabaseName is that database.
    assert not shared, sorted(k for k, v in a.items() if v in shared)
    assert a["GlueDatabase.DatabaseInput.Name"] == "lake_a"
    assert a["EnrichAndStoreMovie.CINELAKE_OMDB_SECRET_NAME"] == "lake-a/omdb"


def test_an_explicit_glue_database_and_secret_name_win(template: dict[str, Any]) -> None:
    stack = names(Stack(template, {"GlueDatabaseName": "movies", "OmdbSecretName": "shared/omdb"}))
    names_ = account_wide_names(stack)
    assert names_["GlueDatabase.DatabaseInput.Name"] == "movies"
    assert names_["EnrichAndStoreMovie.CINELAKE_OMDB_SECRET_NAME"] == "shared/omdb"
    grants = stack.properties("EnrichFunctionRole")["Policies"][0]["PolicyDocument"]["Statement"]
    (read,) = [g for g in grants if g.get("Sid") == "ReadOmdbKey"]
    assert read["Resource"].endswith(":secret:shared/omdb-??????")


def test_the_adopt_template_imports_exactly_the_retained_buckets(
    template: dict[str, Any], tmp_path: Path
) -> None:
    """After `sam delete` the buckets stay; the import template adopts each one under the name
    the full template gives it, declared exactly as the full template declares it."""
    from cinelake.aws import adopt

    retained = adopt.retained(template)
    buckets = set(Stack(template).of_type("AWS::S3::Bucket"))
    assert set(retained) == buckets  # every bucket is retained, and nothing else
    imported = adopt.import_template(template)
    assert set(imported["Resources"]) == buckets
    for lid in retained:
        assert imported["Resources"][lid] == template["Resources"][lid]
        assert imported["Resources"][lid]["DeletionPolicy"] == "Retain"  # import requires it
    # PublicDashboard: the gold bucket's public-access settings follow it (ServesDashboardPublicly).
    assert set(imported["Parameters"]) == {"Prefix", "CacheExpirationDays", "PublicDashboard"}
    assert set(imported["Conditions"]) == {"ServesDashboardPublicly"}
    to_import = adopt.resources_to_import(
        template, {"Prefix": "lake-a"}, account_id=ACCOUNT, region=REGION
    )
    full = names(Stack(template, {"Prefix": "lake-a"}, account_id=ACCOUNT, region=REGION))
    assert {r["LogicalResourceId"]: r["ResourceIdentifier"]["BucketName"] for r in to_import} == {
        lid: full.properties(lid)["BucketName"] for lid in buckets
    }
    path = tmp_path / "import-template.json"
    path.write_text(json.dumps(imported), encoding="utf-8")
    result = subprocess.run(
        [tool("cfn-lint"), str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_source_secret_is_read_at_run_time_never_a_parameter_value(
    template: dict[str, Any],
) -> None:
    def ingest(stack: Stack) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        env = stack.properties("GetMoviesAndSendToQueue")["Environment"]["Variables"]
        grants = stack.properties("IngestFunctionRole")["Policies"][0]["PolicyDocument"]
        return env, grants["Statement"]

    env, grants = ingest(names(Stack(template)))
    assert "CINELAKE_SOURCE_SECRET_NAME" not in env
    assert not any(g.get("Sid") == "ReadSourceKey" for g in grants)
    keyed = names(
        Stack(
            template,
            {"SourceUrl": "https://lists.example/top/{key}.json", "SourceSecretName": "lists/key"},
        )
    )
    env, grants = ingest(keyed)
    assert env["CINELAKE_SOURCE_SECRET_NAME"] == "lists/key"
    assert env["CINELAKE_SOURCE"] == "https://lists.example/top/{key}.json"  # no key in it
    (read,) = [g for g in grants if g.get("Sid") == "ReadSourceKey"]
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert read["Resource"].endswith(":secret:lists/key-??????")
    assert Settings.model_fields["source_secret_name"].default is None
