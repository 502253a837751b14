"""ProcessBronzeToSilver: bronze ObjectCreated -> silver snapshot once the run is complete."""

from __future__ import annotations

from typing import Any

from cinelake.bootstrap import current
from cinelake.handlers import s3_keys
from cinelake.observability import get_logger, get_metrics
from cinelake.stages.silver import on_bronze_created
from cinelake.tracing import traced

logger = get_logger()
metrics = get_metrics()


@traced
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    keys = s3_keys(event)
    outcomes = on_bronze_created(current(), keys)
    metrics.add_metric(
        name="SilverBuilds", unit="Count", value=sum(o.state == "built" for o in outcomes)
    )
    for o in outcomes:
        logger.info("silver", extra=o.as_dict())
        if o.state == "failed":  # nothing usable: the previous snapshot stays
            metrics.add_metric(name="SilverBuildsFailed", unit="Count", value=1)
        if o.state == "built":
            metrics.add_metric(name="SilverRows", unit="Count", value=o.rows)
            metrics.add_metric(name="MoviesQuarantined", unit="Count", value=o.quarantined)
    return {"runs": [o.as_dict() for o in outcomes]}
