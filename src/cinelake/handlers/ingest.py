"""GetMoviesAndSendToQueue: EventBridge schedule -> top N movies queued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cinelake.bootstrap import current
from cinelake.observability import get_logger, get_metrics
from cinelake.sample import top_movies_path
from cinelake.stages.ingest import IngestRequest, start_run

logger = get_logger()
metrics = get_metrics()


class ScheduleInput(BaseModel):
    """Either the scheduled event itself (settings in `detail`) or the rule's constant input."""

    model_config = ConfigDict(extra="ignore")

    top_n: int | None = Field(None, ge=1)
    batch_size: int | None = Field(None, ge=1)
    source: str | None = None
    time: datetime | None = None
    detail: dict[str, Any] = Field(default_factory=dict)

    def merged(self) -> ScheduleInput:
        inner = ScheduleInput.model_validate(self.detail) if self.detail else None
        return ScheduleInput(
            top_n=self.top_n or (inner.top_n if inner else None),
            batch_size=self.batch_size or (inner.batch_size if inner else None),
            source=self.source or (inner.source if inner else None),
            time=self.time,
        )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = current()
    given = ScheduleInput.model_validate(event).merged()
    settings = deps.settings
    manifest = start_run(
        deps,
        IngestRequest(
            source=given.source or settings.source or str(top_movies_path()),
            top_n=given.top_n or settings.top_n,
            batch_size=given.batch_size or settings.batch_size,
            when=given.time,
        ),
    )
    logger.append_keys(run_id=manifest.run_id)
    logger.info("run queued", extra={"movies": len(manifest.movies),
                                     "rejected": len(manifest.rejected),
                                     "messages": manifest.messages})
    metrics.add_metric(name="MoviesQueued", unit="Count", value=len(manifest.movies))
    return {
        "run_id": manifest.run_id,
        "snapshot_date": manifest.snapshot_date.isoformat(),
        "queued": len(manifest.movies),
        "rejected": [r.model_dump() for r in manifest.rejected],
        "messages": manifest.messages,
    }
