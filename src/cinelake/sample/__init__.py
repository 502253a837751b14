"""Bundled offline SAMPLE data for cinelake demos and tests.

Two hand-written JSON files ship inside this package:

* ``top_movies.json`` -- the top 50 of the IMDb Top 250 (around mid-2023) in
  the IMDb-API ``Top250Movies`` shape: ``{"items": [...], "errorMessage": ""}``.
* ``omdb_answers.json`` -- a mapping ``imdbID -> OMDb answer`` for
  ``?i=<id>&plot=short`` for each of those 50 movies, in OMDb's exact format.

and ``history/YYYY-MM-DD.json`` -- the top 40 of the IMDb Top 250 on a few real days of
late 2024 and early 2025, in the same shape: ``make demo`` backfills them as history.

The facts are written to the best of our knowledge; they are not an official
copy of IMDb or OMDb data, and posters are omitted.  See ``README.md``.
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

__all__ = [
    "history_path",
    "load_omdb_answers",
    "load_top_movies",
    "omdb_answers_path",
    "top_movies_path",
]

TOP_MOVIES_FILE = "top_movies.json"
OMDB_ANSWERS_FILE = "omdb_answers.json"
HISTORY_DIR = "history"


def top_movies_path() -> Traversable:
    """Location of the bundled IMDb-API style top-movies list."""
    return resources.files(__name__).joinpath(TOP_MOVIES_FILE)


def omdb_answers_path() -> Traversable:
    """Location of the bundled ``imdbID -> OMDb answer`` mapping."""
    return resources.files(__name__).joinpath(OMDB_ANSWERS_FILE)


def history_path() -> Traversable:
    """The folder of dated top lists (``YYYY-MM-DD.json``) `cinelake backfill` loads."""
    return resources.files(__name__).joinpath(HISTORY_DIR)


def _load(path: Traversable) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_top_movies() -> dict[str, Any]:
    """The sample top list: ``{"items": [...], "errorMessage": ""}``."""
    data = _load(top_movies_path())
    if not isinstance(data, dict):
        raise ValueError(f"{TOP_MOVIES_FILE} must hold a JSON object")
    return data


def load_omdb_answers() -> dict[str, dict[str, Any]]:
    """The sample OMDb answers, keyed by IMDb id (``tt...``)."""
    data = _load(omdb_answers_path())
    if not isinstance(data, dict):
        raise ValueError(f"{OMDB_ANSWERS_FILE} must hold a JSON object")
    return data
