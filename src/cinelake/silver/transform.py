"""Bronze OMDb answers -> the typed, validated ``silver_movies`` table (set-wise, in DuckDB).

At 100,000 records what costs is per-object overhead, not parsing, so no record is ever
a Python object here. The bronze NDJSON files are read as lines by DuckDB, decoded with
``json_transform`` into one struct per line, parsed by the SQL macros of
:mod:`cinelake.silver.parsers` and validated with list expressions that collect every
quarantine reason of a record. Python only moves Arrow tables around at the end and
checks them against :mod:`cinelake.silver.schema`.

Steps (all in one in-memory DuckDB connection):

1. ``parsed``: every selected line (its ``snapshot_date`` equals the build's, and its
   ``run_id`` the requested one, if any), with typed columns, its reasons and, for
   rejected lines only, the raw text. Lines that are not a JSON object, or have no
   readable ``snapshot_date``, cannot be attributed to any other build and are
   selected too (then quarantined).
2. ``latest``: at-least-once delivery duplicates removed: per requested ``imdb_id`` the
   line with the latest ``fetch.fetched_at`` wins (ties: the later file in the
   argument list, then a stable hash of the line).
3. Routing: no reasons + found -> ``movies``; no reasons + not_found -> ``not_found``;
   any reason -> ``quarantine`` (with all of them). Drift is counted over the found
   answers kept in step 2.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa

from cinelake.silver import schema
from cinelake.silver.parsers import register_parsers

__all__ = [
    "IGNORED_OMDB_KEYS",
    "KNOWN_OMDB_KEYS",
    "OMDB_FIELDS",
    "SilverBuild",
    "build_silver",
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

_ENVELOPE: Final[dict[str, Any]] = {
    "bronze_version": "VARCHAR",
    "run_id": "VARCHAR",
    "snapshot_date": "VARCHAR",
    "imdb_id": "VARCHAR",
    "status": "VARCHAR",
    "source": {"rank": "VARCHAR"},
    "fetch": {"fetched_at": "VARCHAR"},
    "response": OMDB_FIELDS,
}

_DELIMITER: Final = "\x01"
"""A byte JSON text never contains unescaped, so each line is read as one column."""

_MAX_LINE_BYTES: Final = 8 * 1024 * 1024
_DETAIL_CHARS: Final = 80


@dataclass(frozen=True)
class SilverBuild:
    """The outcome of one silver build."""

    movies: pa.Table
    """Conforms to ``schema.arrow_schema()``; sorted by ``source_rank``."""
    quarantine: pa.Table
    """Conforms to ``schema.quarantine_arrow_schema()``."""
    not_found: list[str]
    """IMDb ids whose (latest) status was ``not_found``, by source rank."""
    drift: dict[str, int]
    """OMDb answer keys the contract does not know -> how many found records had them."""
    records_read: int
    """Bronze lines selected for this build (snapshot/run filter passed), before dedup."""


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
    """
    CREATE OR REPLACE TEMP MACRO _garbage(key, raw, parsed) AS
        CASE WHEN is_unparseable(raw, parsed) THEN 'unparseable: ' || key || '=' || _show(raw) END
    """,
)


def _parse_sql(files_param: str) -> str:
    """The query that decodes, parses and validates every selected line (step 1)."""
    year_min, _ = _bounds("year")
    rating_min, rating_max = _bounds("imdb_rating")
    meta_min, meta_max = _bounds("metascore")
    rt_min, rt_max = _bounds("rotten_tomatoes")
    rank_min, _ = _bounds("source_rank")
    allowed_types = _sql_list(schema.column("type").allowed or ())
    known_keys = _sql_list(sorted(KNOWN_OMDB_KEYS))
    envelope = _sql_str(json.dumps(_ENVELOPE))
    imdb_re = _sql_str(schema.IMDB_ID_PATTERN)
    return rf"""
    WITH lines AS (
        SELECT line, filename
        FROM read_csv({files_param}, columns = {{'line': 'VARCHAR'}}, delim = $delim,
                      quote = '', escape = '', header = false, auto_detect = false,
                      strict_mode = false, filename = true)
        WHERE regexp_matches(line, '\S')  -- blank lines are not records
    ),
    decoded AS (
        SELECT
            line,
            filename,
            CASE WHEN regexp_matches(line, '^\s*\{{') AND json_valid(line)
                THEN json_transform(line, {envelope}) END AS b
        FROM lines
    ),
    fields AS (
        SELECT
            line,
            filename,
            b IS NULL AS unreadable,
            TRY_CAST(b.snapshot_date AS DATE) AS snap,
            -- Selection happens when the table is read, not here: a filter on the
            -- decoded struct would make DuckDB repeat the whole json_transform in it.
            unreadable OR snap IS NULL
                OR (snap = $snapshot_date AND ($run_id IS NULL OR b.run_id = $run_id))
                AS selected,
            b.snapshot_date AS snapshot_raw,
            b.bronze_version AS bronze_version,
            b.run_id AS run_id,
            b.imdb_id AS requested_imdb_id,
            b.status AS status,
            TRY_CAST(b.fetch.fetched_at AS TIMESTAMPTZ) AS fetched_at,
            b.source.rank AS rank_raw,
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
            CASE
            WHEN unreadable THEN ['invalid_json: the line is not a JSON object']
            ELSE list_filter([
                CASE WHEN snap IS NULL THEN
                    'invalid_snapshot_date: snapshot_date=' || _show(snapshot_raw) END,
                CASE WHEN bronze_version IS DISTINCT FROM '1' THEN
                    'unsupported_bronze_version: bronze_version=' || _show(bronze_version) END,
                CASE WHEN status IS NULL OR status NOT IN ('found', 'not_found') THEN
                    'invalid_status: status=' || _show(status) END,
                CASE WHEN run_id IS NULL THEN 'missing_run_id: run_id=null' END,
                CASE WHEN NOT coalesce(regexp_full_match(requested_imdb_id, {imdb_re}), false)
                    THEN 'invalid_imdb_id: imdb_id=' || _show(requested_imdb_id) END
            ] || CASE WHEN status = 'found' THEN [
                CASE WHEN source_rank IS NULL OR source_rank < {rank_min} THEN
                    'invalid_source_rank: rank=' || _show(rank_raw) END,
                CASE WHEN r.Response = 'False' THEN
                    'response_false: Response="False"' END,
                CASE WHEN answered_imdb_id IS NULL THEN 'missing_imdb_id: imdbID=null' END,
                CASE WHEN answered_imdb_id <> requested_imdb_id THEN
                    'imdb_id_mismatch: requested=' || requested_imdb_id
                    || ' answered=' || _show(answered_imdb_id) END,
                _garbage('Year', r.Year, year_range),
                _garbage('Released', r.Released, released),
                _garbage('Runtime', r.Runtime, runtime_minutes),
                _garbage('imdbRating', r.imdbRating, imdb_rating),
                _garbage('imdbVotes', r.imdbVotes, imdb_votes),
                _garbage('Metascore', r.Metascore, metascore_field),
                _garbage('Ratings[Metacritic]', metacritic_raw, metacritic),
                _garbage('Ratings[Rotten Tomatoes]', rotten_tomatoes_raw, rotten_tomatoes),
                _garbage('BoxOffice', r.BoxOffice, box_office_usd),
                _garbage('DVD', r.DVD, dvd_released),
                CASE WHEN type IS NOT NULL AND NOT list_contains({allowed_types}, type) THEN
                    'unknown_type: Type=' || _show(r.Type) END,
                CASE WHEN year < {year_min} THEN 'year_out_of_range: year=' || year END,
                CASE WHEN end_year < year THEN
                    'end_year_before_year: year=' || year || ' end_year=' || end_year END,
                CASE WHEN imdb_rating < {rating_min} OR imdb_rating > {rating_max} THEN
                    'rating_out_of_range: imdb_rating=' || imdb_rating END,
                CASE WHEN imdb_votes < 0 THEN 'negative_votes: imdb_votes=' || imdb_votes END,
                CASE WHEN box_office_usd < 0 THEN
                    'negative_box_office: box_office_usd=' || box_office_usd END,
                CASE WHEN metascore < {meta_min} OR metascore > {meta_max} THEN
                    'metascore_out_of_range: metascore=' || metascore END,
                CASE WHEN rotten_tomatoes < {rt_min} OR rotten_tomatoes > {rt_max} THEN
                    'rotten_tomatoes_out_of_range: rotten_tomatoes=' || rotten_tomatoes END
            ] ELSE [] END, lambda x: x IS NOT NULL)
            END AS reasons
        FROM (SELECT *, year_range.year AS year, year_range.end_year AS end_year FROM typed)
    )
    SELECT
        selected,
        CASE WHEN unreadable OR snap IS NULL OR requested_imdb_id IS NULL THEN NULL
             ELSE requested_imdb_id END AS dedup_key,
        fetched_at,
        list_position({files_param}, filename) AS file_no,
        hash(line) AS line_hash,
        status,
        requested_imdb_id,
        answered_imdb_id,
        run_id,
        source_rank,
        title, type, year, end_year, rated, released, runtime_minutes,
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
        END AS unknown_keys
    FROM checked
    """


_MOVIE_EXPRESSIONS: Final = {
    "imdb_id": "requested_imdb_id",
    "ingested_at": "$ingested_at::TIMESTAMPTZ",
}
_MOVIE_SELECT: Final = ", ".join(
    f"{_MOVIE_EXPRESSIONS.get(c.name, c.name)} AS {c.name}"
    for c in schema.MOVIES_COLUMNS
    if not c.partition
)
"""The movies projection, in contract order, derived from the schema."""


DUCKDB_MEMORY_LIMIT: Final = "128MB"
"""DuckDB's own budget for its tables and buffers. With the compressed working database
this keeps a 100,000-record build within the 300 MiB target; bigger inputs spill to a
temporary directory instead of growing."""


def _connect(workdir: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        ":memory:",
        config={"temp_directory": workdir, "memory_limit": DUCKDB_MEMORY_LIMIT},
    )
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
CREATE TABLE latest AS
SELECT rowid AS rid FROM parsed
WHERE selected
QUALIFY dedup_key IS NULL OR row_number() OVER (
    PARTITION BY dedup_key
    ORDER BY fetched_at DESC NULLS LAST, file_no DESC NULLS LAST, line_hash DESC
) = 1
"""

