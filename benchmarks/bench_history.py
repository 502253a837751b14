"""Benchmark: every gold dataset, history included, rebuilt from three years of daily snapshots.

    python benchmarks/bench_history.py [--days 1096] [--movies 1000] [--seed 0]

Generates ``--days`` consecutive daily snapshots of a ``--movies`` top list into a local lake
(about 1.1 M silver rows at full scale): each day's list (``silver/lists``, what the run
asked for) and its silver movies (the full silver schema; ranks drift by a random walk, so
movies climb, fall, leave and come back). Then, each in a fresh child process:

* ``gold-full``: ``build_and_publish(full=True)`` -- what ``cinelake rebuild`` does: every
  dataset, every history partition written (the headline figure);
* ``gold-daily``: one more day added, then an ordinary build: only the changed partitions;
* ``baseline-latest``: the latest-snapshot datasets alone (gold before history), same lake;
* ``baseline-pandas``: movers computed with plain pandas (read every day's list, merge each
  day with the day before), no files written.

Peak memory is the child's maximum resident set size, from the rusage the kernel reports when
it is reaped (``os.wait4``): DuckDB and Arrow allocate natively.

Target (issue 13): all gold datasets including history rebuilt in <= 5 s and <= 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    import cinelake  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

TARGET_SECONDS = 5.0
TARGET_MIB = 1024.0
FIRST_DAY = date(2023, 1, 1)


# --------------------------------------------------------------------------------------
# The lake
# --------------------------------------------------------------------------------------


class Lake:
    """A local lake's silver and gold stores, and what the gold stage asks of its ports."""

    def __init__(self, root: Path) -> None:
        from cinelake import layout
        from cinelake.adapters.storage import LocalObjectStore
        from cinelake.clock import FakeClock
        from cinelake.config import Settings

        lake = layout.LocalLake(root)
        self.settings = Settings()
        self.silver = LocalObjectStore(lake.silver, "silver")
        self.gold = LocalObjectStore(lake.gold, "gold")
        self.clock = FakeClock()

    def checkpoint(self, name: str) -> None:
        pass


def _pool_table(ids: list[str], seed: int) -> Any:
    """One silver movies row per movie of the pool (the full silver schema)."""
    import pyarrow as pa

    from cinelake.silver import schema

    rng = random.Random(seed)
    n = len(ids)
    values: dict[str, Any] = {
        "imdb_id": ids,
        "run_id": ["20230101T030000Z-1a2b3c"] * n,
        "source_rank": list(range(1, n + 1)),
        "title": [f"Movie {i}" for i in range(n)],
        "type": ["movie"] * n,
        "year": [rng.randint(1920, 2024) for _ in range(n)],
        "runtime_minutes": [rng.randint(80, 200) for _ in range(n)],
        "genres": [["Drama", rng.choice(["Crime", "War", "Comedy"])] for _ in range(n)],
        "directors": [[f"Director {rng.randint(1, 300)}"] for _ in range(n)],
        "countries": [[rng.choice(["United States", "France", "Japan"])] for _ in range(n)],
        "imdb_rating": [round(rng.uniform(7.5, 9.3), 1) for _ in range(n)],
        "imdb_votes": [rng.randint(25_000, 3_000_000) for _ in range(n)],
        "metascore": [rng.randint(40, 100) for _ in range(n)],
        "ingested_at": [datetime(2023, 1, 1, tzinfo=UTC)] * n,
        "enrichment": ["fresh"] * n,
        "omdb_fetched_at": [datetime(2023, 1, 1, tzinfo=UTC)] * n,
    }
    columns = {}
    for field in schema.arrow_schema():
        if field.name in values:
            columns[field.name] = pa.array(values[field.name], field.type)
        elif pa.types.is_list(field.type):
            columns[field.name] = pa.array([[]] * n, field.type)
        else:
            columns[field.name] = pa.nulls(n, field.type)
    return schema.conform_movies(pa.table(columns))


