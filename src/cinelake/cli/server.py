"""`cinelake dashboard --serve`: the dashboard and the movers feed over HTTP on loopback until
Ctrl-C, and nothing else of the lake (every other path is 404)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cinelake.cli.context import out

if TYPE_CHECKING:
    import http.server

# http.server is imported when a server is made: `cinelake --help` does without it.

HOST = "127.0.0.1"
PORT = 8050
URL = f"http://{HOST}:{PORT}/"
FEED_PATH = "/feed/movers.xml"


def routes(dashboard: Path, feed: Path | None) -> dict[str, tuple[Path, str]]:
    """URL path -> (file, content type): the page (also at ``/``) and the feed."""
    page = (dashboard, "text/html; charset=utf-8")
    found = {"/": page, f"/{dashboard.name}": page}
    if feed is not None:
        found[FEED_PATH] = (feed, "application/atom+xml; charset=utf-8")
    return found


def make_server(
    dashboard: Path, feed: Path | None, port: int = PORT
) -> http.server.ThreadingHTTPServer:
    """A server answering only :func:`routes` (read at each request, so a run's new page is
    served); ``port`` 0 picks a free one."""
    import http.server

    table = routes(dashboard, feed)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, body: bool) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            target = table.get(path)
            try:
                data = target[0].read_bytes() if target else None
            except OSError:
                data = None
            if target is None or data is None:
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Type", target[1])
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if body:
                self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer(body=True)

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def log_message(self, format: str, *args: Any) -> None:  # quiet, like before
            return

    return http.server.ThreadingHTTPServer((HOST, port), Handler)


def serve(path: Path, feed: Path | None = None) -> None:
    """Serve the dashboard at `path` and the movers feed (only loopback can reach them) until
    interrupted."""
    with make_server(path, feed) as server:
        out.print(f"Serving {URL}{path.name} (Ctrl-C to stop)")
        if feed is not None:
            out.print(f"Movers feed: {URL}{FEED_PATH.lstrip('/')}")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
