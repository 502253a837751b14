"""Read-only access to a local lake: no runtime lock, nothing created on a missing lake."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from cinelake import layout, models
from cinelake.adapters.queue import DeadLetter, LocalQueue, QueueCounts
from cinelake.adapters.storage import LocalObjectStore, ObjectNotFound
from cinelake.clock import Clock, SystemClock
from cinelake.ledger import RunLedger
from cinelake.objects import ObjectStore


class QueueView(Protocol):
    """What reading commands ask of a queue: the local one, or a deployed stack's SQS queues."""

    def counts(self) -> QueueCounts: ...

    def bodies(self) -> list[str]: ...

    def dead_letters(self) -> list[DeadLetter]: ...


@dataclass
class LakeView:
    root: Path
    bronze: ObjectStore
    silver: ObjectStore
    gold: ObjectStore
    queue: QueueView | None  # None while no queue file exists
    clock: Clock

    @cached_property
    def ledger(self) -> RunLedger:
        return RunLedger(self.bronze)

    def gold_manifest(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.gold.get(layout.GOLD_MANIFEST))
        except (ObjectNotFound, ValueError):
            return None
        return data if isinstance(data, dict) else None


def lake_exists(root: Path) -> bool:
    return layout.LocalLake(root).exists()


@contextlib.contextmanager
def open_lake(root: Path, *, clock: Clock | None = None) -> Iterator[LakeView]:
    """The lake's stores and queue for reading; the queue is opened only if it exists."""
    root = Path(root)
    lake = layout.LocalLake(root)
    clock = clock or SystemClock()
    queue = LocalQueue(lake.queue, clock=clock) if lake.queue.is_file() else None
    stores = {name: LocalObjectStore(lake.store(name), name) for name in layout.STORES}
    try:
        yield LakeView(root, **stores, queue=queue, clock=clock)
    finally:
        if queue is not None:
            queue.close()


def queued_ids_by_run(queue: QueueView | None) -> dict[str, set[str]]:
    """Which movies each run still has in the queue (visible, in flight or delayed)."""
    return {} if queue is None else models.queued_ids_by_run(queue.bodies())


parse_body = models.message_ids
