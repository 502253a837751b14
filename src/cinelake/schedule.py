"""The schedule's cron math and its persisted state: what the scheduler fires, and what
``status`` reads to say when the next run is due (without importing the scheduler).

The state file (``<data_dir>/_state/schedule.json``) is written atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from cinelake.layout import LocalLake

DEFAULT_CRON = "0 3 * * *"


class ScheduleError(ValueError):
    """A cron expression or time zone that cannot be used."""


@dataclass(frozen=True)
class ScheduleState:
    last_due: datetime | None
    status: str  # "initialized", "started" or "finished"
    raw: dict[str, Any]


def state_path(data_dir: Path) -> Path:
    return LocalLake(data_dir).schedule


def read_state(path: Path) -> ScheduleState | None:
    """The persisted state, or None if there is none (or it is unreadable)."""
    try:
        raw = json.loads(Path(path).read_text())
        last = raw.get("last_due")
        return ScheduleState(
            datetime.fromisoformat(last) if last else None, str(raw.get("status", "")), raw
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def write_state(path: Path, data: dict[str, Any]) -> None:
    """Temp file, fsync, rename: a crash leaves the old state or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".schedule-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ScheduleError(f"unknown time zone {name!r}") from exc


def check_cron(expression: str) -> str:
    if not croniter.is_valid(expression):
        raise ScheduleError(f"not a cron expression: {expression!r}")
    return expression


def next_after(expression: str, tz: ZoneInfo, when: datetime) -> datetime:
    """The first due time strictly after `when`, in UTC."""
    due: datetime = croniter(expression, when.astimezone(tz)).get_next(datetime)
    return due.astimezone(UTC)


def latest_at_or_before(expression: str, tz: ZoneInfo, when: datetime) -> datetime:
    """The last due time at or before `when`, in UTC."""
    due: datetime = croniter(expression, (when + timedelta(seconds=1)).astimezone(tz)).get_prev(
        datetime
    )
    return due.astimezone(UTC)
