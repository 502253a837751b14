"""Today's top N movies computed from IMDb's non-commercial datasets.

Two gzipped TSV files, refreshed daily at https://datasets.imdbws.com/:
``title.ratings.tsv.gz`` (~1.6 M rows: tconst, averageRating, numVotes) and
``title.basics.tsv.gz`` (~12 M titles, ~1 GB uncompressed: type, title, year, genres, ...).

The list: eligible titles are ``titleType = movie``, ``isAdult = 0`` and ``numVotes >= m``;
C is the mean ``averageRating`` of the eligible set; WR = v/(v+m)·R + m/(v+m)·C; ordered by
WR desc, numVotes desc, tconst asc. ``--genre`` and ``--year-from``/``--year-to`` then keep
the matching movies: a movie's WR does not depend on the filters, so a filtered list is the
unfiltered one with the other movies left out.

The files' traps: no quoting at all (titles contain ``"`` and ``'``), ``\\N`` for null in every
column, non-ASCII titles, millions of rows. They are read by DuckDB with quoting and escaping
off, ``\\N`` as null and every column as text, then cast where a number is needed.

What is downloaded when:

* The ratings decide the list, so they are checked every run, conditionally (ETag /
  If-Modified-Since): an unchanged file costs one request and no bytes. The last good copy
  is kept in the cache.
* The basics are only needed for the few tens of thousands of titles with enough votes. A
  compact copy of them (Parquet: every title with at least m/5 votes when it was built, of
  any type, with its type, adult flag, title, year and genres) is kept in the cache and
  reused while it can answer: the basics file is not even asked for unless a title has
  reached m votes that the copy does not know, the copy is older than a week, or a run asks
  for a smaller m than the copy covers. Then it is asked for conditionally, and rebuilt only
  when it really changed.
* Nothing is written to the cache before the list is computed: a bad download (truncated
  gzip, missing column, no eligible movie) leaves the previous good copies as they were.

The cache is a folder of the lake's state area locally and a prefix of the bronze bucket on
AWS (any :class:`~cinelake.adapters.storage.ObjectStore`).
"""

from __future__ import annotations

import gzip
import json
import tempfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import duckdb
import httpx

from cinelake.clock import Clock
from cinelake.ids import is_imdb_id
from cinelake.models import RejectedItem, SourceMovie
from cinelake.objects import ObjectNotFound, ObjectStore
from cinelake.sources.top_list import Selection, SourceError, describe

BASICS = "title.basics.tsv.gz"
RATINGS = "title.ratings.tsv.gz"
DEFAULT_URL = "https://datasets.imdbws.com/"
DEFAULT_MIN_VOTES = 25_000
BASICS_COLUMNS = ("tconst", "titleType", "primaryTitle", "isAdult", "startYear", "genres")
RATINGS_COLUMNS = ("tconst", "averageRating", "numVotes")

COMPACT = "basics-compact.parquet"
COMPACT_META = "basics-compact.json"
RATINGS_META = "title.ratings.json"
COMPACT_MAX_AGE = timedelta(days=7)
FLOOR_DIVISOR = 5  # the compact copy keeps titles with >= m/5 votes: room to grow into m
MAX_DOWNLOAD_BYTES = 4 * 2**30
DUCKDB_MEMORY = "700MB"

Fetch = Literal["downloaded", "not modified", "not requested", "local file"]


@dataclass(frozen=True)
class DatasetOptions:
    url: str = DEFAULT_URL
    min_votes: int = DEFAULT_MIN_VOTES
    genre: str | None = None
    year_from: int | None = None
    year_to: int | None = None

    def label(self) -> str:
        parts = [
            describe(self.url) if _is_http(self.url) else self.url,
            f"min votes {self.min_votes:,}",
        ]
        if self.genre:
            parts.append(f"genre {self.genre}")
        if self.year_from is not None or self.year_to is not None:
            parts.append(f"years {self.year_from or '…'}–{self.year_to or '…'}")
        return f"imdb-datasets ({'; '.join(parts)})"


