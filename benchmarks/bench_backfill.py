"""Backfill benchmark: one day's backfill of 250 movies whose OMDb answers are cached.

Loads day 1 (uncached: every answer fetched from a local OMDb simulator), then times, in the
same process and lake:

* the measured figure: `backfill` of a folder holding day 1 and a new day 2 (the same 250
  movies, ranked differently): day 1 is skipped as unchanged, day 2 is built from the cache,
  then gold and the dashboard once;
* the baseline: the same kind of day (day 3) loaded as a plain `run --as-of`, which also
  rebuilds gold and the dashboard (what a backfill would cost per day without holding gold);
* for scale: the uncached first day, a second backfill of the same files (nothing to do), and
  five cached days by one backfill beside the same five days as five `run --as-of`.

Not a test: timings vary by machine. Run with `make bench-backfill`.

    python benchmarks/bench_backfill.py [--movies 250] [--batch-size 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cinelake.clock import SystemClock
from cinelake.config import Settings
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.observability import quiet_for_cli
from cinelake.ops.backfill import BackfillReport, backfill, scan
from cinelake.ops.runs import LocalRuntime

TARGET_S = 2.0
REPEATS = 3
KEY = "bench-key"


def day_list(movies: int, shift: int) -> dict[str, Any]:
    """The same movies every day, rotated by `shift` ranks (a chart that moved)."""
    items = synthetic.source_list(movies)["items"]
    rotated = items[shift:] + items[:shift]
    return {"items": [i | {"rank": str(r)} for r, i in enumerate(rotated, 1)], "errorMessage": ""}


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--movies", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=1)
    args = parser.parse_args()
    quiet_for_cli()
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # as the CLI does
    clock = SystemClock()
    today = clock.now().date()
    days: list[date] = [today - timedelta(days=n) for n in range(40, 0, -1)]
    sim = OmdbSimulator({}, SimulatorConfig(api_key=KEY, synthesize=True))

    with tempfile.TemporaryDirectory(prefix="cinelake-bench-") as tmp, sim.serve() as url:
        root = Path(tmp)
        folder = root / "days"
        folder.mkdir()
        settings = Settings(
            data_dir=root / "lake",
            omdb_url=url,
            omdb_api_key=KEY,
            rate_limit=0,
            top_n=args.movies,
            batch_size=args.batch_size,
        )
        runtime = LocalRuntime(settings, clock=clock)

        def load() -> BackfillReport:
            return backfill(
                runtime, scan(folder, today), top_n=args.movies, batch_size=args.batch_size
            )

        try:
            (folder / f"{days[0]}.json").write_text(json.dumps(day_list(args.movies, 0)))
            first_s, first = timed(load)
            requests_first = sim.requests
            assert [d.status for d in first.days] == ["built"]
            # Each repeat adds one new day to the folder: one built, the earlier ones unchanged.
            cached: list[float] = []
            for n in range(REPEATS):
                (folder / f"{days[1 + n]}.json").write_text(
                    json.dumps(day_list(args.movies, 7 + n))
                )
                seconds, report = timed(load)
                assert [d.status for d in report.days][-1] == "built"
                cached.append(seconds)
            again_s, again = timed(load)
            assert {d.status for d in again.days} == {"unchanged"}
            source = root / "as_of.json"
            baseline: list[float] = []
            for n in range(REPEATS):
                source.write_text(json.dumps(day_list(args.movies, 13 + n)))
                seconds, run = timed(
                    lambda day=days[10 + n]: runtime.run(
                        source=str(source), top_n=args.movies, batch_size=args.batch_size, as_of=day
                    )
                )
                assert run.complete
                baseline.append(seconds)
            for n in range(5):
                day = days[20 + n]
                (folder / f"{day}.json").write_text(json.dumps(day_list(args.movies, 17 + n)))
            five_s, five = timed(load)
            assert {d.status for d in five.days} <= {"built", "unchanged"}
            five_runs_s = 0.0
            for n in range(5):
                source.write_text(json.dumps(day_list(args.movies, 29 + n)))
                seconds, _ = timed(
                    lambda day=days[30 + n]: runtime.run(
                        source=str(source), top_n=args.movies, batch_size=args.batch_size, as_of=day
                    )
                )
                five_runs_s += seconds
            requests_cached = sim.requests - requests_first
        finally:
            runtime.queue.close()

    print(f"{args.movies} movies a day, batch size {args.batch_size}, local OMDb simulator")
    print(f"best (median) of {REPEATS} where repeated\n")
    print(f"{'what':<58}{'seconds':>16}")

    def best(times: list[float]) -> str:
        return f"{min(times):.2f} ({statistics.median(times):.2f})"

    rows = [
        ("first day, uncached (250 OMDb requests)", f"{first_s:.2f}"),
        ("baseline: a cached day as `run --as-of`", best(baseline)),
        ("one cached day by backfill", best(cached)),
        ("second backfill of every file (all unchanged)", f"{again_s:.2f}"),
        ("five cached days by one backfill (gold once)", f"{five_s:.2f}"),
        ("the same as five `run --as-of` (gold + dashboard each)", f"{five_runs_s:.2f}"),
    ]
    for label, seconds in rows:
        print(f"{label:<58}{seconds:>16}")
    print(f"\nOMDb requests after the first day: {requests_cached}")
    ok = min(cached) <= TARGET_S
    print(f"  [{'met' if ok else 'MISSED'}] one day's backfill with cached answers <= {TARGET_S} s")


if __name__ == "__main__":
    main()
