"""The offline dashboard: one self-contained HTML file built from the gold datasets.

How the per-movie rows reach the page: the gold ``top_rated`` dataset is the movie list. It
carries everything the filters and charts need (year, ratings, votes, runtime, genres,
countries, directors as ", "-joined strings, box office, Oscars and awards), so a dashboard
needs nothing but gold. The page embeds those rows as JSON and recomputes every aggregate in
the browser under the active filters (year range, genre, country, director); the embedded
gold ``kpis`` only supply the snapshot date, and the row counts of every gold dataset are
listed in the footer. A ``movies`` argument (a table or rows with the same columns, lists
allowed) can replace ``top_rated`` as the movie list. Only the :data:`DETAIL_MOVIES` (2,000)
best-ranked rows are embedded, so the page stays a few MB however long the list is; with more,
``movies_total`` says how many there are and the page says "Showing the top K of N movies".

Safety: the data block is JSON inside ``<script type="application/json">`` with ``<``, ``>``
and ``&`` escaped as ``\\u003c`` etc., so no title can close the script tag; the page's JS only
writes untrusted strings with ``textContent``; a Content-Security-Policy forbids any network
access (everything is inlined).

History (gold ``movers`` and ``rank_history``, one Hive partition per snapshot date): the page
lets the reader pick a snapshot date, shows that day's movers against the previous snapshot,
the movies that entered in the 30 days up to it, and a rank trajectory per movie. What is
embedded is bounded however long the history grows:

* a window of the last :data:`HISTORY_WINDOW` snapshot dates (90); when the lake holds more,
  the page says "showing the last N of M snapshots";
* per window date, the movers counts by status, the :data:`LISTED_PER_DAY` (50) best-ranked
  new entries and exits, and only the :data:`TOP_MOVES` (10) biggest climbers and fallers
  (the "same" rows, and the rest, are counted, not listed);
* the "new" rows of the 30 days before the window's first date (50 a day, like the window's),
  so "entered in the last 30 days" is complete up to that cap for every date that can be picked;
* per movie present in the window (or named by the rows above), its id, title and one rank per
  window date (``null`` where it was not in the list, which the chart draws as a gap), latest
  rank first, while the rank arrays fit in :data:`TRAJECTORY_CELLS` (and, of the movies no
  list names, the first :data:`TRAJECTORY_MOVIES`); past it a named movie keeps its title with
  ``"ranks": null`` and the others are left out (the page says so).

So the history part is bounded by the window, the caps and the budget, never by the number of
snapshots or the length of the lists: three years of daily 1,000-movie lists give about 1 MB.
Without history datasets (an older lake, a first run) ``history`` is ``null`` and the page says
"no history yet".
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = [
    "HISTORY_DATASETS",
    "HISTORY_WINDOW",
    "MOVIE_FIELDS",
    "dashboard_payload",
    "history_payload",
    "read_gold_dir",
    "render_dashboard",
    "write_dashboard",
]

DEFAULT_TITLE = "cinelake"

# What the page needs per movie (columns of gold top_rated).
MOVIE_FIELDS: tuple[str, ...] = (
    "rank",
    "imdb_id",
    "title",
    "year",
    "imdb_rating",
    "imdb_votes",
    "metascore",
    "rotten_tomatoes",
    "runtime_minutes",
    "genres",
    "countries",
    "directors",
    "box_office_usd",
    "oscar_wins",
    "oscar_nominations",
    "award_wins",
    "award_nominations",
)
_LIST_FIELDS = frozenset({"genres", "countries", "directors"})

# The gold datasets holding every snapshot (one Hive partition per date), read whole.
HISTORY_DATASETS: tuple[str, ...] = ("movers", "rank_history")
HISTORY_WINDOW = 90  # snapshot dates embedded in the page
TOP_MOVES = 10  # climbers and fallers listed per date
DETAIL_MOVIES = 2_000  # movie rows embedded (the best-ranked); the page says when there are more
LISTED_PER_DAY = 50  # new entries and exits listed per date (best rank first); all are counted
TRAJECTORY_CELLS = 120_000  # rank values embedded over all trajectories
TRAJECTORY_MOVIES = 2_000  # movies with a trajectory beyond those the movers lists name
ENTERED_DAYS = 30  # "entered in the last 30 days"
_STATUSES = ("new", "up", "down", "same", "exited")
_PLACEHOLDER = re.compile(r"\{\{(TITLE|CSS|JS|DATA)\}\}")


# --------------------------------------------------------------------------------------------
# Payload
# --------------------------------------------------------------------------------------------


def _best_ranked(
    source: pa.Table | Iterable[Mapping[str, Any]], limit: int
) -> tuple[list[Mapping[str, Any]], int]:
    """The ``limit`` rows of smallest ``rank`` (rows without one after, in their order) and
    how many rows there are: the page embeds these, never the whole list."""
    if isinstance(source, pa.Table):
        total = source.num_rows
        if total > limit and "rank" in source.column_names:
            order = pc.sort_indices(source, sort_keys=[("rank", "ascending")])  # nulls last
            source = source.take(order.slice(0, limit))
        return source.slice(0, limit).to_pylist(), total
    rows = list(source)
    if len(rows) > limit:
        position = sorted(
            range(len(rows)),
            key=lambda i: (rows[i].get("rank") is None, rows[i].get("rank") or 0, i),
        )
        rows = [rows[i] for i in position[:limit]]
        return rows, len(position)
    return rows, len(rows)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(", ")
    return [str(v).strip() for v in value if v is not None and str(v).strip()]


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _movie(row: Mapping[str, Any], index: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in MOVIE_FIELDS:
        value = row.get(name)
        out[name] = _as_list(value) if name in _LIST_FIELDS else _scalar(value)
    if out["rank"] is None:
        out["rank"] = index + 1
    return out


def _first_row(table: pa.Table | None) -> dict[str, Any] | None:
    if table is None or table.num_rows == 0:
        return None
    return {k: _scalar(v) for k, v in table.slice(0, 1).to_pylist()[0].items()}


def _snapshot_date(tables: Mapping[str, pa.Table], movies: list[Mapping[str, Any]]) -> str | None:
    kpis = _first_row(tables.get("kpis"))
    if kpis and kpis.get("snapshot_date"):
        return str(kpis["snapshot_date"])
    dates = [_scalar(m.get("snapshot_date")) for m in movies if m.get("snapshot_date")]
    return str(max(dates)) if dates else None


def dashboard_payload(
    tables: Mapping[str, pa.Table],
    *,
    generated_at: datetime,
    movies: pa.Table | Iterable[Mapping[str, Any]] | None = None,
    history_window: int = HISTORY_WINDOW,
    detail_movies: int = DETAIL_MOVIES,
) -> dict[str, Any]:
    """The JSON document embedded in the page (also handy for tests).

    At most ``detail_movies`` movie rows (the best-ranked) are embedded; ``movies_total`` says
    how many the list holds, so the page can say it shows a subset."""
    if movies is None:
        top = tables.get("top_rated")
        source_rows, total = _best_ranked(top, detail_movies) if top is not None else ([], 0)
    else:
        source_rows, total = _best_ranked(movies, detail_movies)
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    return {
        "meta": {
            "generated_at": generated_at.isoformat(),
            "generated_at_display": generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "snapshot_date": _snapshot_date(tables, source_rows),
            "freshness": freshness_text(_first_row(tables.get("kpis"))),
        },
        "datasets": {name: table.num_rows for name, table in tables.items()},
        "kpis": _first_row(tables.get("kpis")),
        "movies": [_movie(row, i) for i, row in enumerate(source_rows)],
        "movies_total": total,
        "history": history_payload(tables, window=history_window),
        "quality": quality_payload(tables, window=history_window),
    }


def quality_payload(tables: Mapping[str, pa.Table], *, window: int = HISTORY_WINDOW) -> Any:
    """The data-quality panel: the latest snapshot's verdict and the checks that did not pass
    (gold ``data_quality``, ``data_quality_checks``), and one verdict per snapshot over the
    last ``window`` snapshots. None when gold has no verdict (an older lake)."""
    verdicts = tables.get("data_quality")
    if verdicts is None or verdicts.num_rows == 0:
        return None
    rows = sorted(verdicts.to_pylist(), key=lambda r: _iso_date(r["snapshot_date"]))
    latest = rows[-1]
    day = _iso_date(latest["snapshot_date"])
    checks = tables.get("data_quality_checks")
    from cinelake.quality import CHECKS

    directions = {c.name: c.direction for c in CHECKS}
    failing = [
        {k: _scalar(c[k]) for k in ("check", "value", "threshold", "status")}
        | {"direction": directions.get(c["check"], "past")}
        for c in (checks.to_pylist() if checks is not None else [])
        if _iso_date(c["snapshot_date"]) == day and c["status"] != "pass"
    ]
    return {
        "snapshot_date": day,
        "status": latest["status"],
        "counts": {
            k: _scalar(latest[k])
            for k in (
                "movies_expected",
                "source_movies",
                "silver_rows",
                "quarantined",
                "not_found",
                "dead_lettered",
                "pending",
                "stale",
            )
        },
        "failing": failing,
        "snapshot_count": len(rows),
        "trend": [[_iso_date(r["snapshot_date"]), r["status"]] for r in rows[-max(1, window) :]],
    }


def freshness_text(kpis: Mapping[str, Any] | None) -> str | None:
    """How fresh the snapshot's OMDb answers are, for the header (gold ``kpis``); None when
    gold predates the freshness columns."""
    if not kpis or kpis.get("stale_movies") is None or kpis.get("pending_movies") is None:
        return None
    stale, pending = int(kpis["stale_movies"]), int(kpis["pending_movies"])
    text = (
        "all answers fresh" if not stale and not pending else f"{stale} stale · {pending} pending"
    )
    oldest = kpis.get("oldest_answer_date")
    if oldest is not None and (stale or pending):
        text += f" · oldest answer {_scalar(oldest)}"
    return text


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------


def _iso_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def _history_table(tables: Mapping[str, pa.Table], name: str) -> pa.Table | None:
    table = tables.get(name)
    if table is None or table.num_rows == 0 or "snapshot_date" not in table.column_names:
        return None
    return table


def _on_dates(table: pa.Table, dates: set[str]) -> pa.Table:
    """The rows of ``table`` whose snapshot date (as ISO text) is in ``dates``.

    Filtered in Arrow: the history can hold millions of rows, the page a window of them.
    """
    column = table.column("snapshot_date")
    wanted = [v for v in pc.unique(column).to_pylist() if v is not None and _iso_date(v) in dates]
    if not wanted:
        return table.slice(0, 0)
    return table.filter(pc.is_in(column, value_set=pa.array(wanted, type=column.type)))


def _records(table: pa.Table, columns: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts with ``snapshot_date`` (and ``previous_snapshot_date``) as ISO text."""
    present = [c for c in columns if c in table.column_names]
    data = table.select(present).to_pydict()
    for name in ("snapshot_date", "previous_snapshot_date"):
        if name in data:
            iso = {v: _iso_date(v) for v in set(data[name]) if v is not None}
            data[name] = [None if v is None else iso[v] for v in data[name]]
    return [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]


