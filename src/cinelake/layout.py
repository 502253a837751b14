"""The lake's layout: every object key, prefix and local path, in one place.

A lake is three stores (``bronze``, ``silver``, ``gold``: S3 buckets on AWS, folders of the data
dir locally) plus, locally, a state folder (``_state/``: the queue, the locks, the schedule and
the dataset cache) and the dashboard. Keys below are relative to their store; paths to the data
dir. Ids are checked before they become part of a key (:mod:`cinelake.ids`).

bronze::

    omdb/snapshot_date=YYYY-MM-DD/run_id=<run>/part-<hex>.jsonl   OMDb answers (see cinelake.bronze)
    _runs/<run>/manifest.json | queued.json | silver.json          the run ledger
    _runs/<run>/outcomes/<imdb id>.json | stats/<hex>.json
    _runs/<run>/tally/<shard>/<offsets> | tally_full/<shard>     completion tallies (accounting)
    _control/enrichment_paused.json                                the enrichment pause
    _control/omdb_budget/YYYY-MM-DD/<token>.json                   the day's OMDb requests
    _cache/omdb/v1/<imdb id>/<digest>.json                         the OMDb response cache
    _cache/omdb/fetched/v1/parts/YYYY-MM-DD/<token>.json           when answers were fetched
    _cache/omdb/fetched/v1/merged/upto-YYYY-MM-DD.json             ... merged up to a day
    _sources/imdb-datasets/                                        the dataset cache (AWS)

silver::

    movies/snapshot_date=YYYY-MM-DD/data.parquet
    quarantine/snapshot_date=YYYY-MM-DD/data.parquet
    lists/snapshot_date=YYYY-MM-DD/data.parquet                    the day's top list (its run's manifest)

gold::

    <dataset>/data.parquet, csv/<dataset>.csv, quicksight/<dataset>.json, athena/<dataset>.sql
    <history dataset>/snapshot_date=YYYY-MM-DD/data.parquet     one partition per snapshot date
    _manifest.json, _history_partitions.json                      (fingerprints of the partitions)
    feed/movers.xml, dashboard/index.html                         the movers feed, the published page
    _control/notify/YYYY-MM-DD.json                               the daily digest's marker
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final, Literal

from cinelake.ids import RUN_ID_PATTERN, require_imdb_id, require_run_id

StoreName = Literal["bronze", "silver", "gold"]
STORES: Final[tuple[StoreName, ...]] = ("bronze", "silver", "gold")

# -- bronze: the OMDb answers ----------------------------------------------------------------
OMDB_PREFIX: Final = "omdb/"
BRONZE_SUFFIX: Final = ".jsonl"
BRONZE_KEY_RE: Final = re.compile(
    rf"^omdb/snapshot_date=([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})/run_id=({RUN_ID_PATTERN})/"
    r"part-[0-9a-f]+\.jsonl$"
)
"""A bronze answer part; group 1 is the snapshot date, group 2 the run."""
RUN_FOLDER_RE: Final = re.compile(rf"^run_id=({RUN_ID_PATTERN})/")
"""The run folder of a key below a day's bronze prefix."""


def bronze_day_prefix(snapshot: date) -> str:
    return f"{OMDB_PREFIX}snapshot_date={snapshot.isoformat()}/"


def bronze_run_prefix(snapshot: date, run_id: str) -> str:
    return f"{bronze_day_prefix(snapshot)}run_id={require_run_id(run_id)}/"


def bronze_part_key(snapshot: date, run_id: str, token: str) -> str:
    """One bronze part of a run; ``token`` is a fresh hex string."""
    return f"{bronze_run_prefix(snapshot, run_id)}part-{token}{BRONZE_SUFFIX}"


# -- bronze: the run ledger ------------------------------------------------------------------
RUNS_PREFIX: Final = "_runs/"
CONTROL_PREFIX: Final = "_control/"
PAUSE_KEY: Final = f"{CONTROL_PREFIX}enrichment_paused.json"
BUDGET_PREFIX: Final = f"{CONTROL_PREFIX}omdb_budget/"
MANIFEST_NAME: Final = "manifest.json"
QUEUED_NAME: Final = "queued.json"
OUTCOMES_FOLDER: Final = "outcomes/"
STATS_FOLDER: Final = "stats/"


