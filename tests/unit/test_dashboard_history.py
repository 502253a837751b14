"""The dashboard's history block: windowed, complete for what it lists, bounded in size."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest

from cinelake.dashboard import (
    HISTORY_WINDOW,
    dashboard_payload,
    history_payload,
    read_gold_dir,
    render_dashboard,
    write_dashboard,
)
from cinelake.gold.datasets import dataset
from cinelake.gold.export import parquet_bytes
from tests.history_tables import history_tables, synthetic_days, title_of, write_partitioned

GENERATED = datetime(2026, 1, 2, 6, 30, tzinfo=UTC)
START = date(2025, 3, 1)


def day(n: int) -> date:
    return START + timedelta(days=n)


def movie_index(history: dict, imdb_id: str) -> int:
    (i,) = [i for i, m in enumerate(history["movies"]) if m["imdb_id"] == imdb_id]
    return i


def ranks_over_window(history: dict, imdb_id: str) -> list[int | None]:
    m = history["movies"][movie_index(history, imdb_id)]
    out: list[int | None] = [None] * len(history["dates"])
    for k, rank in enumerate(m["ranks"]):
        out[m["from"] + k] = rank
    return out


def top_rated_rows(count: int) -> pa.Table:
    ds = dataset("top_rated")
    rows = []
    for i in range(count):
        row = dict.fromkeys(ds.column_names)
        row.update(
            rank=i + 1,
            imdb_id=f"tt{8_000_000 + i:07d}",
            title=f"A fairly ordinary movie title number {i}",
            year=1950 + i % 75,
            imdb_rating=round(7 + (i % 30) / 10, 1),
            imdb_votes=100_000 + i,
            metascore=60 + i % 40,
            rotten_tomatoes=50 + i % 50,
            runtime_minutes=90 + i % 90,
            genres="Drama, Crime",
            countries="United States, United Kingdom",
            directors=f"Director {i % 400}",
            box_office_usd=1_000_000 * (i % 300),
            oscar_wins=i % 4,
            oscar_nominations=i % 9,
            award_wins=i % 50,
            award_nominations=i % 80,
        )
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=ds.schema)


# ---------------------------------------------------------------- what a day says


def test_movers_of_a_day_match_the_lists():
    days = {
        day(0): ["a", "b", "c", "d"],
        day(1): ["b", "a", "e", "c"],  # d exits, e enters, a/b swap, c falls
        day(3): ["b", "e", "d", "a"],  # a day missing: previous is day(1); c exits, d back
    }
    history = history_payload(history_tables(days))
    assert history is not None
    assert history["dates"] == [d.isoformat() for d in sorted(days)]
    assert history["snapshot_count"] == 3
    first, second, third = history["days"]

    # the lake's first snapshot: every movie counted new, none listed as an entry
    assert first["previous"] is None
    assert first["counts"] == {"new": 4, "up": 0, "down": 0, "same": 0, "exited": 0}
    assert first["new"] == []

    name = {i: m["imdb_id"] for i, m in enumerate(history["movies"])}
    assert second["previous"] == day(0).isoformat()
    assert second["counts"] == {"new": 1, "up": 1, "down": 2, "same": 0, "exited": 1}
    assert [(name[i], r) for i, r in second["new"]] == [("e", 3)]
    assert [(name[i], r) for i, r in second["exited"]] == [("d", 4)]
    assert [(name[i], r, p, c) for i, r, p, c in second["up"]] == [("b", 1, 2, 1)]
    # equal moves: the better current rank first
    assert [(name[i], r, p, c) for i, r, p, c in second["down"]] == [
        ("a", 2, 1, -1),
        ("c", 4, 3, -1),
    ]

    assert third["previous"] == day(1).isoformat()  # the latest earlier snapshot that exists
    assert [name[i] for i, _ in third["new"]] == ["d"]
    assert [name[i] for i, _ in third["exited"]] == ["c"]
    assert third["counts"]["same"] == 1  # b stays #1: counted, not listed


def test_only_the_biggest_moves_are_listed_but_all_are_counted():
    ids = [f"m{i:02d}" for i in range(30)]
    days = {day(0): ids, day(1): list(reversed(ids))}
    (_, moved) = history_payload(history_tables(days))["days"]
    assert moved["counts"]["up"] == 15 and moved["counts"]["down"] == 15
    assert len(moved["up"]) == len(moved["down"]) == 10
    changes = [c for *_, c in moved["up"]]
    assert changes == sorted(changes, reverse=True) and changes[0] == 29
    assert moved["down"][0][3] == -29


def test_a_movie_that_left_and_came_back_has_a_gap():
    days = {day(n): ["x", "gone"] if n not in (2, 3) else ["x"] for n in range(6)}
    history = history_payload(history_tables(days))
    assert ranks_over_window(history, "gone") == [2, 2, None, None, 2, 2]
    assert ranks_over_window(history, "x") == [1] * 6
    assert [m["imdb_id"] for m in history["movies"]].count("gone") == 1
    i = movie_index(history, "gone")
    assert [e[0] for e in history["days"][2]["exited"]] == [i]
    assert [e[0] for e in history["days"][4]["new"]] == [i]
    assert [d for d, m, _ in history["entries"] if m == i] == [day(4).isoformat()]


# ---------------------------------------------------------------- the window


def test_window_keeps_the_last_snapshots_and_says_how_many_there_are():
    days = synthetic_days(START, 130, 40)
    history = history_payload(history_tables(days), window=90)
    every = sorted(d.isoformat() for d in days)
    assert history["snapshot_count"] == 130 and history["window"] == 90
    assert history["dates"] == every[-90:]
    assert len(history["days"]) == 90
    # ranks cover exactly the window: the oldest window day is index 0
    latest = days[max(days)]
    for rank, imdb_id in enumerate(latest, start=1):
        assert ranks_over_window(history, imdb_id)[-1] == rank
    # every listed movie is in the window or named by its movers/entries
    assert all(m["ranks"] or m["from"] == 0 for m in history["movies"])

    small = history_payload(history_tables(days), window=500)
    assert small["dates"] == every and small["snapshot_count"] == 130


def test_entered_in_the_last_30_days_is_complete_from_the_first_window_date():
    # one newcomer every 10 days; the window (5 dates) starts well after most of them
    base = ["a", "b"]
    days = {}
    for n in range(60):
        newcomers = [f"n{k}" for k in range(1, n // 10 + 1)]
        days[day(n)] = base + newcomers
    history = history_payload(history_tables(days), window=5)
    first_window_day = date.fromisoformat(history["dates"][0])
    assert first_window_day == day(55)
    entered = {(d, history["movies"][i]["imdb_id"]) for d, i, _ in history["entries"]}
    # n3 (day 30) is 25 days before day 55; n2 (day 20) is 35 days before: left out
    assert entered == {(day(n * 10).isoformat(), f"n{n}") for n in (3, 4, 5)}
    # the page's own rule: within 30 days up to the chosen date, from the first window date
    in_30 = [m for d, m in entered if 0 <= (first_window_day - date.fromisoformat(d)).days < 30]
    assert sorted(in_30) == ["n3", "n4", "n5"]


def test_missing_history_datasets_leave_the_rest_of_the_page_as_it_was():
    top = top_rated_rows(3)
    payload = dashboard_payload({"top_rated": top}, generated_at=GENERATED)
    assert payload["history"] is None
    assert len(payload["movies"]) == 3
    empty = history_tables({})
    assert history_payload(empty) is None
    assert history_payload({"movers": pa.table({"imdb_id": ["a"]})}) is None  # no dates at all


def test_rank_history_alone_gives_trajectories_without_movers():
    days = {day(0): ["a", "b"], day(1): ["b"]}
    history = history_payload({"rank_history": history_tables(days)["rank_history"]})
    assert ranks_over_window(history, "a") == [1, None]
    assert all(d["counts"] is None for d in history["days"])

    only_movers = history_payload({"movers": history_tables(days)["movers"]})
    assert ranks_over_window(only_movers, "a") == [1, None]  # an exit row has no rank
    assert only_movers["days"][1]["counts"]["exited"] == 1


# ---------------------------------------------------------------- on disk


def test_history_is_read_from_every_hive_partition(tmp_path):
    gold = tmp_path / "gold"
    days = {day(0): ["a", "b"], day(1): ["b", "c"], day(2): ["c", "b"]}
    written = history_tables(days)
    write_partitioned(gold, written)
    (gold / "movers" / "not-a-partition").mkdir()
    (gold / "movers" / "not-a-partition" / "x.parquet").write_bytes(b"garbage")
    (gold / "top_rated").mkdir()
    (gold / "top_rated" / "data.parquet").write_bytes(parquet_bytes(top_rated_rows(2)))

    tables = read_gold_dir(gold)
    assert tables["movers"].num_rows == written["movers"].num_rows == 7
    read_back = tables["movers"].sort_by([("snapshot_date", "ascending"), ("imdb_id", "ascending")])
    expected = written["movers"].sort_by([("snapshot_date", "ascending"), ("imdb_id", "ascending")])
    assert read_back.select(expected.column_names).to_pylist() == expected.to_pylist()
    assert sorted(set(tables["rank_history"].column("snapshot_date").to_pylist())) == sorted(days)

    out = write_dashboard(gold, tmp_path / "d.html", generated_at=GENERATED)
    block = re.search(r'id="cinelake-data">(.*?)</script>', out.read_text("utf-8"), re.S)
    payload = json.loads(block.group(1))
    assert payload["history"]["dates"] == [d.isoformat() for d in sorted(days)]
    assert payload["datasets"]["rank_history"] == 6
    assert len(payload["movies"]) == 2


def test_a_lake_without_history_folders_reads_as_before(tmp_path):
    gold = tmp_path / "gold"
    (gold / "top_rated").mkdir(parents=True)
    (gold / "top_rated" / "data.parquet").write_bytes(parquet_bytes(top_rated_rows(2)))
    assert set(read_gold_dir(gold)) == {"top_rated"}


def test_hostile_titles_stay_inside_the_data_block():
    evil = "</script><script>alert(1)</script>&\u2028"
    tables = history_tables({day(0): ["a"], day(1): ["b"]}, titles={"a": evil, "b": evil})
    page = render_dashboard(tables, generated_at=GENERATED)
    assert page.count("</script>") == 2
    block = re.search(r'id="cinelake-data">(.*?)</script>', page, re.S).group(1)
    assert "<" not in block and "&" not in block
    assert {m["title"] for m in json.loads(block)["history"]["movies"]} == {evil}


# ---------------------------------------------------------------- bounded size


def test_three_years_of_daily_1000_movie_lists_stay_under_3_mb():
    days = synthetic_days(date(2023, 1, 1), 1_095, 1_000)
    tables = history_tables(days)
    assert tables["movers"].num_rows > 1_000_000
    tables["top_rated"] = top_rated_rows(1_000)
    page = render_dashboard(tables, generated_at=GENERATED)
    assert len(page.encode("utf-8")) <= 3 * 1024 * 1024
    history = dashboard_payload(tables, generated_at=GENERATED)["history"]
    assert history["snapshot_count"] == 1_095 and len(history["dates"]) == HISTORY_WINDOW

    # the history part does not grow with the number of snapshots, only with the window
    recent = {d: ids for d, ids in days.items() if d >= date(2025, 1, 1) - timedelta(days=40)}
    shorter = history_payload(history_tables(recent))
    grown = len(json.dumps(history)) / len(json.dumps(shorter))
    assert grown == pytest.approx(1.0, abs=0.02)


def test_titles_fall_back_to_ids():
    tables = history_tables({day(0): ["a"]})
    history = history_payload(tables)
    assert history["movies"][0]["title"] == title_of("a")
