"""Dead letters: which movies the queue gave up on, why, and putting them back.

The queue's dead letters are messages; operators think in movies. A message body names its run
and movies (JSON: run_id, movies[].imdb_id); titles come from the run manifest, attempts and the
last error from the run ledger. Redriving by IMDb id moves every dead message that holds the id,
whole (the other movies of a batch come back from the OMDb cache).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from cinelake.adapters.queue import DeadLetter
from cinelake.ids import InvalidImdbId, require_imdb_id
from cinelake.ledger import RunLedger
from cinelake.models import MovieOutcome, RunManifest
from cinelake.ops.lake import parse_body

if TYPE_CHECKING:
    from cinelake.ops.runs import LocalRuntime, RunSummary


@dataclass
class DeadMovie:
    imdb_id: str | None  # None: the message could not be read
    title: str
    run_id: str | None
    snapshot_date: str | None
    attempts: int
    error: str
    message_id: str
    dead_at: datetime | None


@dataclass
class DeadMessage:
    message_id: str
    run_id: str | None
    imdb_ids: list[str]
    receive_count: int
    dead_at: datetime | None
    movies: list[DeadMovie] = field(default_factory=list)


class DeadLetterSource(Protocol):
    def dead_letters(self) -> list[DeadLetter]: ...


def dead_messages(queue: DeadLetterSource | None, ledger: RunLedger) -> list[DeadMessage]:
    """Every dead-lettered message, with the movies in it that did not get an answer."""
    if queue is None:
        return []
    manifests: dict[str, RunManifest | None] = {}
    outcomes: dict[str, dict[str, MovieOutcome]] = {}
    out: list[DeadMessage] = []
    for dl in queue.dead_letters():
        run_id, ids = parse_body(dl.body)
        msg = DeadMessage(dl.message_id, run_id, ids, dl.receive_count, dl.dead_at)
        out.append(msg)
        if run_id is None or not ids:
            msg.movies.append(
                DeadMovie(
                    None,
                    "",
                    run_id,
                    None,
                    dl.receive_count,
                    "unreadable queue message (not a cinelake movie message)",
                    dl.message_id,
                    dl.dead_at,
                )
            )
            continue
        if run_id not in manifests:
            manifests[run_id] = _manifest(ledger, run_id)
            outcomes[run_id] = _outcomes(ledger, run_id)
        manifest, done = manifests[run_id], outcomes[run_id]
        titles = {m.imdb_id: m.title for m in manifest.movies} if manifest else {}
        snapshot = manifest.snapshot_date.isoformat() if manifest else None
        answered = {i for i, o in done.items() if o.status in ("enriched", "not_found")}
        shown = [i for i in ids if i not in answered] or ids
        for imdb_id in shown:
            outcome = done.get(imdb_id)
            msg.movies.append(
                DeadMovie(
                    imdb_id,
                    titles.get(imdb_id, ""),
                    run_id,
                    snapshot,
                    outcome.attempts if outcome and outcome.attempts else dl.receive_count,
                    (outcome.detail or outcome.status)
                    if outcome
                    else "no outcome recorded (the whole invocation failed)",
                    dl.message_id,
                    dl.dead_at,
                )
            )
    return out


def dead_movies(queue: DeadLetterSource | None, ledger: RunLedger) -> list[DeadMovie]:
    return [m for msg in dead_messages(queue, ledger) for m in msg.movies]


class BadIds(ValueError):
    """--id values that are not IMDb ids."""


def check_ids(values: Iterable[str]) -> list[str]:
    """The ids, stripped and de-duplicated in order; raise BadIds naming the first bad one."""
    ids: list[str] = []
    for raw in values:
        value = raw.strip()
        try:
            require_imdb_id(value)
        except InvalidImdbId as exc:
            raise BadIds(f"--id {raw!r}: {exc}") from None
        if value not in ids:
            ids.append(value)
    return ids


@dataclass
class RedrivePlan:
    message_ids: list[str]
    found: list[str]  # requested ids present in the dead letters
    missing: list[str]  # requested ids that are not
    movies: list[str]  # every movie that goes back (whole messages)
    runs: list[str]


def plan_redrive(messages: Sequence[DeadMessage], ids: Sequence[str] | None) -> RedrivePlan:
    """Which dead messages to move: all of them, or every one holding one of `ids`."""
    wanted = None if ids is None else list(ids)
    chosen = [m for m in messages if wanted is None or set(m.imdb_ids) & set(wanted)]
    present = {i for m in messages for i in m.imdb_ids}
    movies: list[str] = []
    for m in chosen:
        movies.extend(i for i in m.imdb_ids if i not in movies)
    runs = sorted({m.run_id for m in chosen if m.run_id})
    return RedrivePlan(
        message_ids=[m.message_id for m in chosen],
        found=[i for i in (wanted or []) if i in present],
        missing=[i for i in (wanted or []) if i not in present],
        movies=movies,
        runs=runs,
    )


@dataclass
class RedriveResult:
    plan: RedrivePlan
    moved: int
    summaries: list[RunSummary]
    superseded: list[str]  # redriven runs whose day now belongs to a newer run


def redrive(runtime: LocalRuntime, ids: Sequence[str] | None = None) -> RedriveResult:
    """Put the chosen dead letters back in the queue and carry their runs to completion."""
    ledger = runtime.deps.ledger
    with runtime.exclusive():  # no run may be pumping while messages move
        plan = plan_redrive(dead_messages(runtime.queue, ledger), ids)
        moved = runtime.queue.redrive(plan.message_ids) if plan.message_ids else 0
    if not moved:
        return RedriveResult(plan, 0, [], [])
    summaries = [s for s in runtime.resume() if s.run_id in plan.runs]
    # The silver stage records whether a newer complete run of the day owns the snapshot.
    superseded = [
        r for r in plan.runs if (ledger.report(r, "silver") or {}).get("state") == "superseded"
    ]
    return RedriveResult(plan, moved, summaries, superseded)


def as_dict(movie: DeadMovie) -> dict[str, Any]:
    return {
        "imdb_id": movie.imdb_id,
        "title": movie.title,
        "run_id": movie.run_id,
        "snapshot_date": movie.snapshot_date,
        "attempts": movie.attempts,
        "error": movie.error,
        "message_id": movie.message_id,
        "dead_at": movie.dead_at.isoformat() if movie.dead_at else None,
    }


def _manifest(ledger: RunLedger, run_id: str) -> RunManifest | None:
    try:
        return ledger.manifest(run_id)
    except (KeyError, ValueError):  # ObjectNotFound is a KeyError; a bad run id a ValueError
        return None


def _outcomes(ledger: RunLedger, run_id: str) -> dict[str, MovieOutcome]:
    try:
        return ledger.outcomes(run_id)
    except ValueError:
        return {}
