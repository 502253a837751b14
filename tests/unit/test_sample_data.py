"""Shape and consistency checks for the bundled offline sample data."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest

from cinelake import sample

OMDB_KEYS = [
    "Title",
    "Year",
    "Rated",
    "Released",
    "Runtime",
    "Genre",
    "Director",
    "Writer",
    "Actors",
    "Plot",
    "Language",
    "Country",
    "Awards",
    "Poster",
    "Ratings",
    "Metascore",
    "imdbRating",
    "imdbVotes",
    "imdbID",
    "Type",
    "DVD",
    "BoxOffice",
    "Production",
    "Website",
    "Response",
]
TOP_ITEM_KEYS = {
    "id",
    "rank",
    "title",
    "fullTitle",
    "year",
    "image",
    "crew",
    "imDbRating",
    "imDbRatingCount",
}
# Known differences between IMDb's title and OMDb's Title for the same id.
OMDB_TITLE_OVERRIDES = {"tt0076759": "Star Wars: Episode IV - A New Hope"}

ID_RE = re.compile(r"^tt\d{7,8}$")
RUNTIME_RE = re.compile(r"^\d+ min$")
VOTES_RE = re.compile(r"^\d{1,3}(,\d{3})*$")
BOX_OFFICE_RE = re.compile(r"^\$\d{1,3}(,\d{3})*$")
RATING_RE = re.compile(r"^\d\.\d$")


@pytest.fixture(scope="module")
def top() -> dict[str, Any]:
    return sample.load_top_movies()


@pytest.fixture(scope="module")
def items(top: dict[str, Any]) -> list[dict[str, Any]]:
    return top["items"]


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, Any]]:
    return sample.load_omdb_answers()


def test_files_ship_inside_the_package() -> None:
    from importlib import resources

    base = resources.files("cinelake.sample")
    for name in ("top_movies.json", "omdb_answers.json", "README.md"):
        assert base.joinpath(name).is_file(), name
    assert sample.top_movies_path().is_file()
    assert sample.omdb_answers_path().is_file()


def test_top_list_envelope(top: dict[str, Any]) -> None:
    assert set(top) == {"items", "errorMessage"}
    assert top["errorMessage"] == ""


def test_fifty_items_with_contiguous_ranks(items: list[dict[str, Any]]) -> None:
    assert len(items) == 50
    assert [item["rank"] for item in items] == [str(n) for n in range(1, 51)]


def test_top_items_are_all_strings(items: list[dict[str, Any]]) -> None:
    for item in items:
        assert set(item) == TOP_ITEM_KEYS, item.get("id")
        for key, value in item.items():
            assert isinstance(value, str), (item["id"], key)


def test_top_item_fields(items: list[dict[str, Any]]) -> None:
    for item in items:
        assert item["fullTitle"] == f"{item['title']} ({item['year']})"
        assert re.fullmatch(r"\d{4}", item["year"])
        assert item["image"] == ""
        assert RATING_RE.match(item["imDbRating"]), item["id"]
        assert item["imDbRatingCount"].isdigit(), item["id"]
        assert "(dir.)" in item["crew"], item["id"]


def test_ids_are_valid_and_unique(items: list[dict[str, Any]]) -> None:
    ids = [item["id"] for item in items]
    for imdb_id in ids:
        assert ID_RE.match(imdb_id), imdb_id
    assert len(set(ids)) == len(ids)


def history() -> dict[str, list[dict[str, Any]]]:
    """The bundled dated top lists, by file name."""
    return {
        f.name: json.loads(f.read_text(encoding="utf-8"))["items"]
        for f in sample.history_path().iterdir()
        if f.name.endswith(".json")
    }


def test_every_id_has_a_matching_answer(
    items: list[dict[str, Any]], answers: dict[str, dict[str, Any]]
) -> None:
    history_ids = {item["id"] for days in history().values() for item in days}
    assert set(answers) == {item["id"] for item in items} | history_ids
    for key, answer in answers.items():
        assert answer["imdbID"] == key


def test_history_days_are_dated_top_forties_that_agree_with_the_answers(
    answers: dict[str, dict[str, Any]],
) -> None:
    days = history()
    assert len(days) >= 5
    for name, day in days.items():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.json", name)
        datetime.strptime(name[:10], "%Y-%m-%d")
        assert [item["rank"] for item in day] == [str(n) for n in range(1, 41)], name
        for item in day:
            assert set(item) == TOP_ITEM_KEYS - {"imDbRatingCount"}, (name, item["id"])
            answer = answers[item["id"]]
            assert answer["Title"] == OMDB_TITLE_OVERRIDES.get(item["id"], item["title"])
            assert answer["Year"] == item["year"] and RATING_RE.match(item["imDbRating"])
    # History shows movement: the days are not all the same list.
    assert len({tuple(i["id"] for i in day) for day in days.values()}) == len(days)


def test_answers_have_exact_omdb_shape(answers: dict[str, dict[str, Any]]) -> None:
    for key, answer in answers.items():
        assert list(answer) == OMDB_KEYS, key
        assert answer["Response"] == "True"
        assert answer["Type"] == "movie"
        for field, value in answer.items():
            if field == "Ratings":
                continue
            assert isinstance(value, str), (key, field)
        assert isinstance(answer["Ratings"], list) and answer["Ratings"], key
        for rating in answer["Ratings"]:
            assert set(rating) == {"Source", "Value"}, key
            assert all(isinstance(v, str) for v in rating.values()), key


def test_answer_value_formats(answers: dict[str, dict[str, Any]]) -> None:
    for key, answer in answers.items():
        assert RUNTIME_RE.match(answer["Runtime"]), (key, answer["Runtime"])
        assert VOTES_RE.match(answer["imdbVotes"]), (key, answer["imdbVotes"])
        box = answer["BoxOffice"]
        assert box == "N/A" or BOX_OFFICE_RE.match(box), (key, box)
        datetime.strptime(answer["Released"], "%d %b %Y")
        if answer["DVD"] != "N/A":
            datetime.strptime(answer["DVD"], "%d %b %Y")
        assert RATING_RE.match(answer["imdbRating"]), key
        assert answer["Metascore"] == "N/A" or answer["Metascore"].isdigit(), key
        assert answer["Poster"] == "N/A"
        for field in ("Genre", "Director", "Writer", "Actors", "Language", "Country"):
            value = answer[field]
            assert value and value == value.strip(), (key, field)
            assert ",," not in value and not value.endswith(","), (key, field)


def test_ratings_list_agrees_with_scalar_fields(answers: dict[str, dict[str, Any]]) -> None:
    for key, answer in answers.items():
        by_source = {r["Source"]: r["Value"] for r in answer["Ratings"]}
        assert by_source["Internet Movie Database"] == f"{answer['imdbRating']}/10", key
        if answer["Metascore"] == "N/A":
            assert "Metacritic" not in by_source, key
        else:
            assert by_source["Metacritic"] == f"{answer['Metascore']}/100", key
        if "Rotten Tomatoes" in by_source:
            assert re.fullmatch(r"\d{1,3}%", by_source["Rotten Tomatoes"]), key


def test_top_list_and_answers_agree(
    items: list[dict[str, Any]], answers: dict[str, dict[str, Any]]
) -> None:
    for item in items:
        answer = answers[item["id"]]
        assert answer["Year"] == item["year"], item["id"]
        expected_title = OMDB_TITLE_OVERRIDES.get(item["id"], item["title"])
        assert answer["Title"] == expected_title, item["id"]
        assert answer["imdbRating"] == item["imDbRating"], item["id"]
        assert answer["imdbVotes"].replace(",", "") == item["imDbRatingCount"], item["id"]
        director = item["crew"].split(" (dir.)")[0]
        assert director in answer["Director"], item["id"]
