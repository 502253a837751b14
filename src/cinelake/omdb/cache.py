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
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cinelake import layout
from cinelake.objects import ObjectNotFound, ObjectStore

DEFAULT_BASE_URL = "https://www.omdbapi.com/"
# json.dumps(..., sort_keys=True) without building an encoder per key (a plan makes 20,000).
_KEY_JSON = json.JSONEncoder(sort_keys=True)
_STORED_AT_HEAD = re.compile(rb'\{"stored_at": "([0-9T:.+\-]{10,40})"')


def _clean(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(params.items()) if k.lower() != "apikey"}


def cache_key(imdb_id: str, params: dict[str, str], base_url: str = DEFAULT_BASE_URL) -> str:
    keyed = {"base_url": base_url, "params": _clean(params)}
    digest = hashlib.sha256(_KEY_JSON.encode(keyed).encode()).hexdigest()[:16]
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

    # -- the index of when answers were fetched (planning reads it instead of the answers) --

    def record_fetched(self, fetched: dict[str, datetime], now: datetime) -> None:
        """One index part for the answers one invocation just stored (cache key -> stored at);
        the day's first invocation also merges the days before into ``upto-<yesterday>``."""
        if not fetched:
            return
        token = f"{now:%H%M%S%f}-{uuid.uuid4().hex[:12]}"
        body = {key: at.isoformat() for key, at in fetched.items()}
        self.store.put(
            layout.omdb_fetched_part_key(now.date(), token),
            json.dumps(body).encode(),
            "application/json",
        )
        yesterday = now.date() - timedelta(days=1)
        if not self.store.exists(layout.omdb_fetched_upto_key(yesterday)):
            # One existence check per invocation: the merge itself is once a day.
            index = self._read_index(until=yesterday)
            self.store.put(
                layout.omdb_fetched_upto_key(yesterday),
                json.dumps({k: at.isoformat() for k, at in index.items()}).encode(),
                "application/json",
            )

    def stored_ats(
        self,
        wanted: Sequence[tuple[str, dict[str, str]]],
        now: datetime,
        *,
        base_url: str = DEFAULT_BASE_URL,
    ) -> list[datetime | None]:
        """When each wanted answer (IMDb id, parameters) was stored, None where there is none.

        A few are read one by one. Many take the fetched index, so no answer is read; if many
        are not in it, one listing of the cache says which of those exist at all, and only
        those (written before the index existed) are read. An answer the bucket's lifecycle
        deleted may still be in the index: the plan counts it stale, the run makes it pending."""
        if len(wanted) <= FEW:
            return [self.stored_at(i, p, base_url=base_url) for i, p in wanted]
        keys = [cache_key(i, p, base_url) for i, p in wanted]
        index = self._read_index(until=now.date())
        missing = sum(1 for k in keys if k not in index)
        present: set[str] | None = None
        if missing > FEW:
            present = set(self.store.list_keys(layout.OMDB_CACHE_PREFIX))
        out: list[datetime | None] = []
        for (imdb_id, params), key in zip(wanted, keys, strict=True):
            if key in index:
                out.append(index[key])
            elif present is not None and key not in present:
                out.append(None)
            else:
                out.append(self.stored_at(imdb_id, params, base_url=base_url))
        return out

    def _read_index(self, *, until: date) -> dict[str, datetime]:
        """The newest merged object up to ``until``, and every part after its day up to
        ``until`` (the newest stored time wins)."""
        merged = [
            (day, key)
            for key in self.store.list_keys(layout.OMDB_FETCHED_MERGED)
            if (day := layout.parse_omdb_fetched_upto(key)) is not None and day <= until
        ]
        index: dict[str, datetime] = {}
        since = date.min
        if merged:
            since, newest = max(merged)
            index = _read_entries(self.store, newest)
        for name in self.store.list_folders(layout.OMDB_FETCHED_PARTS):
            day = layout.parse_day(name)
            if day is None or not since < day <= until:
                continue
            for key in self.store.list_keys(layout.omdb_fetched_day_prefix(day)):
                for k, at in _read_entries(self.store, key).items():
                    if k not in index or at > index[k]:
                        index[k] = at
        return index


FEW = 64
"""Up to this many answers, reading each is cheaper than listing a big cache."""


def _read_entries(store: ObjectStore, key: str) -> dict[str, datetime]:
    """An index object's entries; an unreadable one counts as empty (its answers are then
    read one by one, nothing is lost)."""
    try:
        raw = json.loads(store.get(key))
        return {str(k): datetime.fromisoformat(v) for k, v in raw.items()}
    except (ObjectNotFound, ValueError, TypeError, AttributeError):
        return {}
