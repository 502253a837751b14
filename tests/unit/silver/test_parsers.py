"""The OMDb value parsers: the SQL macros, exercised through their Python wrappers.

The wrappers run the very macros the silver transform uses (no second implementation),
so these tests pin the production SQL. Missing values ("N/A", "", None) give None;
present-but-garbage values give the distinct ``UNPARSEABLE`` sentinel, which the
transform turns into a quarantine reason.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cinelake.silver import parsers as p
from cinelake.silver.parsers import UNPARSEABLE, Awards, YearRange

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MISSING = ("N/A", "", None, " ", "  N/A  ")

TYPED_PARSERS = (
    p.parse_int_grouped,
    p.parse_usd,
    p.parse_minutes,
    p.parse_omdb_date,
    p.parse_year_range,
    p.parse_decimal,
    p.parse_percent,
    p.parse_out_of_100,
)

non_negative = st.integers(min_value=0, max_value=2**63 - 1)
int32s = st.integers(min_value=0, max_value=2**31 - 1)
years = st.integers(min_value=1000, max_value=9999)
# Printable text without control characters (JSON would escape those anyway).
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
with_letter = texts.filter(lambda s: any(c.isalpha() for c in s) and s.strip() != "N/A")
without_digits = texts.filter(
    lambda s: not any(c.isdigit() for c in s) and s.strip() not in ("", "N/A")
)
name_chars = st.one_of(
    st.characters(whitelist_categories=("Lu", "Ll", "Lo")), st.sampled_from(" '-.")
)
names = st.text(name_chars, min_size=1, max_size=20).map(str.strip).filter(bool)
notes = st.text(name_chars, min_size=1, max_size=20).map(str.strip).filter(bool)


def omdb_date(d: date) -> str:
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------


@given(non_negative)
def test_grouped_int_round_trips(n: int) -> None:
    assert p.parse_int_grouped(f"{n:,}") == n
    assert p.parse_int_grouped(str(n)) == n


@given(non_negative)
def test_negative_grouped_int_keeps_its_sign_for_the_range_checks(n: int) -> None:
    assert p.parse_int_grouped(f"-{n:,}") == -n


@given(non_negative)
def test_dollars_round_trip(n: int) -> None:
    assert p.parse_usd(f"${n:,}") == n
    assert p.parse_usd(f"-${n:,}") == -n


@given(int32s)
def test_minutes_round_trip(n: int) -> None:
    assert p.parse_minutes(f"{n} min") == n


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_omdb_dates_round_trip(d: date) -> None:
    assert p.parse_omdb_date(omdb_date(d)) == d


@given(st.dates(min_value=date(1000, 1, 1)))
def test_single_digit_days_parse_too(d: date) -> None:
    assert p.parse_omdb_date(f"{d.day} {MONTHS[d.month - 1]} {d.year}") == d


@given(years, years)
def test_year_ranges_round_trip(a: int, b: int) -> None:
    assert p.parse_year_range(f"{a}–{b}") == YearRange(a, b)
    assert p.parse_year_range(f"{a}-{b}") == YearRange(a, b)
    assert p.parse_year_range(f"{a}–") == YearRange(a, None)
    assert p.parse_year_range(f"{a}-") == YearRange(a, None)
    assert p.parse_year_range(str(a)) == YearRange(a, None)


@given(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=9))
def test_ratings_round_trip(score: int, tenth: int) -> None:
    assert p.parse_percent(f"{score}%") == score
    assert p.parse_out_of_100(f"{score}/100") == score
    assert p.parse_decimal(f"{score // 10}.{tenth}") == pytest.approx(score // 10 + tenth / 10)


@st.composite
def awards_texts(draw: st.DrawFn) -> tuple[str, Awards]:
    """Awards text in OMDb's shapes, with the counts it was made from."""
    prize = draw(st.sampled_from(["none", "won", "nominated", "emmy"]))
    big = draw(st.integers(min_value=1, max_value=30))
    wins = draw(st.integers(min_value=0, max_value=500))
    noms = draw(st.integers(min_value=0, max_value=500))
    tail_kind = draw(st.sampled_from(["both_total", "both", "wins", "noms", "none"]))
    if prize == "none" and tail_kind == "none":
        tail_kind = "both"
    parts = []
    oscar_wins = oscar_noms = 0
    if prize == "won":
        parts.append(f"Won {plural(big, 'Oscar')}.")
        oscar_wins = big
    elif prize == "nominated":
        parts.append(f"Nominated for {plural(big, 'Oscar')}.")
        oscar_noms = big
    elif prize == "emmy":
        parts.append(f"Won {plural(big, 'Primetime Emmy')}.")
    award_wins = award_noms = 0
    if tail_kind == "both_total":
        parts.append(f"{plural(wins, 'win')} & {plural(noms, 'nomination')} total")
        award_wins, award_noms = wins, noms
    elif tail_kind == "both":
        parts.append(f"{plural(wins, 'win')} & {plural(noms, 'nomination')}")
        award_wins, award_noms = wins, noms
    elif tail_kind == "wins":
        parts.append(f"{plural(wins, 'win')}.")
        award_wins = wins
    elif tail_kind == "noms":
        parts.append(plural(noms, "nomination"))
        award_noms = noms
    return " ".join(parts), Awards(oscar_wins, oscar_noms, award_wins, award_noms)


