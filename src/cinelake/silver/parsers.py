"""OMDb value parsers, written once as DuckDB SQL macros.

OMDb answers every field as a string: ``"N/A"`` for missing values, comma-grouped
numbers, dollar amounts, ``"142 min"`` runtimes, ``"14 Oct 1994"`` dates, year ranges
and free-text awards. Each parser below is ONE SQL macro. The silver transform
registers them on its DuckDB connection (:func:`register_parsers`) and applies them
set-wise to every record; the thin Python wrappers at the bottom run the very same
macros on a small shared in-memory connection, so unit tests exercise the production
SQL and there is no second implementation in Python.

Missing versus garbage -- the explicit design
---------------------------------------------
Every typed parser returns SQL ``NULL`` both for a *missing* value (``"N/A"``, ``""``,
only spaces, or no key at all) and for *garbage* (``"abc"`` as a runtime). The two are
told apart by one rule, itself a macro, :data:`IS_UNPARSEABLE`::

    is_unparseable(raw, parsed) := parse_na(raw) IS NOT NULL AND parsed IS NULL

i.e. a value was present but did not parse. The transform turns that into a quarantine
reason (``unparseable: Runtime="abc"``); the Python wrappers return the distinct
sentinel :data:`UNPARSEABLE` instead of ``None``. Free-text fields (awards, names) can
never be garbage: text without recognisable counts simply counts zero.

The typed parsers accept exactly the forms OMDb produces (``"142 min"``, not
``" 142 min"`` or ``"1 h 30 min"``): anything else is garbage, so surprises surface in
quarantine instead of being guessed at.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any, Final, NamedTuple

import duckdb

__all__ = [
    "MACROS",
    "UNPARSEABLE",
    "Awards",
    "Unparseable",
    "YearRange",
    "is_unparseable",
    "parse_awards",
    "parse_decimal",
    "parse_int_grouped",
    "parse_minutes",
    "parse_na",
    "parse_omdb_date",
    "parse_out_of_100",
    "parse_percent",
    "parse_usd",
    "parse_year_range",
    "register_parsers",
    "split_credited_names",
    "split_names",
    "strip_credit_notes",
]

# --------------------------------------------------------------------------------------
# The macros. Order matters: a macro may only use macros defined before it.
# --------------------------------------------------------------------------------------

PARSE_NA: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_na(s) AS
    CASE WHEN trim(s) IN ('', 'N/A') THEN NULL ELSE s END
"""
"""``"N/A"``, ``""`` (also padded with spaces) and NULL -> NULL; anything else unchanged."""

IS_UNPARSEABLE: Final = r"""
CREATE OR REPLACE TEMP MACRO is_unparseable(raw, parsed) AS
    parse_na(raw) IS NOT NULL AND parsed IS NULL
"""
"""The one rule that tells garbage from missing: present, yet parsed to NULL."""

# The numeric parsers accept exactly the forms OMDb uses (no padding): one anchored
# regular expression decides, a cast converts. TRY_CAST turns an overflow into garbage.

PARSE_INT_GROUPED: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_int_grouped(s) AS
    CASE WHEN regexp_full_match(s, '-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)')
        THEN TRY_CAST(replace(s, ',', '') AS BIGINT)
    END
"""
"""``"3,120,594"`` / ``"812"`` / ``"-5"`` -> BIGINT (the sign is kept so range checks see it)."""

PARSE_USD: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_usd(s) AS
    CASE WHEN regexp_full_match(s, '(?:-\$|\$-?)(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)')
        THEN TRY_CAST(replace(replace(s, '$', ''), ',', '') AS BIGINT)
    END
"""
"""``"$28,767,189"`` -> 28767189. The ``$`` is required: another currency is garbage."""

PARSE_MINUTES: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_minutes(s) AS
    CASE WHEN regexp_full_match(s, '[0-9]+ min')
        THEN TRY_CAST(split_part(s, ' ', 1) AS INTEGER)
    END
"""
"""``"142 min"`` -> 142. Only the form OMDb really uses; ``"1 h 30 min"`` is garbage."""

PARSE_OMDB_DATE: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_omdb_date(s) AS
    CASE WHEN regexp_full_match(s, '[0-9]{1,2} [A-Za-z]{3} [0-9]{4}')
        THEN CAST(try_strptime(s, '%d %b %Y') AS DATE)
    END
"""
"""``"14 Oct 1994"`` -> DATE. English month abbreviations; ``"32 Foo 1999"`` is garbage."""

PARSE_YEAR_RANGE: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_year_range(s) AS
    CASE WHEN regexp_full_match(s, '[0-9]{4}(?:\s*[–-]\s*(?:[0-9]{4})?)?')
        THEN struct_pack(
            year := CAST(left(s, 4) AS INTEGER),
            end_year := CASE WHEN length(s) > 4 THEN TRY_CAST(
                NULLIF(regexp_extract(s, '([0-9]{4})$', 1), '') AS INTEGER) END
        )
    END
"""
"""``"1994"`` / ``"2008–2013"`` / ``"2008-2013"`` / ``"2019–"`` -> {year, end_year}.

