"""The silver contract, defined once.

``MOVIES_COLUMNS`` and ``QUARANTINE_COLUMNS`` are the single source of the silver
tables. Everything else is derived from them:

* the Arrow/Parquet schemas (:func:`arrow_schema`, :func:`quarantine_arrow_schema`),
  which leave out the partition column because files live under
  ``.../snapshot_date=YYYY-MM-DD/`` and the column comes from the path;
* the validation every output table passes through (:func:`conform`);
* the Hive/Athena column types (:func:`hive_columns`, :func:`quarantine_hive_columns`);
* the documentation (:func:`markdown_table`, :func:`render_doc`):
  ``python -m cinelake.silver.schema > docs/silver_schema.md`` regenerates the doc,
  and a test fails when the committed file differs.

The quarantine reason codes are part of the contract too (:data:`REASON_CODES`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from cinelake import tables

__all__ = [
    "ENRICHMENT_STATES",
    "IMDB_ID_PATTERN",
    "LISTS_COLUMNS",
    "LISTS_TABLE",
    "MOVIES_COLUMNS",
    "MOVIES_TABLE",
    "QUARANTINE_COLUMNS",
    "QUARANTINE_TABLE",
    "REASON_CODES",
    "ColumnSpec",
    "SchemaViolation",
    "arrow_schema",
    "column",
    "conform",
    "conform_lists",
    "conform_movies",
    "conform_quarantine",
    "hive_columns",
    "hive_type",
    "lists_arrow_schema",
    "lists_hive_columns",
    "markdown_table",
    "quarantine_arrow_schema",
    "quarantine_hive_columns",
    "render_doc",
]

MOVIES_TABLE = "silver_movies"
QUARANTINE_TABLE = "silver_quarantine"
LISTS_TABLE = "silver_lists"
PARTITION_COLUMN = "snapshot_date"
IMDB_ID_PATTERN = r"^tt[0-9]{7,9}$"


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a silver table.

    ``minimum``/``maximum``/``pattern``/``allowed`` are value constraints: the transform
    quarantines records that break them, and :func:`conform` re-checks every output table.
    """

    name: str
    type: pa.DataType
    nullable: bool
    description: str
    partition: bool = False
    minimum: int | float | None = None
    maximum: int | float | None = None
    pattern: str | None = None
    allowed: tuple[str, ...] | None = None

    @property
    def hive_type(self) -> str:
        return hive_type(self.type)

    @property
    def constraint_text(self) -> str:
        parts = []
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"{self.minimum}–{self.maximum}")
        elif self.minimum is not None:
            parts.append(f">= {self.minimum}")
        elif self.maximum is not None:
            parts.append(f"<= {self.maximum}")
        if self.pattern is not None:
            parts.append(f"matches `{self.pattern}`")
        if self.allowed is not None:
            parts.append("one of " + ", ".join(f"`{v}`" for v in self.allowed))
        return "; ".join(parts)


_NAMES = pa.list_(pa.string())
_UTC = pa.timestamp("us", tz="UTC")


def _names(name: str, what: str) -> ColumnSpec:
    return ColumnSpec(
        name,
        _NAMES,
        False,
        f"{what}, split on commas into trimmed strings; repeats dropped, first-seen "
        "order kept; empty (never null) when unknown.",
    )


def _award(name: str, what: str) -> ColumnSpec:
    return ColumnSpec(
        name,
        pa.int32(),
        True,
        f"{what}, parsed from the awards text; 0 when the text exists but does not "
        "mention it; null when the awards are unknown.",
        minimum=0,
    )


ENRICHMENT_STATES: tuple[str, ...] = ("fresh", "stale", "pending")

