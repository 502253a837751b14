"""EnrichAndStoreMovie: SQS batch -> OMDb -> bronze, with partial batch failures reported."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from cinelake.bootstrap import current
from cinelake.observability import get_logger, get_metrics
from cinelake.stages.enrich import EnrichReport, SqsMessage, enrich_batch
from cinelake.tracing import traced

logger = get_logger()
metrics = get_metrics()


class MessageNotEnriched(Exception):
    """Marks a record failed so SQS retries it (and its redrive policy dead-letters it)."""


def _record_metrics(report: EnrichReport) -> None:
    metrics.add_metric(name="MoviesEnriched", unit="Count", value=report.found)
    metrics.add_metric(name="MoviesNotFound", unit="Count", value=report.not_found)
    metrics.add_metric(name="MoviesFailed", unit="Count", value=report.dead_lettered)
    metrics.add_metric(name="OmdbRequests", unit="Count", value=report.omdb_requests)
    metrics.add_metric(name="OmdbCacheHits", unit="Count", value=report.cache_hits)
    if report.key_errors:
        # Secret missing/unreadable or key refused by OMDb: the KeyErrors alarm watches it.
        metrics.add_metric(name="OmdbKeyErrors", unit="Count", value=report.key_errors)
    if report.paused_minutes is not None:
        # Every invocation that meets a pause says how long it has lasted: the paused alarm.
        metrics.add_metric(
            name="EnrichmentPausedMinutes", unit="Count", value=report.paused_minutes
        )
    if report.latencies_ms:
        # One value per invocation keeps the EMF document small at any batch size.
        mean = sum(report.latencies_ms) / len(report.latencies_ms)
        metrics.add_metric(name="OmdbLatency", unit="Milliseconds", value=round(mean, 1))


def _deadline(context: Any) -> float | None:
    """When this invocation times out, in time.monotonic() seconds; None if the context can't say."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    try:
        remaining_ms = float(remaining())
    except (TypeError, ValueError):
        return None
    return time.monotonic() + remaining_ms / 1000


@traced
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deadline_s = _deadline(context)  # first, so setting up does not eat into the margin
    records = event.get("Records", [])
    messages = [
        SqsMessage(
            message_id=r["messageId"],
            body=r["body"],
            receive_count=int(r.get("attributes", {}).get("ApproximateReceiveCount", "1")),
        )
        for r in records
    ]
    report = enrich_batch(current(), messages, deadline_s=deadline_s)
    _record_metrics(report)
    failed = set(report.failed_message_ids)

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in failed:
            raise MessageNotEnriched(record.message_id)

    # The response shape is Lambda's ReportBatchItemFailures contract; Powertools builds it.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
