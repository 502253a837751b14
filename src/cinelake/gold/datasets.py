"""Gold datasets: one definition per dataset (name, meaning of a row, SQL, typed columns).

Every dataset is computed with DuckDB SQL from a view named ``silver_movies`` (the silver
contract). The definitions below are the single source of truth: ``build_gold`` runs them,
``cinelake.gold.export`` derives Athena DDL and the Markdown docs from them, and
``python -m cinelake.gold.datasets > docs/gold_datasets.md`` regenerates the docs.

Shared rules (also rendered into the docs, see ``RULES``):

* The latest-snapshot datasets use rows whose ``snapshot_date`` equals ``max(snapshot_date)``;
  the history datasets (``HISTORY_DATASETS``) use every day's list (``prepare_history``).
* Inside that snapshot each ``imdb_id`` counts once (the row with the latest ``ingested_at``
  wins, then the latest ``run_id``, then the best ``source_rank``); rows without an
  ``imdb_id`` are ignored. Every title counts as a "movie", whatever its ``type``.
* Averages ignore nulls and are rounded to 2 decimals (DuckDB ``round``: half away from zero);
  an average over no value is null. Correlations are rounded to 4 decimals.
* Totals (box office, Oscars, awards) sum the known values only and are 0 when none is known;
  the companion ``movies_with_*`` counts say how many movies had a value.
* List columns (genres, countries, directors) are exploded for the per-genre/country/director
  datasets: a movie counts once in each of its distinct, non-blank items; in per-movie datasets
  they are flattened to one readable string joined with ", " (CSV/QuickSight friendly).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import duckdb
import pyarrow as pa

__all__ = [
    "DATASETS",
    "HISTORY_DATASETS",
    "HISTORY_PROJECTION_START",
    "LATEST_DATASETS",
    "QUALITY_DATASETS",
    "RULES",
    "SILVER_HISTORY_SQL",
    "GoldColumn",
    "GoldDataset",
    "build_gold",
    "dataset",
    "empty_table",
    "prepare_history",
    "prepare_quality",
]


@dataclass(frozen=True)
class GoldColumn:
    """One column of a gold dataset."""

    name: str
    type: pa.DataType
    description: str
    unit: str | None = None

    @property
    def field(self) -> pa.Field:
        meta = {"description": self.description}
        if self.unit:
            meta["unit"] = self.unit
        return pa.field(self.name, self.type, nullable=True, metadata=meta)


@dataclass(frozen=True)
class GoldDataset:
    """One gold dataset: what a row is, how it is computed, and its typed columns."""

    name: str
    description: str
    row: str
    sql: str
    columns: tuple[GoldColumn, ...]
    scope: Literal["latest", "history", "quality"] = "latest"
    """``latest``: computed from the newest snapshot (view ``silver_movies``); ``history``:
    over every snapshot (table ``silver_history``, see :func:`prepare_history`); ``quality``:
    every snapshot's checks (tables ``quality_days`` and ``quality_checks``, see
    :func:`prepare_quality`)."""
    partition_column: str | None = None
    """Set for a dataset stored one file per day (``<name>/snapshot_date=YYYY-MM-DD/``):
    the column is then in the path, not in the files, and Athena projects it."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def file_schema(self) -> pa.Schema:
        """The schema of the Parquet files: without the partition column, if any."""
        schema = self.schema
        if self.partition_column is None:
            return schema
        return schema.remove(schema.get_field_index(self.partition_column))

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [c.field for c in self.columns],
            metadata={"dataset": self.name, "description": self.description, "row": self.row},
        )


RULES: tuple[str, ...] = (
    "Source: the DuckDB view `silver_movies`; only the latest snapshot "
    "(`snapshot_date = max(snapshot_date)`) is used.",
    "Inside the snapshot each `imdb_id` counts once (latest `ingested_at`, then latest `run_id`, "
    "then best `source_rank` wins); rows without an `imdb_id` are ignored. Every title counts "
    "as a movie, whatever its `type`.",
    "Averages ignore nulls, are rounded to 2 decimals (half away from zero) and are null when "
    "no value is known. Correlations (Pearson) are rounded to 4 decimals.",
    "Totals (box office, Oscars, awards) add up the known values only and are 0 when none is "
    "known; `movies_with_*` columns count the movies that had a value. Unknown awards "
    "(OMDb `N/A`) are null in per-movie rows, never 0.",
    "List columns are exploded for per-genre/country/director datasets: a movie counts once in "
    "each of its distinct, non-blank items (so a Crime/Drama movie counts in both genres). In "
    "per-movie datasets lists are one readable string joined with `, ` (empty list: empty "
    "string).",
    "Empty silver (or no snapshot) gives empty datasets with the same columns.",
    "History datasets (`movers`, `rank_history`, `top_movers`, `list_tenure`) use every "
    "snapshot, not only the latest. A snapshot is a day's top list (`silver_lists`, what the "
    "run that owns the day asked for), so a movie OMDb did not find still counts as on the "
    "list; a day with silver movies but no list (a lake from before lists, until `cinelake "
    "rebuild`) uses its movies' `source_rank` and title. Titles, ratings and votes are OMDb's "
    "of that day when it answered, else the list's own. A day's list and its movies hold "
    "one row per movie (the silver contract), so history does not deduplicate them again.",
    "In history, the previous snapshot of a date is the latest earlier date that has a "
    "snapshot: missing days are skipped, never filled in. Streaks and `days_in_list` count "
    "snapshots, so a day without any snapshot neither breaks nor lengthens them.",
    "`movers` and `rank_history` are stored one Parquet file per date, in a Hive partition "
    "folder named after `snapshot_date` (the date is in the path only, not in the files); Athena "
    "tables are partitioned by `snapshot_date` with partition projection, so a query over "
    "one day reads one day. Their CSV is one file over all days.",
)

HISTORY_PROJECTION_START = "1990-01-01"
"""The first date Athena's partition projection considers (IMDb opened in 1990): archived
lists can be backfilled from any later day."""

# --------------------------------------------------------------------------------------------
# SQL building blocks (constants only: nothing here comes from user input)
# --------------------------------------------------------------------------------------------

