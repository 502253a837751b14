"""Bronze OMDb answers -> the typed, validated ``silver_movies`` table (set-wise, in DuckDB).

At 100,000 records what costs is per-object overhead, not parsing, so no record is ever
a Python object here. DuckDB reads the bronze NDJSON files as lines, decodes each with
one ``json_transform`` into a struct, parses the values with the SQL macros of
:mod:`cinelake.silver.parsers` and collects every quarantine reason of a record in a
list expression. Python only receives Arrow tables and checks them against
:mod:`cinelake.silver.schema`.

Steps, in one private in-memory DuckDB (compressed, memory-limited):

1. ``parsed``: every line with its typed columns, its reasons, the raw text (rejected
   lines only) and a ``selected`` flag: its ``snapshot_date`` is the build's and its
   ``run_id`` the requested one, if any. Lines that are not a JSON object, or have no
   readable ``snapshot_date``, belong to no other build: they are selected (and then
   quarantined).
2. ``latest``: one answer per requested ``imdb_id`` (at-least-once duplicates, and the
   answers of several runs of the day): a good answer (found, no reasons) wins over a bad
   one (not found, or quarantinable), so a later failed fetch cannot replace a good one;
   among equals the latest ``fetch.fetched_at`` wins (ties: the later file in the
   argument list, then a stable hash of the line). A movie with only bad answers keeps
   the newest of them.
3. Routing: no reasons + found -> ``movies`` (leaving DuckDB in rank order, slice by
   slice); no reasons + not_found -> ``not_found``; any reason -> ``quarantine`` with
   all of them. Drift (keys the contract does not know) and missing fields (keys it reads
   that an answer lacks) are counted over the found answers kept in step 2.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa

from cinelake.bronze import SUPPORTED_VERSIONS, envelope_shape
from cinelake.silver import schema
from cinelake.silver.parsers import register_parsers

__all__ = [
    "IGNORED_OMDB_KEYS",
    "KNOWN_OMDB_KEYS",
    "MOVIE_ONLY_OMDB_KEYS",
    "OMDB_FIELDS",
    "RejectedLine",
    "SilverBuild",
    "build_silver",
    "rejected_rows",
]

OMDB_FIELDS: Final[dict[str, Any]] = {
    "Title": "VARCHAR",
    "Year": "VARCHAR",
    "Rated": "VARCHAR",
    "Released": "VARCHAR",
    "Runtime": "VARCHAR",
    "Genre": "VARCHAR",
    "Director": "VARCHAR",
    "Writer": "VARCHAR",
    "Actors": "VARCHAR",
    "Plot": "VARCHAR",
    "Language": "VARCHAR",
    "Country": "VARCHAR",
    "Awards": "VARCHAR",
    "Poster": "VARCHAR",
    "Ratings": [{"Source": "VARCHAR", "Value": "VARCHAR"}],
    "Metascore": "VARCHAR",
    "imdbRating": "VARCHAR",
    "imdbVotes": "VARCHAR",
    "imdbID": "VARCHAR",
    "Type": "VARCHAR",
    "DVD": "VARCHAR",
    "BoxOffice": "VARCHAR",
    "Production": "VARCHAR",
    "Website": "VARCHAR",
    "Response": "VARCHAR",
}
"""OMDb answer keys the silver contract reads, with the shape they are decoded to."""

IGNORED_OMDB_KEYS: Final[frozenset[str]] = frozenset(
    {
        "totalSeasons",  # series: known, deliberately not in the contract
        "Season",  # episode answers
        "Episode",
        "seriesID",
        "Error",  # the not-found answer's message
    }
)
"""OMDb keys that are known but deliberately unused: never reported as drift."""

KNOWN_OMDB_KEYS: Final[frozenset[str]] = frozenset(OMDB_FIELDS) | IGNORED_OMDB_KEYS
"""Any other key in a found answer is drift."""

MOVIE_ONLY_OMDB_KEYS: Final[frozenset[str]] = frozenset(
    {"DVD", "BoxOffice", "Production", "Website"}
)
"""Keys of ``OMDB_FIELDS`` OMDb sends for movies only: a series', an episode's or a game's answer
has none of them, so only an answer of type movie is expected to have them."""

_ENVELOPE: Final[dict[str, Any]] = envelope_shape(OMDB_FIELDS)
"""The bronze record's envelope as read here (:mod:`cinelake.bronze`, beside its writer)."""