def _positioned(table: pa.Table, dates: list[str]) -> pa.Table:
    """``imdb_id, title, rank, pos`` of the ranked rows (``pos``: index of the row's date in
    ``dates``); rows without an id or a rank are left out."""
    day = table.column("snapshot_date")
    if not pa.types.is_string(day.type):
        day = day.cast(pa.string())
    pos = pc.index_in(pc.utf8_slice_codeunits(day, 0, 10), value_set=pa.array(dates))
    title = (
        table.column("title").cast(pa.string())
        if "title" in table.column_names
        else pa.nulls(table.num_rows, pa.string())
    )
    out = pa.table(
        {
            "imdb_id": table.column("imdb_id").cast(pa.string()),
            "title": title,
            "rank": table.column("rank").cast(pa.int64()),
            "pos": pos.cast(pa.int64()),
        }
    )
    return out.filter(
        pc.and_(
            pc.and_(pc.is_valid(out.column("imdb_id")), pc.is_valid(out.column("rank"))),
            pc.is_valid(out.column("pos")),
        )
    )


def _rank_summary(ranked: pa.Table, last: int) -> dict[str, list[Any]]:
    """Per movie: ``imdb_id``, its ``latest`` rank (on the window's last date, else None), its
    ``best`` rank, the ``first`` and ``last`` positions it has a rank on, and its ``title`` (the
    latest one given). Grouped by DuckDB: the window of a long list has millions of rows."""
    import duckdb

    with duckdb.connect() as con:
        con.register("ranked", ranked)
        return (
            con.sql(
                "SELECT imdb_id, max(rank) FILTER (WHERE pos = $last) AS latest, min(rank) AS best, "
                "min(pos) AS first, max(pos) AS last, "
                "arg_max(title, pos) FILTER (WHERE title IS NOT NULL) AS title "
                "FROM ranked GROUP BY imdb_id",
                params={"last": last},
            )
            .to_arrow_table()
            .to_pydict()
        )