_LATEST = """latest AS (
    SELECT *
    FROM silver_movies
    WHERE imdb_id IS NOT NULL
      AND snapshot_date = (SELECT max(snapshot_date) FROM silver_movies)
    QUALIFY row_number() OVER (
        PARTITION BY imdb_id
        ORDER BY ingested_at DESC NULLS LAST, run_id DESC NULLS LAST, source_rank ASC NULLS LAST
    ) = 1
)"""


def _exploded(list_column: str, item: str) -> str:
    """CTE ``<list_column>_items(imdb_id, <item>)``: one row per movie and distinct item."""
    return f"""{list_column}_items AS (
    SELECT DISTINCT imdb_id, trim(raw_item) AS {item}
    FROM (SELECT imdb_id, unnest({list_column}) AS raw_item FROM latest)
    WHERE raw_item IS NOT NULL AND trim(raw_item) <> ''
)"""


def _with(*ctes: str) -> str:
    return "WITH " + ",\n".join((_LATEST, *ctes)) + "\n"


_RANKING = (
    "imdb_rating DESC NULLS LAST, imdb_votes DESC NULLS LAST, "
    "source_rank ASC NULLS LAST, imdb_id ASC"
)


def _flat(list_column: str) -> str:
    return f"coalesce(array_to_string({list_column}, ', '), '')"


def _avg(expr: str) -> str:
    # Exact decimal sums: a floating-point sum depends on the order DuckDB's threads add
    # in, and the same snapshot must give the same gold figures on every run.
    return f"round(avg(({expr})::DECIMAL(18, 3)), 2)::DOUBLE"


# --------------------------------------------------------------------------------------------
# Reusable column definitions
# --------------------------------------------------------------------------------------------

_STR = pa.string()
_I32 = pa.int32()
_I64 = pa.int64()
_F64 = pa.float64()
_DATE = pa.date32()


def _col(name: str, type_: pa.DataType, description: str, unit: str | None = None) -> GoldColumn:
    return GoldColumn(name, type_, description, unit)


IMDB_ID = _col("imdb_id", _STR, "IMDb title id (tt + 7-9 digits).")
TITLE = _col("title", _STR, "Title as given by OMDb.")
YEAR = _col("year", _I32, "Release year (first year for series); null when unknown.", "year")
SNAPSHOT = _col("snapshot_date", _DATE, "Date of the silver snapshot the row comes from.", "date")
MOVIE_COUNT = _col("movie_count", _I64, "Number of movies (distinct imdb_id).", "movies")
AVG_RATING = _col(
    "avg_imdb_rating",
    _F64,
    "Mean IMDb rating of the movies with a rating, 2 decimals; null when none has one.",
    "IMDb points (0-10)",
)
TOTAL_BOX = _col(
    "total_box_office_usd",
    _I64,
    "Sum of the known US box office grosses; 0 when none is known.",
    "USD",
)
WITH_BOX = _col(
    "movies_with_box_office", _I64, "Movies whose box office is known (not null).", "movies"
)


def _awards_cols(scope: str) -> tuple[GoldColumn, ...]:
    return (
        _col("oscar_wins", _I32, f"Oscars won{scope}; null when awards are unknown.", "awards"),
        _col(
            "oscar_nominations",
            _I32,
            f"Oscar nominations{scope}; null when awards are unknown.",
            "nominations",
        ),
        _col(
            "award_wins",
            _I32,
            f"Other award wins{scope} (OMDb 'N wins'); null when awards are unknown.",
            "awards",
        ),
        _col(
            "award_nominations",
            _I32,
            f"Other award nominations{scope} (OMDb 'N nominations'); null when unknown.",
            "nominations",
        ),
    )


# --------------------------------------------------------------------------------------------
# The datasets
# --------------------------------------------------------------------------------------------

TOP_RATED = GoldDataset(
    name="top_rated",
    description=(
        "Every title of the latest snapshot ranked by IMDb rating (desc), ties by IMDb votes "
        "(desc), then by source rank (asc), then imdb_id; titles without a rating come last. "
        "It also carries what the dashboard filters need (countries, awards), so the "
        "dashboard is built from gold alone."
    ),
    row="One movie (title) of the latest snapshot.",
    sql=_with()
    + f"""SELECT
    CAST(row_number() OVER (ORDER BY {_RANKING}) AS INTEGER) AS rank,
    imdb_id,
    title,
    year,
    imdb_rating,
    imdb_votes,
    metascore,
    rotten_tomatoes,
    runtime_minutes,
    {_flat("genres")} AS genres,
    {_flat("directors")} AS directors,
    box_office_usd,
    snapshot_date,
    {_flat("countries")} AS countries,
    oscar_wins,
    oscar_nominations,
    award_wins,
    award_nominations,
    type,
    source_rank
FROM latest
ORDER BY rank""",
    columns=(
        _col("rank", _I32, "Position in this ranking, 1..n without gaps.", "rank"),
        IMDB_ID,
        TITLE,
        YEAR,
        _col("imdb_rating", _F64, "IMDb user rating; null when unknown.", "IMDb points (0-10)"),
        _col("imdb_votes", _I64, "Number of IMDb user votes; null when unknown.", "votes"),
        _col("metascore", _I32, "Metacritic score; null when unknown.", "points (0-100)"),
        _col(
            "rotten_tomatoes",
            _I32,
            "Rotten Tomatoes critics score; null when unknown.",
            "percent (0-100)",
        ),
        _col("runtime_minutes", _I32, "Runtime; null when unknown.", "minutes"),
        _col("genres", _STR, "Genres joined with ', ' (e.g. 'Crime, Drama'); '' when none."),
        _col("directors", _STR, "Directors joined with ', '; '' when none."),
        _col("box_office_usd", _I64, "US box office gross; null when unknown.", "USD"),
        SNAPSHOT,
        _col("countries", _STR, "Production countries joined with ', '; '' when none."),
        *_awards_cols(""),
        _col("type", _STR, "OMDb type: movie, series or episode."),
        _col("source_rank", _I32, "Position in the source top list; null when unknown.", "rank"),
    ),
)