En dash and hyphen are both accepted; ``end_year`` is NULL unless the range has an end.
"""

PARSE_DECIMAL: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_decimal(s) AS
    CASE WHEN regexp_full_match(s, '-?[0-9]+(?:\.[0-9]+)?')
        THEN TRY_CAST(s AS DOUBLE)
    END
"""
"""``"9.2"`` -> 9.2 (imdbRating). The sign is kept so the 0-10 range check sees it."""

PARSE_PERCENT: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_percent(s) AS
    CASE WHEN regexp_full_match(s, '[0-9]+%')
        THEN TRY_CAST(rtrim(s, '%') AS INTEGER)
    END
"""
"""``"91%"`` -> 91 (the Rotten Tomatoes rating)."""

PARSE_OUT_OF_100: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_out_of_100(s) AS
    CASE WHEN regexp_full_match(s, '[0-9]+/100')
        THEN TRY_CAST(split_part(s, '/', 1) AS INTEGER)
    END
"""
"""``"82/100"`` -> 82 (the Metacritic entry of ``Ratings``)."""

PARSE_AWARDS: Final = r"""
CREATE OR REPLACE TEMP MACRO parse_awards(s) AS
    CASE WHEN parse_na(s) IS NOT NULL THEN struct_pack(
        oscar_wins := coalesce(TRY_CAST(NULLIF(
            regexp_extract(s, '(?i)\bwon ([0-9]+) oscars?\b', 1), '') AS INTEGER), 0),
        oscar_nominations := coalesce(TRY_CAST(NULLIF(
            regexp_extract(s, '(?i)\bnominated for ([0-9]+) oscars?\b', 1), '') AS INTEGER), 0),
        award_wins := coalesce(TRY_CAST(NULLIF(
            regexp_extract(s, '(?i)\b([0-9]+) wins?\b', 1), '') AS INTEGER), 0),
        award_nominations := coalesce(TRY_CAST(NULLIF(
            regexp_extract(s, '(?i)\b([0-9]+) nominations?\b', 1), '') AS INTEGER), 0)
    ) END
"""
"""Free-text awards -> {oscar_wins, oscar_nominations, award_wins, award_nominations}.

``"Won 3 Oscars. 31 wins & 31 nominations total"`` -> (3, 0, 31, 31). A count the text
does not mention is 0; ``"N/A"`` gives a NULL struct (so all four are NULL).
``oscar_nominations`` counts only ``"Nominated for N Oscars"``: for ``"Won N Oscars"``
OMDb does not say how many nominations there were, so none are inferred.
"""

STRIP_CREDIT_NOTES: Final = r"""
CREATE OR REPLACE TEMP MACRO strip_credit_notes(s) AS
    CASE WHEN contains(s, '(') THEN regexp_replace(s, '\s*\([^()]*\)', '', 'g') ELSE s END
"""
"""``"Mario Puzo (screenplay by)"`` -> ``"Mario Puzo"`` (every parenthesised note)."""

SPLIT_NAMES: Final = r"""
CREATE OR REPLACE TEMP MACRO split_names(s) AS
    coalesce(
        list_transform(
            [list_transform(string_split(s, ','), lambda x: trim(x))],
            lambda v: list_filter(v, lambda x, i:
                x <> '' AND x <> 'N/A' AND list_position(v, x) = i)
        )[1],
        CAST([] AS VARCHAR[]))
"""
"""``"Drama, Crime"`` -> ``['Drama', 'Crime']``: trimmed, empty and ``N/A`` parts dropped,
duplicates dropped keeping the first-seen order; missing -> ``[]`` (never NULL).

The split list is bound once to ``v`` by the one-element ``list_transform``, so the inner
lambda does not recompute it for every item.
"""

SPLIT_CREDITED_NAMES: Final = r"""
CREATE OR REPLACE TEMP MACRO split_credited_names(s) AS
    split_names(strip_credit_notes(s))
"""
"""Writers/directors: credit notes removed first (they may contain commas), then split."""

RATING_VALUE: Final = r"""
CREATE OR REPLACE TEMP MACRO rating_value(ratings, source_name) AS
    (list_filter(ratings, lambda r: r.Source = source_name))[1].Value
"""
"""The ``Value`` of the first ``Ratings`` entry from ``source_name``; NULL if absent."""

MACROS: Final[tuple[tuple[str, str], ...]] = (
    ("parse_na", PARSE_NA),
    ("is_unparseable", IS_UNPARSEABLE),
    ("parse_int_grouped", PARSE_INT_GROUPED),
    ("parse_usd", PARSE_USD),
    ("parse_minutes", PARSE_MINUTES),
    ("parse_omdb_date", PARSE_OMDB_DATE),
    ("parse_year_range", PARSE_YEAR_RANGE),
    ("parse_decimal", PARSE_DECIMAL),
    ("parse_percent", PARSE_PERCENT),
    ("parse_out_of_100", PARSE_OUT_OF_100),
    ("parse_awards", PARSE_AWARDS),
    ("strip_credit_notes", STRIP_CREDIT_NOTES),
    ("split_names", SPLIT_NAMES),
    ("split_credited_names", SPLIT_CREDITED_NAMES),
    ("rating_value", RATING_VALUE),
)
"""(name, CREATE MACRO statement) for every parser, in dependency order."""


