"""The history datasets (movers, rank_history, top_movers, list_tenure) and their partitions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from cinelake import layout
from cinelake.gold.datasets import HISTORY_DATASETS, TOP_MOVERS_PER_DIRECTION, dataset
from cinelake.silver import schema

from .history_lake import HistoryLake

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
MOVERS = (
    "snapshot_date, previous_snapshot_date, imdb_id, title, rank, previous_rank, rank_change, "
    "status"
)


def tt(n: int) -> str:
    return f"tt{n:07d}"


@pytest.fixture
def lake(tmp_path: Path) -> HistoryLake:
    return HistoryLake(tmp_path / "lake")


def movers(lake: HistoryLake, day: date) -> list[tuple]:
    return lake.query(
        f"SELECT {MOVERS} FROM gold_movers WHERE snapshot_date = DATE '{day}' ORDER BY imdb_id"
    )


def partition_puts(lake: HistoryLake, name: str) -> list[str]:
    return sorted(k for k in lake.gold.puts if layout.gold_partition_date(name, k) is not None)


# ---------------------------------------------------------------------------- statuses


def test_every_status_at_its_boundary(lake: HistoryLake) -> None:
    lake.put_list(D1, [(1, tt(1), "A1"), (2, tt(2), "B1"), (3, tt(3), "C1")])
    lake.put_list(D2, [(1, tt(2), "B2"), (2, tt(1), "A2"), (3, tt(3), "C2"), (4, tt(4), "D2")])
    lake.put_list(D3, [(1, tt(1), "A3")])
    lake.build()
    assert movers(lake, D1) == [
        (D1, None, tt(1), "A1", 1, None, None, "new"),
        (D1, None, tt(2), "B1", 2, None, None, "new"),
        (D1, None, tt(3), "C1", 3, None, None, "new"),
    ]
    assert movers(lake, D2) == [
        (D2, D1, tt(1), "A2", 2, 1, -1, "down"),  # one place down: the smallest move
        (D2, D1, tt(2), "B2", 1, 2, 1, "up"),  # one place up
        (D2, D1, tt(3), "C2", 3, 3, 0, "same"),
        (D2, D1, tt(4), "D2", 4, None, None, "new"),
    ]
    # exits keep the previous day's title and rank; the list of D3 has one movie
    assert movers(lake, D3) == [
        (D3, D2, tt(1), "A3", 1, 2, 1, "up"),
        (D3, D2, tt(2), "B2", None, 1, None, "exited"),
        (D3, D2, tt(3), "C2", None, 3, None, "exited"),
        (D3, D2, tt(4), "D2", None, 4, None, "exited"),
    ]
    # ordered by date, rank, exits last
    ordered = lake.query("SELECT snapshot_date, rank, previous_rank FROM gold_movers")
    assert ordered == sorted(ordered, key=lambda r: (r[0], r[1] is None, r[1] or 0, r[2] or 0))


def test_the_previous_snapshot_skips_missing_days(lake: HistoryLake) -> None:
    later = D1 + timedelta(days=9)
    lake.put_list(D1, [(1, tt(1), "A")])
    lake.put_list(later, [(1, tt(2), "B")])
    lake.build()
    assert movers(lake, later) == [
        (later, D1, tt(1), "A", None, 1, None, "exited"),
        (later, D1, tt(2), "B", 1, None, None, "new"),
    ]


def test_a_movie_out_for_one_day_exits_then_enters(lake: HistoryLake) -> None:
    lake.put_list(D1, [(1, tt(1), "A"), (2, tt(2), "B")])
    lake.put_list(D2, [(1, tt(1), "A")])
    lake.put_list(D3, [(1, tt(1), "A"), (2, tt(2), "B")])
    lake.build()
    status = dict(
        lake.query(f"SELECT snapshot_date, status FROM gold_movers WHERE imdb_id = '{tt(2)}'")
    )
    assert status == {D1: "new", D2: "exited", D3: "new"}
    tenure = lake.query(
        "SELECT days_in_list, current_streak_days, longest_streak_days, first_seen, last_seen "
        f"FROM gold_list_tenure WHERE imdb_id = '{tt(2)}'"
    )
    assert tenure == [(2, 1, 1, D1, D3)]


def test_empty_history_gives_empty_datasets_and_no_partition(lake: HistoryLake) -> None:
    outcome = lake.build()
    for ds in HISTORY_DATASETS:
        assert outcome.datasets[ds.name] == 0
    assert outcome.history == {
        "first_snapshot_date": None,
        "last_snapshot_date": None,
        "snapshots": 0,
    }
    assert partition_puts(lake, "movers") == []
    # the CSV still has its header, the DDL is written
    header = lake.gold.get(layout.gold_csv_key("movers")).decode().splitlines()[0]
    assert header == ",".join(dataset("movers").column_names)


def test_one_snapshot(lake: HistoryLake) -> None:
    lake.put_list(D1, [(1, tt(1), "A"), (2, tt(2), "B")])
    outcome = lake.build()
    assert {r[7] for r in movers(lake, D1)} == {"new"}
    assert outcome.datasets["top_movers"] == 0  # no base snapshot for any window
    assert lake.query("SELECT imdb_id, current_streak_days, latest_rank FROM gold_list_tenure") == [
        (tt(1), 1, 1),
        (tt(2), 1, 2),
    ]
    assert outcome.history == {
        "first_snapshot_date": "2026-03-01",
        "last_snapshot_date": "2026-03-01",
        "snapshots": 1,
    }
    manifest = json.loads(lake.gold.get(layout.GOLD_MANIFEST))
    assert manifest["history"] == outcome.history


# ---------------------------------------------------------------------- rank_history


def movies_table(rows: list[dict]) -> pa.Table:
    """silver_movies rows: the given columns, nulls or empty lists elsewhere."""
    columns = {}
    for field in schema.arrow_schema():
        values = [r.get(field.name) for r in rows]
        if pa.types.is_list(field.type):
            values = [v or [] for v in values]
        if field.name == "ingested_at":
            values = [datetime(2026, 1, 1, tzinfo=UTC)] * len(rows)
        if field.name == "run_id":
            values = ["20260101T000000Z-abcdef"] * len(rows)
        if field.name == "enrichment":
            values = [r.get("enrichment", "fresh") for r in rows]
        columns[field.name] = pa.array(values, field.type)
    return schema.conform_movies(pa.table(columns))


def test_rank_history_prefers_omdb_figures_and_falls_back_to_the_lists(lake: HistoryLake) -> None:
    lake.put_list(D1, [(1, tt(1), "List A"), (2, tt(2), "List B")])
    # OMDb answered tt1 only (tt2 not found): tt2 stays on the list, with the list's title.
    lake.put_movies(
        D1,
        movies_table(
            [
                {
                    "imdb_id": tt(1),
                    "source_rank": 1,
                    "title": "OMDb A",
                    "imdb_rating": 8.5,
                    "imdb_votes": 10,
                }
            ]
        ),
    )
    # A day from before lists existed: its movies are the list.
    lake.put_movies(
        D2,
        movies_table(
            [
                {"imdb_id": tt(2), "source_rank": 1, "title": "B", "imdb_rating": 7.0},
                {"imdb_id": tt(1), "source_rank": 2, "title": "A", "source_rating": 8.4},
            ]
        ),
    )
    lake.build()
    assert lake.query(
        "SELECT snapshot_date, imdb_id, title, rank, imdb_rating, imdb_votes FROM gold_rank_history"
    ) == [
        (D1, tt(1), "OMDb A", 1, 8.5, 10),
        (D1, tt(2), "List B", 2, None, None),
        (D2, tt(2), "B", 1, 7.0, None),
        (D2, tt(1), "A", 2, 8.4, None),
    ]
    assert movers(lake, D2) == [
        (D2, D1, tt(1), "A", 2, 1, -1, "down"),
        (D2, D1, tt(2), "B", 1, 2, 1, "up"),
    ]


# ------------------------------------------------------------------------ summaries


def test_top_movers_compare_the_latest_snapshot_with_the_one_a_window_earlier(
    lake: HistoryLake,
) -> None:
    n = 40
    start = date(2026, 1, 1)
    latest = start + timedelta(days=n - 1)
    ids = [tt(i) for i in range(1, 31)]
    ranks: dict[date, dict[str, int]] = {}
    for k in range(n):
        day = start + timedelta(days=k)
        if day == latest - timedelta(days=7):
            continue  # no snapshot exactly 7 days back: the base is the one before
        order = ids[k % 7 :] + ids[: k % 7] if k % 3 else list(reversed(ids))
        ranks[day] = {i: r for r, i in enumerate(order, 1)}
        lake.put_list(day, [(r, i, i.upper()) for i, r in ranks[day].items()])
    lake.build()
    got = lake.query(
        "SELECT window_days, direction, position, base_snapshot_date, imdb_id, rank, base_rank, "
        "rank_change FROM gold_top_movers"
    )
    expected = []
    for window in (7, 30):
        base = max(d for d in ranks if d <= latest - timedelta(days=window))
        moves = [
            (i, ranks[latest][i], ranks[base][i], ranks[base][i] - ranks[latest][i])
            for i in ranks[latest]
            if i in ranks[base] and ranks[base][i] != ranks[latest][i]
        ]
        for direction, sign in (("climber", 1), ("faller", -1)):
            chosen = sorted(
                (m for m in moves if m[3] * sign > 0), key=lambda m: (-abs(m[3]), m[1], m[0])
            )
            for pos, (i, rank, base_rank, change) in enumerate(
                chosen[:TOP_MOVERS_PER_DIRECTION], 1
            ):
                expected.append((window, direction, pos, base, i, rank, base_rank, change))
    assert got == expected
    assert {r[3] for r in got if r[0] == 7} == {latest - timedelta(days=8)}


# ------------------------------------------------------------------------ partitions


def test_only_changed_partitions_are_written_and_removed_dates_deleted(lake: HistoryLake) -> None:
    days = [D1 + timedelta(days=k) for k in range(6)]
    lists = {d: [(r, tt(r + k), f"T{r + k}") for r in range(1, 6)] for k, d in enumerate(days)}
    for d in days[:4]:
        if d != days[2]:
            lake.put_list(d, lists[d])
    lake.build()
    assert partition_puts(lake, "movers") == [
        layout.gold_partition_key("movers", d) for d in (days[0], days[1], days[3])
    ]

    lake.build()  # nothing changed: nothing rewritten
    assert partition_puts(lake, "movers") == partition_puts(lake, "rank_history") == []

    lake.put_list(days[4], lists[days[4]])  # the next day
    lake.build()
    assert partition_puts(lake, "movers") == [layout.gold_partition_key("movers", days[4])]
    assert partition_puts(lake, "rank_history") == [
        layout.gold_partition_key("rank_history", days[4])
    ]

    lake.put_list(days[2], lists[days[2]])  # a backfilled day: it and the day after change
    lake.build()
    assert partition_puts(lake, "movers") == [
        layout.gold_partition_key("movers", d) for d in (days[2], days[3])
    ]
    assert partition_puts(lake, "rank_history") == [
        layout.gold_partition_key("rank_history", days[2])
    ]

    lake.drop_day(days[1])  # a removed day: its partitions go, the day after is rewritten
    lake.build()
    for name in ("movers", "rank_history"):
        assert lake.gold.deletes == [
            layout.gold_partition_key(n, days[1]) for n in ("movers", "rank_history")
        ]
        assert not lake.gold.exists(layout.gold_partition_key(name, days[1]))
    assert partition_puts(lake, "movers") == [layout.gold_partition_key("movers", days[2])]
    assert movers(lake, days[2])[0][1] == days[0]

    # A partition removed by hand is written again; a full build writes every one.
    lake.gold.delete(layout.gold_partition_key("movers", days[3]))
    lake.build()
    assert partition_puts(lake, "movers") == [layout.gold_partition_key("movers", days[3])]
    outcome = lake.build(full=True)
    assert len(partition_puts(lake, "movers")) == 4 == outcome.partitions_written["movers"]
    # Unknown fingerprints (lost or damaged): everything is written again.
    lake.gold.put(layout.GOLD_HISTORY_PARTITIONS, b"{not json")
    lake.build()
    assert len(partition_puts(lake, "rank_history")) == 4


def test_partitions_hold_the_rows_of_their_date_without_the_date_column(lake: HistoryLake) -> None:
    import pyarrow.parquet as pq

    lake.put_list(D1, [(1, tt(1), "A")])
    lake.put_list(D2, [(1, tt(2), "B")])
    lake.build()
    path = lake.gold.local_path(layout.gold_partition_key("movers", D2))
    assert path is not None
    table = pq.read_table(path)
    assert table.schema.names == [c for c in dataset("movers").column_names if c != "snapshot_date"]
    assert table.column("imdb_id").to_pylist() == [tt(2), tt(1)]
    # the query view puts snapshot_date back, first, as the definition says
    con_rows = lake.query("SELECT * FROM gold_movers LIMIT 0")
    assert con_rows == []
    from cinelake.query import connect

    con = connect(lake.root)
    try:
        names = [d[0] for d in con.execute("SELECT * FROM gold_movers").description]
        lists = con.execute("SELECT count(*) FROM silver_lists").fetchall()
    finally:
        con.close()
    assert names == list(dataset("movers").column_names)
    assert lists == [(2,)]