MOVIES_BY_GENRE = GoldDataset(
    name="movies_by_genre",
    description=(
        "Movies of the latest snapshot per genre. A movie counts in each of its genres, so "
        "movie_count adds up to more than the number of movies. Ordered by movie_count desc, "
        "then genre."
    ),
    row="One genre present in the latest snapshot.",
    sql=_with(_exploded("genres", "genre"))
    + f"""SELECT
    i.genre,
    count(*)::BIGINT AS movie_count,
    {_avg("m.imdb_rating")} AS avg_imdb_rating,
    {_avg("m.runtime_minutes")} AS avg_runtime_minutes,
    coalesce(sum(m.box_office_usd), 0)::BIGINT AS total_box_office_usd,
    count(m.box_office_usd)::BIGINT AS movies_with_box_office
FROM genres_items AS i
JOIN latest AS m USING (imdb_id)
GROUP BY i.genre
ORDER BY movie_count DESC, i.genre ASC""",
    columns=(
        _col("genre", _STR, "Genre name as given by OMDb (trimmed)."),
        MOVIE_COUNT,
        AVG_RATING,
        _col(
            "avg_runtime_minutes",
            _F64,
            "Mean runtime of the movies with a known runtime, 2 decimals; null when none.",
            "minutes",
        ),
        TOTAL_BOX,
        WITH_BOX,
    ),
)

MOVIES_BY_COUNTRY = GoldDataset(
    name="movies_by_country",
    description=(
        "Movies of the latest snapshot per production country. A co-production counts in "
        "each of its countries. Ordered by movie_count desc, then country."
    ),
    row="One production country present in the latest snapshot.",
    sql=_with(_exploded("countries", "country"))
    + f"""SELECT
    i.country,
    count(*)::BIGINT AS movie_count,
    {_avg("m.imdb_rating")} AS avg_imdb_rating
FROM countries_items AS i
JOIN latest AS m USING (imdb_id)
GROUP BY i.country
ORDER BY movie_count DESC, i.country ASC""",
    columns=(
        _col("country", _STR, "Country name as given by OMDb (trimmed)."),
        MOVIE_COUNT,
        AVG_RATING,
    ),
)

MOVIES_BY_YEAR = GoldDataset(
    name="movies_by_year",
    description=(
        "Movies of the latest snapshot per release year (movies without a year are left out). "
        "Ordered by year."
    ),
    row="One release year with at least one movie.",
    sql=_with()
    + f"""SELECT
    year,
    CAST(floor(year / 10) * 10 AS INTEGER) AS decade,
    count(*)::BIGINT AS movie_count,
    {_avg("imdb_rating")} AS avg_imdb_rating
FROM latest
WHERE year IS NOT NULL
GROUP BY year
ORDER BY year""",
    columns=(
        _col("year", _I32, "Release year.", "year"),
        _col("decade", _I32, "First year of the decade (1994 -> 1990).", "year"),
        MOVIE_COUNT,
        AVG_RATING,
    ),
)

BOX_OFFICE_BY_YEAR = GoldDataset(
    name="box_office_by_year",
    description=(
        "US box office of the latest snapshot's movies per release year. Only movies with a "
        "known box office and year count; years without any are omitted. Ordered by year."
    ),
    row="One release year with at least one known box office.",
    sql=_with()
    + """SELECT
    year,
    sum(box_office_usd)::BIGINT AS total_box_office_usd,
    count(*)::BIGINT AS movies_with_box_office
FROM latest
WHERE year IS NOT NULL AND box_office_usd IS NOT NULL
GROUP BY year
ORDER BY year""",
    columns=(
        _col("year", _I32, "Release year.", "year"),
        _col("total_box_office_usd", _I64, "Sum of the known US box office grosses.", "USD"),
        WITH_BOX,
    ),
)

TOP_DIRECTORS = GoldDataset(
    name="top_directors",
    description=(
        "Every director of the latest snapshot with their number of movies and mean rating "
        "(a co-directed movie counts for each director). Ordered by movie_count desc, then "
        "avg_imdb_rating desc (nulls last), then director; consumers take the head."
    ),
    row="One director present in the latest snapshot.",
    sql=_with(_exploded("directors", "director"))
    + f"""SELECT
    i.director,
    count(*)::BIGINT AS movie_count,
    {_avg("m.imdb_rating")} AS avg_imdb_rating
FROM directors_items AS i
JOIN latest AS m USING (imdb_id)
GROUP BY i.director
ORDER BY movie_count DESC, avg_imdb_rating DESC NULLS LAST, i.director ASC""",
    columns=(
        _col("director", _STR, "Director name as given by OMDb (trimmed)."),
        MOVIE_COUNT,
        AVG_RATING,
    ),
)

RATINGS_COMPARISON = GoldDataset(
    name="ratings_comparison",
    description=(
        "The three ratings of every movie of the latest snapshot on one 0-100 scale, for "
        "scatter plots. Missing ratings stay null. Ordered by imdb_rating_100 desc (nulls "
        "last), then title. The correlations are in `ratings_correlation`."
    ),
    row="One movie of the latest snapshot.",
    sql=_with()
    + """SELECT
    imdb_id,
    title,
    year,
    round(imdb_rating * 10, 2)::DOUBLE AS imdb_rating_100,
    metascore,
    rotten_tomatoes
FROM latest
ORDER BY imdb_rating_100 DESC NULLS LAST, title ASC, imdb_id ASC""",
    columns=(
        IMDB_ID,
        TITLE,
        YEAR,
        _col(
            "imdb_rating_100",
            _F64,
            "IMDb rating x 10 (8.7 -> 87.0), 2 decimals; null when unknown.",
            "points (0-100)",
        ),
        _col("metascore", _I32, "Metacritic score; null when unknown.", "points (0-100)"),
        _col(
            "rotten_tomatoes",
            _I32,
            "Rotten Tomatoes critics score; null when unknown.",
            "percent (0-100)",
        ),
    ),
)

_CORR_PAIRS = (
    ("imdb_vs_metacritic", "imdb_rating_100", "metascore", "imdb", "meta"),
    ("imdb_vs_rotten_tomatoes", "imdb_rating_100", "rotten_tomatoes", "imdb", "rt"),
    ("metacritic_vs_rotten_tomatoes", "metascore", "rotten_tomatoes", "meta", "rt"),
)

