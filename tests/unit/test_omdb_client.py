"""The client's taxonomy: answers, permanent errors, transient errors with backoff — and no key leaks."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from cinelake.clock import FakeClock
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.devtools.synthetic import omdb_catalog
from cinelake.omdb.client import OmdbClient, OmdbOptions, RateLimiter
from cinelake.omdb.errors import (
    InvalidApiKey,
    NotAnOmdbAnswer,
    QuotaReached,
    RequestRejected,
    TransientFailure,
)

KEY = "k3y-s3cr3t-value"
IDS = ["tt0000001", "tt0000002", "tt0000003"]


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client_for(
    transport: httpx.AsyncBaseTransport, sleeps: Sleeps | None = None, **opts: Any
) -> OmdbClient:
    options = OmdbOptions(
        base_url="http://omdb.test/",
        max_retries=opts.pop("max_retries", 3),
        backoff_base_s=0.1,
        backoff_max_s=1.0,
        **opts,
    )
    return OmdbClient(KEY, options, transport=transport, sleep=sleeps or Sleeps())


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def sim(**config: Any) -> OmdbSimulator:
    return OmdbSimulator(omdb_catalog(IDS), SimulatorConfig(api_key=KEY, **config))


def test_found_and_not_found() -> None:
    s = sim()

    async def go() -> tuple[Any, Any]:
        async with client_for(s.transport()) as c:
            return await c.fetch("tt0000001"), await c.fetch("tt0999999")

    found, missing = run(go())
    assert found.kind == "found" and found.body["imdbID"] == "tt0000001" and found.attempts == 1
    assert missing.kind == "not_found" and missing.body["Response"] == "False"
    assert KEY not in found.request_url and "apikey" not in found.request_url


def test_invalid_key_stops_all_further_calls() -> None:
    s = OmdbSimulator(omdb_catalog(IDS), SimulatorConfig(api_key="another-key"))

    async def go() -> list[BaseException]:
        async with client_for(s.transport()) as c:
            out = []
            for i in IDS:
                try:
                    await c.fetch(i)
                except InvalidApiKey as exc:
                    out.append(exc)
            return out

    errors = run(go())
    assert len(errors) == 3 and s.requests == 1
    assert all(KEY not in str(e) for e in errors)
    assert "API key" in str(errors[0])


def test_quota_pauses_at_once() -> None:
    s = sim(quota=1)

    async def go() -> list[str]:
        async with client_for(s.transport()) as c:
            kinds = []
            for i in IDS:
                try:
                    kinds.append((await c.fetch(i)).kind)
                except QuotaReached:
                    kinds.append("quota")
            return kinds

    assert run(go()) == ["found", "quota", "quota"]
    assert s.requests == 2  # the third movie made no request


def test_transient_errors_are_retried_with_backoff_then_give_up() -> None:
    s = sim(error_rate=1.0)
    sleeps = Sleeps()

    async def go() -> None:
        async with client_for(s.transport(), sleeps, max_retries=3) as c:
            await c.fetch("tt0000001")

    with pytest.raises(TransientFailure) as err:
        run(go())
    assert err.value.attempts == 4 and s.requests == 4
    assert "non-JSON" in str(err.value) or "HTTP 503" in str(err.value)
    assert len(sleeps.calls) == 3 and all(0 <= d <= 1.0 for d in sleeps.calls)
    assert KEY not in str(err.value)


def test_retry_after_is_honoured() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}, text="slow down"),
            httpx.Response(200, json={"Response": "True", "imdbID": "tt0000001", "Title": "X"}),
        ]
    )
    sleeps = Sleeps()

    async def go() -> Any:
        async with client_for(httpx.MockTransport(lambda r: next(answers)), sleeps) as c:
            return await c.fetch("tt0000001")

    answer = run(go())
    assert answer.kind == "found" and answer.attempts == 2
    assert sleeps.calls == [7.0]


def test_answers_and_retry_after_dates_use_the_injected_clock() -> None:
    # A Retry-After HTTP date 30 s after the *injected* now: the wait is 30 s whatever the
    # real date is, and the answer is stamped with the injected clock, not the wall clock.
    clock = FakeClock(datetime(2031, 6, 1, 12, 0, tzinfo=UTC))
    later = format_datetime(clock.now() + timedelta(seconds=30), usegmt=True)
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": later}, text="busy"),
            httpx.Response(200, json={"Response": "True", "imdbID": "tt0000001", "Title": "X"}),
        ]
    )
    sleeps = Sleeps()
    options = OmdbOptions(
        base_url="http://omdb.test/", max_retries=3, backoff_base_s=0.1, backoff_max_s=1.0
    )

    async def go() -> Any:
        async with OmdbClient(
            KEY,
            options,
            transport=httpx.MockTransport(lambda r: next(answers)),
            sleep=sleeps,
            clock=clock,
        ) as c:
            return await c.fetch("tt0000001")

    answer = run(go())
    assert sleeps.calls == [30.0]
    assert answer.fetched_at == clock.now()


@pytest.mark.parametrize(
    "response,expected",
    [
        (httpx.Response(502, html="<html>bad gateway</html>"), "HTTP 502"),
        (
            httpx.Response(200, json={"Response": "False", "Error": "Error getting data."}),
            "Error getting data",
        ),
    ],
)
def test_what_counts_as_transient(response: httpx.Response, expected: str) -> None:
    async def go() -> None:
        async with client_for(httpx.MockTransport(lambda r: response), max_retries=1) as c:
            await c.fetch("tt0000001")

    with pytest.raises(TransientFailure, match=expected):
        run(go())


def test_timeouts_and_connection_errors_never_show_the_url() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        assert KEY in str(request.url)  # the key is on the wire, as OMDb requires...
        raise httpx.ConnectTimeout(f"timed out talking to {request.url}", request=request)

    async def go() -> None:
        async with client_for(httpx.MockTransport(boom), max_retries=2) as c:
            await c.fetch("tt0000001")

    with pytest.raises(TransientFailure) as err:
        run(go())
    text = str(err.value) + repr(err.value) + str(err.value.__cause__) + str(err.value.__context__)
    assert KEY not in text  # ...but never in what we raise


def test_other_4xx_is_permanent() -> None:
    async def go() -> None:
        async with client_for(
            httpx.MockTransport(lambda r: httpx.Response(400, json={"Error": "bad"}))
        ) as c:
            await c.fetch("tt0000001")

    with pytest.raises(RequestRejected):
        run(go())


def test_bad_ids_never_leave_the_process() -> None:
    s = sim()

    async def go() -> None:
        async with client_for(s.transport()) as c:
            await c.fetch("../../etc")

    with pytest.raises(ValueError):
        run(go())
    assert s.requests == 0


def test_rate_limiter_spaces_reservations() -> None:
    now = [100.0]
    limiter = RateLimiter(4, clock=lambda: now[0])
    waits = [limiter.reserve() for _ in range(5)]
    assert waits == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])
    now[0] += 10
    assert limiter.reserve() == 0
    assert RateLimiter(0).reserve() == 0


def test_concurrency_is_bounded() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json={"Response": "True", "imdbID": request.url.params["i"]})

    async def go() -> None:
        async with client_for(httpx.MockTransport(handler), concurrency=3) as c:
            await asyncio.gather(*(c.fetch(f"tt{i:07d}") for i in range(20)))

    run(go())
    assert peak == 3


# -- hopeless answers, and answers without end -------------------------------------------------


class Counting:
    """A transport answering every request with `make()`, counting the requests."""

    def __init__(self, make: Any) -> None:
        self.requests = 0
        self.make = make

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests += 1
            return self.make()  # type: ignore[no-any-return]

        return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    "make,expected",
    [
        (
            lambda: httpx.Response(
                200, text="<html>portal</html>", headers={"content-type": "text/html"}
            ),
            "a non-JSON body (text/html)",
        ),
        (lambda: httpx.Response(200, json=[]), "a JSON array"),
        (lambda: httpx.Response(200, content=b"null"), "JSON null"),
        (lambda: httpx.Response(200, content=b""), "an empty body"),
        (lambda: httpx.Response(200, json={"Title": "x"}), "a JSON object without Response"),
    ],
)
def test_an_answer_that_is_not_an_omdb_answer_is_not_retried(make: Any, expected: str) -> None:
    server = Counting(make)

    async def go() -> None:
        async with client_for(server.transport(), max_retries=4) as c:
            await c.fetch("tt0000001")

    with pytest.raises(NotAnOmdbAnswer, match=re.escape(expected)) as info:
        run(go())
    assert server.requests == 1 and info.value.attempts == 1


def test_an_answer_declared_larger_than_the_cap_is_not_read() -> None:
    server = Counting(lambda: httpx.Response(200, content=b"{" + b" " * 5000 + b"}"))

    async def go() -> None:
        async with client_for(server.transport(), max_answer_bytes=4096) as c:
            await c.fetch("tt0000001")

    with pytest.raises(NotAnOmdbAnswer, match="larger than 4096 bytes"):
        run(go())
    assert server.requests == 1


def test_an_endless_answer_stops_at_the_cap() -> None:
    pulled = []

    async def endless() -> Any:
        yield b'{"Title": "'
        while True:
            pulled.append(65536)
            yield b"x" * 65536

    server = Counting(lambda: httpx.Response(200, content=endless()))

    async def go() -> None:
        async with client_for(server.transport(), max_answer_bytes=1024 * 1024) as c:
            await c.fetch("tt0000001")

    with pytest.raises(NotAnOmdbAnswer, match="larger than 1048576 bytes"):
        run(go())
    assert sum(pulled) <= 1024 * 1024 + 65536  # read up to the cap, not a byte-budget more


def test_an_answer_that_drips_ends_at_the_deadline() -> None:
    async def drip() -> Any:
        while True:
            yield b" "
            await asyncio.sleep(0.01)  # the server's pace, not a wait of the test

    server = Counting(lambda: httpx.Response(200, content=drip()))

    async def go() -> None:
        async with client_for(server.transport(), max_retries=1, answer_deadline_s=0.1) as c:
            await c.fetch("tt0000001")

    with pytest.raises(TransientFailure, match=r"took longer than 0.1 s \(answer_deadline_s\)"):
        run(go())
    assert server.requests == 2  # a slow answer may be a slow moment: retried, bounded
