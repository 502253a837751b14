"""One process at a time per data dir: an advisory file lock, released even on SIGKILL."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def held(path: Path, busy: Callable[[], Exception]) -> Iterator[None]:
    """Hold an exclusive lock on `path`, or raise `busy()` at once if another process has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:  # never truncated before the lock is ours: it names the holder
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy() from None
        try:
            # Who holds it, for `cinelake status` (which must not take the lock to ask).
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
            yield
        finally:
            fh.truncate(0)
            fcntl.flock(fh, fcntl.LOCK_UN)


def holder(path: Path) -> int | None:
    """The id of the live process holding the lock at `path`, if any (never takes the lock)."""
    try:
        pid = int(Path(path).read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # killed while holding it: the kernel released the lock
    except PermissionError:
        return pid
    return pid
