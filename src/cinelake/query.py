"""DuckDB over the local lake: `silver_movies`, `silver_quarantine`, `silver_lists` and one
`gold_<dataset>` view each (a history dataset's view spans its date partitions)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cinelake.layout import SNAPSHOT_FOLDER_RE, LocalLake, SilverTable


def _glob(path: Path) -> str:
    return str(path).replace("'", "''")


def _readable(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    data_dir: Path,
    view: str,
    damaged: dict[str, str],
) -> bool:
    """Whether every file of a view has a readable Parquet footer; else the view is left out
    and ``damaged[view]`` names the first bad file and what is wrong. DuckDB reads the footers
    (pyarrow, and the numpy it loads, would add ~0.2 s to every query's start)."""
    from cinelake.damage import first_line

    def check(paths: list[Path]) -> None:
        listed = ", ".join(f"'{_glob(f)}'" for f in paths)
        con.execute(f"SELECT count(*) FROM parquet_file_metadata([{listed}])").fetchall()

    try:
        check(files)
        return True
    except duckdb.Error:
        pass
    for f in files:
        try:
            check([f])
        except duckdb.Error as exc:
            rel = f.relative_to(data_dir).as_posix() if f.is_relative_to(data_dir) else str(f)
            damaged[view] = f"{rel} is damaged ({first_line(exc)})"
            return False
    return True


def connect(data_dir: Path, damaged: dict[str, str] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the lake's views. A view over a damaged file is left out (so queries
    that do not use it still work) and, when ``damaged`` is given, named there."""
    con = duckdb.connect()
    damaged = {} if damaged is None else damaged
    lake = LocalLake(data_dir)
    tables: tuple[tuple[str, SilverTable], ...] = (
        ("silver_movies", "movies"),
        ("silver_quarantine", "quarantine"),
        ("silver_lists", "lists"),
    )
    for view, table in tables:
        files = lake.silver_files(table)
        if files and _readable(con, files, data_dir, view, damaged):
            listed = ", ".join(f"'{_glob(f)}'" for f in files)
            con.execute(
                f"CREATE VIEW {view} AS SELECT * FROM read_parquet([{listed}], "
                "hive_partitioning = true, hive_types = {'snapshot_date': DATE}, union_by_name = true)"
            )
    gold = lake.gold
    if gold.is_dir():
        for dataset in sorted(p for p in gold.iterdir() if p.is_dir()):
            parts = lake.gold_dataset_files(dataset.name) or sorted(dataset.glob("*.parquet"))
            if (
                parts
                and dataset.name.isidentifier()
                and _readable(con, parts, data_dir, f"gold_{dataset.name}", damaged)
            ):
                listed = ", ".join(f"'{_glob(f)}'" for f in parts)
                columns = _partitioned_columns(parts)
                if columns is None:
                    con.execute(
                        f"CREATE VIEW gold_{dataset.name} AS SELECT * FROM read_parquet([{listed}])"
                    )
                else:  # the partition column comes from the path; keep the definition's order
                    con.execute(
                        f"CREATE VIEW gold_{dataset.name} AS SELECT {columns} "
                        f"FROM read_parquet([{listed}], hive_partitioning = true, "
                        "hive_types = {'snapshot_date': DATE}, union_by_name = true)"
                    )
    return con


def _partitioned_columns(parts: list[Path]) -> str | None:
    """The select list of a date-partitioned gold dataset (its files are in
    ``snapshot_date=YYYY-MM-DD/`` folders); None for any other. Gold defines the partition
    column first (``cinelake.gold.datasets``), and the files hold the others in order."""
    if not parts or not all(SNAPSHOT_FOLDER_RE.fullmatch(p.parent.name) for p in parts):
        return None
    return '"snapshot_date", * EXCLUDE ("snapshot_date")'


def views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall()
    ]
