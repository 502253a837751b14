"""Bronze -> silver: when a run is complete, turn the day's bronze answers into the silver snapshot.

Triggered by bronze ObjectCreated events: one per bronze object (data parts and the empty
completion markers alike). An event for a run that still has movies in flight does nothing; the
first event after the last movie is accounted for builds the snapshot. Later events rebuild it
only when the bronze the build reads has changed (a redriven movie's new answer): the silver
report keeps a fingerprint of those inputs, and an event that finds the same inputs writes
nothing (state ``unchanged``), so it raises no silver event and no gold build. The snapshot file
is replaced whole, never appended, so re-runs and duplicate events cannot duplicate rows.

The snapshot of day D belongs to the latest *complete* run R of that day
(:mod:`cinelake.accounting` says which): R's manifest decides
which movies are in it and their ``source_rank``. Each movie's answer is the newest good bronze
answer for it from the runs of day D up to R (the newest bad one when it has no good one), so a
run that fails where an earlier run of the day succeeded does not lose that day's answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from cinelake import accounting, layout
from cinelake.ledger import RunLedger
from cinelake.models import RunManifest
from cinelake.objects import ObjectInfo, local_copies
from cinelake.observability import get_logger
from cinelake.stages.ports import SilverPorts
from cinelake.tables import parquet_bytes

if TYPE_CHECKING:
    from cinelake.silver.transform import SilverBuild

NOTHING_USABLE = (
    "OMDb answered nothing usable for this snapshot: silver and gold keep the previous snapshot"
)


@dataclass
class SilverOutcome:
    run_id: str
    state: Literal["built", "unchanged", "waiting", "superseded", "failed"]
    """``unchanged``: built before from the same bronze inputs, so nothing was written.
    ``failed``: OMDb answered nothing usable (no movie for the snapshot), so nothing was written
    and the day keeps the silver (and gold) it had."""
    snapshot_date: str = ""
    rows: int = 0
    quarantined: int = 0
    not_found: int = 0
    drift: dict[str, int] = field(default_factory=dict)
    remaining: int = 0
    stale: int = 0
    pending: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    """Fields the silver contract reads that found answers lacked -> how many lacked them."""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def runs_in_keys(keys: list[str]) -> list[str]:
    """The runs named by bronze object keys (other keys are ignored, like an S3 filter would)."""
    runs = {m.group(2) for k in keys if (m := layout.BRONZE_KEY_RE.match(k))}
    return sorted(runs)


def day_bronze(deps: SilverPorts, snapshot: date) -> dict[str, list[ObjectInfo]]:
    """Every bronze object of the day (key and size), by run (one listing of the day's prefix)."""
    prefix = layout.bronze_day_prefix(snapshot)
    by_run: dict[str, list[ObjectInfo]] = {}
    for obj in deps.bronze.list(prefix):
        if m := layout.RUN_FOLDER_RE.match(obj.key[len(prefix) :]):
            by_run.setdefault(m.group(1), []).append(obj)
    return by_run


def inputs_fingerprint(objects: Iterable[ObjectInfo]) -> str:
    """A hash of the sorted (key, size) of the non-empty bronze objects a build reads.

    Bronze parts are written once and never changed, so equal fingerprints mean equal inputs.
    The empty completion markers hold no answers: one more of them does not change the build.
    """
    inputs = sorted((o.key, o.size) for o in objects if o.size > 0)
    return hashlib.sha256(json.dumps(inputs).encode()).hexdigest()


def build_run(deps: SilverPorts, run_id: str, *, force: bool = False) -> SilverOutcome:
    """Build the day's silver snapshot for a run, if it is complete and the day's latest complete run.

    ``force`` builds a run that is not complete yet (its missing movies are taken from earlier
    runs of the day, or left out), and builds even when the inputs are unchanged. A newer
    complete run of the day supersedes this one either way. Without ``force``, a run already
    built from the same bronze inputs (same fingerprint, silver object still there) is
    ``unchanged``: nothing is written, so no silver event reaches gold.
    """
    from cinelake.silver.transform import build_silver

    ledger = deps.ledger
    manifest = ledger.manifest(run_id)
    # Whether the run is complete costs the same whatever its size (its completion part
    # exists): this runs on every bronze event, one per enrich invocation.
    if not force and not accounting.completion_recorded(ledger, run_id):
        return SilverOutcome(run_id, "waiting")
    snapshot = manifest.snapshot_date
    bronze = day_bronze(deps, snapshot)
    newer = accounting.superseding_run(ledger, run_id, bronze)
    if newer is not None:
        # A newer complete run owns this day's snapshot; an old redrive must not overwrite it.
        # Recorded, so nothing keeps trying to finish this run.
        outcome = SilverOutcome(run_id, "superseded", snapshot.isoformat())
        ledger.write_report(run_id, "silver", outcome.as_dict() | {"superseded_by": newer})
        return outcome
    # The answers of every run of the day up to this one; run ids sort by start time, so this
    # run's files come last and win a tie (build_silver keeps a good answer over a bad one, then
    # the latest fetched_at, then the later file). Later runs are left out: they are not
    # complete, and this run's own answer must win over theirs. Empty objects (completion
    # markers) hold no answers and are not read.
    inputs = [o for r, objs in bronze.items() if r <= run_id for o in objs if o.size > 0]
    fingerprint = inputs_fingerprint(inputs)
    if not force:
        unchanged = _unchanged(deps, run_id, snapshot, fingerprint)
        if unchanged is not None:
            return unchanged
    keys = sorted(o.key for o in inputs)
    with local_copies(deps.bronze, keys) as files:
        day = build_silver(files, snapshot_date=snapshot, run_id=None, ingested_at=deps.clock.now())
    build = with_lost_movies(ledger, for_manifest(day, manifest), manifest, deps.clock.now())
    build = with_freshness(
        ledger, build, manifest, deps.clock.now(), timedelta(days=deps.settings.cache_ttl_days)
    )
    if build.movies.num_rows == 0:
        # A total outage (or every answer unusable): replacing the snapshot with an empty one
        # would blank gold, the dashboard and the Athena tables. The movies stay dead-lettered
        # (or queued), so a redrive builds the snapshot once OMDb answers again.
        outcome = SilverOutcome(
            run_id,
            "failed",
            snapshot.isoformat(),
            quarantined=build.quarantine.num_rows,
            not_found=len(build.not_found),
            drift=dict(build.drift),
            missing=dict(build.missing),
        )
        ledger.write_report(
            run_id,
            "silver",
            outcome.as_dict()
            | {
                "reason": NOTHING_USABLE,
                "records_read": build.records_read,
                "runs_read": sorted(r for r in bronze if r <= run_id),
                "inputs_fingerprint": fingerprint,
            },
        )
        get_logger().warning(
            NOTHING_USABLE, extra={"run_id": run_id, "snapshot_date": snapshot.isoformat()}
        )
        return outcome
    deps.checkpoint("before_silver_write")
    # Quarantine and the day's list first: the movies write raises the event gold listens to.
    deps.silver.put(layout.quarantine_key(snapshot), parquet_bytes(build.quarantine))
    deps.silver.put(layout.lists_key(snapshot), parquet_bytes(day_list(manifest)))
    deps.silver.put(layout.quality_key(snapshot), quality_facts(ledger, manifest, build))
    deps.silver.put(layout.movies_key(snapshot), parquet_bytes(build.movies))
    outcome = SilverOutcome(
        run_id,
        "built",
        snapshot.isoformat(),
        rows=build.movies.num_rows,
        quarantined=build.quarantine.num_rows,
        not_found=len(build.not_found),
        drift=dict(build.drift),
        **freshness_counts(build.movies),
        missing=dict(build.missing),
    )
    report = outcome.as_dict() | {
        "quarantined_ids": [x for x in build.quarantine.column("requested_imdb_id").to_pylist()],
        "records_read": build.records_read,
        "runs_read": sorted(r for r in bronze if r <= run_id),
        "inputs_fingerprint": fingerprint,
    }
    ledger.write_report(run_id, "silver", report)
    if build.drift:
        get_logger().warning(
            "schema drift: OMDb sent fields the silver contract does not know",
            extra={"run_id": run_id, "fields": dict(build.drift)},
        )
    if build.missing:
        get_logger().warning(
            "schema drift: OMDb answers lacked fields the silver contract reads",
            extra={"run_id": run_id, "fields": dict(build.missing)},
        )
    return outcome


def _unchanged(
    deps: SilverPorts, run_id: str, snapshot: date, fingerprint: str
) -> SilverOutcome | None:
    """The outcome of a repeated build from the same inputs, or None if it must build.

    Its figures are those of the build that wrote the snapshot; nothing is written, not even
    the report. A report without a fingerprint (an older build) or a missing silver object
    (movies or the day's list) means build.
    """
    previous = deps.ledger.report(run_id, "silver")
    if (
        previous is None
        or previous.get("state") != "built"
        or previous.get("inputs_fingerprint") != fingerprint
        or not _silver_object_exists(deps, layout.movies_key(snapshot))
        # A day built before silver kept the day's list: build again, so history has it.
        or not _silver_object_exists(deps, layout.lists_key(snapshot))
        # ... or its data-quality figures: build again, so the day gets a verdict.
        or not _silver_object_exists(deps, layout.quality_key(snapshot))
    ):
        return None
    return SilverOutcome(
        run_id,
        "unchanged",
        snapshot.isoformat(),
        rows=int(previous.get("rows", 0)),
        quarantined=int(previous.get("quarantined", 0)),
        not_found=int(previous.get("not_found", 0)),
        drift=dict(previous.get("drift", {})),
        stale=int(previous.get("stale", 0)),
        pending=int(previous.get("pending", 0)),
        missing=dict(previous.get("missing", {})),
    )


def quality_facts(ledger: RunLedger, manifest: RunManifest, build: SilverBuild) -> bytes:
    """The day's data-quality figures (``silver/quality``): not found and dead-lettered as the
    run's account counts them (as the run summary and ``status`` do), the rest from the
    build."""
    from cinelake.stages.quality import day_facts, facts_bytes

    run = accounting.account(ledger, manifest.run_id, outcomes=True)
    return facts_bytes(
        day_facts(
            manifest,
            build.movies,
            quarantined=build.quarantine.num_rows,
            not_found=run.count("not_found"),
            dead_lettered=run.count("failed"),
            drift=build.drift,
            missing=build.missing,
        )
    )


def day_list(manifest: RunManifest) -> pa.Table:
    """The day's top list (``silver_lists``): every movie the owning run's manifest names, with
    the list's own rank, title and figures, whether OMDb found it or not. History is computed
    from these lists, so a movie OMDb could not answer still counts as on the list."""
    from cinelake.silver import schema

    movies = sorted(manifest.movies, key=lambda m: (m.rank, m.imdb_id))
    table = pa.table(
        {
            "source_rank": pa.array([m.rank for m in movies], pa.int32()),
            "imdb_id": pa.array([m.imdb_id for m in movies], pa.string()),
            "title": pa.array([m.title or None for m in movies], pa.string()),
            "source_rating": pa.array([m.rating for m in movies], pa.float64()),
            "source_votes": pa.array([m.votes for m in movies], pa.int64()),
            "run_id": pa.array([manifest.run_id] * len(movies), pa.string()),
        }
    )
    return schema.conform_lists(table)


def _silver_object_exists(deps: SilverPorts, key: str) -> bool:
    """Whether a silver object is there, by listing its key rather than a HEAD:
    on S3 a HEAD needs s3:GetObject (and answers 403, not 404, for a missing object without
    s3:ListBucket), while the silver role only writes silver objects and may list the bucket."""
    return key in deps.silver.list_keys(key)


def for_manifest(day: SilverBuild, manifest: RunManifest) -> SilverBuild:
    """The day's deduplicated answers cut down to the movies ``manifest`` asked for.

    Movies and not-found ids keep only the run's ids and take the run's ``source_rank``,
    ``source_rating`` and ``source_votes``.
    ``run_id`` stays the row's own: the run that fetched the answer (the silver contract's
    meaning), so a movie answered by an earlier run of the day names that run. A movie the run
    asked for that no run of the day answered (dead-lettered) is simply absent.

    Quarantine keeps the run's ids too, plus the lines that name no movie at all (unreadable,
    no valid ``imdb_id``) of this run or of no readable run, so corrupt bronze stays visible.
    ``drift``, ``missing`` and ``records_read`` are the day's, over the answers read.
    """
    from cinelake.silver import schema
    from cinelake.silver.transform import SilverBuild

    ids = manifest.ids()
    wanted = pa.array(ids, pa.string())
    ranks = pa.array([m.rank for m in manifest.movies], pa.int32())

    movies = day.movies.filter(pc.is_in(day.movies.column("imdb_id"), value_set=wanted))
    rank_at = pc.index_in(movies.column("imdb_id"), value_set=wanted)
    figures = {
        "source_rank": ranks,
        "source_rating": pa.array([m.rating for m in manifest.movies], pa.float64()),
        "source_votes": pa.array([m.votes for m in manifest.movies], pa.int64()),
    }
    for name, values in figures.items():
        movies = movies.set_column(
            movies.schema.get_field_index(name), name, pc.take(values, rank_at)
        )
    movies = movies.sort_by([("source_rank", "ascending"), ("imdb_id", "ascending")])

    q = day.quarantine
    requested = q.column("requested_imdb_id")
    names_a_movie = pc.fill_null(pc.match_substring_regex(requested, schema.IMDB_ID_PATTERN), False)
    own_or_unknown_run = pc.fill_null(pc.equal(q.column("run_id"), manifest.run_id), True)
    keep = pc.or_(
        pc.fill_null(pc.is_in(requested, value_set=wanted), False),
        pc.and_(pc.invert(names_a_movie), own_or_unknown_run),
    )
    rank_of = {m.imdb_id: m.rank for m in manifest.movies}
    return SilverBuild(
        movies=schema.conform_movies(movies),
        quarantine=schema.conform_quarantine(q.filter(keep)),
        not_found=sorted((i for i in day.not_found if i in rank_of), key=lambda i: (rank_of[i], i)),
        drift=day.drift,
        records_read=day.records_read,
        missing=day.missing,
    )


def with_lost_movies(
    ledger: RunLedger, build: SilverBuild, manifest: RunManifest, now: datetime
) -> SilverBuild:
    """The build plus a quarantine record for every movie the run's ledger says was answered
    but that no bronze line of the day has (a truncated or lost part): never silently absent.

    A movie with no outcome, or a failed one (dead-lettered), is absent as it should be.
    """
    from cinelake.silver import schema
    from cinelake.silver.transform import RejectedLine, SilverBuild, rejected_rows

    present = (
        set(build.movies.column("imdb_id").to_pylist())
        | set(build.not_found)
        | set(build.quarantine.column("requested_imdb_id").to_pylist())
    )
    lost: list[RejectedLine] = []
    for movie in manifest.movies:
        if movie.imdb_id in present:
            continue
        outcome = ledger.outcome(manifest.run_id, movie.imdb_id)
        if outcome is not None and outcome.status not in ("failed", "pending"):
            lost.append(
                RejectedLine(
                    movie.imdb_id,
                    manifest.run_id,
                    f"missing_from_bronze: the ledger records {outcome.status} at "
                    f"{outcome.at.isoformat()} but no bronze line of the day has it",
                    "",
                )
            )
    if not lost:
        return build
    get_logger().warning(
        "movies missing from bronze",
        extra={"run_id": manifest.run_id, "imdb_ids": [r.requested_imdb_id for r in lost]},
    )
    extra = schema.conform_quarantine(rejected_rows(lost, set(), now))
    return SilverBuild(
        movies=build.movies,
        quarantine=pa.concat_tables([build.quarantine, extra]),
        not_found=build.not_found,
        drift=build.drift,
        records_read=build.records_read,
        missing=build.missing,
    )


def freshness_counts(movies: pa.Table) -> dict[str, int]:
    """How many of the snapshot's rows are ``stale`` and ``pending``."""
    states = movies.column("enrichment").to_pylist()
    return {"stale": states.count("stale"), "pending": states.count("pending")}


def with_freshness(
    ledger: RunLedger, build: SilverBuild, manifest: RunManifest, now: datetime, ttl: timedelta
) -> SilverBuild:
    """Each row's ``enrichment``: an answer fetched more than the TTL before the run started
    is ``stale`` (the day's budget went to other movies); plus a ``pending`` row (the run's
    source fields, OMDb fields empty) for each movie the ledger says got no answer today and
    no run of the day answered. The run's start, not the build's clock, so a rebuild agrees.
    """
    from cinelake.silver import schema
    from cinelake.silver.transform import SilverBuild

    movies = build.movies
    if movies.num_rows:
        fetched = movies.column("omdb_fetched_at")
        oldest_fresh = pa.scalar(manifest.started_at - ttl, fetched.type)
        stale = pc.fill_null(pc.less(fetched, oldest_fresh), False)
        states = pc.if_else(stale, "stale", "fresh")
        at = movies.schema.get_field_index("enrichment")
        movies = movies.set_column(at, "enrichment", states.cast(pa.string()))
    present = (
        set(movies.column("imdb_id").to_pylist())
        | set(build.not_found)
        | set(build.quarantine.column("requested_imdb_id").to_pylist())
    )
    pending = [
        m
        for m in manifest.movies
        if m.imdb_id not in present
        and (o := ledger.outcome(manifest.run_id, m.imdb_id)) is not None
        and o.status == "pending"
    ]
    if pending:
        movies = pa.concat_tables(
            [schema.conform_movies(movies), _pending_rows(pending, manifest.run_id, now)]
        )
        movies = movies.sort_by([("source_rank", "ascending"), ("imdb_id", "ascending")])
    return SilverBuild(
        movies=schema.conform_movies(movies),
        quarantine=build.quarantine,
        not_found=build.not_found,
        drift=build.drift,
        records_read=build.records_read,
        missing=build.missing,
    )


def _pending_rows(movies: list[Any], run_id: str, now: datetime) -> pa.Table:
    """Rows with the source's fields and empty OMDb fields."""
    from cinelake.silver import schema

    n = len(movies)
    given: dict[str, list[Any]] = {
        "imdb_id": [m.imdb_id for m in movies],
        "run_id": [run_id] * n,
        "source_rank": [m.rank for m in movies],
        "source_rating": [m.rating for m in movies],
        "source_votes": [m.votes for m in movies],
        "ingested_at": [now] * n,
        "enrichment": ["pending"] * n,
    }
    arrow = schema.arrow_schema()
    columns = []
    for f in arrow:
        if f.name in given:
            columns.append(pa.array(given[f.name], f.type))
        elif pa.types.is_list(f.type) and not f.nullable:
            columns.append(pa.array([[] for _ in range(n)], f.type))
        else:
            columns.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(columns, schema=arrow)


def on_bronze_created(deps: SilverPorts, keys: list[str]) -> list[SilverOutcome]:
    return [build_run(deps, run_id) for run_id in runs_in_keys(keys)]