@dataclass
class Version:
    """One input file as it was used: recorded in the run's manifest (bronze)."""

    file: str
    fetch: Fetch
    date: str | None = None  # Last-Modified (or the local file's mtime), ISO 8601
    etag: str | None = None
    size: int | None = None
    last_modified: str | None = None  # the raw header, for If-Modified-Since
    note: str | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        out: dict[str, str | int | None] = {
            "file": self.file,
            "fetch": self.fetch,
            "date": self.date,
            "etag": self.etag,
            "size": self.size,
        }
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Version:
        return cls(
            file=str(d.get("file", "")),
            fetch=d.get("fetch", "downloaded"),
            date=d.get("date"),
            etag=d.get("etag"),
            size=d.get("size"),
            last_modified=d.get("last_modified"),
            note=d.get("note"),
        )

    def validators(self) -> dict[str, str | int | None]:
        return {
            "file": self.file,
            "date": self.date,
            "etag": self.etag,
            "size": self.size,
            "last_modified": self.last_modified,
        }


def _is_http(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _http_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError):
        return None


# -- the cache ------------------------------------------------------------------------------


@dataclass
class DatasetCache:
    """Named files and JSON notes under a prefix of an object store."""

    store: ObjectStore
    prefix: str = ""

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def get_json(self, name: str) -> dict[str, Any] | None:
        try:
            doc = json.loads(self.store.get(self.key(name)))
        except (ObjectNotFound, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def put_json(self, name: str, doc: dict[str, Any]) -> None:
        self.store.put(self.key(name), json.dumps(doc).encode(), "application/json")

    def file(self, name: str, work: Path) -> Path | None:
        """A local file with the object's bytes (the object itself for a local store)."""
        local = self.store.local_path(self.key(name))
        if local is not None:
            return local if local.is_file() else None
        try:
            data = self.store.get(self.key(name))
        except ObjectNotFound:
            return None
        target = work / f"cached-{name}"
        target.write_bytes(data)
        return target

    def put_file(self, name: str, path: Path) -> None:
        self.store.put(self.key(name), path.read_bytes())


# -- fetching -------------------------------------------------------------------------------


def _download(
    client: httpx.Client, base: str, name: str, dest: Path, known: Version | None
) -> Version:
    """GET base/name into dest; conditional when `known` has validators. A 304 returns `known`."""
    url = base.rstrip("/") + "/" + name
    headers = {"Accept-Encoding": "identity"}
    if known is not None and known.etag:
        headers["If-None-Match"] = known.etag
    if known is not None and known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    where = describe(base)
    try:
        with client.stream("GET", url, headers=headers) as resp:
            if resp.status_code == 304 and known is not None:
                return Version(**{**known.__dict__, "fetch": "not modified"})
            if resp.status_code != 200:
                raise SourceError(f"{name}: HTTP {resp.status_code} from {where}")
            expected = resp.headers.get("content-length")
            size = 0
            with dest.open("wb") as fh:
                for chunk in resp.iter_raw():
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise SourceError(f"{name}: larger than {MAX_DOWNLOAD_BYTES // 2**30} GiB")
                    fh.write(chunk)
            if expected is not None and expected.isdigit() and int(expected) != size:
                raise SourceError(
                    f"{name}: download ended after {size:,} of {int(expected):,} bytes"
                )
            last_modified = resp.headers.get("last-modified")
            return Version(
                file=name,
                fetch="downloaded",
                date=_http_date(last_modified),
                etag=resp.headers.get("etag"),
                size=size,
                last_modified=last_modified,
            )
    except httpx.HTTPError as exc:
        raise SourceError(f"{name}: cannot reach {where} ({type(exc).__name__})") from None
    except OSError as exc:
        raise SourceError(f"{name}: cannot store the download ({exc.strerror})") from None


def _local_version(path: Path, name: str) -> Version:
    from datetime import UTC

    try:
        st = path.stat()
    except FileNotFoundError:
        raise SourceError(f"{name}: not found in {path.parent}") from None
    if not path.is_file():
        raise SourceError(f"{name}: {path} is not a file")
    mtime = datetime.fromtimestamp(st.st_mtime, UTC)
    return Version(
        file=name,
        fetch="local file",
        date=mtime.isoformat(),
        size=st.st_size,
        etag=f"mtime-ns:{st.st_mtime_ns}",
    )


# -- reading --------------------------------------------------------------------------------


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def header_of(path: Path, name: str) -> list[str]:
    """The column names of a dataset file (its first line), or a SourceError naming the file."""
    try:
        with gzip.open(path, "rb") as fh:
            line = fh.readline(1 << 16)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise SourceError(f"{name}: cannot read it (not a gzip file: {exc})") from None
    except OSError as exc:
        raise SourceError(
            f"{name}: cannot read it ({exc.strerror or type(exc).__name__})"
        ) from None
    if not line.endswith(b"\n"):
        raise SourceError(f"{name}: cannot read it (no header line)")
    return line.decode("utf-8", "replace").rstrip("\r\n").split("\t")


def tsv(path: Path) -> str:
    """DuckDB's reader for one IMDb dataset file: tabs, no quoting, \\N null, all text.

    (Giving the columns instead of letting DuckDB read the header costs twice the memory and
    time in DuckDB 2.0: it then materialises every column; so the header is checked apart.)"""
    return (
        f"read_csv({_sql_str(str(path))}, delim='\\t', quote='', escape='', header=true, "
        "nullstr='\\N', all_varchar=true, compression='gzip', strict_mode=true)"
    )


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


@contextmanager
def _reading(name: str, work: Path) -> Iterator[None]:
    """DuckDB errors about a file become one line naming it (the temp folder left out)."""
    try:
        yield
    except duckdb.Error as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        first = first.replace(str(work) + "/", "")
        raise SourceError(f"{name}: cannot read it ({first[:300]})") from None


def checked_reader(path: Path, name: str, wanted: tuple[str, ...]) -> str:
    """`tsv(path)` once the header has every wanted column."""
    found = header_of(path, name)
    missing = [c for c in wanted if c not in found]
    if missing:
        raise SourceError(
            f"{name}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(it has {', '.join(found[:12])[:200]})"
        )
    if len(set(found)) != len(found):
        raise SourceError(f"{name}: a column name repeats in its header")
    return tsv(path)


def load_ratings(con: duckdb.DuckDBPyConnection, path: Path, floor: int, work: Path) -> int:
    """Table `ratings(tconst, rating, votes)` of the titles with at least `floor` votes.

    Every row's vote count is cast (a malformed one fails the file); the kept rows must have
    a 0-10 rating and appear once. Returns how many were kept."""
    reader = checked_reader(path, RATINGS, RATINGS_COLUMNS)
    with _reading(RATINGS, work):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE ratings AS SELECT tconst, "
            "CAST(averageRating AS DOUBLE) AS rating, CAST(numVotes AS BIGINT) AS votes "
            f"FROM {reader} WHERE CAST(numVotes AS BIGINT) >= {int(floor)}"
        )
        row = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE rating IS NULL OR rating < 0 OR rating > 10 "
            "OR tconst IS NULL), count(DISTINCT tconst) FROM ratings"
        ).fetchone()
    assert row is not None
    if row[1]:
        raise SourceError(f"{RATINGS}: {row[1]:,} rows without a tconst or a 0-10 rating")
    if row[2] != row[0]:
        raise SourceError(f"{RATINGS}: {row[0] - row[2]:,} titles are rated more than once")
    return int(row[0])


