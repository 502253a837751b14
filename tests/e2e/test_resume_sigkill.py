"""Kill `cinelake run` with SIGKILL at exact points of a run; the next command finishes it.

Every scenario starts a real `python -m cinelake.cli run` against the OMDb simulator served on
loopback, with CINELAKE_CRASH_AT=<point>:<n> so the process SIGKILLs itself at that point (no
sleeps, no races). Then `cinelake run` (or `cinelake resume`) is started on the same data dir and
the lake must hold every movie of the killed run once in silver, gold rebuilt (never twice
for one silver build) and reflecting it, an empty queue and no dead letters. Scenarios run in
parallel to stay fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cinelake.adapters.queue import LocalQueue
from cinelake.adapters.storage import LocalObjectStore
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.ledger import RunLedger

from ..conftest import write_source

pytestmark = pytest.mark.slow

KEY = "sigkill-test-key-9d2e"
MOVIES = 12
BATCH = 2  # 6 messages, one per enrich invocation: 6 bronze writes in a run
IDS = [synthetic.imdb_id(i) for i in range(1, MOVIES + 1)]
TIMEOUT_S = 90


@dataclass(frozen=True)
class Scenario:
    point: str
    nth: int
    then: str  # the command that must finish the killed run: "run" or "resume"

    @property
    def name(self) -> str:
        return f"{self.point}-{self.nth}-{self.then}"


SCENARIOS = [
    Scenario("after_manifest", 1, "run"),
    Scenario("after_manifest", 1, "resume"),
    Scenario("after_enqueue", 1, "run"),
    Scenario("after_bronze_write", 1, "run"),
    Scenario("after_bronze_write", 4, "resume"),
    Scenario("after_outcomes", 2, "run"),
    Scenario("after_outcomes", 6, "resume"),  # the last movie: its "run complete" poke is lost
    Scenario("before_silver_write", 1, "resume"),
    Scenario("before_silver_write", 1, "run"),
    Scenario("before_gold_write", 1, "resume"),
    Scenario("before_gold_write", 1, "run"),
]


@dataclass
class Outcome:
    lake: Path
    killed_rc: int
    killed_log: str
    rc: int
    log: str


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cinelake.cli", *args]


def environment(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CINELAKE_") and k != "OMDB_API_KEY"
    }
    # One message per enrich invocation and one invocation at a time (concurrency 1; batch size
    # also for `resume`): every crash point is reached in the same order each time, and no
    # invocation races a bronze->silver build (which would legitimately build silver twice).
    env |= {
        "OMDB_API_KEY": KEY,
        "CINELAKE_RECORDS_PER_INVOCATION": "1",
        "CINELAKE_BATCH_SIZE": str(BATCH),
        "POWERTOOLS_METRICS_DISABLED": "true",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


def start(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as fh:
        return subprocess.Popen(args, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd)


def finish(procs: dict[str, subprocess.Popen[bytes]]) -> dict[str, int]:
    codes = {}
    try:
        for name, proc in procs.items():
            codes[name] = proc.wait(timeout=TIMEOUT_S)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    return codes


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("sigkill")
    source = write_source(base / "top.json", synthetic.source_list(MOVIES)["items"])
    sim = OmdbSimulator(synthetic.omdb_catalog(IDS), SimulatorConfig(api_key=KEY, latency_s=0.02))
    with sim.serve() as url:
        common = ["--omdb-url", url, "--rate-limit", "0", "--concurrency", "1"]
        run_args = [
            "run",
            "--source",
            str(source),
            "--top-n",
            str(MOVIES),
            "--batch-size",
            str(BATCH),
            *common,
        ]
        lakes = {s.name: base / s.name / "lake" for s in SCENARIOS}
        for lake in lakes.values():
            lake.parent.mkdir()
        killed = finish(
            {
                s.name: start(
                    cli(*run_args, "--data-dir", str(lakes[s.name])),
                    environment(CINELAKE_CRASH_AT=f"{s.point}:{s.nth}"),
                    base / s.name / "killed.log",
                    base / s.name,
                )
                for s in SCENARIOS
            }
        )
        then = {
            "run": run_args,
            "resume": ["resume", *common],
        }
        recovered = finish(
            {
                s.name: start(
                    cli(*then[s.then], "--data-dir", str(lakes[s.name])),
                    environment(),
                    base / s.name / "recovery.log",
                    base / s.name,
                )
                for s in SCENARIOS
            }
        )
    return {
        s.name: Outcome(
            lakes[s.name],
            killed[s.name],
            (base / s.name / "killed.log").read_text(errors="replace"),
            recovered[s.name],
            (base / s.name / "recovery.log").read_text(errors="replace"),
        )
        for s in SCENARIOS
    }


def log_events(log: str) -> list[dict[str, Any]]:
    events = []
    for line in log.splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events


def silver(lake: Path) -> list[tuple[str, str]]:
    files = sorted((lake / "silver" / "movies").glob("snapshot_date=*/*.parquet"))
    assert files, "no silver snapshot"
    return (
        duckdb.connect()
        .execute("SELECT imdb_id, run_id FROM read_parquet(?)", [[str(f) for f in files]])
        .fetchall()
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_killed_run_is_finished_by_the_next_command(
    outcomes: dict[str, Outcome], scenario: Scenario
) -> None:
    o = outcomes[scenario.name]
    assert o.killed_rc == -signal.SIGKILL, o.killed_log[-2000:]
    assert o.rc == 0, o.log[-3000:]
    ledger = RunLedger(LocalObjectStore(o.lake / "bronze", "bronze"))
    runs = ledger.run_ids()
    killed_run = runs[0]
    assert len(runs) == (2 if scenario.then == "run" else 1)

    # Every movie of the killed run has its outcome, each enriched (nothing dead-lettered).
    manifest = ledger.manifest(killed_run)
    assert manifest.ids() == IDS
    outcomes_ = ledger.outcomes(killed_run)
    assert sorted(outcomes_) == sorted(IDS)
    assert {o_.status for o_ in outcomes_.values()} == {"enriched"}
    # ...and each was enriched once: no message was queued twice by the recovery.
    stats = ledger.enrich_stats(killed_run)
    assert stats["omdb_requests"] + stats["cache_hits"] == MOVIES, stats

    # Silver: each movie exactly once, from the killed run itself when nothing superseded it.
    rows = silver(o.lake)
    assert Counter(i for i, _ in rows) == Counter(IDS)
    owner = killed_run if scenario.then == "resume" else runs[-1]
    assert {r for _, r in rows} == {owner}

    # Gold: rebuilt by the recovery once per silver build (once when only gold was missing),
    # no run's snapshot built twice, and gold written after silver with every movie.
    events = log_events(o.log)
    built = Counter(
        e["run_id"] for e in events if e.get("message") == "silver" and e.get("state") == "built"
    )
    gold_builds = sum(e.get("message") == "gold built" for e in events)
    assert set(built.values()) <= {1}, built
    if scenario.then == "resume":
        assert gold_builds == 1, o.log[-3000:]
    else:  # the new run's own snapshot, and the killed run's if it completed before the new one
        assert 1 <= gold_builds <= max(1, sum(built.values())), o.log[-3000:]
    gold_manifest = o.lake / "gold" / "_manifest.json"
    assert json.loads(gold_manifest.read_text())["datasets"]["top_rated"] == MOVIES
    newest_silver = max(
        p.stat().st_mtime_ns for p in (o.lake / "silver" / "movies").rglob("*.parquet")
    )
    assert gold_manifest.stat().st_mtime_ns >= newest_silver
    top = (
        duckdb.connect()
        .execute(
            "SELECT imdb_id FROM read_parquet(?)",
            [str(o.lake / "gold" / "top_rated" / "data.parquet")],
        )
        .fetchall()
    )
    assert sorted(i for (i,) in top) == sorted(IDS)

    # Nothing left behind in the queue, nothing dead-lettered.
    queue = LocalQueue(o.lake / "_state" / "queue.sqlite3")
    try:
        counts = queue.counts()
        assert (counts.visible, counts.in_flight, counts.delayed, counts.dead) == (0, 0, 0, 0)
    finally:
        queue.close()
