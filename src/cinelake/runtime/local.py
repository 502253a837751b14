"""The embedded runtime: the AWS event flow on one machine.

It plays EventBridge (invokes ingest with the schedule's input), the SQS event source mapping
(receives batches, invokes enrich on several at once, deletes what succeeded, lets failures come
back after a delay, dead-letters after max receives) and S3 notifications (a write under
bronze/omdb/ or silver/movies/ invokes the next stage). A run is complete when the ledger has an
outcome for every movie, whatever order or how often messages were delivered.
"""

from __future__ import annotations

import contextlib
import math
import os
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from cinelake import accounting, layout
from cinelake.adapters.queue import LocalQueue, QueueMessage
from cinelake.bootstrap import Deps, build_local, install
from cinelake.clock import Clock
from cinelake.config import Settings
from cinelake.handlers import bronze_to_silver, enrich, ingest, silver_to_gold
from cinelake.ledger import Pause
from cinelake.models import MovieMessage, MovieOutcome, queued_ids_by_run
from cinelake.observability import get_logger, get_metrics, redact
from cinelake.omdb.client import RequestGate
from cinelake.runtime.errors import ModeConflict, RuntimeBusy, RuntimeRefused
from cinelake.runtime.events import Created, LocalContext, s3_event, schedule_input, sqs_event
from cinelake.runtime.locks import held
from cinelake.stages import silver as silver_stage
from cinelake.stages.ingest import requeue_unqueued

__all__ = ["LocalRuntime", "ModeConflict", "Progress", "RunSummary", "RuntimeBusy", "RuntimeRefused"]

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Mirrors the bucket notification configuration of template.yaml.
ROUTES: dict[str, tuple[str, str, str, Handler]] = {
    "bronze": (layout.OMDB_PREFIX, layout.BRONZE_SUFFIX, "ProcessBronzeToSilver",
               bronze_to_silver.handler),
    "silver": (layout.MOVIES_PREFIX, layout.PARQUET_SUFFIX, "ProcessSilverToGold",
               silver_to_gold.handler),
}


PROGRESS_EVERY_S = 0.25
MAX_RETRY_DELAY_S = 60.0


@dataclass
class Progress:
    """What a progress display needs; called from the runtime's own thread."""

    on_movies: Callable[[int, int], None] = lambda done, total: None
    on_stage: Callable[[str], None] = lambda stage: None


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

    @property
    def complete(self) -> bool:
        return self.still_queued == 0 and self.unaccounted == 0 and self.paused is None

    @property
    def failed_run(self) -> bool:
        """OMDb answered nothing usable: no movie enriched (every one failed or not found),
        so silver kept the previous snapshot."""
        return self.complete and self.enriched == 0 and (
            self.silver_state == "failed" or self.failed > 0
        )


