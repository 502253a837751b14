"""The cache knows which OMDb answered, errors say what they cost, Lambda's
deadline is respected, and a key pasted into the OMDb URL is refused without being echoed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from cinelake.adapters.storage import LocalObjectStore
from cinelake.bootstrap import OFFLINE_URL, build_local
from cinelake.config import DEFAULT_OMDB_URL, Settings
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.devtools.synthetic import omdb_catalog
from cinelake.models import SourceMovie
from cinelake.omdb import client as omdb_client
from cinelake.omdb.cache import ResponseCache, cache_key
from cinelake.omdb.client import OmdbClient, OmdbOptions
from cinelake.omdb.errors import InvalidApiKey, QuotaReached, TransientFailure
from cinelake.stages import enrich as stage

from ..conftest import make_settings

KEY = "k3y-s3cr3t-value"
IDS = [f"tt{i:07d}" for i in range(1, 21)]
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
PARAMS = {"i": "tt0111161", "plot": "short", "r": "json"}


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client_for(sim: OmdbSimulator, sleeps: Sleeps | None = None, **opts: Any) -> OmdbClient:
    options = OmdbOptions(
        base_url="http://omdb.test/", backoff_base_s=0.1, backoff_max_s=1.0, **opts
    )
    return OmdbClient(KEY, options, transport=sim.transport(), sleep=sleeps or Sleeps())


async def fetch_all(c: OmdbClient, ids: list[str], concurrently: bool) -> list[Any]:
    async def one(i: str) -> Any:
        try:
            return await c.fetch(i)
        except Exception as exc:
            return exc

    if concurrently:
        return list(await asyncio.gather(*(one(i) for i in ids)))
    return [await one(i) for i in ids]


# -- 1. the cache is keyed by base URL and records where each answer came from ----------------


def test_cache_key_includes_the_base_url_but_never_the_key() -> None:
    a = cache_key("tt0111161", PARAMS, "https://www.omdbapi.com/")
    b = cache_key("tt0111161", PARAMS, OFFLINE_URL)
    assert a != b
    assert a == cache_key("tt0111161", PARAMS | {"apikey": "zzz"}, "https://www.omdbapi.com/")


def test_an_answer_from_one_base_url_is_not_served_for_another(tmp_path: Path) -> None:
    cache = ResponseCache(LocalObjectStore(tmp_path, "bronze"), timedelta(days=7))
    cache.put(
        "tt0111161",
        PARAMS,
        kind="not_found",
        body={"Response": "False"},
        http_status=200,
        now=NOW,
        base_url=OFFLINE_URL,
    )
    assert cache.get("tt0111161", PARAMS, NOW, base_url="https://www.omdbapi.com/") is None
    entry = cache.get("tt0111161", PARAMS, NOW, base_url=OFFLINE_URL)
    assert entry is not None and entry["request_url"].startswith(OFFLINE_URL)
    assert "apikey" not in entry["request_url"]


def test_an_old_entry_without_its_url_is_a_miss(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path, "bronze")
    old = {
        "stored_at": NOW.isoformat(),
        "params": PARAMS,
        "kind": "found",
        "http_status": 200,
        "body": {"Title": "From the sample"},
    }
    store.put(
        cache_key("tt0111161", PARAMS, DEFAULT_OMDB_URL),
        json.dumps(old).encode(),
        "application/json",
    )
    cache = ResponseCache(store, timedelta(days=7))
    assert cache.get("tt0111161", PARAMS, NOW, base_url=DEFAULT_OMDB_URL) is None


def test_offline_runs_ask_a_never_resolvable_url(lake: Path) -> None:
    assert OFFLINE_URL.startswith("http://") and ".invalid/" in OFFLINE_URL
    assert build_local(make_settings(lake, offline=True)).omdb_options().base_url == OFFLINE_URL
    keyed = build_local(make_settings(lake, omdb_api_key=KEY, omdb_url="http://mirror.test/"))
    assert keyed.omdb_options().base_url == "http://mirror.test/"


def test_a_cache_hit_states_the_url_it_was_fetched_from(lake: Path) -> None:
    deps = build_local(make_settings(lake, omdb_api_key=KEY))
    recorded = "https://www.omdbapi.com/?i=tt0111161&plot=short&r=json&recorded=1"
    deps.cache.put(
        "tt0111161",
        PARAMS,
        kind="found",
        body={"Title": "X", "Response": "True"},
        http_status=200,
        now=deps.clock.now(),
        base_url=DEFAULT_OMDB_URL,
        request_url=recorded,
    )
    movie = SourceMovie(imdb_id="tt0111161", rank=1, record={"id": "tt0111161"})
    [result], sent = asyncio.run(stage.fetch_movies(deps, [movie]))
    assert result.cache_hit and sent == 0
    assert result.answer is not None and result.answer.request_url == recorded


# -- 2. errors say how many requests they cost ------------------------------------------------


@pytest.mark.parametrize("concurrently", [False, True])
def test_a_rejected_key_counts_only_requests_sent(concurrently: bool) -> None:
    sim = OmdbSimulator(omdb_catalog(IDS), SimulatorConfig(api_key="another-key"))

    async def go() -> list[Any]:
        async with client_for(sim, concurrency=4) as c:
            return await fetch_all(c, IDS, concurrently)

    errors = asyncio.run(go())
    assert all(isinstance(e, InvalidApiKey) for e in errors)
    assert sum(e.attempts for e in errors) == sim.requests
    assert {e.attempts for e in errors} <= {0, 1}
    if not concurrently:
        assert [e.attempts for e in errors[:2]] == [1, 0]


def test_a_used_up_quota_counts_only_requests_sent() -> None:
    sim = OmdbSimulator(omdb_catalog(IDS), SimulatorConfig(api_key=KEY, quota=3))

    async def go() -> list[Any]:
        async with client_for(sim) as c:
            return await fetch_all(c, IDS, concurrently=False)

    out = asyncio.run(go())
    assert [type(o).__name__ for o in out[:5]] == ["OmdbAnswer"] * 3 + ["QuotaReached"] * 2
    assert [o.attempts for o in out[3:5]] == [1, 0]
    assert all(isinstance(o, QuotaReached) and o.attempts == 0 for o in out[4:])


def test_requests_spent_uses_the_errors_attempts() -> None:
    movie = SourceMovie(imdb_id="tt0111161", rank=1, record={})
    spent = stage._requests_spent
    assert spent(stage.MovieResult(movie, error=InvalidApiKey("short-circuited"))) == 0
    assert spent(stage.MovieResult(movie, error=InvalidApiKey("rejected", 1))) == 1
    assert spent(stage.MovieResult(movie, error=QuotaReached("paused"))) == 0
    assert spent(stage.MovieResult(movie, error=TransientFailure("503", 3))) == 3


def test_a_long_retry_after_is_honoured_only_up_to_a_minute() -> None:
    assert omdb_client.MAX_RETRY_AFTER_S == 60.0
    sim = OmdbSimulator(
        omdb_catalog(IDS), SimulatorConfig(api_key=KEY, rate_limited_rate=1.0, retry_after_s=600)
    )
    sleeps = Sleeps()

    async def go() -> None:
        async with client_for(sim, sleeps, max_retries=2) as c:
            await c.fetch(IDS[0])

    with pytest.raises(TransientFailure):
        asyncio.run(go())
    assert sleeps.calls == [60.0, 60.0]


# -- 3. the invocation's deadline ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("remaining", "margin"),
    [
        (900.0, 135.0),
        (120.0, 18.0),
        (60.0, 10.0),
        (12.0, 6.0),
        (1.5, 1.0),
        (0.5, 1.0),
    ],
)
def test_safety_margin(remaining: float, margin: float) -> None:
    assert stage.safety_margin(remaining) == pytest.approx(margin)


def test_fetch_stops_waiting_before_the_deadline(lake: Path) -> None:
    """One id never answers: it fails as out of time, the others are answered."""
    sim = OmdbSimulator(omdb_catalog(IDS), SimulatorConfig(api_key=KEY))
    hung = IDS[1]
    sent: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.params["i"])
        if request.url.params["i"] == hung:
            await asyncio.Event().wait()  # never set: only the deadline ends this
        answer = sim.respond(dict(request.url.params))
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    deps = build_local(
        make_settings(lake, omdb_api_key=KEY), omdb_transport=httpx.MockTransport(handle)
    )
    movies = [SourceMovie(imdb_id=i, rank=n, record={}) for n, i in enumerate(IDS[:4], 1)]
    started = time.monotonic()
    results, requests = asyncio.run(stage.fetch_movies(deps, movies, started + 1.5))
    # The hung answer never comes: returning at all, with it out of time, proves the deadline.
    assert requests == len(sent) == 4
    by_id = {r.movie.imdb_id: r for r in results}
    late = by_id.pop(hung)
    assert late.answer is None and isinstance(late.error, TransientFailure)
    assert late.error.reason == stage.OUT_OF_TIME and late.error.attempts == 1
    assert all(r.answer is not None and r.answer.kind == "found" for r in by_id.values())


# -- 4. no key in the OMDb URL --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://www.omdbapi.com/?apikey=SECRET123",
        "https://www.omdbapi.com/?",
        "http://127.0.0.1:9/#apikey=SECRET123",
        "https://user:SECRET123@www.omdbapi.com/",
        "https://SECRET123@www.omdbapi.com/",
    ],
)
def test_a_url_carrying_a_key_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(omdb_url=url)
    [error] = info.value.errors()
    assert "OMDB_API_KEY" in error["msg"] and "SECRET123" not in error["msg"]
    assert "apikey=" not in error["msg"] and "user:" not in error["msg"]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.omdbapi.com/",
        "http://127.0.0.1:8080/",
        "http://[::1]:8080/omdb/",
    ],
)
def test_plain_base_urls_are_accepted(url: str) -> None:
    assert Settings(omdb_url=url).omdb_url == url


def test_the_cli_refuses_a_key_in_the_url_in_one_clean_line(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("cinelake")
    done = subprocess.run(
        [
            str(cli),
            "run",
            "--omdb-url",
            "http://127.0.0.1:9/?apikey=SECRET",
            "--data-dir",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "SECRET" not in done.stdout + done.stderr
    output = (done.stdout + done.stderr).strip()
    assert len(output.splitlines()) == 1 and "OMDB_API_KEY" in output
    assert not (tmp_path / "x").exists()


def test_a_movie_the_plan_found_unstored_is_fetched_without_reading_the_cache(lake: Path) -> None:
    sim = OmdbSimulator(omdb_catalog(["tt0111161"]), SimulatorConfig(api_key=KEY))
    deps = build_local(make_settings(lake, omdb_api_key=KEY), omdb_transport=sim.transport())
    deps.cache.put(
        "tt0111161",
        deps.omdb_options().params("tt0111161"),
        kind="found",
        body={"Title": "X", "Response": "True"},
        http_status=200,
        now=deps.clock.now(),
        base_url=deps.omdb_options().base_url,
    )
    movie = SourceMovie(imdb_id="tt0111161", rank=1, record={"id": "tt0111161"})
    # A redelivery (or a movie the plan found stored) reads the cache ...
    [cached], sent = asyncio.run(stage.fetch_movies(deps, [movie]))
    assert cached.cache_hit and sent == 0
    # ... a first delivery of a movie the plan found with no fresh answer does not.
    [fetched], sent = asyncio.run(stage.fetch_movies(deps, [movie], unstored={"tt0111161"}))
    assert not fetched.cache_hit and sent == 1
    assert fetched.answer is not None and fetched.answer.body["Title"] != "X"
