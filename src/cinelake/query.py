"""DuckDB over the local lake: `silver_movies`, `silver_quarantine` and one `gold_<dataset>` view each."""

from __future__ import annotations

from pathlib import Path

import duckdb


def _glob(path: Path) -> str:
    return str(path).replace("'", "''")


def connect(data_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    silver = data_dir / "silver"
    for view, folder in (("silver_movies", "movies"), ("silver_quarantine", "quarantine")):
        files = sorted((silver / folder).glob("snapshot_date=*/*.parquet"))
        if files:
            listed = ", ".join(f"'{_glob(f)}'" for f in files)
            con.execute(
                f"CREATE VIEW {view} AS SELECT * FROM read_parquet([{listed}], "
                "hive_partitioning = true, hive_types = {'snapshot_date': DATE}, union_by_name = true)"
            )
    gold = data_dir / "gold"
    if gold.is_dir():
        for dataset in sorted(p for p in gold.iterdir() if p.is_dir()):
            parts = sorted(dataset.glob("*.parquet"))
            if parts and dataset.name.isidentifier():
                listed = ", ".join(f"'{_glob(f)}'" for f in parts)
                con.execute(f"CREATE VIEW gold_{dataset.name} AS SELECT * FROM read_parquet([{listed}])")
    return con


def views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()]
