"""Sharing the day's news: the movers feed after a backfill, the daily digest POSTed to a real
local HTTP server once per snapshot, and `dashboard --serve` serving only the page and the feed."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cinelake import cli
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig

from ..conftest import invoke_cli

pytestmark = pytest.mark.slow

KEY = "share-key-77a1"
CATALOG = 10
TOP = 6
ATOM = "{http://www.w3.org/2005/Atom}"


def days_ago(n: int) -> date:
    return cli.CLOCK.now().date() - timedelta(days=n)


def day_items(seed: int) -> list[dict[str, str]]:
    """Six of ten movies, a different six and order each day: entries, exits and moves."""
    items = synthetic.source_list(CATALOG)["items"]
    chosen = [items[(seed + i * 3) % CATALOG] for i in range(TOP)]
    return [item | {"rank": str(rank)} for rank, item in enumerate(chosen, 1)]


def write_day(folder: Path, day: date, seed: int) -> Path:
    path = folder / f"{day.isoformat()}.json"
    path.write_text(json.dumps({"items": day_items(seed), "errorMessage": ""}))
    return path


@pytest.fixture
def sim() -> OmdbSimulator:
    ids = [synthetic.imdb_id(i) for i in range(1, CATALOG + 1)]
    return OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))


class Webhook:
    """A real HTTP server on loopback that records each POST and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[dict[str, Any]] = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                hook.posts.append(json.loads(self.rfile.read(length)))
                self.send_response(hook.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/secret-path"
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join()


def lake_cli(lake: Path, *args: str) -> Any:
    return invoke_cli(*args, "--data-dir", str(lake), key=KEY, CINELAKE_BACKOFF_BASE_S="0")


def query(lake: Path, sql: str) -> list[dict[str, Any]]:
    result = invoke_cli("query", sql, "--format", "json", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def entries(lake: Path) -> list[ET.Element]:
    root = ET.fromstring((lake / "gold" / "feed" / "movers.xml").read_bytes())
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{tag}") is not None, tag
    return root.findall(f"{ATOM}entry")


def test_feed_and_digest_after_a_backfill(lake: Path, tmp_path: Path, sim: OmdbSimulator) -> None:
    folder = tmp_path / "days"
    folder.mkdir()
    backfilled = [days_ago(6), days_ago(5), days_ago(4), days_ago(3)]
    for seed, day in enumerate(backfilled):
        write_day(folder, day, seed)
    latest = days_ago(2)
    latest_list = write_day(tmp_path, latest, 7)
    with sim.serve() as url:
        common = ("--omdb-url", url, "--rate-limit", "0", "--top-n", str(TOP))
        done = lake_cli(lake, "backfill", str(folder), *common)
        assert done.exit_code == 0, done.output

        # -- the feed: one entry per snapshot with a previous one, newest first ----------------
        found = entries(lake)
        assert len(found) == len(backfilled) - 1
        updated = [e.findtext(f"{ATOM}updated") for e in found]
        assert updated == sorted(updated, reverse=True)
        assert [e.findtext(f"{ATOM}title", "")[:10] for e in found] == [
            d.isoformat() for d in reversed(backfilled[1:])
        ]
        newest = found[0].findtext(f"{ATOM}content", "")
        changed = query(
            lake,
            "select imdb_id, status from gold_movers where status in ('new', 'exited') "
            f"and snapshot_date = DATE '{backfilled[-1]}'",
        )
        assert {r["status"] for r in changed} == {"new", "exited"}
        for r in changed:
            assert f'href="https://www.imdb.com/title/{r["imdb_id"]}/"' in newest
        ids = [e.findtext(f"{ATOM}id") for e in found]
        assert all(i and i.startswith("urn:uuid:") for i in ids)

        rebuilt = lake_cli(lake, "rebuild")
        assert rebuilt.exit_code == 0, rebuilt.output
        assert [e.findtext(f"{ATOM}id") for e in entries(lake)] == ids  # byte-identical ids

        # -- the digest: one POST for the day, none on a second run or a rebuild ---------------
        hook = Webhook()
        with hook.serve() as hook_url:
            day_run = ("run", "--as-of", latest.isoformat(), "--source", str(latest_list))
            first = lake_cli(lake, *day_run, *common, "--notify-url", hook_url)
            assert first.exit_code == 0, first.output
            assert len(hook.posts) == 1
            assert f"Digest for {latest}: sent (1 attempt" in first.output
            assert "secret-path" not in first.output  # the URL is a credential
            again = lake_cli(lake, *day_run, *common, "--notify-url", hook_url)
            assert again.exit_code == 0, again.output
            assert f"Digest for {latest}: sent earlier" in again.output
            rebuilt = invoke_cli(
                "rebuild", "--data-dir", str(lake), CINELAKE_NOTIFY_URL=hook_url, key=KEY
            )
            assert rebuilt.exit_code == 0, rebuilt.output
            assert len(hook.posts) == 1
        (post,) = hook.posts
        assert post["date"] == latest.isoformat()
        assert post["previous_date"] == backfilled[-1].isoformat()
        movers = {
            r["imdb_id"]: r["status"]
            for r in query(
                lake,
                f"select imdb_id, status from gold_movers where snapshot_date = DATE '{latest}'",
            )
        }
        assert {m["imdb_id"] for m in post["new"]} == {k for k, v in movers.items() if v == "new"}
        assert {m["imdb_id"] for m in post["exited"]} == {
            k for k, v in movers.items() if v == "exited"
        }
        assert post["new"] and post["exited"]
        for m in post["new"] + post["exited"]:
            assert f"https://www.imdb.com/title/{m['imdb_id']}/" in post["text"]
        assert post["text"].startswith(f"cinelake {latest}: ")
        assert "movers" in post
        # The day's data-quality verdict rides along, as gold holds it.
        (verdict,) = query(
            lake,
            f"select status, failed_checks from gold_data_quality where snapshot_date = DATE '{latest}'",
        )
        assert post["data_quality"]["snapshot_date"] == latest.isoformat()
        assert post["data_quality"]["status"] == verdict["status"]
        assert post["data_quality"]["failed_checks"] == verdict["failed_checks"]

        # -- a webhook answering 500: retried, reported, the run still succeeds ---------------
        broken = Webhook(status=500)
        today_list = write_day(tmp_path, days_ago(0), 3)
        with broken.serve() as broken_url:
            today = lake_cli(
                lake, "run", "--source", str(today_list), *common, "--notify-url", broken_url
            )
        assert today.exit_code == 0, today.output
        assert len(broken.posts) == 3  # the attempts
        assert "failed after 3 attempts: HTTP 500" in today.output
        status = invoke_cli("status", "--json", "--data-dir", str(lake))
        assert status.exit_code == 0, status.output
        reported = json.loads(status.stdout)["notify"]
        assert reported["status"] == "failed" and reported["detail"] == "HTTP 500"
        assert reported["snapshot_date"] == cli.CLOCK.now().date().isoformat()
        assert "secret-path" not in status.stdout


def test_dashboard_serve_serves_only_the_page_and_the_feed(tmp_path: Path) -> None:
    from cinelake.cli.server import make_server

    (tmp_path / "gold" / "feed").mkdir(parents=True)
    page = tmp_path / "dashboard.html"
    page.write_text("<html>page</html>")
    feed = tmp_path / "gold" / "feed" / "movers.xml"
    feed.write_bytes(b"<feed/>")
    (tmp_path / "gold" / "kpis").mkdir()
    (tmp_path / "gold" / "kpis" / "data.parquet").write_bytes(b"PAR1")
    (tmp_path / "cinelake.toml").write_text("x = 1")
    server = make_server(page, feed, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def get(path: str) -> tuple[int, bytes, str]:
        try:
            with urllib.request.urlopen(base + path, timeout=10) as r:
                return r.status, r.read(), r.headers["Content-Type"]
        except urllib.error.HTTPError as exc:
            return exc.code, b"", ""

    try:
        assert get("/") == (200, b"<html>page</html>", "text/html; charset=utf-8")
        assert get("/dashboard.html")[:2] == (200, b"<html>page</html>")
        status, body, kind = get("/feed/movers.xml")
        assert (status, body) == (200, b"<feed/>") and kind.startswith("application/atom+xml")
        for other in (
            "/gold/kpis/data.parquet",
            "/cinelake.toml",
            "/gold/feed/movers.xml",
            "/feed/../cinelake.toml",
            "/%2e%2e/cinelake.toml",
            "/feed/",
        ):
            assert get(other)[0] == 404, other
        page.write_text("<html>new</html>")  # a run rewrote it: served as it is now
        assert get("/")[1] == b"<html>new</html>"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
