"""Every snapshot gets a data-quality verdict: in gold, in the run summary and its exit code,
in `status` and in `cinelake quality`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import cinelake.cli
from cinelake.clock import FakeClock
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
    lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI's one clock, so the day's second run starts a minute after the first (two runs
    # started within one second could sort either way).
    clock = FakeClock(datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    monkeypatch.setattr(cinelake.cli, "CLOCK", clock)
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
    clock.advance(60)
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


def clean_catalog(ids: list[str]) -> dict[str, dict[str, Any]]:
    """Synthetic answers with every movie's box office known (no null-rate warning)."""
    catalog = synthetic.omdb_catalog(ids)
    for answer in catalog.values():
        if answer["Type"] == "movie":
            answer["BoxOffice"] = "$12,345,678"
    return catalog


def test_answers_lacking_a_field_are_schema_drift_named_in_the_summary(
    lake: Path, tmp_path: Path
) -> None:
    items = synthetic.source_list(10)["items"]
    ids = [i["id"] for i in items]
    catalog = clean_catalog(ids)
    for i in ids[:3]:
        del catalog[i]["Awards"]  # absent from the JSON: a missing field
    catalog[ids[5]]["Plot"] = "N/A"  # present, no value: a null, not a missing field
    result = run(lake, write_source(tmp_path / "top.json", items), 10, OmdbSimulator(catalog))

    # One field missing warns (exit 0); the names and counts are in the summary.
    assert result.exit_code == 0, result.output
    assert "schema drift (fields OMDb answers lacked): Awards (3)" in result.stdout
    [row] = query_json(lake, "select status, failed_checks from gold_data_quality")
    assert row == {"status": "warn", "failed_checks": "schema_missing_fields=1 (warn above 0)"}
    checks = query_json(
        lake,
        'select "check", value, status from gold_data_quality_checks '
        """where "check" like 'schema%'""",
    )
    assert sorted(checks, key=lambda c: c["check"]) == [
        {"check": "schema_drift", "value": 0.0, "status": "pass"},
        {"check": "schema_missing_fields", "value": 1.0, "status": "warn"},
    ]
    # Awards is still a silver column: the movies that lacked it have no awards text.
    rows = query_json(lake, "select imdb_id, awards_text from silver_movies")
    assert {r["imdb_id"] for r in rows if r["awards_text"] is None} == set(ids[:3])

    # A second field gone from every answer fails the day; it still publishes (exit 7).
    for answer in catalog.values():
        answer.pop("Metascore", None)
    other = tmp_path / "other-lake"
    again = run(other, write_source(tmp_path / "top.json", items), 10, OmdbSimulator(catalog))
    assert again.exit_code == EXIT_QUALITY_FAILED, again.output
    assert "schema_missing_fields=2 (fail above 1)" in again.stderr
    assert "Awards (3), Metascore (10)" in again.stdout
    [row] = query_json(other, "select status, failed_checks from gold_data_quality")
    assert row["status"] == "fail"
    assert len(query_json(other, "select * from gold_top_rated")) == 10


def test_resume_that_publishes_a_failing_day_exits_7(lake: Path, tmp_path: Path) -> None:
    items = synthetic.source_list(4)["items"]
    ids = [i["id"] for i in items]
    catalog = clean_catalog(ids)
    for answer in catalog.values():  # two fields gone from every answer: fail
        del answer["Awards"], answer["Rated"]
    # The key is rejected after two answers: the other two stay queued (exit 4).
    sim = OmdbSimulator(catalog, SimulatorConfig(revoked_after=2))
    with sim.serve() as url:
        paused = cli(
            "run",
            "--source",
            str(write_source(tmp_path / "top.json", items)),
            "--top-n",
            "4",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            "--concurrency",
            "1",
        )
        assert paused.exit_code == 4, paused.output
        assert "data-quality verdict" not in paused.stderr  # nothing published yet
        sim.config.revoked_after = None
        resumed = cli("resume", "--data-dir", str(lake))

    assert resumed.exit_code == EXIT_QUALITY_FAILED, resumed.output
    assert "data quality: fail" in resumed.stdout
    [line] = resumed.stderr.strip().splitlines()
    assert "data-quality verdict is fail" in line and "schema_missing_fields=2" in line
    assert "Traceback" not in resumed.output
    assert len(query_json(lake, "select * from gold_top_rated")) == 4  # published all the same
    # Nothing left to resume: nothing published, exit 0.
    nothing = cli("resume", "--data-dir", str(lake))
    assert nothing.exit_code == 0 and "Nothing to resume" in nothing.output


def backfill(folder: Path, lake: Path, sim: OmdbSimulator, *more: str) -> Any:
    with sim.serve() as url:
        return cli(
            "backfill",
            str(folder),
            "--top-n",
            "20",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            *more,
        )


def test_backfill_exits_7_when_a_day_it_published_fails_after_the_more_severe_exits(
    lake: Path, tmp_path: Path
) -> None:
    from datetime import timedelta

    from cinelake import cli as cli_module

    today = cli_module.CLOCK.now().date()
    day1, day2, day3 = (str(today - timedelta(days=n)) for n in (30, 20, 10))
    items = synthetic.source_list(20)["items"]
    sim = OmdbSimulator(clean_catalog([i["id"] for i in items]))
    folder = tmp_path / "days"
    folder.mkdir()
    write_source(folder / f"{day1}.json", items)
    write_source(folder / f"{day2}.json", items[:10])  # half the top 20 asked for: fail
    (folder / "2023-02-30.json").write_text("{}")  # a bad file: exit 6 wins over 7

    first = backfill(folder, lake, sim)
    assert first.exit_code == 6, first.output
    errors = first.stderr.strip().splitlines()
    assert len(errors) == 2 and "2023-02-30.json" in errors[0]
    assert errors[1].startswith(f"error: {day2}: the snapshot's data-quality verdict is fail")
    assert "source_list_coverage=0.5 (fail below 0.9)" in errors[1]
    verdicts = query_json(lake, "select snapshot_date, status from gold_data_quality")
    assert sorted((str(v["snapshot_date"]), v["status"]) for v in verdicts) == [
        (day1, "pass"),
        (day2, "fail"),
    ]

    # Again without the bad file: nothing is published (unchanged), so exit 0; each day's
    # verdict is still shown.
    (folder / "2023-02-30.json").unlink()
    again = backfill(folder, lake, sim, "--json")
    assert again.exit_code == 0, again.output
    shown = {d["day"]: (d["status"], d["quality"]) for d in json.loads(again.stdout)["days"]}
    assert shown == {day1: ("unchanged", "pass"), day2: ("unchanged", "fail")}

    # A new day that fails, alone: exit 7, the day named; published all the same.
    write_source(folder / f"{day3}.json", items[:15])
    third = backfill(folder, lake, sim)
    assert third.exit_code == EXIT_QUALITY_FAILED, third.output
    [line] = third.stderr.strip().splitlines()
    assert day3 in line and day2 not in line and "source_list_coverage=0.75" in line
    assert "Traceback" not in third.output
    days = query_json(lake, "select distinct snapshot_date from silver_movies")
    assert sorted(str(d["snapshot_date"]) for d in days) == [day1, day2, day3]
