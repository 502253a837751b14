"""A day's data-quality figures as the silver stage writes them, for a clean day unless a test
says otherwise (shared by the quality unit, gold and dashboard tests)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cinelake.quality import Facts


def clean_facts(
    snapshot_date: str, source_movies: int, *, movies_expected: int = 100, **changes: Any
) -> Facts:
    """Every listed movie answered and in silver; nothing quarantined, missing or stale."""
    facts = Facts(
        snapshot_date=snapshot_date,
        run_id=f"{snapshot_date.replace('-', '')}T030000Z-abcdef",
        movies_expected=movies_expected,
        source_movies=source_movies,
        silver_rows=source_movies,
        quarantined=0,
        not_found=0,
        dead_lettered=0,
        pending=0,
        stale=0,
        rank_gaps=0,
        drift_fields=0,
        answered=source_movies,
        answered_movies=source_movies,
        nulls={},
    )
    return replace(facts, **changes)
