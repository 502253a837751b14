"""Deterministic synthetic movie data in the exact shapes of IMDb-API and OMDb.

Tests and benchmarks need large, realistic inputs without any network access, and
they need the same input on every run and every machine. Every value is derived
from a ``random.Random`` seeded with a stable digest of ``(imdb id, seed)``, never
from Python's salted ``hash()``, so output is reproducible across processes.

The data deliberately includes the awkward cases real OMDb answers contain: ``"N/A"``
placeholders, writer credit notes, Unicode titles and names, titles that start with
``= + - @`` (spreadsheet-formula characters) and a few TV series answers, which lack
the ``DVD``/``BoxOffice``/``Production``/``Website`` keys.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["imdb_id", "omdb_answer", "omdb_catalog", "source_list"]

SERIES_FRACTION = 0.05
"""Share of answers that are TV series; real top lists mix in a few."""


def _words(text: str) -> tuple[str, ...]:
    """Split a ``|``-separated word list; keeps the long vocabularies compact."""
    return tuple(text.split("|"))


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_FIRST_NAMES = _words(
    "Frank|Morgan|Tim|Sofia|Francis|Marlon|Al|Diane|Akira|Toshiro|Greta|Ingrid|Pedro|"
    "Agnès|Céline|Bong|Hayao|Zoë|Penélope|Björn|Krzysztof|Alejandro|Mélanie|Jürgen|Chloé|"
    "Ángela|Søren|Dorota|Kate|Denzel|Viola|Mahershala|Lupita|Song|Choi|Tilda|Idris|Yuki|"
    "Amara|Ravi|Priya|Olu|Mia|Liam|Noah|Emma|Chen|Ahmed|Leila"
)
_LAST_NAMES = _words(
    "Darabont|Freeman|Robbins|Coppola|Brando|Pacino|Keaton|Kurosawa|Mifune|Gerwig|"
    "Bergman|Almodóvar|Varda|Sciamma|Joon Ho|Miyazaki|Kravitz|Cruz|Borg|Kieślowski|"
    "Iñárritu|Laurent|Prochnow|Müller|Søndergaard|Nowak|Winslet|Washington|Davis|Ali|"
    "Nyong'o|Kang-ho|Swinton|Elba|Tanaka|Okafor|Sharma|Patel|Adeyemi|Goth|Neeson|O'Brien|"
    "Stone|Zhang|Hassan|Hatami|Nakamura|Ferreira|Łukasik"
)
_CREDIT_NOTES = _words(
    "screenplay by|screenplay|novel|based on the novel by|story by|characters|written by|"
    "play|short story"
)

_ADJECTIVES = _words(
    "Silent|Last|Broken|Golden|Hidden|Endless|Crimson|Forgotten|Wild|Dark|Lonely|"
    "Electric|Secret|Burning|Quiet|Savage|Little|Great|Naïve|Frozen|Distant|Hollow|"
    "Shining|Strange"
)
_NOUNS = _words(
    "River|Kingdom|Heart|Road|Summer|Night|Empire|Garden|Shadow|Storm|City|Letter|"
    "Mountain|Promise|Island|Witness|Harbor|Machine|Dream|Train|Echo|Horizon|Stranger|"
    "Déjà Vu|Café|Señorita"
)
_PLACES = _words(
    "Lisbon|Tokyo|Paris|Memphis|Berlin|Cairo|Montréal|Zürich|Kraków|São Paulo|Reykjavík|"
    "Malmö|Москва|東京|Ōsaka|Seoul|Lagos|Mumbai"
)
_SUBTITLES = _words(
    "Part II|The Reckoning|A New Dawn|Origins|The Final Chapter|Redemption|"
    "Rise of the Fallen|Homecoming"
)
_PREFIXED_TITLES = ("-1", "+1", "-273", "+3", "=", "@Home", "=Equals", "+Plus Ultra", "-Zero")
_FORMULA_CHARS = ("=", "+", "-", "@")

_GENRES = _words(
    "Drama|Crime|Action|Adventure|Comedy|Thriller|Romance|Sci-Fi|Horror|Mystery|Fantasy|"
    "Animation|Biography|History|War|Family|Music|Western|Sport|Musical|Film-Noir|"
    "Documentary"
)
_LANGUAGES = _words(
    "English|English|English|French|Spanish|Italian|German|Japanese|Korean|Mandarin|"
    "Cantonese|Hindi|Russian|Portuguese|Swedish|Polish|Arabic|Persian|Turkish|Danish|"
    "Latin|Yoruba"
)
_COUNTRIES = _words(
    "United States|United States|United States|United Kingdom|France|Italy|Germany|Japan|"
    "South Korea|China|Hong Kong|India|Spain|Mexico|Canada|Australia|Sweden|Poland|"
    "Brazil|Iran|Nigeria|Denmark|New Zealand|Argentina"
)
_MOVIE_RATED = _words("PG-13|R|R|PG|G|NC-17|Not Rated|Unrated|Approved|Passed|N/A|TV-14")
_SERIES_RATED = ("TV-MA", "TV-14", "TV-PG", "TV-G", "TV-Y7")
_STUDIOS = _words(
    "Warner Bros.|Paramount Pictures|Universal Pictures|20th Century Fox|A24|"
    "Studio Ghibli|Columbia Pictures|Miramax|Neon|Lionsgate"
)
_PLOT_SUBJECTS = _words(
    "A retired detective|An estranged sister|A young engineer|An aging boxer|"
    "A small-town teacher|A grieving widower|A reluctant heir|A band of misfits|"
    "A disillusioned journalist|An orphaned girl|A stubborn farmer|A rookie pilot"
)
_PLOT_ACTIONS = (
    "must confront a past long buried",
    "uncovers a conspiracy that reaches the highest office",
    "sets out across the country to keep a promise",
    "fights to save the only home they have ever known",
    "discovers that the truth is stranger than fiction",
    "gets one last chance at redemption",
    "is drawn into a dangerous game of loyalty and betrayal",
)
_PLOT_SETTINGS = _words(
    "in post-war Europe|during a record-breaking heat wave|in near-future Tokyo|"
    "on the eve of a revolution|in a remote mountain village|in 1970s New York|"
    "aboard a failing space station|in the streets of São Paulo"
)
_PLOT_EXTRA = (
    "As old alliances crumble, every choice comes with a price.",
    "What begins as a favour soon spirals into something none of them can control.",
    "Along the way, unlikely friendships form and long-kept secrets surface.",
    "Time is running out, and nobody can be trusted.",
)
_POSTER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def imdb_id(n: int) -> str:
    """Return the IMDb-style id for ``n``: ``tt`` + 7 digits, 8+ once ``n`` needs them."""
    if n < 0:
        raise ValueError(f"imdb_id needs n >= 0, got {n}")
    return f"tt{n:07d}"


def _rng(*parts: object) -> random.Random:
    """A ``Random`` seeded from a stable digest, so runs agree across processes."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


