"""Backfill: load a folder of dated top lists (``YYYY-MM-DD.json`` / ``.csv``) as the lake's
history, one run per day with that day as its snapshot date.

Days go in date order. A day whose owning run (:mod:`cinelake.accounting`) is complete, was
built into silver and was made from the same list (the manifest's ``list_digest``: ranks, ids,
titles and top N; and the same offline mode) is ``unchanged``: nothing is read from OMDb and
nothing is written. A bad file (a name that is not a date, a future date, two files for one
day, a file that is not a top list) is reported and skipped before anything of its day is
written; the other days go on. Silver is built per day and gold once at the end, from all days.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cinelake import accounting, layout
from cinelake.objects import ObjectNotFound
from cinelake.sources.top_list import SourceError

if TYPE_CHECKING:
    from cinelake.ops.runs import LocalRuntime, RunSummary

LIST_SUFFIXES = (".json", ".csv")
_DAY_NAME = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")

DayStatus = Literal["built", "unchanged", "failed", "incomplete", "not_started"]


def parse_day(stem: str) -> date | None:
    """The calendar day ``YYYY-MM-DD`` names (strictly that form); None for anything else."""
    match = _DAY_NAME.match(stem)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # 2024-02-30
        return None


def parse_day_file_name(name: str) -> date | None:
    """The day of a list file named ``YYYY-MM-DD.json`` or ``YYYY-MM-DD.csv`` (the suffix in
    any case); None for any other name."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in LIST_SUFFIXES:
        return None
    return parse_day(stem)


@dataclass(frozen=True)
class DayFile:
    day: date
    path: Path


@dataclass(frozen=True)
class BadFile:
    name: str
    reason: str
    day: date | None = None


@dataclass
class BackfillPlan:
    """What a folder holds: the days to load (date order), the bad files, and the files that
    are not lists at all (other suffixes, folders), which are left alone and named."""

    days: list[DayFile] = field(default_factory=list)
    bad: list[BadFile] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def scan(directory: Path, today: date) -> BackfillPlan:
    """Sort a folder's entries into days, bad files and ignored ones. Hidden entries (``.x``)
    are skipped silently; nothing is read but the names."""
    plan = BackfillPlan()
    by_day: dict[date, list[Path]] = {}
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith("."):
            continue
        stem, dot, suffix = name.rpartition(".")
        is_list = bool(dot) and f".{suffix.lower()}" in LIST_SUFFIXES
        if path.is_dir():
            plan.ignored.append(f"{name}/")
            continue
        if not is_list:
            if parse_day(stem if dot else name) is not None:
                plan.bad.append(BadFile(name, "a day's list must be a .json or .csv file"))
            else:
                plan.ignored.append(name)
            continue
        day = parse_day(stem)
        if day is None:
            plan.bad.append(
                BadFile(name, "the name is not a date: name a day's list YYYY-MM-DD.json or .csv")
            )
        elif day > today:
            plan.bad.append(
                BadFile(name, f"{day.isoformat()} is in the future (today is {today})", day)
            )
        else:
            by_day.setdefault(day, []).append(path)
    for day in sorted(by_day):
        paths = by_day[day]
        if len(paths) == 1:
            plan.days.append(DayFile(day, paths[0]))
            continue
        names = ", ".join(p.name for p in paths)
        for p in paths:
            plan.bad.append(BadFile(p.name, f"two files for {day}: {names} (day skipped)", day))
    return plan


@dataclass
class DayResult:
    day: str
    file: str
    status: DayStatus
    movies: int = 0
    reason: str = ""
    run_id: str | None = None
    omdb_requests: int = 0
    cache_hits: int = 0
    quality: str | None = None
    """The day's data-quality verdict in gold after the backfill (``pass | warn | fail``), when
    gold has one made from this day's owning run."""
    quality_failed_checks: str = ""


