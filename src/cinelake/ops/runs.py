"""Local runs: run, resume, recover, finish, the run summary — the orchestration the CLI and
the scheduler use, over the emulated AWS delivery (:mod:`cinelake.runtime.emulator`).

A run is complete when the ledger has an outcome for every movie, whatever order or how often
messages were delivered (:mod:`cinelake.accounting`). The runtime lock keeps one process at a
time on a data dir (:class:`RuntimeBusy`); queued movies of the other mode refuse a run
(:class:`ModeConflict`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from cinelake import accounting, layout
from cinelake.ledger import Pause
from cinelake.models import queued_ids_by_run
from cinelake.runtime.emulator import AwsEmulator, Progress
from cinelake.runtime.errors import ModeConflict, RuntimeBusy, RuntimeRefused
from cinelake.runtime.locks import held
from cinelake.stages import silver as silver_stage
from cinelake.stages.ingest import requeue_unqueued
from cinelake.stages.notify import read_marker

__all__ = [
    "LocalRuntime",
    "ModeConflict",
    "Progress",
    "RunSummary",
    "RuntimeBusy",
    "RuntimeRefused",
]


@dataclass
class RunSummary:
    run_id: str
    snapshot_date: str
    top_n: int
    source: str
    selected: int
    rejected: list[dict[str, Any]]
    enriched: int
    not_found: int
    failed: int
    still_queued: int
    unaccounted: int
    silver_rows: int
    quarantined: int
    drift: dict[str, int]
    gold_datasets: dict[str, int]
    omdb_requests: int
    cache_hits: int
    paused: Pause | None
    data_dir: str
    dashboard: str | None
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    available: int = 0
    silver_state: str | None = None
    offline: bool = False  # enriched from the bundled sample, not an OMDb
    stale: int = 0  # snapshot rows with an answer past the TTL (the day's budget)
    pending: int = 0  # snapshot rows with no answer yet
    plan: dict[str, int] | None = None  # the run's OMDb plan when it started
    notify: dict[str, Any] | None = None  # the day's digest: sent, failed or skipped (marker)
    quality: str | None = None  # the snapshot's data-quality verdict (gold), if this run owns it
    quality_failed_checks: str = ""  # the checks that did not pass
    missing: dict[str, int] = field(default_factory=dict)  # contract fields answers lacked

    @property
    def complete(self) -> bool:
        """Every movie is accounted for. A quota pause does not stop that: what OMDb's quota
        left unfetched is stale or pending for today, not queued."""
        paused = self.paused is not None and self.paused.reason != "quota"
        return self.still_queued == 0 and self.unaccounted == 0 and not paused

    @property
    def failed_run(self) -> bool:
        """OMDb answered nothing usable: no movie enriched (every one failed or not found),
        so silver kept the previous snapshot."""
        return (
            self.complete
            and self.enriched == 0
            and (self.silver_state == "failed" or self.failed > 0)
        )


class LocalRuntime(AwsEmulator):
    """The emulated AWS stack plus what an operator asks of it: run, resume, recover."""

    # -- the run --------------------------------------------------------------------------
    def exclusive(self) -> contextlib.AbstractContextManager[None]:
        data_dir = self.settings.data_dir
        return held(
            layout.LocalLake(data_dir).runtime_lock,
            lambda: RuntimeBusy(f"another cinelake process is using {data_dir}"),
        )

    def recover(self) -> list[str]:
        """After a crash or a pause: queued work comes back now, half-queued runs are queued.

        Returns the runs that still need something (queued movies, silver not built yet).
        """
        ledger = self.deps.ledger
        self.check_mode()
        self.queue.release_in_flight(include_delayed=True)
        ledger.resume()  # an explicit run is the operator's decision to try again
        queued = queued_ids_by_run(self.queue.bodies())
        unfinished = []
        run_ids = ledger.run_ids()
        for run_id in run_ids:
            if not ledger.is_queued(run_id) and run_id in queued:
                # The crash came after the send (one transaction, so every message is there)
                # but before it was recorded: sending again would only duplicate the work.
                ledger.mark_queued(run_id, ledger.manifest(run_id).messages)
            if requeue_unqueued(self.deps, run_id):
                queued.setdefault(run_id, set(ledger.manifest(run_id).ids()))
            run = accounting.account(ledger, run_id, queued.get(run_id, ()), silver=True)
            if run.needs_work(partial(accounting.is_superseded, ledger, run_id, run_ids)):
                unfinished.append(run_id)
        return unfinished

    def check_mode(self) -> None:
        """Refuse to finish queued runs made in the other mode (real OMDb vs bundled sample)."""
        ledger = self.deps.ledger
        offline = self.settings.offline
        for run_id in sorted(queued_ids_by_run(self.queue.bodies())):
            try:
                manifest = ledger.manifest(run_id)
            except Exception:  # noqa: S112 - an unreadable run is reported elsewhere
                continue
            if manifest.offline != offline:
                made = "the bundled sample" if manifest.offline else "the real OMDb"
                how = "pass --offline" if manifest.offline else "set OMDB_API_KEY"
                raise ModeConflict(
                    f"run {run_id} has movies queued for {made}; {how} to finish it first "
                    "(`cinelake resume`), then start this run"
                )

    def run(
        self, *, source: str, top_n: int, batch_size: int, as_of: date | None = None
    ) -> RunSummary:
        """One run now; ``as_of`` records its list as that day's snapshot (answers are today's)."""
        with self.exclusive():
            runs = self.recover()
            run_id = self.run_day(
                source=source, top_n=top_n, batch_size=batch_size, as_of=as_of, earlier=runs
            )
            self.ensure_gold()
            self.render_dashboard()
            return self.summary(run_id)

    def run_day(
        self,
        *,
        source: str,
        top_n: int,
        batch_size: int,
        as_of: date | None = None,
        earlier: list[str] | None = None,
        keep_for_new: int = 0,
    ) -> str:
        """Ingest, enrich and silver for one run (and the ``earlier`` runs recovery left);
        gold follows the silver event unless it is held (:meth:`gold_held`). Under
        :meth:`exclusive`."""
        result = self.fire_schedule(
            source=source,
            top_n=top_n,
            batch_size=batch_size,
            as_of=as_of,
            keep_for_new=keep_for_new,
        )
        run_id: str = result["run_id"]
        self.pump(run_id)
        for run in earlier or []:
            self.finish(run)
        self.finish(run_id)
        return run_id

    _gold_is_held = False

    @contextlib.contextmanager
    def gold_held(self) -> Iterator[None]:
        """Silver events do not build gold meanwhile: a backfill builds many days of silver,
        then gold once (:meth:`ensure_gold` sees silver newer than gold). A crash in between
        leaves gold stale, which the next run, resume or ``status`` notices."""
        self._gold_is_held = True
        try:
            yield
        finally:
            self._gold_is_held = False

    def _on_created(self, bucket: str, key: str, size: int) -> None:
        if self._gold_is_held and bucket == "silver":
            return
        super()._on_created(bucket, key, size)

    def resume(self) -> list[RunSummary]:
        """Finish whatever earlier runs left: queued messages, unbuilt silver or gold."""
        with self.exclusive():
            runs = self.recover()
            self.pump(runs[-1] if runs else None)
            for run_id in runs:
                self.finish(run_id)
            self.ensure_gold()
            self.render_dashboard()
            return [self.summary(r) for r in runs]

    def finish(self, run_id: str) -> None:
        """Silver and gold for a complete run, replaying the bronze event if it was missed."""
        ledger = self.deps.ledger
        run = accounting.account(ledger, run_id, silver=True)
        if not run.complete or run.silver is not None:
            return
        manifest = ledger.manifest(run_id)
        if ledger.claim_completion(manifest.snapshot_date, run_id):
            # Complete, but no invocation wrote the completion part (e.g. the last movies were
            # dead-lettered by the runtime, or the run predates tallies): its event builds.
            self.dispatch_notifications()
            return
        keys = list(self.deps.bronze.list(layout.bronze_run_prefix(manifest.snapshot_date, run_id)))
        if keys:
            # S3 delivers at least once; so do we.
            self.object_created("bronze", keys[-1].key, keys[-1].size)
        else:
            silver_stage.build_run(self.deps, run_id)
            self.dispatch_notifications()

    def ensure_gold(self) -> bool:
        """Rebuild gold if it is older than silver (a crash between the two left it behind, or
        a backfill held it); True if it was rebuilt."""
        movies = [
            o
            for o in self.deps.silver.list(layout.MOVIES_PREFIX)
            if layout.is_silver_movies_key(o.key)
        ]
        if not movies:
            return False
        newest = max(movies, key=lambda o: o.last_modified)
        built = [
            o for o in self.deps.gold.list(layout.GOLD_MANIFEST) if o.key == layout.GOLD_MANIFEST
        ]
        if not built or built[0].last_modified < newest.last_modified:
            self.object_created("silver", newest.key, newest.size)
            return True
        return False

    def render_dashboard(self) -> Path | None:
        """The local stand-in for QuickSight, regenerated after every run."""
        from cinelake.dashboard import write_dashboard

        lake = layout.LocalLake(self.settings.data_dir)
        if not lake.gold_manifest.exists():
            return None
        self.progress.on_stage("dashboard")
        return write_dashboard(lake.gold, lake.dashboard, generated_at=self.deps.clock.now())

    # -- reporting ------------------------------------------------------------------------
    def summary(self, run_id: str) -> RunSummary:
        deps = self.deps
        ledger = deps.ledger
        run = accounting.account(
            ledger,
            run_id,
            queued_ids_by_run(self.queue.bodies()).get(run_id, ()),
            outcomes=True,
            silver=True,
        )
        manifest = run.manifest
        silver = run.silver or {}
        stats = ledger.enrich_stats(run_id)
        gold_manifest = _read_json(deps.gold, layout.GOLD_MANIFEST) or {}
        from cinelake.ops.quality import verdict

        day_verdict = verdict(deps.gold, manifest.snapshot_date) if silver else None
        if day_verdict is not None and day_verdict.run_id != run_id:
            day_verdict = None  # another run owns the day
        dashboard = layout.LocalLake(self.settings.data_dir).dashboard
        return RunSummary(
            run_id=run_id,
            snapshot_date=manifest.snapshot_date.isoformat(),
            top_n=manifest.top_n,
            source=manifest.source,
            selected=len(manifest.movies),
            rejected=[r.model_dump() for r in manifest.rejected],
            enriched=run.count("enriched"),
            not_found=run.count("not_found"),
            failed=run.count("failed"),
            still_queued=run.still_queued,
            unaccounted=run.unaccounted,
            silver_rows=int(silver.get("rows", 0)),
            quarantined=int(silver.get("quarantined", 0)),
            drift=dict(silver.get("drift", {})),
            gold_datasets=dict(gold_manifest.get("datasets", {})) if silver else {},
            omdb_requests=stats.get("omdb_requests", 0),
            cache_hits=stats.get("cache_hits", 0),
            paused=ledger.paused(deps.clock.now()),
            data_dir=str(self.settings.data_dir),
            dashboard=str(dashboard) if dashboard.exists() else None,
            dead_letters=[
                {"imdb_id": o.imdb_id, "error": o.detail, "attempts": o.attempts}
                for o in run.dead_letters
            ],
            available=manifest.available,
            silver_state=silver.get("state") if silver else None,
            offline=manifest.offline,
            stale=int(silver.get("stale", 0)),
            pending=int(silver.get("pending", run.count("pending"))),
            plan=manifest.plan,
            notify=_digest(deps.gold, manifest.snapshot_date, manifest.started_at),
            quality=day_verdict.status if day_verdict else None,
            quality_failed_checks=day_verdict.failed_checks if day_verdict else "",
            missing=dict(silver.get("missing", {})),
        )


def _digest(gold: Any, day: date, run_started: datetime) -> dict[str, Any] | None:
    """The day's digest record; ``earlier`` when it was settled before this run started (a
    re-run of the day, which posts nothing)."""
    marker = read_marker(gold, day)
    if marker is None:
        return None
    try:
        settled = datetime.fromisoformat(str(marker.get("at")))
    except ValueError:
        return marker
    return marker | {"earlier": settled < run_started}


def _read_json(store: Any, key: str) -> dict[str, Any] | None:
    import json

    from cinelake.objects import ObjectNotFound

    try:
        return json.loads(store.get(key))  # type: ignore[no-any-return]
    except ObjectNotFound:
        return None