class LocalRuntime:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        omdb_transport: httpx.AsyncBaseTransport | None = None,
        progress: Progress | None = None,
        omdb_url_override: bool = False,
    ) -> None:
        """``omdb_url_override``: the operator chose ``settings.omdb_url`` for this command, so
        earlier runs' movies go there too (otherwise each run keeps the URL it recorded)."""
        self.settings = settings
        self.progress = progress or Progress()
        self._pending: deque[Created] = deque()
        self.deps: Deps = build_local(
            settings, clock=clock, on_created=self._on_created, omdb_transport=omdb_transport
        )
        # Spread the concurrency budget over parallel invocations, as Lambda scales out over a
        # queue: each invocation fetches its movies at once, and invocations run side by side.
        # A process-wide gate keeps the sum within --concurrency while one invocation's
        # bookkeeping overlaps another's requests.
        per_invocation = settings.records_per_invocation * settings.batch_size
        per_call = min(settings.concurrency, per_invocation)
        self.workers = max(1, math.ceil(settings.concurrency / per_call)) + (settings.concurrency > 1)
        self.deps.settings = settings.model_copy(update={"concurrency": per_call})
        self.deps.gate = RequestGate(settings.concurrency)
        self.deps.omdb_url_override = omdb_url_override
        install(self.deps)
        # Locally the summary and `status` report the figures; EMF lines would only clutter.
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

    def invoke(self, handler: Handler, event: dict[str, Any], name: str) -> dict[str, Any]:
        """Call a handler as Lambda would; with metrics disabled Powertools keeps them, so drop them.

        Its timeout is the queue's visibility timeout, as on AWS (where the template keeps the
        visibility timeout above the function timeout): a message must not come back while
        its first delivery is still being worked on.
        """
        try:
            return handler(event, LocalContext(name, timeout_s=self.settings.visibility_timeout_s))
        finally:
            if is_metrics_disabled():
                get_metrics().clear_metrics()

    @property
    def queue(self) -> LocalQueue:
        assert isinstance(self.deps.queue, LocalQueue)
        return self.deps.queue

    # -- S3 notifications -----------------------------------------------------------------
    def _on_created(self, bucket: str, key: str, size: int) -> None:
        route = ROUTES.get(bucket)
        if route and key.startswith(route[0]) and key.endswith(route[1]):
            self._pending.append(Created(bucket, key, size))

    def dispatch_notifications(self) -> None:
        """Deliver pending ObjectCreated events, each bucket's batch in one invocation."""
        while self._pending:
            batch: dict[str, list[Created]] = {}
            while self._pending:
                item = self._pending.popleft()
                batch.setdefault(item.bucket, []).append(item)
            for bucket, objects in batch.items():
                _, _, name, handler = ROUTES[bucket]
                self.progress.on_stage(name)
                self.invoke(handler, s3_event(objects, self.deps.clock.now()), name)

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

    def run(self, *, source: str, top_n: int, batch_size: int) -> RunSummary:
        with self.exclusive():
            runs = self.recover()
            self.progress.on_stage("GetMoviesAndSendToQueue")
            event = schedule_input(self.deps.clock.now(), top_n=top_n, batch_size=batch_size,
                                   source=source, event_id=str(uuid.uuid4()))
            result = self.invoke(ingest.handler, event, "GetMoviesAndSendToQueue")
            run_id = result["run_id"]
            self.pump(run_id)
            for earlier in runs:
                self.finish(earlier)
            self.finish(run_id)
            self.ensure_gold()
            self.render_dashboard()
            return self.summary(run_id)

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

    def pump(self, run_id: str | None) -> None:
        """Deliver queued messages to enrich until the queue is empty or enrichment pauses."""
        settings = self.settings
        ledger = self.deps.ledger
        clock = self.deps.clock
        total = len(ledger.manifest(run_id).movies) if run_id else 0
        self.progress.on_stage("EnrichAndStoreMovie")
        with ThreadPoolExecutor(self.workers, thread_name_prefix="enrich") as pool:
            inflight: dict[Future[dict[str, Any]], list[QueueMessage]] = {}
            paused = False
            shown = -PROGRESS_EVERY_S
            while True:
                self.dispatch_notifications()
                if not paused and ledger.paused(clock.now()) is not None:
                    paused = True
                while not paused and len(inflight) < self.workers:
                    messages = self.queue.receive(settings.records_per_invocation)
                    if not messages:
                        break
                    future = pool.submit(
                        self.invoke, enrich.handler, sqs_event(messages), "EnrichAndStoreMovie"
                    )
                    inflight[future] = messages
                if not inflight:
                    wait_s = None if paused else self.queue.next_visible_in()
                    if wait_s is None:
                        break
                    clock.sleep(wait_s)
                    continue
                done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                for future in done:
                    self._settle(inflight.pop(future), future)
                if run_id and clock.monotonic() - shown >= PROGRESS_EVERY_S:
                    shown = clock.monotonic()
                    self.progress.on_movies(len(ledger.done_ids(run_id)), total)
            self.dispatch_notifications()
        if run_id:
            self.progress.on_movies(len(ledger.done_ids(run_id)), total)

    def _settle(self, messages: list[QueueMessage], future: Future[dict[str, Any]]) -> None:
        """Do what the event source mapping does with an invocation's result."""
        try:
            failed = {f["itemIdentifier"] for f in future.result()["batchItemFailures"]}
        except Exception as exc:  # the whole invocation failed: every message comes back
            get_logger().error(
                "enrich invocation failed", extra={"error": redact(f"{type(exc).__name__}: {exc}")[:500],
                                                   "messages": len(messages)})
            failed = {m.message_id for m in messages}
            for m in messages:
                if m.receive_count >= self.settings.max_receive_count:
                    self._record_lost(m, f"the enrich invocation failed: {type(exc).__name__}")
        for m in messages:
            if m.message_id in failed:
                last = m.receive_count >= self.settings.max_receive_count
                # The last failure goes straight to the dead letters; others back off, capped.
                delay = 0 if last else min(
                    MAX_RETRY_DELAY_S, self.settings.retry_delay_s * 2 ** (m.receive_count - 1)
                )
                self.queue.change_visibility(m.receipt_handle, delay)
        self.queue.delete_batch([m.receipt_handle for m in messages if m.message_id not in failed])

    def _record_lost(self, message: QueueMessage, reason: str) -> None:
        """A message about to be dead-lettered whose handler never answered: account for its
        movies, as the handler itself does on a last receive."""
        try:
            body = MovieMessage.model_validate_json(message.body)
        except ValueError:
            return  # unreadable: it names no movie to account for
        ledger = self.deps.ledger
        done = ledger.done_ids(body.run_id)
        for movie in body.movies:
            if movie.imdb_id not in done:
                ledger.record_outcome(body.run_id, MovieOutcome(
                    imdb_id=movie.imdb_id, status="failed", at=self.deps.clock.now(),
                    detail=reason, attempts=message.receive_count))

    def finish(self, run_id: str) -> None:
        """Silver and gold for a complete run, replaying the bronze event if it was missed."""
        ledger = self.deps.ledger
        run = accounting.account(ledger, run_id, silver=True)
        if not run.complete or run.silver is not None:
            return
        manifest = ledger.manifest(run_id)
        keys = list(self.deps.bronze.list(layout.bronze_run_prefix(manifest.snapshot_date, run_id)))
        if keys:
            # S3 delivers at least once; so do we.
            self._pending.append(Created("bronze", keys[-1].key, keys[-1].size))
            self.dispatch_notifications()
        else:
            silver_stage.build_run(self.deps, run_id)
            self.dispatch_notifications()

    def ensure_gold(self) -> None:
        """Rebuild gold if it is older than silver (a crash between the two left it behind)."""
        movies = [o for o in self.deps.silver.list(layout.MOVIES_PREFIX)
                  if layout.is_silver_movies_key(o.key)]
        if not movies:
            return
        newest = max(movies, key=lambda o: o.last_modified)
        built = [o for o in self.deps.gold.list(layout.GOLD_MANIFEST)
                 if o.key == layout.GOLD_MANIFEST]
        if not built or built[0].last_modified < newest.last_modified:
            self._pending.append(Created("silver", newest.key, newest.size))
            self.dispatch_notifications()

    def render_dashboard(self) -> Path | None:
        """The local stand-in for QuickSight, regenerated after every run."""
        from cinelake.dashboard import write_dashboard

        lake = layout.LocalLake(self.settings.data_dir)
        if not lake.gold_manifest.exists():
            return None
        self.progress.on_stage("dashboard")
        return write_dashboard(lake.gold, lake.dashboard,
                               generated_at=self.deps.clock.now())

    # -- reporting ------------------------------------------------------------------------
    def summary(self, run_id: str) -> RunSummary:
        deps = self.deps
        ledger = deps.ledger
        run = accounting.account(
            ledger, run_id, queued_ids_by_run(self.queue.bodies()).get(run_id, ()),
            outcomes=True, silver=True,
        )
        manifest = run.manifest
        silver = run.silver or {}
        stats = ledger.enrich_stats(run_id)
        gold_manifest = _read_json(deps.gold, layout.GOLD_MANIFEST) or {}
        dashboard = layout.LocalLake(self.settings.data_dir).dashboard
        return RunSummary(
            run_id=run_id, snapshot_date=manifest.snapshot_date.isoformat(),
            top_n=manifest.top_n, source=manifest.source, selected=len(manifest.movies),
            rejected=[r.model_dump() for r in manifest.rejected],
            enriched=run.count("enriched"), not_found=run.count("not_found"),
            failed=run.count("failed"), still_queued=run.still_queued, unaccounted=run.unaccounted,
            silver_rows=int(silver.get("rows", 0)), quarantined=int(silver.get("quarantined", 0)),
            drift=dict(silver.get("drift", {})),
            gold_datasets=dict(gold_manifest.get("datasets", {})) if silver else {},
            omdb_requests=stats.get("omdb_requests", 0), cache_hits=stats.get("cache_hits", 0),
            paused=ledger.paused(deps.clock.now()), data_dir=str(self.settings.data_dir),
            dashboard=str(dashboard) if dashboard.exists() else None,
            dead_letters=[
                {"imdb_id": o.imdb_id, "error": o.detail, "attempts": o.attempts}
                for o in run.dead_letters
            ],
            available=manifest.available,
            silver_state=silver.get("state") if silver else None,
            offline=manifest.offline,
        )


def _read_json(store: Any, key: str) -> dict[str, Any] | None:
    import json

    from cinelake.adapters.storage import ObjectNotFound

    try:
        return json.loads(store.get(key))  # type: ignore[no-any-return]
    except ObjectNotFound:
        return None