def _ranks_of(ranked: pa.Table, ids: list[str]) -> dict[str, dict[int, int]]:
    """{imdb id: {position: rank}} of the movies ``ids``."""
    if not ids:
        return {}
    rows = ranked.filter(pc.is_in(ranked.column("imdb_id"), value_set=pa.array(ids))).sort_by("pos")
    out: dict[str, dict[int, int]] = {}
    data = rows.select(["imdb_id", "pos", "rank"]).to_pydict()
    for imdb_id, pos, rank in zip(data["imdb_id"], data["pos"], data["rank"], strict=True):
        out.setdefault(imdb_id, {})[pos] = rank
    return out


def _listed_movers(rows: pa.Table) -> pa.Table:
    """The movers rows the page can list: per date, the :data:`LISTED_PER_DAY` best-ranked
    ``new`` and ``exited`` rows and the :data:`TOP_MOVES` biggest ``up`` and ``down`` moves, in
    the orders the page lists them (ties by imdb_id); rows without an id or a known status are
    left out. The page sorts and caps these again: this only keeps the rest from Python."""
    import duckdb

    statuses = ", ".join(f"'{s}'" for s in _STATUSES)
    columns = set(rows.column_names)

    def col(name: str) -> str:
        return f'"{name}"' if name in columns else "NULL"

    with duckdb.connect() as con:
        con.register("movers", rows)
        return con.sql(
            f"""SELECT * FROM movers
            WHERE imdb_id IS NOT NULL AND status IN ({statuses})
            QUALIFY CASE status
              WHEN 'new' THEN row_number() OVER (PARTITION BY snapshot_date, status
                ORDER BY {col("rank")} NULLS LAST, imdb_id) <= {LISTED_PER_DAY}
              WHEN 'exited' THEN row_number() OVER (PARTITION BY snapshot_date, status
                ORDER BY {col("previous_rank")} NULLS LAST, imdb_id) <= {LISTED_PER_DAY}
              WHEN 'up' THEN row_number() OVER (PARTITION BY snapshot_date, status
                ORDER BY {col("rank_change")} DESC NULLS LAST, coalesce({col("rank")}, 0),
                imdb_id) <= {TOP_MOVES}
              WHEN 'down' THEN row_number() OVER (PARTITION BY snapshot_date, status
                ORDER BY {col("rank_change")} ASC NULLS LAST, coalesce({col("rank")}, 0),
                imdb_id) <= {TOP_MOVES}
              ELSE true END"""
        ).to_arrow_table()


