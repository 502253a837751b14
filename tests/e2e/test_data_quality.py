"""Every snapshot gets a data-quality verdict: in gold, in the run summary and its exit code,
in `status` and in `cinelake quality`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig

from ..conftest import invoke_cli, write_source

KEY = "quality-key-7731"
FAST = {
    "CINELAKE_BACKOFF_BASE_S": "0",
    "CINELAKE_BACKOFF_MAX_S": "0",
    "CINELAKE_RETRY_DELAY_S": "0",
    "CINELAKE_RATE_LIMIT": "0",
}
EXIT_QUALITY_FAILED = 7


def cli(*args: str) -> Any:
    return invoke_cli(*args, key=KEY, **FAST)


def query_json(lake: Path, sql: str) -> list[dict[str, Any]]:
    result = invoke_cli("query", sql, "--format", "json", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def run(lake: Path, source: Path, top_n: int, sim: OmdbSimulator) -> Any:
    with sim.serve() as url:
        return cli(
            "run",
            "--source",
            str(source),
            "--top-n",
            str(top_n),
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
        )


def test_untrustworthy_answers_from_a_short_list_fail_and_are_counted(
    lake: Path, tmp_path: Path
) -> None:
    # The source list has 17 entries; the run asks for the top 20.
    items = synthetic.source_list(17)["items"]
    ids = [i["id"] for i in items]
    catalog = synthetic.omdb_catalog(ids)
    catalog[ids[2]] = catalog[ids[2]] | {"imdbRating": "11.5"}  # out of range: quarantined
    catalog[ids[4]] = catalog[ids[4]] | {"imdbID": ids[5]}  # another movie's answer
    catalog[ids[6]] = catalog[ids[6]] | {"Soundtrack": "N/A"}  # a field silver does not know
    sim = OmdbSimulator(
        catalog,
        SimulatorConfig(not_found_ids=frozenset({ids[8]}), html_error_ids=frozenset({ids[9]})),
    )
    result = run(lake, write_source(tmp_path / "top.json", items), 20, sim)

    # Published all the same, with its own exit code and a line saying why.
    assert result.exit_code == EXIT_QUALITY_FAILED, result.output
    assert "data quality: fail" in result.stdout
    assert "data-quality verdict is fail" in result.stderr
    assert "Traceback" not in result.output
    assert len(query_json(lake, "select * from gold_top_rated")) == 13

    [row] = query_json(lake, "select * exclude (snapshot_date, run_id) from gold_data_quality")
    failed = row.pop("failed_checks")
    assert row == {
        "movies_expected": 20,
        "source_movies": 17,
        "silver_rows": 13,
        "quarantined": 2,
        "not_found": 1,
        "dead_lettered": 1,
        "pending": 0,
        "stale": 0,
        "status": "fail",
    }
    named = {part.split("=")[0]: part for part in failed.split("; ")}
    assert named["source_list_coverage"] == "source_list_coverage=0.85 (fail below 0.9)"
    assert named["quarantined_share"].startswith("quarantined_share=0.1176 (fail")
    assert named["not_found"] == "not_found=1 (warn above 0)"
    assert named["dead_lettered"] == "dead_lettered=1 (warn above 0)"
    assert named["schema_drift"] == "schema_drift=1 (warn above 0)"

    # The counts are those the run's status reports (one home per question).
    status = json.loads(invoke_cli("status", "--json", "--data-dir", str(lake)).stdout)
    latest = status["runs"][0]
    assert (latest["not_found"], latest["failed"], latest["quarantined"]) == (1, 1, 2)
    assert status["quality"]["status"] == "fail"
    assert "source_list_coverage=0.85" in status["quality"]["failed_checks"]

    explained = invoke_cli("quality", "--json", "--data-dir", str(lake))
    assert explained.exit_code == 0, explained.output
    doc = json.loads(explained.stdout)
    checks = {c["check"]: c for c in doc["checks"]}
    assert checks["source_list_coverage"] == {
        "check": "source_list_coverage",
        "value": 0.85,
        "threshold": 0.9,
        "status": "fail",
    }
    assert checks["rank_gaps"]["status"] == "pass"
    assert "list_shrink" not in checks  # the first snapshot has no previous list


def test_a_clean_run_passes_and_a_threshold_in_the_config_file_is_used(
    lake: Path, tmp_path: Path
) -> None:
    items = synthetic.source_list(12)["items"]
    catalog = synthetic.omdb_catalog(i["id"] for i in items)
    for answer in catalog.values():  # clean: every movie's box office known
        if answer["Type"] == "movie":
            answer["BoxOffice"] = "$12,345,678"
    sim = OmdbSimulator(catalog)
    source = write_source(tmp_path / "top.json", items)
    result = run(lake, source, 12, sim)
    assert result.exit_code == 0, result.output
    assert "data quality: pass" in result.stdout
    assert query_json(lake, "select status, failed_checks from gold_data_quality") == [
        {"status": "pass", "failed_checks": ""}
    ]
    shown = invoke_cli("quality", "--data-dir", str(lake))
    assert shown.exit_code == 0 and ": pass" in shown.stdout

    # The same day from a list of 11, with coverage thresholds of the operator's own.
    config = tmp_path / "cinelake.toml"
    config.write_text("[quality_thresholds]\nsource_list_coverage = { warn = 0.95, fail = 0.5 }\n")
    shorter = write_source(tmp_path / "top11.json", items[:11])
    with sim.serve() as url:
        again = invoke_cli(
            "--config",
            str(config),
            "run",
            "--source",
            str(shorter),
            "--top-n",
            "12",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            key=KEY,
            **FAST,
        )
    assert again.exit_code == 0, again.output
    [row] = query_json(lake, "select status, failed_checks from gold_data_quality")
    assert row["status"] == "warn"
    assert row["failed_checks"] == "source_list_coverage=0.9167 (warn below 0.95)"


def test_quality_of_a_day_without_a_verdict_is_one_line(lake: Path) -> None:
    lake.mkdir()
    result = invoke_cli("quality", "--date", "2024-01-01", "--data-dir", str(lake))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "2024-01-01" in result.stderr
    bad = invoke_cli("quality", "--date", "yesterday", "--data-dir", str(lake))
    assert bad.exit_code == 2 and "not a date" in bad.stderr
