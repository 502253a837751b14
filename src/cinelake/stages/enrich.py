"""Enrich: for each queued movie, ask OMDb (or the cache) and write the answer to bronze.

One call handles one SQS batch. Movies are fetched concurrently; the answers of the whole
batch go to bronze as one newline-delimited JSON object (many small objects are what makes a
lake slow), then each movie's outcome goes to the run ledger. The result says which messages
failed, in the shape Lambda's ReportBatchItemFailures expects.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any, TypeVar

from pydantic import ValidationError

from cinelake import accounting, bronze, layout
from cinelake.bronze import bronze_line, part_bytes
from cinelake.budget import DailyBudget, Grant
from cinelake.keys import SecretError
from cinelake.ledger import Pause
from cinelake.models import MovieMessage, MovieOutcome, SourceMovie
from cinelake.objects import ObjectNotFound
from cinelake.observability import get_logger, redact
from cinelake.omdb.cache import cache_key
from cinelake.omdb.client import OmdbAnswer, OmdbClient
from cinelake.omdb.errors import (
    BudgetSpent,
    InvalidApiKey,
    OmdbError,
    QuotaReached,
    TransientFailure,
)
from cinelake.stages.ports import EnrichPorts

T = TypeVar("T")

MAX_SQS_DELAY_S = 900
# A new pause within this time of the previous one's end continues it (requeued movies come
# back every MAX_SQS_DELAY_S at most), so `since` measures the whole stretch of pauses.
PAUSE_CONTINUES = timedelta(hours=1)
# Time an invocation keeps back from OMDb for writing bronze and the ledger before Lambda's
# timeout: 10 s or 15 % of the time left, whichever is larger; an invocation too short for that
# keeps half its time, but never less than 1 s.
SAFETY_MARGIN_S = 10.0
SAFETY_SHARE = 0.15
MIN_SAFETY_MARGIN_S = 1.0
OUT_OF_TIME = "invocation time running out"


@dataclass(frozen=True)
class SqsMessage:
    """The parts of an SQS record the stage needs (the handler maps the event to these)."""

    message_id: str
    body: str
    receive_count: int


@dataclass
class MovieResult:
    movie: SourceMovie
    answer: OmdbAnswer | None = None
    cache_hit: bool = False
    error: BaseException | None = None
    sent: int = 0  # OMDb requests sent for this movie so far
    pending: bool = False  # not fetched today and no stored answer: pending


@dataclass
class EnrichReport:
    failed_message_ids: list[str] = field(default_factory=list)
    found: int = 0
    not_found: int = 0
    cache_hits: int = 0
    omdb_requests: int = 0
    dead_lettered: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    paused: Pause | None = None
    paused_minutes: float | None = None  # how long enrichment has been paused (None: it is not)
    key_errors: int = 0  # the key could not be read, or OMDb rejected it
    # The movies given an outcome by this invocation, by (snapshot, run): what it tallies.
    accounted: dict[tuple[date, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    completed: list[str] = field(default_factory=list)  # runs this invocation completed


async def _io(deps: EnrichPorts, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Storage calls from async code: inline for local files (microseconds), in a thread for S3."""
    if deps.bronze.local_path("_") is not None:
        return fn(*args, **kwargs)
    return await asyncio.to_thread(fn, *args, **kwargs)


def safety_margin(remaining_s: float) -> float:
    """Seconds to keep back from OMDb out of `remaining_s` (see SAFETY_MARGIN_S)."""
    margin = max(SAFETY_MARGIN_S, SAFETY_SHARE * remaining_s)
    return max(MIN_SAFETY_MARGIN_S, min(margin, remaining_s / 2))


