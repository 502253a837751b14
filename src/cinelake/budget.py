"""The daily OMDb request budget: requests sent in a UTC day, across every run of that day.

Kept in the lake (bronze ``_control/omdb_budget/<day>/``), so both runtimes share it: each
invocation that wants to send reserves what it needs in a record of its own, then counts the
records made before it; what the day has left (``omdb_daily_budget`` minus those) is its grant.
When it is done it replaces the reservation with what it really sent. Records are never
rewritten by anyone else, so parallel invocations (threads here, Lambdas on AWS) do not lose
each other's counts; an invocation may get less than was left (a reservation before it that
will shrink), never more.

A record that cannot be read counts as the whole day spent: better a stale snapshot than an
overspent key. The day is the injected clock's UTC date.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date

from cinelake import layout
from cinelake.clock import Clock
from cinelake.objects import ObjectNotFound, ObjectStore
from cinelake.observability import get_logger

# One process's invocations reserve one at a time, so their grants are exact; across
# processes the record order does the same job.
_RESERVING = threading.Lock()

DAMAGED = "a budget record cannot be read: the day's OMDb budget counts as spent"


@dataclass(frozen=True)
class DayUsage:
    day: date
    limit: int
    used: int
    """Requests sent (or reserved by invocations still sending) that day."""
    damaged: str | None = None
    """The key of a record that cannot be read (the day then counts as spent)."""

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


def _count(data: bytes) -> tuple[int, bool]:
    """What one record counts against the day: what was sent once settled, else the
    reservation; and whether it is settled (then it never changes again)."""
    record = json.loads(data)
    settled = bool(record.get("settled"))
    value = record["sent"] if settled else record["reserved"]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("not a count")
    return value, settled


# Settled records never change, so a process reads each once: an invocation's cost then does
# not grow with the invocations the day had before it (only their listing does).
_SETTLED: dict[str, int] = {}
_SETTLED_MAX = 200_000


@dataclass
class Grant:
    """Requests one invocation may send; :meth:`allow` is asked before each one."""

    granted: int
    store: ObjectStore | None = None
    key: str | None = None
    sent: int = 0
    budget: DailyBudget | None = None
    """Where a retry beyond the grant asks for one more request (None: it may not)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allow(self) -> bool:
        with self._lock:
            if self.sent < self.granted:
                self.sent += 1
                return True
        # The grant covers one request per movie; a retry takes one more from the day.
        return self.budget is not None and self.budget.take_one()

    def settle(self) -> None:
        """Record what was really sent (the reservation shrinks to it)."""
        if self.store is None or self.key is None:
            return
        body = {"reserved": self.granted, "sent": self.sent, "settled": True}
        self.store.put(self.key, json.dumps(body).encode(), "application/json")


class DailyBudget:
    def __init__(self, store: ObjectStore, clock: Clock, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"the daily budget cannot be negative (got {limit})")
        self.store = store
        self.clock = clock
        self.limit = limit
        # Which bucket (or folder) a record is in, for the cache of settled records.
        self._where = store.uri(layout.BUDGET_PREFIX)

    def _records(self, day: date) -> list[str]:
        return sorted(self.store.list_keys(layout.budget_day_prefix(day)))

    def _sum(self, keys: list[str], day: date) -> DayUsage:
        used = 0
        for key in keys:
            where = self._where + key
            known = _SETTLED.get(where)
            if known is not None:
                used += known
                continue
            try:
                value, settled = _count(self.store.get(key))
                used += value
                if settled:
                    if len(_SETTLED) >= _SETTLED_MAX:
                        _SETTLED.clear()
                    _SETTLED[where] = value
            except ObjectNotFound:
                continue  # removed meanwhile: counts nothing
            except (ValueError, KeyError, TypeError, AttributeError):
                get_logger().warning(DAMAGED, extra={"key": key})
                return DayUsage(day, self.limit, self.limit, damaged=key)
        return DayUsage(day, self.limit, used)

    def usage(self, day: date | None = None) -> DayUsage:
        """The day's requests so far (today by default)."""
        day = day or self.clock.now().date()
        return self._sum(self._records(day), day)

    def reserve(self, wanted: int) -> Grant:
        """Up to ``wanted`` requests of what today has left; nothing is written for none."""
        if wanted <= 0 or self.limit == 0:
            return Grant(0)
        now = self.clock.now()
        day = now.date()
        with _RESERVING:
            seen = self._records(day)
            if self._sum(seen, day).left == 0:
                return Grant(0)
            token = f"{now:%H%M%S%f}-{uuid.uuid4().hex[:12]}"
            key = layout.budget_record_key(day, token)
            body = {"reserved": wanted, "sent": 0, "settled": False}
            self.store.put(key, json.dumps(body).encode(), "application/json")
            # Those there before this one, and those another process wrote meanwhile that
            # sort before it (they count this one only if it sorts before them).
            known = set(seen)
            earlier = [k for k in self._records(day) if k != key and (k in known or k < key)]
            granted = max(0, min(wanted, self._sum(earlier, day).left))
            if granted != wanted:
                body["reserved"] = granted
                self.store.put(key, json.dumps(body).encode(), "application/json")
        return Grant(granted, self.store, key, budget=self)

    def take_one(self) -> bool:
        """One request more (a retry), recorded as sent at once; False when none is left."""
        extra = self.reserve(1)
        if extra.granted == 0:
            return False
        extra.sent = 1
        extra.settle()
        return True
