"""template.yaml, deployed into moto (server mode) and driven the way AWS drives the functions.

`EmulatedStack` reads the evaluated template (`cinelake.aws.cfn.Stack`) and creates what it
declares in a moto server on loopback: the buckets with their settings and policies, the
queues with their redrive policy, the roles with their inline policies. The one thing AWS
does that moto cannot (invoke a Lambda function without Docker) is played by this module:

* Each function runs in its own "container": the environment the template gives it, the
  credentials of its own role (from sts:AssumeRole), its own boto3 session, dependencies and
  Powertools providers kept warm between its invocations, like a Lambda execution environment.
* The SQS event source mapping polls the queue with the enrich role's credentials, builds the
  exact SQS event Lambda sends, deletes what the handler did not report in batchItemFailures.
* S3 notifications: each bucket gets the notification configuration the template's S3 event
  sources declare (events, prefix/suffix filters), pointed at a tap queue instead of the
  function; moto itself writes the real S3 event there, and the pump hands it to the function.
* EventBridge: the rule's InputTransformer from the template is applied to a scheduled event.

With `enforce_iam()` moto checks every call against the caller's role policies. A few gaps in
moto's policy evaluation are patched for the whole test (see `moto_fidelity`).
Every AWS call is recorded with the function that made it, for the least-privilege checks.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import io
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.client
import requests

from cinelake import bootstrap
from cinelake.aws.cfn import Stack
from cinelake.clock import Clock

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
DUMMY = "testing"  # moto's documented dummy credentials, valid only until IAM enforcement is on

HANDLER_MODULES = {
    "cinelake.handlers.ingest.handler": "cinelake.handlers.ingest",
    "cinelake.handlers.enrich.handler": "cinelake.handlers.enrich",
    "cinelake.handlers.bronze_to_silver.handler": "cinelake.handlers.bronze_to_silver",
    "cinelake.handlers.silver_to_gold.handler": "cinelake.handlers.silver_to_gold",
}


# ------------------------------------------------------------------------------------------
# Recording: which function made which AWS call, as an IAM action on a resource
# ------------------------------------------------------------------------------------------

# API operation -> the IAM action that authorizes it (batch calls use the single action).
IAM_ACTION = {
    ("s3", "GetObject"): "s3:GetObject",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "PutObject"): "s3:PutObject",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "DeleteObject"): "s3:DeleteObject",
    ("sqs", "SendMessage"): "sqs:SendMessage",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "ReceiveMessage"): "sqs:ReceiveMessage",
    ("sqs", "DeleteMessage"): "sqs:DeleteMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "ChangeMessageVisibility"): "sqs:ChangeMessageVisibility",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
    ("sqs", "GetQueueAttributes"): "sqs:GetQueueAttributes",
    ("secretsmanager", "GetSecretValue"): "secretsmanager:GetSecretValue",
}


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    name: str
    dimensions: dict[str, str]
    value: float
    at: datetime


@dataclass(frozen=True)
class Call:
    caller: str  # function logical id, or "admin" for the test's own calls
    service: str
    operation: str
    action: str
    resource: str
    access_key: str


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    caller: str = "admin"
    secret_arns: dict[str, str] = field(default_factory=dict)

    def resource(self, service: str, params: dict[str, Any]) -> str:
        if service == "s3":
            bucket = params.get("Bucket", "*")
            key = params.get("Key")
            return f"arn:aws:s3:::{bucket}/{key}" if key is not None else f"arn:aws:s3:::{bucket}"
        if service == "sqs":
            name = str(params.get("QueueUrl", "*")).rstrip("/").rsplit("/", 1)[-1]
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        if service == "secretsmanager":
            sid = str(params.get("SecretId", "*"))
            return self.secret_arns.get(sid, sid)
        return "*"

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        original = botocore.client.BaseClient._make_api_call
        recorder = self

        def recording(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            creds = client._request_signer._credentials
            key = creds.access_key if creds is not None else ""
            recorder.calls.append(
                Call(
                    recorder.caller,
                    service,
                    operation_name,
                    IAM_ACTION.get((service, operation_name), f"{service}:{operation_name}"),
                    recorder.resource(service, api_params),
                    key,
                )
            )
            return original(client, operation_name, api_params)

        botocore.client.BaseClient._make_api_call = recording  # type: ignore[method-assign]
        try:
            yield
        finally:
            botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]

    def by(self, caller: str) -> list[Call]:
        return [c for c in self.calls if c.caller == caller]


# ------------------------------------------------------------------------------------------
# moto's IAM emulation, made faithful where this test depends on it
# ------------------------------------------------------------------------------------------


def _iam_glob(pattern: str, value: str) -> re.Match[str] | None:
    """IAM wildcards: * any run, ? exactly one character (moto treats ? as a regex quantifier)."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value)


