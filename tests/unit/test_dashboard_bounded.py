"""The dashboard embeds what it shows: the best-ranked movie rows and bounded history, however
long the lists are, and says so when it shows a subset."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from cinelake.dashboard import dashboard_payload, history_payload, render_dashboard
from cinelake.dashboard.render import (
    DETAIL_MOVIES,
    LISTED_PER_DAY,
    TRAJECTORY_CELLS,
    TRAJECTORY_MOVIES,
)
from tests.history_tables import history_tables
from tests.unit.test_dashboard_history import top_rated_rows

GENERATED = datetime(2026, 1, 2, 6, 30, tzinfo=UTC)
MB3 = 3 * 1024 * 1024


def shuffled(table: pa.Table, seed: int = 7) -> pa.Table:
    order = list(range(table.num_rows))
    random.Random(seed).shuffle(order)
    return table.take(pa.array(order))


def test_a_long_list_embeds_its_best_ranked_rows_and_the_total():
    top = shuffled(top_rated_rows(DETAIL_MOVIES + 500))
    payload = dashboard_payload({"top_rated": top}, generated_at=GENERATED)
    assert payload["movies_total"] == DETAIL_MOVIES + 500
    assert [m["rank"] for m in payload["movies"]] == list(range(1, DETAIL_MOVIES + 1))


def test_a_short_list_is_embedded_whole():
    top = top_rated_rows(30)
    payload = dashboard_payload({"top_rated": top}, generated_at=GENERATED)
    assert payload["movies_total"] == 30 and len(payload["movies"]) == 30


def test_movie_rows_given_as_mappings_are_bounded_too():
    rows = shuffled(top_rated_rows(DETAIL_MOVIES + 3)).to_pylist()
    rows[0] = {**rows[0], "rank": None}  # a row without a rank comes after the ranked ones
    payload = dashboard_payload({}, generated_at=GENERATED, movies=rows, detail_movies=10)
    assert payload["movies_total"] == DETAIL_MOVIES + 3
    assert len(payload["movies"]) == 10
    assert all(m["rank"] is not None and m["rank"] <= 11 for m in payload["movies"])


def long_lists(days: int, size: int, churn: int, seed: int = 3) -> dict[date, list[str]]:
    """``days`` daily lists of ``size`` ids, ``churn`` of them replaced (and shuffled) a day."""
    rng = random.Random(seed)
    order = [f"tt{1_000_000 + i:07d}" for i in range(size)]
    fresh = size
    out: dict[date, list[str]] = {}
    for n in range(days):
        if n:
            for _ in range(churn):
                order.pop(rng.randrange(len(order)))
                order.insert(rng.randrange(len(order) + 1), f"tt{1_000_000 + fresh:07d}")
                fresh += 1
            for _ in range(size // 10):
                i = rng.randrange(size - 1)
                order[i], order[i + 1] = order[i + 1], order[i]
        out[date(2026, 1, 1) + timedelta(days=n)] = list(order)
    return out


def test_history_of_long_lists_is_capped_and_names_every_movie_it_lists():
    tables = history_tables(long_lists(days=40, size=5_000, churn=120))
    history = history_payload(tables)
    assert history is not None
    assert history["listed_per_day"] == LISTED_PER_DAY
    for day in history["days"][1:]:
        assert day["counts"]["new"] > LISTED_PER_DAY == len(day["new"])
        assert day["counts"]["exited"] > LISTED_PER_DAY == len(day["exited"])
        # the best-ranked entries are the ones listed
        assert [e[1] for e in day["new"]] == sorted(e[1] for e in day["new"])
    per_date: dict[str, int] = {}
    for d, _, _ in history["entries"]:
        per_date[d] = per_date.get(d, 0) + 1
    assert max(per_date.values()) == LISTED_PER_DAY
    movies = history["movies"]
    named = {
        e[0]
        for day in history["days"]
        for k in ("new", "exited", "up", "down")
        for e in day.get(k, ())
    }
    named |= {e[1] for e in history["entries"]}
    assert all(0 <= i < len(movies) for i in named)
    cells = sum(len(m["ranks"]) for m in movies if m["ranks"] is not None)
    assert cells <= TRAJECTORY_CELLS
    unnamed = [i for i in range(len(movies)) if i not in named]
    assert len(unnamed) <= TRAJECTORY_MOVIES
    assert history["movies_in_window"] > len(movies)  # some movies are left out, and it says so
    assert history["trajectories"] == sum(m["ranks"] is not None for m in movies)
    # the best-ranked movie of the latest list keeps its trajectory
    assert movies[0]["ranks"] is not None and movies[0]["ranks"][-1] == 1


def test_a_named_movie_past_the_budget_keeps_its_title_without_ranks(monkeypatch):
    from cinelake.dashboard import render

    monkeypatch.setattr(render, "TRAJECTORY_CELLS", 30)
    tables = history_tables(long_lists(days=10, size=200, churn=5))
    history = history_payload(tables)
    assert history is not None
    without = [m for m in history["movies"] if m["ranks"] is None]
    assert without and all(m["title"] for m in without)
    assert sum(len(m["ranks"]) for m in history["movies"] if m["ranks"] is not None) <= 30


def test_twenty_thousand_movies_with_history_stay_under_3_mb():
    tables = history_tables(long_lists(days=30, size=20_000, churn=300))
    tables["top_rated"] = top_rated_rows(20_000)
    page = render_dashboard(tables, generated_at=GENERATED)
    assert len(page.encode("utf-8")) <= MB3
    data = json.loads(page.split('id="cinelake-data">', 1)[1].split("</script>", 1)[0])
    assert data["movies_total"] == 20_000 and len(data["movies"]) == DETAIL_MOVIES