def _all_dates(table: pa.Table | None) -> set[str]:
    if table is None:
        return set()
    values = pc.unique(table.column("snapshot_date")).to_pylist()
    return {_iso_date(v) for v in values if v is not None}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def history_payload(
    tables: Mapping[str, pa.Table], *, window: int = HISTORY_WINDOW
) -> dict[str, Any] | None:
    """The bounded history block of the page (see the module docstring), ``None`` without any.

    Ranks come from gold ``rank_history``, or from the ranked ``movers`` rows when only that
    dataset exists; movers lists and counts come from gold ``movers`` only.
    """
    movers = _history_table(tables, "movers")
    ranked = _history_table(tables, "rank_history")
    every = sorted(_all_dates(movers) | _all_dates(ranked))
    if not every:
        return None
    dates = every[-max(1, window) :]
    position = {d: i for i, d in enumerate(dates)}
    lead_from = date.fromisoformat(dates[0]) - timedelta(days=ENTERED_DAYS)
    lead = {d for d in every if lead_from < date.fromisoformat(d) < date.fromisoformat(dates[0])}

    titles: dict[str, str] = {}
    rank_source = ranked if ranked is not None else movers
    assert rank_source is not None
    in_ranks = _positioned(_on_dates(rank_source, set(dates)), dates)
    summary = _rank_summary(in_ranks, len(dates) - 1)
    for imdb_id, title in zip(summary["imdb_id"], summary["title"], strict=True):
        if title is not None:
            titles[imdb_id] = str(title)

    days: list[dict[str, Any]] = [
        {"date": d, "previous": dates[i - 1] if i else None, "counts": None}
        for i, d in enumerate(dates)
    ]
    entries: list[tuple[str, str, int | None]] = []
    if movers is not None and "status" in movers.column_names:
        for day in days:
            day.update(new=[], exited=[], up=[], down=[])
        in_window = _on_dates(movers, set(dates))
        keys = [k for k in ("snapshot_date", "previous_snapshot_date") if k in movers.column_names]
        counted = in_window.group_by([*keys, "status"]).aggregate([("status", "count")])
        for row in _records(counted, [*keys, "status", "status_count"]):
            day = days[position[row["snapshot_date"]]]
            if day["counts"] is None:  # a date the movers dataset has
                day["counts"] = dict.fromkeys(_STATUSES, 0)
            day["previous"] = row.get("previous_snapshot_date")
            if row["status"] in _STATUSES:
                day["counts"][row["status"]] += row["status_count"]
        # "same" rows are only counted; lead-in days only give their entries; of the rest only
        # what the page lists (the caps below) leaves Arrow
        listed = _listed_movers(
            pa.concat_tables(
                [
                    in_window.filter(pc.field("status") != "same"),
                    _on_dates(movers, lead).filter(pc.field("status") == "new"),
                ]
            )
        )
        mover_rows = _records(
            listed,
            [
                "snapshot_date",
                "previous_snapshot_date",
                "imdb_id",
                "title",
                "rank",
                "previous_rank",
                "rank_change",
                "status",
            ],
        )
        for row in mover_rows:
            imdb_id, status, d = row["imdb_id"], row.get("status"), row["snapshot_date"]
            if imdb_id is None or status not in _STATUSES:
                continue
            first = row.get("previous_snapshot_date") is None  # the lake's first snapshot
            if status == "new" and not first:
                entries.append((d, imdb_id, _int(row.get("rank"))))
            if row.get("title") is not None:
                titles.setdefault(imdb_id, str(row["title"]))
            if d not in position:
                continue
            day = days[position[d]]
            rank, prev, change = (
                _int(row.get("rank")),
                _int(row.get("previous_rank")),
                _int(row.get("rank_change")),
            )
            if status == "new" and not first:
                day["new"].append((imdb_id, rank))
            elif status == "exited":
                day["exited"].append((imdb_id, prev))
            elif status in ("up", "down") and change is not None:
                day[status].append((imdb_id, rank, prev, change))
        for day in days:
            day["new"].sort(key=lambda e: (e[1] is None, e[1] or 0, e[0]))
            day["exited"].sort(key=lambda e: (e[1] is None, e[1] or 0, e[0]))
            day["up"].sort(key=lambda e: (-e[3], e[1] or 0, e[0]))
            day["down"].sort(key=lambda e: (e[3], e[1] or 0, e[0]))
            day["up"], day["down"] = day["up"][:TOP_MOVES], day["down"][:TOP_MOVES]
            day["new"] = day["new"][:LISTED_PER_DAY]
            day["exited"] = day["exited"][:LISTED_PER_DAY]

    # "Entered in the last 30 days": the best-ranked LISTED_PER_DAY entries of each date.
    entries.sort(key=lambda e: (e[0], e[2] is None, e[2] or 0, e[1]))
    per_date: dict[str, int] = {}
    kept_entries = []
    for entry in entries:
        per_date[entry[0]] = per_date.get(entry[0], 0) + 1
        if per_date[entry[0]] <= LISTED_PER_DAY:
            kept_entries.append(entry)
    entries = kept_entries

    # One entry per movie the page can name; index order = latest rank first, then best rank.
    # Every movie a list above names is kept; the others (present in the window only) while
    # their rank arrays fit in TRAJECTORY_CELLS, so the block is bounded however long the
    # lists are. A named movie past the budget keeps its title, with "ranks": null.
    referenced = {e[1] for e in entries}
    for day in days:
        for key in ("new", "exited", "up", "down"):
            referenced.update(e[0] for e in day.get(key, ()))
    # per movie with a rank in the window: (latest rank or None, best rank, first, last date)
    spans = {
        imdb_id: (latest, best, first, last)
        for imdb_id, latest, best, first, last in zip(
            summary["imdb_id"],
            summary["latest"],
            summary["best"],
            summary["first"],
            summary["last"],
            strict=True,
        )
    }
    named = set(spans) | referenced

    def order(imdb_id: str) -> tuple[Any, ...]:
        latest, best, _, _ = spans.get(imdb_id, (None, math.inf, 0, -1))
        return (latest is None, latest or 0, best, titles.get(imdb_id, imdb_id), imdb_id)

    budget, extra = TRAJECTORY_CELLS, 0
    chosen: list[tuple[str, int, int, bool]] = []  # id, start, stop, ranks embedded
    for imdb_id in sorted(named, key=order):
        _, _, first, last_seen = spans.get(imdb_id, (None, None, 0, -1))
        start, stop = first, last_seen + 1
        embedded = stop - start <= budget
        if imdb_id not in referenced:
            if not embedded or extra >= TRAJECTORY_MOVIES:
                continue
            extra += 1
        if embedded:
            budget -= stop - start
        chosen.append((imdb_id, start, stop, embedded))
    ranks = _ranks_of(in_ranks, [c[0] for c in chosen if c[3]])
    movies = []
    for imdb_id, start, stop, embedded in chosen:
        seen = ranks.get(imdb_id, {})
        movies.append(
            {
                "imdb_id": imdb_id,
                "title": titles.get(imdb_id, imdb_id),
                # ranks over dates[start:stop]; outside that span, and on null, not listed;
                # None: this movie's ranks are not embedded (past TRAJECTORY_CELLS)
                "from": start,
                "ranks": [seen.get(j) for j in range(start, stop)] if embedded else None,
            }
        )
    index = {c[0]: i for i, c in enumerate(chosen)}
    for day in days:
        for key in ("new", "exited", "up", "down"):
            if key in day:
                day[key] = [[index[e[0]], *e[1:]] for e in day[key]]
    return {
        "snapshot_count": len(every),
        "window": max(1, window),
        "entered_days": ENTERED_DAYS,
        "top_moves": TOP_MOVES,
        "listed_per_day": LISTED_PER_DAY,
        "movies_in_window": len(named),
        "trajectories": sum(m["ranks"] is not None for m in movies),
        "dates": dates,
        "days": days,
        "entries": [[d, index[i], r] for d, i, r in entries],
        "movies": movies,
    }