def build_compact(
    con: duckdb.DuckDBPyConnection, basics: Path, floor: int, target: Path, work: Path
) -> int:
    """The compact copy: every title with >= floor votes, its basics (null when basics lacks it)."""
    reader = checked_reader(basics, BASICS, BASICS_COLUMNS)
    with _reading(BASICS, work):
        # One pass over the big file, keeping only the rows of titles with enough votes.
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE basics_kept AS
            SELECT tconst, titleType, isAdult, primaryTitle,
                   TRY_CAST(startYear AS INTEGER) AS startYear, genres
            FROM {reader} b
            SEMI JOIN (SELECT tconst FROM ratings WHERE votes >= {int(floor)}) r USING (tconst)
            """
        )
        con.execute(
            f"""
            COPY (
                SELECT r.tconst, b.titleType, b.isAdult, b.primaryTitle, b.startYear, b.genres
                FROM (SELECT tconst FROM ratings WHERE votes >= {int(floor)}) r
                LEFT JOIN basics_kept b USING (tconst)
                ORDER BY r.tconst
            ) TO {_sql_str(str(target))} (FORMAT parquet, COMPRESSION zstd)
            """
        )
        row = con.execute(
            f"SELECT count(*), count(DISTINCT tconst) FROM read_parquet({_sql_str(str(target))})"
        ).fetchone()
    assert row is not None
    if row[0] != row[1]:
        raise SourceError(f"{BASICS}: {row[0] - row[1]:,} titles appear more than once")
    return int(row[0])


def missing_candidates(con: duckdb.DuckDBPyConnection, compact: Path, min_votes: int) -> int:
    """Titles with >= min_votes that the compact copy does not know."""
    row = con.execute(
        f"SELECT count(*) FROM ratings r ANTI JOIN read_parquet({_sql_str(str(compact))}) c "
        f"USING (tconst) WHERE r.votes >= {int(min_votes)}"
    ).fetchone()
    assert row is not None
    return int(row[0])


@dataclass(frozen=True)
class Ranked:
    tconst: str
    title: str | None
    year: int | None
    genres: str | None
    rating: float
    votes: int
    wr: float


def top_movies(
    con: duckdb.DuckDBPyConnection, compact: Path, options: DatasetOptions, top_n: int
) -> tuple[list[Ranked], int, float | None]:
    """The top N by weighted rating, the number of movies the filters keep, and C."""
    m = int(options.min_votes)
    filters = ["TRUE"]
    params: list[Any] = []
    if options.genre:
        filters.append("list_contains(string_split(lower(genres), ','), lower(trim(?)))")
        params.append(options.genre)
    if options.year_from is not None:
        filters.append(f"startYear >= {int(options.year_from)}")
    if options.year_to is not None:
        filters.append(f"startYear <= {int(options.year_to)}")
    rows = con.execute(
        f"""
        WITH eligible AS (
            SELECT r.tconst, r.rating, r.votes, c.primaryTitle, c.startYear, c.genres
            FROM ratings r JOIN read_parquet({_sql_str(str(compact))}) c USING (tconst)
            WHERE c.titleType = 'movie' AND c.isAdult = '0' AND r.votes >= {m}
        ),
        stats AS (SELECT avg(rating) AS c FROM eligible),
        scored AS (
            SELECT e.*, s.c,
                   CAST(e.votes AS DOUBLE) / (e.votes + {m}) * e.rating
                   + CAST({m} AS DOUBLE) / (e.votes + {m}) * s.c AS wr
            FROM eligible e, stats s
        ),
        kept AS (SELECT * FROM scored WHERE {" AND ".join(filters)})
        SELECT tconst, primaryTitle, startYear, genres, rating, votes, wr, c,
               count(*) OVER () AS kept
        FROM kept
        ORDER BY wr DESC, votes DESC, tconst ASC
        LIMIT {int(top_n)}
        """,
        params,
    ).fetchall()
    if not rows:
        return [], 0, None
    ranked = [Ranked(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]
    return ranked, int(rows[0][8]), float(rows[0][7])


# -- the source -----------------------------------------------------------------------------


Plan = Literal["reuse", "revalidate", "rebuild"]

# The last list computed in this process, keyed by everything it depends on.
_MEMO: dict[tuple[Any, ...], tuple[Selection, Version]] = {}
_MEMO_LOCK = threading.Lock()


def basics_plan(
    meta: dict[str, Any] | None, min_votes: int, now: datetime, missing: int | None
) -> Plan:
    """What to do about the basics, given the compact copy's note.

    rebuild: no usable copy (none, or built for a larger m than asked); revalidate: ask for
    the file conditionally (a title reached m votes the copy does not know, or the copy is
    older than COMPACT_MAX_AGE); reuse: do not ask at all.
    """
    if meta is None or int(meta.get("floor", 1 << 62)) > min_votes:
        return "rebuild"
    try:
        checked = datetime.fromisoformat(str(meta.get("checked_at")))
    except ValueError:
        return "revalidate"
    if missing or now - checked > COMPACT_MAX_AGE or now < checked:
        return "revalidate"
    return "reuse"


@dataclass
class ImdbDatasetsSource:
    """The `imdb-datasets` source: one method, `select(top_n)`."""

    options: DatasetOptions
    cache: DatasetCache
    clock: Clock
    http: httpx.Client | None = None
    versions: list[Version] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.options.label()

    def select(self, top_n: int) -> Selection:
        if top_n < 1:
            raise SourceError(f"top N must be at least 1 (got {top_n})")
        if self.options.min_votes < 1:
            raise SourceError(f"--min-votes must be at least 1 (got {self.options.min_votes})")
        base = self.options.url
        local_dir: Path | None = None
        if not _is_http(base):
            local_dir = Path(base)
            if not local_dir.is_dir():
                raise SourceError(
                    f"--imdb-datasets-url {base[:200]}: neither an http(s):// URL nor a directory"
                )
        client = self.http or httpx.Client(
            timeout=httpx.Timeout(120, connect=20), follow_redirects=True
        )
        try:
            with tempfile.TemporaryDirectory(prefix="cinelake-imdb-") as tmp:
                return self._select(top_n, Path(tmp), local_dir, client)
        finally:
            if self.http is None:
                client.close()

    def _fetch_ratings(
        self, work: Path, local_dir: Path | None, client: httpx.Client
    ) -> tuple[Path, Version]:
        if local_dir is not None:
            path = local_dir / RATINGS
            return path, _local_version(path, RATINGS)
        meta = self.cache.get_json(RATINGS_META)
        cached = self.cache.file(RATINGS, work) if meta else None
        known = Version.from_dict(meta) if meta and cached else None
        dest = work / RATINGS
        version = _download(client, base=self.options.url, name=RATINGS, dest=dest, known=known)
        if version.fetch == "not modified":
            assert cached is not None
            return cached, version
        return dest, version

    def _select(
        self, top_n: int, work: Path, local_dir: Path | None, client: httpx.Client
    ) -> Selection:
        now = self.clock.now()
        m = self.options.min_votes
        ratings_path, ratings_v = self._fetch_ratings(work, local_dir, client)
        remembered = self._remembered(top_n, ratings_v, local_dir, now)
        if remembered is not None:
            return remembered
        con = _connect()
        try:
            con.execute(f"SET temp_directory = {_sql_str(str(work / 'spill'))}")
            load_ratings(con, ratings_path, max(1, m // FLOOR_DIVISOR), work)
            meta = self.cache.get_json(COMPACT_META)
            compact = self.cache.file(COMPACT, work) if meta else None
            if compact is None:
                meta = None
            missing = missing_candidates(con, compact, m) if compact is not None else None
            plan = basics_plan(meta, m, now, missing)
            known = Version.from_dict(meta["basics"]) if meta and "basics" in meta else None
            basics_v: Version
            rebuilt = False
            if local_dir is not None:
                basics_path = local_dir / BASICS
                current = _local_version(basics_path, BASICS)
                if (
                    plan == "rebuild"
                    or known is None
                    or known.etag != current.etag
                    or known.size != current.size
                ):
                    plan = "rebuild"
                else:
                    plan = "reuse"
                basics_v = current
            elif plan == "reuse":
                assert known is not None
                basics_v = Version(**{**known.__dict__, "fetch": "not requested"})
            else:
                basics_path = work / BASICS
                basics_v = _download(
                    client,
                    self.options.url,
                    BASICS,
                    basics_path,
                    known if plan == "revalidate" else None,
                )
                plan = "reuse" if basics_v.fetch == "not modified" else "rebuild"
            if plan == "rebuild":
                compact = work / COMPACT
                floor = max(1, m // FLOOR_DIVISOR)
                rows = build_compact(con, basics_path, floor, compact, work)
                meta = {
                    "floor": floor,
                    "rows": rows,
                    "built_at": now.isoformat(),
                    "basics": {**basics_v.validators()},
                }
                rebuilt = True
            assert compact is not None and meta is not None
            if basics_v.fetch == "not requested":
                basics_v.note = f"compact copy built {str(meta.get('built_at'))[:10]}"
            ranked, kept, c = top_movies(con, compact, self.options, top_n)
        finally:
            con.close()
        if not ranked:
            raise SourceError(self._nothing_eligible())
        movies, rejected = _records(ranked, m, c)
        self.versions = [ratings_v, basics_v]
        # Only now, with a good list, do the cache copies change.
        committed = self._commit(ratings_path, ratings_v, compact if rebuilt else None, meta, now)
        selection = Selection(
            movies, rejected, kept, versions=tuple(v.as_dict() for v in self.versions)
        )
        key = self._memo_key(top_n, ratings_v, committed, local_dir)
        with _MEMO_LOCK:
            _MEMO.clear()
            if key is not None:
                _MEMO[key] = (selection, basics_v)
        return selection

    def _memo_key(
        self, top_n: int, ratings_v: Version, meta: dict[str, Any] | None, local_dir: Path | None
    ) -> tuple[Any, ...] | None:
        if meta is None:
            return None
        basics: tuple[str | None, int | None] | None = None
        if local_dir is not None:
            try:
                current = _local_version(local_dir / BASICS, BASICS)
            except SourceError:
                return None
            basics = (current.etag, current.size)
        return (
            self.options,
            top_n,
            self.cache.store.uri(self.cache.key(COMPACT_META)),
            ratings_v.etag,
            ratings_v.size,
            ratings_v.date,
            json.dumps(meta, sort_keys=True),
            basics,
        )

    def _remembered(
        self, top_n: int, ratings_v: Version, local_dir: Path | None, now: datetime
    ) -> Selection | None:
        """The list this process last computed, when the same files and cache would give it
        again (`cinelake run` checks the source before the run, and the run's ingest reads it
        again a moment later: the second time costs the ratings' conditional request only)."""
        meta = self.cache.get_json(COMPACT_META)
        if meta is None or (
            local_dir is None and basics_plan(meta, self.options.min_votes, now, 0) != "reuse"
        ):
            return None
        key = self._memo_key(top_n, ratings_v, meta, local_dir)
        with _MEMO_LOCK:
            hit = _MEMO.get(key) if key is not None else None
        if hit is None:
            return None
        selection, basics_v = hit
        basics_v = Version(
            **{
                **basics_v.__dict__,
                "fetch": "local file" if local_dir else "not requested",
                "note": f"compact copy built {str(meta.get('built_at'))[:10]}; "
                "the list this process computed from the same files",
            }
        )
        self.versions = [ratings_v, basics_v]
        return Selection(
            selection.movies,
            selection.rejected,
            selection.available,
            versions=tuple(v.as_dict() for v in self.versions),
        )

    def _nothing_eligible(self) -> str:
        o = self.options
        filters = []
        if o.genre:
            filters.append(f"genre {o.genre!r}")
        if o.year_from is not None or o.year_to is not None:
            filters.append(f"years {o.year_from or '…'}–{o.year_to or '…'}")
        extra = f" matching {' and '.join(filters)}" if filters else ""
        return (
            f"{RATINGS} + {BASICS}: no eligible movie (titleType movie, not adult, at least "
            f"{o.min_votes:,} votes){extra}; lower --min-votes or widen the filters"
        )

    def _commit(
        self,
        ratings_path: Path,
        ratings_v: Version,
        compact: Path | None,
        meta: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        committed = {**meta, "checked_at": now.isoformat()}
        try:
            if ratings_v.fetch == "downloaded":
                self.cache.put_file(RATINGS, ratings_path)
                self.cache.put_json(RATINGS_META, ratings_v.validators())
            if compact is not None:
                self.cache.put_file(COMPACT, compact)
            self.cache.put_json(COMPACT_META, committed)
        except OSError as exc:
            raise SourceError(f"cannot write the dataset cache ({exc.strerror})") from None
        return committed


def _records(
    ranked: list[Ranked], m: int, c: float | None
) -> tuple[list[SourceMovie], list[RejectedItem]]:
    movies: list[SourceMovie] = []
    rejected: list[RejectedItem] = []
    for rank, r in enumerate(ranked, 1):
        if not is_imdb_id(r.tconst):
            rejected.append(
                RejectedItem(rank=rank, id=r.tconst[:40], reason="not an IMDb id (tt + 7-9 digits)")
            )
            continue
        record = {
            "tconst": r.tconst,
            "rank": str(rank),
            "primaryTitle": r.title or "",
            "startYear": "" if r.year is None else str(r.year),
            "genres": r.genres or "",
            "averageRating": repr(r.rating),
            "numVotes": str(r.votes),
            "weightedRating": f"{r.wr:.6f}",
            "minVotes": str(m),
            "meanRating": "" if c is None else f"{c:.6f}",
        }
        movies.append(
            SourceMovie(
                imdb_id=r.tconst,
                rank=rank,
                title=r.title or "",
                record=record,
                year=r.year,
                rating=r.rating,
                votes=r.votes,
            )
        )
    return movies, rejected