MOVIES_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "imdb_id",
        pa.string(),
        False,
        "IMDb id asked for, confirmed by OMDb's `imdbID`.",
        pattern=IMDB_ID_PATTERN,
    ),
    ColumnSpec(
        "snapshot_date",
        pa.date32(),
        False,
        "Day of the top-list snapshot. Partition column: taken from the path "
        "`snapshot_date=YYYY-MM-DD`, not stored in the Parquet files.",
        partition=True,
    ),
    ColumnSpec("run_id", pa.string(), False, "Pipeline run that fetched the OMDb answer."),
    ColumnSpec(
        "source_rank", pa.int32(), False, "Rank of the movie in the source top list.", minimum=1
    ),
    ColumnSpec(
        "source_rating",
        pa.float64(),
        True,
        "The source's own rating of the movie, beside OMDb's `imdb_rating`: `averageRating` "
        "of IMDb's datasets (`imdb-datasets`), or a list's rating column; null when the "
        "source has none.",
        minimum=0,
        maximum=10,
    ),
    ColumnSpec(
        "source_votes",
        pa.int64(),
        True,
        "The source's own vote count, beside OMDb's `imdb_votes`: `numVotes` of IMDb's "
        "datasets, or a list's votes column; null when the source has none.",
        minimum=0,
    ),
    ColumnSpec(
        "title",
        pa.string(),
        True,
        "OMDb `Title`, exactly as received (Unicode intact, no escaping).",
    ),
    ColumnSpec(
        "type",
        pa.string(),
        True,
        "OMDb `Type`, lowercased.",
        allowed=("movie", "series", "episode"),
    ),
    ColumnSpec(
        "year",
        pa.int32(),
        True,
        "First year from OMDb `Year` (the start of a series' range).",
        minimum=1870,
    ),
    ColumnSpec(
        "end_year",
        pa.int32(),
        True,
        "Last year of a finished series (`2008–2013` -> 2013); null otherwise: running "
        "series (`2019–`), single years, movies and episodes.",
        minimum=1870,
    ),
    ColumnSpec("rated", pa.string(), True, "OMDb `Rated` (certificate, e.g. `PG-13`)."),
    ColumnSpec("released", pa.date32(), True, "OMDb `Released` (`14 Oct 1994`)."),
    ColumnSpec(
        "runtime_minutes", pa.int32(), True, "OMDb `Runtime` (`142 min`) in minutes.", minimum=0
    ),
    _names("genres", "OMDb `Genre`"),
    _names("directors", "OMDb `Director` without credit notes in parentheses"),
    _names("writers", "OMDb `Writer`, names only (notes like `(screenplay by)` removed)"),
    _names("actors", "OMDb `Actors`"),
    _names("languages", "OMDb `Language`"),
    _names("countries", "OMDb `Country`"),
    ColumnSpec("plot", pa.string(), True, "OMDb `Plot` (short)."),
    ColumnSpec("awards_text", pa.string(), True, "OMDb `Awards`, the free text as received."),
    _award("oscar_wins", "N of `Won N Oscar(s)`"),
    _award(
        "oscar_nominations",
        "N of `Nominated for N Oscar(s)` (only that phrase: `Won N Oscars` implies no count)",
    ),
    _award("award_wins", "N of `N win(s)` (e.g. `31 wins & 31 nominations total`)"),
    _award("award_nominations", "M of `M nomination(s)`"),
    ColumnSpec("poster_url", pa.string(), True, "OMDb `Poster` URL."),
    ColumnSpec(
        "imdb_rating",
        pa.float64(),
        True,
        "OMDb `imdbRating`.",
        minimum=0,
        maximum=10,
    ),
    ColumnSpec("imdb_votes", pa.int64(), True, "OMDb `imdbVotes` (`3,120,594`).", minimum=0),
    ColumnSpec(
        "metascore",
        pa.int32(),
        True,
        "OMDb `Metascore`; the Metacritic entry of `Ratings` (`82/100`) when that is missing.",
        minimum=0,
        maximum=100,
    ),
    ColumnSpec(
        "rotten_tomatoes",
        pa.int32(),
        True,
        "The Rotten Tomatoes entry of `Ratings` (`91%`).",
        minimum=0,
        maximum=100,
    ),
    ColumnSpec(
        "box_office_usd",
        pa.int64(),
        True,
        "OMDb `BoxOffice` in US dollars (`$28,767,189`); absent for series.",
        minimum=0,
    ),
    ColumnSpec("dvd_released", pa.date32(), True, "OMDb `DVD` release date; absent for series."),
    ColumnSpec("production", pa.string(), True, "OMDb `Production`; absent for series."),
    ColumnSpec("website", pa.string(), True, "OMDb `Website`; absent for series."),
    ColumnSpec("ingested_at", _UTC, False, "When the silver build ran (UTC)."),
    ColumnSpec(
        "enrichment",
        pa.string(),
        False,
        "How fresh the row's OMDb fields are: `fresh` (fetched within the cache TTL of the "
        "run's start), `stale` (the newest stored answer, past the TTL: the day's request "
        "budget went to other movies) or `pending` (no answer yet: OMDb fields empty, first "
        "in line the next day).",
        allowed=ENRICHMENT_STATES,
    ),
    ColumnSpec(
        "omdb_fetched_at",
        _UTC,
        True,
        "When the OMDb answer was fetched (UTC); null when `pending`.",
    ),
)
"""``silver_movies``: one row per movie per snapshot date. "N/A", "" and a missing key
are null for every scalar."""

