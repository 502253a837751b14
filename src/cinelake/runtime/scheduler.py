"""The local stand-in for the EventBridge schedule: fire a job on a cron expression.

Time comes from an injected Clock and every wait goes through `wait()`, which returns early when
the stop event is set, so tests drive the scheduler with a FakeClock and never sleep.

What it promises:

* The last due time handled is persisted (:mod:`cinelake.schedule`, written atomically)
  *before* the job starts, with the job's status. A due time that passed while the machine slept
  or the process was down fires once on the next start, however many were missed (no pile-up).
* A job that was running when the process died (status still "started") fires again on the next
  start; the run it starts finishes the interrupted one (LocalRuntime.run recovers earlier runs).
* Waits are cut into short naps measured against the wall clock, so a laptop that sleeps through
  the due time runs the job as soon as it wakes, not a full wait later.
* The first start ever does not fire for due times before it.
* A job that finds the data dir busy (another `resume`, `rebuild` or `dlq redrive` holds the
  runtime lock: RuntimeBusy) has not run: the due time stays "started" (not done) and is tried
  again `busy_retry_s` later. Any other failure is recorded as that due time's finished run.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cinelake.clock import Clock, SystemClock
from cinelake.runtime.errors import RuntimeBusy
from cinelake.runtime.locks import held
from cinelake.schedule import (
    DEFAULT_CRON,
    ScheduleError,
    ScheduleState,
    check_cron,
    latest_at_or_before,
    next_after,
    read_state,
    state_path,
    write_state,
    zone,
)

__all__ = [
    "DEFAULT_CRON",
    "ScheduleError",
    "ScheduleState",
    "Scheduler",
    "SchedulerBusy",
    "latest_at_or_before",
    "next_after",
    "read_state",
    "single_scheduler",
    "state_path",
    "write_state",
    "zone",
]

Job = Callable[[datetime], "dict[str, Any] | None"]
Log = Callable[[str], None]


class SchedulerBusy(RuntimeError):
    """Another `cinelake schedule` already drives this data dir."""


def single_scheduler(state_file: Path) -> contextlib.AbstractContextManager[None]:
    """Held while a scheduler runs, so two of them never fire the same due time."""
    lock = Path(state_file).with_suffix(".lock")
    return held(
        lock,
        lambda: SchedulerBusy(f"another `cinelake schedule` is running for {lock.parent.parent}"),
    )


class Scheduler:
    def __init__(
        self,
        job: Job,
        *,
        state_file: Path,
        cron: str = DEFAULT_CRON,
        timezone: str = "UTC",
        clock: Clock | None = None,
        stop: threading.Event | None = None,
        log: Log | None = None,
        max_nap_s: float = 60.0,
        busy_retry_s: float = 60.0,
    ) -> None:
        self.job = job
        self.cron = check_cron(cron)
        self.timezone = timezone
        self.tz = zone(timezone)
        self.clock = clock or SystemClock()
        self.stop_event = stop or threading.Event()
        self.log = log or (lambda message: None)
        self.state_file = Path(state_file)
        self.max_nap_s = max_nap_s
        self.busy_retry_s = busy_retry_s
        self.fired: list[datetime] = []
        self.running = False
        self._announced: datetime | None = None
        self._state: ScheduleState | None = None
        self._next: tuple[ScheduleState, datetime] | None = None
        self._retry_at: datetime | None = None  # the data dir was busy: try again then

    # -- time -----------------------------------------------------------------------------
    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds`; True as soon as a stop was asked for."""
        if self.stop_event.is_set():
            return True
        if isinstance(self.clock, SystemClock):
            return self.stop_event.wait(max(0.0, seconds))
        self.clock.sleep(max(0.0, seconds))
        return self.stop_event.is_set()

    def stop(self) -> None:
        self.stop_event.set()

    @property
    def stopped(self) -> bool:
        return self.stop_event.is_set()

    # -- state ----------------------------------------------------------------------------
    def state(self) -> ScheduleState:
        """The persisted state (read once; this process is its only writer). The first start
        records "now", so due times before it never fire."""
        if self._state is not None:
            return self._state
        state = read_state(self.state_file)
        if state is None or state.last_due is None:
            now = self.clock.now()
            state = self._save(
                {
                    "cron": self.cron,
                    "timezone": self.timezone,
                    "last_due": now.isoformat(),
                    "status": "initialized",
                    "initialized_at": now.isoformat(),
                }
            )
        self._state = state
        return state

    def _save(self, data: dict[str, Any]) -> ScheduleState:
        write_state(self.state_file, data)
        self._state = read_state(self.state_file)
        assert self._state is not None
        return self._state

    def next_due(self) -> datetime:
        """The first due time not yet handled (in the past if one was missed), in UTC."""
        state = self.state()
        if self._next is None or self._next[0] is not state:
            if state.status == "started":
                # The process died while the job ran: that due time is not done.
                due = state.last_due.astimezone(UTC)  # type: ignore[union-attr]
            else:
                due = next_after(self.cron, self.tz, state.last_due)  # type: ignore[arg-type]
            self._next = (state, due)
        return self._next[1]

    def pending(self) -> datetime | None:
        """The due time to fire now, if any: the latest one passed, however many were missed."""
        first = self.next_due()
        now = self.clock.now()
        if first > now or (self._retry_at is not None and self._retry_at > now):
            return None
        latest = max(first, latest_at_or_before(self.cron, self.tz, now))
        if self._retry_at is not None:
            self.log(f"retrying the run due {self._show(latest)}")
        elif latest > first:
            self.log(
                f"missed due time(s) since {self._show(first)}: running once for "
                f"{self._show(latest)}"
            )
        elif first < now - timedelta(minutes=1):
            self.log(f"running the missed run due {self._show(first)}")
        return latest

    # -- firing ---------------------------------------------------------------------------
    def fire(self, due: datetime) -> dict[str, Any] | None:
        """Run the job for one due time, recording it first (so a restart never fires it twice
        unless the job was cut short). If the data dir is busy the job has not run: the due time
        stays "started" and `retry_pending` is set for `busy_retry_s` later."""
        self._retry_at = None
        started = self.clock.now()
        base = {
            "cron": self.cron,
            "timezone": self.timezone,
            "last_due": due.isoformat(),
            "started_at": started.isoformat(),
        }
        self._save(base | {"status": "started"})
        self.fired.append(due)
        self.running = True
        self.log(f"run due {self._show(due)} starting")
        result: dict[str, Any] | None = None
        error: str | None = None
        try:
            result = self.job(due)
        except RuntimeBusy as exc:  # nothing ran: not done, try again shortly
            retry_at = self.clock.now() + timedelta(seconds=self.busy_retry_s)
            self._retry_at = retry_at
            self._save(
                base
                | {
                    "status": "started",
                    "retry_at": retry_at.isoformat(),
                    "error": f"{type(exc).__name__}: {exc}",
                }
            )
            self.log(
                f"run due {self._show(due)} not started: {exc}; retrying in "
                f"{_human(retry_at - self.clock.now())}"
            )
            return None
        except Exception as exc:  # a failed run must not stop the schedule
            error = f"{type(exc).__name__}: {exc}"
            self.log(f"run due {self._show(due)} failed: {error}")
        finally:
            self.running = False
        # Reached only when the job returned or raised an Exception: otherwise (KeyboardInterrupt,
        # SystemExit, a kill) the state stays "started" and the next start fires again.
        self._save(
            base
            | {
                "status": "finished",
                "finished_at": self.clock.now().isoformat(),
                "result": result,
                "error": error,
            }
        )
        return result

    @property
    def retry_pending(self) -> bool:
        """The last attempt found the data dir busy; it is tried again at `_retry_at`."""
        return self._retry_at is not None

    def run_pending(self) -> datetime | None:
        """Fire the pending due time, if any; returns it if the job ran (None if it did not,
        including when the data dir was busy and the run will be retried)."""
        due = self.pending()
        if due is not None:
            self.fire(due)
            if self.retry_pending:
                return None
        return due

    def run(self, max_runs: int | None = None) -> int:
        """Fire jobs until stopped (or `max_runs` jobs have run); returns how many ran."""
        runs = 0
        self.log(f"schedule {self.cron!r} ({self.timezone}); state in {self.state_file}")
        while not self.stopped:
            if self.run_pending() is not None:
                runs += 1
                if max_runs is not None and runs >= max_runs:
                    break
                continue
            due = self.next_due()
            if due != self._announced and self._retry_at is None:
                self._announced = due
                self.log(f"next run due {self._show(due)} (in {_human(due - self.clock.now())})")
            wake = max(due, self._retry_at) if self._retry_at is not None else due
            delay = (wake - self.clock.now()).total_seconds()
            if self.wait(min(max(delay, 0.0), self.max_nap_s)):
                break
        return runs

    def _show(self, when: datetime) -> str:
        local = when.astimezone(self.tz)
        return f"{local:%Y-%m-%d %H:%M} {self.timezone}"


def _human(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
