"""Data quality: the checks every snapshot is judged by, in one table.

``CHECKS`` is the one definition: each check's name, what it measures, its default warn and
fail thresholds and its direction. Evaluation (:func:`evaluate`), the settings' overrides
(``quality_thresholds`` in ``cinelake.toml``, validated against this table) and the docs
(:func:`checks_markdown`, in docs/gold_datasets.md) all come from it.

A check's value is a number (a share 0..1 or a count). Direction ``above``: the value is bad
when it is *above* the threshold (a share of quarantined rows); ``below``: bad when *below*
(the share of the top N the source list holds). A value equal to a threshold is on the good
side of it: ``warn`` needs the value beyond the warn threshold, ``fail`` beyond the fail one.
A check with no value for a snapshot (no previous day to compare with, no answered movie to
take a null rate over) is not evaluated: it has no row that day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "warn", "fail"]
Direction = Literal["above", "below"]

STATUSES: tuple[Status, ...] = ("pass", "warn", "fail")
"""From best to worst: a snapshot's status is its worst check's."""


@dataclass(frozen=True)
class Check:
    name: str
    measures: str
    warn: float
    fail: float
    direction: Direction
    unit: Literal["share", "count"]


CHECKS: tuple[Check, ...] = (
    Check(
        "source_list_coverage",
        "entries of the source list used / the top N asked for (a list shorter than asked)",
        1.0,
        0.9,
        "below",
        "share",
    ),
    Check(
        "rank_gaps",
        "ranks 1..n (n = entries of the source list) that no entry of the list holds "
        "(rank continuity)",
        0,
        5,
        "above",
        "count",
    ),
    Check(
        "list_shrink",
        "how much shorter the day's source list is than the previous snapshot's: "
        "1 - entries / previous entries (history; none for the first snapshot)",
        0.1,
        0.25,
        "above",
        "share",
    ),
    Check(
        "quarantined_share",
        "silver quarantine rows of the day / entries of the source list",
        0.0,
        0.05,
        "above",
        "share",
    ),
    Check("not_found", "movies OMDb did not find (the run's ledger)", 0, 10, "above", "count"),
    Check(
        "dead_lettered",
        "movies that failed every enrichment attempt (the run's ledger)",
        0,
        5,
        "above",
        "count",
    ),
    # Stale and pending rows are what the day's OMDb budget leaves by design (such a day is
    # complete, exit 0): they warn, and fail only with a fail threshold below 1 set.
    Check(
        "stale_share",
        "silver rows whose answer is past the cache TTL / silver rows (warn only by default: "
        "the day's budget)",
        0.1,
        1.0,
        "above",
        "share",
    ),
    Check(
        "pending_share",
        "silver rows with no OMDb answer yet / silver rows (warn only by default: the day's "
        "budget)",
        0.0,
        1.0,
        "above",
        "share",
    ),
    Check(
        "null_rate_imdb_rating",
        "answered silver rows without an IMDb rating / answered rows",
        0.02,
        0.1,
        "above",
        "share",
    ),
    Check(
        "null_rate_year",
        "answered silver rows without a year / answered rows",
        0.0,
        0.05,
        "above",
        "share",
    ),
    Check(
        "null_rate_genres",
        "answered silver rows without any genre / answered rows",
        0.02,
        0.1,
        "above",
        "share",
    ),
    Check(
        "null_rate_directors",
        "answered silver rows without any director / answered rows",
        0.05,
        0.2,
        "above",
        "share",
    ),
    Check(
        "null_rate_box_office",
        "answered silver rows of type movie without a box office / answered movies "
        "(OMDb has none for many older and non-US films, so only a mostly missing column "
        "is suspect)",
        0.6,
        0.9,
        "above",
        "share",
    ),
    Check(
        "schema_drift",
        "fields OMDb sent that the silver contract does not know (kept in bronze)",
        0,
        3,
        "above",
        "count",
    ),
    # The other half of schema drift: a field gone from OMDb's answers empties a silver column.
    Check(
        "schema_missing_fields",
        "fields the silver contract reads that found answers of the day lacked altogether "
        "(absent from the JSON; an N/A value is a null, for the null rates); DVD, BoxOffice, "
        "Production and Website are expected of movies only",
        0,
        1,
        "above",
        "count",
    ),
)

_BY_NAME = {c.name: c for c in CHECKS}


def check(name: str) -> Check:
    """The check called ``name`` (KeyError when there is none)."""
    return _BY_NAME[name]


def validate_overrides(overrides: Mapping[str, Mapping[str, float]]) -> None:
    """Raise ValueError naming the first override that is not a known check's warn/fail, or
    whose warn is beyond its fail."""
    for name, given in overrides.items():
        if name not in _BY_NAME:
            raise ValueError(f"unknown check {name!r} (one of {', '.join(_BY_NAME)})")
        for key in given:
            if key not in ("warn", "fail"):
                raise ValueError(f"{name}: unknown threshold {key!r} (warn or fail)")
        c = _BY_NAME[name]
        warn, fail = thresholds(c, overrides)
        if (c.direction == "above" and warn > fail) or (c.direction == "below" and warn < fail):
            raise ValueError(
                f"{name}: warn {warn:g} is beyond fail {fail:g} (direction {c.direction})"
            )


def thresholds(
    c: Check, overrides: Mapping[str, Mapping[str, float]] | None
) -> tuple[float, float]:
    """The check's (warn, fail): the table's defaults with the settings' overrides on top."""
    given = (overrides or {}).get(c.name, {})
    return float(given.get("warn", c.warn)), float(given.get("fail", c.fail))