QUARANTINE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "imdb_id",
        pa.string(),
        True,
        "IMDb id the OMDb answer is for (`imdbID`); null when the record has none.",
    ),
    ColumnSpec(
        "requested_imdb_id",
        pa.string(),
        True,
        "IMDb id that was asked for (the bronze line's `imdb_id`); null only when the "
        "line itself is unreadable.",
    ),
    ColumnSpec(
        "run_id", pa.string(), True, "Run of the bronze line; null when the line is unreadable."
    ),
    ColumnSpec(
        "snapshot_date",
        pa.date32(),
        False,
        "Snapshot being built. Partition column: taken from the path, not stored in files.",
        partition=True,
    ),
    ColumnSpec(
        "reasons",
        _NAMES,
        False,
        "Every reason the record was rejected, each `code: detail` "
        "(e.g. `rating_out_of_range: imdb_rating=11.2`); codes below.",
    ),
    ColumnSpec(
        "raw",
        pa.string(),
        False,
        "The bronze line exactly as read (JSON); for a line "
        "too large, its start; for a line that is not UTF-8, its bytes with the invalid "
        "ones escaped; empty for a movie missing from bronze.",
    ),
    ColumnSpec("quarantined_at", _UTC, False, "When the silver build ran (UTC)."),
)
"""``silver_quarantine``: found answers that failed validation, with all reasons."""

LISTS_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "source_rank", pa.int32(), False, "Rank of the movie in the day's top list.", minimum=1
    ),
    ColumnSpec(
        "imdb_id",
        pa.string(),
        False,
        "IMDb id the list names (whether or not OMDb found it).",
        pattern=IMDB_ID_PATTERN,
    ),
    ColumnSpec(
        "snapshot_date",
        pa.date32(),
        False,
        "Day of the list. Partition column: taken from the path, not stored in files.",
        partition=True,
    ),
    ColumnSpec("title", pa.string(), True, "Title as the list gives it; null when it has none."),
    ColumnSpec(
        "source_rating",
        pa.float64(),
        True,
        "The list's own rating of the movie; null when the list has none.",
        minimum=0,
        maximum=10,
    ),
    ColumnSpec(
        "source_votes",
        pa.int64(),
        True,
        "The list's own vote count; null when the list has none.",
        minimum=0,
    ),
    ColumnSpec(
        "run_id", pa.string(), False, "The run whose manifest is the day's list (the day's owner)."
    ),
)
"""``silver_lists``: the day's top list as its owning run asked for it, one row per movie,
OMDb's answers or not. History (movers, entries, exits) is computed from these lists."""

REASON_CODES: tuple[tuple[str, str], ...] = (
    ("invalid_json", "the bronze line is not a JSON object"),
    ("invalid_utf8", "the bronze line is not UTF-8 text"),
    (
        "line_too_large",
        "the bronze line is longer than the reader's limit (4 MiB); `raw` keeps its start",
    ),
    (
        "missing_from_bronze",
        "the run ledger records an answer for the movie but no bronze line "
        "of the day has it (a truncated or lost bronze part): fetch it again with `cinelake run "
        "--refresh`",
    ),
    ("invalid_snapshot_date", "the bronze line has no readable `snapshot_date`"),
    ("unsupported_bronze_version", "`bronze_version` is not 1"),
    ("invalid_status", "`status` is neither `found` nor `not_found`"),
    ("missing_run_id", "the bronze line has no `run_id`"),
    ("invalid_imdb_id", "the requested `imdb_id` is not tt + 7-9 digits"),
    (
        "invalid_source_rank",
        "the bronze line's `source_rank` (older lines: the source record's `rank`) is missing or not a positive integer",
    ),
    ("response_false", "status is `found` but the OMDb answer says `Response: False`"),
    ("missing_imdb_id", "the OMDb answer has no `imdbID`"),
    ("imdb_id_mismatch", "OMDb answered for another id than the one asked"),
    ("unparseable", "a typed field holds a value of the wrong form (detail: OMDb key=value)"),
    ("unknown_type", "`Type` is not movie, series or episode"),
    ("year_out_of_range", "the (first) year is before 1870"),
    ("end_year_before_year", "a year range ends before it starts"),
    ("rating_out_of_range", "`imdbRating` is outside 0-10"),
    ("negative_votes", "`imdbVotes` is negative"),
    ("negative_box_office", "`BoxOffice` is negative"),
    ("metascore_out_of_range", "`Metascore`/Metacritic is outside 0-100"),
    ("rotten_tomatoes_out_of_range", "the Rotten Tomatoes percentage is outside 0-100"),
)
"""Quarantine reason codes (the part of each reason before ``": "``)."""