@dataclass(frozen=True)
class _Core:
    """The fields both the source list and the OMDb answer show, so they agree."""

    rng: random.Random
    is_series: bool
    title: str
    year: int
    year_end: int | None
    directors: tuple[str, ...]
    actors: tuple[str, ...]
    rating: float
    votes: int
    poster_token: str | None


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"


def _people(rng: random.Random, count: int) -> tuple[str, ...]:
    names: list[str] = []
    while len(names) < count:
        name = _person(rng)
        if name not in names:
            names.append(name)
    return tuple(names)


def _title(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        choice = rng.random()
        if choice < 0.5:
            return rng.choice(_PREFIXED_TITLES)
        return rng.choice(_FORMULA_CHARS) + f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    pattern = rng.randrange(7)
    adj, noun, place = rng.choice(_ADJECTIVES), rng.choice(_NOUNS), rng.choice(_PLACES)
    if pattern == 0:
        title = f"The {adj} {noun}"
    elif pattern == 1:
        title = f"{noun} of {place}"
    elif pattern == 2:
        title = f"{adj} {noun}s"
    elif pattern == 3:
        title = f"{rng.choice(_FIRST_NAMES)}'s {noun}"
    elif pattern == 4:
        title = f"{adj} {noun}: {rng.choice(_SUBTITLES)}"
    elif pattern == 5:
        title = f"{noun}, {adj} {rng.choice(_NOUNS)}"
    else:
        title = f"{adj} {noun} {rng.randint(2, 4)}"
    if roll > 0.98:
        title = f'The "{adj}" {noun}'
    return title


def _core(imdb: str, seed: int) -> _Core:
    rng = _rng("omdb", imdb, seed)
    is_series = rng.random() < SERIES_FRACTION
    title = _title(rng)
    if is_series:
        year = rng.randint(1990, 2023)
        ended = rng.random() < 0.6
        year_end = min(year + rng.randint(1, 10), 2024) if ended else None
        directors: tuple[str, ...] = ()
    else:
        # Skew towards recent decades, like real top lists.
        year = 2024 - int(abs(rng.gauss(0, 30))) % 104
        year_end = None
        directors = _people(rng, 2 if rng.random() < 0.08 else 1)
    actors = _people(rng, 3)
    rating = min(9.7, max(1.0, round(rng.gauss(7.0, 1.0), 1)))
    votes = int(10 ** rng.uniform(1.5, 6.45))
    poster = None if rng.random() < 0.04 else "".join(rng.choices(_POSTER_ALPHABET, k=46))
    return _Core(rng, is_series, title, year, year_end, directors, actors, rating, votes, poster)


def _date(rng: random.Random, year: int) -> str:
    return f"{rng.randint(1, 28):02d} {rng.choice(_MONTHS)} {year}"


def _writers(rng: random.Random) -> str:
    names = _people(rng, rng.choice((1, 1, 2, 2, 3)))
    credited = []
    for name in names:
        if rng.random() < 0.35:
            credited.append(f"{name} ({rng.choice(_CREDIT_NOTES)})")
        else:
            credited.append(name)
    return ", ".join(credited)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _awards(rng: random.Random, is_series: bool) -> str:
    prize = "Primetime Emmy" if is_series else "Oscar"
    kind = rng.randrange(7)
    wins = rng.randint(1, 60)
    noms = rng.randint(1, 80)
    if kind == 0:
        big = rng.randint(1, 11)
        return f"Won {_plural(big, prize)}. {wins + big} wins & {noms} nominations total"
    if kind == 1:
        big = rng.randint(1, 13)
        return (
            f"Nominated for {_plural(big, prize)}. "
            f"{_plural(wins, 'win')} & {noms + big} nominations total"
        )
    if kind == 2:
        return f"{_plural(rng.randint(1, 5), 'win')}."
    if kind == 3:
        return _plural(rng.randint(1, 5), "nomination")
    if kind in (4, 5):
        return f"{_plural(wins, 'win')} & {_plural(noms, 'nomination')}"
    return "N/A"


def _plot(rng: random.Random) -> str:
    return f"{rng.choice(_PLOT_SUBJECTS)} {rng.choice(_PLOT_ACTIONS)} {rng.choice(_PLOT_SETTINGS)}."


def _sample(rng: random.Random, population: tuple[str, ...], most: int) -> str:
    picked: list[str] = []
    for _ in range(rng.randint(1, most)):
        value = rng.choice(population)
        if value not in picked:
            picked.append(value)
    return ", ".join(picked)


def _poster_url(token: str | None, suffix: str = "_V1_SX300.jpg") -> str:
    if token is None:
        return "N/A"
    return f"https://m.media-amazon.com/images/M/MV5B{token}.{suffix}"


def omdb_answer(imdb_id: str, *, seed: int = 0, plot: str = "short") -> dict[str, Any]:
    """Return a realistic OMDb "found" answer for ``imdb_id``, deterministic per ``seed``.

    All values are strings except ``Ratings`` (a list of ``{"Source", "Value"}``), in the
    key order OMDb uses. ``plot="full"`` lengthens the plot without changing other fields.
    """
    core = _core(imdb_id, seed)
    rng = core.rng
    if core.is_series:
        year_text = f"{core.year}–{core.year_end if core.year_end is not None else ''}"
        rated = rng.choice(_SERIES_RATED)
        runtime = f"{rng.choice((22, 24, 30, 42, 45, 50, 55, 60))} min"
    else:
        year_text = str(core.year)
        rated = rng.choice(_MOVIE_RATED)
        runtime = "N/A" if rng.random() < 0.03 else f"{rng.randint(72, 210)} min"
    released = "N/A" if rng.random() < 0.04 else _date(rng, core.year)
    genre = _sample(rng, _GENRES, 3)
    writer = _writers(rng)
    short_plot = _plot(rng)
    language = _sample(rng, _LANGUAGES, 3)
    country = _sample(rng, _COUNTRIES, 2)
    awards = _awards(rng, core.is_series)

    ratings = [{"Source": "Internet Movie Database", "Value": f"{core.rating:.1f}/10"}]
    if rng.random() < 0.6:
        ratings.append({"Source": "Rotten Tomatoes", "Value": f"{rng.randint(5, 100)}%"})
    metascore = "N/A"
    if rng.random() < 0.55:
        metascore = str(rng.randint(20, 100))
        ratings.append({"Source": "Metacritic", "Value": f"{metascore}/100"})

    answer: dict[str, Any] = {
        "Title": core.title,
        "Year": year_text,
        "Rated": rated,
        "Released": released,
        "Runtime": runtime,
        "Genre": genre,
        "Director": ", ".join(core.directors) if core.directors else "N/A",
        "Writer": writer,
        "Actors": ", ".join(core.actors),
        "Plot": short_plot,
        "Language": language,
        "Country": country,
        "Awards": awards,
        "Poster": _poster_url(core.poster_token),
        "Ratings": ratings,
        "Metascore": metascore,
        "imdbRating": f"{core.rating:.1f}",
        "imdbVotes": f"{core.votes:,}",
        "imdbID": imdb_id,
        "Type": "series" if core.is_series else "movie",
    }
    if core.is_series:
        answer["totalSeasons"] = str(rng.randint(1, 12))
    else:
        dvd_year = min(core.year + rng.randint(0, 3), 2024)
        answer["DVD"] = "N/A" if rng.random() < 0.3 else _date(rng, max(dvd_year, 1997))
        answer["BoxOffice"] = (
            "N/A" if rng.random() < 0.35 else f"${rng.randint(20_000, 900_000_000):,}"
        )
        answer["Production"] = rng.choice(_STUDIOS) if rng.random() < 0.2 else "N/A"
        answer["Website"] = "N/A"
    answer["Response"] = "True"
    if plot == "full":
        # A separate generator so the short answer's fields never depend on ``plot``.
        extra = _rng("full-plot", imdb_id, seed)
        answer["Plot"] = f"{short_plot} {extra.choice(_PLOT_EXTRA)} {extra.choice(_PLOT_EXTRA)}"
    return answer


def omdb_catalog(ids: Iterable[str], *, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Map each id to its synthetic OMDb answer; the simulator's catalog format."""
    return {i: omdb_answer(i, seed=seed) for i in ids}


def source_list(count: int, *, start_rank: int = 1, seed: int = 0) -> dict[str, Any]:
    """Return an IMDb-API Top250-style list of ``count`` items (ids ``imdb_id(1..count)``).

    Titles, years, crew and ratings match ``omdb_answer(id, seed=seed)`` so joins line up.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    items = []
    for i in range(1, count + 1):
        ident = imdb_id(i)
        core = _core(ident, seed)
        crew = [f"{name} (dir.)" for name in core.directors] + list(core.actors[:2])
        token = core.poster_token or "".join(
            _rng("image", ident, seed).choices(_POSTER_ALPHABET, k=46)
        )
        items.append(
            {
                "id": ident,
                "rank": str(start_rank + i - 1),
                "title": core.title,
                "fullTitle": f"{core.title} ({core.year})",
                "year": str(core.year),
                "image": _poster_url(token, "_V1_UX128_CR0,3,128,176_AL_.jpg"),
                "crew": ", ".join(crew),
                "imDbRating": f"{core.rating:.1f}",
                "imDbRatingCount": str(core.votes),
            }
        )
    return {"items": items, "errorMessage": ""}
