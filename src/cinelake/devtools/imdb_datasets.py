"""Generated IMDb datasets in the real format, a reference ranking, and a local file server.

``write_datasets`` writes ``title.basics.tsv.gz`` and ``title.ratings.tsv.gz`` exactly as
IMDb publishes them: tab-separated, a header line, no quoting, ``\\N`` for null in any
column. Every trap of the real files is in them: titles with ``"`` and ``'`` (also at the
start and the end, unbalanced), a literal backslash, non-ASCII titles, ``\\N`` in the year and
genres, adult movies, non-movie types, ratings of titles basics does not have, and ties of
rating and votes (so the tconst tie-break matters). Output is the same for the same seed.

``reference_top`` is the ranking by the published formula in plain Python: an oracle the
source's DuckDB query is checked against. ``DatasetServer`` serves a folder over HTTP with
ETag / Last-Modified and 304 answers, and logs every request.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

BASICS_HEADER = (
    "tconst",
    "titleType",
    "primaryTitle",
    "originalTitle",
    "isAdult",
    "startYear",
    "endYear",
    "runtimeMinutes",
    "genres",
)
RATINGS_HEADER = ("tconst", "averageRating", "numVotes")
GENRES = (
    "Drama",
    "Comedy",
    "Horror",
    "Action",
    "Romance",
    "Thriller",
    "Documentary",
    "Sci-Fi",
    "Animation",
    "Crime",
    "Film-Noir",
)
TYPES = ("movie", "movie", "movie", "short", "tvSeries", "tvEpisode", "video", "tvMovie")
TRAP_TITLES = (
    'He said "hello"',
    "L'Avventura",
    '"Quoted at the start',
    'Ends with a quote"',
    "It's a 'single' quote",
    'Unbalanced "quote',
    "Amélie",
    "七人の侍",
    "Ünïcödé Ñoño",
    "Back\\slash title",
    "\\N is not null here",
    "Семь самураев",
    "Comma, inside",
    "",
)


@dataclass(frozen=True)
class Title:
    tconst: str
    title_type: str
    title: str
    is_adult: str
    year: str  # the raw text: "1994" or "\N"
    genres: str  # "Drama,Horror" or "\N"


@dataclass(frozen=True)
class Rating:
    tconst: str
    rating: str  # "8.3"
    votes: int


@dataclass
class Datasets:
    titles: list[Title]
    ratings: list[Rating]
    basics_path: Path | None = None
    ratings_path: Path | None = None
    by_id: dict[str, Title] = field(default_factory=dict)


def generate(
    n_titles: int, *, seed: int = 12, rated: float = 0.6, vote_scale: float = 1.0
) -> Datasets:
    """Titles tt0000001.. with traps; about `rated` of them (and a few orphans) rated.

    Votes follow a heavy tail: about 0.5 % of the rated titles have 10,000 votes or more
    (x `vote_scale`^0.9 : 25 gives a few hundred eligible movies per 20,000 titles at IMDb's
    m = 25,000)."""
    rng = random.Random(seed)
    titles: list[Title] = []
    for i in range(1, n_titles + 1):
        tconst = f"tt{i:07d}"
        kind = rng.choice(TYPES)
        title = TRAP_TITLES[i % len(TRAP_TITLES)] if i % 3 == 0 else f"Title {i} {rng.random():.3f}"
        year = "\\N" if i % 17 == 0 else str(rng.randint(1920, 2025))
        genres = "\\N" if i % 13 == 0 else ",".join(rng.sample(GENRES, rng.randint(1, 3)))
        adult = "1" if i % 23 == 0 else "0"
        titles.append(Title(tconst, kind, title, adult, year, genres))
    ratings: list[Rating] = []
    for t in titles:
        if rng.random() < rated:
            votes = int(rng.paretovariate(0.9) * 40 * vote_scale)  # heavy tail
            ratings.append(Rating(t.tconst, f"{rng.randint(10, 100) / 10:.1f}", votes))
    # Ties of rating and votes among popular movies: the tconst decides.
    popular = [r for r in ratings if r.votes >= 5000][:6]
    for r in popular[1:3]:
        idx = ratings.index(r)
        ratings[idx] = Rating(r.tconst, popular[0].rating, popular[0].votes)
    # Ratings of titles basics does not have (IMDb's files are not always in step).
    for j in range(3):
        ratings.append(Rating(f"tt{n_titles + 10 + j:07d}", "9.9", 10_000_000))
    return Datasets(titles, ratings, by_id={t.tconst: t for t in titles})


def write_datasets(data: Datasets, folder: Path) -> Datasets:
    folder.mkdir(parents=True, exist_ok=True)
    basics = folder / "title.basics.tsv.gz"
    with gzip.open(basics, "wt", encoding="utf-8", newline="\n", compresslevel=1) as fh:
        fh.write("\t".join(BASICS_HEADER) + "\n")
        for t in data.titles:
            fh.write(
                "\t".join(
                    (
                        t.tconst,
                        t.title_type,
                        t.title,
                        t.title,
                        t.is_adult,
                        t.year,
                        "\\N",
                        "\\N" if t.tconst.endswith("7") else "95",
                        t.genres,
                    )
                )
                + "\n"
            )
    ratings = folder / "title.ratings.tsv.gz"
    with gzip.open(ratings, "wt", encoding="utf-8", newline="\n", compresslevel=1) as fh:
        fh.write("\t".join(RATINGS_HEADER) + "\n")
        for r in data.ratings:
            fh.write(f"{r.tconst}\t{r.rating}\t{r.votes}\n")
    data.basics_path, data.ratings_path = basics, ratings
    return data


@dataclass(frozen=True)
class Expected:
    tconst: str
    title: str
    year: int | None
    rating: float
    votes: int
    wr: float


def reference_top(
    data: Datasets,
    top_n: int,
    min_votes: int,
    *,
    genre: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
) -> list[Expected]:
    """The top N by the formula, in plain Python (the oracle)."""
    eligible = []
    for r in data.ratings:
        t = data.by_id.get(r.tconst)
        if t is None or t.title_type != "movie" or t.is_adult != "0" or r.votes < min_votes:
            continue
        eligible.append((t, float(r.rating), r.votes))
    if not eligible:
        return []
    m = min_votes
    c = sum(rating for _, rating, _ in eligible) / len(eligible)
    scored = []
    for t, rating, v in eligible:
        year = None if t.year == "\\N" else int(t.year)
        genres = [] if t.genres == "\\N" else t.genres.lower().split(",")
        if genre is not None and genre.lower() not in genres:
            continue
        if year_from is not None and (year is None or year < year_from):
            continue
        if year_to is not None and (year is None or year > year_to):
            continue
        wr = v / (v + m) * rating + m / (v + m) * c
        scored.append(Expected(t.tconst, t.title, year, rating, v, wr))
    scored.sort(key=lambda e: (-e.wr, -e.votes, e.tconst))
    return scored[:top_n]


# -- a static file server with validators ---------------------------------------------------


@dataclass
class Logged:
    path: str
    status: int
    bytes: int


class DatasetServer:
    """Serve a folder's files with ETag / Last-Modified; answer 304 to matching validators."""

    def __init__(self, folder: Path, *, etags: bool = True) -> None:
        self.folder = folder
        self.etags = etags
        self.log: list[Logged] = []
        self._lock = threading.Lock()
        self.fail_with: int | None = None  # answer every request with this status

    def _validators(self, path: Path) -> tuple[str, str]:
        st = path.stat()
        digest = hashlib.sha256(f"{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
        return f'"{digest}"', formatdate(st.st_mtime, usegmt=True)

    def record(self, path: str, status: int, size: int) -> None:
        with self._lock:
            self.log.append(Logged(path, status, size))

    def downloads(self) -> list[str]:
        """Files sent in full (status 200)."""
        return [e.path for e in self.log if e.status == 200]

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                name = self.path.lstrip("/").split("?")[0]
                target = server.folder / name
                if server.fail_with is not None:
                    return self._send(server.fail_with, b"failing on purpose", name)
                if "/" in name or not name or not target.is_file():
                    return self._send(404, b"not found", name)
                etag, last_modified = server._validators(target)
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                if (server.etags and inm == etag) or (inm is None and ims == last_modified):
                    return self._send(304, b"", name, etag, last_modified)
                self._send(200, target.read_bytes(), name, etag, last_modified)

            def _send(
                self,
                status: int,
                body: bytes,
                name: str,
                etag: str | None = None,
                last_modified: str | None = None,
            ) -> None:
                # Logged before the answer leaves: a client that has its answer finds it logged.
                server.record(name, status, 0 if status == 304 else len(body))
                self.send_response(status)
                if etag and server.etags:
                    self.send_header("ETag", etag)
                if last_modified:
                    self.send_header("Last-Modified", last_modified)
                if status != 304:
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        return Handler

    @contextmanager
    def serve(self) -> Iterator[str]:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        httpd.daemon_threads = True
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}/"
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)


def touch_later(path: Path, seconds: int = 10) -> None:
    """Give a file a new modification time (a new ETag and Last-Modified for the server)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))