RATINGS_CORRELATION = GoldDataset(
    name="ratings_correlation",
    description=(
        "Companion of `ratings_comparison`: the pairwise Pearson correlation of the three "
        "ratings over the movies of the latest snapshot that have both ratings of the pair. "
        "Always the three pairs (when the snapshot is not empty), in the order imdb vs "
        "metacritic, imdb vs rotten tomatoes, metacritic vs rotten tomatoes."
    ),
    row="One pair of rating sources.",
    sql=_with(
        """scores AS (
    SELECT imdb_rating * 10 AS imdb, metascore::DOUBLE AS meta,
           rotten_tomatoes::DOUBLE AS rt, snapshot_date
    FROM latest
)""",
        "pairs AS (\n"
        + "\n    UNION ALL\n".join(
            f"    SELECT {n} AS ord, '{pair}' AS pair, '{xc}' AS x_column, '{yc}' AS y_column,"
            f" {x} AS x, {y} AS y, snapshot_date FROM scores"
            for n, (pair, xc, yc, x, y) in enumerate(_CORR_PAIRS, start=1)
        )
        + "\n)",
        """stats AS (
    SELECT
        ord, pair, x_column, y_column,
        count(*) FILTER (WHERE x IS NOT NULL AND y IS NOT NULL) AS n,
        corr(y, x) FILTER (WHERE x IS NOT NULL AND y IS NOT NULL) AS r,
        var_pop(x) FILTER (WHERE x IS NOT NULL AND y IS NOT NULL) AS vx,
        var_pop(y) FILTER (WHERE x IS NOT NULL AND y IS NOT NULL) AS vy
    FROM pairs
    GROUP BY ord, pair, x_column, y_column
)""",
    )
    + """SELECT
    pair,
    x_column,
    y_column,
    CASE WHEN n >= 2 AND vx > 0 AND vy > 0 AND NOT isnan(r) THEN round(r, 4)::DOUBLE END
        AS correlation,
    n::BIGINT AS movies
FROM stats
ORDER BY ord""",
    columns=(
        _col(
            "pair",
            _STR,
            "imdb_vs_metacritic, imdb_vs_rotten_tomatoes or metacritic_vs_rotten_tomatoes.",
        ),
        _col("x_column", _STR, "First rating of the pair (a ratings_comparison column)."),
        _col("y_column", _STR, "Second rating of the pair (a ratings_comparison column)."),
        _col(
            "correlation",
            _F64,
            "Pearson correlation coefficient, 4 decimals; null when fewer than 2 movies have "
            "both ratings or one of them does not vary.",
            "coefficient (-1..1)",
        ),
        _col("movies", _I64, "Movies that have both ratings (the sample size).", "movies"),
    ),
)

AWARDS_SUMMARY = GoldDataset(
    name="awards_summary",
    description=(
        "Awards of every movie of the latest snapshot, parsed from OMDb's awards text. "
        "Unknown awards (OMDb 'N/A') stay null. Ordered by oscar_wins, oscar_nominations, "
        "award_wins desc (nulls last), then title. Totals are in `awards_totals`."
    ),
    row="One movie of the latest snapshot.",
    sql=_with()
    + """SELECT
    imdb_id,
    title,
    year,
    oscar_wins,
    oscar_nominations,
    award_wins,
    award_nominations,
    awards_text
FROM latest
ORDER BY oscar_wins DESC NULLS LAST, oscar_nominations DESC NULLS LAST,
         award_wins DESC NULLS LAST, title ASC, imdb_id ASC""",
    columns=(
        IMDB_ID,
        TITLE,
        YEAR,
        *_awards_cols(""),
        _col("awards_text", _STR, "OMDb awards sentence as published; null when N/A."),
    ),
)

AWARDS_TOTALS = GoldDataset(
    name="awards_totals",
    description=(
        "Companion of `awards_summary`: the totals over the latest snapshot in one row "
        "(equal to the sums of the awards_summary columns, nulls counting as nothing)."
    ),
    row="The latest snapshot (exactly one row; none when silver is empty).",
    sql=_with()
    + """SELECT
    snapshot_date,
    count(*)::BIGINT AS movies,
    count(*) FILTER (
        WHERE oscar_wins IS NOT NULL OR oscar_nominations IS NOT NULL
           OR award_wins IS NOT NULL OR award_nominations IS NOT NULL
    )::BIGINT AS movies_with_awards_info,
    count(*) FILTER (WHERE oscar_wins > 0)::BIGINT AS movies_with_oscar_win,
    coalesce(sum(oscar_wins), 0)::BIGINT AS oscar_wins,
    coalesce(sum(oscar_nominations), 0)::BIGINT AS oscar_nominations,
    coalesce(sum(award_wins), 0)::BIGINT AS award_wins,
    coalesce(sum(award_nominations), 0)::BIGINT AS award_nominations
FROM latest
GROUP BY snapshot_date""",
    columns=(
        SNAPSHOT,
        _col("movies", _I64, "Movies in the snapshot.", "movies"),
        _col(
            "movies_with_awards_info",
            _I64,
            "Movies whose awards are known (any of the four counts not null).",
            "movies",
        ),
        _col("movies_with_oscar_win", _I64, "Movies with at least one Oscar won.", "movies"),
        _col("oscar_wins", _I64, "Oscars won, summed over the snapshot.", "awards"),
        _col("oscar_nominations", _I64, "Oscar nominations, summed.", "nominations"),
        _col("award_wins", _I64, "Other award wins, summed.", "awards"),
        _col("award_nominations", _I64, "Other award nominations, summed.", "nominations"),
    ),
)

