"""Async OMDb client: bounded concurrency, a client-side rate limit, retries with backoff.

Found and not-found are answers; everything else raises one of `cinelake.omdb.errors`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlencode

import certifi
import httpx

from cinelake.clock import Clock, SystemClock
from cinelake.ids import require_imdb_id
from cinelake.omdb.errors import (
    BudgetSpent,
    InvalidApiKey,
    NotAnOmdbAnswer,
    OmdbError,
    QuotaReached,
    RequestRejected,
    TransientFailure,
)

log = logging.getLogger("cinelake.omdb")

NOT_FOUND_ERRORS = ("incorrect imdb id", "movie not found", "series or episode not found")
INVALID_KEY_ERRORS = ("invalid api key", "no api key provided")
QUOTA_ERRORS = ("request limit reached",)
MAX_RETRY_AFTER_S = 60.0  # a longer Retry-After is honoured only this far
_DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class _TooLarge(Exception):
    """The answer passed max_answer_bytes (declared or while reading it)."""


@dataclass(frozen=True)
class OmdbOptions:
    base_url: str = "https://www.omdbapi.com/"
    timeout_s: float = 10.0
    max_retries: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    concurrency: int = 8
    plot: str = "short"
    max_answer_bytes: int = 1024 * 1024
    answer_deadline_s: float = 30.0

    def params(self, imdb_id: str) -> dict[str, str]:
        """The request parameters other than the key (these key the cache too)."""
        return {"i": imdb_id, "plot": self.plot, "r": "json"}


@dataclass(frozen=True)
class OmdbAnswer:
    kind: Literal["found", "not_found"]
    imdb_id: str
    body: dict[str, Any]
    http_status: int
    attempts: int
    elapsed_ms: float
    fetched_at: datetime
    request_url: str  # without the key


class RateLimiter:
    """At most `rate` starts a second across every thread and event loop of the process.

    Each caller reserves the next free slot under a lock and then sleeps until it, so waiting
    callers queue fairly and the lock is never held while sleeping.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Seconds to wait before the caller's slot."""
        if self.interval == 0:
            return 0.0
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            return slot - now


Sleep = Callable[[float], Awaitable[None]]


class RequestGate:
    """At most `limit` requests in flight across every thread and event loop of the process.

    The local runtime runs several invocations side by side (as Lambda scales out); this keeps
    their sum within --concurrency. Waiting is a short poll, since an asyncio primitive cannot be
    shared between event loops.
    """

    def __init__(self, limit: int, poll_s: float = 0.002) -> None:
        self._sem = threading.BoundedSemaphore(limit)
        self._poll_s = poll_s

    async def __aenter__(self) -> None:
        while not self._sem.acquire(blocking=False):
            await asyncio.sleep(self._poll_s)

    async def __aexit__(self, *exc: object) -> None:
        self._sem.release()


class StopSignals:
    """Process-wide: once OMDb rejects the key or reports the quota, no client sends more.

    The local runtime runs several invocations (each with its own client) side by side; a
    per-client flag would let the others keep calling. `on_stop` lets the caller record the
    pause at once, so invocations starting meanwhile see it too.
    """

    def __init__(self) -> None:
        self.rejected: InvalidApiKey | None = None
        self.quota: QuotaReached | None = None
        self.on_stop: Callable[[OmdbError], None] | None = None

    def stop(self, exc: InvalidApiKey | QuotaReached) -> None:
        first = self.rejected is None and self.quota is None
        if isinstance(exc, InvalidApiKey):
            self.rejected = exc
        else:
            self.quota = exc
        if first and self.on_stop is not None:
            self.on_stop(exc)

    def clear(self) -> None:
        self.rejected = None
        self.quota = None


class _NoGate:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


_NO_GATE = _NoGate()
_ssl_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle costs tens of ms: do it once per process, not once per client."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context(cafile=certifi.where())
    return _ssl_context


