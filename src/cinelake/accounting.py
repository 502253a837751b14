"""Run accounting: the one answer to "is this run finished, and what became of each movie?",
and to "which run owns a day's snapshot?".

Every consumer asks here: the enrich stage (is this the run's last movie?), the silver stage
(build or wait; superseded?), the runtime's run summary, crash recovery and ``resume``,
``status``, ``rebuild``.

The facts come from the run ledger (:mod:`cinelake.ledger`: the manifest, one outcome per
movie, the silver report) and the queue (which movies still have a message). From them:

* a run is **complete** when every movie of its manifest has an outcome (enriched, not
  found, or failed = dead-lettered), whatever order or how often messages were delivered;
* each movie's **fate** is one of ``silver`` (enriched and in the snapshot), ``quarantined``,
  ``not_found``, ``dead_lettered``, ``enriched`` (answered, silver not built yet), ``queued``
  or ``unaccounted`` (neither done nor queued: an interrupted run);
* the snapshot of a day belongs to the day's latest **complete** run: a newer run that is
  still queued, paused or interrupted does not take it from an older complete one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cinelake.ledger import RunLedger
from cinelake.models import MovieOutcome, RunManifest
from cinelake.objects import ObjectNotFound

Fate = Literal[
    "silver", "quarantined", "not_found", "dead_lettered", "enriched", "queued", "unaccounted"
]
RunState = Literal[
    "complete", "superseded", "failed", "queued", "paused", "interrupted", "awaiting_silver"
]


@dataclass(frozen=True)
class RunAccount:
    """What became of a run's movies. ``outcomes`` is read only when asked for
    (:func:`account` with ``outcomes=True``); completion needs a listing alone."""

    manifest: RunManifest
    done: frozenset[str]
    """The run's movies with an outcome."""
    queued: frozenset[str] = frozenset()
    """The run's movies with a message in the queue (visible, in flight or delayed)."""
    outcomes: Mapping[str, MovieOutcome] = field(default_factory=dict)
    silver: Mapping[str, Any] | None = None
    """The silver stage's report on the run; None while silver is not built."""

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def expected(self) -> int:
        return len(self.manifest.movies)

    @property
    def complete(self) -> bool:
        """Every movie of the manifest has an outcome."""
        return len(self.done) >= self.expected

    @property
    def remaining(self) -> int:
        return max(0, self.expected - len(self.done))

    @property
    def still_queued(self) -> int:
        return len(self.queued - self.done)

    @property
    def unaccounted(self) -> int:
        """Movies neither done nor queued (an interrupted run: ``resume`` queues them)."""
        return len(set(self.manifest.ids()) - self.done - self.queued)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes.values())

    @property
    def dead_letters(self) -> list[MovieOutcome]:
        return [o for o in self.outcomes.values() if o.status == "failed"]

    def fate(self, imdb_id: str) -> Fate:
        outcome = self.outcomes.get(imdb_id)
        if outcome is None:
            if imdb_id in self.done:
                raise ValueError("a movie's fate needs the outcomes: account(..., outcomes=True)")
            return "queued" if imdb_id in self.queued else "unaccounted"
        if outcome.status == "failed":
            return "dead_lettered"
        if outcome.status == "not_found":
            return "not_found"
        if self.silver is None or self.silver.get("state") != "built":
            return "enriched"
        quarantined = self.silver.get("quarantined_ids") or []
        return "quarantined" if imdb_id in quarantined else "silver"

    def fates(self) -> dict[str, Fate]:
        return {imdb_id: self.fate(imdb_id) for imdb_id in self.manifest.ids()}

    def needs_work(self, superseded: Callable[[], bool]) -> bool:
        """Something is left to do: movies queued or without an outcome, or silver not built
        (and the day not owned by a newer complete run: ``superseded``, asked only then)."""
        if self.queued or not self.complete:
            return True
        return self.silver is None and not superseded()

    def incomplete_reason(self) -> str | None:
        """Why the run is not complete ("incomplete: N movies still queued", ...); None if it is."""
        if self.complete:
            return None
        parts = []
        if self.still_queued:
            parts.append(f"{_movies(self.still_queued)} still queued")
        if self.unaccounted:
            parts.append(
                f"{_movies(self.unaccounted)} neither done nor queued (interrupted; "
                "`cinelake resume` finishes it)"
            )
        return "incomplete: " + ", ".join(parts)

    def state(self, *, paused: bool, superseded: Callable[[], bool]) -> RunState:
        """The run's state as ``status`` shows it; ``superseded`` is asked only for a complete
        run the silver stage has no verdict on yet."""
        if self.complete:
            if self.silver is not None:  # the silver stage's own verdict
                verdict = str(self.silver.get("state"))
                return (
                    "superseded"
                    if verdict == "superseded"
                    else ("failed" if verdict == "failed" else "complete")
                )
            return "superseded" if superseded() else "awaiting_silver"
        if paused and self.still_queued:
            return "paused"
        if self.still_queued and not self.unaccounted:
            return "queued"
        return "interrupted"


