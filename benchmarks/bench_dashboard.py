"""Benchmark: the dashboard's size and render time on big lakes.

    python benchmarks/bench_dashboard.py [--movies 20000] [--days 1095] [--seed 0]

Builds gold tables in memory and renders the page (``cinelake.dashboard.render_dashboard``):

* ``movies``: a ``top_rated`` of ``--movies`` movies (20,000; values from the synthetic OMDb
  answers of ``cinelake.devtools.synthetic``), no history;
* ``history``: ``--days`` (three years) of daily 1,000-movie lists (ranks drift, movies leave
  and come back) as gold ``movers`` and ``rank_history``, with a 1,000-movie ``top_rated``;
* ``both``: the ``--movies`` list with 30 days of ``--movies``-long daily lists.

Beside each page, the baseline measured in the same run: the same payload with every movie
row embedded (what the page held before it was bounded). Then, when Debian's chromium and the
``playwright`` package are there, each page is opened headless and its console errors counted.

Target (issue 17): <= 3 MB at 20,000 movies and at three years of history, opening without
console errors in Chromium.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    import cinelake  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import pyarrow as pa

TARGET_BYTES = 3 * 1024 * 1024
GENERATED = datetime(2026, 1, 2, 6, 30, tzinfo=UTC)
CHROMIUM = Path("/usr/bin/chromium")


def _number(text: str) -> float | None:
    digits = "".join(c for c in text if c.isdigit() or c == ".")
    return float(digits) if digits and text != "N/A" else None


def top_rated(count: int, seed: int) -> pa.Table:
    from cinelake.devtools import synthetic
    from cinelake.gold.datasets import dataset

    ds = dataset("top_rated")
    rows = []
    for i in range(1, count + 1):
        imdb = synthetic.imdb_id(i)
        a = synthetic.omdb_answer(imdb, seed=seed)
        row: dict[str, Any] = dict.fromkeys(ds.column_names)
        votes, runtime = _number(a["imdbVotes"]), _number(a["Runtime"])
        box = _number(a.get("BoxOffice", "N/A"))
        row.update(
            rank=i,
            imdb_id=imdb,
            title=a["Title"],
            year=int(a["Year"][:4]),
            imdb_rating=_number(a["imdbRating"]),
            imdb_votes=None if votes is None else int(votes),
            runtime_minutes=None if runtime is None else int(runtime),
            genres=a["Genre"],
            countries=a["Country"],
            directors=a["Director"],
            box_office_usd=None if box is None else int(box),
        )
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=ds.schema)


def history(days: int, size: int, seed: int) -> dict[str, pa.Table]:
    """Gold ``movers`` and ``rank_history`` of ``days`` daily lists of ``size`` movies."""
    from cinelake.devtools.synthetic import imdb_id

    rng = random.Random(seed)
    pool = [imdb_id(i) for i in range(1, int(size * 1.3) + 1)]
    score = {m: rng.gauss(0, 1) for m in pool}
    m_cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "snapshot_date",
            "previous_snapshot_date",
            "imdb_id",
            "title",
            "rank",
            "previous_rank",
            "rank_change",
            "status",
        )
    }
    r_cols: dict[str, list[Any]] = {k: [] for k in ("snapshot_date", "imdb_id", "title", "rank")}
    previous: dict[str, int] = {}
    previous_day: date | None = None
    for n in range(days):
        day = date(2023, 1, 1) + timedelta(days=n)
        for m in pool:
            score[m] += rng.gauss(0, 0.08)
        listed = sorted(pool, key=lambda m: -score[m])[:size]
        current = {m: i + 1 for i, m in enumerate(listed)}
        for m in listed + [m for m in previous if m not in current]:
            rank, before = current.get(m), previous.get(m)
            if rank is None:
                status = "exited"
            elif before is None:
                status = "new"
            else:
                status = "up" if rank < before else "down" if rank > before else "same"
            for key, value in (
                ("snapshot_date", day),
                ("previous_snapshot_date", previous_day),
                ("imdb_id", m),
                ("title", f"Movie {m}"),
                ("rank", rank),
                ("previous_rank", before),
                ("rank_change", None if rank is None or before is None else before - rank),
                ("status", status),
            ):
                m_cols[key].append(value)
        for m, rank in current.items():
            r_cols["snapshot_date"].append(day)
            r_cols["imdb_id"].append(m)
            r_cols["title"].append(f"Movie {m}")
            r_cols["rank"].append(rank)
        previous, previous_day = current, day
    date_types = {"snapshot_date": pa.date32(), "previous_snapshot_date": pa.date32()}
    int_types = {"rank": pa.int32(), "previous_rank": pa.int32(), "rank_change": pa.int32()}

    def table(cols: dict[str, list[Any]]) -> pa.Table:
        types = date_types | int_types
        return pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in cols.items()})

    return {"movers": table(m_cols), "rank_history": table(r_cols)}


def measure(name: str, tables: dict[str, pa.Table], out: Path) -> dict[str, Any]:
    import json

    from cinelake.dashboard import dashboard_payload, render_dashboard

    started = time.perf_counter()
    page = render_dashboard(tables, generated_at=GENERATED)
    seconds = time.perf_counter() - started
    path = out / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    total = tables["top_rated"].num_rows
    started = time.perf_counter()
    every = dashboard_payload(tables, generated_at=GENERATED, detail_movies=total)
    baseline_json = len(json.dumps(every, ensure_ascii=False, separators=(",", ":")).encode())
    baseline_s = time.perf_counter() - started
    payload = dashboard_payload(tables, generated_at=GENERATED)
    data_json = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    size = len(page.encode("utf-8"))
    return {
        "name": name,
        "path": path,
        "bytes": size,
        "seconds": seconds,
        "baseline_bytes": size - data_json + baseline_json,
        "baseline_payload_s": baseline_s,
        "history_bytes": len(json.dumps(payload["history"]).encode()) if payload["history"] else 0,
    }


def console_errors(paths: list[Path]) -> dict[Path, list[str]] | str:
    if not CHROMIUM.exists():
        return "skipped: /usr/bin/chromium is missing"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: the playwright package is not installed"
    found: dict[Path, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        for path in paths:
            errors: list[str] = []
            page = browser.new_page()
            page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text))
            page.on("pageerror", lambda x, e=errors: e.append(str(x)))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            page.close()
            found[path] = errors
        browser.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movies", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=1_095)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    big = top_rated(args.movies, args.seed)
    small = big.slice(0, 1_000)
    scenarios = {
        f"movies-{args.movies}": {"top_rated": big},
        f"history-{args.days}d-x1000": {"top_rated": small, **history(args.days, 1_000, args.seed)},
        f"both-{args.movies}-30d": {"top_rated": big, **history(30, args.movies, args.seed)},
    }
    print(f"Generated the gold tables in {time.perf_counter() - started:.1f} s\n")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        for name, tables in scenarios.items():
            results.append(measure(name, tables, Path(tmp)))
        print(
            f"{'page':<26} {'HTML MB':>8} {'history MB':>11} {'render s':>9} "
            f"{'baseline MB (every movie)':>26} {'target':>10}"
        )
        for r in results:
            ok = "ok" if r["bytes"] <= TARGET_BYTES else "MISS"
            print(
                f"{r['name']:<26} {r['bytes'] / 2**20:8.2f} {r['history_bytes'] / 2**20:11.2f} "
                f"{r['seconds']:9.2f} {r['baseline_bytes'] / 2**20:26.2f} {'<= 3 ' + ok:>10}"
            )
        errors = console_errors([r["path"] for r in results])
        print()
        if isinstance(errors, str):
            print(f"chromium console check {errors}")
        else:
            for path, found in errors.items():
                verdict = "no console errors" if not found else f"{len(found)} errors: {found[:3]}"
                print(f"chromium, {path.stem}: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
