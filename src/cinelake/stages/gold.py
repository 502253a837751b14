"""Silver -> gold: rebuild every gold dataset from silver, with its CSV, QuickSight manifest and DDL.

The latest-snapshot datasets read the newest silver day only. The history datasets read every
day's list (``silver/lists``) and the rating columns of every day's movies; the per-day ones
(``movers``, ``rank_history``) are stored one partition per date, and a build rewrites only the
partitions whose rows changed (a fingerprint per partition is kept in gold), deletes those of
dates that no longer exist, and rewrites them all when asked (``cinelake rebuild``): on S3 a
daily build then writes a few objects, not three years of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from cinelake import layout
from cinelake.objects import ObjectStore, local_copies
from cinelake.stages.ports import GoldPorts

if TYPE_CHECKING:
    from cinelake.gold.datasets import GoldDataset

# The silver_movies columns history reads (the rest of a day's movies are not needed).
HISTORY_MOVIE_COLUMNS = (
    "snapshot_date",
    "imdb_id",
    "source_rank",
    "title",
    "source_rating",
    "source_votes",
    "imdb_rating",
    "imdb_votes",
    "ingested_at",
    "run_id",
)


PARTITION_WRITERS = 8

PageRenderer = Callable[[Mapping[str, pa.Table], datetime], str]
"""Renders the dashboard page from the gold tables (the gold function passes the dashboard's)."""


@dataclass
class GoldOutcome:
    datasets: dict[str, int] = field(default_factory=dict)
    snapshot_date: str | None = None
    history: dict[str, Any] = field(default_factory=dict)
    """first/last snapshot date and the number of snapshots the history datasets cover."""
    partitions_written: dict[str, int] = field(default_factory=dict)
    partitions_deleted: dict[str, int] = field(default_factory=dict)
    feed_entries: int = 0
    """Entries of ``feed/movers.xml`` (one per snapshot with a previous one, the last 30)."""
    dashboard: bool = False
    """Whether ``dashboard/index.html`` was written in gold (the gold function does)."""
    quality: str | None = None
    """The latest snapshot's data-quality verdict (pass, warn, fail); None without one."""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _listed(files: list[str]) -> str:
    return ", ".join("'" + f.replace("'", "''") + "'" for f in files)


def silver_view_sql(files: list[str], view: str = "silver_movies", columns: str = "*") -> str:
    return (
        f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} FROM read_parquet("
        f"[{_listed(files)}], hive_partitioning = true, hive_types = {{'snapshot_date': DATE}}, "
        "union_by_name = true)"
    )


# Silver columns added after the first lakes were written, with their SQL types: a snapshot
# written before them reads them as null (so gold builds before `cinelake rebuild` fills them).
ADDED_SILVER_COLUMNS = {"enrichment": "VARCHAR", "omdb_fetched_at": "TIMESTAMPTZ"}


def _with_added_columns(source: str, view: str, con: duckdb.DuckDBPyConnection) -> str:
    have = {row[0] for row in con.execute(f"DESCRIBE {source}").fetchall()}
    nulls = "".join(
        f", NULL::{sql_type} AS {name}"
        for name, sql_type in ADDED_SILVER_COLUMNS.items()
        if name not in have
    )
    return f"CREATE OR REPLACE VIEW {view} AS SELECT *{nulls} FROM {source}"


def empty_silver() -> pa.Table:
    """A silver table with no snapshot yet: gold is still built, with empty datasets."""
    from cinelake.silver.schema import arrow_schema

    table = arrow_schema().empty_table()
    return table.append_column("snapshot_date", pa.array([], pa.date32()))


def empty_lists() -> pa.Table:
    """``silver_lists`` with no day (a lake from before lists, or an empty one)."""
    from cinelake.silver.schema import lists_arrow_schema

    return lists_arrow_schema(include_partition=True).empty_table()


def _newest(keys: list[str]) -> list[str]:
    if not keys:
        return []
    newest = max(layout.snapshot_folder(k) for k in keys)
    return [k for k in keys if layout.snapshot_folder(k) == newest]


def _movies_keys(deps: GoldPorts) -> list[str]:
    return [
        k for k in deps.silver.list_keys(layout.MOVIES_PREFIX) if layout.is_silver_movies_key(k)
    ]


def latest_snapshot_keys(deps: GoldPorts) -> list[str]:
    """The silver files of the newest snapshot: the latest-snapshot datasets are about that
    day alone."""
    return _newest(_movies_keys(deps))


def history_keys(deps: GoldPorts) -> tuple[list[str], list[str]]:
    """Every day's silver movies files and every day's list files."""
    lists = [k for k in deps.silver.list_keys(layout.LISTS_PREFIX) if layout.is_silver_lists_key(k)]
    return _movies_keys(deps), lists


def compute(
    con: duckdb.DuckDBPyConnection,
    latest: list[str],
    movies: list[str],
    lists: list[str],
    quality: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> dict[str, pa.Table]:
    """Every gold dataset from local silver files: the newest day's movies (``latest``), every
    day's movies and every day's lists; ``quality``: the rows of the data-quality datasets
    (:func:`quality_rows`)."""
    from cinelake.gold.datasets import build_gold, prepare_history, prepare_quality

    con.execute("SET enable_progress_bar = false")  # a stage prints nothing of its own
    if latest:
        con.execute(silver_view_sql(latest, "silver_movies_files"))
        con.execute(_with_added_columns("silver_movies_files", "silver_movies", con))
    else:
        con.register("silver_movies", empty_silver())
    if movies:
        con.execute(silver_view_sql(movies, "silver_movies_all", ", ".join(HISTORY_MOVIE_COLUMNS)))
    else:
        con.register("silver_movies_all", empty_silver())
    if lists:
        con.execute(silver_view_sql(lists, "silver_lists"))
    else:
        con.register("silver_lists", empty_lists())
    prepare_history(con)
    prepare_quality(con, *(quality or ([], [])))
    return build_gold(con)


def quality_rows(
    deps: GoldPorts, movies: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every day's data-quality checks from the figures the silver stage kept
    (``silver/quality/``) for the days that have silver ``movies``, judged against the
    settings' thresholds. A damaged figures file is logged and its day left without a verdict
    rather than failing every gold dataset."""
    from cinelake.observability import get_logger
    from cinelake.stages.quality import quality_tables, read_facts

    snapshots = {layout.snapshot_folder(k) for k in movies}
    days = []
    for key in deps.silver.list_keys(layout.QUALITY_PREFIX):
        if not layout.is_silver_quality_key(key) or layout.snapshot_folder(key) not in snapshots:
            continue
        try:
            days.append(read_facts(deps.silver.get(key)))
        except ValueError as exc:
            get_logger().warning(
                "unreadable data-quality figures", extra={"key": key, "error": str(exc)}
            )
    return quality_tables(days, deps.settings.quality_thresholds)


def split_by_date(
    table: pa.Table, column: str = "snapshot_date"
) -> Iterator[tuple[date, pa.Table]]:
    """The rows of each date, without the date column (it is in the partition's path).
    ``table`` is sorted by ``column``, as every partitioned dataset's SQL orders it."""
    if table.num_rows == 0:
        return
    counts = pc.value_counts(table.column(column)).to_pylist()  # in order of appearance
    rest = table.drop_columns([column])
    offset = 0
    for entry in counts:
        yield entry["values"], rest.slice(offset, entry["counts"])
        offset += entry["counts"]
    if offset != table.num_rows:  # pragma: no cover - the SQL sorts by date
        raise RuntimeError(f"{column} is not sorted")


def fingerprints(table: pa.Table, column: str = "snapshot_date") -> dict[date, str]:
    """A digest of each date's rows: DuckDB's hash of every row, combined (the count, their
    xor and their sum). The set of rows is enough: each dataset's SQL orders a date's rows
    completely. Taken from the values, not the Arrow buffers (what lies under a null slot is
    arbitrary); a DuckDB upgrade that changes its hash only makes one build write every
    partition again."""
    if table.num_rows == 0:
        return {}
    con = duckdb.connect()
    try:
        con.register("partitioned", table)
        others = ", ".join(f'"{name}"' for name in table.column_names if name != column)
        found = con.execute(
            f'SELECT "{column}", count(*), bit_xor(h), sum(h::HUGEINT) FROM '
            f'(SELECT "{column}", hash({others}) AS h FROM partitioned) GROUP BY "{column}"'
        ).fetchall()
    finally:
        con.close()
    return {day: f"{n}-{x:016x}-{total:x}" for day, n, x, total in found}


def _previous_fingerprints(gold: ObjectStore) -> dict[str, dict[str, str]]:
    """What the partitions written last hold; empty (so everything is written) when unknown."""
    try:
        doc = json.loads(gold.get(layout.GOLD_HISTORY_PARTITIONS))
    except Exception:  # missing or damaged: write every partition again
        return {}
    if not isinstance(doc, dict):
        return {}
    return {
        k: {d: f for d, f in v.items() if isinstance(f, str)}
        for k, v in doc.items()
        if isinstance(v, dict)
    }


def publish_partitions(
    gold: ObjectStore,
    ds: GoldDataset,
    table: pa.Table,
    previous: dict[str, str],
    *,
    full: bool = False,
) -> tuple[dict[str, str], int, int]:
    """Write the partitions of ``ds`` whose rows changed since ``previous`` (or whose object
    is missing; all of them when ``full``) and delete those of dates with no rows.

    Returns the fingerprints of every partition now in gold, the partitions written and the
    partitions deleted.
    """
    from cinelake.tables import parquet_bytes

    assert ds.partition_column is not None
    prefix = layout.gold_dataset_prefix(ds.name)
    existing: dict[date, str] = {}
    for key in gold.list_keys(prefix):
        day = layout.gold_partition_date(ds.name, key)
        if day is not None:
            existing[day] = key
    digests = fingerprints(table, ds.partition_column)
    table = table.cast(ds.schema)  # once, not per partition
    now: dict[str, str] = {}
    changed: list[tuple[date, pa.Table]] = []
    for day, rows in split_by_date(table, ds.partition_column):
        digest = digests[day]
        now[day.isoformat()] = digest
        if full or day not in existing or previous.get(day.isoformat()) != digest:
            changed.append((day, rows))

    def write(item: tuple[date, pa.Table]) -> None:
        day, rows = item
        gold.put(layout.gold_partition_key(ds.name, day), parquet_bytes(rows))

    # Parquet encoding releases the GIL and an S3 PUT waits on the network: in parallel.
    with ThreadPoolExecutor(max_workers=PARTITION_WRITERS) as pool:
        list(pool.map(write, changed))
    written = len(changed)
    deleted = 0
    for day, key in sorted(existing.items()):
        if day.isoformat() not in now:
            gold.delete(key)
            deleted += 1
    return now, written, deleted


def publish_views(
    deps: GoldPorts, tables: Mapping[str, pa.Table], outcome: GoldOutcome, page: PageRenderer | None
) -> None:
    """The movers feed, and the dashboard page when ``page`` renders one, from the tables
    just built."""
    from cinelake.gold.feed import FEED_ENTRIES, feed_xml, recent_news

    movers = tables.get("movers")
    # Only the days the feed shows become news (a Python object per row is seconds and
    # hundreds of MiB over three years of movers).
    news, days = recent_news(movers, FEED_ENTRIES) if movers is not None else ([], 0)
    now = deps.clock.now()
    deps.gold.put(layout.GOLD_FEED_KEY, feed_xml(news, empty_updated=now), "application/atom+xml")
    outcome.feed_entries = min(days, FEED_ENTRIES)
    if page is not None:
        html = page(tables, now)
        deps.gold.put(layout.GOLD_DASHBOARD_KEY, html.encode("utf-8"), "text/html; charset=utf-8")
        outcome.dashboard = True


def build_and_publish(
    deps: GoldPorts, *, full: bool = False, page: PageRenderer | None = None
) -> GoldOutcome:
    """Build every gold dataset and publish it, with the movers feed (and the dashboard page
    when ``page`` renders it). ``full`` rewrites every history partition (``cinelake
    rebuild``); otherwise only the changed ones are written."""
    from cinelake.gold.datasets import DATASETS
    from cinelake.gold.export import csv_bytes

    movies, lists = history_keys(deps)
    latest = _newest(movies)
    quality = quality_rows(deps, movies)
    con = duckdb.connect()
    try:
        with (
            local_copies(deps.silver, movies) as movie_files,
            local_copies(deps.silver, lists) as list_files,
        ):
            newest = set(latest)
            tables = compute(
                con,
                [str(f) for k, f in zip(movies, movie_files, strict=True) if k in newest],
                [str(f) for f in movie_files],
                [str(f) for f in list_files],
                quality,
            )
            snapshot = con.execute("SELECT max(snapshot_date) FROM silver_movies").fetchone()
            span = con.execute(
                "SELECT min(snapshot_date), max(snapshot_date), count(DISTINCT snapshot_date) "
                "FROM silver_history"
            ).fetchone()
    finally:
        con.close()
    outcome = GoldOutcome(snapshot_date=str(snapshot[0]) if snapshot and snapshot[0] else None)
    assert span is not None
    outcome.history = {
        "first_snapshot_date": span[0].isoformat() if span[0] else None,
        "last_snapshot_date": span[1].isoformat() if span[1] else None,
        "snapshots": int(span[2]),
    }
    verdicts = tables["data_quality"]
    if verdicts.num_rows:
        outcome.quality = verdicts.column("status")[verdicts.num_rows - 1].as_py()
    gold = deps.gold
    deps.checkpoint("before_gold_write")
    previous = _previous_fingerprints(gold)
    fingerprints: dict[str, dict[str, str]] = {}
    # The CSVs are encoded on a thread of their own while the partitions are written: Arrow's
    # kernels and the Parquet encoder release the GIL, so the two overlap on two cores.
    with ThreadPoolExecutor(max_workers=1) as csv_encoder:
        csvs = {ds.name: csv_encoder.submit(csv_bytes, tables[ds.name]) for ds in DATASETS}
        try:
            _publish_datasets(deps, tables, csvs, previous, fingerprints, outcome, full=full)
        except BaseException:
            csv_encoder.shutdown(wait=False, cancel_futures=True)  # no CSV for nothing
            raise
    publish_views(deps, tables, outcome, page)
    # After the partitions: a crash in between leaves old fingerprints, so the next build
    # writes those partitions again rather than trusting them.
    gold.put(
        layout.GOLD_HISTORY_PARTITIONS,
        json.dumps(fingerprints, sort_keys=True).encode(),
        "application/json",
    )
    gold.put(
        layout.GOLD_MANIFEST,
        json.dumps(
            {"built_at": deps.clock.now().isoformat()} | outcome.as_dict(), indent=2
        ).encode(),
        "application/json",
    )
    return outcome


def _publish_datasets(
    deps: GoldPorts,
    tables: Mapping[str, pa.Table],
    csvs: Mapping[str, Future[bytes]],
    previous: dict[str, dict[str, str]],
    fingerprints: dict[str, dict[str, str]],
    outcome: GoldOutcome,
    *,
    full: bool,
) -> None:
    """Every dataset's Parquet (or changed partitions), CSV, QuickSight manifest and DDL."""
    from cinelake.gold.datasets import DATASETS
    from cinelake.gold.export import athena_ddl, quicksight_manifest
    from cinelake.tables import parquet_bytes

    gold = deps.gold
    for ds in DATASETS:
        table = tables[ds.name]
        if ds.partition_column is None:
            gold.put(layout.gold_data_key(ds.name), parquet_bytes(table))
        else:
            fingerprints[ds.name], written, deleted = publish_partitions(
                gold, ds, table, previous.get(ds.name, {}), full=full
            )
            outcome.partitions_written[ds.name] = written
            outcome.partitions_deleted[ds.name] = deleted
        gold.put(layout.gold_csv_key(ds.name), csvs[ds.name].result(), "text/csv")
        manifest = quicksight_manifest(gold.uri(layout.gold_csv_key(ds.name)))
        gold.put(layout.gold_quicksight_key(ds.name), json.dumps(manifest, indent=2).encode())
        location = gold.uri(layout.gold_dataset_prefix(ds.name))
        gold.put(layout.gold_athena_key(ds.name), athena_ddl(ds, location).encode(), "text/plain")
        outcome.datasets[ds.name] = table.num_rows