def account(
    ledger: RunLedger,
    run_id: str,
    queued: Iterable[str] = (),
    *,
    outcomes: bool = False,
    silver: bool = False,
) -> RunAccount:
    """The run's account from its ledger; ``queued``: the ids its queue messages name.
    ``outcomes`` reads every outcome (counts, dead letters); ``silver`` the silver report."""
    manifest = ledger.manifest(run_id)
    ids = set(manifest.ids())
    read = {k: v for k, v in ledger.outcomes(run_id).items() if k in ids} if outcomes else {}
    done = frozenset(read) if outcomes else frozenset(ledger.done_ids(run_id) & ids)
    return RunAccount(
        manifest,
        done,
        frozenset(set(queued) & ids),
        read,
        ledger.report(run_id, "silver") if silver else None,
    )


def is_complete(ledger: RunLedger, run_id: str) -> bool:
    """Every movie of the run has an outcome (False if it has no readable manifest)."""
    try:
        return account(ledger, run_id).complete
    except (ObjectNotFound, ValueError):
        return False


# -- which run owns a day's snapshot -----------------------------------------------------------
@dataclass
class DayOwner:
    run_id: str | None
    """The day's latest complete run; None if none of the runs asked about is complete."""
    passed_over: list[tuple[str, str]] = field(default_factory=list)
    """Newer runs of the day that are not complete, oldest first, with why."""


def day_owner(
    ledger: RunLedger, day_runs: Iterable[str], queued: Mapping[str, set[str]] | None = None
) -> DayOwner:
    """The latest complete run among ``day_runs`` (runs of one day); ``queued`` (the queue's
    ids by run) makes the reasons for the runs passed over say what is queued."""
    owner = DayOwner(None)
    for run_id in sorted(set(day_runs), reverse=True):  # run ids sort by start time
        try:
            run = account(ledger, run_id, (queued or {}).get(run_id, ()))
        except (ObjectNotFound, ValueError):
            continue
        reason = run.incomplete_reason()
        if reason is None:
            owner.run_id = run_id
            break
        owner.passed_over.append((run_id, reason))
    owner.passed_over.reverse()
    return owner


def superseding_run(ledger: RunLedger, run_id: str, day_runs: Iterable[str]) -> str | None:
    """The newest *complete* run of the same day started after ``run_id``, if any.

    ``day_runs`` are runs of the same day (or a superset that holds them: the runs with
    bronze that day; a complete run always has bronze, since its last invocation writes an
    empty part)."""
    return day_owner(ledger, (r for r in day_runs if r > run_id)).run_id


def same_day_runs(ledger: RunLedger, run_id: str, run_ids: Iterable[str]) -> list[str]:
    """The runs among ``run_ids`` started after ``run_id`` with the same snapshot date
    (runs whose manifest cannot be read are left out)."""
    day = ledger.manifest(run_id).snapshot_date
    out: list[str] = []
    for later in run_ids:
        if later <= run_id:
            continue
        try:
            if ledger.manifest(later).snapshot_date == day:
                out.append(later)
        except (ObjectNotFound, ValueError):
            continue
    return out


def is_superseded(ledger: RunLedger, run_id: str, run_ids: Iterable[str]) -> bool:
    """A newer complete run of the same day owns the snapshot (the silver stage records the
    same verdict when it is asked to build the run)."""
    return superseding_run(ledger, run_id, same_day_runs(ledger, run_id, run_ids)) is not None


def _movies(n: int) -> str:
    return f"{n} movie{'s' if n != 1 else ''}"
