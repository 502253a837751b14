"""The operations commands as a user types them: status, dlq, config, resume, schedule."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cinelake.cli import app
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.runtime.scheduler import read_state, state_path, write_state
from cinelake.sample import load_omdb_answers

from ..conftest import invoke_cli, write_source

KEY = "SECRET-ops-key-41c7e2"
runner = CliRunner()


cli = invoke_cli


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def query_json(lake: Path, sql: str) -> list[dict[str, Any]]:
    result = cli("query", sql, "--format", "json", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- status ---------------------------------------------------------------------------------


def test_status_on_a_missing_lake(tmp_path: Path) -> None:
    lake = tmp_path / "nothing-here"
    result = cli("status", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    assert f"no lake at {lake}" in result.output.replace("\n", "")
    data = json.loads(cli("status", "--json", "--data-dir", str(lake)).stdout)
    assert data["exists"] is False and data["runs"] == [] and "no lake" in data["message"]
    assert not lake.exists()


# -- dead letters, over real HTTP -------------------------------------------------------------


def test_dead_letters_listed_and_redriven_end_to_end(lake: Path, tmp_path: Path) -> None:
    source = write_source(tmp_path / "top.json", synthetic.source_list(3)["items"])
    ids = [synthetic.imdb_id(i) for i in range(1, 4)]
    titles = [m["title"] for m in synthetic.source_list(3)["items"]]
    fast_failure = {"CINELAKE_MAX_RETRIES": "0", "CINELAKE_RETRY_DELAY_S": "0"}

    # OMDb is unreachable: every call fails, the run ends as a failed run (exit 5) and
    # everything is dead-lettered.
    down = cli(
        "run",
        "--source",
        str(source),
        "--top-n",
        "3",
        "--omdb-url",
        closed_port_url(),
        "--data-dir",
        str(lake),
        "--rate-limit",
        "0",
        key=KEY,
        **fast_failure,
    )
    assert down.exit_code == 5, down.output
    assert "OMDb answered nothing usable" in down.stderr
    assert "failed (dead-lettered)" in down.output and KEY not in down.output

    listed = cli("dlq", "list", "--json", "--data-dir", str(lake))
    assert listed.exit_code == 0, listed.output
    dead = json.loads(listed.stdout)
    assert [(d["imdb_id"], d["title"], d["attempts"]) for d in dead] == [
        (i, t, 3) for i, t in zip(ids, titles, strict=True)
    ]
    assert all(d["error"] for d in dead)
    table = cli("dlq", "list", "--data-dir", str(lake))
    assert ids[0] in table.output and titles[0].split()[0] in table.output

    status = json.loads(cli("status", "--json", "--data-dir", str(lake)).stdout)
    assert status["queue"]["dead_letters"] == 3 and len(status["failed"]) == 3
    text = cli("status", "--data-dir", str(lake)).output
    assert "3 dead-lettered message(s)" in text and "cinelake dlq redrive" in text

    bad = cli("dlq", "redrive", "--id", "tt12", "--data-dir", str(lake))
    assert bad.exit_code == 1
    assert bad.output.count("\n") == 1 and "not an IMDb id" in bad.output

    no_key = cli("dlq", "redrive", "--id", ids[0], "--data-dir", str(lake))
    assert no_key.exit_code == 1 and "no OMDb API key" in no_key.output
    assert len(json.loads(cli("dlq", "list", "--json", "--data-dir", str(lake)).stdout)) == 3

    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    with sim.serve() as url:
        one = cli(
            "dlq",
            "redrive",
            "--id",
            ids[1],
            "--id",
            "tt7654321",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            "--rate-limit",
            "0",
            key=KEY,
        )
        assert one.exit_code == 0, one.output
        assert "Not in the dead letters: tt7654321" in one.output
        assert f"Redrove 1 message(s): {ids[1]}" in one.output
        assert [r["imdb_id"] for r in query_json(lake, "select imdb_id from silver_movies")] == [
            ids[1]
        ]
        rest = cli(
            "dlq",
            "redrive",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            "--rate-limit",
            "0",
            key=KEY,
        )
        assert rest.exit_code == 0, rest.output
        assert "Run complete" in rest.output
    assert sorted(sim.requests_by_id) == sorted(ids)
    rows = query_json(lake, "select imdb_id from silver_movies order by source_rank")
    assert [r["imdb_id"] for r in rows] == ids
    assert json.loads(cli("dlq", "list", "--json", "--data-dir", str(lake)).stdout) == []
    nothing = cli("dlq", "redrive", "--data-dir", str(lake))
    assert nothing.exit_code == 0 and "No dead letters" in nothing.output


# -- resume -------------------------------------------------------------------------------------


def test_resume_without_work_and_without_a_lake(lake: Path) -> None:
    missing = cli("resume", "--data-dir", str(lake))
    assert missing.exit_code == 1 and "no lake at" in missing.output
    assert cli("run", "--offline", "--top-n", "3", "--data-dir", str(lake)).exit_code == 0
    again = cli("resume", "--offline", "--data-dir", str(lake))
    assert again.exit_code == 0, again.output
    assert "Nothing to resume" in again.output


# -- configuration ----------------------------------------------------------------------------


def test_config_shows_values_and_their_origin_with_the_key_masked(tmp_path: Path) -> None:
    (tmp_path / "cinelake.toml").write_text(
        'top_n = 25\nbatch_size = 4\nrate_limit = 2.5\nomdb_api_key = "file-secret-99"\n'
        'schedule_timezone = "Europe/Paris"\nmystery = 1\n'
    )
    env = {"CINELAKE_TOP_N": "40", "CINELAKE_CONCURRENCY": "3"}
    result = cli("config", "--json", "--top-n", "50", key=KEY, **env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    values = {v["name"]: v for v in report["values"]}
    assert (values["top_n"]["value"], values["top_n"]["origin"]) == (50, "--top-n")
    assert (values["concurrency"]["value"], values["concurrency"]["source"]) == (3, "env")
    assert values["concurrency"]["origin"] == "env CINELAKE_CONCURRENCY"
    assert (values["batch_size"]["value"], values["batch_size"]["source"]) == (4, "file")
    assert values["schedule_timezone"]["value"] == "Europe/Paris"
    assert (values["max_retries"]["value"], values["max_retries"]["source"]) == (4, "default")
    assert values["omdb_api_key"]["value"] == "set (env OMDB_API_KEY)"
    assert report["unknown_keys"] == ["mystery"] and report["file_found"] is True
    assert KEY not in result.output and "file-secret-99" not in result.output

    without_env = cli("config", "--json")
    values = {v["name"]: v for v in json.loads(without_env.stdout)["values"]}
    assert (values["top_n"]["value"], values["top_n"]["source"]) == (25, "file")
    assert values["omdb_api_key"]["value"] == "set (file cinelake.toml)"
    text = cli("config", key=KEY).output
    assert "env OMDB_API_KEY" in text and KEY not in text and "mystery" in text


def test_every_run_flag_is_a_setting_with_env_and_file(tmp_path: Path) -> None:
    from cinelake.config import Settings

    run_cmd = next(
        c for c in app.registered_commands if c.callback and c.callback.__name__ == "run"
    )
    import inspect

    flags = set(inspect.signature(run_cmd.callback).parameters)  # type: ignore[arg-type]
    # --as-of is one invocation's choice, never a setting: in a config file or the
    # environment it would pin every scheduled run to one day.
    assert flags - {"as_of"} <= set(Settings.model_fields)
    assert "as_of" not in Settings.model_fields
    assert {"schedule_cron", "schedule_timezone"} <= set(Settings.model_fields)


def test_alternative_config_file_and_errors(tmp_path: Path, lake: Path) -> None:
    other = tmp_path / "ops.toml"
    other.write_text(f'data_dir = "{lake}"\nschedule_cron = "15 4 * * *"\n')
    result = cli("--config", str(other), "config", "--json")
    assert result.exit_code == 0, result.output
    values = {v["name"]: v for v in json.loads(result.stdout)["values"]}
    assert values["schedule_cron"]["value"] == "15 4 * * *"
    assert values["data_dir"]["origin"] == f"file {other}"
    assert cli("--config", str(other), "status").exit_code == 0
    via_env = cli("config", "--json", CINELAKE_CONFIG=str(other))
    assert json.loads(via_env.stdout)["file"] == str(other)

    missing = cli("--config", str(tmp_path / "nope.toml"), "status")
    assert missing.exit_code == 1 and "nope.toml not found" in missing.output

    (tmp_path / "cinelake.toml").write_text("top_n = \n")
    broken = cli("run", "--offline")
    assert broken.exit_code == 1
    assert broken.output.count("\n") == 1
    assert "cinelake.toml: not valid TOML" in broken.output and "line 1" in broken.output

    (tmp_path / "cinelake.toml").write_text('top_n = "many"\n')
    invalid = cli("status")
    assert invalid.exit_code == 1 and invalid.output.count("\n") == 1
    assert "invalid setting top_n (file cinelake.toml)" in invalid.output

    (tmp_path / "cinelake.toml").write_text('schedule_cron = "at three"\n')
    bad_cron = cli("config")
    assert bad_cron.exit_code == 1 and "schedule_cron" in bad_cron.output
    bad_tz = cli("schedule", "--timezone", "Mars/Base", "--cron", "0 3 * * *")
    assert bad_tz.exit_code == 1 and "unknown time zone" in bad_tz.output
    assert "(--timezone)" in bad_tz.output


# -- schedule, as a real process -------------------------------------------------------------


class Proc:
    """A subprocess whose output lines can be awaited without sleeping."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def expect(self, pattern: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{pattern!r} not seen in:\n{''.join(self.seen)}") from None
            if line is None:
                raise AssertionError(f"exited before {pattern!r}:\n{''.join(self.seen)}")
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def output(self) -> str:
        while True:
            try:
                line = self.lines.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
        return "".join(self.seen)


