"""The IMDb-API "Top250Movies" format: load it from a path or URL, check it, pick the top N."""

from __future__ import annotations

import asyncio
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
SOURCE_DEADLINE_S = 120.0  # the whole download, however the server paces it
READ_TIMEOUT_S = 30.0  # each connect / read, within the deadline


def describe(location: str) -> str:
    """A location safe to print: URLs lose credentials, path and query, which may carry a key."""
    parts = urlsplit(location)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return (
            f"{parts.scheme}://{host}/…"
            if parts.path.strip("/") or parts.query
            else f"{parts.scheme}://{host}/"
        )
    return location


def _too_large(location: str, max_bytes: int) -> SourceError:
    size = f"{max_bytes // 2**20} MiB" if max_bytes >= 2**20 else f"{max_bytes} bytes"
    return SourceError(f"source {describe(location)} is larger than {size} (source_max_bytes)")


def _capped(data: bytes, location: str, max_bytes: int | None = None) -> bytes:
    cap = MAX_SOURCE_BYTES if max_bytes is None else max_bytes
    if len(data) > cap:
        raise _too_large(location, cap)
    return data


async def _download(
    location: str, max_bytes: int, deadline_s: float, transport: httpx.AsyncBaseTransport | None
) -> bytes:
    """The body, read as a stream: at most ``max_bytes``, within ``deadline_s`` in all."""
    async with (
        httpx.AsyncClient(
            timeout=min(READ_TIMEOUT_S, deadline_s), follow_redirects=True, transport=transport
        ) as client,
        asyncio.timeout(deadline_s),
        client.stream("GET", location) as resp,
    ):
        if resp.status_code != 200:
            raise SourceError(f"source {describe(location)} answered HTTP {resp.status_code}")
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(location, max_bytes)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(location, max_bytes)
            chunks.append(chunk)
        return b"".join(chunks)


def load_source(
    location: str,
    *,
    s3: Any = None,
    transport: httpx.AsyncBaseTransport | None = None,
    max_bytes: int | None = None,
    deadline_s: float | None = None,
) -> bytes:
    """Bytes of the source list from a local path, an http(s) URL or an s3:// URL.

    At most ``max_bytes`` (default ``MAX_SOURCE_BYTES``) are read; an http(s) download that
    has not ended ``deadline_s`` after it started (default ``SOURCE_DEADLINE_S``) fails, however
    the server paces its bytes.
    """
    cap = MAX_SOURCE_BYTES if max_bytes is None else max_bytes
    deadline = SOURCE_DEADLINE_S if deadline_s is None else deadline_s
    scheme = urlsplit(location).scheme
    if scheme in ("http", "https"):
        try:
            return asyncio.run(_download(location, cap, deadline, transport))
        except TimeoutError:
            raise SourceError(
                f"source {describe(location)} did not arrive within {deadline:g} s "
                "(source_deadline_s)"
            ) from None
        except httpx.HTTPError as exc:
            raise SourceError(
                f"cannot reach source {describe(location)}: {type(exc).__name__}"
            ) from None
    if scheme == "s3":
        parts = urlsplit(location)
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        try:
            body = s3.get_object(Bucket=parts.netloc, Key=parts.path.lstrip("/"))["Body"]
            return _capped(body.read(cap + 1), location, cap)
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(f"cannot read source {location}: {type(exc).__name__}") from None
    path = Path(location)
    if not location.strip():
        raise SourceError("source is empty: give a path or an http(s):// or s3:// URL")
    try:
        with path.open("rb") as fh:
            return _capped(fh.read(cap + 1), location, cap)
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


def select_top(items: list[dict[str, Any]], top_n: int, columns: Columns = IMDB_API) -> Selection:
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
        movies.append(
            SourceMovie(
                imdb_id=item_id,
                rank=rank,
                title=_text(item.get(columns.title)) if columns.title else "",
                record=record,
                year=year_of(item.get(columns.year)) if columns.year else None,
                rating=rating_of(item.get(columns.rating)) if columns.rating else None,
                votes=votes_of(item.get(columns.votes)) if columns.votes else None,
            )
        )
    return Selection(movies, rejected, len(items))
