"""The OMDb simulator must answer like OMDb, over every transport, and fail like its proxies."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from cinelake.devtools.omdb_simulator import (
    OmdbSimulator,
    SimResponse,
    SimulatorConfig,
    _load_catalog,
)
from cinelake.devtools.synthetic import omdb_answer

SHAWSHANK: dict[str, Any] = {
    "Title": "The Shawshank Redemption",
    "Year": "1994",
    "Rated": "R",
    "Released": "14 Oct 1994",
    "Runtime": "142 min",
    "Genre": "Drama",
    "Director": "Frank Darabont",
    "Writer": "Stephen King (short story), Frank Darabont (screenplay)",
    "Actors": "Tim Robbins, Morgan Freeman, Bob Gunton",
    "Plot": "Two imprisoned men bond over a number of years.",
    "Language": "English",
    "Country": "United States",
    "Awards": "Nominated for 7 Oscars. 21 wins & 43 nominations total",
    "Poster": "N/A",
    "Ratings": [{"Source": "Internet Movie Database", "Value": "9.3/10"}],
    "Metascore": "82",
    "imdbRating": "9.3",
    "imdbVotes": "2,800,000",
    "imdbID": "tt0111161",
    "Type": "movie",
    "DVD": "21 Dec 1999",
    "BoxOffice": "$28,767,189",
    "Production": "N/A",
    "Website": "N/A",
    "Response": "True",
}
AMELIE = {**SHAWSHANK, "Title": "Amélie", "imdbID": "tt0211915"}
CATALOG = {"tt0111161": SHAWSHANK, "tt0211915": AMELIE}
UNKNOWN = "tt9999998"


def sim(**config: Any) -> OmdbSimulator:
    return OmdbSimulator(CATALOG, SimulatorConfig(**config))


def get(simulator: OmdbSimulator, **params: str) -> SimResponse:
    return simulator.respond(params)


def assert_omdb_error(resp: SimResponse, status: int, message: str) -> None:
    assert resp.status == status
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.json() == {"Response": "False", "Error": message}


# --- respond() ---------------------------------------------------------------------------


def test_found_answer_is_the_catalog_entry() -> None:
    resp = get(sim(), i="tt0111161", apikey="k")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert resp.json() == SHAWSHANK


def test_unicode_is_sent_as_utf8() -> None:
    resp = get(sim(), i="tt0211915", apikey="k")
    assert "Amélie".encode() in resp.body
    assert resp.json()["Title"] == "Amélie"


def test_unknown_id_default_message() -> None:
    assert_omdb_error(get(sim(), i=UNKNOWN, apikey="k"), 200, "Incorrect IMDb ID.")


def test_unknown_id_configurable_message() -> None:
    resp = get(sim(not_found_message="Movie not found!"), i=UNKNOWN, apikey="k")
    assert_omdb_error(resp, 200, "Movie not found!")


def test_not_found_ids_hide_catalog_entries() -> None:
    simulator = sim(not_found_ids=frozenset({"tt0111161"}), not_found_message="Movie not found!")
    assert_omdb_error(get(simulator, i="tt0111161", apikey="k"), 200, "Movie not found!")
    assert get(simulator, i="tt0211915", apikey="k").status == 200


@pytest.mark.parametrize(
    "params", [{"apikey": "k"}, {"i": "", "apikey": "k"}, {"i": "0111161", "apikey": "k"}]
)
def test_missing_or_malformed_id(params: dict[str, str]) -> None:
    # Always this text, whichever not-found message is configured.
    resp = sim(not_found_message="Movie not found!").respond(params)
    assert_omdb_error(resp, 200, "Incorrect IMDb ID.")


@pytest.mark.parametrize("params", [{"i": "tt0111161"}, {"i": "tt0111161", "apikey": ""}])
def test_missing_api_key(params: dict[str, str]) -> None:
    assert_omdb_error(sim().respond(params), 401, "No API key provided.")


def test_wrong_api_key() -> None:
    simulator = sim(api_key="right")
    assert_omdb_error(get(simulator, i="tt0111161", apikey="wrong"), 401, "Invalid API key!")
    assert get(simulator, i="tt0111161", apikey="right").status == 200


def test_any_key_accepted_when_none_configured() -> None:
    assert get(sim(), i="tt0111161", apikey="whatever").status == 200


def test_keys_are_never_stored() -> None:
    simulator = sim()
    get(simulator, i="tt0111161", apikey="super-secret-key")
    assert "super-secret-key" not in repr(vars(simulator))


def test_quota_then_request_limit_reached() -> None:
    simulator = sim(quota=3)
    # Refused keys and proxy errors do not use the quota.
    get(simulator, i="tt0111161")
    assert [get(simulator, i="tt0111161", apikey="k").status for _ in range(3)] == [200] * 3
    for _ in range(2):
        resp = get(simulator, i="tt0111161", apikey="k")
        assert_omdb_error(resp, 401, "Request limit reached!")
    assert simulator.quota_used == 3
    assert simulator.requests == 6


def test_a_key_revoked_after_some_answers_is_then_rejected() -> None:
    simulator = sim(revoked_after=2)
    assert [get(simulator, i="tt0111161", apikey="k").status for _ in range(2)] == [200] * 2
    assert_omdb_error(get(simulator, i="tt0111161", apikey="k"), 401, "Invalid API key!")
    simulator.config.revoked_after = None  # the key is fixed
    assert get(simulator, i="tt0111161", apikey="k").status == 200


def test_quota_is_exact_under_concurrency() -> None:
    simulator = sim(quota=100)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            status = get(simulator, i="tt0111161", apikey="k").status
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) == 100
    assert statuses.count(401) == 300
    assert simulator.requests == 400
    assert simulator.requests_by_id["tt0111161"] == 400


def assert_html_page(resp: SimResponse, status: int) -> None:
    assert resp.status == status
    assert resp.headers["Content-Type"].startswith("text/html")
    body = resp.body.decode()
    assert body.startswith("<html><head><title>") and body.endswith("</html>")
    with pytest.raises(json.JSONDecodeError):
        resp.json()


def test_error_rate_one_gives_html_503() -> None:
    resp = get(sim(error_rate=1.0), i="tt0111161", apikey="k")
    assert_html_page(resp, 503)
    assert b"503 Service Temporarily Unavailable" in resp.body


def test_error_status_502() -> None:
    assert_html_page(get(sim(error_rate=1.0, error_status=502), i=UNKNOWN, apikey="k"), 502)


def test_proxy_errors_come_before_key_checks() -> None:
    assert get(sim(error_rate=1.0, api_key="x"), i="tt0111161").status == 503


def test_html_error_ids() -> None:
    simulator = sim(html_error_ids=frozenset({"tt0211915"}))
    for _ in range(3):
        assert_html_page(get(simulator, i="tt0211915", apikey="k"), 503)
    assert get(simulator, i="tt0111161", apikey="k").status == 200


def test_rate_limited_429_with_retry_after() -> None:
    resp = get(sim(rate_limited_rate=1.0, retry_after_s=7), i="tt0111161", apikey="k")
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "7"


def test_error_decisions_reproducible_from_seed() -> None:
    def statuses(seed: int) -> list[int]:
        simulator = sim(error_rate=0.3, rate_limited_rate=0.1, seed=seed)
        return [get(simulator, i="tt0111161", apikey="k").status for _ in range(400)]

    first = statuses(42)
    assert first == statuses(42)
    assert first != statuses(43)
    assert 80 <= first.count(503) <= 160
    assert 20 <= first.count(429) <= 70
    assert first.count(200) == 400 - first.count(503) - first.count(429)


@pytest.mark.parametrize(
    "config",
    [{"error_rate": 1.5}, {"error_rate": 0.6, "rate_limited_rate": 0.6}, {"error_status": 500}],
)
def test_config_rejects_impossible_values(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SimulatorConfig(**config)


def test_synthesize_mode() -> None:
    simulator = sim(synthesize=True, seed=4)
    resp = get(simulator, i=UNKNOWN, apikey="k")
    assert resp.status == 200
    assert resp.json() == omdb_answer(UNKNOWN, seed=4)
    assert get(simulator, i="tt0111161", apikey="k").json() == SHAWSHANK  # catalog wins
    full = get(simulator, i=UNKNOWN, apikey="k", plot="full").json()
    assert full == omdb_answer(UNKNOWN, seed=4, plot="full")
    assert_omdb_error(get(simulator, i="nonsense", apikey="k"), 200, "Incorrect IMDb ID.")


def test_synthesize_respects_not_found_ids() -> None:
    simulator = sim(synthesize=True, not_found_ids=frozenset({UNKNOWN}))
    assert_omdb_error(get(simulator, i=UNKNOWN, apikey="k"), 200, "Incorrect IMDb ID.")


def test_counters() -> None:
    simulator = sim(error_rate=0.5, seed=1)
    for ident in ["tt0111161", "tt0111161", UNKNOWN, "tt0111161"]:
        get(simulator, i=ident, apikey="k")
    get(simulator, apikey="k")
    assert simulator.requests == 5
    assert simulator.requests_by_id == {"tt0111161": 3, UNKNOWN: 1}
    simulator.requests_by_id["tt0111161"] = 99  # a copy: callers cannot corrupt the counts
    assert simulator.requests_by_id["tt0111161"] == 3


def test_catalog_is_snapshotted() -> None:
    catalog = dict(CATALOG)
    simulator = OmdbSimulator(catalog)
    catalog.clear()
    assert get(simulator, i="tt0111161", apikey="k").status == 200


# --- transport() -------------------------------------------------------------------------


def test_transport_with_sync_client() -> None:
    simulator = sim(api_key="k")
    with httpx.Client(transport=simulator.transport(), base_url="http://omdb.test") as client:
        ok = client.get("/", params={"i": "tt0111161", "apikey": "k", "r": "json"})
        bad = client.get("/", params={"i": "tt0111161", "apikey": "nope"})
    assert ok.status_code == 200 and ok.json() == SHAWSHANK
    assert bad.status_code == 401 and bad.json()["Error"] == "Invalid API key!"
    assert simulator.requests_by_id["tt0111161"] == 2


def test_transport_with_async_client() -> None:
    simulator = sim(html_error_ids=frozenset({"tt0211915"}))

    async def fetch() -> list[httpx.Response]:
        transport = simulator.transport()
        async with httpx.AsyncClient(transport=transport, base_url="http://omdb.test") as client:
            return list(
                await asyncio.gather(
                    client.get("/", params={"i": "tt0111161", "apikey": "k"}),
                    client.get("/", params={"i": "tt0211915", "apikey": "k"}),
                )
            )

    found, broken = asyncio.run(fetch())
    assert found.status_code == 200 and found.json() == SHAWSHANK
    assert broken.status_code == 503 and broken.headers["content-type"].startswith("text/html")


def test_transport_keeps_first_of_repeated_params() -> None:
    simulator = sim()
    with httpx.Client(transport=simulator.transport()) as client:
        resp = client.get("http://omdb.test/?i=tt0111161&i=tt0211915&apikey=k")
    assert resp.json()["imdbID"] == "tt0111161"


# --- serve() -----------------------------------------------------------------------------


def test_serve_answers_over_real_http() -> None:
    simulator = sim(api_key="k")
    with simulator.serve() as url, httpx.Client(base_url=url) as client:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        first = client.get("/", params={"i": "tt0111161", "apikey": "k"})
        second = client.get("/", params={"i": "tt0211915", "apikey": "k"})
        missing = client.get("/", params={"i": "tt0111161"})
    assert first.status_code == 200 and first.json() == SHAWSHANK
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    assert int(first.headers["content-length"]) == len(first.content)
    assert first.http_version == "HTTP/1.1"
    assert second.json()["Title"] == "Amélie"
    assert missing.status_code == 401 and missing.json()["Error"] == "No API key provided."
    assert simulator.requests == 3


def test_serve_proxy_errors_over_real_http() -> None:
    simulator = sim(rate_limited_rate=1.0, retry_after_s=2)
    with simulator.serve() as url, httpx.Client(base_url=url) as client:
        limited = client.get("/", params={"i": "tt0111161", "apikey": "k"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    with sim(error_rate=1.0).serve() as url, httpx.Client(base_url=url) as client:
        broken = client.get("/", params={"i": "tt0111161", "apikey": "k"})
    assert broken.status_code == 503 and broken.headers["content-type"].startswith("text/html")
    assert broken.text.startswith("<html><head><title>503 Service Temporarily Unavailable")


def test_serve_handles_concurrent_requests() -> None:
    ids = [f"tt{n:07d}" for n in range(1, 21)]
    # No answer leaves until all 20 requests are being handled at once: a server that handled
    # them one by one would break the barrier (its timeout only bounds a regression).
    together = threading.Barrier(len(ids), timeout=30)

    class AllAtOnce(OmdbSimulator):
        def respond(self, params: Mapping[str, str]) -> SimResponse:
            together.wait()
            return super().respond(params)

    simulator = AllAtOnce(CATALOG, SimulatorConfig(synthesize=True))

    async def fetch_all(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return list(
                await asyncio.gather(
                    *(client.get("/", params={"i": i, "apikey": "k"}) for i in ids)
                )
            )

    with simulator.serve() as url:
        responses = asyncio.run(fetch_all(url))
    assert not together.broken
    assert [r.json()["imdbID"] for r in responses] == ids
    assert simulator.requests_by_id == dict.fromkeys(ids, 1)


def test_serve_stops_on_exit_even_with_open_keepalive_connection() -> None:
    simulator = sim()
    with httpx.Client() as kept_alive:
        with simulator.serve() as url:
            assert kept_alive.get(url, params={"i": "tt0111161", "apikey": "k"}).status_code == 200
        # The pooled connection was cut and the listener is gone.
        with pytest.raises(httpx.TransportError):
            kept_alive.get(url, params={"i": "tt0111161", "apikey": "k"})
    with httpx.Client() as fresh, pytest.raises(httpx.ConnectError):
        fresh.get(url, params={"i": "tt0111161", "apikey": "k"})
    assert not [t for t in threading.enumerate() if t.name.startswith("omdb-simulator")]


def test_serve_exit_interrupts_latency() -> None:
    arrived = threading.Event()

    class Signalling(OmdbSimulator):
        def respond(self, params: Mapping[str, str]) -> SimResponse:
            answer = super().respond(params)
            arrived.set()
            return answer

    simulator = Signalling(CATALOG, SimulatorConfig(latency_s=30))
    errors: list[Exception] = []

    def slow_request(url: str) -> None:
        try:
            httpx.get(url, params={"i": "tt0111161", "apikey": "k"}, timeout=60)
        except httpx.TransportError as exc:
            errors.append(exc)

    with simulator.serve() as url:
        client = threading.Thread(target=slow_request, args=(url,))
        client.start()
        assert arrived.wait(timeout=10)
    # Leaving serve() cut the 30 s latency short: the client saw the hang-up long before.
    client.join(timeout=10)
    assert not client.is_alive()
    assert len(errors) == 1  # the client saw the hang-up instead of waiting 30 s


# --- CLI ---------------------------------------------------------------------------------


def test_load_catalog_accepts_mapping_or_list(tmp_path: Path) -> None:
    as_map = tmp_path / "map.json"
    as_map.write_text(json.dumps(CATALOG), encoding="utf-8")
    as_list = tmp_path / "list.json"
    as_list.write_text(json.dumps(list(CATALOG.values())), encoding="utf-8")
    assert _load_catalog(str(as_map)) == CATALOG
    assert _load_catalog(str(as_list)) == CATALOG


@pytest.mark.slow
def test_cli_serves_until_terminated(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(CATALOG), encoding="utf-8")
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cinelake.devtools.omdb_simulator", "--port", "0",
         "--catalog", str(catalog), "--api-key", "k"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        resp = httpx.get(url, params={"i": "tt0111161", "apikey": "k"})
        assert resp.json() == SHAWSHANK
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
