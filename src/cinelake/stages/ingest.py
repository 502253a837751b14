"""Ingest: read the top list, pick the top N, record the run's manifest, queue the movies."""

from __future__ import annotations

import hashlib
import secrets as _random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cinelake import accounting
from cinelake.models import MAX_MESSAGE_BYTES as SQS_MAX_MESSAGE_BYTES
from cinelake.models import MovieMessage, RejectedItem, RunManifest, SourceMovie, dumps
from cinelake.sources.port import ListSource, Source
from cinelake.sources.top_list import SourceError
from cinelake.stages.plan import plan_movies
from cinelake.stages.ports import IngestPorts


class BatchTooLarge(SourceError):
    """--batch-size makes messages bigger than SQS allows."""


@dataclass(frozen=True)
class IngestRequest:
    source: str
    top_n: int = 10
    batch_size: int = 1
    when: datetime | None = None  # the schedule's time; the run's snapshot date is its UTC date
    event_id: str | None = None  # the schedule event's id: a retried event gets the same run
    # Load an archived list as that day's snapshot (backfill); OMDb answers are still today's.
    as_of: date | None = None
    # Requests the plan keeps for movies never fetched that later days of a backfill list:
    # it refreshes answers past their TTL only with what is left beyond them.
    keep_for_new: int = 0


class FutureSnapshot(SourceError):
    """An as-of date after today: a snapshot of a list nobody has seen yet."""


def list_digest(movies: list[SourceMovie], top_n: int) -> str:
    """What decides a day's snapshot from its list: each movie's rank, id and title, and top N."""
    picked = [[m.rank, m.imdb_id, m.title] for m in movies]
    return hashlib.sha256(dumps({"top_n": top_n, "movies": picked}).encode()).hexdigest()


def new_run_id(now: datetime, event_id: str | None = None) -> str:
    """Sortable by start time; derived from the event id when there is one, so that
    EventBridge retrying the same event reaches the same run instead of starting another."""
    if event_id is None:
        return f"{now:%Y%m%dT%H%M%SZ}-{_random.token_hex(3)}"
    digest = hashlib.sha256(event_id.encode()).hexdigest()[:6]
    return f"{now:%Y%m%dT%H%M%SZ}-{digest}"