@dataclass
class BackfillReport:
    days: list[DayResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    gold_rebuilt: bool = False
    dashboard: str | None = None
    paused: str | None = None
    """Why enrichment paused (a rejected key): the remaining days were not started."""
    summaries: list[RunSummary] = field(default_factory=list, repr=False)

    def count(self, status: DayStatus) -> int:
        return sum(d.status == status for d in self.days)

    def quality_failed(self) -> list[DayResult]:
        """The days this backfill published (``built``) whose data-quality verdict is
        ``fail``: published all the same, and the command exits 7 (unless a more severe exit
        applies). An ``unchanged`` day was published before and shows its verdict only."""
        return [d for d in self.days if d.status == "built" and d.quality == "fail"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": [asdict(d) for d in self.days],
            "ignored": list(self.ignored),
            "counts": {
                s: self.count(s)
                for s in ("built", "unchanged", "failed", "incomplete", "not_started")
            },
            "omdb_requests": sum(d.omdb_requests for d in self.days),
            "gold_rebuilt": self.gold_rebuilt,
            "dashboard": self.dashboard,
            "paused": self.paused,
        }


OnDay = Callable[[int, int, str], None]
"""Progress: (days done, days in all, what is happening)."""


def backfill(
    runtime: LocalRuntime,
    plan: BackfillPlan,
    *,
    top_n: int,
    batch_size: int,
    on_day: OnDay | None = None,
) -> BackfillReport:
    """Load the plan's days into the lake (see the module's doc); bad files are reported as
    failed days. Gold and the dashboard are rebuilt once, at the end, if silver changed."""
    report = BackfillReport(ignored=list(plan.ignored))
    report.days += [
        DayResult(b.day.isoformat() if b.day else "", b.name, "failed", reason=b.reason)
        for b in plan.bad
    ]
    tell = on_day or (lambda done, total, what: None)
    total = len(plan.days)
    with runtime.exclusive():
        earlier = runtime.recover()
        owners = _runs_by_day(runtime)
        keep = _kept_for_new(runtime, plan, top_n, batch_size)
        with runtime.gold_held():
            if earlier:
                runtime.pump(None)
                for run_id in earlier:
                    runtime.finish(run_id)
            for done, day_file in enumerate(plan.days):
                tell(done, total, day_file.day.isoformat())
                if report.paused is not None:
                    report.days.append(
                        DayResult(
                            day_file.day.isoformat(),
                            day_file.path.name,
                            "not_started",
                            reason=f"enrichment paused: {report.paused}",
                        )
                    )
                    continue
                result = _one_day(
                    runtime, day_file, owners, top_n, batch_size, report, keep.get(day_file.day, 0)
                )
                report.days.append(result)
            tell(total, total, "gold")
            report.gold_rebuilt = runtime.ensure_gold()
        _with_verdicts(runtime, report)
        if report.gold_rebuilt:
            dashboard = runtime.render_dashboard()
            report.dashboard = str(dashboard) if dashboard is not None else None
    report.days.sort(key=lambda d: (d.day, d.file))
    return report


def _with_verdicts(runtime: LocalRuntime, report: BackfillReport) -> None:
    """Each loaded day's data-quality verdict, as gold holds it once rebuilt (gold is held
    while the days load, so a day's run summary cannot have it yet). A verdict made from
    another run than the day's (a day that failed keeps its previous snapshot) is not the
    day's."""
    from cinelake.ops.quality import verdicts

    by_day = {v.snapshot_date: v for v in verdicts(runtime.deps.gold)}
    for d in report.days:
        v = by_day.get(d.day)
        if v is None or d.status not in ("built", "unchanged"):
            continue
        if d.status == "built" and v.run_id != d.run_id:
            continue
        d.quality, d.quality_failed_checks = v.status, v.failed_checks


def _kept_for_new(
    runtime: LocalRuntime, plan: BackfillPlan, top_n: int, batch_size: int
) -> dict[date, int]:
    """For each day, how many movies with no stored answer only later days list: its run
    keeps that many of the day's OMDb budget for them (refreshing answers past their TTL only
    beyond), so a backfill spends the budget on movies never fetched first, across its days."""
    if runtime.settings.offline or not plan.days:
        return {}
    from cinelake.sources.port import open_source
    from cinelake.stages.ingest import IngestRequest, prepare

    clock = runtime.deps.clock
    lists: list[set[str]] = []
    for day_file in plan.days:
        source = str(day_file.path)
        try:
            manifest, _ = prepare(
                IngestRequest(source, top_n, batch_size, as_of=day_file.day),
                clock.now(),
                source=open_source(source, runtime.settings, clock=clock),
            )
        except SourceError:
            lists.append(set())  # reported when its day comes
            continue
        lists.append(set(manifest.ids()))
    every = sorted(set().union(*lists))
    options = runtime.deps.omdb_options(runtime.settings.omdb_url)
    ages = runtime.deps.cache.stored_ats(
        [(i, options.params(i)) for i in every], clock.now(), base_url=options.base_url
    )
    never = {i for i, at in zip(every, ages, strict=True) if at is None}
    # later[k]: the movies of the days after day k.
    later: list[set[str]] = [set() for _ in lists]
    for k in range(len(lists) - 2, -1, -1):
        later[k] = later[k + 1] | lists[k + 1]
    keep: dict[date, int] = {}
    seen: set[str] = set()  # listed by this day or one before: fetched by those runs
    for k, day_file in enumerate(plan.days):
        seen |= lists[k]
        keep[day_file.day] = len((later[k] & never) - seen)
    return keep


def _runs_by_day(runtime: LocalRuntime) -> dict[date, list[str]]:
    """Every run with a readable manifest, by snapshot date (read once, not once per day)."""
    ledger = runtime.deps.ledger
    by_day: dict[date, list[str]] = {}
    for run_id in ledger.run_ids():
        try:
            by_day.setdefault(ledger.manifest(run_id).snapshot_date, []).append(run_id)
        except (ObjectNotFound, ValueError):
            continue  # an unreadable run is doctor's to report; it owns nothing
    return by_day


def _unchanged_rows(
    runtime: LocalRuntime, day: date, day_runs: list[str], digest: str | None
) -> int | None:
    """The silver rows of the day if its owning run was built from the same list in the same
    mode (so loading it again would change nothing); None otherwise."""
    ledger = runtime.deps.ledger
    owner = accounting.day_owner(ledger, day_runs).run_id
    if owner is None or digest is None:
        return None
    manifest = ledger.manifest(owner)
    if manifest.list_digest != digest or manifest.offline != runtime.settings.offline:
        return None
    silver = ledger.report(owner, "silver") or {}
    if silver.get("state") not in ("built", "unchanged"):
        return None
    if int(silver.get("pending", 0)):
        return None  # movies the budget left without an answer: loading it again fills them
    if not runtime.deps.silver.exists(layout.movies_key(day)):
        return None
    return int(silver.get("rows", 0))


def _start_after(runtime: LocalRuntime, day_runs: list[str]) -> None:
    """Run ids order a day's runs by their start second: a run replacing one that started in
    this very second (a quick second backfill) waits for the next second, so it sorts after."""
    if not day_runs:
        return
    clock = runtime.deps.clock
    now = clock.now()
    if max(day_runs)[:16] >= f"{now:%Y%m%dT%H%M%SZ}":
        clock.sleep(1 - now.microsecond / 1_000_000)


def _one_day(
    runtime: LocalRuntime,
    day_file: DayFile,
    owners: dict[date, list[str]],
    top_n: int,
    batch_size: int,
    report: BackfillReport,
    keep_for_new: int = 0,
) -> DayResult:
    from cinelake.sources.port import open_source
    from cinelake.stages.ingest import IngestRequest, prepare

    day, name, source = day_file.day, day_file.path.name, str(day_file.path)
    clock = runtime.deps.clock
    result = DayResult(day.isoformat(), name, "failed")
    try:
        # Everything up to the first write: a file that is not a top list stops here.
        manifest, _ = prepare(
            IngestRequest(source, top_n, batch_size, as_of=day),
            clock.now(),
            source=open_source(source, runtime.settings, clock=clock),
        )
    except SourceError as exc:
        result.reason = str(exc)
        return result
    rows = _unchanged_rows(runtime, day, owners.get(day, []), manifest.list_digest)
    if rows is not None:
        result.status, result.movies = "unchanged", rows
        result.reason = "same list"
        return result
    _start_after(runtime, owners.get(day, []))
    try:
        run_id = runtime.run_day(
            source=source,
            top_n=top_n,
            batch_size=batch_size,
            as_of=day,
            keep_for_new=keep_for_new,
        )
    except SourceError as exc:  # the file changed between the check and the run
        result.reason = str(exc)
        return result
    owners.setdefault(day, []).append(run_id)
    summary = runtime.summary(run_id)
    report.summaries.append(summary)
    result.run_id = run_id
    result.omdb_requests, result.cache_hits = summary.omdb_requests, summary.cache_hits
    result.movies = summary.silver_rows
    if summary.paused is not None and not summary.complete:
        # A rejected key stops the backfill; OMDb's quota does not: the day is complete with
        # stale or pending movies, and the days after it take their stored answers.
        report.paused = f"{summary.paused.reason}"
        result.status = "incomplete"
        result.reason = f"{summary.still_queued} movies still queued ({summary.paused.reason})"
    elif not summary.complete:
        result.status = "incomplete"
        result.reason = f"{summary.still_queued + summary.unaccounted} movies not done"
    elif summary.failed_run:
        result.reason = "OMDb answered nothing usable; the day keeps its previous snapshot"
    else:
        result.status = "built"
        result.reason = f"{summary.enriched} enriched, {summary.not_found} not found" + (
            f", {summary.failed} failed" if summary.failed else ""
        )
    return result
