"""The `cinelake` command as a user types it: real HTTP to a local OMDb, bad input, no leaks."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cinelake.cli import app
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig

from ..conftest import invoke_cli, write_source

KEY = "SECRET-omdb-key-7f3a9c"
runner = CliRunner()


cli = invoke_cli


def query_json(lake: Path, sql: str) -> list[dict[str, Any]]:
    result = cli("query", sql, "--format", "json", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_offline_run_then_query(lake: Path) -> None:
    result = cli("run", "--offline", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    assert "bundled OMDb sample" in result.output and "Run complete" in result.output
    rows = query_json(lake, "select * from gold_top_rated order by rank")
    assert len(rows) == 10 and rows[0]["rank"] == 1
    assert {"title", "imdb_rating", "year"} <= set(rows[0])
    assert query_json(lake, "select count(*) as n from silver_movies") == [{"n": 10}]


def test_no_key_falls_back_to_the_sample_and_says_so(lake: Path) -> None:
    result = cli("run", "--top-n", "3", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    assert "No OMDB_API_KEY set" in result.output


def test_done_when_sixty_movies_top_thirty_batches_of_four_over_http(
    lake: Path, tmp_path: Path
) -> None:
    source = write_source(tmp_path / "top60.json", synthetic.source_list(60)["items"])
    ids = [synthetic.imdb_id(i) for i in range(1, 61)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    with sim.serve() as url:
        args = [
            "run",
            "--source",
            str(source),
            "--top-n",
            "30",
            "--batch-size",
            "4",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            "--rate-limit",
            "0",
        ]
        first = cli(*args, key=KEY)
        assert first.exit_code == 0, first.output
        silver_1 = query_json(
            lake, "select * exclude (run_id, ingested_at) from silver_movies order by source_rank"
        )
        gold_1 = {
            d.name: (lake / "gold" / "csv" / f"{d.name}.csv").read_text()
            for d in (lake / "gold").iterdir()
            # csv/, quicksight/, athena/ are per-dataset copies; feed/, _control/ the news
            if d.is_dir() and d.name not in ("csv", "quicksight", "athena", "feed", "_control")
        }
        second = cli(*args, key=KEY)
        assert second.exit_code == 0, second.output
    assert [r["imdb_id"] for r in silver_1] == ids[:30]
    silver_2 = query_json(
        lake, "select * exclude (run_id, ingested_at) from silver_movies order by source_rank"
    )
    assert silver_2 == silver_1
    gold_2 = {name: (lake / "gold" / "csv" / f"{name}.csv").read_text() for name in gold_1}

    def without_run_id(csv: str) -> list[list[str]]:  # data_quality names the day's owner
        return [line.split(",")[:1] + line.split(",")[2:] for line in csv.splitlines()]

    assert without_run_id(gold_2.pop("data_quality")) == without_run_id(gold_1.pop("data_quality"))
    assert gold_2 == gold_1
    assert sim.requests == 30  # the second run was served by the cache
    assert "30" in first.output


@pytest.mark.parametrize(
    "content,message",
    [
        ("this is not json", "source is not JSON"),
        ('{"items": []}', "source has no items"),
        ('{"rows": [1]}', 'source has no "items" list'),
        ('{"items": [{"id": "tt0000001", "title": "A"}]}', "rank is missing"),
        ('{"items": [{"id": "tt0000001", "rank": "first"}]}', "not a positive whole number"),
        (
            '{"items": [{"id": "tt0000001", "rank": "1"}, {"id": "tt0000001", "rank": "2"}]}',
            "duplicate id",
        ),
    ],
)
def test_bad_sources_fail_in_one_line_with_nothing_written(
    lake: Path, tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "bad.json"
    source.write_text(content)
    result = cli("run", "--offline", "--source", str(source), "--data-dir", str(lake))
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output + result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert not (lake / "bronze" / "_runs").exists()


def test_path_like_ids_are_rejected_and_the_run_goes_on(lake: Path, tmp_path: Path) -> None:
    items = synthetic.source_list(4)["items"]
    items[1]["id"] = "../../x"
    source = write_source(tmp_path / "top.json", items)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([i["id"] for i in items if i["id"].startswith("tt")]),
        SimulatorConfig(api_key=KEY),
    )
    with sim.serve() as url:
        result = cli(
            "run",
            "--source",
            str(source),
            "--top-n",
            "4",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            key=KEY,
        )
    # Published; a list cut to 3 of the top 4 is a failing data-quality verdict (exit 7).
    assert result.exit_code == 7, result.output
    assert "data quality: fail: source_list_coverage=0.75" in result.output
    assert "rejected rank 2: '../../x'" in result.output
    assert query_json(lake, "select count(*) as n from silver_movies") == [{"n": 3}]
    assert not (lake.parent / "x").exists() and not any(lake.rglob("x"))


@pytest.mark.parametrize("flag,value", [("--top-n", "0"), ("--top-n", "-3"), ("--batch-size", "0")])
def test_out_of_range_numbers(lake: Path, flag: str, value: str) -> None:
    result = runner.invoke(app, ["run", "--offline", flag, value, "--data-dir", str(lake)])
    assert result.exit_code == 2
    assert flag in result.output and "Traceback" not in result.output


def test_batch_size_beyond_one_sqs_message(lake: Path, tmp_path: Path) -> None:
    items = synthetic.source_list(40)["items"]
    for it in items:
        it["crew"] = "x" * 8000  # a fat source record
    source = write_source(tmp_path / "fat.json", items)
    result = cli(
        "run",
        "--offline",
        "--source",
        str(source),
        "--top-n",
        "40",
        "--batch-size",
        "40",
        "--data-dir",
        str(lake),
    )
    assert result.exit_code == 1
    assert "256 KiB" in result.stderr and "batch size" in result.stderr
    assert not (lake / "bronze" / "_runs").exists()


def test_unreachable_source_url(lake: Path) -> None:
    result = cli(
        "run", "--offline", "--source", "http://127.0.0.1:9/top.json", "--data-dir", str(lake)
    )
    assert result.exit_code == 1 and "cannot reach source http://127.0.0.1:9/" in result.stderr


def test_data_dir_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli("run", "--offline", "--data-dir", str(blocker / "lake"))
    assert result.exit_code == 1 and "is not writable" in result.stderr


def test_bad_query_is_one_line(lake: Path) -> None:
    cli("run", "--offline", "--top-n", "2", "--data-dir", str(lake))
    result = cli("query", "select * from nope", "--data-dir", str(lake))
    assert (
        result.exit_code == 1
        and "query failed" in result.stderr
        and "silver_movies" in result.stderr
    )


def test_invalid_key_exits_non_zero_and_never_shows_it(lake: Path, tmp_path: Path) -> None:
    source = write_source(tmp_path / "top.json", synthetic.source_list(5)["items"])
    sim = OmdbSimulator(
        synthetic.omdb_catalog([synthetic.imdb_id(i) for i in range(1, 6)]),
        SimulatorConfig(api_key="the-right-key"),
    )
    with sim.serve() as url:
        result = cli(
            "run",
            "--source",
            str(source),
            "--top-n",
            "5",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            "--concurrency",
            "1",
            key=KEY,
        )
    assert result.exit_code == 4
    assert "OMDb rejected the API key" in result.stderr and KEY not in result.output + result.stderr
    assert sim.requests == 1


def test_the_key_never_reaches_output_logs_or_files(
    lake: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    source = write_source(tmp_path / "top.json", synthetic.source_list(12)["items"])
    ids = [synthetic.imdb_id(i) for i in range(1, 13)]
    sim = OmdbSimulator(
        synthetic.omdb_catalog(ids[:10]),
        SimulatorConfig(api_key=KEY, error_rate=0.3, html_error_ids=frozenset({ids[0]}), seed=3),
    )
    with sim.serve() as url:
        result = cli(
            "run",
            "--source",
            str(source),
            "--top-n",
            "12",
            "--omdb-url",
            url,
            "--data-dir",
            str(lake),
            key=KEY,
            LOG_LEVEL="DEBUG",
            CINELAKE_MAX_RETRIES="1",
            CINELAKE_BACKOFF_BASE_S="0",
            CINELAKE_RETRY_DELAY_S="0",
        )
    captured = capfd.readouterr()
    everything = result.output + result.stderr + captured.out + captured.err
    assert "dead-lettered" in everything  # the failure paths ran, and still nothing leaked
    assert KEY not in everything
    for path in lake.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert os.environ.get("OMDB_API_KEY") != KEY


def test_one_oversized_record_is_rejected_and_the_rest_go_on(lake: Path, tmp_path: Path) -> None:
    from cinelake.sample import top_movies_path

    items = json.loads(top_movies_path().read_text())["items"][:4]  # movies the sample has
    items[2]["crew"] = "x" * 300_000
    source = write_source(tmp_path / "top.json", items)
    result = cli(
        "run", "--offline", "--source", str(source), "--top-n", "4", "--data-dir", str(lake)
    )
    assert result.exit_code == 7, result.output + result.stderr  # 3 of 4: data quality fails
    assert "rejected rank 3" in result.output and "does not fit one queue message" in result.output


def test_top_n_beyond_the_list_says_so(lake: Path) -> None:
    result = cli("run", "--offline", "--top-n", "500", "--data-dir", str(lake))
    assert result.exit_code == 7, result.output  # published; the short list fails data quality
    assert "500 (the list has 50)" in result.output
    assert "source_list_coverage=0.1 (fail below 0.9)" in result.stderr


def test_failed_validation_leaves_no_lake_behind(lake: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = cli("run", "--offline", "--source", str(bad), "--data-dir", str(lake))
    assert result.exit_code == 1 and not lake.exists()


def test_empty_source_flag(lake: Path) -> None:
    result = cli("run", "--offline", "--source", "", "--data-dir", str(lake))
    assert result.exit_code == 1 and "--source is empty" in result.stderr


@pytest.mark.parametrize("command", [["run"], ["resume"], ["rebuild"]])
def test_local_commands_refuse_the_aws_backend(lake: Path, command: list[str]) -> None:
    result = cli(*command, "--data-dir", str(lake), CINELAKE_BACKEND="aws")
    assert result.exit_code == 1 and "drives the local runtime" in result.stderr
    assert not lake.exists()


@pytest.mark.parametrize("command", [["status"], ["dlq", "list"], ["dlq", "redrive"]])
def test_operating_a_stack_needs_its_name(lake: Path, command: list[str]) -> None:
    """status and dlq operate a deployed stack with --backend aws --stack NAME (tests/aws)."""
    result = cli(*command, "--data-dir", str(lake), CINELAKE_BACKEND="aws")
    assert result.exit_code == 1 and "needs --stack NAME" in result.stderr
    assert not lake.exists()


def test_a_source_with_no_usable_movie_is_refused_and_keeps_the_day(
    lake: Path, tmp_path: Path
) -> None:
    assert cli("run", "--offline", "--top-n", "3", "--data-dir", str(lake)).exit_code == 0
    bad = write_source(tmp_path / "bad.json", [{"id": "../../x", "rank": "1", "title": "X"}])
    result = cli("run", "--offline", "--source", str(bad), "--data-dir", str(lake))
    assert result.exit_code == 1 and "no usable movie" in result.stderr
    assert query_json(lake, "select count(*) as n from silver_movies") == [{"n": 3}]
