"""Commands import only what they use: `cinelake --help` loads no data engine and no pydantic,
and `cinelake query` reads the lake with DuckDB alone (no pyarrow, so no numpy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb

from cinelake.gold.datasets import DATASETS

HEAVY = ("duckdb", "pyarrow", "numpy", "pandas", "boto3", "botocore", "httpx")
# What `cinelake --help` does without: the settings' help comes from cinelake.setting_specs.
SETTINGS_MACHINERY = ("pydantic", "pydantic_settings", "pydantic_core")


def loaded_after(code: str, cwd: Path, modules: tuple[str, ...] = HEAVY) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; which of ``modules`` it left loaded, and its output."""
    probe = (
        "import sys, json, io, contextlib\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + f"print(json.dumps({{'loaded': [m for m in {modules!r} if m in sys.modules], "
        "'out': out.getvalue()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_the_cli_loads_no_data_engine_or_cloud_sdk(tmp_path):
    result = loaded_after("import cinelake.cli", tmp_path)
    assert result["loaded"] == []


def test_help_loads_no_data_engine(tmp_path):
    code = "from cinelake.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass"
    result = loaded_after(code, tmp_path)
    assert "rebuild" in result["out"] and "query" in result["out"]
    assert result["loaded"] == []


def test_help_loads_no_pydantic(tmp_path):
    # as the `cinelake` command runs it: main(), the one-line error handler included
    code = (
        "from cinelake.cli import main\n"
        "sys.argv = ['cinelake', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code"
    )
    result = loaded_after(code, tmp_path, SETTINGS_MACHINERY)
    assert "rebuild" in result["out"] and "--config" in result["out"]
    assert result["loaded"] == []
    # the probe sees pydantic once something loads it
    assert loaded_after("import cinelake.config", tmp_path, SETTINGS_MACHINERY)["loaded"] == list(
        SETTINGS_MACHINERY
    )


def test_main_reports_a_validation_error_once_pydantic_is_loaded():
    import pydantic

    from cinelake.cli import _environment_errors

    assert pydantic.ValidationError in _environment_errors()
    assert OSError in _environment_errors()


def write_lake(root: Path) -> None:
    con = duckdb.connect()
    movies = root / "silver" / "movies" / "snapshot_date=2026-01-02"
    movies.mkdir(parents=True)
    con.execute(
        "COPY (SELECT 'tt' || lpad(i::VARCHAR, 7, '0') AS imdb_id, i AS source_rank "
        f"FROM range(1, 6) t(i)) TO '{movies / 'data.parquet'}' (FORMAT parquet)"
    )
    for day in ("2026-01-01", "2026-01-02"):
        movers = root / "gold" / "movers" / f"snapshot_date={day}"
        movers.mkdir(parents=True)
        con.execute(
            "COPY (SELECT NULL::DATE AS previous_snapshot_date, 'tt0000001' AS imdb_id, "
            "'A' AS title, 1 AS rank, NULL::INTEGER AS previous_rank, "
            "NULL::INTEGER AS rank_change, 'new' AS status) "
            f"TO '{movers / 'data.parquet'}' (FORMAT parquet)"
        )


def query_in_child(sql: str, cwd: Path) -> dict[str, object]:
    code = (
        "from cinelake.cli import app\n"
        "try:\n"
        f"    app(['query', {sql!r}, '--format', 'json', '--data-dir', 'lake'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code"
    )
    return loaded_after(code, cwd)


def test_query_reads_the_lake_without_pyarrow(tmp_path):
    write_lake(tmp_path / "lake")
    counted = query_in_child("select count(*) as n from silver_movies", tmp_path)
    assert json.loads(counted["out"]) == [{"n": 5}]
    assert "pyarrow" not in counted["loaded"] and "numpy" not in counted["loaded"]
    movers = query_in_child("select * from gold_movers order by snapshot_date", tmp_path)
    rows = json.loads(movers["out"])
    # the partition column comes first, as gold defines it
    assert list(rows[0]) == list(next(d for d in DATASETS if d.name == "movers").column_names)
    assert [r["snapshot_date"] for r in rows] == ["2026-01-01", "2026-01-02"]
    assert "pyarrow" not in movers["loaded"] and "numpy" not in movers["loaded"]


def test_a_damaged_file_leaves_its_view_out_and_is_named(tmp_path):
    write_lake(tmp_path / "lake")
    bad = tmp_path / "lake" / "gold" / "movers" / "snapshot_date=2026-01-02" / "data.parquet"
    bad.write_bytes(bad.read_bytes()[:-20])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cinelake.cli",
            "query",
            "select * from gold_movers",
            "--data-dir",
            str(tmp_path / "lake"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    message = " ".join(done.stderr.split())
    assert "gold_movers is unavailable" in message
    assert "gold/movers/snapshot_date=2026-01-02/data.parquet is damaged" in message
    assert "Traceback" not in done.stderr
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "cinelake.cli",
            "query",
            "select count(*) from silver_movies",
            "--data-dir",
            str(tmp_path / "lake"),
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr


def test_partitioned_gold_datasets_define_their_partition_column_first():
    # `cinelake query` builds their views as "snapshot_date", * EXCLUDE ("snapshot_date")
    for ds in DATASETS:
        if ds.partition_column is not None:
            assert ds.partition_column == "snapshot_date"
            assert ds.column_names[0] == "snapshot_date"
