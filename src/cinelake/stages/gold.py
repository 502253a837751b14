"""Silver -> gold: rebuild every gold dataset from silver, with its CSV, QuickSight manifest and DDL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from cinelake import layout
from cinelake.objects import local_copies
from cinelake.stages.ports import GoldPorts


@dataclass
class GoldOutcome:
    datasets: dict[str, int] = field(default_factory=dict)
    snapshot_date: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def silver_view_sql(files: list[str]) -> str:
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return (
        "CREATE OR REPLACE VIEW silver_movies AS SELECT * FROM read_parquet("
        f"[{listed}], hive_partitioning = true, hive_types = {{'snapshot_date': DATE}}, "
        "union_by_name = true)"
    )


def empty_silver() -> pa.Table:
    """A silver table with no snapshot yet: gold is still built, with empty datasets."""
    from cinelake.silver.schema import arrow_schema

    table = arrow_schema().empty_table()
    return table.append_column("snapshot_date", pa.array([], pa.date32()))


def latest_snapshot_keys(deps: GoldPorts) -> list[str]:
    """The silver files of the newest snapshot: every gold dataset is about the latest day,
    so gold's cost stays flat as daily snapshots accumulate."""
    keys = [
        k for k in deps.silver.list_keys(layout.MOVIES_PREFIX) if layout.is_silver_movies_key(k)
    ]
    if not keys:
        return []
    newest = max(layout.snapshot_folder(k) for k in keys)
    return [k for k in keys if layout.snapshot_folder(k) == newest]


def build_and_publish(deps: GoldPorts) -> GoldOutcome:
    from cinelake.gold.datasets import DATASETS, build_gold
    from cinelake.gold.export import athena_ddl, csv_bytes, quicksight_manifest
    from cinelake.tables import parquet_bytes

    keys = latest_snapshot_keys(deps)
    con = duckdb.connect()
    try:
        with local_copies(deps.silver, keys) as files:
            if files:
                con.execute(silver_view_sql([str(f) for f in files]))
            else:
                con.register("silver_movies", empty_silver())
            tables = build_gold(con)
            snapshot = con.execute("SELECT max(snapshot_date) FROM silver_movies").fetchone()
    finally:
        con.close()
    outcome = GoldOutcome(snapshot_date=str(snapshot[0]) if snapshot and snapshot[0] else None)
    gold = deps.gold
    deps.checkpoint("before_gold_write")
    for ds in DATASETS:
        table = tables[ds.name]
        gold.put(layout.gold_data_key(ds.name), parquet_bytes(table))
        gold.put(layout.gold_csv_key(ds.name), csv_bytes(table), "text/csv")
        manifest = quicksight_manifest(gold.uri(layout.gold_csv_key(ds.name)))
        gold.put(layout.gold_quicksight_key(ds.name), json.dumps(manifest, indent=2).encode())
        location = gold.uri(layout.gold_dataset_prefix(ds.name))
        gold.put(layout.gold_athena_key(ds.name), athena_ddl(ds, location).encode(), "text/plain")
        outcome.datasets[ds.name] = table.num_rows
    gold.put(
        layout.GOLD_MANIFEST,
        json.dumps(
            {"built_at": deps.clock.now().isoformat()} | outcome.as_dict(), indent=2
        ).encode(),
        "application/json",
    )
    return outcome
