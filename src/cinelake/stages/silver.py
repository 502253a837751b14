"""Bronze -> silver: when a run is complete, turn its bronze answers into the silver snapshot.

Triggered by bronze ObjectCreated events. An event for a run that still has movies in flight
does nothing; the first event after the last movie is accounted for builds the snapshot, and
later ones (a redriven movie) rebuild it. The snapshot file is replaced whole, never appended,
so re-runs and duplicate events cannot duplicate rows.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from cinelake.adapters.storage import local_copies
from cinelake.bootstrap import Deps
from cinelake.observability import get_logger
from cinelake.runtime.faults import checkpoint
from cinelake.stages.enrich import BRONZE_PREFIX, bronze_prefix

BRONZE_KEY_RE = re.compile(
    r"^omdb/snapshot_date=(\d{4}-\d{2}-\d{2})/run_id=(\d{8}T\d{6}Z-[0-9a-f]{6})/part-[0-9a-f]+\.jsonl$"
)
MOVIES_PREFIX = "movies/"
QUARANTINE_PREFIX = "quarantine/"


def movies_key(snapshot: date) -> str:
    return f"{MOVIES_PREFIX}snapshot_date={snapshot.isoformat()}/data.parquet"


def quarantine_key(snapshot: date) -> str:
    return f"{QUARANTINE_PREFIX}snapshot_date={snapshot.isoformat()}/data.parquet"


@dataclass
class SilverOutcome:
    run_id: str
    state: Literal["built", "waiting", "superseded"]
    snapshot_date: str = ""
    rows: int = 0
    quarantined: int = 0
    not_found: int = 0
    drift: dict[str, int] = field(default_factory=dict)
    remaining: int = 0

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def parquet_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def runs_in_keys(keys: list[str]) -> list[str]:
    """The runs named by bronze object keys (other keys are ignored, like an S3 filter would)."""
    runs = {m.group(2) for k in keys if (m := BRONZE_KEY_RE.match(k))}
    return sorted(runs)


def latest_run_for(deps: Deps, snapshot: date) -> str | None:
    """The newest run with bronze data for this day (run ids sort by start time).

    Read from one day's bronze listing, so the cost does not grow with the lake's age.
    """
    prefix = f"{BRONZE_PREFIX}snapshot_date={snapshot.isoformat()}/"
    runs = {m.group(2) for k in deps.bronze.list_keys(prefix) if (m := BRONZE_KEY_RE.match(k))}
    return max(runs) if runs else None


def build_run(deps: Deps, run_id: str, *, force: bool = False) -> SilverOutcome:
    """Build the silver snapshot of a run, if the run is complete and the latest of its day."""
    from cinelake.silver.transform import build_silver

    ledger = deps.ledger
    manifest = ledger.manifest(run_id)
    progress = ledger.progress(run_id)
    if not progress.complete and not force:
        return SilverOutcome(run_id, "waiting", remaining=progress.remaining)
    snapshot = manifest.snapshot_date
    latest = latest_run_for(deps, snapshot)
    if latest is not None and latest != run_id:
        # A newer run owns this day's snapshot; an old redrive must not overwrite it.
        # Recorded, so nothing keeps trying to finish this run.
        outcome = SilverOutcome(run_id, "superseded", snapshot.isoformat())
        ledger.write_report(run_id, "silver", outcome.as_dict() | {"superseded_by": latest})
        return outcome
    keys = [o.key for o in deps.bronze.list(bronze_prefix(snapshot, run_id))]
    with local_copies(deps.bronze, keys) as files:
        build = build_silver(
            files, snapshot_date=snapshot, run_id=run_id, ingested_at=deps.clock.now()
        )
    checkpoint("before_silver_write")
    # Quarantine first: the movies write raises the event gold listens to.
    deps.silver.put(quarantine_key(snapshot), parquet_bytes(build.quarantine))
    deps.silver.put(movies_key(snapshot), parquet_bytes(build.movies))
    outcome = SilverOutcome(
        run_id, "built", snapshot.isoformat(), rows=build.movies.num_rows,
        quarantined=build.quarantine.num_rows, not_found=len(build.not_found),
        drift=dict(build.drift),
    )
    report = outcome.as_dict() | {
        "quarantined_ids": [x for x in build.quarantine.column("requested_imdb_id").to_pylist()],
        "records_read": build.records_read,
    }
    ledger.write_report(run_id, "silver", report)
    if build.drift:
        get_logger().warning(
            "schema drift: OMDb sent fields the silver contract does not know",
            extra={"run_id": run_id, "fields": dict(build.drift)},
        )
    return outcome


def on_bronze_created(deps: Deps, keys: list[str]) -> list[SilverOutcome]:
    return [build_run(deps, run_id) for run_id in runs_in_keys(keys)]
