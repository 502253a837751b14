"""A snapshot's data quality: the day's figures (written by the silver stage beside the day's
silver) and the checks over every day's figures (the gold datasets ``data_quality`` and
``data_quality_checks``). The checks themselves are one table, :mod:`cinelake.quality`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, asdict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cinelake import quality
from cinelake.models import RunManifest
from cinelake.quality import Facts

# silver column -> the null-rate check over it
NULL_COLUMNS = {
    "imdb_rating": "null_rate_imdb_rating",
    "year": "null_rate_year",
    "genres": "null_rate_genres",
    "directors": "null_rate_directors",
    "box_office_usd": "null_rate_box_office",
}


def rank_gaps(ranks: Iterable[int]) -> int:
    """Ranks 1..n (n = number of entries) that no entry holds."""
    ranks = list(ranks)
    return len(set(range(1, len(ranks) + 1)) - set(ranks))


def day_facts(
    manifest: RunManifest,
    movies: pa.Table,
    *,
    quarantined: int,
    not_found: int,
    dead_lettered: int,
    drift: Mapping[str, int],
    missing: Mapping[str, int],
) -> Facts:
    """The day's figures from the run that owns it and the silver it built. ``quarantined``
    (the silver report's) and ``not_found``/``dead_lettered`` (the run's account) are the
    figures the run summary and ``status`` show. ``drift`` and ``missing``: the fields OMDb's
    answers had that the contract does not know, and those of the contract they lacked."""
    states = movies.column("enrichment")
    answered_mask = pc.fill_null(pc.not_equal(states, "pending"), True)
    answered = movies.filter(answered_mask)
    is_movie = pc.fill_null(pc.equal(answered.column("type"), "movie"), False)
    nulls: dict[str, int] = {}
    for column, name in NULL_COLUMNS.items():
        values = answered.column(column)
        absent = pc.is_null(values)
        if pa.types.is_list(values.type):
            absent = pc.or_(absent, pc.equal(pc.fill_null(pc.list_value_length(values), 0), 0))
        if name == "null_rate_box_office":
            absent = pc.and_(absent, is_movie)
        nulls[name] = int(pc.sum(pc.cast(absent, pa.int64())).as_py() or 0)
    state_list = states.to_pylist()
    return Facts(
        snapshot_date=manifest.snapshot_date.isoformat(),
        run_id=manifest.run_id,
        movies_expected=manifest.top_n,
        source_movies=len(manifest.movies),
        silver_rows=movies.num_rows,
        quarantined=quarantined,
        not_found=not_found,
        dead_lettered=dead_lettered,
        pending=state_list.count("pending"),
        stale=state_list.count("stale"),
        rank_gaps=rank_gaps(m.rank for m in manifest.movies),
        drift_fields=len(drift),
        answered=answered.num_rows,
        answered_movies=int(pc.sum(pc.cast(is_movie, pa.int64())).as_py() or 0),
        nulls=nulls,
        missing_fields=len(missing),
    )


def facts_bytes(facts: Facts) -> bytes:
    return json.dumps(asdict(facts) | {"nulls": dict(facts.nulls)}, sort_keys=True).encode()


def read_facts(data: bytes) -> Facts:
    """The figures of a ``silver/quality`` object (ValueError when it is not one)."""
    doc = json.loads(data)
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    try:
        return Facts(
            **{
                k: doc[k]
                for k, f in Facts.__dataclass_fields__.items()
                # a field added later (with a default) may be absent from older figures
                if k in doc or f.default is MISSING
            }
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"missing or bad field: {exc}") from None


def quality_tables(
    days: Iterable[Facts], overrides: Mapping[str, Mapping[str, float]] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``data_quality`` and ``data_quality_checks`` for every day, oldest first:
    each day's checks against the thresholds (defaults with ``overrides`` on top)."""
    from datetime import date

    summary: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    previous: int | None = None
    for f in sorted(days, key=lambda f: f.snapshot_date):
        day = date.fromisoformat(f.snapshot_date)
        results = quality.evaluate(quality.values(f, previous), overrides)
        previous = f.source_movies
        for r in results:
            checks.append(
                {
                    "snapshot_date": day,
                    "check": r.check,
                    "value": r.value,
                    "threshold": r.threshold,
                    "status": r.status,
                }
            )
        summary.append(
            {
                "snapshot_date": day,
                "run_id": f.run_id,
                "movies_expected": f.movies_expected,
                "source_movies": f.source_movies,
                "silver_rows": f.silver_rows,
                "quarantined": f.quarantined,
                "not_found": f.not_found,
                "dead_lettered": f.dead_lettered,
                "pending": f.pending,
                "stale": f.stale,
                "status": quality.worst(r.status for r in results),
                "failed_checks": "; ".join(
                    quality.describe(r) for r in results if r.status != "pass"
                ),
            }
        )
    return summary, checks
