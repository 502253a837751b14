"""A snapshot's data-quality verdict as gold holds it (``data_quality``, ``data_quality_checks``):
what the run summary, ``status``, ``cinelake quality`` and the dashboard show. Gold is the one
home of the verdict; nothing here judges a check again."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from cinelake import layout
from cinelake.objects import ObjectNotFound, ObjectStore


@dataclass
class Verdict:
    snapshot_date: str
    run_id: str | None
    status: str
    failed_checks: str
    counts: dict[str, Any]
    checks: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rows(gold: ObjectStore, dataset: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        data = gold.get(layout.gold_data_key(dataset))
    except ObjectNotFound:
        return []
    return pq.read_table(io.BytesIO(data)).to_pylist()  # type: ignore[no-any-return]


def verdicts(gold: ObjectStore) -> list[Verdict]:
    """Every snapshot's verdict, oldest first (without the checks)."""
    out = []
    for row in _rows(gold, "data_quality"):
        day = row.pop("snapshot_date")
        out.append(
            Verdict(
                snapshot_date=day.isoformat(),
                run_id=row.pop("run_id"),
                status=row.pop("status"),
                failed_checks=row.pop("failed_checks") or "",
                counts=row,
            )
        )
    return out


def verdict(gold: ObjectStore, day: date | None = None) -> Verdict | None:
    """The verdict of ``day`` (the latest snapshot's when None) with its checks; None when gold
    has none for it."""
    every = verdicts(gold)
    if day is not None:
        every = [v for v in every if v.snapshot_date == day.isoformat()]
    if not every:
        return None
    chosen = every[-1]
    chosen.checks = [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
        for r in _rows(gold, "data_quality_checks")
        if r["snapshot_date"].isoformat() == chosen.snapshot_date
    ]
    for r in chosen.checks:
        r.pop("snapshot_date", None)
    return chosen