_DELIMITER: Final = "\x01"
"""A byte JSON text never contains unescaped, so each line is read as one column."""

_DETAIL_CHARS: Final = 80

MAX_BRONZE_LINE_BYTES: Final = 4 * 1024 * 1024
"""The longest bronze line the reader takes (an OMDb answer is capped at fetch time by the
``max_answer_bytes`` setting, at most 2 MiB, plus a source record that fits a queue message).
A longer line is quarantined as ``line_too_large``, never read whole into DuckDB."""

_RAW_PREFIX_CHARS: Final = 1000
"""How much of a line too large, or not UTF-8, the quarantine keeps in ``raw``."""

_ID_RE: Final = re.compile(rb'"imdb_id"\s*:\s*"(tt[0-9]{7,9})"')
_RUN_RE: Final = re.compile(rb'"run_id"\s*:\s*"([0-9]{8}T[0-9]{6}Z-[0-9a-f]{6})"')
_SCAN_BYTES: Final = 4096
"""Where the envelope's ``imdb_id`` and ``run_id`` are looked for in a damaged line (they
come first in every line cinelake writes)."""
_CONTROL_RE: Final = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Raw control bytes: never in JSON text (it escapes them); a line with one is not JSON."""
_NOT_CONTROL: Final = bytes(b for b in range(256) if not _CONTROL_RE.match(bytes([b])))
"""Every byte but the raw control bytes: ``data.translate(None, _NOT_CONTROL)`` keeps only
the control bytes, ~10x faster than searching with ``_CONTROL_RE`` (a rebuild screens every
bronze file)."""


@dataclass(frozen=True)
class SilverBuild:
    """The outcome of one silver build."""

    movies: pa.Table
    """Conforms to ``schema.arrow_schema()``; sorted by ``source_rank``."""
    quarantine: pa.Table
    """Conforms to ``schema.quarantine_arrow_schema()``."""
    not_found: list[str]
    """IMDb ids whose kept answer was ``not_found`` (no good answer, the newest not found),
    by source rank."""
    drift: dict[str, int]
    """OMDb answer keys the contract does not know -> how many found records had them."""
    records_read: int
    """Bronze lines selected for this build (snapshot/run filter passed), before dedup."""
    missing: dict[str, int] = field(default_factory=dict)
    """OMDb answer keys the contract reads (``OMDB_FIELDS``; the movie-only ones for movies
    only) -> how many found records lacked them altogether. A key present with ``"N/A"`` is
    not missing: that is a null value."""


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_str(v) for v in values) + "]::VARCHAR[]"


def _bounds(name: str) -> tuple[Any, Any]:
    spec = schema.column(name)
    return spec.minimum, spec.maximum


_REASON_MACROS: Final = (
    f"""
    CREATE OR REPLACE TEMP MACRO _show(v) AS
        coalesce(CAST(to_json(left(CAST(v AS VARCHAR), {_DETAIL_CHARS})) AS VARCHAR), 'null')
    """,
)


def _garbage(key: str, raw: str, parsed: str) -> tuple[str, str]:
    return (
        f"is_unparseable({raw}, {parsed})",
        f"'unparseable: {key}=' || _show({raw})",
    )


def _checks() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Every validation rule as (SQL condition, SQL reason text), in reason order.

    The first list applies to every line, the second to found answers only. Codes are
    those of ``schema.REASON_CODES``; the limits come from the schema's column specs.
    """
    year_min, _ = _bounds("year")
    rating_min, rating_max = _bounds("imdb_rating")
    meta_min, meta_max = _bounds("metascore")
    rt_min, rt_max = _bounds("rotten_tomatoes")
    rank_min, _ = _bounds("source_rank")
    allowed_types = _sql_list(schema.column("type").allowed or ())
    imdb_re = _sql_str(schema.IMDB_ID_PATTERN)
    every_line = [
        ("snap IS NULL", "'invalid_snapshot_date: snapshot_date=' || _show(snapshot_raw)"),
        (
            "bronze_version IS NULL OR bronze_version NOT IN ("
            f"{', '.join(_sql_str(v) for v in SUPPORTED_VERSIONS)})",
            "'unsupported_bronze_version: bronze_version=' || _show(bronze_version)",
        ),
        (
            "status IS NULL OR status NOT IN ('found', 'not_found')",
            "'invalid_status: status=' || _show(status)",
        ),
        ("run_id IS NULL", "'missing_run_id: run_id=null'"),
        (
            f"NOT coalesce(regexp_full_match(requested_imdb_id, {imdb_re}), false)",
            "'invalid_imdb_id: imdb_id=' || _show(requested_imdb_id)",
        ),
    ]
    found = [
        (
            f"source_rank IS NULL OR source_rank < {rank_min}",
            "'invalid_source_rank: rank=' || _show(rank_raw)",
        ),
        ("r.Response = 'False'", """'response_false: Response="False"'"""),
        ("answered_imdb_id IS NULL", "'missing_imdb_id: imdbID=null'"),
        (
            "answered_imdb_id <> requested_imdb_id",
            "'imdb_id_mismatch: requested=' || requested_imdb_id"
            " || ' answered=' || _show(answered_imdb_id)",
        ),
        _garbage("Year", "r.Year", "year_range"),
        _garbage("Released", "r.Released", "released"),
        _garbage("Runtime", "r.Runtime", "runtime_minutes"),
        _garbage("imdbRating", "r.imdbRating", "imdb_rating"),
        _garbage("imdbVotes", "r.imdbVotes", "imdb_votes"),
        _garbage("Metascore", "r.Metascore", "metascore_field"),
        _garbage("Ratings[Metacritic]", "metacritic_raw", "metacritic"),
        _garbage("Ratings[Rotten Tomatoes]", "rotten_tomatoes_raw", "rotten_tomatoes"),
        _garbage("BoxOffice", "r.BoxOffice", "box_office_usd"),
        _garbage("DVD", "r.DVD", "dvd_released"),
        (
            f"type IS NOT NULL AND NOT list_contains({allowed_types}, type)",
            "'unknown_type: Type=' || _show(r.Type)",
        ),
        (f"year < {year_min}", "'year_out_of_range: year=' || year"),
        ("end_year < year", "'end_year_before_year: year=' || year || ' end_year=' || end_year"),
        (
            f"imdb_rating < {rating_min} OR imdb_rating > {rating_max}",
            "'rating_out_of_range: imdb_rating=' || imdb_rating",
        ),
        ("imdb_votes < 0", "'negative_votes: imdb_votes=' || imdb_votes"),
        ("box_office_usd < 0", "'negative_box_office: box_office_usd=' || box_office_usd"),
        (
            f"metascore < {meta_min} OR metascore > {meta_max}",
            "'metascore_out_of_range: metascore=' || metascore",
        ),
        (
            f"rotten_tomatoes < {rt_min} OR rotten_tomatoes > {rt_max}",
            "'rotten_tomatoes_out_of_range: rotten_tomatoes=' || rotten_tomatoes",
        ),
    ]
    return every_line, found