async def fetch_movies(
    deps: EnrichPorts,
    movies: list[SourceMovie],
    deadline_s: float | None = None,
    base_url: str | None = None,
    hold: set[str] | frozenset[str] = frozenset(),
    unstored: set[str] | frozenset[str] = frozenset(),
) -> tuple[list[MovieResult], int]:
    """Answers for these movies from the cache, else OMDb. Errors are returned, not raised.

    ``unstored``: movies the plan found with no fresh stored answer, on their first delivery:
    the cache is not read for them (it would miss).

    `deadline_s` is when the invocation ends (Lambda's timeout), in `time.monotonic()` seconds.
    Waiting on OMDb stops a safety margin before it: movies not answered by then get a
    TransientFailure and take the normal failure path, rather than the timeout killing the
    invocation with nothing recorded.

    ``hold``: movies the plan does not fetch. They, and the movies the day's budget or OMDb's
    quota leaves unfetched, take their newest stored answer whatever its age (stale) or are
    pending.
    """
    options = deps.omdb_options(base_url)
    cache = deps.cache
    now = deps.clock.now()
    results: list[MovieResult] = []
    misses: list[MovieResult] = []
    for movie in movies:
        params = options.params(movie.imdb_id)
        if movie.imdb_id in hold:
            result = MovieResult(movie)
            await _take_stored(deps, result, options.base_url)
            results.append(result)
            continue
        entry = (
            None
            if deps.settings.refresh or movie.imdb_id in unstored
            else await _io(deps, cache.get, movie.imdb_id, params, now, base_url=options.base_url)
        )
        if entry is not None:
            results.append(MovieResult(movie, _stored_answer(movie, entry), cache_hit=True))
        else:
            result = MovieResult(movie)
            results.append(result)
            misses.append(result)
    if not misses:
        return results, 0
    try:
        key = deps.keys.get()
    except SecretError as exc:
        # The key cannot be read (e.g. Secrets Manager refused): a key problem, so a pause,
        # never dead letters.
        key, problem = None, str(exc)
    else:
        problem = "no OMDb API key configured"
    if not key:
        for r in misses:
            r.error = InvalidApiKey(problem)
        return results, 0

    grant = _reserve(deps, len(misses))
    if grant is not None and grant.granted == 0:
        for r in misses:
            await _take_stored(deps, r, options.base_url)
        return results, 0
    try:
        requests = await _fetch_misses(deps, key, options, misses, deadline_s, grant)
    finally:
        if grant is not None:
            grant.settle()
    for r in misses:
        if isinstance(r.error, (BudgetSpent, QuotaReached)):
            # Planned but not fetched (budget or quota reached): not a failure of the day.
            await _take_stored(deps, r, options.base_url)
    return results, requests


def _stored_answer(movie: SourceMovie, entry: dict[str, Any]) -> OmdbAnswer:
    return OmdbAnswer(
        entry["kind"],
        movie.imdb_id,
        entry["body"],
        entry["http_status"],
        0,
        0.0,
        datetime.fromisoformat(entry["stored_at"]),
        entry["request_url"],  # where it was fetched from, not where we would ask now
    )


async def _take_stored(deps: EnrichPorts, result: MovieResult, base_url: str) -> None:
    """The movie's newest stored answer whatever its age (stale), else pending."""
    imdb_id = result.movie.imdb_id
    params = deps.omdb_options(base_url).params(imdb_id)
    entry = await _io(deps, deps.cache.newest, imdb_id, params, base_url=base_url)
    result.error = None
    if entry is None:
        result.pending = True
    else:
        result.answer = _stored_answer(result.movie, entry)
        result.cache_hit = True


def _reserve(deps: EnrichPorts, wanted: int) -> Grant | None:
    """The requests this invocation may send today (None: no budget, the offline sample)."""
    if deps.settings.offline:
        return None
    return DailyBudget(deps.bronze, deps.clock, deps.settings.omdb_daily_budget).reserve(wanted)


async def _fetch_misses(
    deps: EnrichPorts,
    key: str,
    options: Any,
    misses: list[MovieResult],
    deadline_s: float | None,
    grant: Grant | None,
) -> int:
    cache = deps.cache
    fetched: dict[str, datetime] = {}  # what this invocation stored, for the cache's index
    async with OmdbClient(
        key,
        options,
        limiter=deps.limiter,
        transport=deps.omdb_transport,
        gate=deps.gate,
        stops=deps.stops,
        clock=deps.clock,
        allowance=None if grant is None else grant.allow,
    ) as client:

        async def one(result: MovieResult) -> None:
            def sent() -> None:
                result.sent += 1

            try:
                result.answer = await client.fetch(result.movie.imdb_id, on_send=sent)
            except Exception as exc:  # every failure is recorded against its movie
                result.error = exc
                return
            try:
                await _io(
                    deps,
                    cache.put,
                    result.movie.imdb_id,
                    options.params(result.movie.imdb_id),
                    kind=result.answer.kind,
                    body=result.answer.body,
                    http_status=result.answer.http_status,
                    now=result.answer.fetched_at,
                    base_url=options.base_url,
                    request_url=result.answer.request_url,
                )
                key = cache_key(
                    result.movie.imdb_id, options.params(result.movie.imdb_id), options.base_url
                )
                fetched[key] = result.answer.fetched_at
            except Exception as exc:
                # The cache only saves quota; an answer already paid for must not be lost.
                get_logger().warning(
                    "OMDb answer not cached",
                    extra={"imdb_id": result.movie.imdb_id, "error": redact(str(exc))[:300]},
                )

        tasks = [asyncio.create_task(one(r)) for r in misses]
        timeout = None
        if deadline_s is not None:
            remaining = deadline_s - monotonic()
            timeout = max(0.0, remaining - safety_margin(remaining))
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        if pending:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            late = [r for r in misses if r.answer is None and r.error is None]
            for r in late:
                r.error = TransientFailure(OUT_OF_TIME, r.sent)
            get_logger().warning(
                OUT_OF_TIME, extra={"unanswered": len(late), "waited_s": round(timeout or 0.0, 3)}
            )
        for task in done:
            task.result()  # a failure outside the fetch (e.g. the cache write) fails the call
        try:
            await _io(deps, cache.record_fetched, fetched, deps.clock.now())
        except Exception as exc:
            # The index only saves the plan reads: the answers themselves are stored.
            get_logger().warning(
                "OMDb fetched index not written", extra={"error": redact(str(exc))[:300]}
            )
        return client.requests


