"""Read-only access to a local lake: no runtime lock, nothing created on a missing lake."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cinelake import models
from cinelake.adapters.queue import LocalQueue
from cinelake.adapters.storage import LocalObjectStore, ObjectNotFound
from cinelake.clock import Clock, SystemClock
from cinelake.ledger import RunLedger

QUEUE_FILE = Path("_state") / "queue.sqlite3"


@dataclass
class LakeView:
    root: Path
    bronze: LocalObjectStore
    silver: LocalObjectStore
    gold: LocalObjectStore
    queue: LocalQueue | None  # None while no queue file exists
    clock: Clock

    @property
    def ledger(self) -> RunLedger:
        return RunLedger(self.bronze)

    def gold_manifest(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.gold.get("_manifest.json"))
        except (ObjectNotFound, ValueError):
            return None
        return data if isinstance(data, dict) else None


def lake_exists(root: Path) -> bool:
    return (Path(root) / "bronze").is_dir() or (Path(root) / QUEUE_FILE).is_file()


@contextlib.contextmanager
def open_lake(root: Path, *, clock: Clock | None = None) -> Iterator[LakeView]:
    """The lake's stores and queue for reading; the queue is opened only if it exists."""
    root = Path(root)
    clock = clock or SystemClock()
    queue_file = root / QUEUE_FILE
    queue = LocalQueue(queue_file, clock=clock) if queue_file.is_file() else None
    try:
        yield LakeView(
            root, bronze=LocalObjectStore(root / "bronze", "bronze"),
            silver=LocalObjectStore(root / "silver", "silver"),
            gold=LocalObjectStore(root / "gold", "gold"), queue=queue, clock=clock,
        )
    finally:
        if queue is not None:
            queue.close()


def queued_ids_by_run(queue: LocalQueue | None) -> dict[str, set[str]]:
    """Which movies each run still has in the queue (visible, in flight or delayed)."""
    return {} if queue is None else models.queued_ids_by_run(queue.bodies())


parse_body = models.message_ids
