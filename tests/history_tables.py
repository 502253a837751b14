"""Gold history tables (``movers``, ``rank_history``) for dashboard tests, built from day lists.

The movers here are computed the plain way, straight from the lists, independently of the gold
code: previous = the latest earlier day given; first day = every movie ``new`` with no previous.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MOVERS_SCHEMA = pa.schema(
    [
        ("snapshot_date", pa.date32()),
        ("previous_snapshot_date", pa.date32()),
        ("imdb_id", pa.string()),
        ("title", pa.string()),
        ("rank", pa.int32()),
        ("previous_rank", pa.int32()),
        ("rank_change", pa.int32()),
        ("status", pa.string()),
    ]
)
RANK_HISTORY_SCHEMA = pa.schema(
    [
        ("snapshot_date", pa.date32()),
        ("imdb_id", pa.string()),
        ("title", pa.string()),
        ("rank", pa.int32()),
        ("imdb_rating", pa.float64()),
        ("imdb_votes", pa.int64()),
    ]
)

DayLists = Mapping[date, Sequence[str]]


def title_of(imdb_id: str) -> str:
    return f"Movie {imdb_id}"


def history_tables(days: DayLists, titles: Mapping[str, str] | None = None) -> dict[str, pa.Table]:
    """``{"movers": ..., "rank_history": ...}`` for ``days`` ({date: ids in rank order})."""
    titles = titles or {}
    m_day, m_prev_day, m_id, m_title, m_rank, m_prev, m_change, m_status = ([] for _ in range(8))
    r_day, r_id, r_title, r_rank = [], [], [], []
    previous_day: date | None = None
    previous: dict[str, int] = {}
    for day in sorted(days):
        current = {imdb_id: i + 1 for i, imdb_id in enumerate(days[day])}
        for imdb_id in list(current) + [i for i in previous if i not in current]:
            rank, before = current.get(imdb_id), previous.get(imdb_id)
            if rank is None:
                status = "exited"
            elif before is None:
                status = "new"
            else:
                status = "up" if before > rank else "down" if before < rank else "same"
            title = titles.get(imdb_id) or title_of(imdb_id)
            m_day.append(day)
            m_prev_day.append(previous_day)
            m_id.append(imdb_id)
            m_title.append(title)
            m_rank.append(rank)
            m_prev.append(before)
            m_change.append(before - rank if rank is not None and before is not None else None)
            m_status.append(status)
            if rank is not None:
                r_day.append(day)
                r_id.append(imdb_id)
                r_title.append(title)
                r_rank.append(rank)
        previous_day, previous = day, current
    movers = [m_day, m_prev_day, m_id, m_title, m_rank, m_prev, m_change, m_status]
    n = len(r_day)
    ranked = [r_day, r_id, r_title, r_rank, [8.0] * n, [1000] * n]
    return {
        "movers": pa.table(
            dict(zip(MOVERS_SCHEMA.names, movers, strict=True)), schema=MOVERS_SCHEMA
        ),
        "rank_history": pa.table(
            dict(zip(RANK_HISTORY_SCHEMA.names, ranked, strict=True)), schema=RANK_HISTORY_SCHEMA
        ),
    }


def write_partitioned(gold_dir: Path, tables: Mapping[str, pa.Table]) -> None:
    """Write each table as ``<dataset>/snapshot_date=YYYY-MM-DD/data.parquet``, the date only in
    the path (as gold writes history)."""
    for name, table in tables.items():
        dates = table.column("snapshot_date")
        for day in sorted(set(dates.to_pylist())):
            part = table.filter(pa.compute.equal(dates, pa.scalar(day, dates.type)))
            folder = gold_dir / name / f"snapshot_date={day.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(part.drop_columns(["snapshot_date"]), folder / "data.parquet")


def synthetic_days(start: date, count: int, size: int, *, seed: int = 13) -> dict[date, list[str]]:
    """``count`` daily lists of ``size`` ids: every day a few swaps, two exits, two entries
    (sometimes a movie coming back)."""
    rng = random.Random(seed)
    order = [f"tt{9_000_000 + i:07d}" for i in range(size)]
    next_id, gone = size, []
    days: dict[date, list[str]] = {}
    for n in range(count):
        if n:
            for _ in range(size // 20):
                i = rng.randrange(size - 1)
                order[i], order[i + 1] = order[i + 1], order[i]
            for _ in range(2):
                gone.append(order.pop(rng.randrange(len(order))))
            for _ in range(2):
                if gone and rng.random() < 0.3:
                    newcomer = gone.pop(rng.randrange(len(gone)))
                else:
                    newcomer, next_id = f"tt{9_000_000 + next_id:07d}", next_id + 1
                order.insert(rng.randrange(len(order) + 1), newcomer)
        days[start + timedelta(days=n)] = list(order)
    return days