def _reasons_sql() -> str:
    """The ``reasons`` list. Most records are clean, so one cheap OR of the conditions
    decides first; the list (a CASE per rule, then a filter) is built only for the rest."""
    every_line, found = _checks()

    def any_of(checks: list[tuple[str, str]]) -> str:
        return " OR ".join(f"coalesce(({condition}), false)" for condition, _ in checks)

    def listed(checks: list[tuple[str, str]]) -> str:
        cases = ",\n".join(f"CASE WHEN {c} THEN {m} END" for c, m in checks)
        return f"[{cases}]"

    return f"""CASE
        WHEN unreadable THEN ['invalid_json: the line is not a JSON object']
        WHEN NOT ({any_of(every_line)})
             AND (status IS DISTINCT FROM 'found' OR NOT ({any_of(found)}))
            THEN CAST([] AS VARCHAR[])
        ELSE list_filter(
            {listed(every_line)}
            || CASE WHEN status = 'found' THEN {listed(found)} ELSE [] END,
            lambda x: x IS NOT NULL)
    END"""


def _parse_sql(files_param: str, *, check_json: bool) -> str:
    """The query that decodes, parses and validates every line (step 1).

    With ``check_json`` every line is validated before it is decoded, and a malformed
    line becomes an ``invalid_json`` record. Validating costs one more parse of every
    line, and bronze is written by ``json.dumps``, so the build first runs without it;
    ``json_transform`` then fails on the first malformed line and the build reruns with
    the check (see :func:`_build`).
    """
    known_keys = _sql_list(sorted(KNOWN_OMDB_KEYS))
    # The contract's fields that decoded to NULL: absent, JSON null or not a value of the
    # field's shape (the movie-only ones count for movies only).
    null_fields = (
        "list_filter(["
        + ", ".join(
            f"CASE WHEN r.{key} IS NULL"
            + (" AND type = 'movie'" if key in MOVIE_ONLY_OMDB_KEYS else "")
            + f" THEN {_sql_str(key)} END"
            for key in sorted(OMDB_FIELDS)
        )
        + "], lambda k: k IS NOT NULL)"
    )
    envelope = _sql_str(json.dumps(_ENVELOPE))
    validity = "AND json_valid(line)" if check_json else ""
    return rf"""
    WITH lines AS (
        SELECT line, file_index
        FROM read_csv({files_param}, columns = {{'line': 'VARCHAR'}}, delim = $delim,
                      quote = '', escape = '', header = false, auto_detect = false,
                      strict_mode = false, max_line_size = {MAX_BRONZE_LINE_BYTES + 1024})
        WHERE regexp_matches(line, '\S')  -- blank lines are not records
    ),
    decoded AS (
        SELECT
            line,
            file_index,
            CASE WHEN regexp_matches(line, '^\s*\{{') {validity}
                THEN json_transform(line, {envelope}) END AS b
        FROM lines
    ),
    fields AS (
        SELECT
            line,
            file_index,
            b IS NULL AS unreadable,
            TRY_CAST(b.snapshot_date AS DATE) AS snap,
            -- Selection happens when the table is read, not here: a filter on the
            -- decoded struct would make DuckDB repeat the whole json_transform in it.
            unreadable OR snap IS NULL
                OR (snap = $snapshot_date AND ($run_id IS NULL OR b.run_id = $run_id))
                AS selected,
            b.snapshot_date AS snapshot_raw,
            b.bronze_version AS bronze_version,
            -- An unreadable line keeps the ids it still shows, so the movie it was meant
            -- for is named in quarantine (and a good answer elsewhere still wins over it).
            CASE WHEN b IS NULL THEN nullif(regexp_extract(left(line, {_SCAN_BYTES}),
                '"run_id"\s*:\s*"([0-9]{{8}}T[0-9]{{6}}Z-[0-9a-f]{{6}})"', 1), '')
                ELSE b.run_id END AS run_id,
            CASE WHEN b IS NULL THEN nullif(regexp_extract(left(line, {_SCAN_BYTES}),
                '"imdb_id"\s*:\s*"(tt[0-9]{{7,9}})"', 1), '')
                ELSE b.imdb_id END AS requested_imdb_id,
            b.status AS status,
            TRY_CAST(b.fetch.fetched_at AS TIMESTAMPTZ) AS fetched_at,
            -- The run's rank; older lines only have the IMDb-API record's own.
            coalesce(b.source_rank, b.source.rank) AS rank_raw,
            b.response AS r
        FROM decoded
    ),
    typed AS (
        SELECT
            *,
            parse_int_grouped(rank_raw) AS source_rank,
            parse_na(r.imdbID) AS answered_imdb_id,
            parse_na(r.Title) AS title,
            lower(parse_na(r.Type)) AS type,
            parse_year_range(r.Year) AS year_range,
            parse_na(r.Rated) AS rated,
            parse_omdb_date(r.Released) AS released,
            parse_minutes(r.Runtime) AS runtime_minutes,
            split_names(r.Genre) AS genres,
            split_credited_names(r.Director) AS directors,
            split_credited_names(r.Writer) AS writers,
            split_names(r.Actors) AS actors,
            split_names(r.Language) AS languages,
            split_names(r.Country) AS countries,
            parse_na(r.Plot) AS plot,
            parse_na(r.Awards) AS awards_text,
            parse_awards(r.Awards) AS awards,
            parse_na(r.Poster) AS poster_url,
            parse_decimal(r.imdbRating) AS imdb_rating,
            parse_int_grouped(r.imdbVotes) AS imdb_votes,
            rating_value(r.Ratings, 'Metacritic') AS metacritic_raw,
            parse_out_of_100(metacritic_raw) AS metacritic,
            parse_int_grouped(r.Metascore) AS metascore_field,
            coalesce(metascore_field, metacritic) AS metascore,
            rating_value(r.Ratings, 'Rotten Tomatoes') AS rotten_tomatoes_raw,
            parse_percent(rotten_tomatoes_raw) AS rotten_tomatoes,
            parse_usd(r.BoxOffice) AS box_office_usd,
            parse_omdb_date(r.DVD) AS dvd_released,
            parse_na(r.Production) AS production,
            parse_na(r.Website) AS website
        FROM fields
    ),
    checked AS (
        SELECT
            *,
            {_reasons_sql()} AS reasons
        FROM (SELECT *, year_range.year AS year, year_range.end_year AS end_year FROM typed)
    ),
    SELECT
        selected,
        CASE WHEN requested_imdb_id IS NULL OR (snap IS NULL AND NOT unreadable) THEN NULL
             ELSE requested_imdb_id END AS dedup_key,
        fetched_at,
        file_index AS file_no,
        -- Only needed to break a tie when fetched_at is unreadable.
        CASE WHEN fetched_at IS NULL THEN hash(line) END AS line_hash,
        status,
        requested_imdb_id,
        answered_imdb_id,
        run_id,
        source_rank,
        title, type, year,
        CASE WHEN type IN ('movie', 'episode') THEN NULL ELSE end_year END AS end_year,
        rated, released, runtime_minutes,
        genres, directors, writers, actors, languages, countries,
        plot, awards_text,
        awards.oscar_wins AS oscar_wins,
        awards.oscar_nominations AS oscar_nominations,
        awards.award_wins AS award_wins,
        awards.award_nominations AS award_nominations,
        poster_url, imdb_rating, imdb_votes, metascore, rotten_tomatoes, box_office_usd,
        dvd_released, production, website,
        reasons,
        CASE WHEN selected AND len(reasons) > 0 THEN line END AS raw,
        CASE WHEN selected AND status = 'found' AND NOT unreadable THEN
            list_distinct(list_filter(json_keys(line, '$.response'),
                                      lambda k: NOT list_contains({known_keys}, k)))
        END AS unknown_keys,
        -- Keys the contract reads that the answer lacks altogether ("N/A" is a value): of the
        -- fields that decoded to NULL (rare), those absent from the answer's keys.
        CASE WHEN selected AND status = 'found' AND NOT unreadable AND r IS NOT NULL THEN
            CASE WHEN len({null_fields}) = 0 THEN []::VARCHAR[]
                 ELSE list_filter({null_fields}, lambda k:
                                  NOT list_contains(json_keys(line, '$.response'), k))
            END
        END AS missing_keys
    FROM checked
    """