@given(awards_texts())
def test_awards_text_round_trips_its_counts(case: tuple[str, Awards]) -> None:
    text, counts = case
    assert p.parse_awards(text) == counts


@given(st.lists(names, min_size=1, max_size=6), st.data())
def test_names_split_back_with_credit_notes_removed(people: list[str], data: st.DataObject) -> None:
    credited = [
        f"{name} ({data.draw(notes)})" if data.draw(st.booleans()) else name for name in people
    ]
    text = ", ".join(credited)
    assert p.split_credited_names(text) == dedupe(people)


@given(st.lists(names, min_size=1, max_size=6))
def test_names_split_back(people: list[str]) -> None:
    assert p.split_names(", ".join(people)) == dedupe(people)


# --------------------------------------------------------------------------------------
# Missing versus garbage
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("parser", TYPED_PARSERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("missing", MISSING)
def test_missing_is_none_not_garbage(parser, missing) -> None:
    assert parser(missing) is None


@pytest.mark.parametrize("missing", MISSING)
def test_missing_text_lists_and_awards(missing) -> None:
    assert p.parse_na(missing) is None
    assert p.parse_awards(missing) is None
    assert p.split_names(missing) == []
    assert p.split_credited_names(missing) == []


@pytest.mark.parametrize(
    "parser",
    (p.parse_int_grouped, p.parse_usd, p.parse_decimal, p.parse_percent),
    ids=lambda f: f.__name__,
)
@given(value=with_letter)
def test_text_with_letters_is_garbage_for_numeric_parsers(parser, value: str) -> None:
    assert parser(value) is UNPARSEABLE


@pytest.mark.parametrize(
    "parser",
    (p.parse_omdb_date, p.parse_year_range, p.parse_out_of_100, p.parse_minutes),
    ids=lambda f: f.__name__,
)
@given(value=without_digits)
def test_text_without_digits_is_garbage_for_dates_and_years(parser, value: str) -> None:
    assert parser(value) is UNPARSEABLE


def test_the_sentinel_is_distinct_and_falsy() -> None:
    assert UNPARSEABLE is not None
    assert not UNPARSEABLE
    assert repr(UNPARSEABLE) == "UNPARSEABLE"
    assert type(UNPARSEABLE)() is UNPARSEABLE
    assert p.is_unparseable("abc", "parse_minutes")
    assert not p.is_unparseable("N/A", "parse_minutes")
    assert not p.is_unparseable("142 min", "parse_minutes")


# --------------------------------------------------------------------------------------
# Real-world examples: every quirk from the issue
# --------------------------------------------------------------------------------------

REAL_WORLD = [
    # "N/A" for missing values
    (p.parse_na, "N/A", None),
    (p.parse_na, "The Godfather", "The Godfather"),
    (p.parse_na, "=SUM(A1)", "=SUM(A1)"),
    # comma-grouped numbers
    (p.parse_int_grouped, "3,120,594", 3120594),
    (p.parse_int_grouped, "2,757,004", 2757004),
    (p.parse_int_grouped, "812", 812),
    (p.parse_int_grouped, "12a", UNPARSEABLE),
    (p.parse_int_grouped, "1,23", UNPARSEABLE),
    (p.parse_int_grouped, "99999999999999999999", UNPARSEABLE),
    # dollars
    (p.parse_usd, "$28,767,189", 28767189),
    (p.parse_usd, "$136,381,073", 136381073),
    (p.parse_usd, "$0", 0),
    (p.parse_usd, "28,767,189", UNPARSEABLE),
    (p.parse_usd, "€1,000", UNPARSEABLE),
    # runtimes: only what is real
    (p.parse_minutes, "142 min", 142),
    (p.parse_minutes, "1 min", 1),
    (p.parse_minutes, "abc", UNPARSEABLE),
    (p.parse_minutes, "1 h 30 min", UNPARSEABLE),
    (p.parse_minutes, "142", UNPARSEABLE),
    # dates
    (p.parse_omdb_date, "14 Oct 1994", date(1994, 10, 14)),
    (p.parse_omdb_date, "24 Mar 1972", date(1972, 3, 24)),
    (p.parse_omdb_date, "29 Feb 2000", date(2000, 2, 29)),
    (p.parse_omdb_date, "32 Foo 1999", UNPARSEABLE),
    (p.parse_omdb_date, "29 Feb 1999", UNPARSEABLE),
    (p.parse_omdb_date, "14 Oct 94", UNPARSEABLE),
    (p.parse_omdb_date, "1994-10-14", UNPARSEABLE),
    # year ranges for series: en dash, hyphen, running
    (p.parse_year_range, "1994", YearRange(1994, None)),
    (p.parse_year_range, "2008–2013", YearRange(2008, 2013)),
    (p.parse_year_range, "2008-2013", YearRange(2008, 2013)),
    (p.parse_year_range, "2019–", YearRange(2019, None)),
    (p.parse_year_range, "2019-", YearRange(2019, None)),
    (p.parse_year_range, "19944", UNPARSEABLE),
    (p.parse_year_range, "c. 1994", UNPARSEABLE),
    # ratings
    (p.parse_decimal, "9.2", 9.2),
    (p.parse_decimal, "11.2", 11.2),
    (p.parse_decimal, "9,2", UNPARSEABLE),
    (p.parse_percent, "91%", 91),
    (p.parse_percent, "91", UNPARSEABLE),
    (p.parse_out_of_100, "82/100", 82),
    (p.parse_out_of_100, "82/10", UNPARSEABLE),
    # free-text awards
    (p.parse_awards, "Won 3 Oscars. 31 wins & 31 nominations total", Awards(3, 0, 31, 31)),
    (
        p.parse_awards,
        "Nominated for 7 Oscars. 21 wins & 43 nominations total",
        Awards(0, 7, 21, 43),
    ),
    (
        p.parse_awards,
        "Won 16 Primetime Emmys. 162 wins & 264 nominations total",
        Awards(0, 0, 162, 264),
    ),
    (p.parse_awards, "Won 1 Oscar. 5 wins & 3 nominations total", Awards(1, 0, 5, 3)),
    (p.parse_awards, "Nominated for 1 Oscar. 1 win & 1 nomination total", Awards(0, 1, 1, 1)),
    (p.parse_awards, "Won 3 Oscars. Another 26 wins & 30 nominations.", Awards(3, 0, 26, 30)),
    (p.parse_awards, "1 win.", Awards(0, 0, 1, 0)),
    (p.parse_awards, "2 nominations", Awards(0, 0, 0, 2)),
    (p.parse_awards, "1 win & 2 nominations", Awards(0, 0, 1, 2)),
    (p.parse_awards, "Won 2 Golden Globes.", Awards(0, 0, 0, 0)),
    (p.parse_awards, "N/A", None),
    # writers with credit notes, deduplicated in first-seen order
    (
        p.split_credited_names,
        "Mario Puzo (screenplay by), Francis Ford Coppola (screenplay by)",
        ["Mario Puzo", "Francis Ford Coppola"],
    ),
    (
        p.split_credited_names,
        "Mario Puzo (novel), Mario Puzo (screenplay by), Francis Ford Coppola (screenplay by)",
        ["Mario Puzo", "Francis Ford Coppola"],
    ),
    (
        p.split_credited_names,
        'Stephen King (short novel "Rita Hayworth, and Shawshank"), Frank Darabont (screenplay)',
        ["Stephen King", "Frank Darabont"],
    ),
    (p.split_credited_names, "Luc Besson", ["Luc Besson"]),
    (p.strip_credit_notes, "Mario Puzo (screenplay by)", "Mario Puzo"),
    # plain lists: trimmed, never null, Unicode intact
    (p.split_names, "Crime, Drama", ["Crime", "Drama"]),
    (
        p.split_names,
        "Jean Reno,  Gary Oldman ,Natalie Portman",
        ["Jean Reno", "Gary Oldman", "Natalie Portman"],
    ),
    (p.split_names, "Rumi Hiiragi, Miyu Irino, 柊瑠美", ["Rumi Hiiragi", "Miyu Irino", "柊瑠美"]),
    (p.split_names, "English, , French", ["English", "French"]),
    (p.split_names, "N/A", []),
]


@pytest.mark.parametrize(
    ("parser", "value", "expected"),
    REAL_WORLD,
    ids=[f"{f.__name__}:{v}" for f, v, _ in REAL_WORLD],
)
def test_real_world_examples(parser, value, expected) -> None:
    result = parser(value)
    if expected is UNPARSEABLE or expected is None:
        assert result is expected
    else:
        assert result == expected


def test_macros_register_on_any_connection_and_work_set_wise() -> None:
    con = p.register_parsers(duckdb.connect(":memory:"))
    rows = con.execute(
        """
        SELECT parse_usd(v), is_unparseable(v, parse_usd(v))
        FROM (VALUES ('$1,000'), ('N/A'), ('lots')) AS t(v)
        """
    ).fetchall()
    assert rows == [(1000, False), (None, False), (None, True)]
    assert {name for name, _ in p.MACROS} >= {
        "parse_na",
        "parse_int_grouped",
        "parse_usd",
        "parse_minutes",
        "parse_omdb_date",
        "parse_year_range",
        "parse_awards",
        "split_names",
        "strip_credit_notes",
    }