def _script_json(payload: Any) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' survive literally."""
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("cinelake.dashboard").joinpath(name).read_text(encoding="utf-8")


def render_dashboard(
    tables: Mapping[str, pa.Table],
    *,
    generated_at: datetime,
    movies: pa.Table | Iterable[Mapping[str, Any]] | None = None,
    title: str = DEFAULT_TITLE,
) -> str:
    """One self-contained, offline HTML page for the gold ``tables`` ({dataset name: table}).

    The movie list is ``tables["top_rated"]`` unless ``movies`` is given. Missing or empty
    tables give the page's "no data" state instead of an error.
    """
    css, js = _asset("dashboard.css"), _asset("dashboard.js")
    if "</style" in css.lower() or "</script" in js.lower():
        raise ValueError("dashboard assets must not contain closing style/script tags")
    values = {
        "TITLE": html.escape(title),
        "CSS": css,
        "JS": js,
        "DATA": _script_json(dashboard_payload(tables, generated_at=generated_at, movies=movies)),
    }
    # One pass: replaced text is never scanned again, so data cannot inject a placeholder.
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _asset("template.html"))


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _dataset_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.parquet"))
    if files:
        return files
    nested = sorted(p for p in folder.rglob("*.parquet") if p.is_file())
    if not nested:
        return []
    last = max(p.parent for p in nested)  # e.g. snapshot_date=YYYY-MM-DD sorts by date
    return [p for p in nested if p.parent == last]