async def _fetch_by_url(
    deps: EnrichPorts,
    movies: list[tuple[str, SourceMovie]],
    deadline_s: float | None,
    hold: set[str] | frozenset[str] = frozenset(),
    unstored: set[str] | frozenset[str] = frozenset(),
) -> tuple[list[MovieResult], int]:
    """fetch_movies for each OMDb URL the movies' runs use, side by side; results in order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for n, (url, _) in enumerate(movies):
        groups[url].append(n)
    fetched = await asyncio.gather(
        *(
            fetch_movies(
                deps,
                [movies[n][1] for n in idx],
                deadline_s,
                base_url=url,
                hold=hold,
                unstored=unstored,
            )
            for url, idx in groups.items()
        )
    )
    results: list[MovieResult | None] = [None] * len(movies)
    for idx, (group_results, _) in zip(groups.values(), fetched, strict=True):
        for n, r in zip(idx, group_results, strict=True):
            results[n] = r
    return [r for r in results if r is not None], sum(sent for _, sent in fetched)


def _pause_for(errors: list[BaseException], now: datetime) -> Pause | None:
    if any(isinstance(e, InvalidApiKey) for e in errors):
        # Short, so a fixed key is picked up soon; nothing is dead-lettered meanwhile.
        return Pause("invalid_key", now + timedelta(minutes=15), "OMDb rejected the API key")
    if any(isinstance(e, QuotaReached) for e in errors):
        tomorrow = datetime.combine(now.date() + timedelta(days=1), time(0, 5), UTC)
        return Pause("quota", tomorrow, "OMDb request limit reached")
    return None


def _continued(deps: EnrichPorts, pause: Pause, now: datetime) -> Pause:
    """The pause with its start: the previous pause's when this one continues it, else now."""
    previous = deps.ledger.last_pause()
    since = now
    if (
        previous is not None
        and previous.reason == pause.reason
        and previous.until >= now - PAUSE_CONTINUES
    ):
        since = previous.since or now
    return replace(pause, since=min(since, now))


def _minutes(pause: Pause, now: datetime) -> float:
    return round(pause.paused_for(now).total_seconds() / 60, 1)


def _record_pause(deps: EnrichPorts, exc: BaseException) -> None:
    now = deps.clock.now()
    pause = _pause_for([exc], now)
    if pause is not None:
        deps.ledger.pause(_continued(deps, pause, now))


def _delay_until(pause: Pause, now: datetime) -> int:
    return int(max(0, min(MAX_SQS_DELAY_S, (pause.until - now).total_seconds())))


def _requests_spent(result: MovieResult) -> int:
    """OMDb requests really sent for this movie (a refusal without a request counts 0)."""
    if result.cache_hit or result.pending:
        return result.sent  # 0, unless it was tried before the budget or quota stopped it
    if result.answer is not None:
        return result.answer.attempts
    if isinstance(result.error, OmdbError):
        return result.error.attempts
    return result.sent  # an unexpected error: count what the client sent


def _write_stats(
    deps: EnrichPorts, per_message: list[tuple[SqsMessage, MovieMessage, list[MovieResult]]]
) -> None:
    """Per-run counters, so a run's summary can say what it cost in OMDb requests."""
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, msg, res in per_message:
        s = stats[msg.run_id]
        for r in res:
            # Answers from the bundled sample are lookups, not OMDb requests.
            s["sample_lookups" if deps.settings.offline else "omdb_requests"] += _requests_spent(r)
            s["cache_hits"] += r.cache_hit
    for run_id, s in stats.items():
        deps.ledger.add_enrich_stats(run_id, dict(s))


Fetched = list[tuple[SqsMessage, MovieMessage, list[MovieResult]]]
"""Each readable message with its movies' results, in order."""


