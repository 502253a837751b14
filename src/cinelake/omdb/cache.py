"""A response cache in the lake, keyed by IMDb id and request parameters, with a TTL.

Re-runs, resumes and rebuilds spend no quota on answers already fetched. The key is never a
parameter here, so it never reaches the cache.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from cinelake.adapters.storage import ObjectNotFound, ObjectStore
from cinelake.ids import require_imdb_id

PREFIX = "_cache/omdb/v1/"


def cache_key(imdb_id: str, params: dict[str, str]) -> str:
    clean = {k: v for k, v in sorted(params.items()) if k.lower() != "apikey"}
    digest = hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()[:16]
    return f"{PREFIX}{require_imdb_id(imdb_id)}/{digest}.json"


class ResponseCache:
    def __init__(self, store: ObjectStore, ttl: timedelta) -> None:
        self.store = store
        self.ttl = ttl

    def get(self, imdb_id: str, params: dict[str, str], now: datetime) -> dict[str, Any] | None:
        if self.ttl.total_seconds() <= 0:
            return None
        try:
            entry: dict[str, Any] = json.loads(self.store.get(cache_key(imdb_id, params)))
        except (ObjectNotFound, json.JSONDecodeError):
            return None
        stored = datetime.fromisoformat(entry["stored_at"])
        return entry if now - stored <= self.ttl else None

    def put(
        self, imdb_id: str, params: dict[str, str], *, kind: str, body: dict[str, Any],
        http_status: int, now: datetime,
    ) -> None:
        entry = {
            "stored_at": now.isoformat(),
            "params": {k: v for k, v in params.items() if k.lower() != "apikey"},
            "kind": kind,
            "http_status": http_status,
            "body": body,
        }
        self.store.put(
            cache_key(imdb_id, params), json.dumps(entry, ensure_ascii=False).encode(),
            "application/json",
        )
