"""DuckDB over the local lake: `silver_movies`, `silver_quarantine`, `silver_lists` and one
`gold_<dataset>` view each (a history dataset's view spans its date partitions)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cinelake.layout import LocalLake, SilverTable


def _glob(path: Path) -> str:
    return str(path).replace("'", "''")


def _readable(files: list[Path], data_dir: Path, view: str, damaged: dict[str, str]) -> bool:
    """Whether every file of a view has a readable Parquet footer; else the view is left out
    and ``damaged[view]`` names the first bad file and what is wrong."""
    import pyarrow.parquet as pq

    from cinelake.damage import first_line

    for f in files:
        try:
            pq.read_metadata(f)
        except Exception as exc:  # pyarrow raises several kinds for a damaged file
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
        if files and _readable(files, data_dir, view, damaged):
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
                and _readable(parts, data_dir, f"gold_{dataset.name}", damaged)
            ):
                listed = ", ".join(f"'{_glob(f)}'" for f in parts)
                columns = _partitioned_columns(dataset.name)
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


def _partitioned_columns(name: str) -> str | None:
    """The select list of a date-partitioned gold dataset; None for any other folder."""
    from cinelake.gold.datasets import DATASETS

    for ds in DATASETS:
        if ds.name == name and ds.partition_column is not None:
            return ", ".join(f'"{c}"' for c in ds.column_names)
    return None


def views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall()
    ]