def generate(root: Path, days: int, movies: int, seed: int) -> date:
    """``days`` daily snapshots of a ``movies`` list; returns the last day."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cinelake import layout
    from cinelake.devtools.synthetic import imdb_id
    from cinelake.silver import schema
    from cinelake.tables import parquet_bytes

    lake = Lake(root)
    pool = [imdb_id(i) for i in range(1, int(movies * 1.3) + 1)]
    table = _pool_table(pool, seed)
    rng = random.Random(seed)
    score = {i: rng.gauss(0, 1) for i in pool}
    day = FIRST_DAY
    for _ in range(days):
        for i in pool:
            score[i] += rng.gauss(0, 0.05)
        ranked = sorted(pool, key=lambda i: -score[i])[:movies]
        at = pc.index_in(pa.array(ranked), value_set=pa.array(pool))
        rows = table.take(at)
        ranks = pa.array(range(1, movies + 1), pa.int32())
        rows = rows.set_column(rows.schema.get_field_index("source_rank"), "source_rank", ranks)
        lake.silver.put(layout.movies_key(day), parquet_bytes(rows))
        lists = pa.table(
            {
                "source_rank": ranks,
                "imdb_id": rows.column("imdb_id"),
                "title": rows.column("title"),
                "source_rating": rows.column("imdb_rating"),
                "source_votes": rows.column("imdb_votes"),
                "run_id": rows.column("run_id"),
            }
        )
        lake.silver.put(layout.lists_key(day), parquet_bytes(schema.conform_lists(lists)))
        day += timedelta(days=1)
    return day - timedelta(days=1)


# --------------------------------------------------------------------------------------
# Children
# --------------------------------------------------------------------------------------


def child(mode: str, root: Path) -> dict[str, Any]:
    from cinelake.stages import gold as gold_stage

    lake = Lake(root)
    if mode == "gold-full":
        start = time.perf_counter()
        outcome = gold_stage.build_and_publish(lake, full=True)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "rows": outcome.datasets,
            "history": outcome.history,
            "written": outcome.partitions_written,
        }
    if mode == "gold-daily":
        start = time.perf_counter()
        outcome = gold_stage.build_and_publish(lake)  # type: ignore[arg-type]
        return {
            "seconds": time.perf_counter() - start,
            "written": outcome.partitions_written,
            "deleted": outcome.partitions_deleted,
        }
    if mode == "baseline-latest":
        import duckdb

        from cinelake.gold.datasets import LATEST_DATASETS, build_gold
        from cinelake.gold.export import csv_bytes
        from cinelake.tables import parquet_bytes

        start = time.perf_counter()
        con = duckdb.connect()
        con.execute(gold_stage.silver_view_sql([str(p) for p in _latest_files(root)]))
        tables = build_gold(con, LATEST_DATASETS)
        for table in tables.values():
            parquet_bytes(table), csv_bytes(table)
        return {"seconds": time.perf_counter() - start}
    if mode == "baseline-pandas":
        import pandas as pd

        start = time.perf_counter()
        from cinelake import layout

        files = layout.LocalLake(root).silver_files("lists")
        frames = []
        for f in files:
            day = pd.read_parquet(f, columns=["source_rank", "imdb_id", "title"])
            day["snapshot_date"] = f.parent.name.split("=", 1)[1]
            frames.append(day)
        lists = pd.concat(frames, ignore_index=True)
        dates = sorted(lists["snapshot_date"].unique())
        previous = dict(zip(dates[1:], dates[:-1], strict=False))
        before = lists[lists["snapshot_date"].isin(previous.values())].copy()
        before["snapshot_date"] = before["snapshot_date"].map({v: k for k, v in previous.items()})
        movers = lists.merge(
            before, on=["snapshot_date", "imdb_id"], how="outer", suffixes=("", "_previous")
        )
        movers["rank_change"] = movers["source_rank_previous"] - movers["source_rank"]
        return {"seconds": time.perf_counter() - start, "rows": len(movers)}
    raise SystemExit(f"unknown mode {mode}")


def _latest_files(root: Path) -> list[Path]:
    from cinelake import layout

    files = layout.LocalLake(root).silver_files("movies")
    return [f for f in files if f.parent == files[-1].parent]


def run_child(mode: str, root: Path) -> tuple[dict[str, Any], float]:
    """Run one measurement in a fresh process: (its report, its peak RSS in MiB)."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, "--lake", str(root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    report = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child {mode!r} failed")
    return json.loads(report), usage.ru_maxrss / 1024  # Linux reports KiB


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=1096)
    parser.add_argument("--movies", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--lake", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.lake), default=str))
        return 0

    with tempfile.TemporaryDirectory(prefix="cinelake-bench-history-") as tmp:
        root = Path(tmp) / "lake"
        start = time.perf_counter()
        last = generate(root, args.days, args.movies, args.seed)
        rows = args.days * args.movies
        print(
            f"generated {args.days} daily snapshots of {args.movies} movies "
            f"({rows:,} silver rows, lists and movies) in {time.perf_counter() - start:.1f} s"
        )
        full, full_mib = run_child("gold-full", root)
        latest, latest_mib = run_child("baseline-latest", root)
        pandas_movers, pandas_mib = run_child("baseline-pandas", root)
        generate_next = last + timedelta(days=1)
        _add_day(root, generate_next, args.movies, args.seed)
        daily, daily_mib = run_child("gold-daily", root)

    print()
    print(f"{'measure':<52} {'seconds':>8} {'peak MiB':>9}")
    print(
        f"{'gold rebuild, all datasets incl. history (full)':<52} "
        f"{full['seconds']:>8.2f} {full_mib:>9.0f}"
    )
    print(
        f"{'gold daily build (one new day, changed partitions)':<52} "
        f"{daily['seconds']:>8.2f} {daily_mib:>9.0f}"
    )
    print(
        f"{'baseline: latest-snapshot datasets only':<52} "
        f"{latest['seconds']:>8.2f} {latest_mib:>9.0f}"
    )
    print(
        f"{'baseline: movers in plain pandas (no files written)':<52} "
        f"{pandas_movers['seconds']:>8.2f} {pandas_mib:>9.0f}"
    )
    print()
    print(f"history: {full['history']}")
    print(f"rows: movers {full['rows']['movers']:,}, rank_history {full['rows']['rank_history']:,}")
    print(f"partitions written: full {full['written']}, daily {daily['written']}")
    ok = full["seconds"] <= TARGET_SECONDS and full_mib <= TARGET_MIB
    print(
        f"target: <= {TARGET_SECONDS:.0f} s and <= {TARGET_MIB:.0f} MiB: "
        + ("met" if ok else "NOT met")
    )
    return 0


def _add_day(root: Path, day: date, movies: int, seed: int) -> None:
    """The next day: yesterday's list with two neighbours swapped and the last movie replaced."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cinelake import layout
    from cinelake.devtools.synthetic import imdb_id
    from cinelake.tables import parquet_bytes

    lake = Lake(root)
    files = layout.LocalLake(root).silver_files("lists")
    previous = pq.read_table(files[-1]).to_pylist()
    previous[0], previous[1] = previous[1], previous[0]
    previous[-1] = previous[-1] | {"imdb_id": imdb_id(10_000_000 + seed), "title": "Newcomer"}
    for rank, row in enumerate(previous, 1):
        row["source_rank"] = rank
    lake.silver.put(
        layout.lists_key(day),
        parquet_bytes(pa.Table.from_pylist(previous, pq.read_schema(files[-1]))),
    )


if __name__ == "__main__":
    raise SystemExit(main())