def status_of(value: float, warn: float, fail: float, direction: Direction) -> Status:
    """``fail`` beyond the fail threshold, ``warn`` beyond the warn one, else ``pass``."""
    if direction == "above":
        return "fail" if value > fail else "warn" if value > warn else "pass"
    return "fail" if value < fail else "warn" if value < warn else "pass"


@dataclass(frozen=True)
class Result:
    check: str
    value: float
    threshold: float
    """The threshold the status is judged against: the fail threshold when it fails, else
    the warn threshold."""
    status: Status


def evaluate(
    values: Mapping[str, float | None],
    overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> list[Result]:
    """Each check with a value, in the order of ``CHECKS``."""
    out: list[Result] = []
    for c in CHECKS:
        value = values.get(c.name)
        if value is None:
            continue
        warn, fail = thresholds(c, overrides)
        status = status_of(float(value), warn, fail, c.direction)
        out.append(Result(c.name, float(value), fail if status == "fail" else warn, status))
    return out


def worst(statuses: Iterable[str]) -> Status:
    """The worst of the statuses (``pass`` when there is none)."""
    return max(statuses, key=STATUSES.index, default="pass")  # type: ignore[arg-type]


def describe(r: Result) -> str:
    """``name=value (warn above 0)``: a check that did not pass, for ``failed_checks``."""
    c = _BY_NAME[r.check]
    side = "above" if c.direction == "above" else "below"
    return f"{r.check}={_fmt(r.value)} ({r.status} {side} {_fmt(r.threshold)})"


def _fmt(x: float) -> str:
    return f"{x:.4g}" if x != int(x) else str(int(x))


# -- figures a snapshot's checks are computed from ------------------------------------------
@dataclass(frozen=True)
class Facts:
    """What the silver stage knows about the day it built (``silver/quality/``)."""

    snapshot_date: str
    run_id: str
    movies_expected: int
    source_movies: int
    silver_rows: int
    quarantined: int
    not_found: int
    dead_lettered: int
    pending: int
    stale: int
    rank_gaps: int
    drift_fields: int
    answered: int
    """silver rows with an OMDb answer (not pending): the base of the null rates."""
    answered_movies: int
    """of them, rows of type movie (the base of the box office null rate)."""
    nulls: Mapping[str, int]
    """answered rows without the column's value, by check name (``null_rate_*``)."""
    missing_fields: int | None = None
    """fields of the contract that found answers lacked (None: figures written before this
    was counted, so the check is not evaluated for that day)."""


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def values(facts: Facts, previous_source_movies: int | None) -> dict[str, float | None]:
    """Each check's value for the day (None: not evaluated)."""
    v: dict[str, float | None] = {
        "source_list_coverage": _share(facts.source_movies, facts.movies_expected),
        "rank_gaps": facts.rank_gaps,
        "list_shrink": (
            round(1 - facts.source_movies / previous_source_movies, 4)
            if previous_source_movies
            else None
        ),
        "quarantined_share": _share(facts.quarantined, facts.source_movies),
        "not_found": facts.not_found,
        "dead_lettered": facts.dead_lettered,
        "stale_share": _share(facts.stale, facts.silver_rows),
        "pending_share": _share(facts.pending, facts.silver_rows),
        "schema_drift": facts.drift_fields,
        "schema_missing_fields": facts.missing_fields,
    }
    for name, n in facts.nulls.items():
        base = facts.answered_movies if name == "null_rate_box_office" else facts.answered
        v[name] = _share(n, base)
    return v


def checks_markdown() -> str:
    """The check table as Markdown (docs)."""
    lines = [
        "| check | measures | warn | fail | bad when |",
        "|---|---|---|---|---|",
    ]
    for c in CHECKS:
        lines.append(
            f"| `{c.name}` | {c.measures} | {_fmt(c.warn)} | {_fmt(c.fail)} | "
            f"{c.direction} the threshold ({c.unit}) |"
        )
    return "\n".join(lines) + "\n"


def docs_section() -> str:
    """The data-quality section of docs/gold_datasets.md (after the datasets)."""
    return (
        "\n## Data-quality checks\n\n"
        "Each snapshot's checks (`data_quality_checks`) and verdict (`data_quality`, the "
        "worst check) come from this table (`cinelake.quality.CHECKS`). A value equal to a "
        "threshold is on the good side of it; a check without a value that day has no row. "
        "Override a threshold in `cinelake.toml`:\n\n"
        "```toml\n[quality_thresholds]\npending_share = { warn = 0.05, fail = 0.3 }\n```\n\n"
        + checks_markdown()
    )