def schedule_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CINELAKE_") and k != "OMDB_API_KEY"
    }
    return (
        env
        | {
            "OMDB_API_KEY": KEY,
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        | extra
    )


@pytest.mark.slow
def test_schedule_catches_up_once_and_stops_cleanly_on_sigterm(lake: Path, tmp_path: Path) -> None:
    write_state(state_path(lake), {"last_due": "2026-01-01T03:00:00+00:00", "status": "finished"})
    sim = OmdbSimulator(load_omdb_answers(), SimulatorConfig(api_key=KEY, latency_s=0.15))
    with sim.serve() as url:
        args = [
            sys.executable,
            "-m",
            "cinelake.cli",
            "schedule",
            "--data-dir",
            str(lake),
            "--omdb-url",
            url,
            "--concurrency",
            "1",
            "--rate-limit",
            "0",
            "--top-n",
            "10",
            "--timezone",
            "Europe/Paris",
        ]
        proc = Proc(args, schedule_env(), tmp_path)
        try:
            proc.expect(r"missed due time\(s\) since 2026-01-02 03:00 Europe/Paris")
            proc.expect(r"run due .* starting")
            # SIGTERM during the run: it finishes, then the scheduler stops.
            proc.proc.send_signal(signal.SIGTERM)
            proc.expect(r"stopping once the current run ends")
            proc.expect(r"Run complete")
            proc.expect(r"scheduler stopped")
            assert proc.wait() == 0
        finally:
            proc.wait()
    state = read_state(state_path(lake))
    assert state is not None and state.status == "finished" and state.raw["result"]["complete"]
    assert len(query_json(lake, "select * from silver_movies")) == 10

    # Restarted before the next due time: nothing runs, it waits and says until when.
    restarted = Proc([*args, "--offline"], schedule_env(), tmp_path)
    try:
        restarted.expect(r"next run due \d{4}-\d\d-\d\d 03:00 Europe/Paris")
        restarted.proc.send_signal(signal.SIGINT)
        assert restarted.wait() == 0
    finally:
        restarted.wait()
    assert "starting" not in restarted.output()


@pytest.mark.slow
def test_schedule_abandoned_mid_run_is_finished_on_the_next_start(
    lake: Path, tmp_path: Path
) -> None:
    write_state(state_path(lake), {"last_due": "2026-01-01T03:00:00+00:00", "status": "finished"})
    sim = OmdbSimulator(load_omdb_answers(), SimulatorConfig(api_key=KEY, latency_s=0.3))
    with sim.serve() as url:
        args = [
            sys.executable,
            "-m",
            "cinelake.cli",
            "schedule",
            "--data-dir",
            str(lake),
            "--omdb-url",
            url,
            "--concurrency",
            "1",
            "--rate-limit",
            "0",
        ]
        proc = Proc(args, schedule_env(), tmp_path)
        try:
            proc.expect(r"run due .* starting")
            proc.proc.send_signal(signal.SIGINT)
            proc.expect(r"stopping once the current run ends")
            proc.proc.send_signal(signal.SIGINT)  # again: abandon the run
            proc.expect(r"run abandoned")
            assert proc.wait() == 130
        finally:
            proc.wait()
        state = read_state(state_path(lake))
        assert state is not None and state.status == "started"  # the due time is not done

        again = Proc(args, schedule_env(), tmp_path)
        try:
            again.expect(r"run due .* starting")
            again.expect(r"Run complete")
            again.expect(r"next run due")
            again.proc.send_signal(signal.SIGTERM)
            assert again.wait() == 0
        finally:
            again.wait()
    state = read_state(state_path(lake))
    assert state is not None and state.status == "finished"
    # Wherever the first run was abandoned, nothing is lost: the restart's run finished it
    # (it is superseded by the restart's own run of the same day) or it never got to ingest.
    status = json.loads(cli("status", "--json", "--data-dir", str(lake)).stdout)
    assert status["runs"][0]["state"] == "complete"
    assert {r["state"] for r in status["runs"][1:]} <= {"superseded"}
    assert status["queue"] == {"visible": 0, "in_flight": 0, "delayed": 0, "dead_letters": 0}
    assert len(query_json(lake, "select * from silver_movies")) == 10
