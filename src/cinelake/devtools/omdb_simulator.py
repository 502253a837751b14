"""An OMDb-compatible simulator for tests, benchmarks and the offline demo.

The real API is rate-limited, needs a key and is reachable only online, so everything
that must run offline talks to this instead. It reproduces OMDb's answers byte for
byte in shape (status codes, ``Response``/``Error`` bodies) and the failures that
clients must survive: proxy 502/503 HTML pages, 429 with ``Retry-After`` and the
daily quota's ``401 Request limit reached!``.

Three ways in, one behaviour (``OmdbSimulator.respond``):

* ``respond(params)`` - a plain function call, for unit tests;
* ``transport()`` - an ``httpx.MockTransport`` for in-process clients (sync or async);
* ``serve()`` - a real loopback HTTP/1.1 server for end-to-end tests and benchmarks.

Run ``python -m cinelake.devtools.omdb_simulator --help`` for the standalone server.
API keys are checked but never stored, so nothing secret can leak into test output.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from cinelake.devtools import synthetic

__all__ = ["OmdbSimulator", "SimResponse", "SimulatorConfig", "main"]

IMDB_ID_RE = re.compile(r"tt\d{7,}")
"""What OMDb accepts as an IMDb id; anything else is answered "Incorrect IMDb ID."."""

_JSON_TYPE = "application/json; charset=utf-8"
_HTML_TYPE = "text/html"
_MISSING_ID_MESSAGE = "Incorrect IMDb ID."
_HTML_PAGES = {
    429: "429 Too Many Requests",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}


@dataclass
class SimulatorConfig:
    """How the simulator misbehaves; the defaults give a healthy, key-less OMDb."""

    api_key: str | None = None
    """``None`` accepts any non-empty key; otherwise only this one."""
    latency_s: float = 0.0
    """Added to every answer by ``serve()`` only; ``respond``/``transport`` stay instant."""
    error_rate: float = 0.0
    """Share of requests answered with a proxy-style HTML error page."""
    rate_limited_rate: float = 0.0
    """Share of requests answered 429 with ``Retry-After``."""
    retry_after_s: int = 1
    quota: int | None = None
    """Requests allowed past the key check; later ones get 401 "Request limit reached!"."""
    revoked_after: int | None = None
    """Requests the key may make before OMDb rejects it (401 "Invalid API key!"), as if it
    were revoked mid-run: a stop that leaves the run's other movies queued."""
    not_found_ids: frozenset[str] = frozenset()
    """Answered "not found" even when the catalog has them."""
    html_error_ids: frozenset[str] = frozenset()
    """Always answered with the HTML error page, to test per-item failure handling."""
    not_found_message: str = "Incorrect IMDb ID."
    """OMDb says either this or "Movie not found!" for unknown well-formed ids."""
    synthesize: bool = False
    """Unknown well-formed ids get ``synthetic.omdb_answer`` instead of "not found"."""
    seed: int = 0
    """Seeds the error decisions and synthesized answers, so runs are reproducible."""
    error_status: int = 503
    """Status of the HTML error page: 503 or 502, as proxies send."""
    endless_ids: frozenset[str] = frozenset()
    """Answered 200 with a chunked JSON body that never ends (``serve()`` only), to test
    that clients cap what they read."""

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limited_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        if self.error_rate + self.rate_limited_rate > 1.0:
            raise ValueError("error_rate + rate_limited_rate must not exceed 1")
        if self.error_status not in (502, 503):
            raise ValueError(f"error_status must be 502 or 503, got {self.error_status}")
        self.not_found_ids = frozenset(self.not_found_ids)
        self.html_error_ids = frozenset(self.html_error_ids)
        self.endless_ids = frozenset(self.endless_ids)


