"""`cinelake dashboard --serve`: the dashboard's folder over HTTP on loopback until Ctrl-C."""

from __future__ import annotations

import contextlib
import functools
import http.server
from pathlib import Path

from cinelake.cli.context import out

HOST = "127.0.0.1"
PORT = 8050
URL = f"http://{HOST}:{PORT}/"


def serve(path: Path) -> None:
    """Serve the folder holding `path` (only loopback can reach it) until interrupted."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(path.parent))
    with http.server.ThreadingHTTPServer((HOST, PORT), handler) as server:
        out.print(f"Serving {URL}{path.name} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