def message_bodies(
    run_id: str,
    snapshot: date,
    movies: list[SourceMovie],
    batch_size: int,
    *,
    check: bool = True,
    hold: set[str] | frozenset[str] = frozenset(),
    fetch: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """``hold``: the movies the run's plan does not fetch (each message names its own);
    ``fetch``: those it fetches because no fresh answer is stored."""
    if batch_size < 1:
        raise BatchTooLarge(f"batch size must be at least 1 (got {batch_size})")
    bodies = [
        dumps(
            {
                k: v
                for k, v in MovieMessage(
                    run_id=run_id,
                    snapshot_date=snapshot,
                    movies=movies[i : i + batch_size],
                    hold=[m.imdb_id for m in movies[i : i + batch_size] if m.imdb_id in hold],
                    fetch=[m.imdb_id for m in movies[i : i + batch_size] if m.imdb_id in fetch],
                )
                .model_dump(mode="json")
                .items()
                if k not in ("hold", "fetch") or v  # none: the body is what it always was
            }
        )
        for i in range(0, len(movies), batch_size)
    ]
    largest = max((len(b.encode()) for b in bodies), default=0)
    if check and largest > SQS_MAX_MESSAGE_BYTES:
        per_movie = largest / min(batch_size, len(movies))
        fits = max(1, int(SQS_MAX_MESSAGE_BYTES // per_movie) - 1)
        raise BatchTooLarge(
            f"batch size {batch_size} makes queue messages of {largest / 1024:.0f} KiB; "
            f"one SQS message holds 256 KiB (use a batch size of at most about {fits})"
        )
    return bodies


def fit_in_messages(
    run_id: str, snapshot: date, movies: list[SourceMovie]
) -> tuple[list[SourceMovie], list[RejectedItem]]:
    """A source record too big for a queue message on its own is rejected; the rest go on."""
    kept: list[SourceMovie] = []
    rejected: list[RejectedItem] = []
    for movie in movies:
        size = len(message_bodies(run_id, snapshot, [movie], 1, check=False)[0].encode())
        if size > SQS_MAX_MESSAGE_BYTES:
            rejected.append(
                RejectedItem(
                    rank=movie.rank,
                    id=movie.imdb_id,
                    reason=f"source record of {size / 1024:.0f} KiB does not fit one queue message (256 KiB)",
                )
            )
        else:
            kept.append(movie)
    return kept, rejected


def prepare(
    request: IngestRequest, now: datetime, *, s3: Any = None, source: Source | None = None
) -> tuple[RunManifest, list[str]]:
    """Everything up to (not including) any write to the lake: a bad input fails here with
    nothing written. `source` defaults to the list at `request.source`."""
    if request.top_n < 1:
        raise SourceError(f"top N must be at least 1 (got {request.top_n})")
    when = request.when or now
    snapshot = request.as_of or when.date()
    if request.as_of is not None and request.as_of > now.date():
        raise FutureSnapshot(
            f"as-of date {snapshot.isoformat()} is in the future (today is {now.date().isoformat()})"
        )
    source = source or ListSource(request.source, s3=s3)
    selection = source.select(request.top_n)
    run_id = new_run_id(when if request.event_id else now, request.event_id)
    movies, too_big = fit_in_messages(run_id, snapshot, selection.movies)
    if not movies:
        # A run with nothing to enrich would still replace the day's snapshot: refuse it.
        reasons = sorted({r.reason for r in selection.rejected + too_big})
        raise SourceError(
            f"no usable movie in the top {request.top_n} of the source "
            f"({len(selection.rejected) + len(too_big)} rejected: {'; '.join(reasons)[:200]})"
        )
    bodies = message_bodies(run_id, snapshot, movies, request.batch_size)
    manifest = RunManifest(
        run_id=run_id,
        snapshot_date=snapshot,
        started_at=now,
        source=source.label,
        top_n=request.top_n,
        batch_size=request.batch_size,
        movies=movies,
        rejected=sorted(selection.rejected + too_big, key=lambda r: r.rank or 0),
        messages=len(bodies),
        available=selection.available,
        source_versions=list(selection.versions),
        list_digest=list_digest(movies, request.top_n),
        tally_shard=accounting.TALLY_SHARD,
    )
    return manifest, bodies


def plan_run(deps: IngestPorts, request: IngestRequest) -> tuple[RunManifest, list[str]]:
    return prepare(request, deps.clock.now(), source=deps.open_source(request.source))


def start_run(deps: IngestPorts, request: IngestRequest) -> RunManifest:
    manifest, bodies = plan_run(deps, request)
    manifest.offline = deps.settings.offline
    # Where the run goes, so resume, the next run and a redrive go there too.
    manifest.omdb_url = None if deps.settings.offline else deps.settings.omdb_url
    ledger = deps.ledger
    if ledger.has_manifest(manifest.run_id):
        # The same schedule event again (EventBridge retries): finish queueing, start nothing.
        requeue_unqueued(deps, manifest.run_id)
        return ledger.manifest(manifest.run_id)
    # Which movies get an OMDb request today (the day's budget), decided before sending.
    plan = plan_movies(
        deps, manifest.movies, omdb_url=manifest.omdb_url, keep_for_new=request.keep_for_new
    )
    manifest.plan = plan.counts()
    manifest.hold = sorted(plan.hold)
    fetch = set(plan.ids("fetch")) | set(plan.ids("refresh"))
    if plan.hold or fetch:
        bodies = message_bodies(
            manifest.run_id,
            manifest.snapshot_date,
            manifest.movies,
            manifest.batch_size,
            hold=plan.hold,
            fetch=fetch,
        )
    # The manifest goes first: from here on every movie is accounted for, even after a crash.
    deps.ledger.write_manifest(manifest)
    deps.checkpoint("after_manifest")
    if bodies:
        deps.queue.send(bodies)
    deps.checkpoint("after_enqueue")
    deps.ledger.mark_queued(manifest.run_id, len(bodies))
    return manifest


def requeue_unqueued(deps: IngestPorts, run_id: str) -> int:
    """A crash between manifest and queue: send the run's messages again (duplicates are harmless)."""
    ledger = deps.ledger
    if ledger.is_queued(run_id):
        return 0
    manifest = ledger.manifest(run_id)
    done = accounting.account(ledger, run_id).done
    pending = [m for m in manifest.movies if m.imdb_id not in done]
    bodies = message_bodies(
        run_id, manifest.snapshot_date, pending, manifest.batch_size, hold=set(manifest.hold)
    )
    if bodies:
        deps.queue.send(bodies)
    ledger.mark_queued(run_id, len(bodies))
    return len(bodies)