@dataclass(frozen=True)
class SimResponse:
    """One transport-neutral answer, turned into httpx or socket responses by the callers."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """Decode the body; handy in tests."""
        return json.loads(self.body)


def _json_response(status: int, payload: Mapping[str, Any]) -> SimResponse:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return SimResponse(status, {"Content-Type": _JSON_TYPE}, body)


def _error(status: int, message: str) -> SimResponse:
    return _json_response(status, {"Response": "False", "Error": message})


def _html_page(status: int, headers: Mapping[str, str] | None = None) -> SimResponse:
    title = _HTML_PAGES[status]
    body = (
        f"<html><head><title>{title}</title></head><body><h1>{title.split(' ', 1)[1]}</h1>"
        "<p>The server is temporarily unable to service your request. "
        "Please try again later.</p></body></html>"
    ).encode()
    return SimResponse(status, {"Content-Type": _HTML_TYPE, **(headers or {})}, body)


class OmdbSimulator:
    """Answers OMDb ``?i=<id>&apikey=<key>`` lookups from an in-memory catalog.

    Thread-safe: counters and the random generator sit behind one lock, so the
    threaded server and concurrent async clients see consistent counts.
    """

    def __init__(
        self, catalog: Mapping[str, dict[str, Any]], config: SimulatorConfig | None = None
    ) -> None:
        self._catalog = dict(catalog)  # a snapshot: later edits by the caller don't race us
        self.config = config or SimulatorConfig()
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self._requests = 0
        self._counted = 0
        self._by_id: Counter[str] = Counter()

    @property
    def requests(self) -> int:
        """Total requests answered, whatever the outcome."""
        with self._lock:
            return self._requests

    @property
    def requests_by_id(self) -> Counter[str]:
        """Requests per ``i`` value (a copy), to assert a client did not re-fetch."""
        with self._lock:
            return Counter(self._by_id)

    @property
    def quota_used(self) -> int:
        """Requests counted against ``config.quota`` (those past proxy and key checks)."""
        with self._lock:
            return self._counted

    def respond(self, params: Mapping[str, str]) -> SimResponse:
        """Answer one request given its query parameters, like OMDb would."""
        cfg = self.config
        ident = params.get("i")
        with self._lock:
            self._requests += 1
            if ident is not None:
                self._by_id[ident] += 1
            # Proxy/CDN layer first: these never reach OMDb, so they don't use quota.
            roll = self._rng.random()
            if ident in cfg.html_error_ids or roll < cfg.error_rate:
                return _html_page(cfg.error_status)
            if roll < cfg.error_rate + cfg.rate_limited_rate:
                return _html_page(429, {"Retry-After": str(cfg.retry_after_s)})
            key = params.get("apikey")
            if not key:
                return _error(401, "No API key provided.")
            if cfg.api_key is not None and key != cfg.api_key:
                return _error(401, "Invalid API key!")
            if cfg.revoked_after is not None and self._counted >= cfg.revoked_after:
                return _error(401, "Invalid API key!")
            if cfg.quota is not None and self._counted >= cfg.quota:
                return _error(401, "Request limit reached!")
            self._counted += 1
        return self._lookup(ident, params.get("plot", "short"))

    def _lookup(self, ident: str | None, plot: str) -> SimResponse:
        cfg = self.config
        if ident is None or not IMDB_ID_RE.fullmatch(ident):
            return _error(200, _MISSING_ID_MESSAGE)
        if ident in cfg.not_found_ids:
            return _error(200, cfg.not_found_message)
        answer = self._catalog.get(ident)
        if answer is None and cfg.synthesize:
            answer = synthetic.omdb_answer(ident, seed=cfg.seed, plot=plot)
        if answer is None:
            return _error(200, cfg.not_found_message)
        return _json_response(200, answer)

    def transport(self) -> httpx.MockTransport:
        """An in-process transport for ``httpx.Client`` and ``httpx.AsyncClient``; no latency."""

        def handle(request: httpx.Request) -> httpx.Response:
            answer = self.respond(_first_values(request.url.params.multi_items()))
            return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

        return httpx.MockTransport(handle)

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Run a real HTTP/1.1 server on ``host`` in daemon threads; yield its base URL.

        ``port=0`` picks a free port. On exit the listener closes, open keep-alive
        connections are cut and handler threads are joined, so nothing outlives the block.
        """
        server = _SimServer((host, port), _make_handler(self))
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"omdb-simulator:{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        try:
            yield f"http://{shown}:{bound_port}/"
        finally:
            server.shutdown()
            server.close_connections()
            server.server_close()
            thread.join(timeout=5)
            server.join_handlers(timeout=5)


