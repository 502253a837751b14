"""Gold figures checked against an independent plain-Python computation on hand-made silver rows."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cinelake.gold.datasets import DATASETS, build_gold, dataset
from cinelake.silver.schema import arrow_schema

# The silver contract, from its one definition (snapshot_date included, as the view has it).
SILVER_SCHEMA = arrow_schema(include_partition=True)
LIST_COLUMNS = ("genres", "directors", "writers", "actors", "languages", "countries")

OLD = date(2026, 1, 1)
NEW = date(2026, 1, 2)


def movie(imdb_id: str, title: str, **fields) -> dict:
    row = {name: None for name in SILVER_SCHEMA.names}
    row.update({c: [] for c in LIST_COLUMNS})
    row.update(
        imdb_id=imdb_id,
        title=title,
        type="movie",
        snapshot_date=NEW,
        run_id="run-new",
        ingested_at=datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
    )
    row.update(fields)
    return row


def awards(ow, on, aw, an) -> dict:
    return {
        "oscar_wins": ow,
        "oscar_nominations": on,
        "award_wins": aw,
        "award_nominations": an,
        "awards_text": f"Won {ow} Oscars. {aw} wins & {an} nominations total",
    }


US, UK = "United States", "United Kingdom"

# The latest snapshot, exactly as the gold layer should see it.
# fmt: off
LATEST = [
    movie(
        "tt0111161", "The Shawshank Redemption", year=1994, imdb_rating=9.3, imdb_votes=3_000_000,
        metascore=82, rotten_tomatoes=89, runtime_minutes=142, genres=["Drama"],
        directors=["Frank Darabont"], countries=[US], box_office_usd=28_767_189,
        source_rank=1, **awards(0, 7, 21, 43),
    ),
    movie(
        "tt0068646", "The Godfather", year=1972, imdb_rating=9.2, imdb_votes=2_100_000,
        metascore=100, rotten_tomatoes=97, runtime_minutes=175, genres=["Crime", "Drama"],
        directors=["Francis Ford Coppola"], countries=[US], box_office_usd=136_381_073,
        source_rank=2, **awards(3, 11, 31, 31),
    ),
    movie(
        "tt0071562", "The Godfather Part II", year=1974, imdb_rating=9.0, imdb_votes=1_400_000,
        metascore=90, rotten_tomatoes=96, runtime_minutes=202, genres=["Crime", "Drama"],
        directors=["Francis Ford Coppola"], countries=[US], box_office_usd=47_962_683,
        source_rank=3, **awards(6, 11, 17, 28),
    ),
    movie(
        "tt0468569", "The Dark Knight", year=2008, imdb_rating=9.0, imdb_votes=2_900_000,
        metascore=84, rotten_tomatoes=94, runtime_minutes=152,
        genres=["Action", "Crime", "Drama"], directors=["Christopher Nolan"],
        countries=[US, UK], box_office_usd=534_987_076, source_rank=4, **awards(2, 8, 164, 165),
    ),
    movie(
        "tt1375666", "Inception", year=2010, imdb_rating=8.8, imdb_votes=2_600_000,
        metascore=74, rotten_tomatoes=87, runtime_minutes=148,
        genres=["Action", "Adventure", "Sci-Fi"], directors=["Christopher Nolan"],
        countries=[US, UK], box_office_usd=292_587_330, source_rank=5, **awards(4, 8, 159, 220),
        ingested_at=datetime(2026, 1, 2, 5, 0, tzinfo=UTC), run_id="run-new-2",
    ),
    # Same rating and votes: source_rank decides (Tie A has the better rank).
    movie(
        "tt0000011", "Tie A", year=2010, imdb_rating=8.0, imdb_votes=1000, metascore=None,
        rotten_tomatoes=70, runtime_minutes=100, genres=["Comedy"], directors=["Ann Zed"],
        countries=["France"], source_rank=7, **awards(0, 0, 1, 2),
    ),
    movie(
        "tt0000010", "Tie B", year=2011, imdb_rating=8.0, imdb_votes=1000, metascore=55,
        rotten_tomatoes=None, runtime_minutes=None, genres=["Comedy", "Drama"],
        directors=["Bob Young"], countries=["France", US], source_rank=8, **awards(0, 1, 0, 0),
    ),
    # No rating, no votes, no box office, awards N/A, no lists: must sort last.
    movie("tt0000020", "=LOL", year=2010, source_rank=6, genres=["Comedy"]),
    # No year, duplicated genre, two directors, negative-looking title.
    movie(
        "tt0000021", "-1", year=None, imdb_rating=5.0, imdb_votes=10, rotten_tomatoes=40,
        runtime_minutes=90, genres=["Drama", "Drama", " "], directors=["John Roe", "Jane Doe"],
        countries=["Japan"], box_office_usd=1_000, source_rank=9, **awards(0, 0, 0, 1),
    ),
]

# Rows that gold must ignore: an older snapshot, and a stale duplicate inside the latest one.
IGNORED = [
    movie(
        "tt0000001", "Old Only", snapshot_date=OLD, year=1950, imdb_rating=9.9, imdb_votes=9,
        genres=["Western"], box_office_usd=10**9, **awards(11, 11, 11, 11),
    ),
    movie(
        "tt0111161", "The Shawshank Redemption", snapshot_date=OLD, year=1994, imdb_rating=1.0,
        genres=["Horror"],
    ),
    movie(
        "tt1375666", "Inception (stale)", year=2010, imdb_rating=1.0, imdb_votes=5,
        genres=["Horror"], ingested_at=datetime(2026, 1, 2, 4, 0, tzinfo=UTC), run_id="run-new-1",
    ),
]
# fmt: on


def connect(rows: list[dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    table = pa.Table.from_pylist(rows, schema=SILVER_SCHEMA)
    con.register("silver_rows", table)
    con.execute("CREATE VIEW silver_movies AS SELECT * FROM silver_rows")
    return con


@pytest.fixture(scope="module")
def gold() -> dict[str, pa.Table]:
    return build_gold(connect(LATEST + IGNORED))


def rows(gold, name):
    return gold[name].to_pylist()


# ---------------------------------------------------------------- plain-Python reference


def known(values):
    return [v for v in values if v is not None]


def mean_or_none(values):
    values = known(values)
    return statistics.fmean(values) if values else None


def assert_avg(actual, expected):
    """Averages are rounded to 2 decimals: equal to the exact mean within half a cent."""
    if expected is None:
        assert actual is None
        return
    assert actual is not None
    assert abs(actual - expected) <= 0.005 + 1e-9
    assert round(actual, 2) == actual


def items(m, column):
    return {v.strip() for v in m[column] if v and v.strip()}


def per_item(column):
    groups = defaultdict(list)
    for m in LATEST:
        for item in items(m, column):
            groups[item].append(m)
    return groups


def ranking_key(m):
    return (
        m["imdb_rating"] is None,
        -(m["imdb_rating"] or 0),
        m["imdb_votes"] is None,
        -(m["imdb_votes"] or 0),
        m["source_rank"] is None,
        m["source_rank"] or 0,
        m["imdb_id"],
    )


# ---------------------------------------------------------------- definitions


def test_every_dataset_is_built_with_its_exact_schema(gold):
    assert list(gold) == [d.name for d in DATASETS]
    for ds in DATASETS:
        assert gold[ds.name].schema.equals(ds.schema, check_metadata=True), ds.name


def test_definitions_are_consistent():
    names = [d.name for d in DATASETS]
    assert len(names) == len(set(names))
    for ds in DATASETS:
        cols = ds.column_names
        assert len(cols) == len(set(cols)), ds.name
        assert ds.description and ds.row and ds.sql
        assert all(c.description for c in ds.columns), ds.name


CONTRACT = {
    "top_rated": "rank imdb_id title year imdb_rating imdb_votes metascore rotten_tomatoes "
    "runtime_minutes genres directors box_office_usd snapshot_date countries oscar_wins "
    "award_wins award_nominations",
    "movies_by_genre": "genre movie_count avg_imdb_rating avg_runtime_minutes total_box_office_usd",
    "movies_by_country": "country movie_count avg_imdb_rating",
    "movies_by_year": "year decade movie_count avg_imdb_rating",
    "box_office_by_year": "year total_box_office_usd movies_with_box_office",
    "top_directors": "director movie_count avg_imdb_rating",
    "ratings_comparison": "imdb_id title imdb_rating_100 metascore rotten_tomatoes",
    "ratings_correlation": "pair correlation movies",
    "awards_summary": "imdb_id title oscar_wins oscar_nominations award_wins award_nominations",
    "awards_totals": "oscar_wins oscar_nominations award_wins award_nominations",
    "kpis": "movies avg_imdb_rating total_box_office_usd oscar_wins snapshot_date "
    "total_award_wins avg_metascore avg_runtime_minutes top_movie_title earliest_year "
    "latest_year",
}


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_contract_columns_are_present(name):
    cols = dataset(name).column_names
    for column in CONTRACT[name].split():
        assert column in cols, (name, column)
    if name in ("movies_by_genre", "movies_by_country", "movies_by_year", "top_directors"):
        # the contract's leading columns come first, in order
        assert cols[: len(CONTRACT[name].split())] == tuple(CONTRACT[name].split())


# ---------------------------------------------------------------- latest snapshot


def test_only_the_latest_snapshot_is_used(gold):
    top = rows(gold, "top_rated")
    assert {r["imdb_id"] for r in top} == {m["imdb_id"] for m in LATEST}
    assert len(top) == len(LATEST)
    assert {r["snapshot_date"] for r in top} == {NEW}
    by_id = {r["imdb_id"]: r for r in top}
    assert by_id["tt0111161"]["imdb_rating"] == 9.3  # not the older snapshot's 1.0
    assert "Western" not in {r["genre"] for r in rows(gold, "movies_by_genre")}
    assert 1950 not in {r["year"] for r in rows(gold, "movies_by_year")}


def test_duplicate_rows_in_a_snapshot_keep_the_latest_ingestion(gold):
    by_id = {r["imdb_id"]: r for r in rows(gold, "top_rated")}
    assert by_id["tt1375666"]["title"] == "Inception"
    assert by_id["tt1375666"]["imdb_rating"] == 8.8
    assert "Horror" not in {r["genre"] for r in rows(gold, "movies_by_genre")}


# ---------------------------------------------------------------- top_rated


def test_top_rated_order_and_ties(gold):
    top = rows(gold, "top_rated")
    expected = [m["imdb_id"] for m in sorted(LATEST, key=ranking_key)]
    assert [r["imdb_id"] for r in top] == expected
    assert [r["rank"] for r in top] == list(range(1, len(LATEST) + 1))
    titles = [r["title"] for r in top]
    # equal rating: more votes first
    assert titles.index("The Dark Knight") < titles.index("The Godfather Part II")
    # equal rating and votes: better source rank first
    assert titles.index("Tie A") < titles.index("Tie B")
    # no rating: last
    assert titles[-1] == "=LOL"


def test_top_rated_values_and_flat_lists(gold):
    by_id = {r["imdb_id"]: r for r in rows(gold, "top_rated")}
    for m in LATEST:
        r = by_id[m["imdb_id"]]
        for col in (
            "title",
            "year",
            "imdb_rating",
            "imdb_votes",
            "metascore",
            "rotten_tomatoes",
            "runtime_minutes",
            "box_office_usd",
            "oscar_wins",
            "oscar_nominations",
            "award_wins",
            "award_nominations",
            "source_rank",
            "type",
        ):
            assert r[col] == m[col], (m["imdb_id"], col)
        for col in ("genres", "directors", "countries"):
            assert r[col] == ", ".join(m[col]), (m["imdb_id"], col)
    assert by_id["tt0468569"]["genres"] == "Action, Crime, Drama"
    assert by_id["tt0468569"]["countries"] == "United States, United Kingdom"
    assert by_id["tt0000020"]["directors"] == ""
    assert by_id["tt0000020"]["oscar_wins"] is None  # N/A awards stay unknown, not 0


# ---------------------------------------------------------------- per genre / country / year


def test_movies_by_genre_counts_each_genre_of_a_movie(gold):
    groups = per_item("genres")
    got = {r["genre"]: r for r in rows(gold, "movies_by_genre")}
    assert set(got) == set(groups)
    for genre, movies in groups.items():
        r = got[genre]
        assert r["movie_count"] == len(movies), genre
        assert_avg(r["avg_imdb_rating"], mean_or_none(m["imdb_rating"] for m in movies))
        assert_avg(r["avg_runtime_minutes"], mean_or_none(m["runtime_minutes"] for m in movies))
        assert r["total_box_office_usd"] == sum(known(m["box_office_usd"] for m in movies))
        assert r["movies_with_box_office"] == len(known(m["box_office_usd"] for m in movies))
    # Drama: Shawshank, both Godfathers, Dark Knight, Tie B and "-1" (its duplicate counts once)
    assert got["Drama"]["movie_count"] == 6
    assert got["Crime"]["movie_count"] == 3
    # Comedy has a movie without box office: counted in movie_count, not in the box office
    assert got["Comedy"]["movie_count"] == 3
    assert got["Comedy"]["movies_with_box_office"] == 0
    assert got["Comedy"]["total_box_office_usd"] == 0
    order = [(r["movie_count"], r["genre"]) for r in rows(gold, "movies_by_genre")]
    assert order == sorted(order, key=lambda t: (-t[0], t[1]))


def test_movies_by_country(gold):
    groups = per_item("countries")
    got = rows(gold, "movies_by_country")
    assert {r["country"] for r in got} == set(groups)
    for r in got:
        movies = groups[r["country"]]
        assert r["movie_count"] == len(movies)
        assert_avg(r["avg_imdb_rating"], mean_or_none(m["imdb_rating"] for m in movies))
    assert got[0]["country"] == US and got[0]["movie_count"] == 6


def test_movies_by_year_skips_unknown_years(gold):
    groups = defaultdict(list)
    for m in LATEST:
        if m["year"] is not None:
            groups[m["year"]].append(m)
    got = rows(gold, "movies_by_year")
    assert [r["year"] for r in got] == sorted(groups)
    for r in got:
        assert r["decade"] == r["year"] - r["year"] % 10
        assert r["movie_count"] == len(groups[r["year"]])
        assert_avg(r["avg_imdb_rating"], mean_or_none(m["imdb_rating"] for m in groups[r["year"]]))
    by_year = {r["year"]: r for r in got}
    assert by_year[2010]["movie_count"] == 3  # Inception, Tie A, =LOL
    assert by_year[1994]["decade"] == 1990


def test_box_office_by_year_counts_only_known_box_office(gold):
    totals, counts = Counter(), Counter()
    for m in LATEST:
        if m["year"] is not None and m["box_office_usd"] is not None:
            totals[m["year"]] += m["box_office_usd"]
            counts[m["year"]] += 1
    got = rows(gold, "box_office_by_year")
    assert [r["year"] for r in got] == sorted(totals)
    for r in got:
        assert r["total_box_office_usd"] == totals[r["year"]]
        assert r["movies_with_box_office"] == counts[r["year"]]
    assert 2011 not in {r["year"] for r in got}  # Tie B has no box office


def test_top_directors_order_and_co_directors(gold):
    groups = per_item("directors")
    got = rows(gold, "top_directors")
    assert {r["director"] for r in got} == set(groups)
    for r in got:
        movies = groups[r["director"]]
        assert r["movie_count"] == len(movies)
        assert_avg(r["avg_imdb_rating"], mean_or_none(m["imdb_rating"] for m in movies))
    expected = sorted(
        groups,
        key=lambda d: (
            -len(groups[d]),
            -(mean_or_none(m["imdb_rating"] for m in groups[d]) or -1),
            d,
        ),
    )
    assert [r["director"] for r in got] == expected
    # equal count (2): Coppola (9.1) before Nolan (8.9); equal count and rating: by name
    assert [r["director"] for r in got][:2] == ["Francis Ford Coppola", "Christopher Nolan"]
    names = [r["director"] for r in got]
    assert names.index("Jane Doe") == names.index("John Roe") - 1


# ---------------------------------------------------------------- ratings


def test_ratings_comparison_on_one_scale(gold):
    got = {r["imdb_id"]: r for r in rows(gold, "ratings_comparison")}
    assert set(got) == {m["imdb_id"] for m in LATEST}
    for m in LATEST:
        r = got[m["imdb_id"]]
        if m["imdb_rating"] is None:
            assert r["imdb_rating_100"] is None
        else:
            assert r["imdb_rating_100"] == pytest.approx(m["imdb_rating"] * 10, abs=1e-9)
        assert r["metascore"] == m["metascore"]
        assert r["rotten_tomatoes"] == m["rotten_tomatoes"]


def test_ratings_correlation_matches_statistics_correlation(gold):
    def pearson(xs, ys):
        pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if x is not None and y is not None]
        return statistics.correlation([p[0] for p in pairs], [p[1] for p in pairs]), len(pairs)

    imdb = [None if m["imdb_rating"] is None else m["imdb_rating"] * 10 for m in LATEST]
    meta = [m["metascore"] for m in LATEST]
    rt = [m["rotten_tomatoes"] for m in LATEST]
    expected = {
        "imdb_vs_metacritic": pearson(imdb, meta),
        "imdb_vs_rotten_tomatoes": pearson(imdb, rt),
        "metacritic_vs_rotten_tomatoes": pearson(meta, rt),
    }
    got = rows(gold, "ratings_correlation")
    assert [r["pair"] for r in got] == list(expected)
    for r in got:
        corr, n = expected[r["pair"]]
        assert r["movies"] == n
        assert r["correlation"] == pytest.approx(corr, abs=5e-5 + 1e-12)
        assert -1 <= r["correlation"] <= 1
    assert got[0]["movies"] == 6  # missing metascores leave movies out of the pair


def test_ratings_correlation_is_null_when_undefined():
    one = [movie("tt0000100", "Alone", imdb_rating=7.0, metascore=70, rotten_tomatoes=70)]
    flat = [
        movie(f"tt000020{i}", f"Flat {i}", imdb_rating=7.0, metascore=50 + i, rotten_tomatoes=60)
        for i in range(3)
    ]
    for silver, expected_movies in ((one, 1), (flat, 3)):
        got = rows(build_gold(connect(silver)), "ratings_correlation")
        assert len(got) == 3
        assert all(r["correlation"] is None for r in got)
        assert all(r["movies"] == expected_movies for r in got)


# ---------------------------------------------------------------- awards and KPIs


def test_awards_summary_keeps_unknown_awards_null(gold):
    got = rows(gold, "awards_summary")
    by_id = {r["imdb_id"]: r for r in got}
    assert set(by_id) == {m["imdb_id"] for m in LATEST}
    for m in LATEST:
        for col in ("oscar_wins", "oscar_nominations", "award_wins", "award_nominations"):
            assert by_id[m["imdb_id"]][col] == m[col]
    assert got[0]["title"] == "The Godfather Part II"  # 6 Oscars
    assert got[-1]["oscar_wins"] is None


def test_awards_totals_and_kpis_agree_with_python(gold):
    def total(col):
        return sum(known(m[col] for m in LATEST))

    (totals,) = rows(gold, "awards_totals")
    assert totals["snapshot_date"] == NEW
    assert totals["movies"] == len(LATEST)
    assert totals["movies_with_awards_info"] == len(LATEST) - 1
    assert totals["movies_with_oscar_win"] == sum(1 for m in LATEST if (m["oscar_wins"] or 0) > 0)
    for col in ("oscar_wins", "oscar_nominations", "award_wins", "award_nominations"):
        assert totals[col] == total(col)
        assert totals[col] == sum(known(r[col] for r in rows(gold, "awards_summary")))

    (k,) = rows(gold, "kpis")
    assert k["snapshot_date"] == NEW
    assert k["movies"] == len(LATEST)
    assert_avg(k["avg_imdb_rating"], mean_or_none(m["imdb_rating"] for m in LATEST))
    assert_avg(k["avg_metascore"], mean_or_none(m["metascore"] for m in LATEST))
    assert_avg(k["avg_rotten_tomatoes"], mean_or_none(m["rotten_tomatoes"] for m in LATEST))
    assert_avg(k["avg_runtime_minutes"], mean_or_none(m["runtime_minutes"] for m in LATEST))
    assert k["total_imdb_votes"] == total("imdb_votes")
    assert k["total_box_office_usd"] == total("box_office_usd")
    assert k["movies_with_box_office"] == len(known(m["box_office_usd"] for m in LATEST))
    assert k["oscar_wins"] == total("oscar_wins") == 15
    assert k["oscar_nominations"] == total("oscar_nominations")
    assert k["total_award_wins"] == total("award_wins")
    assert k["total_award_nominations"] == total("award_nominations")
    assert k["earliest_year"] == 1972
    assert k["latest_year"] == 2011
    assert k["genres"] == len(per_item("genres"))
    assert k["countries"] == len(per_item("countries"))
    assert k["directors"] == len(per_item("directors"))
    assert k["top_movie_title"] == "The Shawshank Redemption"
    assert k["top_movie_imdb_id"] == "tt0111161"
    assert k["top_movie_imdb_rating"] == 9.3


def test_totals_are_zero_and_averages_null_when_nothing_is_known():
    silver = [movie("tt0000300", "Unknown", year=None), movie("tt0000301", "Also unknown")]
    gold = build_gold(connect(silver))
    (k,) = rows(gold, "kpis")
    assert k["movies"] == 2
    assert k["avg_imdb_rating"] is None and k["avg_runtime_minutes"] is None
    assert k["total_box_office_usd"] == 0 and k["movies_with_box_office"] == 0
    assert k["oscar_wins"] == 0 and k["total_award_wins"] == 0
    assert k["earliest_year"] is None and k["genres"] == 0
    assert gold["box_office_by_year"].num_rows == 0
    assert gold["movies_by_genre"].num_rows == 0
    (totals,) = rows(gold, "awards_totals")
    assert totals["movies_with_awards_info"] == 0


# ---------------------------------------------------------------- empty silver


def test_empty_silver_gives_empty_tables_with_the_schema():
    gold = build_gold(connect([]))
    for ds in DATASETS:
        assert gold[ds.name].num_rows == 0, ds.name
        assert gold[ds.name].schema.equals(ds.schema), ds.name


# ---------------------------------------------------------------- property: random snapshots

GENRES = ["Drama", "Crime", "Comedy", "Action"]

movie_strategy = st.fixed_dictionaries(
    {
        "imdb_rating": st.none() | st.sampled_from([5.5, 7.0, 8.1, 8.1, 9.0]),
        "imdb_votes": st.none() | st.integers(0, 5),
        "box_office_usd": st.none() | st.integers(0, 10**10),
        "genres": st.lists(st.sampled_from(GENRES), max_size=3),
        "year": st.none() | st.integers(1990, 1995),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(movie_strategy, max_size=12))
def test_random_snapshots_match_python(specs):
    silver = [
        movie(f"tt{1000000 + i}", f"M{i}", source_rank=i + 1, **spec)
        for i, spec in enumerate(specs)
    ]
    gold = build_gold(connect(silver))
    top = rows(gold, "top_rated")
    assert [r["imdb_id"] for r in top] == [m["imdb_id"] for m in sorted(silver, key=ranking_key)]
    counts, boxes = Counter(), Counter()
    for m in silver:
        for g in set(m["genres"]):
            counts[g] += 1
            boxes[g] += m["box_office_usd"] or 0
    got = rows(gold, "movies_by_genre")
    assert {r["genre"]: r["movie_count"] for r in got} == dict(counts)
    assert {r["genre"]: r["total_box_office_usd"] for r in got} == dict(boxes)
    kpis = rows(gold, "kpis")
    assert len(kpis) == (1 if silver else 0)
    if silver:
        assert kpis[0]["movies"] == len(silver)
        assert kpis[0]["total_box_office_usd"] == sum(known(m["box_office_usd"] for m in silver))
        yearly = sum(r["total_box_office_usd"] for r in rows(gold, "box_office_by_year"))
        assert yearly == sum(
            m["box_office_usd"] for m in silver if m["box_office_usd"] is not None and m["year"]
        )