KPIS = GoldDataset(
    name="kpis",
    description=(
        "The headline figures of the latest snapshot in one row, for a KPI header. "
        "Totals follow the same rules as the other datasets (oscar_wins equals "
        "awards_totals.oscar_wins; the top movie is rank 1 of top_rated)."
    ),
    row="The latest snapshot (exactly one row; none when silver is empty).",
    sql=_with(
        _exploded("genres", "genre"),
        _exploded("countries", "country"),
        _exploded("directors", "director"),
        f"""top_movie AS (
    SELECT imdb_id, title, imdb_rating FROM latest ORDER BY {_RANKING} LIMIT 1
)""",
    )
    + f"""SELECT
    l.snapshot_date,
    count(*)::BIGINT AS movies,
    {_avg("l.imdb_rating")} AS avg_imdb_rating,
    {_avg("l.metascore")} AS avg_metascore,
    {_avg("l.rotten_tomatoes")} AS avg_rotten_tomatoes,
    {_avg("l.runtime_minutes")} AS avg_runtime_minutes,
    coalesce(sum(l.imdb_votes), 0)::BIGINT AS total_imdb_votes,
    coalesce(sum(l.box_office_usd), 0)::BIGINT AS total_box_office_usd,
    count(l.box_office_usd)::BIGINT AS movies_with_box_office,
    coalesce(sum(l.oscar_wins), 0)::BIGINT AS oscar_wins,
    coalesce(sum(l.oscar_nominations), 0)::BIGINT AS oscar_nominations,
    coalesce(sum(l.award_wins), 0)::BIGINT AS total_award_wins,
    coalesce(sum(l.award_nominations), 0)::BIGINT AS total_award_nominations,
    min(l.year)::INTEGER AS earliest_year,
    max(l.year)::INTEGER AS latest_year,
    (SELECT count(DISTINCT genre) FROM genres_items)::BIGINT AS genres,
    (SELECT count(DISTINCT country) FROM countries_items)::BIGINT AS countries,
    (SELECT count(DISTINCT director) FROM directors_items)::BIGINT AS directors,
    any_value(t.imdb_id) AS top_movie_imdb_id,
    any_value(t.title) AS top_movie_title,
    any_value(t.imdb_rating)::DOUBLE AS top_movie_imdb_rating,
    -- null, not 0, for a snapshot written before silver recorded enrichment
    CASE WHEN count(l.enrichment) > 0
         THEN count(*) FILTER (WHERE l.enrichment = 'stale') END::BIGINT AS stale_movies,
    CASE WHEN count(l.enrichment) > 0
         THEN count(*) FILTER (WHERE l.enrichment = 'pending') END::BIGINT AS pending_movies,
    min(l.omdb_fetched_at)::DATE AS oldest_answer_date
FROM latest AS l
CROSS JOIN top_movie AS t
GROUP BY l.snapshot_date""",
    columns=(
        SNAPSHOT,
        _col("movies", _I64, "Titles in the snapshot.", "movies"),
        _col(
            "avg_imdb_rating",
            _F64,
            "Mean IMDb rating, 2 decimals; nulls ignored.",
            "IMDb points (0-10)",
        ),
        _col("avg_metascore", _F64, "Mean Metacritic score, 2 decimals.", "points (0-100)"),
        _col(
            "avg_rotten_tomatoes",
            _F64,
            "Mean Rotten Tomatoes score, 2 decimals.",
            "percent (0-100)",
        ),
        _col("avg_runtime_minutes", _F64, "Mean runtime, 2 decimals.", "minutes"),
        _col("total_imdb_votes", _I64, "IMDb votes summed over the known values.", "votes"),
        _col("total_box_office_usd", _I64, "Known US box office, summed; 0 when none.", "USD"),
        WITH_BOX,
        _col("oscar_wins", _I64, "Oscars won, summed over the known values.", "awards"),
        _col("oscar_nominations", _I64, "Oscar nominations, summed.", "nominations"),
        _col("total_award_wins", _I64, "Other award wins, summed.", "awards"),
        _col("total_award_nominations", _I64, "Other award nominations, summed.", "nominations"),
        _col("earliest_year", _I32, "Oldest release year; null when no year known.", "year"),
        _col("latest_year", _I32, "Newest release year; null when no year known.", "year"),
        _col("genres", _I64, "Distinct genres.", "genres"),
        _col("countries", _I64, "Distinct production countries.", "countries"),
        _col("directors", _I64, "Distinct directors.", "directors"),
        _col("top_movie_imdb_id", _STR, "imdb_id of the title ranked 1 in top_rated."),
        _col("top_movie_title", _STR, "Title ranked 1 in top_rated."),
        _col(
            "top_movie_imdb_rating",
            _F64,
            "IMDb rating of the title ranked 1.",
            "IMDb points (0-10)",
        ),
        _col(
            "stale_movies",
            _I64,
            "Titles whose OMDb fields are the newest stored answer, past the cache TTL "
            "(silver `enrichment` = `stale`: the day's request budget went to other movies); "
            "null for a snapshot written before silver recorded enrichment.",
            "movies",
        ),
        _col(
            "pending_movies",
            _I64,
            "Titles with no OMDb answer yet (silver `enrichment` = `pending`: the source's "
            "fields only, first in line the next day).",
            "movies",
        ),
        _col(
            "oldest_answer_date",
            _DATE,
            "UTC date of the oldest OMDb answer in the snapshot: how fresh the snapshot is "
            "at worst (null when no title has an answer).",
        ),
    ),
)


# --------------------------------------------------------------------------------------------
# History: every snapshot, from the days' lists
# --------------------------------------------------------------------------------------------

SILVER_HISTORY_SQL = """WITH answers AS MATERIALIZED (
    SELECT snapshot_date, imdb_id, source_rank, title, source_rating, source_votes,
           imdb_rating, imdb_votes
    FROM silver_movies_all
    WHERE imdb_id IS NOT NULL
),
listed AS MATERIALIZED (
    SELECT snapshot_date, imdb_id, source_rank AS rank, title, source_rating, source_votes
    FROM silver_lists
)
SELECT
    e.snapshot_date,
    e.imdb_id,
    e.rank,
    coalesce(a.title, e.title) AS title,
    coalesce(a.imdb_rating, e.source_rating)::DOUBLE AS imdb_rating,
    coalesce(a.imdb_votes, e.source_votes)::BIGINT AS imdb_votes
FROM (
    SELECT * FROM listed
    WHERE imdb_id IS NOT NULL
    UNION ALL
    SELECT snapshot_date, imdb_id, source_rank, title, source_rating, source_votes
    FROM answers
    WHERE snapshot_date NOT IN (SELECT DISTINCT snapshot_date FROM listed)
) AS e
LEFT JOIN answers AS a USING (snapshot_date, imdb_id)"""
"""One row per movie per snapshot date: ``snapshot_date, imdb_id, rank, title, imdb_rating,
imdb_votes``, from the views ``silver_lists`` and ``silver_movies_all`` (every day's movies).
Not deduplicated here (a third of the history build's time): both tables hold one row per
movie per day by contract (a source list with a repeated id is refused; silver keeps one
answer per movie). Each view is read once (``MATERIALIZED``): the fallback for days without
a list and the join with the answers would otherwise scan every day's files again."""


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def prepare_history(con: duckdb.DuckDBPyConnection) -> None:
    """Materialise ``silver_history`` (read once, used by every history dataset) from the views
    ``silver_lists`` and ``silver_movies_all`` on ``con``. Without ``silver_lists`` there is
    no list (every day falls back to its movies); without ``silver_movies_all`` the
    ``silver_movies`` view is taken as every day's movies."""
    present = _relations(con)
    if "silver_lists" not in present:
        from cinelake.silver.schema import lists_arrow_schema

        con.register("silver_lists", lists_arrow_schema(include_partition=True).empty_table())
    if "silver_movies_all" not in present:
        con.execute("CREATE OR REPLACE TEMP VIEW silver_movies_all AS SELECT * FROM silver_movies")
    con.execute(f"CREATE OR REPLACE TEMP TABLE silver_history AS {SILVER_HISTORY_SQL}")