def register_parsers(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Create every parser macro on ``con`` (temporary, so per connection) and return it."""
    for _name, sql in MACROS:
        con.execute(sql)
    return con


# --------------------------------------------------------------------------------------
# Python wrappers: single values through the same SQL, for tests and ad-hoc use.
# --------------------------------------------------------------------------------------


class Unparseable:
    """Type of :data:`UNPARSEABLE`: a value was present but is not of the expected form."""

    _instance: Unparseable | None = None

    def __new__(cls) -> Unparseable:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNPARSEABLE"

    def __bool__(self) -> bool:
        return False


UNPARSEABLE: Final = Unparseable()
"""Returned by the typed wrappers for garbage, as opposed to ``None`` for missing."""


class YearRange(NamedTuple):
    year: int
    end_year: int | None


class Awards(NamedTuple):
    oscar_wins: int
    oscar_nominations: int
    award_wins: int
    award_nominations: int


_lock = threading.Lock()
_con: duckdb.DuckDBPyConnection | None = None


def _run(sql: str, value: str | None) -> tuple[Any, ...]:
    """Evaluate ``sql`` (with ``$v`` as a VARCHAR) on the shared parser connection."""
    global _con
    with _lock:
        if _con is None:
            _con = register_parsers(duckdb.connect(":memory:"))
        rows = _con.execute(sql, {"v": value}).fetchall()
    return tuple(rows[0])


def _typed(macro: str, value: str | None) -> Any:
    parsed, garbage = _run(
        f"SELECT {macro}(CAST($v AS VARCHAR)) AS p, "
        f"is_unparseable(CAST($v AS VARCHAR), {macro}(CAST($v AS VARCHAR)))",
        value,
    )
    return UNPARSEABLE if garbage else parsed


def is_unparseable(value: str | None, macro: str) -> bool:
    """True when ``value`` is present but ``macro`` cannot parse it (a quarantine reason)."""
    return _typed(macro, value) is UNPARSEABLE


def parse_na(value: str | None) -> str | None:
    """``"N/A"``, ``""`` and ``None`` -> ``None``; any other string unchanged."""
    return _run("SELECT parse_na(CAST($v AS VARCHAR))", value)[0]


def parse_int_grouped(value: str | None) -> int | Unparseable | None:
    """``"3,120,594"`` -> 3120594."""
    return _typed("parse_int_grouped", value)


def parse_usd(value: str | None) -> int | Unparseable | None:
    """``"$28,767,189"`` -> 28767189."""
    return _typed("parse_usd", value)


def parse_minutes(value: str | None) -> int | Unparseable | None:
    """``"142 min"`` -> 142."""
    return _typed("parse_minutes", value)


def parse_omdb_date(value: str | None) -> date | Unparseable | None:
    """``"14 Oct 1994"`` -> ``date(1994, 10, 14)``."""
    return _typed("parse_omdb_date", value)


def parse_decimal(value: str | None) -> float | Unparseable | None:
    """``"9.2"`` -> 9.2."""
    return _typed("parse_decimal", value)


def parse_percent(value: str | None) -> int | Unparseable | None:
    """``"91%"`` -> 91."""
    return _typed("parse_percent", value)


def parse_out_of_100(value: str | None) -> int | Unparseable | None:
    """``"82/100"`` -> 82."""
    return _typed("parse_out_of_100", value)


def parse_year_range(value: str | None) -> YearRange | Unparseable | None:
    """``"2008–2013"`` -> ``YearRange(2008, 2013)``; ``"2019–"`` -> ``YearRange(2019, None)``."""
    parsed = _typed("parse_year_range", value)
    if parsed is None or parsed is UNPARSEABLE:
        return parsed
    return YearRange(parsed["year"], parsed["end_year"])


def parse_awards(value: str | None) -> Awards | None:
    """Awards text -> counts (0 when not mentioned); ``None`` for ``"N/A"``/missing."""
    parsed = _run("SELECT parse_awards(CAST($v AS VARCHAR))", value)[0]
    return None if parsed is None else Awards(**parsed)


def strip_credit_notes(value: str | None) -> str | None:
    """Remove parenthesised credit notes: ``"A (screenplay by), B"`` -> ``"A, B"``."""
    return _run("SELECT strip_credit_notes(CAST($v AS VARCHAR))", value)[0]


def split_names(value: str | None) -> list[str]:
    """``"Drama, Crime"`` -> ``["Drama", "Crime"]``; missing -> ``[]``."""
    return list(_run("SELECT split_names(CAST($v AS VARCHAR))", value)[0])


def split_credited_names(value: str | None) -> list[str]:
    """Writers/directors: ``"Mario Puzo (screenplay by), ..."`` -> ``["Mario Puzo", ...]``."""
    return list(_run("SELECT split_credited_names(CAST($v AS VARCHAR))", value)[0])
