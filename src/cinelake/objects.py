"""The object store port: what the lake's code asks of a bucket (local folder or S3, see
:mod:`cinelake.adapters.storage`), and the helpers written against it alone."""

from __future__ import annotations

import builtins
import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol


class ObjectNotFound(KeyError):
    """The key does not exist in the bucket."""


class UnsafeKey(ValueError):
    """A key that could escape its bucket folder."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    last_modified: datetime


# Called after an object is written, the way S3 raises ObjectCreated:Put.
CreatedListener = Callable[[str, str, int], None]


class ObjectStore(Protocol):
    bucket: str

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None: ...

    def put_new(self, key: str, data: bytes, content_type: str | None = None) -> bool:
        """Create the object only if the key is free (atomically: of writers racing for one key,
        exactly one gets True); False if it exists."""

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]: ...

    def list_keys(self, prefix: str = "") -> builtins.list[str]: ...

    def list_folders(self, prefix: str) -> builtins.list[str]:
        """Names of the 'folders' directly under prefix (which ends with '/'): one level only."""

    def delete(self, key: str) -> None: ...

    def uri(self, key: str) -> str: ...

    def local_path(self, key: str) -> Path | None:
        """The file behind the key when the store is a local folder, else None."""


def check_key(key: str) -> str:
    """Keys are built by our code from validated parts; refuse anything path-like anyway."""
    parts = key.split("/")
    if (
        not key
        or key.startswith("/")
        or "\\" in key
        or "\x00" in key
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise UnsafeKey(f"unsafe object key: {key[:80]!r}")
    return key


@contextlib.contextmanager
def local_copies(store: ObjectStore, keys: list[str], workers: int = 16) -> Iterator[list[Path]]:
    """Local files for a set of objects: the files themselves for a folder, parallel downloads for S3.

    Each S3 GET costs tens of milliseconds, so many small objects are fetched concurrently.
    """
    paths = [store.local_path(k) for k in keys]
    if all(p is not None for p in paths):
        yield [p for p in paths if p is not None]
        return
    from concurrent.futures import ThreadPoolExecutor

    with tempfile.TemporaryDirectory(prefix="cinelake-") as tmp:
        # Keep the key's folders (e.g. snapshot_date=...) so Hive partitioning still works.
        targets = [Path(tmp).joinpath(*check_key(k).split("/")) for k in keys]

        def fetch(pair: tuple[str, Path]) -> None:
            pair[1].parent.mkdir(parents=True, exist_ok=True)
            pair[1].write_bytes(store.get(pair[0]))

        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(keys)))) as pool:
            list(pool.map(fetch, zip(keys, targets, strict=True)))
        yield targets
