"""Operating a deployed stack from the CLI: its names, its dead letters, its status, its data.

`cinelake status|dlq list|dlq redrive|query --backend aws --stack NAME` find the buckets and
queues in the stack's CloudFormation outputs (template.yaml's Outputs), then read the same run
ledger, dead letters and gold the local commands read, so they answer in the same shapes.
On AWS the stack runs itself: a redrive only moves the messages back into the movies queue;
Lambda's event source enriches them and the S3 events rebuild silver and gold.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cinelake import layout
from cinelake.adapters.queue import DeadLetter, QueueCounts
from cinelake.adapters.storage import LocalObjectStore, S3ObjectStore
from cinelake.clock import Clock, SystemClock
from cinelake.ops.dlq import DeadMessage, RedrivePlan, dead_messages, plan_redrive
from cinelake.ops.lake import LakeView

# template.yaml's Outputs this module reads.
OUTPUTS = {
    "bronze": "BronzeBucketName",
    "silver": "SilverBucketName",
    "gold": "GoldBucketName",
    "queue": "MoviesQueueUrl",
    "dlq": "MoviesDeadLetterQueueUrl",
}
PEEK_VISIBILITY_S = 30  # a listed dead letter is hidden this long, then made visible again


class StackError(Exception):
    """The stack cannot be used (not found, not a cinelake stack, AWS refused): one line."""


@dataclass(frozen=True)
class StackNames:
    stack: str
    bronze: str
    silver: str
    gold: str
    queue_url: str
    dlq_url: str


def stack_names(cloudformation: Any, stack: str) -> StackNames:
    """The stack's bucket names and queue URLs, from its outputs."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message") or str(exc)
        raise StackError(f"stack {stack!r}: {message}") from None
    except BotoCoreError as exc:
        raise StackError(f"stack {stack!r}: {exc}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in (found[0].get("Outputs") or [])}
    missing = sorted(v for v in OUTPUTS.values() if v not in outputs)
    if missing:
        raise StackError(
            f"stack {stack!r} has no output {', '.join(missing)}: not a cinelake stack?"
        )
    return StackNames(
        stack,
        outputs[OUTPUTS["bronze"]],
        outputs[OUTPUTS["silver"]],
        outputs[OUTPUTS["gold"]],
        outputs[OUTPUTS["queue"]],
        outputs[OUTPUTS["dlq"]],
    )


class StackQueue:
    """The movies queue and its dead-letter queue, read the way the local queue is."""

    def __init__(self, sqs: Any, names: StackNames) -> None:
        self.sqs = sqs
        self.names = names

    def counts(self) -> QueueCounts:
        def attrs(url: str) -> dict[str, int]:
            got = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
            return {k: int(v) for k, v in got["Attributes"].items() if k.startswith("Approx")}

        q, dead = attrs(self.names.queue_url), attrs(self.names.dlq_url)
        return QueueCounts(
            q.get("ApproximateNumberOfMessages", 0),
            q.get("ApproximateNumberOfMessagesNotVisible", 0),
            q.get("ApproximateNumberOfMessagesDelayed", 0),
            dead.get("ApproximateNumberOfMessages", 0)
            + dead.get("ApproximateNumberOfMessagesNotVisible", 0),
        )

    def bodies(self) -> list[str]:
        """SQS cannot show queued messages without receiving them: the runs' own accounting
        (movies without an outcome) says what is still queued."""
        return []

    def _receive_all(self) -> list[dict[str, Any]]:
        messages: dict[str, dict[str, Any]] = {}
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.names.dlq_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=PEEK_VISIBILITY_S,
                AttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            fresh = [m for m in got if m["MessageId"] not in messages]
            if not fresh:
                return list(messages.values())
            messages |= {m["MessageId"]: m for m in fresh}

    def _release(self, messages: Sequence[dict[str, Any]]) -> None:
        for m in messages:
            self.sqs.change_message_visibility(
                QueueUrl=self.names.dlq_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
            )

    @staticmethod
    def _dead_letter(m: dict[str, Any]) -> DeadLetter:
        attrs = m.get("Attributes", {})
        sent = attrs.get("SentTimestamp")
        return DeadLetter(
            m["MessageId"],
            m["Body"],
            int(attrs.get("ApproximateReceiveCount", "1")),
            datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        )

    def dead_letters(self) -> list[DeadLetter]:
        """Every dead letter (received to be read, then made visible again)."""
        messages = self._receive_all()
        self._release(messages)
        return [self._dead_letter(m) for m in messages]

    def redrive(self, plan_for: Any) -> tuple[RedrivePlan, int]:
        """Move the dead letters `plan_for(dead letters)` chooses back into the movies queue:
        each is sent, then deleted from the dead-letter queue (never lost, at worst doubled,
        which the pipeline absorbs)."""
        messages = self._receive_all()
        letters = [self._dead_letter(m) for m in messages]
        plan: RedrivePlan = plan_for(letters)
        chosen = set(plan.message_ids)
        moved = 0
        try:
            for m in messages:
                if m["MessageId"] not in chosen:
                    continue
                self.sqs.send_message(QueueUrl=self.names.queue_url, MessageBody=m["Body"])
                self.sqs.delete_message(
                    QueueUrl=self.names.dlq_url, ReceiptHandle=m["ReceiptHandle"]
                )
                moved += 1
        finally:
            self._release([m for m in messages if m["MessageId"] not in chosen])
        return plan, moved


class _Letters:
    """Dead letters already read, for `dead_messages`."""

    def __init__(self, letters: list[DeadLetter]) -> None:
        self.letters = letters

    def dead_letters(self) -> list[DeadLetter]:
        return self.letters


def redrive(view: LakeView, ids: Sequence[str] | None) -> tuple[RedrivePlan, int]:
    """Put the chosen dead letters (all, or those holding `ids`) back in the stack's queue."""
    assert isinstance(view.queue, StackQueue)

    def plan_for(letters: list[DeadLetter]) -> RedrivePlan:
        messages: list[DeadMessage] = dead_messages(_Letters(letters), view.ledger)
        return plan_redrive(messages, ids)

    return view.queue.redrive(plan_for)


@contextmanager
def open_stack(stack: str, *, clock: Clock | None = None) -> Iterator[LakeView]:
    """The deployed stack as a lake view: S3 stores and its queues (boto3's default session:
    AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL apply)."""
    import boto3

    names = stack_names(boto3.client("cloudformation"), stack)
    s3 = boto3.client("s3")
    yield LakeView(
        Path(f"s3://{names.bronze}"),
        S3ObjectStore(s3, names.bronze),
        S3ObjectStore(s3, names.silver),
        S3ObjectStore(s3, names.gold),
        StackQueue(boto3.client("sqs"), names),
        clock or SystemClock(),
    )


@contextmanager
def local_copy(view: LakeView) -> Iterator[Path]:
    """The stack's silver and gold Parquet in a temporary local lake, for DuckDB (`query`)."""
    with tempfile.TemporaryDirectory(prefix="cinelake-stack-") as tmp:
        root = Path(tmp)
        lake = layout.LocalLake(root)
        for local, store in (
            (LocalObjectStore(lake.store("silver"), "silver"), view.silver),
            (LocalObjectStore(lake.store("gold"), "gold"), view.gold),
        ):
            for obj in store.list():
                if obj.key.endswith(".parquet"):
                    local.put(obj.key, store.get(obj.key))
        yield root


LINK_EXPIRES_S = 3600  # how long a presigned dashboard link works


def dashboard_link(view: LakeView, expires_s: int = LINK_EXPIRES_S) -> str:
    """A presigned GET URL of the dashboard the gold function published in the stack's gold
    bucket (private by default); it stops working after ``expires_s`` seconds."""
    gold = view.gold
    if not gold.exists(layout.GOLD_DASHBOARD_KEY):
        raise StackError(
            f"no {layout.GOLD_DASHBOARD_KEY} in the gold bucket yet: the gold function "
            "publishes it at its next build (after a run)"
        )
    client = getattr(gold, "client", None)
    bucket = getattr(gold, "bucket", None)
    if client is None or bucket is None:  # pragma: no cover - open_stack gives S3 stores
        raise StackError("the stack's gold store is not an S3 bucket")
    url: str = client.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": layout.GOLD_DASHBOARD_KEY},
        ExpiresIn=expires_s,
    )
    return url
