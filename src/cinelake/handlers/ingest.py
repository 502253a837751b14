"""GetMoviesAndSendToQueue: EventBridge schedule -> top N movies queued."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cinelake.bootstrap import current
from cinelake.observability import get_logger, get_metrics
from cinelake.sample import top_movies_path
from cinelake.stages.ingest import IngestRequest, start_run
from cinelake.tracing import traced

logger = get_logger()
metrics = get_metrics()


class ScheduleInput(BaseModel):
    """The rule's input (`{"time", "top_n", "batch_size"}`) or a raw EventBridge event.

    A raw scheduled event carries its settings in `detail`; its top-level `source` is
    "aws.events", not a top list, so only `time` and `detail` are read from it.
    """

    model_config = ConfigDict(extra="ignore")

    top_n: int | None = Field(None, ge=1)
    batch_size: int | None = Field(None, ge=1)
    source: str | None = None
    time: datetime | None = None
    id: str | None = Field(None, max_length=128)  # the EventBridge event id: names the run
    as_of: date | None = None  # record the list as this day's snapshot (a backfill)
    # Requests the plan keeps for movies never fetched that later days of a backfill list.
    keep_for_new: int = Field(0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        if isinstance(data, dict) and "detail-type" in data:
            detail = data.get("detail") or {}
            return {
                **(detail if isinstance(detail, dict) else {}),
                "time": data.get("time"),
                "id": data.get("id"),
            }
        return data


@traced
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = current()
    given = ScheduleInput.model_validate(event)
    settings = deps.settings
    manifest = start_run(
        deps,
        IngestRequest(
            source=given.source or settings.source or str(top_movies_path()),
            top_n=given.top_n or settings.top_n,
            batch_size=given.batch_size or settings.batch_size,
            when=given.time,
            event_id=given.id,
            as_of=given.as_of,
            keep_for_new=given.keep_for_new,
        ),
    )
    logger.append_keys(run_id=manifest.run_id)
    logger.info(
        "run queued",
        extra={
            "movies": len(manifest.movies),
            "rejected": len(manifest.rejected),
            "messages": manifest.messages,
        },
    )
    metrics.add_metric(name="MoviesQueued", unit="Count", value=len(manifest.movies))
    return {
        "run_id": manifest.run_id,
        "snapshot_date": manifest.snapshot_date.isoformat(),
        "queued": len(manifest.movies),
        "rejected": [r.model_dump() for r in manifest.rejected],
        "messages": manifest.messages,
    }