class SchemaViolation(ValueError):
    """A table does not conform to its silver schema."""


def column(name: str, columns: Sequence[ColumnSpec] = MOVIES_COLUMNS) -> ColumnSpec:
    """The spec of column ``name``."""
    for spec in columns:
        if spec.name == name:
            return spec
    raise KeyError(name)


def _schema(columns: Sequence[ColumnSpec], include_partition: bool) -> pa.Schema:
    return pa.schema(
        [
            pa.field(c.name, c.type, nullable=c.nullable)
            for c in columns
            if include_partition or not c.partition
        ]
    )


def arrow_schema(*, include_partition: bool = False) -> pa.Schema:
    """Arrow/Parquet schema of ``silver_movies`` (without ``snapshot_date`` by default)."""
    return _schema(MOVIES_COLUMNS, include_partition)


def quarantine_arrow_schema(*, include_partition: bool = False) -> pa.Schema:
    """Arrow/Parquet schema of the quarantine table (without ``snapshot_date`` by default)."""
    return _schema(QUARANTINE_COLUMNS, include_partition)


def lists_arrow_schema(*, include_partition: bool = False) -> pa.Schema:
    """Arrow/Parquet schema of ``silver_lists`` (without ``snapshot_date`` by default)."""
    return _schema(LISTS_COLUMNS, include_partition)


def hive_type(arrow_type: pa.DataType) -> str:
    """The Hive/Athena DDL type of an Arrow type, lower case (:func:`cinelake.tables.hive_type`)."""
    return tables.hive_type(arrow_type, upper=False)


def _hive(columns: Sequence[ColumnSpec], include_partition: bool) -> list[tuple[str, str]]:
    return [(c.name, c.hive_type) for c in columns if include_partition or not c.partition]


def hive_columns(include_partition: bool = False) -> list[tuple[str, str]]:
    """``(name, hive type)`` of ``silver_movies``, e.g. ``("genres", "array<string>")``."""
    return _hive(MOVIES_COLUMNS, include_partition)


def quarantine_hive_columns(include_partition: bool = False) -> list[tuple[str, str]]:
    """``(name, hive type)`` of the quarantine table."""
    return _hive(QUARANTINE_COLUMNS, include_partition)


def lists_hive_columns(include_partition: bool = False) -> list[tuple[str, str]]:
    """``(name, hive type)`` of ``silver_lists``."""
    return _hive(LISTS_COLUMNS, include_partition)


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def _check_values(spec: ColumnSpec, values: pa.ChunkedArray) -> None:
    """Raise when a present value breaks the column's constraints (nulls are skipped)."""
    if values.null_count == len(values):
        return
    if spec.minimum is not None or spec.maximum is not None:
        low_high = pc.min_max(values)
        low, high = low_high["min"].as_py(), low_high["max"].as_py()
        if spec.minimum is not None and low < spec.minimum:
            raise SchemaViolation(f"{spec.name}: {low} is below the minimum {spec.minimum}")
        if spec.maximum is not None and high > spec.maximum:
            raise SchemaViolation(f"{spec.name}: {high} is above the maximum {spec.maximum}")
    if (
        spec.pattern is not None
        and not pc.all(pc.match_substring_regex(values, spec.pattern)).as_py()
    ):
        raise SchemaViolation(f"{spec.name}: a value does not match {spec.pattern}")
    if spec.allowed is not None:
        unknown = {v for v in pc.unique(values).to_pylist() if v is not None} - set(spec.allowed)
        if unknown:
            raise SchemaViolation(f"{spec.name}: {sorted(unknown)} not one of {spec.allowed}")


