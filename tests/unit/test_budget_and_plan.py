"""The daily OMDb budget (a record per invocation, summed) and the plan of a run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cinelake import layout
from cinelake.adapters.storage import LocalObjectStore
from cinelake.budget import DailyBudget
from cinelake.clock import FakeClock
from cinelake.stages.plan import make_plan

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
TTL = timedelta(days=7)


def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "bronze", "bronze")


def test_grants_never_exceed_what_the_day_has_left_across_invocations(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    budget = DailyBudget(store(tmp_path), clock, 25)
    first = budget.reserve(10)
    assert first.granted == 10
    # One request per movie is granted; two retries take one more each from the day.
    assert sum(first.allow() for _ in range(12)) == 12
    first.settle()
    assert budget.usage().used == 12
    second = budget.reserve(40)
    assert second.granted == 13
    second.settle()  # sent none of them: the reservation shrinks to 0
    assert budget.usage().used == 12 and budget.usage().left == 13
    third = budget.reserve(13)
    assert sum(third.allow() for _ in range(20)) == 13  # nothing left for the other 7
    third.settle()
    assert budget.usage().left == 0
    clock.advance(timedelta(days=1).total_seconds())  # a new UTC day: a new budget
    assert budget.usage().used == 0 and budget.reserve(30).granted == 25


def test_parallel_reservations_share_the_budget_exactly(tmp_path: Path) -> None:
    budget = DailyBudget(store(tmp_path), FakeClock(NOW), 25)
    grants: list[int] = []
    lock = threading.Lock()

    def reserve() -> None:
        grant = budget.reserve(4)
        with lock:
            grants.append(grant.granted)

    threads = [threading.Thread(target=reserve) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(grants) == 25 and sorted(grants)[-1] == 4


def test_a_budget_of_zero_grants_nothing_and_writes_nothing(tmp_path: Path) -> None:
    s = store(tmp_path)
    assert DailyBudget(s, FakeClock(NOW), 0).reserve(5).granted == 0
    assert s.list_keys(layout.BUDGET_PREFIX) == []


def test_a_negative_budget_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="negative"):
        DailyBudget(store(tmp_path), FakeClock(NOW), -1)


def test_a_damaged_record_counts_the_day_as_spent(tmp_path: Path) -> None:
    s = store(tmp_path)
    budget = DailyBudget(s, FakeClock(NOW), 25)
    budget.reserve(3).settle()
    s.put(layout.budget_record_key(NOW.date(), "000000000000-broken"), b"{not json")
    usage = budget.usage()
    assert usage.left == 0 and usage.damaged is not None and "broken" in usage.damaged
    assert budget.reserve(1).granted == 0


def answers(fresh: int, expired: int, missing: int) -> list[tuple[str, datetime | None]]:
    out: list[tuple[str, datetime | None]] = []
    for n in range(fresh):
        out.append((f"tt{n:07d}", NOW - timedelta(days=1)))
    for n in range(expired):
        out.append((f"tt{100 + n:07d}", NOW - timedelta(days=8 + n)))
    for n in range(missing):
        out.append((f"tt{200 + n:07d}", None))
    return out


def test_no_answer_first_then_the_oldest_expired() -> None:
    plan = make_plan(answers(3, 4, 5), now=NOW, ttl=TTL, budget_left=7, budget=25)
    assert plan.ids("fetch") == [f"tt{200 + n:07d}" for n in range(5)]
    # The two oldest expired answers (the highest n) are refreshed; the rest stay stale.
    assert plan.ids("refresh") == ["tt0000102", "tt0000103"]
    assert plan.ids("stale") == ["tt0000100", "tt0000101"]
    assert plan.counts() | {"requests": plan.requests} == {
        "fresh": 3,
        "fetch": 5,
        "refresh": 2,
        "stale": 2,
        "pending": 0,
        "requests": 7,
    }
    assert plan.days_to_fresh == 2  # 2 left tomorrow, within a day's 25


def test_no_budget_left_leaves_every_movie_stale_or_pending() -> None:
    plan = make_plan(answers(1, 2, 3), now=NOW, ttl=TTL, budget_left=0, budget=0)
    assert plan.requests == 0 and plan.counts()["pending"] == 3 and plan.counts()["stale"] == 2
    assert plan.days_to_fresh is None and plan.hold == set(plan.ids("stale") + plan.ids("pending"))


@given(
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 100),
)
def test_the_plan_spends_at_most_the_budget_and_accounts_for_every_movie(
    fresh: int, expired: int, missing: int, left: int
) -> None:
    plan = make_plan(answers(fresh, expired, missing), now=NOW, ttl=TTL, budget_left=left)
    counts = plan.counts()
    assert sum(counts.values()) == fresh + expired + missing
    assert plan.requests == min(left, expired + missing)
    assert counts["fresh"] == fresh
    assert counts["pending"] == max(0, missing - left)  # no-answer movies come first
    assert counts["refresh"] == 0 or counts["pending"] == 0


def test_requests_kept_for_new_movies_come_out_of_refreshes_only() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    old = now - timedelta(days=30)
    answers = [("tt0000001", None), ("tt0000002", old), ("tt0000003", old)]
    plan = make_plan(
        answers, now=now, ttl=timedelta(days=7), budget_left=4, budget=4, keep_for_new=2
    )
    assert plan.kinds == {"tt0000001": "fetch", "tt0000002": "refresh", "tt0000003": "stale"}
    kept_all = make_plan(
        answers, now=now, ttl=timedelta(days=7), budget_left=3, budget=3, keep_for_new=5
    )
    assert kept_all.kinds == {"tt0000001": "fetch", "tt0000002": "stale", "tt0000003": "stale"}