def _first_values(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Reduce a query to one value per name, keeping the first like OMDb does."""
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params


class _SimServer(ThreadingHTTPServer):
    """A threaded server that can cut its own keep-alive connections on shutdown.

    The stock one either leaks threads parked on idle keep-alive sockets or, with
    ``block_on_close``, waits on them forever; tests need a prompt, clean stop.
    """

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default backlog of 5 drops bursts of parallel connects

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.stopping = threading.Event()
        self._conn_lock = threading.Lock()
        self._active: dict[socket.socket, threading.Thread] = {}
        super().__init__(address, handler)

    def track(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._active[conn] = threading.current_thread()
            if self.stopping.is_set():
                _cut(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._active.pop(conn, None)

    def close_connections(self) -> None:
        with self._conn_lock:
            self.stopping.set()
            for conn in self._active:
                _cut(conn)

    def join_handlers(self, timeout: float) -> None:
        with self._conn_lock:
            threads = list(self._active.values())
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up; that is normal under test."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


def _cut(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        conn.shutdown(socket.SHUT_RDWR)


def _make_handler(sim: OmdbSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Serves GET lookups on any path, with keep-alive and exact Content-Length."""

        protocol_version = "HTTP/1.1"
        server_version = "omdb-simulator"
        sys_version = ""
        disable_nagle_algorithm = True  # headers and body go out in separate writes
        server: _SimServer
        simulator: ClassVar[OmdbSimulator] = sim

        def setup(self) -> None:
            super().setup()
            self.server.track(self.connection)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                self.server.untrack(self.connection)

        def do_GET(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)  # keep the connection in sync for the next request
            query = urlsplit(self.path).query
            params = _first_values(parse_qsl(query, keep_blank_values=True))
            answer = self.simulator.respond(params)  # counted on arrival, like a real server
            if params.get("i") in self.simulator.config.endless_ids:
                self._endless()
                return
            latency = self.simulator.config.latency_s
            if latency > 0 and self.server.stopping.wait(latency):
                self.close_connection = True  # shutting down: hang up instead of answering
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def _endless(self) -> None:
            """A JSON answer whose Plot never ends, until the client hangs up."""
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", _JSON_TYPE)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                start = b'{"Response": "True", "Plot": "'
                self.wfile.write(b"%x\r\n%s\r\n" % (len(start), start))
                while not self.server.stopping.is_set():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                return  # the client stopped reading: what it should do

        def log_message(self, format: str, *args: Any) -> None:
            """Silenced: per-request lines would drown test and benchmark output."""

    return Handler


def _load_catalog(path: str | None) -> dict[str, dict[str, Any]]:
    """Read a catalog file (``{id: answer}`` or a list of answers) or the bundled sample."""
    if path is not None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, list):
            return {answer["imdbID"]: answer for answer in data}
        if isinstance(data, dict):
            return data
        raise SystemExit(f"{path}: expected a JSON object or list of OMDb answers")
    try:
        from cinelake.sample import load_omdb_answers
    except ImportError:
        print(
            "omdb-simulator: bundled sample (cinelake.sample) not available; "
            "starting with an empty catalog (use --catalog or --synthesize)",
            file=sys.stderr,
        )
        return {}
    return dict(load_omdb_answers())


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator as a standalone server until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m cinelake.devtools.omdb_simulator",
        description="Serve an OMDb-compatible API on loopback for offline runs.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0, help="share answered 503")
    parser.add_argument("--rate-limited-rate", type=float, default=0.0, help="share 429")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds")
    parser.add_argument("--quota", type=int, default=None, help="requests before 401")
    parser.add_argument("--api-key", default=None, help="only accept this key")
    parser.add_argument("--not-found-message", default="Incorrect IMDb ID.")
    parser.add_argument("--synthesize", action="store_true", help="invent unknown ids")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--catalog", default=None, help="JSON file of OMDb answers")
    args = parser.parse_args(argv)

    try:
        config = SimulatorConfig(
            api_key=args.api_key,
            latency_s=args.latency_ms / 1000.0,
            error_rate=args.error_rate,
            rate_limited_rate=args.rate_limited_rate,
            retry_after_s=args.retry_after,
            quota=args.quota,
            not_found_message=args.not_found_message,
            synthesize=args.synthesize,
            seed=args.seed,
        )
    except ValueError as exc:
        parser.error(str(exc))
    catalog = _load_catalog(args.catalog)
    simulator = OmdbSimulator(catalog, config)
    # Scripts stop us with SIGTERM (and background jobs ignore SIGINT): stop as cleanly.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with simulator.serve(args.host, args.port) as url:
            print(url, flush=True)  # alone on stdout, so scripts can read the address
            print(f"OMDb simulator: {len(catalog)} titles; Ctrl-C to stop", file=sys.stderr)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print(f"\nstopped after {simulator.requests} requests", file=sys.stderr)
    except OSError as exc:
        print(f"omdb-simulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
