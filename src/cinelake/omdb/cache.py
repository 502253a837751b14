"""A response cache in the lake, keyed by OMDb base URL, IMDb id and request parameters, with a TTL.

Re-runs, resumes and rebuilds spend no quota on answers already fetched. The base URL is part
of the key, so answers from one OMDb (the real one, a mirror, the bundled offline sample) are
never served as another's. The key is never a parameter here, so it never reaches the cache.
Each entry records the URL it was fetched from (without the key): that is what bronze states
for a cache hit. Entries written before that was recorded count as misses.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cinelake import layout
from cinelake.objects import ObjectNotFound, ObjectStore

DEFAULT_BASE_URL = "https://www.omdbapi.com/"
_STORED_AT_HEAD = re.compile(rb'\{"stored_at": "([0-9T:.+\-]{10,40})"')


def _clean(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(params.items()) if k.lower() != "apikey"}


def cache_key(imdb_id: str, params: dict[str, str], base_url: str = DEFAULT_BASE_URL) -> str:
    keyed = {"base_url": base_url, "params": _clean(params)}
    digest = hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:16]
    return layout.omdb_cache_key(imdb_id, digest)


class ResponseCache:
    def __init__(self, store: ObjectStore, ttl: timedelta) -> None:
        self.store = store
        self.ttl = ttl

    def get(
        self,
        imdb_id: str,
        params: dict[str, str],
        now: datetime,
        *,
        base_url: str = DEFAULT_BASE_URL,
    ) -> dict[str, Any] | None:
        if self.ttl.total_seconds() <= 0:
            return None
        try:
            entry: dict[str, Any] = json.loads(self.store.get(cache_key(imdb_id, params, base_url)))
        except (ObjectNotFound, json.JSONDecodeError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("request_url"), str):
            return None  # written before entries said where they came from: fetch again
        stored = datetime.fromisoformat(entry["stored_at"])
        return entry if now - stored <= self.ttl else None

    def put(
        self,
        imdb_id: str,
        params: dict[str, str],
        *,
        kind: str,
        body: dict[str, Any],
        http_status: int,
        now: datetime,
        base_url: str = DEFAULT_BASE_URL,
        request_url: str | None = None,
    ) -> None:
        """`request_url` is where the answer came from, without the key (by default the base
        URL with these parameters)."""
        clean = {k: v for k, v in params.items() if k.lower() != "apikey"}
        entry = {
            "stored_at": now.isoformat(),
            "base_url": base_url,
            "request_url": request_url or f"{base_url}?{urlencode(clean)}",
            "params": clean,
            "kind": kind,
            "http_status": http_status,
            "body": body,
        }
        self.store.put(
            cache_key(imdb_id, params, base_url),
            json.dumps(entry, ensure_ascii=False).encode(),
            "application/json",
        )

    def newest(
        self, imdb_id: str, params: dict[str, str], *, base_url: str = DEFAULT_BASE_URL
    ) -> dict[str, Any] | None:
        """The stored answer whatever its age (a stale answer beats none), or None."""
        try:
            entry: dict[str, Any] = json.loads(self.store.get(cache_key(imdb_id, params, base_url)))
        except (ObjectNotFound, json.JSONDecodeError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("request_url"), str):
            return None
        try:
            datetime.fromisoformat(entry["stored_at"])
        except (KeyError, TypeError, ValueError):
            return None
        return entry

    def stored_at(
        self, imdb_id: str, params: dict[str, str], *, base_url: str = DEFAULT_BASE_URL
    ) -> datetime | None:
        """When the stored answer was fetched (None: no usable answer). Reads only the head
        of the entry when it starts with ``stored_at`` (as :meth:`put` writes it): planning a
        20,000-movie run reads this for every movie."""
        try:
            raw = self.store.get(cache_key(imdb_id, params, base_url))
        except ObjectNotFound:
            return None
        head = _STORED_AT_HEAD.match(raw)
        if head is not None and b'"request_url"' in raw:
            try:
                return datetime.fromisoformat(head.group(1).decode())
            except ValueError:
                return None
        entry = self.newest(imdb_id, params, base_url=base_url)
        return None if entry is None else datetime.fromisoformat(entry["stored_at"])