def read_gold_dir(gold_dir: Path) -> dict[str, pa.Table]:
    """Gold tables found under ``gold_dir``: ``<dataset>/*.parquet`` for every known dataset.

    The history datasets (:data:`HISTORY_DATASETS`) are read whole, every
    ``snapshot_date=YYYY-MM-DD/`` partition, with the date taken from the path.

    When a dataset folder has no Parquet file directly inside it, the files of its
    lexicographically last sub-folder holding Parquet are used (e.g. the latest
    ``snapshot_date=YYYY-MM-DD/``). Datasets without files are left out.
    """
    from cinelake.gold.datasets import DATASETS  # local: the dashboard needs gold only here

    tables: dict[str, pa.Table] = {}
    names = [ds.name for ds in DATASETS]
    for name in names + [n for n in HISTORY_DATASETS if n not in names]:
        folder = Path(gold_dir) / name
        if name in HISTORY_DATASETS:
            history = _read_history(folder)
            if history is not None:
                tables[name] = history
            continue
        files = _dataset_files(folder)
        if not files:
            continue
        parts = [pq.read_table(f) for f in files]
        table = parts[0] if len(parts) == 1 else pa.concat_tables(parts, promote_options="default")
        tables[name] = table
    return tables


_PARTITION = re.compile(r"snapshot_date=\d{4}-\d{2}-\d{2}")


