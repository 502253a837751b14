"""The synthetic data must be reproducible and shaped exactly like IMDb-API / OMDb data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cinelake.devtools.synthetic import imdb_id, omdb_answer, omdb_catalog, source_list

MOVIE_KEYS = [
    "Title", "Year", "Rated", "Released", "Runtime", "Genre", "Director", "Writer", "Actors",
    "Plot", "Language", "Country", "Awards", "Poster", "Ratings", "Metascore", "imdbRating",
    "imdbVotes", "imdbID", "Type", "DVD", "BoxOffice", "Production", "Website", "Response",
]  # fmt: skip
SERIES_ONLY_MISSING = {"DVD", "BoxOffice", "Production", "Website"}
SERIES_KEYS = [k for k in MOVIE_KEYS if k not in SERIES_ONLY_MISSING]
SERIES_KEYS.insert(SERIES_KEYS.index("Response"), "totalSeasons")

AWARDS_RE = re.compile(
    r"^(N/A"
    r"|Won \d+ (Oscars?|Primetime Emmys?)\. \d+ wins? & \d+ nominations? total"
    r"|Nominated for \d+ (Oscars?|Primetime Emmys?)\. \d+ wins? & \d+ nominations? total"
    r"|\d+ wins?\."
    r"|\d+ nominations?"
    r"|\d+ wins? & \d+ nominations?)$"
)
DATE_RE = re.compile(r"^(N/A|\d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4})$")

IDS = [imdb_id(n) for n in range(1, 2001)]


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict]:
    return omdb_catalog(IDS)


def test_imdb_id_format() -> None:
    assert imdb_id(1) == "tt0000001"
    assert imdb_id(111161) == "tt0111161"
    assert imdb_id(9_999_999) == "tt9999999"
    assert imdb_id(10_000_000) == "tt10000000"
    with pytest.raises(ValueError):
        imdb_id(-1)


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_imdb_id_distinct_and_well_formed(a: int, b: int) -> None:
    assert re.fullmatch(r"tt\d{7,}", imdb_id(a))
    assert (imdb_id(a) == imdb_id(b)) == (a == b)


@settings(max_examples=50)
@given(st.integers(0, 10**8), st.integers(0, 1000))
def test_omdb_answer_deterministic_and_typed(n: int, seed: int) -> None:
    ident = imdb_id(n)
    answer = omdb_answer(ident, seed=seed)
    assert answer == omdb_answer(ident, seed=seed)
    assert answer["imdbID"] == ident
    assert answer["Response"] == "True"
    for key, value in answer.items():
        if key == "Ratings":
            assert isinstance(value, list)
        else:
            assert isinstance(value, str), key


def test_same_output_in_other_processes_whatever_the_hash_seed() -> None:
    """Guards against seeding from Python's salted hash()."""
    code = (
        "import json; from cinelake.devtools.synthetic import omdb_catalog, source_list; "
        "print(json.dumps([omdb_catalog(['tt0000001', 'tt0111161'], seed=7), "
        "source_list(3, seed=7)]))"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    here = [omdb_catalog(["tt0000001", "tt0111161"], seed=7), source_list(3, seed=7)]
    assert outputs[0] == here


def test_seed_changes_the_data() -> None:
    differing = [i for i in IDS[:50] if omdb_answer(i, seed=0) != omdb_answer(i, seed=1)]
    assert len(differing) == 50


def test_key_sets_and_order(catalog: dict[str, dict]) -> None:
    for ident, answer in catalog.items():
        expected = SERIES_KEYS if answer["Type"] == "series" else MOVIE_KEYS
        assert list(answer) == expected, ident
        assert answer["imdbID"] == ident


def test_series_answers(catalog: dict[str, dict]) -> None:
    series = [a for a in catalog.values() if a["Type"] == "series"]
    assert 0.02 * len(catalog) < len(series) < 0.09 * len(catalog)
    for answer in series:
        assert re.fullmatch(r"\d{4}–(\d{4})?", answer["Year"]), answer["Year"]
        assert answer["totalSeasons"].isdigit()
        assert not SERIES_ONLY_MISSING & answer.keys()
    assert any(a["Year"].endswith("–") for a in series)  # still running, like "2019–"
    assert any(re.fullmatch(r"\d{4}–\d{4}", a["Year"]) for a in series)


def test_field_formats(catalog: dict[str, dict]) -> None:
    for answer in catalog.values():
        if answer["Type"] == "movie":
            assert re.fullmatch(r"\d{4}", answer["Year"])
            assert DATE_RE.match(answer["DVD"])
            assert re.fullmatch(r"N/A|\$\d{1,3}(,\d{3})*", answer["BoxOffice"])
        assert DATE_RE.match(answer["Released"])
        assert re.fullmatch(r"N/A|\d+ min", answer["Runtime"])
        assert AWARDS_RE.match(answer["Awards"]), answer["Awards"]
        assert re.fullmatch(r"\d\.\d", answer["imdbRating"])
        assert re.fullmatch(r"\d{1,3}(,\d{3})*", answer["imdbVotes"])
        assert answer["Poster"] == "N/A" or answer["Poster"].startswith("https://")
        ratings = answer["Ratings"]
        assert 1 <= len(ratings) <= 3
        assert all(set(r) == {"Source", "Value"} for r in ratings)
        assert ratings[0] == {
            "Source": "Internet Movie Database",
            "Value": f"{answer['imdbRating']}/10",
        }
        metacritic = [r["Value"] for r in ratings if r["Source"] == "Metacritic"]
        if answer["Metascore"] == "N/A":
            assert metacritic == []
        else:
            assert metacritic == [f"{answer['Metascore']}/100"]


def test_awkward_cases_all_present(catalog: dict[str, dict]) -> None:
    answers = list(catalog.values())
    movies = [a for a in answers if a["Type"] == "movie"]
    assert {len(a["Ratings"]) for a in answers} == {1, 2, 3}
    assert any(a["Metascore"] == "N/A" for a in answers)
    assert any(a["BoxOffice"] == "N/A" for a in movies)
    assert any(a["DVD"] == "N/A" for a in movies)
    assert any(a["Awards"] == "N/A" for a in answers)
    assert any(a["Awards"].startswith("Won ") for a in answers)
    assert any(a["Awards"].startswith("Nominated for ") for a in answers)
    assert any(re.search(r"\(screenplay by\)", a["Writer"]) for a in answers)
    assert any(not a["Title"].isascii() for a in answers)
    assert {a["Title"][0] for a in answers} >= {"=", "+", "-", "@"}
    assert len({a["Genre"] for a in answers}) > 100


def test_full_plot_only_lengthens_the_plot() -> None:
    short, full = omdb_answer("tt0000042"), omdb_answer("tt0000042", plot="full")
    assert full["Plot"].startswith(short["Plot"]) and len(full["Plot"]) > len(short["Plot"])
    assert {k: v for k, v in full.items() if k != "Plot"} == {
        k: v for k, v in short.items() if k != "Plot"
    }


def test_omdb_catalog_maps_ids_to_answers() -> None:
    ids = ["tt0000003", "tt0111161", "tt10000000"]
    built = omdb_catalog(ids, seed=3)
    assert list(built) == ids
    assert all(built[i] == omdb_answer(i, seed=3) for i in ids)
    assert omdb_catalog(iter(ids), seed=3) == built


def test_source_list_format() -> None:
    data = source_list(300, start_rank=11, seed=5)
    assert set(data) == {"items", "errorMessage"} and data["errorMessage"] == ""
    items = data["items"]
    assert [item["rank"] for item in items] == [str(r) for r in range(11, 311)]
    assert [item["id"] for item in items] == [imdb_id(n) for n in range(1, 301)]
    keys = {"id", "rank", "title", "fullTitle", "year", "image", "crew", "imDbRating"}
    for item in items:
        assert set(item) == keys | {"imDbRatingCount"}
        assert all(isinstance(v, str) for v in item.values())
        assert item["fullTitle"] == f"{item['title']} ({item['year']})"
        assert item["imDbRatingCount"].isdigit()
        assert item["image"].startswith("https://")
    assert source_list(300, start_rank=11, seed=5) == data
    assert source_list(0) == {"items": [], "errorMessage": ""}
    with pytest.raises(ValueError):
        source_list(-1)


def test_source_list_agrees_with_omdb_answers() -> None:
    for item in source_list(200, seed=9)["items"]:
        answer = omdb_answer(item["id"], seed=9)
        assert item["title"] == answer["Title"]
        assert answer["Year"].startswith(item["year"])
        assert item["imDbRating"] == answer["imdbRating"]
        assert f"{int(item['imDbRatingCount']):,}" == answer["imdbVotes"]
        if answer["Director"] != "N/A":
            assert item["crew"].startswith(answer["Director"].split(", ")[0] + " (dir.)")
