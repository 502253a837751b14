"""Quarantine through the whole pipeline, and `cinelake rebuild` from bronze alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cinelake.cli import app
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig

from ..conftest import write_source

KEY = "rebuild-key-222"
runner = CliRunner()


def q(lake: Path, sql: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["query", sql, "--format", "json", "--data-dir", str(lake)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def run_with_bad_records(lake: Path, tmp_path: Path) -> Any:
    ids = [synthetic.imdb_id(i) for i in range(1, 7)]
    catalog = synthetic.omdb_catalog(ids)
    catalog[ids[1]] = catalog[ids[1]] | {"imdbRating": "11.2"}
    catalog[ids[2]] = catalog[ids[2]] | {"imdbID": synthetic.imdb_id(999)}
    catalog[ids[3]] = catalog[ids[3]] | {"Sequels": "3"}  # a field the contract does not know
    source = write_source(tmp_path / "top.json", synthetic.source_list(6)["items"])
    sim = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))
    with sim.serve() as url:
        return runner.invoke(
            app,
            [
                "run",
                "--source",
                str(source),
                "--top-n",
                "6",
                "--omdb-url",
                url,
                "--data-dir",
                str(lake),
            ],
            env={"OMDB_API_KEY": KEY},
        )


def test_bad_records_are_quarantined_with_reasons_and_counted(lake: Path, tmp_path: Path) -> None:
    result = run_with_bad_records(lake, tmp_path)
    # Published; a third of the answers quarantined fails the data-quality verdict (exit 7).
    assert result.exit_code == 7, result.output
    assert "quarantined_share=0.3333 (fail above 0.05)" in result.output
    assert "quarantined" in result.output and "Sequels" in result.output
    rows = q(lake, "select requested_imdb_id, reasons from silver_quarantine order by 1")
    assert [r["requested_imdb_id"] for r in rows] == [synthetic.imdb_id(2), synthetic.imdb_id(3)]
    assert any("rating" in reason for reason in rows[0]["reasons"])
    assert q(lake, "select count(*) as n from silver_movies") == [{"n": 4}]
    raw = (lake / "bronze").rglob("part-*.jsonl")
    assert any("Sequels" in p.read_text() for p in raw)  # drift stays in bronze


def test_rebuild_from_bronze_alone_is_idempotent(lake: Path, tmp_path: Path) -> None:
    assert run_with_bad_records(lake, tmp_path).exit_code == 7  # published, quality fails
    before = q(lake, "select * exclude (ingested_at) from silver_movies order by source_rank")
    gold_before = (lake / "gold" / "csv" / "top_rated.csv").read_text()
    shutil.rmtree(lake / "silver")
    shutil.rmtree(lake / "gold")
    for _ in range(2):  # no OMDb anywhere now: rebuild reads bronze only
        result = runner.invoke(app, ["rebuild", "--data-dir", str(lake)], env={"OMDB_API_KEY": KEY})
        assert result.exit_code == 0, result.output
        assert (
            q(lake, "select * exclude (ingested_at) from silver_movies order by source_rank")
            == before
        )
        assert q(lake, "select count(*) as n from silver_quarantine") == [{"n": 2}]
        assert (lake / "gold" / "csv" / "top_rated.csv").read_text() == gold_before
        assert len(list((lake / "silver" / "movies").rglob("*.parquet"))) == 1


def test_rebuild_without_a_lake_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rebuild", "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no bronze data" in result.stderr