def prepare_quality(
    con: duckdb.DuckDBPyConnection,
    days: list[dict[str, object]] | None = None,
    checks: list[dict[str, object]] | None = None,
) -> None:
    """Register ``quality_days`` and ``quality_checks`` (the rows of
    :func:`cinelake.stages.quality.quality_tables`) on ``con``; when not given and not
    registered yet, empty ones."""
    present = _relations(con)
    if days is not None or "quality_days" not in present:
        con.register("quality_days", pa.Table.from_pylist(days or [], DATA_QUALITY.schema))
    if checks is not None or "quality_checks" not in present:
        rows = [r | {"ord": i} for i, r in enumerate(checks or [])]
        schema = DATA_QUALITY_CHECKS.schema.append(pa.field("ord", pa.int64()))
        con.register("quality_checks", pa.Table.from_pylist(rows, schema))


# Each snapshot date and the latest earlier date that has a snapshot.
_DAYS = """days AS (
    SELECT snapshot_date,
           lag(snapshot_date) OVER (ORDER BY snapshot_date) AS previous_snapshot_date,
           row_number() OVER (ORDER BY snapshot_date) AS day_index
    FROM (SELECT DISTINCT snapshot_date FROM silver_history)
)"""

_RANK = _col("rank", _I32, "Position in that day's top list.", "rank")

MOVERS = GoldDataset(
    name="movers",
    description=(
        "What changed from one snapshot to the next: for every snapshot date, each movie on "
        "that day's list or on the previous snapshot's list, with both ranks and a status. "
        "The previous snapshot is the latest earlier date that has one (missing days are "
        "skipped). The first snapshot has no previous one: all its movies are `new` with a "
        "null previous_snapshot_date, so 'entered' is uniformly status = 'new'. A movie "
        "missing one day and back the next is `exited` on the first and `new` on the second. "
        "Ordered by snapshot_date, rank (exits last, by previous_rank), imdb_id."
    ),
    row="One movie on a snapshot's list or on the previous snapshot's list.",
    scope="history",
    partition_column="snapshot_date",
    sql=f"""WITH {_DAYS},
today AS (
    SELECT d.snapshot_date, d.previous_snapshot_date, h.imdb_id, h.title, h.rank
    FROM silver_history AS h JOIN days AS d USING (snapshot_date)
),
before AS (
    SELECT d.snapshot_date, d.previous_snapshot_date, h.imdb_id, h.title, h.rank
    FROM silver_history AS h JOIN days AS d ON h.snapshot_date = d.previous_snapshot_date
),
pairs AS (
    SELECT
        coalesce(t.snapshot_date, b.snapshot_date) AS snapshot_date,
        coalesce(t.previous_snapshot_date, b.previous_snapshot_date) AS previous_snapshot_date,
        coalesce(t.imdb_id, b.imdb_id) AS imdb_id,
        CASE WHEN t.imdb_id IS NULL THEN b.title ELSE t.title END AS title,
        t.rank,
        b.rank AS previous_rank
    FROM today AS t
    FULL OUTER JOIN before AS b
      ON t.snapshot_date = b.snapshot_date AND t.imdb_id = b.imdb_id
)
SELECT
    snapshot_date,
    previous_snapshot_date,
    imdb_id,
    title,
    rank::INTEGER AS rank,
    previous_rank::INTEGER AS previous_rank,
    (previous_rank - rank)::INTEGER AS rank_change,
    CASE
        WHEN previous_rank IS NULL THEN 'new'
        WHEN rank IS NULL THEN 'exited'
        WHEN previous_rank > rank THEN 'up'
        WHEN previous_rank < rank THEN 'down'
        ELSE 'same'
    END AS status
FROM pairs
ORDER BY snapshot_date, rank ASC NULLS LAST, previous_rank ASC NULLS LAST, imdb_id""",
    columns=(
        _col("snapshot_date", _DATE, "The snapshot date (Athena partition).", "date"),
        _col(
            "previous_snapshot_date",
            _DATE,
            "The latest earlier date with a snapshot; null for the first snapshot.",
            "date",
        ),
        IMDB_ID,
        _col(
            "title",
            _STR,
            "Title of that day (OMDb's, else the list's); for an exited movie, the previous day's.",
        ),
        _col("rank", _I32, "Rank on this snapshot's list; null when the movie left.", "rank"),
        _col(
            "previous_rank",
            _I32,
            "Rank on the previous snapshot's list; null when the movie is new.",
            "rank",
        ),
        _col(
            "rank_change",
            _I32,
            "previous_rank - rank: positive = moved up; null when either rank is null.",
            "ranks",
        ),
        _col(
            "status",
            _STR,
            "new (not on the previous list, or first snapshot), up, down, same, or exited "
            "(on the previous list, not on this one).",
        ),
    ),
)

RANK_HISTORY = GoldDataset(
    name="rank_history",
    description=(
        "Every movie's rank on every snapshot, with the rating and votes of that day "
        "(OMDb's when it answered that day, else the list's own; null when neither is "
        "known): a movie's trajectory is its rows ordered by date. Ordered by "
        "snapshot_date, rank, imdb_id."
    ),
    row="One movie on one snapshot's list.",
    scope="history",
    partition_column="snapshot_date",
    sql="""SELECT snapshot_date, imdb_id, title, rank::INTEGER AS rank, imdb_rating, imdb_votes
FROM silver_history
ORDER BY snapshot_date, rank, imdb_id""",
    columns=(
        _col("snapshot_date", _DATE, "The snapshot date (Athena partition).", "date"),
        IMDB_ID,
        _col("title", _STR, "Title of that day (OMDb's, else the list's)."),
        _RANK,
        _col(
            "imdb_rating",
            _F64,
            "IMDb rating of that day (OMDb's, else the list's); null when unknown.",
            "IMDb points (0-10)",
        ),
        _col(
            "imdb_votes",
            _I64,
            "IMDb votes of that day (OMDb's, else the list's); null when unknown.",
            "votes",
        ),
    ),
)

