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

Completion at a cost independent of the run's size (:func:`tally`, :func:`completion_recorded`):
the manifest is cut into shards of ``TALLY_SHARD`` movies (by position). Each enrich invocation,
after writing its outcomes, writes one empty *tally* object per shard it touched, whose name
lists the offsets it accounted for (``3-9.12``), then lists only those shards' tallies; a shard
whose tallies cover all its movies gets a ``tally_full`` marker, and only an invocation that
found a shard full lists the markers. Every writer writes before it lists, so of the last
writers at least one sees the run complete; the run's completion part in bronze is then created
with a conditional write, so exactly one invocation creates it (and its ObjectCreated event
builds silver). The bronze->silver stage asks whether that part exists, not the outcomes.
"""

from __future__ import annotations

import re
from collections import defaultdict
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


TALLY_SHARD = 500
"""Movies per completion shard: one listing page (1,000 keys on S3) holds a shard's tallies."""
TALLY_NAME_MAX = 120
"""Longest tally name (offset ranges); more offsets take several tallies."""
_TALLY_NAME_RE = re.compile(r"^[0-9]+(-[0-9]+)?(\.[0-9]+(-[0-9]+)?)*$")


@dataclass(frozen=True)
class TallyMap:
    """Where each movie of a manifest is tallied: (shard, offset), and each shard's size."""

    position: Mapping[str, tuple[int, int]]
    sizes: list[int]


def tally_map(manifest: RunManifest) -> TallyMap:
    size = manifest.tally_shard or TALLY_SHARD
    position: dict[str, tuple[int, int]] = {}
    sizes: list[int] = []
    for n, imdb_id in enumerate(manifest.ids()):
        if imdb_id in position:
            continue  # a duplicate id counts once, where it first appears
        shard, offset = divmod(n, size)
        while len(sizes) <= shard:
            sizes.append(0)
        position[imdb_id] = (shard, offset)
        sizes[shard] += 1
    return TallyMap(position, sizes)


def tally_names(offsets: Iterable[int]) -> list[str]:
    """Offsets as names of ranges (``0-9.12``), each at most TALLY_NAME_MAX characters."""
    ranges: list[list[int]] = []
    for n in sorted(set(offsets)):
        if ranges and ranges[-1][1] == n - 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    names: list[str] = []
    current = ""
    for a, b in ranges:
        part = str(a) if a == b else f"{a}-{b}"
        if current and len(current) + 1 + len(part) > TALLY_NAME_MAX:
            names.append(current)
            current = part
        else:
            current = f"{current}.{part}" if current else part
    if current:
        names.append(current)
    return names


def tally_offsets(name: str) -> set[int]:
    """The offsets a tally name lists (none for a name that is not a tally's)."""
    if not _TALLY_NAME_RE.match(name):
        return set()
    out: set[int] = set()
    for part in name.split("."):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def _tally_map(ledger: RunLedger, run_id: str) -> TallyMap:
    # Manifests never change, so a ledger maps a run once (as it reads the manifest once).
    cached = ledger.derived.get(("tally_map", run_id))
    if not isinstance(cached, TallyMap):
        cached = tally_map(ledger.manifest(run_id))
        ledger.derived[("tally_map", run_id)] = cached
    return cached


def tally(ledger: RunLedger, run_id: str, ids: Iterable[str]) -> bool:
    """Record that ``ids`` of the run have their outcomes written (call after writing them);
    True when the run is complete now. Costs one write and one listing per shard the ids
    fall in, plus one listing when a shard is full: nothing grows with the run.

    A run made before tallies (no ``tally_shard`` in its manifest) is counted from its
    outcomes, as before."""
    manifest = ledger.manifest(run_id)
    if manifest.tally_shard is None:
        return account(ledger, run_id).complete
    tallies = _tally_map(ledger, run_id)
    by_shard: dict[int, set[int]] = defaultdict(set)
    for imdb_id in ids:
        where = tallies.position.get(imdb_id)
        if where is not None:
            by_shard[where[0]].add(where[1])
    for shard, offsets in sorted(by_shard.items()):
        for name in tally_names(offsets):
            ledger.put_tally(run_id, shard, name)
    filled = False
    for shard in sorted(by_shard):
        seen: set[int] = set()
        for name in ledger.tally_names(run_id, shard):
            seen |= tally_offsets(name)
        if len(seen & set(range(tallies.sizes[shard]))) >= tallies.sizes[shard]:
            ledger.mark_shard_full(run_id, shard)
            filled = True
    if not filled:
        return False  # this invocation filled no shard, so it did not complete the run
    full = ledger.full_shards(run_id)
    return all(f"{shard:05d}" in full for shard in range(len(tallies.sizes)))


def tallied_ids(ledger: RunLedger, run_id: str, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` are tallied (have an outcome): one listing per shard they fall in. For a
    run made before tallies, all of them (the caller then assumes the most)."""
    wanted = set(ids)
    if ledger.manifest(run_id).tally_shard is None:
        return wanted
    tallies = _tally_map(ledger, run_id)
    by_shard: dict[int, dict[int, str]] = defaultdict(dict)
    for imdb_id in wanted:
        where = tallies.position.get(imdb_id)
        if where is not None:
            by_shard[where[0]][where[1]] = imdb_id
    out: set[str] = set()
    for shard, offsets in by_shard.items():
        seen: set[int] = set()
        for name in ledger.tally_names(run_id, shard):
            seen |= tally_offsets(name)
        out |= {imdb_id for offset, imdb_id in offsets.items() if offset in seen}
    return out


def tallied(ledger: RunLedger, run_id: str) -> int:
    """How many of the run's movies are tallied (progress; one listing of the run's tallies)."""
    manifest = ledger.manifest(run_id)
    if manifest.tally_shard is None:
        return len(account(ledger, run_id).done)
    seen: dict[str, set[int]] = defaultdict(set)
    for shard, name in ledger.all_tally_names(run_id):
        seen[shard] |= tally_offsets(name)
    return sum(len(offsets) for offsets in seen.values())


def completion_recorded(ledger: RunLedger, run_id: str) -> bool:
    """Whether the run is complete, at a cost independent of its size: its completion part
    exists (the invocation that completed it wrote it). Runs made before tallies are counted
    from their outcomes."""
    manifest = ledger.manifest(run_id)
    if manifest.tally_shard is None:
        return account(ledger, run_id).complete
    return ledger.completion_claimed(manifest.snapshot_date, run_id)


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