RUN_FOLDER_SHOWN: Final = f"bronze/{RUNS_PREFIX}<run>"
"""A run's ledger folder as messages name it (relative to the data dir)."""


def run_prefix(run_id: str) -> str:
    return f"{RUNS_PREFIX}{require_run_id(run_id)}/"


def manifest_key(run_id: str) -> str:
    return run_prefix(run_id) + MANIFEST_NAME


def queued_key(run_id: str) -> str:
    """The marker that a run's messages are all in the queue."""
    return run_prefix(run_id) + QUEUED_NAME


def report_key(run_id: str, stage: str) -> str:
    """A stage's report on a run (``silver.json``)."""
    return f"{run_prefix(run_id)}{stage}.json"


def outcomes_prefix(run_id: str) -> str:
    return run_prefix(run_id) + OUTCOMES_FOLDER


def outcome_key(run_id: str, imdb_id: str) -> str:
    return f"{outcomes_prefix(run_id)}{require_imdb_id(imdb_id)}.json"


TALLY_FOLDER: Final = "tally/"
TALLY_FULL_FOLDER: Final = "tally_full/"
COMPLETION_TOKEN: Final = "0" * 32
"""The token of a run's completion part: one fixed name, so exactly one writer creates it."""


def tally_prefix(run_id: str, shard: int) -> str:
    """The tallies of one shard of a run's manifest (see :mod:`cinelake.accounting`)."""
    return f"{run_prefix(run_id)}{TALLY_FOLDER}{shard:05d}/"


def tally_key(run_id: str, shard: int, name: str) -> str:
    """A tally: ``name`` lists the offsets in the shard it accounts for (``0-9.12``)."""
    return tally_prefix(run_id, shard) + name


def tally_full_prefix(run_id: str) -> str:
    return run_prefix(run_id) + TALLY_FULL_FOLDER


def tally_full_key(run_id: str, shard: int) -> str:
    """The marker that every movie of a shard has an outcome."""
    return f"{tally_full_prefix(run_id)}{shard:05d}"


def completion_part_key(snapshot: date, run_id: str) -> str:
    """The empty bronze part that says a run is complete (its ObjectCreated builds silver)."""
    return bronze_part_key(snapshot, run_id, COMPLETION_TOKEN)


def stats_prefix(run_id: str) -> str:
    return run_prefix(run_id) + STATS_FOLDER


def stats_key(run_id: str, token: str) -> str:
    return f"{stats_prefix(run_id)}{token}.json"


def budget_day_prefix(day: date) -> str:
    """The records of the OMDb requests of one UTC day (one per invocation that sent some)."""
    return f"{BUDGET_PREFIX}{day.isoformat()}/"


def budget_record_key(day: date, token: str) -> str:
    """``token`` sorts by the time the record was made (then a fresh hex string)."""
    if not re.fullmatch(r"[0-9A-Za-z_-]{1,80}", token):
        raise ValueError(f"unsafe budget token: {token[:40]!r}")
    return f"{budget_day_prefix(day)}{token}.json"


# -- bronze: caches --------------------------------------------------------------------------
OMDB_CACHE_PREFIX: Final = "_cache/omdb/v1/"
DATASET_CACHE_PREFIX: Final = "_sources/imdb-datasets/"
"""On AWS the dataset cache (the compact basics copy, the last ratings) is a bronze prefix."""


def omdb_cache_key(imdb_id: str, digest: str) -> str:
    return f"{OMDB_CACHE_PREFIX}{require_imdb_id(imdb_id)}/{digest}.json"


OMDB_FETCHED_PREFIX: Final = "_cache/omdb/fetched/v1/"
"""The cache's index of when each answer was fetched, so a plan reads no answer: one part per
enrich invocation, under its day, and ``merged/upto-<day>`` objects holding every part up to
that day (enrich writes one for yesterday when the day's first invocation finds none)."""
OMDB_FETCHED_PARTS: Final = f"{OMDB_FETCHED_PREFIX}parts/"
OMDB_FETCHED_MERGED: Final = f"{OMDB_FETCHED_PREFIX}merged/"
_FETCHED_UPTO = re.compile(r"upto-(\d{4}-\d{2}-\d{2})\.json")