TOP_MOVERS_WINDOWS: tuple[int, ...] = (7, 30)
TOP_MOVERS_PER_DIRECTION = 10

TOP_MOVERS = GoldDataset(
    name="top_movers",
    description=(
        f"The biggest climbers and fallers over the last {' and '.join(map(str, TOP_MOVERS_WINDOWS))} "
        "days: the latest snapshot compared with the latest snapshot at least window_days "
        "older (the base). Only movies on both lists count (entries and exits are in "
        f"`movers`); up to {TOP_MOVERS_PER_DIRECTION} per window and direction, by the size "
        "of the move, then the current rank. A window longer than the history has no rows."
    ),
    row="One movie among the biggest moves of a window and direction.",
    scope="history",
    sql=f"""WITH windows AS (
    SELECT window_days,
           (SELECT max(snapshot_date) FROM silver_history) AS snapshot_date
    FROM (VALUES {", ".join(f"({w})" for w in TOP_MOVERS_WINDOWS)}) AS w(window_days)
),
bases AS (
    SELECT w.window_days, w.snapshot_date,
           (SELECT max(h.snapshot_date) FROM silver_history AS h
            WHERE h.snapshot_date <= w.snapshot_date - w.window_days) AS base_snapshot_date
    FROM windows AS w
),
moves AS (
    SELECT b.window_days, b.snapshot_date, b.base_snapshot_date, c.imdb_id, c.title,
           c.rank, p.rank AS base_rank, p.rank - c.rank AS rank_change
    FROM bases AS b
    JOIN silver_history AS c ON c.snapshot_date = b.snapshot_date
    JOIN silver_history AS p
      ON p.snapshot_date = b.base_snapshot_date AND p.imdb_id = c.imdb_id
    WHERE p.rank <> c.rank
),
ranked AS (
    SELECT *,
           CASE WHEN rank_change > 0 THEN 'climber' ELSE 'faller' END AS direction,
           row_number() OVER (
               PARTITION BY window_days, rank_change > 0
               ORDER BY abs(rank_change) DESC, rank ASC, imdb_id ASC
           ) AS position
    FROM moves
)
SELECT
    window_days::INTEGER AS window_days,
    direction,
    position::INTEGER AS position,
    snapshot_date,
    base_snapshot_date,
    imdb_id,
    title,
    rank::INTEGER AS rank,
    base_rank::INTEGER AS base_rank,
    rank_change::INTEGER AS rank_change
FROM ranked
WHERE position <= {TOP_MOVERS_PER_DIRECTION}
ORDER BY window_days, direction, position""",
    columns=(
        _col("window_days", _I32, "Length of the window.", "days"),
        _col("direction", _STR, "climber (moved up) or faller (moved down)."),
        _col("position", _I32, "1 = the biggest move of its window and direction.", "rank"),
        _col("snapshot_date", _DATE, "The latest snapshot.", "date"),
        _col(
            "base_snapshot_date",
            _DATE,
            "The snapshot compared with: the latest one at least window_days older.",
            "date",
        ),
        IMDB_ID,
        _col("title", _STR, "Title on the latest snapshot."),
        _col("rank", _I32, "Rank on the latest snapshot.", "rank"),
        _col("base_rank", _I32, "Rank on the base snapshot.", "rank"),
        _col(
            "rank_change",
            _I32,
            "base_rank - rank: positive = climbed, negative = fell.",
            "ranks",
        ),
    ),
)

LIST_TENURE = GoldDataset(
    name="list_tenure",
    description=(
        "How long every movie ever on the list has been there: first and last snapshot, "
        "snapshots on the list, the current and the longest run of consecutive snapshots, "
        "best and latest rank. Ordered by latest_rank (movies no longer on the list last, "
        "longest tenure first), then imdb_id."
    ),
    row="One movie that was on at least one snapshot's list.",
    scope="history",
    sql=f"""WITH {_DAYS},
seen AS (
    SELECT h.imdb_id, h.title, h.rank, h.snapshot_date, d.day_index,
           d.day_index - row_number() OVER (PARTITION BY h.imdb_id ORDER BY d.day_index)
               AS streak
    FROM silver_history AS h JOIN days AS d USING (snapshot_date)
),
streaks AS (
    SELECT imdb_id, streak, count(*) AS snapshots, max(day_index) AS last_index
    FROM seen GROUP BY imdb_id, streak
),
runs AS (
    SELECT imdb_id,
           max(snapshots) AS longest,
           max(snapshots) FILTER (WHERE last_index = (SELECT max(day_index) FROM days))
               AS current
    FROM streaks GROUP BY imdb_id
),
movies AS (
    SELECT imdb_id,
           arg_max(title, snapshot_date) AS title,
           min(snapshot_date) AS first_seen,
           max(snapshot_date) AS last_seen,
           count(*) AS days_in_list,
           min(rank) AS best_rank,
           arg_max(rank, snapshot_date) AS last_rank
    FROM seen GROUP BY imdb_id
)
SELECT
    m.imdb_id,
    m.title,
    m.first_seen,
    m.last_seen,
    m.days_in_list::BIGINT AS days_in_list,
    coalesce(r.current, 0)::BIGINT AS current_streak_days,
    r.longest::BIGINT AS longest_streak_days,
    m.best_rank::INTEGER AS best_rank,
    CASE WHEN m.last_seen = (SELECT max(snapshot_date) FROM days)
         THEN m.last_rank END::INTEGER AS latest_rank
FROM movies AS m JOIN runs AS r USING (imdb_id)
ORDER BY latest_rank ASC NULLS LAST, days_in_list DESC, m.imdb_id""",
    columns=(
        IMDB_ID,
        _col("title", _STR, "Title on the movie's last snapshot."),
        _col("first_seen", _DATE, "First snapshot with the movie on the list.", "date"),
        _col("last_seen", _DATE, "Last snapshot with the movie on the list.", "date"),
        _col("days_in_list", _I64, "Snapshots with the movie on the list.", "snapshots"),
        _col(
            "current_streak_days",
            _I64,
            "Consecutive snapshots up to the latest one with the movie on the list; 0 when "
            "it is not on the latest list.",
            "snapshots",
        ),
        _col(
            "longest_streak_days",
            _I64,
            "The longest run of consecutive snapshots with the movie on the list.",
            "snapshots",
        ),
        _col("best_rank", _I32, "Best (lowest) rank ever.", "rank"),
        _col(
            "latest_rank",
            _I32,
            "Rank on the latest snapshot; null when it is not on that list.",
            "rank",
        ),
    ),
)

