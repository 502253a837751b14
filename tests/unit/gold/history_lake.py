"""A lake of silver lists only (no OMDb needed) and a gold build over it, for history tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from cinelake import layout
from cinelake.adapters.storage import LocalObjectStore
from cinelake.clock import FakeClock
from cinelake.config import Settings
from cinelake.models import RunManifest, SourceMovie
from cinelake.stages import gold as gold_stage
from cinelake.stages.silver import day_list
from cinelake.tables import parquet_bytes


class RecordingStore(LocalObjectStore):
    """A local store that remembers which keys were written and deleted."""

    def __init__(self, root: Path, bucket: str) -> None:
        super().__init__(root, bucket)
        self.puts: list[str] = []
        self.deletes: list[str] = []

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        self.puts.append(key)
        super().put(key, data, content_type)

    def delete(self, key: str) -> None:
        self.deletes.append(key)
        super().delete(key)


@dataclass
class HistoryLake:
    root: Path
    clock: FakeClock = field(default_factory=FakeClock)
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        lake = layout.LocalLake(self.root)
        self.silver = RecordingStore(lake.silver, "silver")
        self.gold = RecordingStore(lake.gold, "gold")

    def checkpoint(self, name: str) -> None:
        pass

    def put_list(self, day: date, movies: Iterable[tuple[int, str, str]]) -> None:
        """The day's list as the silver stage writes it: (rank, imdb_id, title) per movie."""
        run_id = f"{day:%Y%m%d}T000000Z-abcdef"
        manifest = RunManifest(
            run_id=run_id,
            snapshot_date=day,
            started_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
            source="test",
            top_n=1000,
            batch_size=10,
            movies=[SourceMovie(imdb_id=i, rank=r, title=t) for r, i, t in movies],
        )
        self.silver.put(layout.lists_key(day), parquet_bytes(day_list(manifest)))

    def put_movies(self, day: date, table: pa.Table) -> None:
        self.silver.put(layout.movies_key(day), parquet_bytes(table))

    def drop_day(self, day: date) -> None:
        for key in (layout.lists_key(day), layout.movies_key(day)):
            if self.silver.exists(key):
                self.silver.delete(key)

    def build(self, *, full: bool = False) -> gold_stage.GoldOutcome:
        self.gold.puts.clear()
        self.gold.deletes.clear()
        return gold_stage.build_and_publish(self, full=full)  # type: ignore[arg-type]

    def query(self, sql: str) -> list[tuple]:
        from cinelake.query import connect

        con = connect(self.root)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