def enrich_batch(
    deps: EnrichPorts, messages: list[SqsMessage], *, deadline_s: float | None = None
) -> EnrichReport:
    """`deadline_s`: when the invocation times out, in `time.monotonic()` seconds (None: never).

    1. paused? put the messages back fresh; 2. read them (poison messages fail); 3. fetch;
    4. bronze, then the ledger's outcomes; 5. what becomes of the unanswered movies;
    6. the completion marker of each run whose last movie this batch accounted for."""
    report = EnrichReport()
    now = deps.clock.now()
    paused = deps.ledger.paused(now)
    if paused is not None and paused.reason != "quota":
        # Enrichment is paused: put the messages back fresh (no receive is spent on them).
        deps.queue.send([m.body for m in messages], delay_seconds=_delay_until(paused, now))
        report.paused = paused
        report.paused_minutes = _minutes(paused, now)
        return report
    # The ledger is the truth: a pause that expired (or an operator lifted) lets OMDb calls
    # start again in this process; a new stop records its pause at once.
    deps.stops.clear()
    deps.stops.on_stop = lambda exc: _record_pause(deps, exc)

    parsed = _read_messages(messages, report)
    movies = [(deps.omdb_url_for(msg.run_id), movie) for _, msg in parsed for movie in msg.movies]
    hold = {i for _, msg in parsed for i in msg.hold}
    unstored = _unstored(deps, parsed)
    if paused is not None:
        # OMDb's quota is reached for today: no request is sent; the day still completes,
        # each movie with its newest stored answer (stale) or pending.
        hold |= {movie.imdb_id for _, movie in movies}
        report.paused = paused
    results, report.omdb_requests = (
        asyncio.run(_fetch_by_url(deps, movies, deadline_s, hold, unstored)) if movies else ([], 0)
    )
    by_movie = iter(results)
    fetched: Fetched = [(sqs, msg, [next(by_movie) for _ in msg.movies]) for sqs, msg in parsed]

    _store_answers(deps, fetched, report, now)
    deps.checkpoint("after_outcomes")
    _write_stats(deps, fetched)
    _settle_unanswered(deps, fetched, report, now)
    _mark_completed(deps, report)
    return report