LATEST_DATASETS: tuple[GoldDataset, ...] = (
    TOP_RATED,
    MOVIES_BY_GENRE,
    MOVIES_BY_COUNTRY,
    MOVIES_BY_YEAR,
    BOX_OFFICE_BY_YEAR,
    TOP_DIRECTORS,
    RATINGS_COMPARISON,
    RATINGS_CORRELATION,
    AWARDS_SUMMARY,
    AWARDS_TOTALS,
    KPIS,
)
"""The datasets about the latest snapshot."""

HISTORY_DATASETS: tuple[GoldDataset, ...] = (MOVERS, RANK_HISTORY, TOP_MOVERS, LIST_TENURE)
"""The datasets over every snapshot."""


DATA_QUALITY = GoldDataset(
    name="data_quality",
    description=(
        "Every snapshot's data-quality verdict: the day's counts and the worst of its checks "
        "(`data_quality_checks`; the checks, their thresholds and how to override them are "
        "under 'Data-quality checks' below). A snapshot built before the checks existed has "
        "no row until `cinelake rebuild`. Ordered by snapshot_date."
    ),
    row="One snapshot.",
    scope="quality",
    sql="""SELECT snapshot_date, run_id, movies_expected, source_movies, silver_rows, quarantined,
    not_found, dead_lettered, pending, stale, status, failed_checks
FROM quality_days
ORDER BY snapshot_date""",
    columns=(
        _col("snapshot_date", _DATE, "The snapshot date.", "date"),
        _col("run_id", _STR, "The run that owns the snapshot."),
        _col("movies_expected", _I32, "The top N the run asked for.", "movies"),
        _col("source_movies", _I32, "Entries in the source list used (at most top N).", "movies"),
        _col("silver_rows", _I64, "Rows of the day's silver movies.", "movies"),
        _col("quarantined", _I64, "Rows of the day's silver quarantine.", "rows"),
        _col("not_found", _I64, "Movies OMDb did not find.", "movies"),
        _col("dead_lettered", _I64, "Movies that failed every enrichment attempt.", "movies"),
        _col("pending", _I64, "Silver rows with no OMDb answer yet.", "movies"),
        _col("stale", _I64, "Silver rows whose OMDb answer is past the cache TTL.", "movies"),
        _col("status", _STR, "pass, warn or fail: the worst of the day's checks."),
        _col(
            "failed_checks",
            _STR,
            "The checks that did not pass, '; '-separated, each as "
            "`name=value (status above|below threshold)`; '' when every check passed.",
        ),
    ),
)

DATA_QUALITY_CHECKS = GoldDataset(
    name="data_quality_checks",
    description=(
        "Every check of every snapshot with its value, the threshold it was judged against "
        "(the fail threshold when it failed, else the warn threshold) and its status. A "
        "check without a value that day (the first snapshot has no previous list to compare "
        "with) has no row. Ordered by snapshot_date, then the order of the check table."
    ),
    row="One check of one snapshot.",
    scope="quality",
    sql="""SELECT snapshot_date, "check", value, threshold, status
FROM quality_checks
ORDER BY snapshot_date, ord""",
    columns=(
        _col("snapshot_date", _DATE, "The snapshot date.", "date"),
        _col("check", _STR, "The check's name (see 'Data-quality checks')."),
        _col("value", _F64, "The measured value: a share (0..1) or a count."),
        _col("threshold", _F64, "The threshold the status is judged against."),
        _col("status", _STR, "pass, warn or fail."),
    ),
)

QUALITY_DATASETS: tuple[GoldDataset, ...] = (DATA_QUALITY, DATA_QUALITY_CHECKS)
"""Every snapshot's data-quality verdict and checks."""

DATASETS: tuple[GoldDataset, ...] = LATEST_DATASETS + HISTORY_DATASETS + QUALITY_DATASETS

_BY_NAME = {d.name: d for d in DATASETS}


def dataset(name: str) -> GoldDataset:
    """The dataset called ``name`` (KeyError when there is none)."""
    return _BY_NAME[name]


def empty_table(ds: GoldDataset) -> pa.Table:
    """A table with no rows and the dataset's schema."""
    return ds.schema.empty_table()


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    rel = con.sql(sql)
    to_table = getattr(rel, "to_arrow_table", None)  # duckdb >= 1.4
    result = to_table() if to_table is not None else rel.arrow()
    if isinstance(result, pa.RecordBatchReader):
        result = result.read_all()
    return result


def _conform(ds: GoldDataset, table: pa.Table) -> pa.Table:
    if tuple(table.column_names) != ds.column_names:
        raise RuntimeError(
            f"gold dataset {ds.name}: SQL returned {table.column_names}, "
            f"definition says {list(ds.column_names)}"
        )
    return table.cast(ds.schema)


def build_gold(
    con: duckdb.DuckDBPyConnection, datasets: Iterable[GoldDataset] = DATASETS
) -> dict[str, pa.Table]:
    """Compute gold datasets on ``con``: the latest ones from the ``silver_movies`` view, the
    history ones from the ``silver_history`` table (:func:`prepare_history`).

    Returns ``{dataset name: table}`` in the order of ``DATASETS``; each table has exactly the
    dataset's Arrow schema (field descriptions and units travel as field metadata).
    """
    datasets = tuple(datasets)
    if any(ds.scope == "history" for ds in datasets) and "silver_history" not in _relations(con):
        prepare_history(con)
    if any(ds.scope == "quality" for ds in datasets):
        prepare_quality(con)
    return {ds.name: _conform(ds, _fetch(con, ds.sql)) for ds in datasets}


if __name__ == "__main__":  # python -m cinelake.gold.datasets > docs/gold_datasets.md
    import sys

    from cinelake.gold.docs import render_docs

    sys.stdout.write(render_docs(DATASETS, RULES))
    from cinelake.quality import docs_section

    sys.stdout.write(docs_section())
