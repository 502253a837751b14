"""The IMDb-API "Top250Movies" format: load it from a path or URL, check it, pick the top N."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from cinelake.ids import is_imdb_id
from cinelake.models import RejectedItem, SourceMovie
from cinelake.sources.fields import imdb_id_of, rank_of, rating_of, votes_of, year_of


class SourceError(Exception):
    """The source list cannot be used; the message is one line meant for the user."""


@dataclass(frozen=True)
class Selection:
    movies: list[SourceMovie]
    rejected: list[RejectedItem]
    available: int
    # Which input files produced the list (dataset sources): recorded in the run's manifest.
    versions: tuple[dict[str, str | int | None], ...] = ()


MAX_SOURCE_BYTES = 64 * 1024 * 1024  # a Top 250 list is ~110 KB; this is room for any real list


def describe(location: str) -> str:
    """A location safe to print: URLs lose credentials, path and query, which may carry a key."""
    parts = urlsplit(location)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{parts.scheme}://{host}/…" if parts.path.strip("/") or parts.query else f"{parts.scheme}://{host}/"
    return location


def _capped(data: bytes, location: str) -> bytes:
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(
            f"source {describe(location)} is larger than {MAX_SOURCE_BYTES // 2**20} MiB"
        )
    return data


def load_source(location: str, *, http: httpx.Client | None = None, s3: Any = None) -> bytes:
    """Bytes of the source list from a local path, an http(s) URL or an s3:// URL."""
    scheme = urlsplit(location).scheme
    if scheme in ("http", "https"):
        client = http or httpx.Client(timeout=30, follow_redirects=True)
        try:
            with client.stream("GET", location) as resp:
                if resp.status_code != 200:
                    raise SourceError(
                        f"source {describe(location)} answered HTTP {resp.status_code}"
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_SOURCE_BYTES:
                        break
                return _capped(b"".join(chunks), location)
        except httpx.HTTPError as exc:
            raise SourceError(
                f"cannot reach source {describe(location)}: {type(exc).__name__}"
            ) from None
        finally:
            if http is None:
                client.close()
    if scheme == "s3":
        parts = urlsplit(location)
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        try:
            body = s3.get_object(Bucket=parts.netloc, Key=parts.path.lstrip("/"))["Body"]
            return _capped(body.read(MAX_SOURCE_BYTES + 1), location)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(f"cannot read source {location}: {type(exc).__name__}") from None
    path = Path(location)
    if not location.strip():
        raise SourceError("source is empty: give a path or an http(s):// or s3:// URL")
    try:
        with path.open("rb") as fh:
            return _capped(fh.read(MAX_SOURCE_BYTES + 1), location)
    except FileNotFoundError:
        raise SourceError(f"source file not found: {location}") from None
    except IsADirectoryError:
        raise SourceError(f"source is a directory, not a file: {location}") from None
    except OSError as exc:
        raise SourceError(f"cannot read source {location}: {exc.strerror}") from None


def parse_items(data: bytes) -> list[dict[str, Any]]:
    """The items of a top list, or a SourceError naming what is wrong with it."""
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"source is not JSON ({exc})") from None
    return items_of(doc)


def items_of(doc: Any) -> list[dict[str, Any]]:
    """The items of a decoded IMDb-API document."""
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise SourceError('source has no "items" list')
    if doc.get("errorMessage"):
        raise SourceError(f"source reports an error: {str(doc['errorMessage'])[:200]}")
    items = doc["items"]
    if not items:
        raise SourceError("source has no items")
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise SourceError(f"source item #{i} is not an object")
    return items


@dataclass(frozen=True)
class Columns:
    """Which keys of a row hold what. The defaults are the IMDb-API "Top250Movies" keys."""

    id: str = "id"
    rank: str = "rank"
    title: str | None = "title"
    year: str | None = "year"
    rating: str | None = "imDbRating"
    votes: str | None = "imDbRatingCount"
    urls: bool = False  # the id column may hold IMDb title URLs


IMDB_API = Columns()


def _rank(item: dict[str, Any], position: int, columns: Columns) -> int:
    rank = rank_of(item.get(columns.rank))
    if isinstance(rank, str):
        label = f"source item #{position} ({columns.id} {str(item.get(columns.id))[:20]!r})"
        raise SourceError(f"{label}: {rank}")
    return rank


def _id(item: dict[str, Any], columns: Columns) -> object:
    raw = item.get(columns.id)
    if columns.urls:
        return imdb_id_of(raw) or raw
    return raw.strip() if isinstance(raw, str) and is_imdb_id(raw.strip()) else raw


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else json.dumps(value)


def select_top(
    items: list[dict[str, Any]], top_n: int, columns: Columns = IMDB_API
) -> Selection:
    """The top N items by rank. Bad ranks and duplicate ids are fatal; bad ids are rejected."""
    if top_n < 1:
        raise SourceError(f"top N must be at least 1 (got {top_n})")
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    first_rank: dict[str, int] = {}
    for position, item in enumerate(items, 1):
        rank = _rank(item, position, columns)
        item_id = _id(item, columns)
        if isinstance(item_id, str):
            if item_id in first_rank:
                raise SourceError(
                    f"duplicate id {item_id[:20]!r} in source (ranks {first_rank[item_id]} and {rank})"
                )
            first_rank[item_id] = rank
        ranked.append((rank, position, item))
    ranked.sort(key=lambda t: (t[0], t[1]))
    movies: list[SourceMovie] = []
    rejected: list[RejectedItem] = []
    for rank, _, item in ranked[:top_n]:
        item_id = _id(item, columns)
        if not is_imdb_id(item_id):
            what = "not an IMDb id or title URL" if columns.urls else "not an IMDb id"
            rejected.append(
                RejectedItem(rank=rank, id=str(item_id)[:40], reason=f"{what} (tt + 7-9 digits)")
            )
            continue
        assert isinstance(item_id, str)
        record = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in item.items()}
        movies.append(SourceMovie(
            imdb_id=item_id, rank=rank,
            title=_text(item.get(columns.title)) if columns.title else "",
            record=record,
            year=year_of(item.get(columns.year)) if columns.year else None,
            rating=rating_of(item.get(columns.rating)) if columns.rating else None,
            votes=votes_of(item.get(columns.votes)) if columns.votes else None,
        ))
    return Selection(movies, rejected, len(items))
