"""ProcessSilverToGold: silver ObjectCreated -> every gold dataset rebuilt."""

from __future__ import annotations

from typing import Any

from cinelake import layout
from cinelake.bootstrap import current
from cinelake.handlers import s3_keys
from cinelake.observability import get_logger, get_metrics
from cinelake.stages.gold import build_and_publish
from cinelake.tracing import traced

logger = get_logger()
metrics = get_metrics()


@traced
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    keys = s3_keys(event)
    if not any(layout.is_silver_movies_key(k) for k in keys):
        metrics.add_metric(name="GoldDatasets", unit="Count", value=0)
        return {"built": False, "reason": "no silver movies object in event"}
    outcome = build_and_publish(current())
    logger.info("gold built", extra=outcome.as_dict())
    metrics.add_metric(name="GoldDatasets", unit="Count", value=len(outcome.datasets))
    if outcome.snapshot_date is not None:
        # The freshness alarm fires when this has been missing for FreshnessHours.
        metrics.add_metric(name="GoldSnapshotsPublished", unit="Count", value=1)
    return {"built": True} | outcome.as_dict()