class OmdbClient:
    """One per event loop; share the RateLimiter between clients to share the budget."""

    def __init__(
        self,
        api_key: str,
        options: OmdbOptions,
        *,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        gate: RequestGate | None = None,
        stops: StopSignals | None = None,
        clock: Clock | None = None,
        allowance: Callable[[], bool] | None = None,
    ) -> None:
        if not api_key:
            raise InvalidApiKey("no OMDb API key configured")
        self._key = api_key
        self.options = options
        self._limiter = limiter or RateLimiter(0)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._semaphore = asyncio.Semaphore(options.concurrency)
        self._gate = gate
        # Asked before each request: False means the day's budget has none left for it.
        self._allowance = allowance
        self._stops = stops or StopSignals()
        # Answers are stamped, and Retry-After dates compared, on the caller's clock: the
        # cache's TTL is measured on that same clock.
        self._clock = clock or SystemClock()
        self.requests = 0
        self._http = httpx.AsyncClient(
            transport=transport,
            verify=shared_ssl_context(),
            timeout=httpx.Timeout(options.timeout_s),
            limits=httpx.Limits(
                max_connections=options.concurrency, max_keepalive_connections=options.concurrency
            ),
            headers={"User-Agent": "cinelake (+https://github.com/cinelake)"},
        )

    async def __aenter__(self) -> OmdbClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def public_url(self, imdb_id: str) -> str:
        return f"{self.options.base_url}?{urlencode(self.options.params(imdb_id))}"

    async def fetch(self, imdb_id: str, *, on_send: Callable[[], None] | None = None) -> OmdbAnswer:
        """The answer for one id. `on_send` is called as each request goes out, so a caller
        that gives up on (cancels) this call still knows how many requests it cost."""
        require_imdb_id(imdb_id)
        params = {**self.options.params(imdb_id), "apikey": self._key}
        started = time.perf_counter()
        attempts = 0
        last_reason = "no attempt"
        while True:
            attempts += 1
            retry_after: float | None = None
            async with self._semaphore:
                # Checked after the wait for a slot: once the key is rejected or the quota is
                # used up, callers still queued make no request at all (this attempt sends
                # nothing, hence attempts - 1).
                if self._stops.rejected is not None:
                    raise InvalidApiKey(str(self._stops.rejected), attempts - 1)
                if self._stops.quota is not None:
                    raise QuotaReached(str(self._stops.quota), attempts - 1)
                if self._allowance is not None and not self._allowance():
                    raise BudgetSpent("the day's OMDb request budget is spent", attempts - 1)
                wait = self._limiter.reserve()
                if wait > 0:
                    await self._sleep(wait)
                self.requests += 1
                if on_send is not None:
                    on_send()
                try:
                    async with self._gate or _NO_GATE:
                        resp = await self._get(params)
                except _TooLarge:
                    raise NotAnOmdbAnswer(
                        f"OMDb's answer is larger than {self.options.max_answer_bytes} bytes "
                        "(max_answer_bytes)",
                        attempts,
                    ) from None
                except httpx.TimeoutException:
                    last_reason = "OMDb timed out"
                    resp = None
                except TimeoutError:
                    last_reason = (
                        f"OMDb's answer took longer than "
                        f"{self.options.answer_deadline_s:g} s (answer_deadline_s)"
                    )
                    resp = None
                except httpx.TransportError as exc:
                    last_reason = f"cannot reach OMDb ({type(exc).__name__})"
                    resp = None
            if resp is not None:
                outcome = self._classify(resp, attempts)
                if isinstance(outcome, tuple):
                    kind, body = outcome
                    return OmdbAnswer(
                        kind,
                        imdb_id,
                        body,
                        resp.status_code,
                        attempts,
                        (time.perf_counter() - started) * 1000,
                        self._clock.now(),
                        self.public_url(imdb_id),
                    )
                last_reason = outcome
                retry_after = _retry_after(resp, self._clock.now())
            if attempts > self.options.max_retries:
                raise TransientFailure(last_reason, attempts)
            delay = self._backoff(attempts, retry_after)
            log.info(
                "OMDb retry",
                extra={
                    "imdb_id": imdb_id,
                    "attempt": attempts,
                    "reason": last_reason,
                    "delay_s": round(delay, 3),
                },
            )
            await self._sleep(delay)

    async def _get(self, params: dict[str, str]) -> httpx.Response:
        """One request, its answer read as a stream: never more than ``max_answer_bytes``
        (an endless answer stops there) and never longer than ``answer_deadline_s`` in all
        (a server that drips bytes stops there)."""
        cap = self.options.max_answer_bytes
        async with asyncio.timeout(self.options.answer_deadline_s):
            async with self._http.stream("GET", self.options.base_url, params=params) as resp:
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise _TooLarge
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():  # decoded: a gzip bomb counts in full
                    size += len(chunk)
                    if size > cap:
                        raise _TooLarge
                    chunks.append(chunk)
                headers = [
                    (k, v) for k, v in resp.headers.items() if k.lower() not in _DROPPED_HEADERS
                ]
                return httpx.Response(
                    resp.status_code,
                    headers=headers,
                    content=b"".join(chunks),
                    request=resp.request,
                )

    def _classify(
        self, resp: httpx.Response, attempts: int
    ) -> tuple[Literal["found", "not_found"], dict[str, Any]] | str:
        """An answer, or the reason a retry may help. Permanent failures raise, saying how
        many requests this fetch sent (`attempts`, this one included)."""
        status = resp.status_code
        if status == 429 or status >= 500:
            return f"OMDb answered HTTP {status}"
        try:
            body = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or ("Response" not in body and status == 200):
            # Well-formed HTTP, but not an OMDb answer: asking again at once gets the same.
            raise NotAnOmdbAnswer(
                f"OMDb answered HTTP {status} with {_what(resp, body)}, not an OMDb answer",
                attempts,
            )
        error = str(body.get("Error", ""))
        lowered = error.lower()
        if status == 401 or any(e in lowered for e in INVALID_KEY_ERRORS + QUOTA_ERRORS):
            stop: InvalidApiKey | QuotaReached
            if any(e in lowered for e in QUOTA_ERRORS):
                stop = QuotaReached("OMDb request limit reached for this API key", attempts)
            else:
                stop = InvalidApiKey(
                    "OMDb rejected the API key (check OMDB_API_KEY or the configured secret)",
                    attempts,
                )
            # Pause at once: callers still queued behind the semaphore make no request.
            self._stops.stop(stop)
            raise stop
        if status != 200:
            raise RequestRejected(f"OMDb answered HTTP {status}: {error[:100]}", attempts)
        if body.get("Response") == "True":
            return "found", body
        if any(e in lowered for e in NOT_FOUND_ERRORS):
            return "not_found", body
        # e.g. "Error getting data." — OMDb's own hiccup, worth another try.
        return f"OMDb error: {error[:100] or 'Response False without an error'}"

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cap = min(self.options.backoff_max_s, self.options.backoff_base_s * 2 ** (attempt - 1))
        delay = self._rng.uniform(0, cap)  # full jitter
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
        return delay


def _what(resp: httpx.Response, body: Any) -> str:
    if not resp.content.strip():
        return "an empty body"
    if body is None and resp.content.strip() != b"null":
        kind = resp.headers.get("content-type", "unknown").split(";")[0].strip()[:40]
        return f"a non-JSON body ({kind or 'unknown'})"
    kinds = {
        list: "a JSON array",
        dict: "a JSON object without Response",
        str: "a JSON string",
        bool: "a JSON boolean",
        int: "a JSON number",
        float: "a JSON number",
    }
    return kinds.get(type(body), "JSON null")


def _retry_after(resp: httpx.Response, now: datetime) -> float | None:
    value = resp.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())
