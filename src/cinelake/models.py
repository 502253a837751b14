"""The messages and records that cross stage boundaries. Each is versioned JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cinelake.ids import RUN_ID_RE, require_imdb_id


class SourceMovie(BaseModel):
    """One movie picked from the source list, with the source record as received."""

    model_config = ConfigDict(frozen=True)

    imdb_id: str
    rank: int = Field(ge=1)
    title: str = ""
    record: dict[str, str] = Field(default_factory=dict)
    # The source's own figures when it has them (a dataset's rating and votes), kept beside
    # OMDb's; absent for lists that carry none.
    year: int | None = None
    rating: float | None = Field(None, ge=0, le=10)
    votes: int | None = Field(None, ge=0)

    @field_validator("imdb_id")
    @classmethod
    def _id(cls, v: str) -> str:
        return require_imdb_id(v)


MAX_MESSAGE_BYTES = 256 * 1024
"""The largest queue message body SQS takes (and so LocalQueue)."""


def dumps(obj: object) -> str:
    """A queue message body: compact JSON, UTF-8 kept as is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class MovieMessage(BaseModel):
    """The body of one queue message: `batch_size` movies of one run."""

    v: Literal[1] = 1
    run_id: str = Field(pattern=RUN_ID_RE.pattern)
    snapshot_date: date
    movies: list[SourceMovie] = Field(min_length=1)
    # Movies the run's plan does not fetch (the day's budget): they take their newest stored
    # answer (stale) or none yet (pending).
    hold: list[str] = Field(default_factory=list)
    # Movies the plan found with no fresh stored answer: their first delivery asks OMDb
    # without reading the cache first (an S3 GET per movie saved; a redelivery reads it).
    fetch: list[str] = Field(default_factory=list)


def message_ids(body: str) -> tuple[str | None, list[str]]:
    """A queue body's run id and IMDb ids, leniently: (None, []) for a body not of ours.

    Used to account for queued and dead-lettered work, where one unreadable message must
    not hide the others."""
    try:
        msg = json.loads(body)
    except ValueError:
        return None, []
    if not isinstance(msg, dict):
        return None, []
    run_id = msg.get("run_id") if isinstance(msg.get("run_id"), str) else None
    movies = msg.get("movies")
    ids = (
        [m.get("imdb_id") for m in movies if isinstance(m, dict)]
        if isinstance(movies, list)
        else []
    )
    return run_id, [i for i in ids if isinstance(i, str)]


def queued_ids_by_run(bodies: Iterable[str]) -> dict[str, set[str]]:
    """Which movies each run has in these queue bodies."""
    out: dict[str, set[str]] = {}
    for body in bodies:
        run_id, ids = message_ids(body)
        if run_id is not None:
            out.setdefault(run_id, set()).update(ids)
    return out


class RejectedItem(BaseModel):
    """A source item that could not be queued, and why (shown, never used as a path)."""

    rank: int | None
    id: str
    reason: str


class RunManifest(BaseModel):
    """What a run asked for: written before anything is queued, so every movie can be accounted for."""

    run_id: str
    snapshot_date: date
    started_at: datetime
    source: str
    top_n: int
    batch_size: int
    movies: list[SourceMovie]
    rejected: list[RejectedItem] = Field(default_factory=list)
    messages: int = 0
    available: int = 0  # items in the source list (top_n may ask for more than there are)
    offline: bool = False  # enriched from the bundled sample, not a real OMDb
    omdb_url: str | None = None  # the OMDb base URL the run uses (never the key); None: offline
    # Which input files produced the list (dataset sources): file, date, ETag, size.
    source_versions: list[dict[str, str | int | None]] = Field(default_factory=list)
    # The run's OMDb plan when it started (cinelake.stages.plan): counts by kind.
    plan: dict[str, int] | None = None
    hold: list[str] = Field(default_factory=list)  # the movies that plan does not fetch
    # A digest of the selected list (ids, ranks, titles, top N): a backfill of the same list
    # for a day this run owns is skipped as unchanged. None for runs made before it existed.
    list_digest: str | None = None
    # Movies per completion tally shard (cinelake.accounting); None for runs made before
    # tallies, whose completion is counted from their outcomes.
    tally_shard: int | None = None

    def ids(self) -> list[str]:
        return [m.imdb_id for m in self.movies]


OutcomeStatus = Literal["enriched", "not_found", "failed", "pending"]
"""``pending``: no answer yet and none fetched today (the day's budget or quota): in the
snapshot with the source's fields only, first in line the next day."""


class MovieOutcome(BaseModel):
    """Where one movie of a run ended up."""

    imdb_id: str
    status: OutcomeStatus
    at: datetime
    detail: str = ""
    attempts: int = 0
