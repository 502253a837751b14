"""The event payloads AWS delivers, built locally so handlers see exactly what Lambda gives them."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote_plus

from cinelake.adapters.queue import QueueMessage

REGION = "local-1"
ACCOUNT = "000000000000"


def schedule_input(
    when: datetime,
    *,
    top_n: int,
    batch_size: int,
    source: str | None,
    event_id: str | None = None,
    as_of: date | None = None,
    keep_for_new: int = 0,
) -> dict[str, Any]:
    """What the EventBridge rule's input transformer hands GetMoviesAndSendToQueue (with
    ``as_of``: what an operator's invoke for a backfilled day hands it)."""
    event: dict[str, Any] = {"time": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if event_id is not None:
        event["id"] = event_id
    event |= {"top_n": top_n, "batch_size": batch_size}
    if source:
        event["source"] = source
    if as_of is not None:
        event["as_of"] = as_of.isoformat()
    if keep_for_new:
        event["keep_for_new"] = keep_for_new
    return event


def sqs_event(
    messages: Sequence[QueueMessage], queue_name: str = "cinelake-movies"
) -> dict[str, Any]:
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}"
    records = []
    for m in messages:
        first = m.first_received_at or m.sent_at
        records.append(
            {
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": {
                    "ApproximateReceiveCount": str(m.receive_count),
                    "SentTimestamp": str(int(m.sent_at.timestamp() * 1000)),
                    "SenderId": ACCOUNT,
                    "ApproximateFirstReceiveTimestamp": str(int(first.timestamp() * 1000)),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(m.body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


@dataclass(frozen=True)
class Created:
    bucket: str
    key: str
    size: int


def s3_event(objects: Sequence[Created], when: datetime) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "local"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": uuid.uuid4().hex,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "cinelake-local",
                    "bucket": {
                        "name": o.bucket,
                        "ownerIdentity": {"principalId": "local"},
                        "arn": f"arn:aws:s3:::{o.bucket}",
                    },
                    "object": {
                        "key": quote_plus(o.key, safe="/"),
                        "size": o.size,
                        "eTag": uuid.uuid4().hex,
                        "sequencer": uuid.uuid4().hex[:18].upper(),
                    },
                },
            }
            for o in objects
        ]
    }


@dataclass
class LocalContext:
    """The parts of Lambda's context object that Powertools and our handlers read."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = ""
    timeout_s: float = 900.0

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = (
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"
        )
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._started = time.monotonic()

    def get_remaining_time_in_millis(self) -> int:
        """Like Lambda: the function's timeout minus the time it has run so far."""
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_s - elapsed) * 1000))
