"""`cinelake backfill DIR` and `cinelake run --as-of`: dated lists become the lake's history,
over real HTTP to the OMDb simulator, which counts every request."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cinelake import accounting, cli, sample
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.ledger import RunLedger
from cinelake.sources.port import ListSource

from ..conftest import SHARED_HISTORY, invoke_cli

KEY = "backfill-key-5e1d"
MOVIES = 8
EXIT_SOME_DAYS_FAILED = 6


def today() -> date:
    return cli.CLOCK.now().date()


def days_ago(n: int) -> date:
    return today() - timedelta(days=n)


def items_for(seed: int) -> list[dict[str, str]]:
    """The same eight movies, ranked differently by `seed` (a day of a moving chart)."""
    items = synthetic.source_list(MOVIES)["items"]
    order = sorted(range(MOVIES), key=lambda i: (i * (seed + 3)) % MOVIES)
    return [items[i] | {"rank": str(rank)} for rank, i in enumerate(order, 1)]


def write_day(folder: Path, name: str, items: list[dict[str, str]]) -> Path:
    path = folder / name
    if name.endswith(".csv"):
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["rank", "imdb_id", "title"])
            writer.writerows([i["rank"], i["id"], i["title"]] for i in items)
    else:
        path.write_text(json.dumps({"items": items, "errorMessage": ""}))
    return path


@pytest.fixture
def sim() -> OmdbSimulator:
    ids = [synthetic.imdb_id(i) for i in range(1, MOVIES + 1)]
    return OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))


def backfill(folder: Path, lake: Path, url: str, *more: str) -> Any:
    return invoke_cli(
        "backfill",
        str(folder),
        "--omdb-url",
        url,
        "--data-dir",
        str(lake),
        "--rate-limit",
        "0",
        "--top-n",
        str(MOVIES),
        *more,
        key=KEY,
    )


def query(lake: Path, sql: str) -> list[dict[str, Any]]:
    result = invoke_cli("query", sql, "--format", "json", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def snapshot_dates(lake: Path) -> list[str]:
    rows = query(lake, "select distinct snapshot_date as d from silver_movies order by d")
    return [r["d"] for r in rows]


def gold_files(lake: Path) -> dict[str, bytes]:
    return {str(p.relative_to(lake)): p.read_bytes() for p in (lake / "gold").rglob("*.*")}


def silver_files(lake: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(lake)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (lake / "silver").rglob("*.parquet")
    }


def manifests(lake: Path) -> list[dict[str, Any]]:
    """The runs' manifests in the order they started."""
    found = [json.loads(p.read_text()) for p in (lake / "bronze" / "_runs").glob("*/manifest.json")]
    return sorted(found, key=lambda m: m["started_at"])


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_days_load_in_date_order_and_a_second_backfill_changes_nothing(
    lake: Path, tmp_path: Path, sim: OmdbSimulator
) -> None:
    folder = tmp_path / "days"
    folder.mkdir()
    days = [days_ago(30), days_ago(12), days_ago(3)]
    # Written newest first, one as CSV: the order on disk and the shape do not matter.
    write_day(folder, f"{days[2]}.json", items_for(2))
    write_day(folder, f"{days[1]}.csv", items_for(1))
    write_day(folder, f"{days[0]}.json", items_for(0))
    with sim.serve() as url:
        first = backfill(folder, lake, url, "--json")
        assert first.exit_code == 0, first.output
        report = json.loads(first.stdout)
        requests_after_first = sim.requests
        silver_1, gold_1 = silver_files(lake), gold_files(lake)
        rows_1 = query(lake, "select * from silver_movies order by snapshot_date, source_rank")
        second = backfill(folder, lake, url, "--json")
        assert second.exit_code == 0, second.output
        again = json.loads(second.stdout)
    assert [(d["day"], d["status"], d["movies"]) for d in report["days"]] == [
        (d.isoformat(), "built", MOVIES) for d in days
    ]
    # One run per day, started in date order.
    runs = manifests(lake)
    assert [m["snapshot_date"] for m in runs] == [d.isoformat() for d in days]
    assert requests_after_first == MOVIES  # later days were served by the cache
    assert snapshot_dates(lake) == [d.isoformat() for d in days]
    for day, seed in zip(days, (0, 1, 2), strict=True):
        ranked = query(
            lake,
            f"select imdb_id from silver_movies where snapshot_date = '{day}' order by source_rank",
        )
        assert [r["imdb_id"] for r in ranked] == [i["id"] for i in items_for(seed)]
    # The second backfill: every day unchanged, no request, no silver or gold byte rewritten.
    assert [d["status"] for d in again["days"]] == ["unchanged"] * 3
    assert again["omdb_requests"] == 0 and sim.requests == requests_after_first
    assert again["gold_rebuilt"] is False
    assert silver_files(lake) == silver_1 and gold_files(lake) == gold_1
    assert query(lake, "select * from silver_movies order by snapshot_date, source_rank") == rows_1
    assert len(manifests(lake)) == 3  # no run was started


