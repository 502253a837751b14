"""The worst days: a total OMDb outage, poisoned bronze, endless answers, a damaged lake."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cinelake.clock import SystemClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig

from ..conftest import invoke_cli, write_source

KEY = "worst-days-key-5521"
FAST = {
    "CINELAKE_BACKOFF_BASE_S": "0",
    "CINELAKE_BACKOFF_MAX_S": "0",
    "CINELAKE_RETRY_DELAY_S": "0",
    "CINELAKE_RATE_LIMIT": "0",
}
DAY_1 = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
DAY_2 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def on_day(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    """The CLI's runtime reads the system clock: pin it to a day."""
    monkeypatch.setattr(SystemClock, "now", lambda self: when)


def cli(*args: str, **env: str) -> Any:
    return invoke_cli(*args, key=KEY, **(FAST | env))


def query_json(lake: Path, sql: str) -> list[dict[str, Any]]:
    result = invoke_cli("query", sql, "--format", "json", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def source(tmp_path: Path, n: int) -> Path:
    return write_source(tmp_path / f"top{n}.json", synthetic.source_list(n)["items"])


def error_lines(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_a_total_outage_on_day_two_fails_the_run_and_keeps_day_ones_gold(
    lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = source(tmp_path, 5)
    ids = [synthetic.imdb_id(i) for i in range(1, 6)]
    good = OmdbSimulator(synthetic.omdb_catalog(ids))
    down = OmdbSimulator({}, SimulatorConfig(error_rate=1.0))
    base = ["run", "--source", str(top), "--top-n", "5", "--data-dir", str(lake)]
    on_day(monkeypatch, DAY_1)
    with good.serve() as url:
        first = cli(*base, "--omdb-url", url)
    assert first.exit_code == 0, first.output
    day_1 = query_json(lake, "select imdb_id, rank from gold_top_rated order by rank")
    assert len(day_1) == 5

    on_day(monkeypatch, DAY_2)
    with down.serve() as url:
        second = cli(*base, "--omdb-url", url, "--refresh")
    assert second.exit_code == 5, second.output
    lines = error_lines(second)
    assert len(lines) == 1 and "OMDb answered nothing usable" in lines[0]
    assert "Traceback" not in second.output
    assert down.requests > 0
    # Day 2 wrote no silver partition; gold still answers with day 1.
    assert not (lake / "silver" / "movies" / "snapshot_date=2026-03-02").exists()
    assert query_json(lake, "select imdb_id, rank from gold_top_rated order by rank") == day_1
    assert query_json(lake, "select max(snapshot_date)::varchar as d from silver_movies") == [
        {"d": "2026-03-01"}
    ]
    # The movies are dead-lettered, ready to redrive; status says the run failed.
    dead = json.loads(invoke_cli("dlq", "list", "--json", "--data-dir", str(lake)).stdout)
    assert sorted(d["imdb_id"] for d in dead) == ids
    status = json.loads(invoke_cli("status", "--json", "--data-dir", str(lake)).stdout)
    assert status["runs"][0]["state"] == "failed"

    # Once OMDb answers again, the redrive builds day 2.
    with good.serve() as url:
        redriven = cli("dlq", "redrive", "--omdb-url", url, "--data-dir", str(lake))
    assert redriven.exit_code == 0, redriven.output
    assert query_json(lake, "select max(snapshot_date)::varchar as d from silver_movies") == [
        {"d": "2026-03-02"}
    ]


def test_one_answer_of_two_megabytes_among_thirty_is_rejected_and_the_rest_go_on(
    lake: Path, tmp_path: Path
) -> None:
    ids = [synthetic.imdb_id(i) for i in range(1, 31)]
    catalog = synthetic.omdb_catalog(ids)
    huge = ids[6]
    catalog[huge] = catalog[huge] | {"Plot": "x" * 2_000_000}
    sim = OmdbSimulator(catalog)
    with sim.serve() as url:
        result = cli(
            "run",
            "--source",
            str(source(tmp_path, 30)),
            "--top-n",
            "30",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
        )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert f"dead-lettered {huge}: OMDb's answer is larger than 1048576 bytes" in result.output
    assert sim.requests_by_id[huge] == 3  # one request per delivery, never retried at once
    rows = query_json(lake, "select imdb_id from silver_movies order by source_rank")
    assert [r["imdb_id"] for r in rows] == [i for i in ids if i != huge]
    rebuilt = invoke_cli("rebuild", "--data-dir", str(lake))
    assert rebuilt.exit_code == 0 and "Traceback" not in rebuilt.output, rebuilt.output
    assert "29 rows" in rebuilt.output


# `cinelake ARGS`, then the process's own peak RSS (VmHWM, KiB) on stderr. Not wait4's ru_maxrss:
# that also counts the parent's memory at the fork, i.e. however large pytest has grown.
REPORT_PEAK_RSS = """
import atexit, runpy, sys

def peak():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    sys.stderr.write(f"peak-rss-kib {kib}\\n")

atexit.register(peak)
sys.argv[0] = "cinelake"
runpy.run_module("cinelake.cli", run_name="__main__", alter_sys=True)
"""


def test_an_endless_answer_fails_its_movie_within_bounded_memory(
    lake: Path, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    ids = [synthetic.imdb_id(i) for i in range(1, 4)]
    sim = OmdbSimulator(
        synthetic.omdb_catalog(ids), SimulatorConfig(endless_ids=frozenset({ids[1]}))
    )
    log = tmp_path / "run.log"
    with sim.serve() as url, log.open("wb") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                REPORT_PEAK_RSS,
                "run",
                "--source",
                str(source(tmp_path, 3)),
                "--top-n",
                "3",
                "--omdb-url",
                url,
                "--data-dir",
                str(lake),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env={**os.environ, **FAST, "OMDB_API_KEY": KEY},
            check=False,
        )
    output = log.read_text()
    assert proc.returncode == 0, output
    assert f"dead-lettered {ids[1]}: OMDb's answer is larger than" in output
    assert "Traceback" not in output
    peak_kib = int(output.rsplit("peak-rss-kib ", 1)[1].split()[0])
    assert peak_kib < 500 * 1024  # peak memory of the run under 500 MiB
    assert [r["imdb_id"] for r in query_json(lake, "select imdb_id from silver_movies")] == [
        ids[0],
        ids[2],
    ]


def test_a_source_that_drips_fails_the_run_in_one_line_at_the_deadline(
    lake: Path, tmp_path: Path
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    dripped: list[int] = []
    hung_up = threading.Event()
    stop = threading.Event()

    class Drip(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                while not stop.wait(0.2):  # a byte every 0.2 s, forever
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    dripped.append(1)
            except OSError:
                hung_up.set()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/top.json"
        result = cli(
            "run", "--source", url, "--data-dir", str(lake), CINELAKE_SOURCE_DEADLINE_S="1"
        )
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1, result.output
    port = server.server_address[1]
    assert error_lines(result) == [
        f"error: source http://127.0.0.1:{port}/… did not arrive within 1 s (source_deadline_s)"
    ]
    assert len(dripped) < 25  # it stopped reading at the deadline, not when the server did
    assert not lake.exists()  # nothing half-written


# -- runs remember their connection ------------------------------------------------------------


def test_resume_and_redrive_go_where_the_run_went(lake: Path, tmp_path: Path) -> None:
    ids = [synthetic.imdb_id(i) for i in range(1, 5)]
    # The key is rejected after two answers (revoked): the other two stay queued.
    x = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(revoked_after=2))
    elsewhere = OmdbSimulator(synthetic.omdb_catalog(ids))
    with x.serve() as x_url, elsewhere.serve() as other_url:
        paused = cli(
            "run",
            "--source",
            str(source(tmp_path, 4)),
            "--top-n",
            "4",
            "--omdb-url",
            x_url,
            "--data-dir",
            str(lake),
            "--concurrency",
            "1",
        )
        assert paused.exit_code == 4, paused.output  # rejected key: the rest stay queued
        manifest = json.loads(next((lake / "bronze" / "_runs").glob("*/manifest.json")).read_text())
        assert manifest["omdb_url"] == x_url and KEY not in json.dumps(manifest)
        x.config.revoked_after = None  # X answers again
        # Another configured URL (not a --omdb-url flag) does not move the run elsewhere.
        resumed = cli("resume", "--data-dir", str(lake), CINELAKE_OMDB_URL=other_url)
        assert resumed.exit_code == 0, resumed.output
        assert elsewhere.requests == 0 and x.requests_by_id.keys() == set(ids)
    assert len(query_json(lake, "select imdb_id from silver_movies")) == 4


def test_redrive_goes_to_the_runs_url_unless_told_otherwise(lake: Path, tmp_path: Path) -> None:
    ids = [synthetic.imdb_id(i) for i in range(1, 3)]
    x = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(error_rate=1.0))
    elsewhere = OmdbSimulator(synthetic.omdb_catalog(ids))
    with x.serve() as x_url, elsewhere.serve() as other_url:
        down = cli(
            "run",
            "--source",
            str(source(tmp_path, 2)),
            "--top-n",
            "2",
            "--omdb-url",
            x_url,
            "--data-dir",
            str(lake),
            CINELAKE_MAX_RETRIES="0",
        )
        assert down.exit_code == 5, down.output
        before = x.requests
        x.config.error_rate = 0.0
        redriven = cli("dlq", "redrive", "--data-dir", str(lake), CINELAKE_OMDB_URL=other_url)
        assert redriven.exit_code == 0, redriven.output
        assert elsewhere.requests == 0 and x.requests == before + 2


def test_no_key_and_a_chosen_omdb_url_is_refused_not_swapped_for_the_sample(lake: Path) -> None:
    for args, env in (
        (["--omdb-url", "http://omdb.example/"], {}),
        ([], {"CINELAKE_OMDB_URL": "http://omdb.example/"}),
    ):
        result = invoke_cli("run", "--data-dir", str(lake), *args, **env)
        assert result.exit_code == 1, result.output
        assert error_lines(result) == [
            "error: no OMDb API key for http://omdb.example/: set OMDB_API_KEY (the bundled "
            "sample is used only when no OMDb URL is chosen; --offline forces it)"
        ]
        assert not lake.exists()


def test_the_sample_counts_honestly(lake: Path, tmp_path: Path) -> None:
    from cinelake.sample import top_movies_path

    sample_items = json.loads(top_movies_path().read_text())["items"][:3]
    outside = synthetic.source_list(2)["items"]
    items = [*sample_items, *[i | {"rank": str(10 + n)} for n, i in enumerate(outside)]]
    top = write_source(tmp_path / "mixed.json", items)
    result = invoke_cli("run", "--source", str(top), "--top-n", "5", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    assert "No OMDB_API_KEY set" in result.output
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.stdout.splitlines()
        if line.count("│") == 3
    }
    assert rows["enriched"] == "3" and rows["not in the sample"] == "2"
    assert rows["OMDb requests / cache hits"] == "none (bundled sample) / 0"
    assert "not found" not in rows
    status = " ".join(invoke_cli("status", "--data-dir", str(lake)).stdout.split())
    assert "not in the sample 2" in status and "OMDb requests none (bundled sample)" in status


# -- a damaged lake --------------------------------------------------------------------------


def offline_lake(lake: Path) -> None:
    result = invoke_cli("run", "--offline", "--top-n", "5", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output


def one_line(result: Any) -> str:
    assert "Traceback" not in result.output
    lines = error_lines(result)
    assert len(lines) == 1, result.output
    return lines[0]


def test_a_truncated_silver_parquet_is_named_with_its_fix_and_the_fix_works(lake: Path) -> None:
    offline_lake(lake)
    [part] = (lake / "silver" / "movies").glob("snapshot_date=*/data.parquet")
    rel = part.relative_to(lake).as_posix()
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])

    assert query_json(lake, "select 1 as one") == [{"one": 1}]
    over_silver = invoke_cli("query", "select count(*) from silver_movies", "--data-dir", str(lake))
    assert over_silver.exit_code == 1
    line = one_line(over_silver)
    assert rel in line and "cinelake doctor --repair" in line

    status = invoke_cli("status", "--data-dir", str(lake))
    assert status.exit_code == 0 and "Traceback" not in status.output
    flat = " ".join(status.stdout.split())
    assert f"damaged: {rel}" in flat and "cinelake doctor --repair" in flat
    assert "`cinelake resume`" not in flat
    assert (
        json.loads(invoke_cli("status", "--json", "--data-dir", str(lake)).stdout)["damaged"][0][
            "path"
        ]
        == rel
    )

    dash = invoke_cli("dashboard", "--data-dir", str(lake))
    assert dash.exit_code == 0 and rel in dash.stderr and "doctor --repair" in dash.stderr

    found = invoke_cli("doctor", "--data-dir", str(lake))
    assert found.exit_code == 1 and rel in found.stdout
    fixed = invoke_cli("doctor", "--repair", "--data-dir", str(lake))
    assert fixed.exit_code == 0, fixed.output
    assert query_json(lake, "select count(*) as n from silver_movies") == [{"n": 5}]
    assert invoke_cli("doctor", "--data-dir", str(lake)).stdout.strip() == "No damaged files."


@pytest.mark.parametrize("damage", ["outcome", "report", "queue", "gold", "pause"])
def test_resume_and_status_on_a_damaged_lake_say_which_file_and_doctor_repairs_it(
    lake: Path, damage: str
) -> None:
    offline_lake(lake)
    run_dir = next((lake / "bronze" / "_runs").iterdir())
    target = {
        "outcome": next((run_dir / "outcomes").glob("*.json")),
        "report": run_dir / "silver.json",
        "queue": lake / "_state" / "queue.sqlite3",
        "gold": lake / "gold" / "top_rated" / "data.parquet",
        "pause": lake / "bronze" / "_control" / "enrichment_paused.json",
    }[damage]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"\x00garbage, not what it should be")
    rel = target.relative_to(lake).as_posix()

    resumed = invoke_cli("resume", "--offline", "--data-dir", str(lake))
    assert resumed.exit_code == 1
    assert rel in one_line(resumed) and "cinelake doctor --repair" in resumed.stderr
    status = invoke_cli("status", "--data-dir", str(lake))
    assert status.exit_code == 0 and "Traceback" not in status.output
    assert rel in " ".join(status.stdout.split())

    fixed = invoke_cli("doctor", "--repair", "--data-dir", str(lake))
    assert fixed.exit_code == 0, fixed.output
    again = invoke_cli("resume", "--offline", "--data-dir", str(lake))
    assert again.exit_code == 0, again.output
    assert query_json(lake, "select count(*) as n from silver_movies") == [{"n": 5}]
    assert len(query_json(lake, "select * from gold_top_rated")) == 5


# -- the smaller items -----------------------------------------------------------------------


def test_an_empty_query_and_a_cron_that_never_fires_are_one_line(lake: Path) -> None:
    offline_lake(lake)
    empty = invoke_cli("query", "  ", "--data-dir", str(lake))
    assert empty.exit_code == 1 and "the query is empty" in one_line(empty)
    never = invoke_cli("schedule", "--cron", "0 0 30 2 *", "--offline", "--data-dir", str(lake))
    assert never.exit_code == 1
    assert "never fires" in one_line(never) and "'0 0 30 2 *'" in never.stderr


def test_json_output_never_holds_nan(lake: Path) -> None:
    offline_lake(lake)
    rows = query_json(
        lake, "select 'nan'::double as x, 'inf'::double as y, [1.5, 'nan'::double] as z"
    )
    assert rows == [{"x": None, "y": None, "z": [1.5, None]}]


def test_dead_letter_titles_cannot_drive_the_terminal(lake: Path, tmp_path: Path) -> None:
    items = synthetic.source_list(1)["items"]
    items[0]["title"] = "Evil\x1b[2J\x1b]0;owned\x07 [bold red]title[/]"
    top = write_source(tmp_path / "evil.json", items)
    down = OmdbSimulator({}, SimulatorConfig(error_rate=1.0))
    with down.serve() as url:
        run = cli(
            "run",
            "--source",
            str(top),
            "--top-n",
            "1",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            CINELAKE_MAX_RETRIES="0",
        )
    assert run.exit_code == 5, run.output
    for args in (["dlq", "list"], ["status"]):
        shown = invoke_cli(*args, "--data-dir", str(lake))
        assert shown.exit_code == 0, shown.output
        assert "\x1b" not in shown.output and "\x07" not in shown.output
    assert "[bold" in invoke_cli("dlq", "list", "--data-dir", str(lake)).output  # markup as text


def test_status_during_a_live_run_does_not_advise_resume(lake: Path) -> None:
    import subprocess
    import sys

    offline_lake(lake)
    # One movie neither done nor queued (as after a crash): status advises `cinelake resume`.
    next((lake / "bronze" / "_runs").glob("*/outcomes/*.json")).unlink()
    idle = " ".join(invoke_cli("status", "--data-dir", str(lake)).stdout.split())
    assert "`cinelake resume`" in idle
    other = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        (lake / "_state" / "runtime.lock").write_text(str(other.pid))  # as a live run leaves it
        busy = " ".join(invoke_cli("status", "--data-dir", str(lake)).stdout.split())
        as_json = json.loads(invoke_cli("status", "--json", "--data-dir", str(lake)).stdout)
    finally:
        other.communicate(b"")
    assert "a cinelake process is working on this lake now" in busy
    assert "`cinelake resume`" not in busy.split("Latest run:")[1].split("Queue:")[0]
    assert as_json["busy"] is True


def test_a_mode_conflict_is_one_line_not_a_traceback(lake: Path, tmp_path: Path) -> None:
    """Movies queued for the real OMDb are never finished from the sample: `run --offline` says so
    in one line (ModeConflict is a refusal of its own, not a busy lake)."""
    ids = [synthetic.imdb_id(i) for i in range(1, 7)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY, revoked_after=2))
    with sim.serve() as url:
        paused = cli(
            "run",
            "--source",
            str(source(tmp_path, 6)),
            "--top-n",
            "6",
            "--concurrency",
            "1",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
        )
    assert paused.exit_code == 4, paused.output  # the key was rejected: four stay queued
    refused = invoke_cli("run", "--offline", "--data-dir", str(lake))
    assert refused.exit_code == 1
    assert "Traceback" not in refused.output
    assert "queued for the real OMDb" in refused.output
    assert len(error_lines(refused)) == 1  # one line, naming the run and the way out
