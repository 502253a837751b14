"""ProcessSilverToGold: silver ObjectCreated -> every gold dataset rebuilt, the movers feed
(and on AWS the dashboard page) published, then the day's digest posted once if configured."""

from __future__ import annotations

from typing import Any

from cinelake import layout
from cinelake.bootstrap import current
from cinelake.handlers import s3_keys
from cinelake.observability import get_logger, get_metrics
from cinelake.stages.gold import PageRenderer, build_and_publish
from cinelake.stages.notify import notify
from cinelake.tracing import traced

QUALITY_METRICS = {
    "pass": "DataQualityPass",
    "warn": "DataQualityWarn",
    "fail": "DataQualityFail",
}

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
    deps = current()
    outcome = build_and_publish(deps, page=_dashboard_page() if deps.publish_dashboard else None)
    logger.info("gold built", extra=outcome.as_dict())
    notified = notify(deps, outcome.snapshot_date)  # never raises: a digest fails no build
    if notified is not None:
        logger.info("digest", extra={"notify": notified})
    metrics.add_metric(name="GoldDatasets", unit="Count", value=len(outcome.datasets))
    if outcome.snapshot_date is not None:
        # The freshness alarm fires when this has been missing for FreshnessHours.
        metrics.add_metric(name="GoldSnapshotsPublished", unit="Count", value=1)
    if outcome.quality is not None:
        # One metric per verdict (DataQualityPass, DataQualityWarn, DataQualityFail) of the
        # latest snapshot; the data-quality alarm fires on DataQualityFail.
        metrics.add_metric(name=QUALITY_METRICS[outcome.quality], unit="Count", value=1)
    return {"built": True} | outcome.as_dict() | {"notify": notified}


def _dashboard_page() -> PageRenderer:
    from cinelake.dashboard import render_dashboard

    def page(tables: Any, generated_at: Any) -> str:
        return render_dashboard(tables, generated_at=generated_at)

    return page