def omdb_fetched_day_prefix(day: date) -> str:
    return f"{OMDB_FETCHED_PARTS}{day.isoformat()}/"


def omdb_fetched_part_key(day: date, token: str) -> str:
    """``token``: unique per invocation (a fresh hex string after the time)."""
    if not re.fullmatch(r"[0-9A-Za-z_-]{1,80}", token):
        raise ValueError(f"unsafe index token: {token[:40]!r}")
    return f"{omdb_fetched_day_prefix(day)}{token}.json"


def omdb_fetched_upto_key(day: date) -> str:
    return f"{OMDB_FETCHED_MERGED}upto-{day.isoformat()}.json"


def parse_omdb_fetched_upto(key: str) -> date | None:
    """The day a ``merged/upto-<day>`` key covers; None for anything else."""
    match = _FETCHED_UPTO.fullmatch(key.removeprefix(OMDB_FETCHED_MERGED))
    if match is None or not key.startswith(OMDB_FETCHED_MERGED):
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def parse_day(name: str) -> date | None:
    """A ``YYYY-MM-DD`` folder name as a day; None for anything else."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


# -- silver ----------------------------------------------------------------------------------
MOVIES_PREFIX: Final = "movies/"
QUARANTINE_PREFIX: Final = "quarantine/"
LISTS_PREFIX: Final = "lists/"
PARQUET_SUFFIX: Final = ".parquet"
SilverTable = Literal["movies", "quarantine", "lists"]
SNAPSHOT_FOLDER_RE: Final = re.compile(r"^snapshot_date=([0-9]{4}-[0-9]{2}-[0-9]{2})$")
"""A Hive partition folder of a day (silver tables, gold history datasets); group 1: the date."""


def movies_key(snapshot: date) -> str:
    return f"{MOVIES_PREFIX}snapshot_date={snapshot.isoformat()}/data.parquet"


def quarantine_key(snapshot: date) -> str:
    return f"{QUARANTINE_PREFIX}snapshot_date={snapshot.isoformat()}/data.parquet"


def lists_key(snapshot: date) -> str:
    """The day's top list: one row per movie of the run that owns the day."""
    return f"{LISTS_PREFIX}snapshot_date={snapshot.isoformat()}/data.parquet"


QUALITY_PREFIX: Final = "quality/"
"""The figures the silver stage knew about each day it built (the data-quality checks' input)."""


def quality_key(snapshot: date) -> str:
    return f"{QUALITY_PREFIX}snapshot_date={snapshot.isoformat()}/facts.json"


def is_silver_quality_key(key: str) -> bool:
    return key.startswith(QUALITY_PREFIX) and key.endswith("/facts.json")


def is_silver_movies_key(key: str) -> bool:
    return key.startswith(MOVIES_PREFIX) and key.endswith(PARQUET_SUFFIX)


def is_silver_lists_key(key: str) -> bool:
    return key.startswith(LISTS_PREFIX) and key.endswith(PARQUET_SUFFIX)


def snapshot_folder(key: str) -> str:
    """The ``snapshot_date=YYYY-MM-DD`` folder of a silver key (sorts by date)."""
    return key.split("/")[1]


# -- gold ------------------------------------------------------------------------------------
GOLD_MANIFEST: Final = "_manifest.json"


def gold_data_key(dataset: str) -> str:
    return f"{dataset}/data.parquet"


def gold_dataset_prefix(dataset: str) -> str:
    return f"{dataset}/"


GOLD_HISTORY_PARTITIONS: Final = "_history_partitions.json"
"""What the history partitions written last hold (a fingerprint per dataset and date), so a
daily build rewrites only the partitions whose rows changed."""


def gold_partition_key(dataset: str, snapshot: date) -> str:
    """One day's partition of a history dataset (Hive style, like silver)."""
    return f"{dataset}/snapshot_date={snapshot.isoformat()}/data.parquet"


