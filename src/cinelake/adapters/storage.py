"""Object storage: the three lake buckets as local folders or S3 buckets, behind the one
interface of :mod:`cinelake.objects` (whose names this module re-exports)."""

from __future__ import annotations

import builtins
import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cinelake.objects import (
    CreatedListener,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    UnsafeKey,
    check_key,
    local_copies,
)

__all__ = [
    "CreatedListener",
    "LocalObjectStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "S3ObjectStore",
    "UnsafeKey",
    "check_key",
    "local_copies",
]

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client  # pragma: no cover
else:
    S3Client = Any


class LocalObjectStore:
    """A bucket as a folder. Writes are atomic (temp file + rename) so readers never see half a file."""

    def __init__(self, root: Path, bucket: str, on_created: CreatedListener | None = None) -> None:
        self.root = Path(root)
        self.bucket = bucket
        self.on_created = on_created

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        path = self._path(key)
        tmp = path.parent / f".tmp-{os.urandom(8).hex()}.part"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        if self.on_created is not None:
            self.on_created(self.bucket, key, len(data))

    def put_new(self, key: str, data: bytes, content_type: str | None = None) -> bool:
        """A hard link of a finished temp file: it fails if the name exists, so exactly one
        of racing writers creates the object, and readers never see it half written."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".tmp-{os.urandom(8).hex()}.part"
        with open(tmp, "xb") as fh:
            fh.write(data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
        if self.on_created is not None:
            self.on_created(self.bucket, key, len(data))
        return True

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _walk(self, prefix: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
        # Walk the deepest folder the prefix names, then filter by the rest of the prefix.
        folder, _, _ = prefix.rpartition("/")
        base = os.path.join(self.root, *check_key(folder).split("/")) if folder else str(self.root)
        stack = [(base, folder + "/" if folder else "")]
        while stack:
            path, rel = stack.pop()
            try:
                entries = list(os.scandir(path))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                key = rel + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if key.startswith(prefix) or prefix.startswith(key + "/"):
                        stack.append((entry.path, key + "/"))
                elif not entry.name.startswith(".tmp-") and key.startswith(prefix):
                    yield key, entry

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        found = []
        for key, entry in self._walk(prefix):
            st = entry.stat()
            found.append(ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)))
        yield from sorted(found, key=lambda o: o.key)

    def list_keys(self, prefix: str = "") -> builtins.list[str]:
        """Keys only: no stat per object (the ledger counts outcomes this way)."""
        return sorted(key for key, _ in self._walk(prefix))

    def list_folders(self, prefix: str) -> builtins.list[str]:
        base = self.root.joinpath(*check_key(prefix.rstrip("/")).split("/"))
        try:
            return sorted(e.name for e in os.scandir(base) if e.is_dir(follow_symlinks=False))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def uri(self, key: str) -> str:
        """file:// URI of an object, or of a folder when the key ends with '/'."""
        folder = key.endswith("/")
        uri = self._path(key.rstrip("/")).resolve().as_uri()
        return uri + "/" if folder else uri

    def local_path(self, key: str) -> Path | None:
        return self._path(key)


class S3ObjectStore:
    """A bucket in S3 (or anything speaking its API)."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, **extra)

    def put_new(self, key: str, data: bytes, content_type: str | None = None) -> bool:
        """A conditional PUT (If-None-Match: *): S3 refuses it with 412 when the key exists, so
        exactly one of racing writers creates the object. A 409 (another conditional write to
        the key in progress) is retried: it ends in 412 or in this write."""
        from botocore.exceptions import ClientError

        extra = {"ContentType": content_type} if content_type else {}
        for attempt in range(5):
            try:
                self.client.put_object(
                    Bucket=self.bucket, Key=check_key(key), Body=data, IfNoneMatch="*", **extra
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code in ("PreconditionFailed", "412"):
                    return False
                if code == "ConditionalRequestConflict" and attempt < 4:
                    continue
                raise
            return True
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, key: str) -> bytes:
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except self.client.exceptions.NoSuchKey:
            raise ObjectNotFound(key) from None
        return resp["Body"].read()  # type: ignore[no-any-return]

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield ObjectInfo(obj["Key"], obj["Size"], obj["LastModified"])

    def list_keys(self, prefix: str = "") -> builtins.list[str]:
        return [o.key for o in self.list(prefix)]

    def list_folders(self, prefix: str) -> builtins.list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        names: builtins.list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            names += [
                p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])
            ]
        return sorted(names)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def local_path(self, key: str) -> Path | None:
        return None
