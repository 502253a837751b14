"""The AWS event flow on one machine, and nothing else: delivery, not orchestration.

It plays EventBridge (invokes ingest with the schedule's input), the SQS event source mapping
(receives batches, invokes enrich on several at once, deletes what succeeded, lets failures come
back after a delay, dead-letters after max receives) and S3 notifications (a write under
bronze/omdb/ or silver/movies/ invokes the next stage). What to run, resume or recover, and
when a run is complete, is decided above it (:mod:`cinelake.ops.runs`, :mod:`cinelake.accounting`).
"""

from __future__ import annotations

import math
import os
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from cinelake import accounting, layout
from cinelake.adapters.queue import LocalQueue, QueueMessage
from cinelake.bootstrap import Deps, build_local, install
from cinelake.clock import Clock
from cinelake.config import Settings
from cinelake.handlers import bronze_to_silver, enrich, ingest, silver_to_gold
from cinelake.models import MovieMessage, MovieOutcome
from cinelake.objects import ObjectNotFound
from cinelake.observability import get_logger, get_metrics, redact
from cinelake.omdb.client import RequestGate
from cinelake.runtime.events import Created, LocalContext, s3_event, schedule_input, sqs_event

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Mirrors the bucket notification configuration of template.yaml.
ROUTES: dict[str, tuple[str, str, str, Handler]] = {
    "bronze": (
        layout.OMDB_PREFIX,
        layout.BRONZE_SUFFIX,
        "ProcessBronzeToSilver",
        bronze_to_silver.handler,
    ),
    "silver": (
        layout.MOVIES_PREFIX,
        layout.PARQUET_SUFFIX,
        "ProcessSilverToGold",
        silver_to_gold.handler,
    ),
}


PROGRESS_EVERY_S = 0.25
MAX_RETRY_DELAY_S = 60.0


@dataclass
class Progress:
    """What a progress display needs; called from the runtime's own thread."""

    on_movies: Callable[[int, int], None] = lambda done, total: None
    on_stage: Callable[[str], None] = lambda stage: None


class AwsEmulator:
    """EventBridge, the SQS event source mapping and S3 notifications, over local folders and
    LocalQueue: it delivers events to the handlers and nothing more (what to run and when is
    :mod:`cinelake.ops.runs`)."""

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
        self.workers = max(1, math.ceil(settings.concurrency / per_call)) + (
            settings.concurrency > 1
        )
        self.deps.concurrency = per_call
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

    # -- EventBridge ---------------------------------------------------------------------
    def fire_schedule(
        self,
        *,
        source: str,
        top_n: int,
        batch_size: int,
        as_of: date | None = None,
        keep_for_new: int = 0,
    ) -> dict[str, Any]:
        """The schedule rule fires: ingest is invoked with the rule's input."""
        self.progress.on_stage("GetMoviesAndSendToQueue")
        event = schedule_input(
            self.deps.clock.now(),
            top_n=top_n,
            batch_size=batch_size,
            source=source,
            event_id=str(uuid.uuid4()),
            as_of=as_of,
            keep_for_new=keep_for_new,
        )
        return self.invoke(ingest.handler, event, "GetMoviesAndSendToQueue")

    # -- S3 notifications -----------------------------------------------------------------
    def _on_created(self, bucket: str, key: str, size: int) -> None:
        route = ROUTES.get(bucket)
        if route and key.startswith(route[0]) and key.endswith(route[1]):
            self._pending.append(Created(bucket, key, size))

    def object_created(self, bucket: str, key: str, size: int) -> None:
        """Deliver an ObjectCreated event (again: S3 delivers at least once) and what follows."""
        self._pending.append(Created(bucket, key, size))
        self.dispatch_notifications()

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

    def pump(self, run_id: str | None) -> None:
        """Deliver queued messages to enrich until the queue is empty or the key is rejected."""
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
                pause = None if paused else ledger.paused(clock.now())
                # A quota pause stops no delivery: enrich sends nothing and completes the day
                # with stale or pending movies; only a key pause keeps messages queued.
                if pause is not None and pause.reason != "quota":
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
                    self.progress.on_movies(accounting.tallied(ledger, run_id), total)
            self.dispatch_notifications()
        if run_id:
            self.progress.on_movies(len(accounting.account(ledger, run_id).done), total)

    def _settle(self, messages: list[QueueMessage], future: Future[dict[str, Any]]) -> None:
        """Do what the event source mapping does with an invocation's result."""
        try:
            failed = {f["itemIdentifier"] for f in future.result()["batchItemFailures"]}
        except Exception as exc:  # the whole invocation failed: every message comes back
            get_logger().error(
                "enrich invocation failed",
                extra={
                    "error": redact(f"{type(exc).__name__}: {exc}")[:500],
                    "messages": len(messages),
                },
            )
            failed = {m.message_id for m in messages}
            for m in messages:
                if m.receive_count >= self.settings.max_receive_count:
                    self._record_lost(m, f"the enrich invocation failed: {type(exc).__name__}")
        for m in messages:
            if m.message_id in failed:
                last = m.receive_count >= self.settings.max_receive_count
                # The last failure goes straight to the dead letters; others back off, capped.
                delay = (
                    0
                    if last
                    else min(
                        MAX_RETRY_DELAY_S, self.settings.retry_delay_s * 2 ** (m.receive_count - 1)
                    )
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
        done = ledger.done_ids(body.run_id)  # a fact, even for a run whose manifest is unreadable
        lost = [m.imdb_id for m in body.movies if m.imdb_id not in done]
        for movie in body.movies:
            if movie.imdb_id not in done:
                ledger.record_outcome(
                    body.run_id,
                    MovieOutcome(
                        imdb_id=movie.imdb_id,
                        status="failed",
                        at=self.deps.clock.now(),
                        detail=reason,
                        attempts=message.receive_count,
                    ),
                )
        if not lost:
            return
        try:
            # As the handler does: the tallies, and the completion part if this completed the run.
            if accounting.tally(ledger, body.run_id, lost):
                ledger.claim_completion(body.snapshot_date, body.run_id)
        except (ObjectNotFound, ValueError):
            return  # an unreadable manifest: `status` reports the run
