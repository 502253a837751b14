"""build_silver: bronze NDJSON files in, typed silver rows / quarantine / not-found out."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cinelake.silver import schema
from cinelake.silver.transform import IGNORED_OMDB_KEYS, SilverBuild, build_silver

SNAPSHOT = date(2026, 11, 29)
RUN = "20261129T030000Z-1a2b3c"
OTHER_RUN = "20261129T150000Z-9f8e7d"
INGESTED = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 29, 3, 0, 1, 123456, tzinfo=UTC)


def godfather() -> dict[str, Any]:
    return {
        "Title": "The Godfather",
        "Year": "1972",
        "Rated": "R",
        "Released": "24 Mar 1972",
        "Runtime": "175 min",
        "Genre": "Crime, Drama",
        "Director": "Francis Ford Coppola",
        "Writer": "Mario Puzo (screenplay by), Francis Ford Coppola (screenplay by)",
        "Actors": "Marlon Brando, Al Pacino, James Caan",
        "Plot": "The aging patriarch of an organized crime dynasty transfers control of his "
        "clandestine empire to his reluctant son.",
        "Language": "English, Italian, Latin",
        "Country": "United States",
        "Awards": "Won 3 Oscars. 31 wins & 31 nominations total",
        "Poster": "https://m.media-amazon.com/images/M/MV5BM2MyNjYxNmUt._V1_SX300.jpg",
        "Ratings": [
            {"Source": "Internet Movie Database", "Value": "9.2/10"},
            {"Source": "Rotten Tomatoes", "Value": "97%"},
            {"Source": "Metacritic", "Value": "100/100"},
        ],
        "Metascore": "100",
        "imdbRating": "9.2",
        "imdbVotes": "2,031,325",
        "imdbID": "tt0068646",
        "Type": "movie",
        "DVD": "11 May 2004",
        "BoxOffice": "$136,381,073",
        "Production": "N/A",
        "Website": "N/A",
        "Response": "True",
    }


def breaking_bad(year: str = "2008–2013", imdb_id: str = "tt0903747") -> dict[str, Any]:
    return {
        "Title": "Breaking Bad",
        "Year": year,
        "Rated": "TV-MA",
        "Released": "20 Jan 2008",
        "Runtime": "49 min",
        "Genre": "Crime, Drama, Thriller",
        "Director": "N/A",
        "Writer": "Vince Gilligan",
        "Actors": "Bryan Cranston, Aaron Paul, Anna Gunn",
        "Plot": "A chemistry teacher diagnosed with inoperable lung cancer turns to crime.",
        "Language": "English, Spanish",
        "Country": "United States",
        "Awards": "Won 16 Primetime Emmys. 162 wins & 264 nominations total",
        "Poster": "https://m.media-amazon.com/images/M/MV5BYmQ4YWMx._V1_SX300.jpg",
        "Ratings": [{"Source": "Internet Movie Database", "Value": "9.5/10"}],
        "Metascore": "N/A",
        "imdbRating": "9.5",
        "imdbVotes": "2,156,102",
        "imdbID": imdb_id,
        "Type": "series",
        "totalSeasons": "5",
        "Response": "True",
    }


def answer(imdb_id: str, **fields: Any) -> dict[str, Any]:
    """A plain movie answer for ``imdb_id``; ``fields`` override (None removes a key)."""
    base = godfather() | {"imdbID": imdb_id, "Title": f"Movie {imdb_id}"}
    for key, value in fields.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def bronze(
    imdb_id: str,
    response: dict[str, Any] | None = None,
    *,
    status: str = "found",
    rank: int | str | None = 1,
    fetched_at: datetime = T0,
    run_id: str = RUN,
    snapshot_date: str = SNAPSHOT.isoformat(),
    **envelope: Any,
) -> dict[str, Any]:
    if response is None:
        response = (
            answer(imdb_id)
            if status == "found"
            else {"Response": "False", "Error": "Incorrect IMDb ID."}
        )
    source = {
        "id": imdb_id,
        "title": "x",
        "fullTitle": "x (1994)",
        "year": "1994",
        "image": "",
        "crew": "",
        "imDbRating": "9.2",
        "imDbRatingCount": "2757004",
    }
    if rank is not None:
        source["rank"] = str(rank)
    line = {
        "bronze_version": 1,
        "run_id": run_id,
        "snapshot_date": snapshot_date,
        "imdb_id": imdb_id,
        "status": status,
        "source": source,
        "fetch": {
            "fetched_at": fetched_at.isoformat(),
            "omdb_url": f"https://www.omdbapi.com/?i={imdb_id}&plot=short",
            "http_status": 200,
            "attempts": 1,
            "elapsed_ms": 120.5,
            "cache_hit": False,
        },
        "response": response,
    }
    return line | envelope


def dumps(line: dict[str, Any] | str) -> str:
    return line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)


def write(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    path.write_text("".join(dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def build(tmp_path: Path, lines: list[dict[str, Any] | str], **kwargs: Any) -> SilverBuild:
    path = write(tmp_path / "part-00000.ndjson", lines)
    return build_silver([path], snapshot_date=SNAPSHOT, ingested_at=INGESTED, **kwargs)


def movie(result: SilverBuild, imdb_id: str) -> dict[str, Any]:
    rows = [r for r in result.movies.to_pylist() if r["imdb_id"] == imdb_id]
    assert len(rows) == 1, f"{imdb_id} not exactly once in silver: {rows}"
    return rows[0]


def quarantined(result: SilverBuild, requested: str | None) -> dict[str, Any]:
    rows = [r for r in result.quarantine.to_pylist() if r["requested_imdb_id"] == requested]
    assert len(rows) == 1, f"{requested} not exactly once in quarantine: {rows}"
    return rows[0]


def assert_conforms(result: SilverBuild) -> None:
    assert result.movies.schema.equals(schema.arrow_schema())
    assert result.quarantine.schema.equals(schema.quarantine_arrow_schema())


# --------------------------------------------------------------------------------------
# Typed values
# --------------------------------------------------------------------------------------


def test_full_record_becomes_typed_values(tmp_path: Path) -> None:
    result = build(tmp_path, [bronze("tt0068646", godfather(), rank=2)])

    row = movie(result, "tt0068646")
    assert row["omdb_fetched_at"] is not None
    assert row == {
        "imdb_id": "tt0068646",
        "run_id": RUN,
        "source_rank": 2,
        "source_rating": None,  # the source's figures come from the run's manifest (stage)
        "source_votes": None,
        "title": "The Godfather",
        "type": "movie",
        "year": 1972,
        "end_year": None,
        "rated": "R",
        "released": date(1972, 3, 24),
        "runtime_minutes": 175,
        "genres": ["Crime", "Drama"],
        "directors": ["Francis Ford Coppola"],
        "writers": ["Mario Puzo", "Francis Ford Coppola"],
        "actors": ["Marlon Brando", "Al Pacino", "James Caan"],
        "languages": ["English", "Italian", "Latin"],
        "countries": ["United States"],
        "plot": godfather()["Plot"],
        "awards_text": "Won 3 Oscars. 31 wins & 31 nominations total",
        "oscar_wins": 3,
        "oscar_nominations": 0,
        "award_wins": 31,
        "award_nominations": 31,
        "poster_url": "https://m.media-amazon.com/images/M/MV5BM2MyNjYxNmUt._V1_SX300.jpg",
        "imdb_rating": 9.2,
        "imdb_votes": 2031325,
        "metascore": 100,
        "rotten_tomatoes": 97,
        "box_office_usd": 136381073,
        "dvd_released": date(2004, 5, 11),
        "production": None,
        "website": None,
        "ingested_at": INGESTED,
        "enrichment": "fresh",  # the stage marks answers past the TTL stale
        "omdb_fetched_at": row["omdb_fetched_at"],
    }
    assert result.quarantine.num_rows == 0
    assert result.not_found == []
    assert result.drift == {}
    assert result.records_read == 1
    assert_conforms(result)


def test_finished_series_without_movie_only_keys(tmp_path: Path) -> None:
    result = build(
        tmp_path,
        [
            bronze("tt0903747", breaking_bad("2008–2013")),
            bronze("tt0000002", breaking_bad("2019–", "tt0000002"), rank=2),
            bronze("tt0000003", breaking_bad("2008-2013", "tt0000003"), rank=3),
        ],
    )

    finished = movie(result, "tt0903747")
    assert finished["type"] == "series"
    assert (finished["year"], finished["end_year"]) == (2008, 2013)
    assert finished["box_office_usd"] is None
    assert finished["dvd_released"] is None
    assert finished["production"] is None
    assert finished["website"] is None
    assert finished["directors"] == []
    assert finished["metascore"] is None
    assert finished["rotten_tomatoes"] is None
    assert (finished["oscar_wins"], finished["award_wins"], finished["award_nominations"]) == (
        0,
        162,
        264,
    )
    running = movie(result, "tt0000002")
    assert (running["year"], running["end_year"]) == (2019, None)
    hyphen = movie(result, "tt0000003")
    assert (hyphen["year"], hyphen["end_year"]) == (2008, 2013)
    assert result.drift == {}  # totalSeasons is known, deliberately unused
    assert "totalSeasons" in IGNORED_OMDB_KEYS


@pytest.mark.parametrize(
    ("ratings", "metascore", "expected"),
    [
        (
            [
                {"Source": "Internet Movie Database", "Value": "8.5/10"},
                {"Source": "Metacritic", "Value": "74/100"},
            ],
            "74",
            (None, 74),
        ),
        (
            [
                {"Source": "Internet Movie Database", "Value": "8.5/10"},
                {"Source": "Rotten Tomatoes", "Value": "91%"},
            ],
            "N/A",
            (91, None),
        ),
        ([], "N/A", (None, None)),
        ([], None, (None, None)),
        (None, "N/A", (None, None)),
        ([{"Source": "Metacritic", "Value": "74/100"}], "N/A", (None, 74)),
    ],
    ids=[
        "no-rotten-tomatoes",
        "no-metacritic",
        "empty",
        "empty-no-metascore",
        "no-ratings-key",
        "metacritic-only-in-ratings",
    ],
)
def test_ratings_that_lack_sources(tmp_path: Path, ratings, metascore, expected) -> None:
    response = answer("tt0110413", Ratings=ratings, Metascore=metascore)  # None: no key
    result = build(tmp_path, [bronze("tt0110413", response)])

    row = movie(result, "tt0110413")
    assert (row["rotten_tomatoes"], row["metascore"]) == expected
    assert row["imdb_rating"] == 9.2


def test_all_na_record_is_all_nulls_and_empty_lists(tmp_path: Path) -> None:
    response = {key: "N/A" for key in godfather()} | {
        "imdbID": "tt0000001",
        "Ratings": [],
        "Response": "True",
    }
    result = build(tmp_path, [bronze("tt0000001", response)])

    row = movie(result, "tt0000001")
    for key in ("genres", "directors", "writers", "actors", "languages", "countries"):
        assert row.pop(key) == [], key
    assert row.pop("imdb_id") == "tt0000001"
    assert row.pop("run_id") == RUN
    assert row.pop("source_rank") == 1
    assert row.pop("ingested_at") == INGESTED
    assert row.pop("enrichment") == "fresh"
    assert row.pop("omdb_fetched_at") is not None  # when the answer was fetched
    assert row == dict.fromkeys(row)  # every other column is null
    assert result.quarantine.num_rows == 0


def test_empty_strings_and_missing_keys_are_null_too(tmp_path: Path) -> None:
    response = {"imdbID": "tt0000001", "Title": "", "Year": "", "Response": "True"}
    result = build(tmp_path, [bronze("tt0000001", response)])

    row = movie(result, "tt0000001")
    assert row["title"] is None
    assert row["year"] is None
    assert row["runtime_minutes"] is None
    assert row["awards_text"] is None
    assert row["oscar_wins"] is None
    assert row["genres"] == []


def test_awards_counts(tmp_path: Path) -> None:
    cases = {
        "tt0000001": ("Nominated for 7 Oscars. 21 wins & 43 nominations total", (0, 7, 21, 43)),
        "tt0000002": ("Won 1 Oscar. 5 wins & 3 nominations total", (1, 0, 5, 3)),
        "tt0000003": ("1 win.", (0, 0, 1, 0)),
        "tt0000004": ("2 nominations", (0, 0, 0, 2)),
        "tt0000005": ("1 win & 2 nominations", (0, 0, 1, 2)),
        "tt0000006": ("N/A", (None, None, None, None)),
    }
    result = build(
        tmp_path,
        [
            bronze(i, answer(i, Awards=text), rank=n)
            for n, (i, (text, _)) in enumerate(cases.items(), start=1)
        ],
    )
    for imdb_id, (_, counts) in cases.items():
        row = movie(result, imdb_id)
        assert (
            row["oscar_wins"],
            row["oscar_nominations"],
            row["award_wins"],
            row["award_nominations"],
        ) == counts


def test_unicode_and_formula_like_titles_are_kept_exactly(tmp_path: Path) -> None:
    titles = {
        "tt0110413": "Léon: The Professional",
        "tt0245429": "千と千尋の神隠し",
        "tt0000003": '=HYPERLINK("http://x")',
        "tt0000004": "+1",
        "tt0000005": "@Home",
        "tt0000006": 'The "Quoted", Title',
    }
    lines = [
        bronze(i, answer(i, Title=t, Director="Hayao Miyazaki, 宮崎駿"), rank=n)
        for n, (i, t) in enumerate(titles.items(), start=1)
    ]
    result = build(tmp_path, lines)

    for imdb_id, title in titles.items():
        row = movie(result, imdb_id)
        assert row["title"] == title
        assert row["directors"] == ["Hayao Miyazaki", "宮崎駿"]


def test_rows_are_sorted_by_source_rank(tmp_path: Path) -> None:
    lines = [bronze(f"tt000000{n}", rank=r) for n, r in ((1, 30), (2, 4), (3, 17), (4, 1))]
    result = build(tmp_path, lines)

    assert result.movies.column("source_rank").to_pylist() == [1, 4, 17, 30]
    assert result.movies.column("imdb_id").to_pylist() == [
        "tt0000004",
        "tt0000002",
        "tt0000003",
        "tt0000001",
    ]


# --------------------------------------------------------------------------------------
# Quarantine
# --------------------------------------------------------------------------------------

BAD_FIELDS = [
    ({"imdbID": None}, ["missing_imdb_id: imdbID=null"]),
    ({"imdbID": "N/A"}, ["missing_imdb_id: imdbID=null"]),
    ({"imdbID": "tt9999999"}, ['imdb_id_mismatch: requested=tt0000042 answered="tt9999999"']),
    ({"imdbRating": "11.2"}, ["rating_out_of_range: imdb_rating=11.2"]),
    ({"imdbRating": "-0.5"}, ["rating_out_of_range: imdb_rating=-0.5"]),
    ({"imdbVotes": "-5"}, ["negative_votes: imdb_votes=-5"]),
    ({"BoxOffice": "-$5"}, ["negative_box_office: box_office_usd=-5"]),
    ({"Year": "1850"}, ["year_out_of_range: year=1850"]),
    ({"Year": "2013–2008"}, ["end_year_before_year: year=2013 end_year=2008"]),
    ({"Runtime": "abc"}, ['unparseable: Runtime="abc"']),
    ({"Runtime": "1 h 30 min"}, ['unparseable: Runtime="1 h 30 min"']),
    ({"Released": "32 Foo 1999"}, ['unparseable: Released="32 Foo 1999"']),
    ({"imdbVotes": "12a"}, ['unparseable: imdbVotes="12a"']),
    ({"imdbRating": "high"}, ['unparseable: imdbRating="high"']),
    ({"Year": "nineteen"}, ['unparseable: Year="nineteen"']),
    ({"DVD": "yesterday"}, ['unparseable: DVD="yesterday"']),
    ({"BoxOffice": "€5"}, ['unparseable: BoxOffice="€5"']),
    ({"Metascore": "great"}, ['unparseable: Metascore="great"']),
    ({"Metascore": "101"}, ["metascore_out_of_range: metascore=101"]),
    (
        {"Ratings": [{"Source": "Rotten Tomatoes", "Value": "120%"}]},
        ["rotten_tomatoes_out_of_range: rotten_tomatoes=120"],
    ),
    (
        {"Ratings": [{"Source": "Rotten Tomatoes", "Value": "fresh"}]},
        ['unparseable: Ratings[Rotten Tomatoes]="fresh"'],
    ),
    ({"Type": "game"}, ['unknown_type: Type="game"']),
    ({"Response": "False"}, ['response_false: Response="False"']),
]


@pytest.mark.parametrize(
    ("fields", "reasons"),
    BAD_FIELDS,
    ids=[r[0].split(":")[0] + ":" + str(f) for f, r in BAD_FIELDS],
)
def test_each_quarantine_reason(tmp_path: Path, fields: dict[str, Any], reasons: list[str]) -> None:
    bad = bronze("tt0000042", answer("tt0000042", **fields), rank=2)
    good = bronze("tt0000001", rank=1)
    result = build(tmp_path, [good, bad])

    assert result.movies.column("imdb_id").to_pylist() == ["tt0000001"]  # one bad never stops
    row = quarantined(result, "tt0000042")
    assert row["reasons"] == reasons
    assert row["run_id"] == RUN
    assert row["raw"] == dumps(bad)  # the bronze line exactly as read
    assert json.loads(row["raw"]) == bad
    assert row["quarantined_at"] == INGESTED
    answered = bad["response"].get("imdbID")
    assert row["imdb_id"] == (None if answered in (None, "N/A") else answered)
    assert_conforms(result)


def test_several_reasons_on_one_record_are_all_kept(tmp_path: Path) -> None:
    bad = bronze(
        "tt0000042",
        answer(
            "tt0000043",
            imdbRating="11.2",
            imdbVotes="-3",
            Runtime="abc",
            Released="32 Foo 1999",
            Year="1850",
        ),
    )
    result = build(tmp_path, [bad])

    assert result.movies.num_rows == 0
    assert quarantined(result, "tt0000042")["reasons"] == [
        'imdb_id_mismatch: requested=tt0000042 answered="tt0000043"',
        'unparseable: Released="32 Foo 1999"',
        'unparseable: Runtime="abc"',
        "year_out_of_range: year=1850",
        "rating_out_of_range: imdb_rating=11.2",
        "negative_votes: imdb_votes=-3",
    ]


def test_bad_envelopes_are_quarantined(tmp_path: Path) -> None:
    lines: list[dict[str, Any] | str] = [
        "{not json",
        '["an", "array"]',
        bronze("tt0000002", bronze_version=2),
        bronze("tt12", answer("tt12")),
        bronze("tt0000004", rank=None),
        bronze("tt0000005", rank="first"),
        bronze("tt0000006", status="maybe"),
        bronze("tt0000007", snapshot_date="not a date"),
        bronze("tt0000001"),
    ]
    result = build(tmp_path, lines)

    assert result.movies.column("imdb_id").to_pylist() == ["tt0000001"]
    by_raw = {row["raw"]: row for row in result.quarantine.to_pylist()}
    assert by_raw["{not json"]["reasons"] == ["invalid_json: the line is not a JSON object"]
    assert by_raw["{not json"]["requested_imdb_id"] is None
    assert by_raw["{not json"]["run_id"] is None
    assert by_raw['["an", "array"]']["reasons"] == ["invalid_json: the line is not a JSON object"]
    assert quarantined(result, "tt0000002")["reasons"] == [
        'unsupported_bronze_version: bronze_version="2"'
    ]
    assert quarantined(result, "tt12")["reasons"] == ['invalid_imdb_id: imdb_id="tt12"']
    assert quarantined(result, "tt0000004")["reasons"] == ["invalid_source_rank: rank=null"]
    assert quarantined(result, "tt0000005")["reasons"] == ['invalid_source_rank: rank="first"']
    assert quarantined(result, "tt0000006")["reasons"] == ['invalid_status: status="maybe"']
    assert quarantined(result, "tt0000007")["reasons"] == [
        'invalid_snapshot_date: snapshot_date="not a date"'
    ]
    assert result.records_read == len(lines)
    assert_conforms(result)


# --------------------------------------------------------------------------------------
# Routing, dedup, drift, filtering
# --------------------------------------------------------------------------------------


def test_not_found_is_routed_to_not_found_only(tmp_path: Path) -> None:
    result = build(
        tmp_path,
        [
            bronze("tt0000001", rank=1),
            bronze("tt0000002", status="not_found", rank=2),
            bronze("tt0000003", status="not_found", rank=3),
        ],
    )

    assert result.not_found == ["tt0000002", "tt0000003"]
    assert result.movies.column("imdb_id").to_pylist() == ["tt0000001"]
    assert result.quarantine.num_rows == 0
    assert result.drift == {}  # the not-found answer's keys are not drift


def test_duplicates_latest_fetched_at_wins(tmp_path: Path) -> None:
    def version(title: str, minutes: int, status: str = "found") -> dict[str, Any]:
        response = answer("tt0000001", Title=title) if status == "found" else None
        return bronze(
            "tt0000001", response, status=status, fetched_at=T0 + timedelta(minutes=minutes)
        )

    result = build(tmp_path, [version("middle", 5), version("latest", 9), version("first", 0)])
    assert movie(result, "tt0000001")["title"] == "latest"
    assert result.movies.num_rows == 1
    assert result.records_read == 3

    # A later not-found answer does not replace a good one (test_newest_good_answer.py).
    result = build(tmp_path, [version("older", 0), version("n/f", 3, status="not_found")])
    assert movie(result, "tt0000001")["title"] == "older"
    assert result.not_found == []


def test_duplicates_compare_instants_not_text(tmp_path: Path) -> None:
    plus_two = datetime(2026, 11, 29, 3, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    assert plus_two.isoformat() > "2026-11-29T03:30:00+00:00"  # later as text, earlier in time
    early = bronze("tt0000001", answer("tt0000001", Title="early"), fetched_at=plus_two)
    late = bronze(
        "tt0000001",
        answer("tt0000001", Title="late"),
        fetched_at=datetime(2026, 11, 29, 3, 30, tzinfo=UTC),
    )
    assert movie(build(tmp_path, [late, early]), "tt0000001")["title"] == "late"


def test_a_later_bad_duplicate_does_not_replace_an_earlier_good_one(tmp_path: Path) -> None:
    good = bronze("tt0000001", fetched_at=T0)
    bad = bronze("tt0000001", answer("tt0000001", Runtime="abc"), fetched_at=T0 + timedelta(1))
    result = build(tmp_path, [good, bad])

    assert result.movies.num_rows == 1
    assert result.quarantine.num_rows == 0


def test_duplicate_ties_go_to_the_later_file(tmp_path: Path) -> None:
    first = write(tmp_path / "a.ndjson", [bronze("tt0000001", answer("tt0000001", Title="A"))])
    second = write(tmp_path / "b.ndjson", [bronze("tt0000001", answer("tt0000001", Title="B"))])

    for files, title in (([first, second], "B"), ([second, first], "A")):
        result = build_silver(files, snapshot_date=SNAPSHOT, ingested_at=INGESTED)
        assert movie(result, "tt0000001")["title"] == title


def test_drift_counts_unknown_answer_keys(tmp_path: Path) -> None:
    result = build(
        tmp_path,
        [
            bronze("tt0000001", answer("tt0000001", Awards2="x", Seasons="3"), rank=1),
            bronze("tt0000002", answer("tt0000002", Awards2="y"), rank=2),
            bronze("tt0000003", breaking_bad(imdb_id="tt0000003"), rank=3),
            bronze("tt0000004", answer("tt0000004", imdbRating="42", Awards2="z"), rank=4),
            bronze("tt0000005", status="not_found", rank=5),
        ],
    )

    assert result.drift == {"Awards2": 3, "Seasons": 1}
    assert result.movies.num_rows == 3
    assert set(result.movies.column_names) == set(schema.arrow_schema().names)


def test_missing_fields_count_contract_keys_absent_from_answers(tmp_path: Path) -> None:
    series = breaking_bad(imdb_id="tt0000003")
    del series["Awards"]
    explicit_null = answer("tt0000007") | {"Production": None}  # present, no value
    result = build(
        tmp_path,
        [
            bronze("tt0000001", answer("tt0000001", Metascore=None, Plot=None), rank=1),
            bronze("tt0000002", answer("tt0000002", Metascore=None), rank=2),
            # A series has no DVD, BoxOffice, Production or Website: not missing for it.
            bronze("tt0000003", series, rank=3),
            # "N/A" is a value (a null for the null rates), not a missing field.
            bronze("tt0000004", answer("tt0000004", Plot="N/A", BoxOffice="N/A"), rank=4),
            # A movie without the movie-only fields lacks them.
            bronze("tt0000005", answer("tt0000005", DVD=None, Website=None), rank=5),
            bronze("tt0000006", status="not_found", rank=6),  # not an answer with fields
            bronze("tt0000007", explicit_null, rank=7),
        ],
    )

    assert result.missing == {"Awards": 1, "DVD": 1, "Metascore": 2, "Plot": 1, "Website": 1}
    assert result.drift == {}
    assert result.movies.num_rows == 6
    assert movie(result, "tt0000001")["metascore"] == 100  # from Ratings: the row is kept

    # Complete answers lack nothing.
    whole = breaking_bad(imdb_id="tt0000003")
    (tmp_path / "clean").mkdir()
    clean = build(tmp_path / "clean", [bronze("tt0000001"), bronze("tt0000003", whole, rank=2)])
    assert clean.missing == {}


def test_only_the_requested_snapshot_and_run_are_read(tmp_path: Path) -> None:
    lines = [
        bronze("tt0000001", answer("tt0000001", Title="run one"), rank=1),
        bronze(
            "tt0000001",
            answer("tt0000001", Title="run two"),
            rank=1,
            run_id=OTHER_RUN,
            fetched_at=T0 + timedelta(hours=12),
        ),
        bronze("tt0000002", rank=2, run_id=OTHER_RUN),
        bronze("tt0000003", rank=3, snapshot_date="2026-11-28"),
    ]

    everything = build(tmp_path, lines)
    assert everything.movies.column("imdb_id").to_pylist() == ["tt0000001", "tt0000002"]
    assert movie(everything, "tt0000001")["title"] == "run two"
    assert everything.records_read == 3

    run_one = build(tmp_path, lines, run_id=RUN)
    assert run_one.movies.column("imdb_id").to_pylist() == ["tt0000001"]
    assert movie(run_one, "tt0000001")["title"] == "run one"
    assert run_one.records_read == 1

    other_day = build_silver(
        [tmp_path / "part-00000.ndjson"], snapshot_date=date(2026, 11, 28), ingested_at=INGESTED
    )
    assert other_day.movies.column("imdb_id").to_pylist() == ["tt0000003"]


def test_many_files_blank_lines_and_crlf(tmp_path: Path) -> None:
    one = write(tmp_path / "one.ndjson", [bronze("tt0000001", rank=1), "", "   "])
    two = tmp_path / "two.ndjson"
    two.write_bytes(
        (dumps(bronze("tt0000002", rank=2)) + "\r\n" + dumps(bronze("tt0000003", rank=3))).encode(
            "utf-8"
        )
    )
    empty = tmp_path / "empty.ndjson"
    empty.write_text("")

    result = build_silver([one, str(two), empty], snapshot_date=SNAPSHOT, ingested_at=INGESTED)
    assert result.movies.column("imdb_id").to_pylist() == ["tt0000001", "tt0000002", "tt0000003"]
    assert result.quarantine.num_rows == 0
    assert result.records_read == 3


# --------------------------------------------------------------------------------------
# Output contract
# --------------------------------------------------------------------------------------


def test_output_schemas_are_exactly_the_contract(tmp_path: Path) -> None:
    result = build(
        tmp_path, [bronze("tt0000001"), bronze("tt0000002", answer("tt0000002", Runtime="x"))]
    )
    assert result.movies.schema == schema.arrow_schema()
    assert result.quarantine.schema == schema.quarantine_arrow_schema()
    assert_conforms(result)
    assert "snapshot_date" not in result.movies.column_names

    path = tmp_path / "movies.parquet"
    pq.write_table(result.movies, path)
    assert pq.read_schema(path).equals(schema.arrow_schema())


@pytest.mark.parametrize("files", [[], ["empty"]])
def test_no_records_give_empty_tables_of_the_contract(tmp_path: Path, files) -> None:
    paths = [tmp_path / "empty.ndjson" for _ in files]
    for path in paths:
        path.write_text("")
    result = build_silver(paths, snapshot_date=SNAPSHOT, ingested_at=INGESTED)

    assert result.movies.num_rows == 0
    assert result.movies.schema == schema.arrow_schema()
    assert result.quarantine.schema == schema.quarantine_arrow_schema()
    assert (result.not_found, result.drift, result.records_read) == ([], {}, 0)


def test_ingested_at_must_be_timezone_aware(tmp_path: Path) -> None:
    path = write(tmp_path / "x.ndjson", [bronze("tt0000001")])
    with pytest.raises(ValueError, match="timezone"):
        build_silver([path], snapshot_date=SNAPSHOT, ingested_at=datetime(2026, 11, 29))


def test_ingested_at_is_stored_in_utc(tmp_path: Path) -> None:
    path = write(tmp_path / "x.ndjson", [bronze("tt0000001")])
    local = INGESTED.astimezone(timezone(timedelta(hours=-5)))
    result = build_silver([path], snapshot_date=SNAPSHOT, ingested_at=local)
    assert movie(result, "tt0000001")["ingested_at"] == INGESTED
    assert str(result.movies.schema.field("ingested_at").type) == "timestamp[us, tz=UTC]"


def test_every_reason_the_transform_emits_is_a_documented_code() -> None:
    import re

    from cinelake.silver.transform import _checks

    every_line, found = _checks()
    emitted = {re.match(r"'(\w+):", message).group(1) for _, message in every_line + found}
    # The lines the reader takes out before DuckDB, and the movies the ledger misses.
    emitted |= {"invalid_json", "invalid_utf8", "line_too_large", "missing_from_bronze"}
    assert emitted == {code for code, _ in schema.REASON_CODES}


def test_a_memory_limit_too_small_is_retried_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cinelake.silver import transform

    limits: list[str | None] = []
    connect = transform._connect

    def spy(workdir: str, memory_limit: str | None):
        limits.append(memory_limit)
        return connect(workdir, memory_limit)

    monkeypatch.setattr(transform, "DUCKDB_MEMORY_LIMIT", "1MB")
    monkeypatch.setattr(transform, "_connect", spy)
    result = build(tmp_path, [bronze("tt0000001")])

    assert limits == ["1MB", None]
    assert result.movies.column("imdb_id").to_pylist() == ["tt0000001"]


def test_paths_that_look_like_globs_are_read_literally(tmp_path: Path) -> None:
    odd = tmp_path / "run[1]*?"
    odd.mkdir()
    path = write(odd / "part[0].ndjson", [bronze("tt0000001")])
    result = build_silver([path], snapshot_date=SNAPSHOT, ingested_at=INGESTED)
    assert result.movies.column("imdb_id").to_pylist() == ["tt0000001"]


def test_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError, match=r"missing\.ndjson"):
        build_silver([tmp_path / "missing.ndjson"], snapshot_date=SNAPSHOT, ingested_at=INGESTED)


def test_end_year_is_only_for_series(tmp_path: Path) -> None:
    result = build(
        tmp_path,
        [
            bronze("tt0000001", answer("tt0000001", Year="2001–2003", Type="movie"), rank=1),
            bronze("tt0000002", answer("tt0000002", Year="2001–2003", Type="Series"), rank=2),
        ],
    )
    assert (movie(result, "tt0000001")["year"], movie(result, "tt0000001")["end_year"]) == (
        2001,
        None,
    )
    assert movie(result, "tt0000002")["end_year"] == 2003
    assert movie(result, "tt0000002")["type"] == "series"  # lowercased
