"""Rebuild silver, then gold and the dashboard, from bronze alone: no OMDb calls.

Each day's snapshot is rebuilt from the latest *complete* run of that day (the run ledger has
an outcome for every movie it asked for), exactly as the bronze -> silver stage builds it when
that run completes. A newer run of the day that is still queued, paused or interrupted is
skipped, and said so: rebuilding from it would replace the day's snapshot with a partial one.
A day without any complete run is skipped whole and its silver is left as it is. Nothing is
written to the ledger of a skipped run. Gold is rebuilt once at the end, then the dashboard.

The runtime lock is held throughout, so a rebuild never overlaps a run, a resume or a redrive
(:class:`cinelake.runtime.errors.RuntimeBusy` when one is going).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from cinelake import accounting
from cinelake.clock import Clock
from cinelake.config import Settings
from cinelake.ledger import RunLedger
from cinelake.objects import ObjectNotFound
from cinelake.ops.lake import queued_ids_by_run

RebuildProgress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages are "silver", "gold" and "dashboard"."""


@dataclass(frozen=True)
class SkippedRun:
    run_id: str
    reason: str


@dataclass
class DayRebuild:
    """What the rebuild did with one snapshot date."""

    snapshot_date: str
    run_id: str | None
    """The run the snapshot was rebuilt from; None when the day was skipped."""
    state: Literal["built", "superseded", "skipped", "failed"]
    rows: int = 0
    quarantined: int = 0
    not_found: int = 0
    skipped: list[SkippedRun] = field(default_factory=list)
    """Runs of the day newer than ``run_id`` (or all of them) that were not used, and why."""


@dataclass
class RebuildReport:
    days: list[DayRebuild] = field(default_factory=list)
    gold_datasets: int = 0
    """Gold datasets written."""
    gold_snapshot_date: str | None = None
    dashboard: str | None = None
    unreadable: list[SkippedRun] = field(default_factory=list)
    """Runs whose manifest cannot be read (their day is unknown)."""

    @property
    def built(self) -> int:
        """Snapshots rebuilt."""
        return sum(d.state == "built" for d in self.days)

    @property
    def skipped_days(self) -> list[DayRebuild]:
        return [d for d in self.days if d.state != "built"]

    def lines(self) -> list[str]:
        """The report as plain text lines, one per day and skipped run, then gold."""
        out: list[str] = []
        for d in self.days:
            if d.state == "built":
                out.append(
                    f"silver {d.snapshot_date}: {d.rows} rows, {d.quarantined} quarantined "
                    f"(run {d.run_id})"
                )
            elif d.state == "failed":
                out.append(
                    f"silver {d.snapshot_date}: run {d.run_id} has no usable OMDb answer; "
                    "silver left as it is"
                )
            elif d.state == "superseded":
                out.append(
                    f"silver {d.snapshot_date}: run {d.run_id} is superseded by a newer "
                    "complete run; silver left as it is"
                )
            else:
                out.append(
                    f"silver {d.snapshot_date}: skipped, no complete run (silver left as it is)"
                )
            out.extend(f"  skipped run {s.run_id}: {s.reason}" for s in d.skipped)
        out.extend(f"skipped run {s.run_id}: {s.reason}" for s in self.unreadable)
        out.append(f"gold: {self.gold_datasets} datasets rebuilt from {self.built} snapshot(s).")
        return out

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"built": self.built}


def rebuild(
    settings: Settings, *, progress: RebuildProgress | None = None, clock: Clock | None = None
) -> RebuildReport:
    """Rebuild every day's silver snapshot from its latest complete run, then gold and the
    dashboard (every gold history partition is rewritten). Holds the runtime lock; raises ``RuntimeBusy`` if another process has it."""
    from cinelake.ops.runs import LocalRuntime
    from cinelake.stages import gold as gold_stage
    from cinelake.stages import silver as silver_stage

    def tell(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    runtime = LocalRuntime(settings, clock=clock)
    try:
        with runtime.exclusive():
            deps = runtime.deps
            report = RebuildReport()
            plan = _plan(deps.ledger, queued_ids_by_run(runtime.queue), report)
            tell("silver", 0, len(plan))
            for n, (day, (chosen, skipped)) in enumerate(sorted(plan.items()), 1):
                line = DayRebuild(day.isoformat(), chosen, "skipped", skipped=skipped)
                if chosen is not None:
                    outcome = silver_stage.build_run(deps, chosen, force=True)
                    line.state = (
                        outcome.state if outcome.state in ("built", "failed") else "superseded"
                    )
                    line.rows, line.quarantined = outcome.rows, outcome.quarantined
                    line.not_found = outcome.not_found
                report.days.append(line)
                tell("silver", n, len(plan))
            tell("gold", 0, 1)
            gold = gold_stage.build_and_publish(deps, full=True)
            report.gold_datasets = len(gold.datasets)
            report.gold_snapshot_date = gold.snapshot_date
            tell("gold", 1, 1)
            tell("dashboard", 0, 1)
            dashboard = runtime.render_dashboard()
            report.dashboard = str(dashboard) if dashboard is not None else None
            tell("dashboard", 1, 1)
            return report
    finally:
        runtime.queue.close()


def _plan(
    ledger: RunLedger, queued: dict[str, set[str]], report: RebuildReport
) -> dict[date, tuple[str | None, list[SkippedRun]]]:
    """Per day: the latest complete run (None if there is none) and the newer runs passed over."""
    by_day: dict[date, list[str]] = {}
    for run_id in ledger.run_ids():  # oldest first
        try:
            manifest = ledger.manifest(run_id)
        except (ObjectNotFound, ValueError) as exc:
            report.unreadable.append(
                SkippedRun(run_id, f"unreadable manifest ({type(exc).__name__})")
            )
            continue
        by_day.setdefault(manifest.snapshot_date, []).append(run_id)
    plan: dict[date, tuple[str | None, list[SkippedRun]]] = {}
    for day, runs in by_day.items():
        owner = accounting.day_owner(ledger, runs, queued)
        plan[day] = (owner.run_id, [SkippedRun(r, why) for r, why in owner.passed_over])
    return plan