def test_a_changed_list_rebuilds_its_day_alone_from_the_cache(
    lake: Path, tmp_path: Path, sim: OmdbSimulator
) -> None:
    folder = tmp_path / "days"
    folder.mkdir()
    old, new = days_ago(9), days_ago(2)
    write_day(folder, f"{old}.json", items_for(0))
    write_day(folder, f"{new}.json", items_for(1))
    with sim.serve() as url:
        assert backfill(folder, lake, url).exit_code == 0
        requests = sim.requests
        write_day(folder, f"{new}.json", items_for(4))  # the day's list was corrected
        result = backfill(folder, lake, url, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(d["day"], d["status"]) for d in report["days"]] == [
        (old.isoformat(), "unchanged"),
        (new.isoformat(), "built"),
    ]
    assert sim.requests == requests  # the same movies: their cached answers are fresh
    ranked = query(
        lake,
        f"select imdb_id from silver_movies where snapshot_date = '{new}' order by source_rank",
    )
    assert [r["imdb_id"] for r in ranked] == [i["id"] for i in items_for(4)]


BAD_CASES = ["not-a-date", "future", "two-files", "not-a-list", "not-a-day-of-the-calendar"]


def _bad_files(case: str, folder: Path, bad_day: date) -> list[str]:
    """Write the case's bad file(s) into the folder; the names the errors must give."""
    if case == "not-a-date":
        write_day(folder, "latest.json", items_for(0))
        return ["latest.json"]
    if case == "future":
        name = f"{today() + timedelta(days=1)}.json"
        write_day(folder, name, items_for(0))
        return [name]
    if case == "two-files":
        write_day(folder, f"{bad_day}.json", items_for(0))
        write_day(folder, f"{bad_day}.csv", items_for(1))
        return [f"{bad_day}.csv", f"{bad_day}.json"]
    if case == "not-a-list":
        (folder / f"{bad_day}.json").write_text('{"rows": [1, 2, 3]}')
        return [f"{bad_day}.json"]
    (folder / "2023-02-30.json").write_text(json.dumps({"items": items_for(0)}))
    return ["2023-02-30.json"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_a_bad_file_is_one_line_and_the_other_days_go_on(
    lake: Path, tmp_path: Path, sim: OmdbSimulator, case: str
) -> None:
    folder = tmp_path / "days"
    folder.mkdir()
    good = [days_ago(20), days_ago(4)]
    bad_day = days_ago(10)  # between the good days: the ones after it still load
    for seed, day in enumerate(good):
        write_day(folder, f"{day}.json", items_for(seed))
    named = _bad_files(case, folder, bad_day)
    with sim.serve() as url:
        result = backfill(folder, lake, url)
    assert result.exit_code == EXIT_SOME_DAYS_FAILED, result.output
    assert "Traceback" not in result.output + result.stderr
    errors = lines(result.stderr)
    assert len(errors) == len(named)
    for line, name in zip(sorted(errors), sorted(named), strict=True):
        assert name in line and line.startswith("error:")
    assert snapshot_dates(lake) == [d.isoformat() for d in good]
    # Nothing of the bad day: no run, no bronze, no silver.
    assert [m["snapshot_date"] for m in manifests(lake)] == [d.isoformat() for d in good]
    for layer in ("bronze/omdb", "silver/movies", "silver/quarantine"):
        assert not list((lake / layer).glob(f"snapshot_date={bad_day}")), layer


def test_other_files_are_named_and_left_alone(
    lake: Path, tmp_path: Path, sim: OmdbSimulator
) -> None:
    folder = tmp_path / "days"
    folder.mkdir()
    write_day(folder, f"{days_ago(1)}.json", items_for(0))
    (folder / "README.md").write_text("captures")
    (folder / ".DS_Store").write_text("")
    with sim.serve() as url:
        result = backfill(folder, lake, url)
    assert result.exit_code == 0, result.output
    assert "left alone: README.md" in result.stdout and ".DS_Store" not in result.output


def test_a_folder_with_no_list_is_one_line(lake: Path, tmp_path: Path) -> None:
    result = invoke_cli("backfill", str(tmp_path), "--offline", "--data-dir", str(lake))
    assert result.exit_code == 1 and len(lines(result.stderr)) == 1
    assert "no YYYY-MM-DD.json or .csv list" in result.stderr
    assert not lake.exists()


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "2024-1-5", "tomorrow"])
def test_as_of_must_be_a_past_date(lake: Path, value: str) -> None:
    if value == "tomorrow":
        value = (today() + timedelta(days=1)).isoformat()
    result = invoke_cli("run", "--offline", "--as-of", value, "--data-dir", str(lake))
    assert result.exit_code == 2, result.output
    assert len(lines(result.stderr)) == 1 and value in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not lake.exists()