# The moto releases the patches below were checked against (pyproject pins the same range).
# Outside it the patched internals may have moved: refuse rather than prove less than we claim.
MOTO_CHECKED = ((5, 2), (5, 3))


def check_moto_version(version: str) -> None:
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
    low, high = MOTO_CHECKED
    if not low <= parts < high:
        raise RuntimeError(
            f"moto {version} is outside the range the IAM emulation was checked against "
            f"({'.'.join(map(str, low))} <= moto < {'.'.join(map(str, high))}); "
            "recheck tests/aws/emulator.py's patches, then widen MOTO_CHECKED and pyproject"
        )


@contextlib.contextmanager
def moto_fidelity() -> Iterator[None]:
    """Fixes to moto 5's policy evaluation, active for the whole emulated deployment.

    1. `?` in a policy resource is IAM's one-character wildcard (secret ARNs end in -??????);
       moto turns it into a regex quantifier.
    2. A statement whose Condition is not met does not apply; moto answers DENIED instead,
       and treats the Bool operator as always met. Both made the template's TLS-only bucket
       policies deny every request. Requests carry aws:SecureTransport=true: the emulator is
       reached over loopback HTTP, standing in for AWS's HTTPS endpoints (boto3's default).
    3. SQS batch APIs are authorized by the single-message action (IAM has no
       sqs:SendMessageBatch); moto asks for the batch name.
    4. Secrets Manager calls are checked against the secret's ARN; moto checks "*", so no
       resource-scoped grant could ever allow them.
    """
    import moto
    from moto.iam import access_control, policy_conditions

    check_moto_version(moto.__version__)
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.secretsmanager.responses import SecretsManagerResponse

    batch = {
        "sqs:SendMessageBatch": "sqs:SendMessage",
        "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    }
    saved = {
        "init": access_control.IAMRequestBase.__init__,
        "match": IAMPolicyStatement.__dict__["_match"],
        "permitted": IAMPolicyStatement.is_action_permitted,
        "conditions": IAMPolicyStatement._check_conditions,
    }
    context = {"aws:SecureTransport": "true"}

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        saved["init"](self, *args, **kwargs)
        self._action = batch.get(self._action, self._action)

    def check_conditions(self: Any, incoming: dict[str, str] | None) -> bool:
        return bool(saved["conditions"](self, context | (incoming or {})))

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming: dict[str, str] | None = None,
    ) -> PermissionResult:
        if "NotAction" in self._statement:
            concerned = not self._check_element_matches("NotAction", action)
        else:
            concerned = self._check_element_matches("Action", action)
        if not concerned or self.is_unknown_principal(self._statement.get("Principal")):
            return PermissionResult.NEUTRAL
        if principal and not self._check_principal(principal):
            return PermissionResult.DENIED
        if not self._check_conditions(incoming):
            return PermissionResult.NEUTRAL  # the statement does not apply
        if self._statement.get("Resource") and not self._check_element_matches(
            "Resource", resource
        ):
            return PermissionResult.NEUTRAL
        return (
            PermissionResult.PERMITTED
            if self._statement["Effect"] == "Allow"
            else PermissionResult.DENIED
        )

    def determine_resource(self: Any) -> str:
        secret = self.backend.secrets.get(self._get_param("SecretId") or "")
        return secret.arn if secret is not None else "*"

    def bool_operation(expected: list[str] | str, actual: str) -> bool:
        values = expected if isinstance(expected, list) else [expected]
        return str(actual).lower() in [str(v).lower() for v in values]

    access_control.IAMRequestBase.__init__ = init  # type: ignore[method-assign]
    IAMPolicyStatement._match = staticmethod(_iam_glob)  # type: ignore[method-assign,assignment]
    IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]
    IAMPolicyStatement._check_conditions = check_conditions  # type: ignore[method-assign]
    SecretsManagerResponse._determine_resource = determine_resource  # type: ignore[attr-defined]
    policy_conditions.CONDITION_OPERATIONS["Bool"] = bool_operation
    try:
        yield
    finally:
        access_control.IAMRequestBase.__init__ = saved["init"]  # type: ignore[method-assign]
        IAMPolicyStatement._match = saved["match"]  # type: ignore[method-assign]
        IAMPolicyStatement.is_action_permitted = saved["permitted"]  # type: ignore[method-assign]
        IAMPolicyStatement._check_conditions = saved["conditions"]  # type: ignore[method-assign]
        del SecretsManagerResponse._determine_resource  # type: ignore[attr-defined]
        policy_conditions.CONDITION_OPERATIONS.pop("Bool", None)


