"""The scheduler driven by a FakeClock: cron firing, missed-run catch-up, restarts, stopping."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cinelake.clock import FakeClock, SystemClock
from cinelake.runtime.errors import ModeConflict, RuntimeBusy
from cinelake.runtime.scheduler import (
    ScheduleError,
    Scheduler,
    SchedulerBusy,
    read_state,
    single_scheduler,
    state_path,
    write_state,
)


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class NoRealWait(threading.Event):
    """A stop event that fails the test if the scheduler ever blocks on it for real time."""

    def wait(self, timeout: float | None = None) -> bool:
        assert not timeout, f"the scheduler waited {timeout} s of real time"
        return self.is_set()


class Recorder:
    """A job that records when it ran and stops the scheduler after `stop_after` runs."""

    def __init__(
        self, clock: FakeClock, stop_after: int | None = None, duration_s: float = 0.0
    ) -> None:
        self.clock = clock
        self.stop_after = stop_after
        self.duration_s = duration_s
        self.calls: list[tuple[datetime, datetime]] = []  # (due, ran at)
        self.scheduler: Scheduler | None = None

    def __call__(self, due: datetime) -> dict[str, Any]:
        self.calls.append((due, self.clock.now()))
        self.clock.advance(self.duration_s)
        if self.stop_after is not None and len(self.calls) >= self.stop_after:
            assert self.scheduler is not None
            self.scheduler.stop()
        return {"run_id": f"run-{len(self.calls)}", "complete": True}


def make(tmp_path: Path, clock: FakeClock, job: Any, **kwargs: Any) -> Scheduler:
    logs: list[str] = kwargs.pop("logs", [])
    scheduler = Scheduler(
        job, state_file=state_path(tmp_path / "lake"), clock=clock, log=logs.append, **kwargs
    )
    if isinstance(job, Recorder):
        job.scheduler = scheduler
    return scheduler


def test_fires_daily_at_three_without_real_sleeping(tmp_path: Path) -> None:
    clock = FakeClock(at(1, 1, 30))
    job = Recorder(clock, stop_after=3, duration_s=600)
    logs: list[str] = []
    scheduler = make(tmp_path, clock, job, logs=logs, stop=NoRealWait())
    scheduler.run()
    # The FakeClock did all the waiting: two days and more passed on it, none for real.
    assert clock.monotonic() >= 2 * 86_400
    assert [due for due, _ in job.calls] == [at(1, 3), at(2, 3), at(3, 3)]
    assert [ran for _, ran in job.calls] == [at(1, 3), at(2, 3), at(3, 3)]  # on time
    assert any("next run due 2026-01-01 03:00 UTC (in 1h 30m)" in line for line in logs)
    assert any("next run due 2026-01-02 03:00 UTC" in line for line in logs)
    state = json.loads(state_path(tmp_path / "lake").read_text())
    assert state["status"] == "finished" and state["last_due"] == at(3, 3).isoformat()
    assert state["result"] == {"run_id": "run-3", "complete": True}


def test_first_start_does_not_fire_for_earlier_due_times(tmp_path: Path) -> None:
    clock = FakeClock(at(1, 10))  # 03:00 today already passed before we ever started
    job = Recorder(clock, stop_after=1)
    make(tmp_path, clock, job).run()
    assert job.calls == [(at(2, 3), at(2, 3))]


def test_missed_runs_while_down_fire_once_on_restart(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    write_state(state_path(lake), {"last_due": at(1, 3).isoformat(), "status": "finished"})
    clock = FakeClock(at(5, 10))  # down for four due times
    job = Recorder(clock, stop_after=2)
    logs: list[str] = []
    make(tmp_path, clock, job, logs=logs).run()
    # Once, at once, for the latest due time; then back on schedule: no pile-up.
    assert job.calls == [(at(5, 3), at(5, 10)), (at(6, 3), at(6, 3))]
    assert any("missed due time(s) since 2026-01-02 03:00 UTC" in line for line in logs)


def test_restart_after_a_crash_during_the_job_fires_that_run_again(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    # The process died while the 2nd's run was going: status is still "started".
    write_state(state_path(lake), {"last_due": at(2, 3).isoformat(), "status": "started"})
    clock = FakeClock(at(2, 3, 20))
    job = Recorder(clock, stop_after=1)
    make(tmp_path, clock, job).run()
    assert job.calls == [(at(2, 3), at(2, 3, 20))]
    assert read_state(state_path(lake)).status == "finished"  # type: ignore[union-attr]


def test_a_job_that_is_cut_short_leaves_the_due_time_unfinished(tmp_path: Path) -> None:
    clock = FakeClock(at(1, 2))

    def killed(due: datetime) -> None:
        raise KeyboardInterrupt  # what an abandoned run looks like from the scheduler

    with pytest.raises(KeyboardInterrupt):
        make(tmp_path, clock, killed).run()
    state = read_state(state_path(tmp_path / "lake"))
    assert state is not None and state.status == "started" and state.last_due == at(1, 3)


def test_laptop_asleep_through_the_due_time_runs_on_wake(tmp_path: Path) -> None:
    class SleepyClock(FakeClock):
        """The first long wait is interrupted by a suspend that lasts two days."""

        slept = False

        def sleep(self, seconds: float) -> None:
            if not self.slept and seconds >= 60:
                self.slept = True
                self.advance(2 * 86400 + 3600)
                return
            super().sleep(seconds)

    clock = SleepyClock(at(1, 1))
    job = Recorder(clock, stop_after=1)
    make(tmp_path, clock, job).run()
    # Woke up on the 3rd at 02:00 having missed the 1st and 2nd: one run right away.
    assert job.calls == [(at(2, 3), at(3, 2))]


def test_naps_are_short_so_a_wall_clock_jump_is_noticed(tmp_path: Path) -> None:
    clock = FakeClock(at(1, 1))
    waits: list[float] = []
    scheduler = make(tmp_path, clock, Recorder(clock, stop_after=1), max_nap_s=60)
    real_wait = scheduler.wait

    def spy(seconds: float) -> bool:
        waits.append(seconds)
        return real_wait(seconds)

    scheduler.wait = spy  # type: ignore[method-assign]
    scheduler.run()
    assert waits and max(waits) <= 60 and len(waits) == 120  # two hours in one-minute naps


def test_a_failing_job_is_recorded_and_the_schedule_goes_on(tmp_path: Path) -> None:
    clock = FakeClock(at(1, 2))
    calls: list[datetime] = []
    scheduler: Scheduler

    def flaky(due: datetime) -> dict[str, Any]:
        calls.append(due)
        if len(calls) == 1:
            raise RuntimeError("source unreachable")
        scheduler.stop()
        return {"run_id": "ok"}

    logs: list[str] = []
    scheduler = make(tmp_path, clock, flaky, logs=logs)
    state_file = state_path(tmp_path / "lake")
    scheduler.run_pending()
    clock.set(at(1, 3))
    scheduler.run_pending()
    state = json.loads(state_file.read_text())
    assert state["status"] == "finished" and "source unreachable" in state["error"]
    assert any("failed: RuntimeError: source unreachable" in line for line in logs)
    scheduler.run()
    assert calls == [at(1, 3), at(2, 3)]


def test_a_mode_conflict_is_the_days_failed_run_not_retried(tmp_path: Path) -> None:
    """Waiting does not resolve a mode conflict (queued movies of an offline run, a run with a
    key): the due time is recorded as failed and the schedule goes on, no retry loop."""
    clock = FakeClock(at(1, 2))
    attempts: list[datetime] = []

    def job(due: datetime) -> dict[str, Any]:
        attempts.append(clock.now())
        raise ModeConflict("run X has movies queued for the bundled sample; pass --offline")

    logs: list[str] = []
    scheduler = make(tmp_path, clock, job, logs=logs, busy_retry_s=60, stop=NoRealWait())
    assert scheduler.run_pending() is None  # nothing due yet at 02:00
    clock.advance(3600)
    assert scheduler.run_pending() == at(1, 3)
    assert not scheduler.retry_pending
    clock.advance(120)
    assert scheduler.run_pending() is None  # not tried again a minute later
    assert attempts == [at(1, 3)]
    state = json.loads(state_path(tmp_path / "lake").read_text())
    assert state["status"] == "finished" and state["last_due"] == at(1, 3).isoformat()
    assert state["error"].startswith("ModeConflict: run X has movies queued")
    assert any("failed: ModeConflict" in line for line in logs)


def test_a_busy_data_dir_is_retried_not_recorded_as_the_days_run(tmp_path: Path) -> None:
    clock = FakeClock(at(1, 2))
    attempts: list[tuple[datetime, datetime]] = []  # (due, tried at)
    scheduler: Scheduler

    def job(due: datetime) -> dict[str, Any]:
        attempts.append((due, clock.now()))
        if len(attempts) == 1:  # a `resume` holds the runtime lock at 03:00
            raise RuntimeBusy(f"another cinelake process is using {tmp_path / 'lake'}")
        scheduler.stop()
        return {"run_id": "run-1", "complete": True}

    logs: list[str] = []
    waits: list[float] = []
    between: list[Any] = []  # the persisted state while waiting to retry
    scheduler = make(tmp_path, clock, job, logs=logs, busy_retry_s=60, stop=NoRealWait())
    state_file = state_path(tmp_path / "lake")
    real_wait = scheduler.wait

    def spy(seconds: float) -> bool:
        waits.append(seconds)
        if attempts and len(attempts) == 1:
            between.append(read_state(state_file))
        return real_wait(seconds)

    scheduler.wait = spy  # type: ignore[method-assign]
    assert scheduler.run() == 1  # the busy attempt is not a run (NoRealWait: no real waiting)
    # Tried at 03:00, busy; tried again a minute later for the same due time, and it ran.
    assert attempts == [(at(1, 3), at(1, 3)), (at(1, 3), at(1, 3, 1))]
    assert between and all(s.status == "started" and s.last_due == at(1, 3) for s in between)
    assert between[0].raw["retry_at"] == at(1, 3, 1).isoformat()
    assert "RuntimeBusy" in between[0].raw["error"]
    assert waits[-1] == 60  # one wait for the retry, through the injected clock
    assert any(
        "not started: another cinelake process is using" in line and "retrying in 1m 00s" in line
        for line in logs
    )
    assert not any("failed" in line for line in logs)
    state = json.loads(state_file.read_text())
    assert state["status"] == "finished" and state["last_due"] == at(1, 3).isoformat()
    assert state["result"] == {"run_id": "run-1", "complete": True} and state["error"] is None
    assert scheduler.next_due() == at(2, 3)  # today's run is done; tomorrow's is next


def test_timezone_and_custom_cron(tmp_path: Path) -> None:
    clock = FakeClock(at(1, 0))
    job = Recorder(clock, stop_after=2)
    make(tmp_path, clock, job, cron="30 3 * * 1-5", timezone="Europe/Paris").run()
    # 03:30 in Paris is 02:30 UTC in winter; Jan 1st 2026 is a Thursday, so Thu then Fri.
    assert [due for due, _ in job.calls] == [at(1, 2, 30), at(2, 2, 30)]


def test_summer_time_in_the_schedule_zone(tmp_path: Path) -> None:
    clock = FakeClock(at(28, 12, month=3))
    job = Recorder(clock, stop_after=2)
    make(tmp_path, clock, job, timezone="Europe/Paris").run()
    # Clocks go forward on 29 March: 03:00 Paris is 01:00 UTC from then on.
    assert [due for due, _ in job.calls] == [at(29, 1, month=3), at(30, 1, month=3)]


@pytest.mark.parametrize("kwargs", [{"cron": "every day"}, {"timezone": "Mars/Olympus"}])
def test_bad_cron_or_timezone(tmp_path: Path, kwargs: dict[str, str]) -> None:
    with pytest.raises(ScheduleError):
        make(tmp_path, FakeClock(), lambda due: None, **kwargs)


def test_stop_ends_a_real_time_wait_at_once(tmp_path: Path) -> None:
    entered = threading.Event()

    class Stop(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            entered.set()  # the scheduler is now blocked in a real-time wait
            return super().wait(timeout)

    stop = Stop()
    scheduler = Scheduler(
        lambda due: None, state_file=state_path(tmp_path / "lake"), clock=SystemClock(), stop=stop
    )
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(scheduler.wait(3600)))
    waiter.start()
    assert entered.wait(timeout=30)
    stop.set()
    # Bounded join so a regression fails instead of hanging for the hour.
    waiter.join(timeout=30)
    assert not waiter.is_alive() and result == [True]
    assert scheduler.run() == 0  # already stopped: returns without firing


def test_state_is_written_atomically(tmp_path: Path) -> None:
    path = state_path(tmp_path / "lake")
    write_state(path, {"last_due": at(1, 3).isoformat(), "status": "finished"})
    write_state(path, {"last_due": at(2, 3).isoformat(), "status": "finished"})
    assert [p.name for p in path.parent.iterdir()] == ["schedule.json"]  # no temp files left
    assert read_state(path).last_due == at(2, 3)  # type: ignore[union-attr]
    path.write_text("{not json")
    assert read_state(path) is None  # a damaged file is treated as a first start
    clock = FakeClock(at(2, 4))
    assert make(tmp_path, clock, lambda due: None).next_due() == at(3, 3)


def test_job_longer_than_the_interval_does_not_pile_up(tmp_path: Path) -> None:
    clock = FakeClock(at(1, 0, 59))
    job = Recorder(clock, stop_after=2, duration_s=5 * 60 + 30)  # 5.5 minutes per run
    make(tmp_path, clock, job, cron="* * * * *").run()
    # The first run (01:00) ends at 01:05:30; five due times passed: only 01:05 runs.
    assert [due for due, _ in job.calls] == [at(1, 1), at(1, 1, 5)]
    assert job.calls[1][1] == at(1, 1, 5) + timedelta(minutes=0, seconds=30)


def test_only_one_scheduler_per_data_dir(tmp_path: Path) -> None:
    path = state_path(tmp_path / "lake")
    busy = pytest.raises(SchedulerBusy, match="another `cinelake schedule` is running")
    with single_scheduler(path), busy, single_scheduler(path):
        pass
    with single_scheduler(path):  # released when the first one ends
        pass