def conform(table: pa.Table, columns: Sequence[ColumnSpec]) -> pa.Table:
    """Return ``table`` cast to the schema of ``columns`` (partition column excluded).

    Raises :class:`SchemaViolation` for a missing or extra column, a value that does not
    fit its type (casts are safe: no overflow, no truncation), a null in a non-nullable
    column or a value breaking the column's constraints.
    """
    schema = _schema(columns, include_partition=False)
    specs = [c for c in columns if not c.partition]
    missing = [n for n in schema.names if n not in table.column_names]
    extra = [n for n in table.column_names if n not in schema.names]
    if missing or extra:
        raise SchemaViolation(f"columns differ: missing {missing}, unexpected {extra}")
    arrays = []
    for spec, field in zip(specs, schema, strict=True):
        values = table.column(spec.name)
        try:
            if not values.type.equals(field.type):
                values = values.cast(field.type, safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SchemaViolation(f"{spec.name}: cannot be {field.type}: {exc}") from exc
        if not spec.nullable and values.null_count:
            raise SchemaViolation(f"{spec.name}: {values.null_count} nulls in a required column")
        _check_values(spec, values)
        arrays.append(values)
    return pa.Table.from_arrays(arrays, schema=schema)


def conform_movies(table: pa.Table) -> pa.Table:
    """:func:`conform` against ``silver_movies``."""
    return conform(table, MOVIES_COLUMNS)


def conform_quarantine(table: pa.Table) -> pa.Table:
    """:func:`conform` against the quarantine table."""
    return conform(table, QUARANTINE_COLUMNS)


def conform_lists(table: pa.Table) -> pa.Table:
    """:func:`conform` against ``silver_lists``."""
    return conform(table, LISTS_COLUMNS)


# --------------------------------------------------------------------------------------
# Documentation
# --------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(columns: Sequence[ColumnSpec] = MOVIES_COLUMNS) -> str:
    """A Markdown table of ``columns`` (``silver_movies`` by default)."""
    lines = [
        "| Column | Arrow type | Hive type | Nullable | Constraints | Description |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in columns:
        name = f"`{c.name}`" + (" (partition)" if c.partition else "")
        lines.append(
            "| "
            + " | ".join(
                [
                    name,
                    f"`{c.type}`",
                    f"`{c.hive_type}`",
                    "yes" if c.nullable else "no",
                    _md_cell(c.constraint_text),
                    _md_cell(c.description),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def render_doc() -> str:
    """The full text of ``docs/silver_schema.md``."""
    reasons = "\n".join(f"| `{code}` | {_md_cell(text)} |" for code, text in REASON_CODES)
    return f"""<!-- Generated by `python -m cinelake.silver.schema > docs/silver_schema.md`.
     Do not edit by hand: change src/cinelake/silver/schema.py and regenerate. -->

# Silver schema

The silver stage turns the bronze OMDb answers (newline-delimited JSON) into typed,
validated tables. This document is generated from `cinelake.silver.schema`, the single
definition of the Arrow/Parquet schema, the validation and the Hive/Athena types.

Every table is partitioned by `snapshot_date`: Parquet files live under
`snapshot_date=YYYY-MM-DD/` and do not contain that column. For every scalar column,
OMDb's `"N/A"`, an empty string and a missing key all become null.

## `{MOVIES_TABLE}`

One row per movie per snapshot date, sorted by `source_rank`.

{markdown_table(MOVIES_COLUMNS)}
## `{QUARANTINE_TABLE}`

Found answers that failed validation, with all of their reasons. One bad record never
stops the others. Movies OMDb did not find are not quarantined: they are reported
separately as `not_found`.

{markdown_table(QUARANTINE_COLUMNS)}
## `{LISTS_TABLE}`

The day's top list exactly as the run that owns the day asked for it: one row per movie of
its manifest, sorted by `source_rank`, including movies OMDb did not find or that were
quarantined. Written beside `{MOVIES_TABLE}` whenever a day's silver is built (and by
`cinelake rebuild`, so older lakes gain it). The gold history datasets (movers, rank history)
are computed from these lists; a day with movies but no list (a lake built before lists
existed, until `cinelake rebuild`) falls back to the movies' `source_rank` and `title`.

{markdown_table(LISTS_COLUMNS)}
### Reason codes

Each reason is `code: detail`, for example `rating_out_of_range: imdb_rating=11.2` or
`unparseable: Runtime="abc"`.

| Code | Meaning |
| --- | --- |
{reasons}
"""


def main() -> None:
    sys.stdout.write(render_doc())


if __name__ == "__main__":
    main()