# ------------------------------------------------------------------------------------------
# Lambda's side: context, containers
# ------------------------------------------------------------------------------------------


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        self.invoked_function_arn = (
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"
        )
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_s * 1000


@dataclass
class Container:
    """One warm Lambda execution environment of a function."""

    logical_id: str
    function_name: str
    handler: Callable[[dict[str, Any], Any], Any]
    env: dict[str, str]
    memory: int
    timeout: int
    credentials: dict[str, str]
    deps: Any = None
    session: Any = None
    providers: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for name in list(os.environ):
        # Lambda's environment is the template's: the test process's own settings (the
        # suite turns Powertools metrics off) do not leak into the functions.
        if name.startswith(("CINELAKE_", "AWS_", "POWERTOOLS_")) or name == "OMDB_API_KEY":
            del os.environ[name]
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# ------------------------------------------------------------------------------------------
# The stack
# ------------------------------------------------------------------------------------------


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A lifecycle rule in CloudFormation's shape -> the S3 API's shape (as CloudFormation does)."""
    out: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if rule.get("ExpiredObjectDeleteMarker"):
        expiration["ExpiredObjectDeleteMarker"] = True
    if expiration:
        out["Expiration"] = expiration
    if "NoncurrentVersionExpiration" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(
                rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
            )
        }
    return out


class EmulatedStack:
    def __init__(
        self,
        endpoint: str,
        template: dict[str, Any],
        parameters: dict[str, Any],
        test_env: dict[str, str] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.endpoint = endpoint
        # The emulated world's time: the functions' Clock, and when CloudWatch stamps a metric.
        self.clock = clock
        self.recorder = Recorder()
        self.queue_urls: dict[str, str] = {}
        self.stack = Stack(
            template,
            parameters,
            account_id=ACCOUNT,
            region=REGION,
            ref_resolver=self._ref,
            att_resolver=self._att,
        )
        self.admin_credentials = {"aws_access_key_id": DUMMY, "aws_secret_access_key": DUMMY}
        self.role_credentials: dict[str, dict[str, str]] = {}
        self.containers: dict[str, Container] = {}
        self.tap_queues: dict[str, str] = {}  # function logical id -> queue url
        self.test_env = test_env or {}
        self.logs = io.StringIO()
        self.in_flight: list[dict[str, Any]] = []  # received, reported failed, not yet visible
        self.datapoints: list[Datapoint] = []  # the EMF metrics the functions printed
        self.failed_invocations: list[tuple[str, dict[str, Any], str]] = []  # fn, event, error

    # -- clients ------------------------------------------------------------------------------
    def client(self, service: str, credentials: dict[str, str] | None = None) -> Any:
        creds = credentials or self.admin_credentials
        return boto3.session.Session(region_name=REGION, **creds).client(
            service, endpoint_url=self.endpoint
        )

    def admin(self, service: str) -> Any:
        return self.client(service)

    # -- template answers ---------------------------------------------------------------------
    def _name(self, logical_id: str, resource: dict[str, Any], prop: str) -> str:
        value = self.stack.resolve(resource.get("Properties", {}).get(prop))
        return str(value) if value else logical_id

    def _ref(self, logical_id: str, resource: dict[str, Any]) -> Any:
        kind = resource["Type"]
        if kind == "AWS::S3::Bucket":
            return self._name(logical_id, resource, "BucketName")
        if kind == "AWS::SQS::Queue":
            if logical_id not in self.queue_urls:
                raise LookupError(f"queue {logical_id} not created yet")
            return self.queue_urls[logical_id]
        if kind == "AWS::Serverless::Function":
            return self._name(logical_id, resource, "FunctionName")
        if kind == "AWS::Serverless::LayerVersion":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{self._name(logical_id, resource, 'LayerName')}:1"
        if kind == "AWS::Glue::Database":
            return self.stack.resolve(resource["Properties"]["DatabaseInput"]["Name"])
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{self._name(logical_id, resource, 'TopicName')}"
        if kind == "AWS::Events::Rule":
            return self._name(logical_id, resource, "Name")
        return logical_id  # roles (named after their logical id here), alarms, ...

    def _att(self, logical_id: str, attribute: str, resource: dict[str, Any]) -> Any:
        kind = resource["Type"]
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{self._ref(logical_id, resource)}"
        if kind == "AWS::SQS::Queue":
            name = self._name(logical_id, resource, "QueueName")
            return {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}", "QueueName": name}[attribute]
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:aws:iam::{ACCOUNT}:role/{logical_id}"
        if kind == "AWS::Serverless::Function" and attribute == "Arn":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self._ref(logical_id, resource)}"
        if kind == "AWS::Events::Rule" and attribute == "Arn":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{self._ref(logical_id, resource)}"
        raise LookupError(f"GetAtt {logical_id}.{attribute} ({kind}) is not emulated")

    # -- deploy -------------------------------------------------------------------------------
    def deploy(self, secret_value: dict[str, str]) -> None:
        self._create_buckets()
        self._create_queues()
        self._create_secret(secret_value)
        self._create_roles()
        self._subscribe_s3_events()
        for logical_id in self.stack.of_type("AWS::Serverless::Function"):
            self._create_container(logical_id)

    def register_outputs(self, stack_name: str) -> dict[str, str]:
        """What CloudFormation answers describe_stacks with: template.yaml's Outputs, resolved
        for this deployment (moto cannot deploy a SAM template; it holds them in a stand-in
        stack so the CLI reads them the way it does on AWS)."""
        outputs = {
            name: str(self.stack.resolve(spec["Value"]))
            for name, spec in self.stack.template.get("Outputs", {}).items()
        }
        body = {
            # A stack needs a resource; moto creates this one (a handle it does not know).
            "Resources": {
                "Placeholder": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {"QueueName": f"{stack_name}-outputs-placeholder"},
                }
            },
            "Outputs": {name: {"Value": value} for name, value in outputs.items()},
        }
        self.admin("cloudformation").create_stack(
            StackName=stack_name, TemplateBody=json.dumps(body)
        )
        return outputs

    def bucket_name(self, logical_id: str) -> str:
        return str(self._ref(logical_id, self.stack.resources[logical_id]))

    def _create_buckets(self) -> None:
        s3 = self.admin("s3")
        buckets = self.stack.of_type("AWS::S3::Bucket")
        for lid in buckets:
            s3.create_bucket(Bucket=self.bucket_name(lid))
        for lid in self.stack.of_type("AWS::S3::BucketPolicy"):
            props = self.stack.properties(lid)
            s3.put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))
        for lid in buckets:
            props = self.stack.properties(lid)
            name = props["BucketName"]
            if "VersioningConfiguration" in props:
                s3.put_bucket_versioning(
                    Bucket=name,
                    VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]},
                )
            if "BucketEncryption" in props:
                s3.put_bucket_encryption(
                    Bucket=name,
                    ServerSideEncryptionConfiguration={
                        "Rules": [
                            {
                                "ApplyServerSideEncryptionByDefault": r[
                                    "ServerSideEncryptionByDefault"
                                ],
                                "BucketKeyEnabled": bool(r.get("BucketKeyEnabled", False)),
                            }
                            for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                        ]
                    },
                )
            if "PublicAccessBlockConfiguration" in props:
                s3.put_public_access_block(
                    Bucket=name,
                    PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
                )
            if "OwnershipControls" in props:
                s3.put_bucket_ownership_controls(
                    Bucket=name, OwnershipControls=props["OwnershipControls"]
                )
            if "LifecycleConfiguration" in props:
                s3.put_bucket_lifecycle_configuration(
                    Bucket=name,
                    LifecycleConfiguration={
                        "Rules": [
                            _lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]
                        ]
                    },
                )
            if "LoggingConfiguration" in props:
                log = props["LoggingConfiguration"]
                s3.put_bucket_logging(
                    Bucket=name,
                    BucketLoggingStatus={
                        "LoggingEnabled": {
                            "TargetBucket": log["DestinationBucketName"],
                            "TargetPrefix": log.get("LogFilePrefix", ""),
                        }
                    },
                )

    def _create_queues(self) -> None:
        sqs = self.admin("sqs")
        queues = self.stack.of_type("AWS::SQS::Queue")
        # Dead-letter queues first: a redrive policy must name an existing queue.
        order = sorted(queues, key=lambda lid: "RedrivePolicy" in queues[lid].get("Properties", {}))
        for lid in order:
            props = self.stack.properties(lid)
            attrs = {
                k: (
                    json.dumps(v)
                    if isinstance(v, dict)
                    else str(v).lower()
                    if isinstance(v, bool)
                    else str(v)
                )
                for k, v in props.items()
                if k != "QueueName"
            }
            self.queue_urls[lid] = sqs.create_queue(QueueName=props["QueueName"], Attributes=attrs)[
                "QueueUrl"
            ]
        for lid in self.stack.of_type("AWS::SQS::QueuePolicy"):
            props = self.stack.properties(lid)
            for url in props["Queues"]:
                sqs.set_queue_attributes(
                    QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
                )

    @property
    def secret_name(self) -> str:
        """The OMDb secret the enrich function reads (the template only names it)."""
        env = self.stack.properties("EnrichAndStoreMovie")["Environment"]["Variables"]
        return str(env["CINELAKE_OMDB_SECRET_NAME"])

    def _create_secret(self, value: dict[str, str]) -> None:
        """What the README has the user do before deploying (the template only names it)."""
        name = self.secret_name
        arn = self.admin("secretsmanager").create_secret(Name=name, SecretString=json.dumps(value))[
            "ARN"
        ]
        self.recorder.secret_arns[name] = arn
        self.recorder.secret_arns[arn] = arn

    def _create_roles(self) -> None:
        iam = self.admin("iam")
        sts = self.admin("sts")
        for lid in self.stack.of_type("AWS::IAM::Role"):
            props = self.stack.properties(lid)
            iam.create_role(
                RoleName=lid, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"])
            )
            for policy in props.get("Policies", []):
                iam.put_role_policy(
                    RoleName=lid,
                    PolicyName=policy["PolicyName"],
                    PolicyDocument=json.dumps(policy["PolicyDocument"]),
                )
            for arn in props.get("ManagedPolicyArns", []):
                iam.attach_role_policy(RoleName=lid, PolicyArn=arn)
            creds = sts.assume_role(
                RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{lid}", RoleSessionName=f"lambda-{lid}"
            )["Credentials"]
            self.role_credentials[lid] = {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
        # The test's own god view once IAM is enforced (the dummy credentials stop working then).
        iam.create_user(UserName="emulator-admin")
        iam.put_user_policy(
            UserName="emulator-admin",
            PolicyName="all",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                }
            ),
        )
        key = iam.create_access_key(UserName="emulator-admin")["AccessKey"]
        self.admin_credentials = {
            "aws_access_key_id": key["AccessKeyId"],
            "aws_secret_access_key": key["SecretAccessKey"],
        }

    def s3_event_sources(self) -> dict[str, list[dict[str, Any]]]:
        """Function logical id -> its S3 event sources as the template declares them."""
        out: dict[str, list[dict[str, Any]]] = {}
        for lid in self.stack.of_type("AWS::Serverless::Function"):
            for event in self.stack.properties(lid).get("Events", {}).values():
                if event["Type"] == "S3":
                    out.setdefault(lid, []).append(event["Properties"])
        return out

    def sqs_event_source(self, logical_id: str) -> dict[str, Any]:
        events = self.stack.properties(logical_id).get("Events", {}).values()
        (source,) = [e["Properties"] for e in events if e["Type"] == "SQS"]
        return source

    def _subscribe_s3_events(self) -> None:
        s3, sqs = self.admin("s3"), self.admin("sqs")
        per_bucket: dict[str, list[dict[str, Any]]] = {}
        for lid, sources in self.s3_event_sources().items():
            url = sqs.create_queue(QueueName=f"tap-{lid}")["QueueUrl"]
            self.tap_queues[lid] = url
            arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:tap-{lid}"
            for source in sources:
                events = (
                    source["Events"] if isinstance(source["Events"], list) else [source["Events"]]
                )
                config: dict[str, Any] = {"Id": lid, "QueueArn": arn, "Events": events}
                rules = source.get("Filter", {}).get("S3Key", {}).get("Rules", [])
                if rules:
                    config["Filter"] = {
                        "Key": {
                            "FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]
                        }
                    }
                per_bucket.setdefault(source["Bucket"], []).append(config)
        for bucket, configs in per_bucket.items():
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configs}
            )

    def _create_container(self, logical_id: str) -> None:
        props = self.stack.properties(logical_id)
        module_name = HANDLER_MODULES[props["Handler"]]
        module = __import__(module_name, fromlist=["handler"])
        role_lid = self.stack.resources[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        creds = self.role_credentials[role_lid]
        env = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        env |= {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": creds["aws_session_token"],
            "AWS_LAMBDA_FUNCTION_NAME": props["FunctionName"],
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props["MemorySize"]),
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # The emulator instead of AWS, for every client (boto3 honours AWS_ENDPOINT_URL).
            "AWS_ENDPOINT_URL": self.endpoint,
        } | self.test_env
        self.containers[logical_id] = Container(
            logical_id,
            props["FunctionName"],
            module.handler,
            env,
            int(props["MemorySize"]),
            int(props["Timeout"]),
            creds,
        )

    # -- IAM enforcement ----------------------------------------------------------------------
    @contextlib.contextmanager
    def enforce_iam(self) -> Iterator[None]:
        """From here on moto checks every request against the caller's IAM policies."""
        requests.post(f"{self.endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
        try:
            yield
        finally:
            requests.post(f"{self.endpoint}/moto-api/reset-auth", data=b"inf", timeout=10)

    # -- invoking functions -------------------------------------------------------------------
    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

        from cinelake.config import Settings
        from cinelake.observability import NAMESPACE_ENV, get_metrics

        c = self.containers[logical_id]
        context = LambdaContext(c.function_name, c.memory, c.timeout)
        stdout = io.StringIO()
        with _environment(c.env), self._log_capture(), contextlib.redirect_stdout(stdout):
            boto3.DEFAULT_SESSION = c.session
            if c.deps is None and self.clock is not None:
                c.deps = bootstrap.build(Settings(), clock=self.clock)
            bootstrap.install(c.deps)
            DEFAULT_PROVIDERS.clear()
            DEFAULT_PROVIDERS.update(c.providers)
            # Lambda imports the handler in the function's environment; this process imported
            # it once for every stack, so the namespace the template sets is applied here.
            get_metrics().namespace = c.env.get(NAMESPACE_ENV)
            self.recorder.caller = logical_id
            try:
                return c.handler(json.loads(json.dumps(event)), context)
            finally:
                self._collect_metrics(stdout.getvalue())
                self.recorder.caller = "admin"
                c.session = boto3.DEFAULT_SESSION
                c.deps = bootstrap._current
                c.providers = dict(DEFAULT_PROVIDERS)
                boto3.DEFAULT_SESSION = None
                bootstrap.install(None)
                DEFAULT_PROVIDERS.clear()

    @contextlib.contextmanager
    def _log_capture(self) -> Iterator[None]:
        from cinelake.observability import get_logger

        logger = get_logger()
        handler = logging.StreamHandler(self.logs)
        handler.setFormatter(logger.registered_formatter)
        logger.addHandler(handler)
        # A Lambda process logs at its LOG_LEVEL (INFO), whatever a CLI test in this process set.
        level = logger.log_level
        logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
        try:
            yield
        finally:
            logger.setLevel(level)
            logger.removeHandler(handler)

    # -- CloudWatch: EMF lines on stdout become metrics, alarms evaluated over them ---------------
    def _collect_metrics(self, printed: str) -> None:
        """What CloudWatch Logs does with an EMF document a function prints: one datapoint per
        metric value, stamped when it arrives (the emulated world's clock)."""
        when = self.clock.now() if self.clock is not None else datetime.now(UTC)
        for line in printed.splitlines():
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if not isinstance(doc, dict) or "_aws" not in doc:
                continue
            for directive in doc["_aws"]["CloudWatchMetrics"]:
                for dims in directive["Dimensions"]:
                    dimensions = {d: str(doc[d]) for d in dims}
                    for metric in directive["Metrics"]:
                        values = doc[metric["Name"]]
                        for v in values if isinstance(values, list) else [values]:
                            self.datapoints.append(
                                Datapoint(
                                    directive["Namespace"],
                                    metric["Name"],
                                    dimensions,
                                    float(v),
                                    when,
                                )
                            )

    def metric(self, name: str) -> list[Datapoint]:
        return [d for d in self.datapoints if d.name == name]

    def alarm_state(self, alarm_lid: str, now: datetime) -> str:
        """ALARM or OK: the template's alarm evaluated at `now` over the datapoints (the last
        EvaluationPeriods whole periods; DatapointsToAlarm of them breaching; TreatMissingData)."""
        props = self.stack.properties(alarm_lid)
        period = int(props["Period"])
        n = int(props["EvaluationPeriods"])
        m = int(props.get("DatapointsToAlarm", n))
        dims = {d["Name"]: str(d["Value"]) for d in props.get("Dimensions", [])}
        points = [
            d
            for d in self.datapoints
            if d.namespace == props["Namespace"]
            and d.name == props["MetricName"]
            and d.dimensions == dims
        ]
        compare = {
            "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
            "GreaterThanThreshold": lambda v, t: v > t,
            "LessThanThreshold": lambda v, t: v < t,
            "LessThanOrEqualToThreshold": lambda v, t: v <= t,
        }[props["ComparisonOperator"]]
        statistic = {"Sum": sum, "Maximum": max, "Minimum": min}[props["Statistic"]]
        threshold = float(props["Threshold"])
        end = int(now.timestamp()) // period * period
        breaching = 0
        for k in range(n):
            lo, hi = end - (k + 1) * period, end - k * period
            values = [p.value for p in points if lo <= p.at.timestamp() < hi]
            if not values:
                breaching += props.get("TreatMissingData", "missing") == "breaching"
            else:
                breaching += compare(statistic(values), threshold)
        return "ALARM" if breaching >= m else "OK"

    def log_records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.logs.getvalue().splitlines() if line.strip()]

    # -- EventBridge ----------------------------------------------------------------------------
    def scheduled_input(self, rule_id: str, when: datetime) -> tuple[str, dict[str, Any]]:
        """The rule's target and the input its InputTransformer makes of a scheduled event."""
        props = self.stack.properties(rule_id)
        (target,) = props["Targets"]
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{props['Name']}"],
            "detail": {},
        }
        transformer = target["InputTransformer"]
        values = {
            name: _json_path(event, path) for name, path in transformer["InputPathsMap"].items()
        }
        text = transformer["InputTemplate"]
        for name, value in values.items():  # a JSON template: values go in as JSON
            text = text.replace(f"<{name}>", json.dumps(value))
        function_arn = target["Arn"]
        logical_id = next(
            lid for lid in self.containers if self.stack.get_att(lid, "Arn") == function_arn
        )
        return logical_id, json.loads(text)

    # -- SQS event source mapping ---------------------------------------------------------------
    def create_event_source_mapping(self, logical_id: str) -> None:
        """Lambda checks the role can read the queue when the mapping is created."""
        source = self.sqs_event_source(logical_id)
        self.recorder.caller = logical_id
        try:
            self._with_role(logical_id).get_queue_attributes(
                QueueUrl=self._queue_url_for_arn(source["Queue"]), AttributeNames=["QueueArn"]
            )
        finally:
            self.recorder.caller = "admin"

    def _with_role(self, logical_id: str) -> Any:
        role = self.stack.resources[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        return self.client("sqs", self.role_credentials[role])

    def _queue_url_for_arn(self, arn: str) -> str:
        name = arn.rsplit(":", 1)[-1]
        return next(u for u in self.queue_urls.values() if u.rsplit("/", 1)[-1] == name)

    def poll_sqs(self, logical_id: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One poll of the event source: receive, invoke, delete the successes.

        Returns the records handed to the function and its response (None when the queue
        had nothing visible)."""
        source = self.sqs_event_source(logical_id)
        url = self._queue_url_for_arn(source["Queue"])
        sqs = self._with_role(logical_id)
        self.recorder.caller = logical_id
        try:
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=int(source.get("BatchSize", 10)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
        finally:
            self.recorder.caller = "admin"
        if not messages:
            return [], None
        records = [_sqs_record(m, source["Queue"]) for m in messages]
        response = self.invoke(logical_id, {"Records": records})
        failed = set()
        if "ReportBatchItemFailures" in source.get("FunctionResponseTypes", []):
            failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        self.recorder.caller = logical_id
        try:
            for i in range(0, len(done), 10):
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                        for n, m in enumerate(done[i : i + 10])
                    ],
                )
        finally:
            self.recorder.caller = "admin"
        self.in_flight = [m for m in messages if m["MessageId"] in failed]
        return records, response

    def expire_visibility(self, queue_logical_id: str) -> None:
        """Time passes: the messages that failed become visible again (the test's clock)."""
        sqs = self.admin("sqs")
        for m in self.in_flight:
            sqs.change_message_visibility(
                QueueUrl=self.queue_urls[queue_logical_id],
                ReceiptHandle=m["ReceiptHandle"],
                VisibilityTimeout=0,
            )
        self.in_flight = []

    def invoke_async(self, logical_id: str, event: dict[str, Any]) -> Any:
        """An asynchronous invocation (S3 notifications): on an error Lambda retries it
        MaximumRetryAttempts times, then sends the event to the function's DeadLetterQueue with
        the function's role. Returns the result, or None when every attempt failed."""
        props = self.stack.properties(logical_id)
        retries = int(props.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", 2))
        error = ""
        for _ in range(retries + 1):
            try:
                return self.invoke(logical_id, event)
            except Exception as exc:  # Lambda counts any unhandled error as a failed attempt
                error = f"{type(exc).__name__}: {exc}"
        self.failed_invocations.append((logical_id, event, error))
        target = props.get("DeadLetterQueue", {}).get("TargetArn")
        if target:
            self.recorder.caller = logical_id
            try:
                self._with_role(logical_id).send_message(
                    QueueUrl=self._queue_url_for_arn(target), MessageBody=json.dumps(event)
                )
            finally:
                self.recorder.caller = "admin"
        return None

    def expire_parameter_caches(self) -> None:
        """Time passes beyond Powertools' max_age: each warm function reads its secrets anew
        (its cache runs on the wall clock, which the test's clock does not move)."""
        for container in self.containers.values():
            container.providers = {}

    def expire_delays(self, queue_logical_id: str) -> None:
        """Time passes: messages sent with a delay (a paused enrichment's requeue) are due."""
        from moto.sqs.models import sqs_backends

        name = self.queue_urls[queue_logical_id].rsplit("/", 1)[-1]
        for message in sqs_backends[ACCOUNT][REGION].queues[name]._messages:
            message.delayed_until = 0

    # -- S3 notifications ---------------------------------------------------------------------
    def pump_s3_events(self, limit: int = 50) -> list[tuple[str, dict[str, Any], Any]]:
        """Deliver every pending S3 notification to its function, until none is left."""
        sqs = self.admin("sqs")
        delivered: list[tuple[str, dict[str, Any], Any]] = []
        for _ in range(limit):
            progressed = False
            for lid, url in self.tap_queues.items():
                for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                    "Messages", []
                ):
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    event = json.loads(m["Body"])
                    if event.get("Event") == "s3:TestEvent":
                        continue
                    delivered.append((lid, event, self.invoke_async(lid, event)))
                    progressed = True
            if not progressed:
                return delivered
        raise RuntimeError("S3 notifications did not settle")

    # -- inspection ---------------------------------------------------------------------------
    def keys(self, bucket_lid: str, prefix: str = "") -> list[str]:
        s3 = self.admin("s3")
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket_name(bucket_lid), Prefix=prefix
        )
        return sorted(o["Key"] for p in pages for o in p.get("Contents", []))

    def get(self, bucket_lid: str, key: str) -> bytes:
        return (
            self.admin("s3").get_object(Bucket=self.bucket_name(bucket_lid), Key=key)["Body"].read()
        )  # type: ignore[no-any-return]

    def queue_counts(self, queue_lid: str) -> dict[str, int]:
        attrs = self.admin("sqs").get_queue_attributes(
            QueueUrl=self.queue_urls[queue_lid], AttributeNames=["All"]
        )["Attributes"]
        return {k: int(v) for k, v in attrs.items() if k.startswith("ApproximateNumberOfMessages")}

    # -- least privilege ------------------------------------------------------------------------
    def role_grants(self, role_lid: str) -> list[tuple[str, str, str]]:
        """(statement id, action, resource pattern) for every Allow in the role's policies."""
        out = []
        for policy in self.stack.properties(role_lid).get("Policies", []):
            for st in policy["PolicyDocument"]["Statement"]:
                if st["Effect"] != "Allow":
                    continue
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                out += [(st.get("Sid", "?"), a, r) for a in actions for r in resources]
        return out


def grant_matches(action_pattern: str, resource_pattern: str, call: Call) -> bool:
    return bool(
        fnmatch.fnmatchcase(call.action, action_pattern)
        and _iam_glob(resource_pattern, call.resource)
    )


def _json_path(doc: dict[str, Any], path: str) -> Any:
    if not path.startswith("$."):
        raise ValueError(f"unsupported InputPath {path}")
    value: Any = doc
    for part in path[2:].split("."):
        value = value[part]
    return value


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of the event Lambda's SQS poller sends."""
    attrs = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            k: attrs[k]
            for k in (
                "ApproximateReceiveCount",
                "SentTimestamp",
                "SenderId",
                "ApproximateFirstReceiveTimestamp",
            )
            if k in attrs
        },
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody")
        or hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