def _unstored(deps: EnrichPorts, parsed: list[tuple[SqsMessage, MovieMessage]]) -> set[str]:
    """Movies to fetch without reading the cache first: those the run's plan found with no
    fresh answer (the message's ``fetch``), on a first delivery, and not accounted for yet. A
    redelivery, or a redriven batch whose mates have their outcomes, reads the cache: an
    earlier delivery may have stored the answer."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for sqs, msg in parsed:
        if sqs.receive_count <= 1 and msg.fetch:
            wanted[msg.run_id].update(msg.fetch)
    out: set[str] = set()
    for run_id, ids in wanted.items():
        try:
            out |= ids - accounting.tallied_ids(deps.ledger, run_id, ids)
        except (ObjectNotFound, ValueError):
            continue  # an unreadable manifest: read the cache
    return out


def _read_messages(
    messages: list[SqsMessage], report: EnrichReport
) -> list[tuple[SqsMessage, MovieMessage]]:
    parsed: list[tuple[SqsMessage, MovieMessage]] = []
    for m in messages:
        try:
            parsed.append((m, MovieMessage.model_validate_json(m.body)))
        except ValidationError as exc:
            # A poison message: let it fail until the redrive policy dead-letters it.
            get_logger().error(
                "unreadable queue message",
                extra={"message_id": m.message_id, "error": redact(str(exc))[:500]},
            )
            report.failed_message_ids.append(m.message_id)
    return parsed


def _store_answers(
    deps: EnrichPorts, fetched: Fetched, report: EnrichReport, now: datetime
) -> None:
    """Bronze first (one object per (snapshot, run) of the batch), then the ledger outcomes."""
    lines: dict[tuple[date, str], list[dict[str, Any]]] = defaultdict(list)
    answered: list[tuple[MovieMessage, MovieResult, OmdbAnswer]] = []
    for _, msg, res in fetched:
        for r in res:
            if r.answer is not None:
                lines[(msg.snapshot_date, msg.run_id)].append(
                    bronze_line(
                        msg.run_id, msg.snapshot_date, r.movie, r.answer, cache_hit=r.cache_hit
                    )
                )
                answered.append((msg, r, r.answer))
            elif r.pending:
                _record(
                    deps,
                    report,
                    msg,
                    MovieOutcome(
                        imdb_id=r.movie.imdb_id, status="pending", at=now, attempts=r.sent
                    ),
                )
    for (snapshot, run_id), group in lines.items():
        key = layout.bronze_part_key(snapshot, run_id, uuid.uuid4().hex)
        deps.bronze.put(key, part_bytes(group), bronze.CONTENT_TYPE)
        deps.checkpoint("after_bronze_write")
    for msg, r, answer in answered:
        found = answer.kind == "found"
        report.found += found
        report.not_found += not found
        report.cache_hits += r.cache_hit
        if not r.cache_hit:
            report.latencies_ms.append(answer.elapsed_ms)
        _record(
            deps,
            report,
            msg,
            MovieOutcome(
                imdb_id=r.movie.imdb_id,
                status="enriched" if found else "not_found",
                at=now,
                attempts=answer.attempts,
            ),
        )


def _settle_unanswered(
    deps: EnrichPorts, fetched: Fetched, report: EnrichReport, now: datetime
) -> None:
    """A key or quota stop pauses enrichment and requeues the unanswered movies fresh; other
    failures fail their message (to be retried), and on its last receive are accounted for
    as failed (the redrive policy dead-letters the message)."""
    log = get_logger()
    errors = [r.error for _, _, res in fetched for r in res if r.error is not None]
    pause = _pause_for(errors, now)
    if pause is not None:
        report.paused = _continued(deps, pause, now)
        report.paused_minutes = _minutes(report.paused, now)
    # A quota stop is not recorded here: the day completes with stale or pending movies.
    if report.paused is not None and report.paused.reason != "quota":
        deps.ledger.pause(report.paused)
        log.warning(
            "enrichment paused",
            extra={
                "reason": report.paused.reason,
                "until": report.paused.until.isoformat(),
                "paused_minutes": report.paused_minutes,
            },
        )
    key_problem = next((e for e in errors if isinstance(e, InvalidApiKey)), None)
    if key_problem is not None:
        # The real cause (secret missing, unreadable, not JSON, or OMDb's refusal), never the key.
        log.error(
            "OMDb key unusable: enrichment is paused until it is fixed",
            extra={"error": redact(str(key_problem))[:500]},
        )
        report.key_errors += 1
        # A cached key OMDb refused is read again next time: a corrected secret takes at once.
        deps.keys.forget()
    requeue: list[str] = []
    for sqs, msg, res in fetched:
        pending = [r for r in res if r.answer is None and not r.pending]
        if not pending:
            continue
        if report.paused is not None and report.paused.reason != "quota":
            # Not the movie's fault: it stays queued as a fresh message, minus what is done.
            requeue.append(
                msg.model_copy(update={"movies": [r.movie for r in pending]}).model_dump_json()
            )
            continue
        report.failed_message_ids.append(sqs.message_id)
        last = sqs.receive_count >= deps.settings.max_receive_count
        for r in pending:
            detail = redact(str(r.error))[:500] if r.error else "unknown error"
            log.warning(
                "movie not enriched",
                extra={
                    "run_id": msg.run_id,
                    "imdb_id": r.movie.imdb_id,
                    "attempt": sqs.receive_count,
                    "error": detail,
                    "dead_letter": last,
                },
            )
            if last:
                # The redrive policy will dead-letter the message: account for the movie now.
                _record(
                    deps,
                    report,
                    msg,
                    MovieOutcome(
                        imdb_id=r.movie.imdb_id,
                        status="failed",
                        at=now,
                        detail=detail,
                        attempts=sqs.receive_count,
                    ),
                )
                report.dead_lettered += 1
    if requeue:
        assert report.paused is not None
        deps.queue.send(requeue, delay_seconds=_delay_until(report.paused, now))


def _record(
    deps: EnrichPorts, report: EnrichReport, msg: MovieMessage, outcome: MovieOutcome
) -> None:
    deps.ledger.record_outcome(msg.run_id, outcome)
    report.accounted[(msg.snapshot_date, msg.run_id)].add(outcome.imdb_id)


def _mark_completed(deps: EnrichPorts, report: EnrichReport) -> None:
    """The invocation whose outcomes complete a run says so with the run's completion part, an
    empty bronze part: its ObjectCreated event is what tells bronze->silver to build, even when
    the last movie was dead-lettered and so wrote no answer. The tallies
    (:func:`cinelake.accounting.tally`) cost the same whatever the run's size, and the part is
    created with a conditional write, so exactly one invocation writes it, whatever the
    concurrency, duplicates or redrives."""
    for (snapshot, run_id), ids in sorted(report.accounted.items()):
        if accounting.tally(deps.ledger, run_id, ids) and deps.ledger.claim_completion(
            snapshot, run_id
        ):
            report.completed.append(run_id)