# Unsorted on purpose: an ORDER BY would make DuckDB hold a second copy of the rows next
# to its table; Arrow sorts them once DuckDB's memory is released.
_MOVIES_SQL: Final = f"""
SELECT {_MOVIE_SELECT}
FROM parsed
WHERE rowid IN (SELECT rid FROM latest) AND status = 'found' AND len(reasons) = 0
"""

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
    pool = pa.default_memory_pool()
    pool.release_unused()
    workdir = tempfile.mkdtemp(prefix="cinelake-silver-")
    con = _connect(workdir)
    try:
        con.execute(
            "CREATE TABLE parsed AS " + _parse_sql("$files"),
            {
                "files": files,
                "snapshot_date": snapshot_date,
                "run_id": run_id,
                "delim": _DELIMITER,
            },
        )
        con.execute(_LATEST_SQL)
        records_read = _scalar(con, "SELECT count(*) FROM parsed WHERE selected")
        movies = con.sql(_MOVIES_SQL, params={"ingested_at": ingested}).to_arrow_table()
        quarantine = con.sql(_QUARANTINE_SQL, params={"ingested_at": ingested}).to_arrow_table()
        not_found = [row[0] for row in con.execute(_NOT_FOUND_SQL).fetchall()]
        drift = {key: int(count) for key, count in con.execute(_DRIFT_SQL).fetchall()}
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)
    movies = movies.sort_by([("source_rank", "ascending"), ("imdb_id", "ascending")])
    return SilverBuild(
        movies=schema.conform_movies(movies),
        quarantine=schema.conform_quarantine(quarantine),
        not_found=not_found,
        drift=drift,
        records_read=records_read,
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0])
