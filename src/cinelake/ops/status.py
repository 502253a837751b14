"""`cinelake status`: did the last runs work, what failed, what is waiting, how fresh is gold.

Read-only: no runtime lock is taken and nothing is created, so it answers while a run is going
(objects are written atomically) and on a lake that does not exist yet.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from cinelake import accounting, layout
from cinelake.clock import Clock
from cinelake.models import MovieOutcome
from cinelake.ops.dlq import as_dict, dead_movies
from cinelake.ops.lake import LakeView, lake_exists, open_lake, queued_ids_by_run
from cinelake.schedule import latest_at_or_before, next_after, read_state, state_path, zone


@dataclass
class RunStatus:
    run_id: str
    snapshot_date: str
    state: str  # complete, superseded, failed, queued, paused, interrupted, awaiting_silver
    started_at: str
    ended_at: str | None
    source: str
    asked: int
    selected: int
    rejected: int
    enriched: int
    not_found: int
    failed: int
    queued: int
    unaccounted: int
    silver_rows: int
    quarantined: int
    omdb_requests: int
    cache_hits: int
    gold_datasets: int  # gold datasets that reflect this run (0 when gold predates it)
    offline: bool = False  # enriched from the bundled sample: "not found" is "not in the sample"
    omdb_url: str | None = None  # where the run fetches (never the key)


@dataclass
class FailedMovie:
    run_id: str
    imdb_id: str
    title: str
    error: str
    attempts: int
    at: str
    in_dead_letters: bool


@dataclass
class LakeStatus:
    data_dir: str
    exists: bool
    message: str | None = None
    runs: list[RunStatus] = field(default_factory=list)
    total_runs: int = 0
    queue: dict[str, int] = field(default_factory=dict)
    failed: list[FailedMovie] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    quarantined: int = 0
    gold: dict[str, Any] | None = None
    paused: dict[str, str] | None = None
    schedule: dict[str, Any] | None = None
    damaged: list[dict[str, Any]] = field(default_factory=list)  # unreadable files, with the fix
    busy: bool = False  # another process holds the runtime lock: a run is going on now
    budget: dict[str, Any] | None = None  # today's OMDb requests: day, limit, used, left
    notify: dict[str, Any] | None = None  # the newest snapshot's digest (sent, failed, skipped)
    quality: dict[str, Any] | None = None  # the latest snapshot's data-quality verdict (gold)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


STATE_HINTS = {
    "complete": "every movie accounted for; silver and gold built",
    "superseded": "complete; a later run of the same day owns the snapshot",
    "failed": "OMDb answered nothing usable; silver and gold keep the previous snapshot. "
    "Fix the cause, then `cinelake dlq redrive`",
    "queued": "movies still queued: `cinelake resume` (or the next run) continues",
    "paused": "enrichment paused (quota or key); continues on a later run",
    "interrupted": "movies neither done nor queued: `cinelake resume` re-queues them",
    "awaiting_silver": "all movies done but silver not built: `cinelake resume` builds it",
}


def lake_status(
    data_dir: Path,
    *,
    runs: int = 5,
    clock: Clock | None = None,
    cron: str | None = None,
    timezone: str = "UTC",
    daily_budget: int | None = None,
) -> LakeStatus:
    """``daily_budget``: the OMDb budget setting, to say what today has used and has left."""
    data_dir = Path(data_dir)
    status = LakeStatus(str(data_dir), exists=lake_exists(data_dir))
    status.schedule = _schedule(data_dir, cron, timezone, clock)
    if not status.exists:
        status.message = f"no lake at {data_dir} yet: run `cinelake run` (or pass --data-dir)"
        return status
    status.busy = runtime_busy(data_dir)
    from cinelake.ops.doctor import check

    problems = check(data_dir, quick=True)
    if any(p.kind == "queue" for p in problems):
        # Nothing below can read the queue; say what can be said.
        status.damaged = [p.as_dict() for p in problems]
        return status
    with open_lake(data_dir, clock=clock) as lake:
        _read(status, lake, runs, problems)
        status.quarantined = _quarantined(data_dir)
        if daily_budget is not None:
            status.budget = _budget(lake.bronze, lake.clock, daily_budget)
    status.damaged = [p.as_dict() for p in problems]
    if not status.total_runs:
        status.message = f"the lake at {data_dir} has no runs yet: run `cinelake run`"
    return status


def stack_status(
    lake: LakeView, stack: str, *, runs: int = 5, daily_budget: int | None = None
) -> LakeStatus:
    """`status --backend aws --stack NAME`: the same report over a deployed stack (its run
    ledger and gold in S3, its SQS queues). The local-only parts (schedule file, runtime lock,
    doctor) do not apply: the stack's schedule and alarms are CloudWatch's."""
    status = LakeStatus(f"stack {stack}", exists=True)
    problems: list[Any] = []
    _read(status, lake, runs, problems)
    # The silver reports count what each run quarantined: the newest built run's figure.
    status.quarantined = next((r.quarantined for r in status.runs if r.silver_rows), 0)
    if daily_budget is not None:
        status.budget = _budget(lake.bronze, lake.clock, daily_budget)
    status.damaged = [p.as_dict() for p in problems]
    if not status.total_runs:
        status.message = f"stack {stack} has no runs yet (its schedule starts them)"
    return status


def _read(status: LakeStatus, lake: LakeView, runs: int, problems: list[Any]) -> None:
    """Runs, queue, pause, dead letters and gold of a lake (local or a stack's)."""
    from cinelake.damage import DamagedFile
    from cinelake.ops.doctor import FIXES, Kind, Problem

    now = lake.clock.now()
    ledger = lake.ledger
    run_ids = ledger.run_ids()
    status.total_runs = len(run_ids)
    queued = queued_ids_by_run(lake.queue)
    try:
        pause = ledger.paused(now)
    except DamagedFile:
        pause = None  # named by the check above
    if pause is not None:
        status.paused = {
            "reason": pause.reason,
            "until": pause.until.isoformat(),
            "detail": pause.detail,
        }
    gold_manifest = lake.gold_manifest()
    gold_mtime = _mtime(lake.gold, layout.GOLD_MANIFEST)
    shown = run_ids[-runs:] if runs > 0 else []
    for run_id in reversed(shown):
        try:
            run = _run_status(
                lake,
                run_id,
                run_ids,
                queued.get(run_id, set()),
                pause is not None,
                gold_manifest,
                gold_mtime,
            )
        except DamagedFile as exc:
            if all(p.path != exc.path for p in problems):
                kind: Kind = "outcome" if "/outcomes/" in exc.path else "stats"
                problems.append(Problem(exc.path, exc.problem, kind, FIXES[kind]))
            continue
        if run is not None:
            status.runs.append(run[0])
            status.failed.extend(run[1])
    counts = lake.queue.counts() if lake.queue is not None else None
    status.queue = {
        "visible": counts.visible if counts else 0,
        "in_flight": counts.in_flight if counts else 0,
        "delayed": counts.delayed if counts else 0,
        "dead_letters": counts.dead if counts else 0,
    }
    dead = dead_movies(lake.queue, ledger)
    dead_ids = {(d.run_id, d.imdb_id) for d in dead}
    for f in status.failed:
        f.in_dead_letters = (f.run_id, f.imdb_id) in dead_ids
    status.dead_letters = [as_dict(d) for d in dead]
    status.gold = _gold(lake, gold_manifest, gold_mtime, now)
    from cinelake.stages.notify import latest_marker

    status.notify = latest_marker(lake.gold)
    status.quality = _quality(lake.gold)


def _quality(gold: Any) -> dict[str, Any] | None:
    """The latest verdict as gold holds it: date, run, status, the checks that did not pass."""
    from cinelake.ops.quality import verdicts

    try:
        every = verdicts(gold)
    except Exception:  # an unreadable gold file is doctor's to name; status still reports
        return None
    if not every:
        return None
    v = every[-1]
    return {
        "snapshot_date": v.snapshot_date,
        "run_id": v.run_id,
        "status": v.status,
        "failed_checks": v.failed_checks,
    }


def _budget(bronze: Any, clock: Clock, limit: int) -> dict[str, Any]:
    from cinelake.budget import DailyBudget

    usage = DailyBudget(bronze, clock, limit).usage()
    return {
        "day": usage.day.isoformat(),
        "limit": usage.limit,
        "used": usage.used,
        "left": usage.left,
        "damaged": usage.damaged,
    }


def runtime_busy(data_dir: Path) -> bool:
    """Whether a run, resume, redrive or rebuild holds the lake's runtime lock right now
    (asked without taking the lock, so a run starting meanwhile is never refused)."""
    from cinelake.runtime.locks import holder

    pid = holder(layout.LocalLake(data_dir).runtime_lock)
    return pid is not None and pid != os.getpid()


def _run_status(
    lake: LakeView,
    run_id: str,
    all_runs: list[str],
    queued: set[str],
    paused: bool,
    gold_manifest: dict[str, Any] | None,
    gold_mtime: datetime | None,
) -> tuple[RunStatus, list[FailedMovie]] | None:
    ledger = lake.ledger
    try:
        ledger.manifest(run_id)
    except (KeyError, ValueError):
        return None
    acc = accounting.account(ledger, run_id, queued, outcomes=True, silver=True)
    manifest, outcomes, silver = acc.manifest, acc.outcomes, acc.silver
    ids = set(manifest.ids())
    silver_at = _mtime(lake.bronze, layout.report_key(run_id, "silver"))
    stats = ledger.enrich_stats(run_id)
    state = acc.state(
        paused=paused, superseded=lambda: accounting.is_superseded(ledger, run_id, all_runs)
    )
    fresh_gold = (
        silver is not None
        and gold_manifest is not None
        and gold_mtime is not None
        and silver_at is not None
        and gold_mtime >= silver_at
    )
    titles = {m.imdb_id: m.title for m in manifest.movies}
    failed = [
        FailedMovie(
            run_id,
            o.imdb_id,
            titles.get(o.imdb_id, ""),
            o.detail,
            o.attempts,
            o.at.isoformat(),
            in_dead_letters=False,
        )
        for o in acc.dead_letters
    ]
    run = RunStatus(
        run_id=run_id,
        snapshot_date=manifest.snapshot_date.isoformat(),
        state=state,
        started_at=manifest.started_at.isoformat(),
        ended_at=_ended(state, silver_at, outcomes),
        source=manifest.source,
        asked=manifest.top_n,
        selected=len(ids),
        rejected=len(manifest.rejected),
        enriched=acc.count("enriched"),
        not_found=acc.count("not_found"),
        failed=acc.count("failed"),
        queued=acc.still_queued,
        unaccounted=acc.unaccounted,
        silver_rows=int((silver or {}).get("rows", 0)),
        quarantined=int((silver or {}).get("quarantined", 0)),
        omdb_requests=int(stats.get("omdb_requests", 0)),
        cache_hits=int(stats.get("cache_hits", 0)),
        gold_datasets=len((gold_manifest or {}).get("datasets", {})) if fresh_gold else 0,
        offline=manifest.offline,
        omdb_url=manifest.omdb_url,
    )
    return run, failed


def _ended(
    state: str, silver_at: datetime | None, outcomes: Mapping[str, MovieOutcome]
) -> str | None:
    if state == "complete" and silver_at is not None:
        return silver_at.isoformat()
    if state in ("superseded", "awaiting_silver", "failed") and outcomes:
        return max(o.at for o in outcomes.values()).isoformat()
    return None


def _mtime(store: Any, key: str) -> datetime | None:
    for obj in store.list(key):
        if obj.key == key:
            return obj.last_modified  # type: ignore[no-any-return]
    return None


def _quarantined(data_dir: Path) -> int:
    import pyarrow.parquet as pq

    total = 0
    for path in layout.LocalLake(data_dir).silver_files("quarantine"):
        try:
            total += pq.read_metadata(path).num_rows
        except (OSError, ValueError):
            continue
    return total


def _gold(
    lake: LakeView, manifest: dict[str, Any] | None, built_mtime: datetime | None, now: datetime
) -> dict[str, Any] | None:
    if manifest is None:
        return None
    built_at = manifest.get("built_at")
    age_s: float | None = None
    if isinstance(built_at, str):
        try:
            built = datetime.fromisoformat(built_at)
            age_s = max(
                0.0, (now - (built if built.tzinfo else built.replace(tzinfo=UTC))).total_seconds()
            )
        except ValueError:
            built_at = None
    newest_silver = max(
        (
            o.last_modified
            for o in lake.silver.list(layout.MOVIES_PREFIX)
            if layout.is_silver_movies_key(o.key)
        ),
        default=None,
    )
    return {
        "built_at": built_at,
        "age_s": age_s,
        "snapshot_date": manifest.get("snapshot_date"),
        "datasets": dict(manifest.get("datasets", {})),
        "stale": bool(newest_silver and built_mtime and built_mtime < newest_silver),
    }


def _schedule(
    data_dir: Path, cron: str | None, timezone: str, clock: Clock | None
) -> dict[str, Any] | None:
    state = read_state(state_path(data_dir))
    out: dict[str, Any] = {}
    if state is not None:
        raw = state.raw
        out |= {
            k: raw.get(k)
            for k in ("last_due", "status", "started_at", "finished_at", "error")
            if raw.get(k) is not None
        }
        result = raw.get("result")
        if isinstance(result, dict):
            out["last_run_id"] = result.get("run_id")
            out["last_run_complete"] = result.get("complete")
    if state is not None and isinstance(state.raw.get("cron"), str):
        # What the scheduler last ran with wins over this process's settings.
        cron, timezone = state.raw["cron"], str(state.raw.get("timezone") or timezone)
    if cron:
        from cinelake.clock import SystemClock

        now = (clock or SystemClock()).now()
        out |= {"cron": cron, "timezone": timezone}
        try:
            tz = zone(timezone)
            out |= {
                "next_due": next_after(cron, tz, now).isoformat(),
                "last_scheduled": latest_at_or_before(cron, tz, now).isoformat(),
            }
        except (ValueError, KeyError):  # a hand-edited state file: show what can be shown
            pass
    return out or None


def unfinished_runs(data_dir: Path) -> list[str]:
    """Runs that still have work: movies queued or without an outcome, or a silver snapshot not
    built (and not owned by a newer complete run of the day): what ``resume`` finishes."""
    if not lake_exists(data_dir):
        return []
    out: list[str] = []
    with open_lake(data_dir) as lake:
        ledger = lake.ledger
        run_ids = ledger.run_ids()
        queued = queued_ids_by_run(lake.queue)
        for run_id in run_ids:
            try:
                run = accounting.account(ledger, run_id, queued.get(run_id, ()), silver=True)
            except (KeyError, ValueError):
                continue
            if run.needs_work(partial(accounting.is_superseded, ledger, run_id, run_ids)):
                out.append(run_id)
    return out