def _read_history(folder: Path) -> pa.Table | None:
    """Every snapshot of a history dataset, ``snapshot_date`` taken from the Hive path when the
    files do not carry it. Folders that are not a date partition are ignored."""
    if not folder.is_dir():
        return None
    files = sorted(
        f
        for f in folder.rglob("*.parquet")
        if f.is_file() and (f.parent == folder or _PARTITION.fullmatch(f.parent.name))
    )
    if not files:
        return None
    # DuckDB reads the partitions in parallel; pyarrow.dataset would import pandas (~0.6 s).
    import duckdb

    in_files = "snapshot_date" in pq.read_schema(files[0]).names
    listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    options = (
        ""
        if in_files
        else ", hive_partitioning = true, hive_types = {'snapshot_date': DATE}, "
        "hive_types_autocast = false"
    )
    with duckdb.connect() as con:
        rel = con.sql(f"SELECT * FROM read_parquet([{listed}], union_by_name = true{options})")
        return rel.to_arrow_table()


def write_dashboard(
    gold_dir: Path,
    output: Path,
    movies: pa.Table | None = None,
    *,
    generated_at: datetime,
    title: str = DEFAULT_TITLE,
) -> Path:
    """Render the dashboard from the gold Parquet files under ``gold_dir`` into ``output``.

    The per-movie rows come from gold ``top_rated`` unless ``movies`` is given.
    """
    page = render_dashboard(
        read_gold_dir(gold_dir),
        generated_at=generated_at,
        movies=movies,
        title=title,
    )
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    return output