def test_run_as_of_records_that_day_and_today_keeps_today(lake: Path, tmp_path: Path) -> None:
    """An archived list loaded after today's run owns its own day; today's run keeps today,
    and status and rebuild see both."""
    old = days_ago(40)
    first = invoke_cli("run", "--offline", "--top-n", "5", "--data-dir", str(lake))
    assert first.exit_code == 0, first.output
    source = sample.history_path() / "2024-10-15.json"  # a real day's chart, offline answers
    archived = invoke_cli(
        "run", "--offline", "--source", str(source), "--as-of", old.isoformat(),
        "--top-n", "4", "--data-dir", str(lake),
    )  # fmt: skip
    assert archived.exit_code == 0, archived.output
    assert f"snapshot {old}" in archived.stdout
    assert snapshot_dates(lake) == [old.isoformat(), today().isoformat()]
    archived_ids = query(
        lake,
        f"select imdb_id from silver_movies where snapshot_date = '{old}' order by source_rank",
    )
    listed = json.loads(source.read_text())["items"][:4]
    assert [r["imdb_id"] for r in archived_ids] == [i["id"] for i in listed]
    runs = manifests(lake)
    assert [m["snapshot_date"] for m in runs] == [today().isoformat(), old.isoformat()]
    ledger = RunLedger(_bronze(lake))
    for m in runs:  # each run owns the day it recorded, whatever the order it ran in
        day_runs = [r["run_id"] for r in runs if r["snapshot_date"] == m["snapshot_date"]]
        assert accounting.day_owner(ledger, day_runs).run_id == m["run_id"]
    status = invoke_cli("status", "--json", "--data-dir", str(lake))
    assert status.exit_code == 0, status.output
    shown = {r["run_id"]: r["snapshot_date"] for r in json.loads(status.stdout)["runs"]}
    assert shown == {m["run_id"]: m["snapshot_date"] for m in runs}
    rebuilt = invoke_cli("rebuild", "--data-dir", str(lake))
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"silver {old}" in rebuilt.stdout and f"silver {today()}" in rebuilt.stdout


def _bronze(lake: Path) -> Any:
    from cinelake.adapters.storage import LocalObjectStore

    return LocalObjectStore(lake / "bronze", "bronze")


def shared_days(n: int) -> list[Path]:
    files = sorted(SHARED_HISTORY.glob("*.json")) if SHARED_HISTORY.is_dir() else []
    return files[:n] if len(files) >= n else []


@pytest.mark.skipif(not shared_days(20), reason="../shared/data/top250-history not present")
def test_twenty_real_captures_backfill_once_then_change_nothing(lake: Path, tmp_path: Path) -> None:
    """Done when: 20 consecutive captures with --top-n 250 give one snapshot per file, and a
    second backfill changes no row and sends no OMDb request."""
    files = shared_days(20)
    folder = tmp_path / "captures"
    folder.mkdir()
    for f in files:  # read in place: the folder only points at them
        (folder / f.name).symlink_to(f)
    sim = OmdbSimulator({}, SimulatorConfig(api_key=KEY, synthesize=True))
    args = ["--top-n", "250", "--batch-size", "10", "--json"]
    with sim.serve() as url:
        first = invoke_cli(
            "backfill", str(folder), "--omdb-url", url, "--data-dir", str(lake),
            "--rate-limit", "0", *args, key=KEY,
        )  # fmt: skip
        assert first.exit_code == 0, first.output
        requests = sim.requests
        rows_1 = query(lake, "select * from silver_movies order by snapshot_date, source_rank")
        gold_1 = gold_files(lake)
        second = invoke_cli(
            "backfill", str(folder), "--omdb-url", url, "--data-dir", str(lake),
            "--rate-limit", "0", *args, key=KEY,
        )  # fmt: skip
        assert second.exit_code == 0, second.output
    per_day = query(
        lake, "select snapshot_date as d, count(*) as n from silver_movies group by d order by d"
    )
    expected = [(f.stem, len(ListSource(str(f)).select(250).movies)) for f in files]
    assert [(r["d"], r["n"]) for r in per_day] == expected
    report = json.loads(second.stdout)
    assert [d["status"] for d in report["days"]] == ["unchanged"] * 20
    assert sim.requests == requests and report["omdb_requests"] == 0
    assert query(lake, "select * from silver_movies order by snapshot_date, source_rank") == rows_1
    assert gold_files(lake) == gold_1