def gold_partition_date(dataset: str, key: str) -> date | None:
    """The date of a history dataset's partition key; None for any other key."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != dataset or parts[2] != "data.parquet":
        return None
    m = SNAPSHOT_FOLDER_RE.match(parts[1])
    if m is None:
        return None
    try:
        return date.fromisoformat(m.group(1))
    except ValueError:
        return None


def gold_csv_key(dataset: str) -> str:
    return f"csv/{dataset}.csv"


def gold_quicksight_key(dataset: str) -> str:
    return f"quicksight/{dataset}.json"


def gold_athena_key(dataset: str) -> str:
    return f"athena/{dataset}.sql"


# -- the local data dir ----------------------------------------------------------------------
STATE_DIR: Final = "_state"
QUEUE_FILE: Final = Path(STATE_DIR) / "queue.sqlite3"
RUNTIME_LOCK: Final = Path(STATE_DIR) / "runtime.lock"
SCHEDULE_FILE: Final = Path(STATE_DIR) / "schedule.json"
DATASET_CACHE_DIR: Final = Path(STATE_DIR) / "imdb-datasets"
DASHBOARD_FILE: Final = "dashboard.html"


@dataclass(frozen=True)
class LocalLake:
    """The paths of a lake in a local data dir."""

    root: Path

    def store(self, name: StoreName) -> Path:
        return Path(self.root) / name

    @property
    def bronze(self) -> Path:
        return self.store("bronze")

    @property
    def silver(self) -> Path:
        return self.store("silver")

    @property
    def gold(self) -> Path:
        return self.store("gold")

    @property
    def queue(self) -> Path:
        return Path(self.root) / QUEUE_FILE

    @property
    def runtime_lock(self) -> Path:
        return Path(self.root) / RUNTIME_LOCK

    @property
    def schedule(self) -> Path:
        return Path(self.root) / SCHEDULE_FILE

    @property
    def dataset_cache(self) -> Path:
        return Path(self.root) / DATASET_CACHE_DIR

    @property
    def dashboard(self) -> Path:
        return Path(self.root) / DASHBOARD_FILE

    @property
    def gold_manifest(self) -> Path:
        return self.gold / GOLD_MANIFEST

    @property
    def runs(self) -> Path:
        """The folder of the run ledger."""
        return self.bronze / RUNS_PREFIX.rstrip("/")

    def run(self, run_id: str) -> Path:
        return self.bronze / run_prefix(run_id).rstrip("/")

    @property
    def pause(self) -> Path:
        return self.bronze / PAUSE_KEY

    def silver_files(self, table: SilverTable) -> list[Path]:
        """A silver table's Parquet files, oldest snapshot first."""
        return sorted((self.silver / table).glob("snapshot_date=*/*.parquet"))

    def gold_data_files(self) -> list[Path]:
        """Every gold Parquet file: the flat datasets' and the history partitions'."""
        return sorted(
            [*self.gold.glob("*/data.parquet"), *self.gold.glob("*/snapshot_date=*/data.parquet")]
        )

    def gold_dataset_files(self, dataset: str) -> list[Path]:
        """A gold dataset's Parquet files: ``data.parquet``, or its partitions oldest first."""
        folder = self.gold / dataset
        flat = folder / "data.parquet"
        if flat.is_file():
            return [flat]
        return sorted(folder.glob("snapshot_date=*/data.parquet"))

    def bronze_run_parts(self, run_id: str) -> list[Path]:
        """Every bronze part of a run, whatever its day."""
        return sorted(
            (self.bronze / OMDB_PREFIX).glob(
                f"snapshot_date=*/run_id={require_run_id(run_id)}/*{BRONZE_SUFFIX}"
            )
        )

    def exists(self) -> bool:
        return self.bronze.is_dir() or self.queue.is_file()


# -- published views (gold): the movers feed, the dashboard, the digest's markers ------------
GOLD_FEED_KEY: Final = "feed/movers.xml"
"""The Atom 1.0 feed of the day's movers (:mod:`cinelake.gold.feed`), rewritten by every build."""
GOLD_DASHBOARD_KEY: Final = "dashboard/index.html"
"""The self-contained dashboard the gold function publishes in the gold bucket (AWS)."""
NOTIFY_PREFIX: Final = f"{CONTROL_PREFIX}notify/"


def notify_marker_key(snapshot: date) -> str:
    """gold: the daily digest's marker for one snapshot (sent, failed or skipped): a snapshot
    is posted at most once, whatever re-runs and rebuilds follow."""
    return f"{NOTIFY_PREFIX}{snapshot.isoformat()}.json"
