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
FAST = {"CINELAKE_BACKOFF_BASE_S": "0", "CINELAKE_BACKOFF_MAX_S": "0",
        "CINELAKE_RETRY_DELAY_S": "0", "CINELAKE_RATE_LIMIT": "0"}
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
        {"d": "2026-03-01"}]
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
        {"d": "2026-03-02"}]