_MOVIE_EXPRESSIONS: Final = {
    "imdb_id": "requested_imdb_id",
    "ingested_at": "$ingested_at::TIMESTAMPTZ",
    # The source's figures are the run's, like its ranks: the stage takes them from the run's
    # manifest (cinelake.stages.silver.for_manifest), not from whichever answer was kept.
    "source_rating": "NULL::DOUBLE",
    "source_votes": "NULL::BIGINT",
    # The stage marks answers past the TTL stale (it knows the run's start and the TTL).
    "enrichment": "'fresh'",
    "omdb_fetched_at": "fetched_at",
}
_MOVIE_SELECT: Final = ", ".join(
    f"{_MOVIE_EXPRESSIONS.get(c.name, c.name)} AS {c.name}"
    for c in schema.MOVIES_COLUMNS
    if not c.partition
)
"""The movies projection, in contract order, derived from the schema."""


DUCKDB_MEMORY_LIMIT: Final = "96MB"
"""DuckDB's own budget for its tables and buffers. With the compressed working database
this keeps a 100,000-record build well within the 300 MiB target; bigger inputs spill to
a temporary directory, and one that still does not fit is rebuilt without the limit."""


def _connect(workdir: str, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    config: dict[str, str | bool | int | float | list[str]] = {"temp_directory": workdir}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET TimeZone = 'UTC'")
    # Row order never matters (every result is sorted explicitly); not keeping it is
    # cheaper in memory.
    con.execute("SET preserve_insertion_order = false")
    # A compressed in-memory database holds the parsed rows in ~1/5 of the space.
    try:
        con.execute("ATTACH ':memory:' AS silver_work (COMPRESS)")
        con.execute("USE silver_work")
    except duckdb.Error:  # pragma: no cover - DuckDB without in-memory compression
        pass
    register_parsers(con)
    for sql in _REASON_MACROS:
        con.execute(sql)
    return con


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("ingested_at must be timezone-aware")
    return moment.astimezone(UTC)


_LATEST_SQL: Final = """
CREATE TEMP TABLE latest AS
SELECT rowid AS rid FROM parsed
WHERE selected
QUALIFY dedup_key IS NULL OR row_number() OVER (
    PARTITION BY dedup_key
    ORDER BY coalesce(status = 'found' AND len(reasons) = 0, false) DESC,
             fetched_at DESC NULLS LAST, file_no DESC NULLS LAST, line_hash DESC
) = 1
"""

_MOVIE_ORDER_SQL: Final = """
CREATE TEMP TABLE movie_order AS
SELECT rowid AS rid, row_number() OVER (ORDER BY source_rank, requested_imdb_id) AS pos
FROM parsed
WHERE rowid IN (SELECT rid FROM latest) AND status = 'found' AND len(reasons) = 0
"""

# The movies leave DuckDB in rank order, one slice at a time: sorting all of the wide rows
# at once would make DuckDB hold a second copy of them next to the growing Arrow result.
_MOVIES_SLICE_SQL: Final = f"""
SELECT {_MOVIE_SELECT}
FROM parsed JOIN movie_order ON parsed.rowid = movie_order.rid
WHERE pos > $after AND pos <= $after + $size
ORDER BY pos
"""
_SLICE_ROWS: Final = 16_384

_QUARANTINE_SQL: Final = """
SELECT answered_imdb_id AS imdb_id, requested_imdb_id, run_id, reasons, raw,
       $ingested_at::TIMESTAMPTZ AS quarantined_at
FROM parsed
WHERE rowid IN (SELECT rid FROM latest) AND len(reasons) > 0
ORDER BY source_rank NULLS LAST, requested_imdb_id NULLS LAST, raw
"""

_NOT_FOUND_SQL: Final = """
SELECT requested_imdb_id FROM parsed
WHERE rowid IN (SELECT rid FROM latest) AND status = 'not_found' AND len(reasons) = 0
ORDER BY source_rank NULLS LAST, requested_imdb_id
"""

_DRIFT_SQL: Final = """
SELECT key, count(*) FROM (
    SELECT unnest(unknown_keys) AS key FROM parsed
    WHERE rowid IN (SELECT rid FROM latest) AND unknown_keys IS NOT NULL
) GROUP BY key ORDER BY key
"""

_MISSING_SQL: Final = """
SELECT key, count(*) FROM (
    SELECT unnest(missing_keys) AS key FROM parsed
    WHERE rowid IN (SELECT rid FROM latest) AND missing_keys IS NOT NULL
) GROUP BY key ORDER BY key
"""


def build_silver(
    bronze_files: Sequence[Path | str],
    *,
    snapshot_date: date,
    run_id: str | None = None,
    ingested_at: datetime,
) -> SilverBuild:
    """Turn bronze NDJSON files into the ``silver_movies`` rows of one snapshot date.

    Only lines whose ``snapshot_date`` is ``snapshot_date`` (and whose ``run_id`` is
    ``run_id``, when given) are used. Returns the movies, the quarantined records with
    all their reasons, the not-found ids, the OMDb keys the contract does not know and
    the number of lines read. Bad records never raise; unusable arguments (a naive
    ``ingested_at``) and unreadable files do.
    """
    ingested = _utc(ingested_at)
    files = [str(Path(f)) for f in bronze_files]
    if not files:
        return SilverBuild(
            movies=schema.arrow_schema().empty_table(),
            quarantine=schema.quarantine_arrow_schema().empty_table(),
            not_found=[],
            drift={},
            records_read=0,
        )
    # Arrow keeps freed memory cached for reuse; DuckDB cannot reuse it. Handing it back
    # first keeps a long-lived process (a warm Lambda) from stacking both caches.
    pa.default_memory_pool().release_unused()
    try:
        return _build(files, snapshot_date, run_id, ingested, DUCKDB_MEMORY_LIMIT)
    except duckdb.OutOfMemoryException:
        # The limit is a footprint target, not a correctness rule: an input too big for
        # it is built anyway, with DuckDB's default budget.
        return _build(files, snapshot_date, run_id, ingested, None)


@dataclass(frozen=True)
class RejectedLine:
    """A bronze line the reader does not hand to DuckDB, and why (a quarantine record)."""

    requested_imdb_id: str | None
    run_id: str | None
    reason: str
    raw: str


def _recovered(line: bytes, pattern: re.Pattern[bytes]) -> str | None:
    m = pattern.search(line[:_SCAN_BYTES])
    return m.group(1).decode() if m else None


def _rejected(line: bytes, reason: str) -> RejectedLine:
    raw = line[: _RAW_PREFIX_CHARS * 4].decode("utf-8", "backslashreplace")[:_RAW_PREFIX_CHARS]
    return RejectedLine(_recovered(line, _ID_RE), _recovered(line, _RUN_RE), reason, raw)


def screen_line(line: bytes, *, strict: bool = False) -> RejectedLine | None:
    """Why DuckDB must not read this bronze line (too large, not UTF-8, raw control bytes,
    or with ``strict`` not a JSON object), or None when it may."""
    if len(line) > MAX_BRONZE_LINE_BYTES:
        return _rejected(line, f"line_too_large: {len(line)} bytes > {MAX_BRONZE_LINE_BYTES}")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _rejected(line, f"invalid_utf8: byte {exc.start}")
    if _CONTROL_RE.search(line):
        return _rejected(line, "invalid_json: the line is not a JSON object")
    if strict and text.strip():
        try:
            ok = isinstance(json.loads(text), dict)
        except ValueError:
            ok = False
        if not ok:
            return _rejected(line, "invalid_json: the line is not a JSON object")
    return None


def screen_files(
    files: list[str], workdir: str, *, strict: bool = False
) -> tuple[list[str], list[RejectedLine]]:
    """Files DuckDB can read, and the lines taken out of them.

    A file with nothing to take out is used as it is (the usual case, checked at C speed);
    otherwise a cleaned copy in ``workdir`` stands in for it, in the same position.
    """
    out: list[str] = []
    rejected: list[RejectedLine] = []
    for n, name in enumerate(files):
        data = Path(name).read_bytes()
        if (
            not strict
            and len(data) <= MAX_BRONZE_LINE_BYTES
            and not data.translate(None, _NOT_CONTROL)
        ):
            try:
                if not data.isascii():
                    data.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                out.append(name)
                continue
        kept: list[bytes] = []
        for line in data.split(b"\n"):
            bad = screen_line(line, strict=strict)
            if bad is None:
                kept.append(line)
            else:
                rejected.append(bad)
        clean = Path(workdir) / f"screened-{n:06d}.ndjson"
        clean.write_bytes(b"\n".join(kept))
        out.append(str(clean))
    return out, rejected


def rejected_rows(rejected: list[RejectedLine], answered: set[str], ingested: datetime) -> pa.Table:
    """Quarantine records for the lines the reader took out. One per movie, and none for a
    movie that has an answer (good, not found or quarantined) from another line."""
    rows: dict[object, RejectedLine] = {}
    for n, r in enumerate(rejected):
        if r.requested_imdb_id is None or r.requested_imdb_id not in answered:
            rows[r.requested_imdb_id or n] = r
    kept = list(rows.values())
    return pa.table(
        {
            "imdb_id": pa.array([None] * len(kept), pa.string()),
            "requested_imdb_id": pa.array([r.requested_imdb_id for r in kept], pa.string()),
            "run_id": pa.array([r.run_id for r in kept], pa.string()),
            "reasons": pa.array([[r.reason] for r in kept], pa.list_(pa.string())),
            "raw": pa.array([r.raw for r in kept], pa.string()),
            "quarantined_at": pa.array([ingested] * len(kept), pa.timestamp("us", tz="UTC")),
        }
    )


def _build(
    files: list[str],
    snapshot_date: date,
    run_id: str | None,
    ingested: datetime,
    memory_limit: str | None,
) -> SilverBuild:
    workdir = tempfile.mkdtemp(prefix="cinelake-silver-")
    con = _connect(workdir, memory_limit)
    try:
        readable, rejected = screen_files(files, workdir)
        params = {
            "files": _literal_paths(readable, workdir),
            "snapshot_date": snapshot_date,
            "run_id": run_id,
            "delim": _DELIMITER,
        }
        try:
            con.execute("CREATE TABLE parsed AS " + _parse_sql("$files", check_json=False), params)
        except duckdb.InvalidInputException:
            # A malformed line: build again, validating every line first.
            try:
                con.execute(
                    "CREATE TABLE parsed AS " + _parse_sql("$files", check_json=True), params
                )
            except duckdb.InvalidInputException:
                # Something DuckDB's reader still trips on: take out, in Python, every line
                # that is not a JSON object, and read the rest.
                readable, rejected = screen_files(files, workdir, strict=True)
                params["files"] = _literal_paths(readable, workdir)
                con.execute(
                    "CREATE TABLE parsed AS " + _parse_sql("$files", check_json=True), params
                )
        con.execute(_LATEST_SQL)
        records_read = _scalar(con, "SELECT count(*) FROM parsed WHERE selected")
        con.execute(_MOVIE_ORDER_SQL)
        movie_count = _scalar(con, "SELECT count(*) FROM movie_order")
        movies = pa.concat_tables(
            [
                con.sql(
                    _MOVIES_SLICE_SQL,
                    params={"ingested_at": ingested, "after": after, "size": _SLICE_ROWS},
                ).to_arrow_table()
                for after in range(0, max(movie_count, 1), _SLICE_ROWS)
            ]
        )
        quarantine = con.sql(_QUARANTINE_SQL, params={"ingested_at": ingested}).to_arrow_table()
        not_found = [row[0] for row in con.execute(_NOT_FOUND_SQL).fetchall()]
        drift = {key: int(count) for key, count in con.execute(_DRIFT_SQL).fetchall()}
        missing = {key: int(count) for key, count in con.execute(_MISSING_SQL).fetchall()}
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)
    quarantine = schema.conform_quarantine(quarantine)
    if rejected:
        answered = (
            set(movies.column("imdb_id").to_pylist())
            | set(not_found)
            | set(quarantine.column("requested_imdb_id").to_pylist())
        )
        extra = schema.conform_quarantine(rejected_rows(rejected, answered, ingested))
        quarantine = pa.concat_tables([quarantine, extra])
    return SilverBuild(
        movies=schema.conform_movies(movies),
        quarantine=quarantine,
        not_found=not_found,
        drift=drift,
        records_read=records_read + len(rejected),
        missing=missing,
    )


_GLOB_CHARS: Final = frozenset("*?[")


def _literal_paths(files: list[str], workdir: str) -> list[str]:
    """DuckDB reads a path with ``*``, ``?`` or ``[`` as a glob; give those a plain alias."""
    paths = []
    for n, name in enumerate(files):
        if _GLOB_CHARS.isdisjoint(name):
            paths.append(name)
            continue
        alias = Path(workdir) / f"input-{n:06d}.ndjson"
        alias.symlink_to(Path(name).resolve())
        paths.append(str(alias))
    return paths


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0])
