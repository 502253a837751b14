"""Budget benchmark: the OMDb plan of a big run, and a full run under a daily budget.

1. The plan for N movies (default 20,000) whose answers are in the lake's cache, half of them
   past the TTL, with the index enrich writes (one part per 100 answers, merged by day):
   `cinelake.stages.plan.plan_movies`, beside baselines measured in the same run that read and
   parse every cached answer whole, or the head of each (the plan before the index); the plan
   is checked against the one made from the answers themselves.
2. A full `cinelake run` (ingest to gold) of M movies (default 2,000; --run-movies 20000 for the
   issue's figure) against the local OMDb at fixed latency under a budget of half of them (the
   rest pending), beside the same run without a budget limit.

Not a test: timings vary by machine. Run with `make bench-budget`.

    python benchmarks/bench_budget.py [--plan-movies 20000] [--run-movies 2000] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_enrich import start_simulator, timed_run
from cinelake.bootstrap import build_local
from cinelake.clock import FakeClock
from cinelake.config import Settings
from cinelake.devtools import synthetic
from cinelake.models import SourceMovie
from cinelake.omdb.cache import cache_key
from cinelake.stages.plan import make_plan, plan_movies

TARGET_PLAN_S = 1.0
TARGET_RATE = 150.0
NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)


def seeded_lake(data_dir: Path, n: int) -> tuple[object, list[SourceMovie]]:
    settings = Settings(data_dir=data_dir, omdb_daily_budget=1000, omdb_url="http://omdb.test/")
    deps = build_local(settings, clock=FakeClock(NOW))
    movies = [SourceMovie(imdb_id=synthetic.imdb_id(i), rank=i) for i in range(1, n + 1)]
    catalog = synthetic.omdb_catalog([m.imdb_id for m in movies])
    options = deps.omdb_options()
    part: dict[str, datetime] = {}
    for n_movie, movie in enumerate(movies):
        age = timedelta(days=1 if n_movie % 2 else 10 + n_movie % 50)
        params = options.params(movie.imdb_id)
        deps.cache.put(
            movie.imdb_id,
            params,
            kind="found",
            body=catalog[movie.imdb_id],
            http_status=200,
            now=NOW - age,
            base_url=options.base_url,
        )
        part[cache_key(movie.imdb_id, params, options.base_url)] = NOW - age
        if len(part) == 100 or n_movie == n - 1:  # as enrich does: one part per invocation
            deps.cache.record_fetched(part, NOW - age)
            part = {}
    return deps, movies


def bench_plan(n: int) -> tuple[dict[str, float], dict[str, object]]:
    """Seconds by way of knowing the answers' ages, and the plan (the same for each)."""
    with tempfile.TemporaryDirectory(prefix="cinelake-bench-plan-") as tmp:
        deps, movies = seeded_lake(Path(tmp), n)
        options = deps.omdb_options()  # type: ignore[attr-defined]
        cache = deps.cache  # type: ignore[attr-defined]
        figures: dict[str, float] = {}
        started = time.perf_counter()
        for m in movies:  # the baseline: every stored answer read and parsed whole
            entry = cache.newest(m.imdb_id, options.params(m.imdb_id), base_url=options.base_url)
            assert entry is not None
        figures["baseline"] = time.perf_counter() - started
        started = time.perf_counter()
        for m in movies:  # the plan before the index: the head of every answer
            assert cache.stored_at(m.imdb_id, options.params(m.imdb_id), base_url=options.base_url)
        figures["heads"] = time.perf_counter() - started
        started = time.perf_counter()
        plan = plan_movies(deps, movies, omdb_url=options.base_url)  # type: ignore[arg-type]
        figures["plan"] = time.perf_counter() - started
        ages = {
            m.imdb_id: cache.stored_at(
                m.imdb_id, options.params(m.imdb_id), base_url=options.base_url
            )
            for m in movies
        }
        assert (
            plan.kinds
            == make_plan(
                list(ages.items()), now=NOW, ttl=timedelta(days=7), budget_left=1000, budget=1000
            ).kinds
        )
        return figures, plan.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plan-movies", type=int, default=20000)
    parser.add_argument("--run-movies", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    figures, plan = bench_plan(args.plan_movies)
    plan_s = figures["plan"]
    print(f"Plan of {args.plan_movies} movies (half past the TTL), budget 1000\n")
    print(f"{'':<52}{'seconds':>10}")
    print(f"{'baseline: read every cached answer whole':<52}{figures['baseline']:>10.3f}")
    print(f"{'read the head of every answer (before the index)':<52}{figures['heads']:>10.3f}")
    print(f"{'cinelake plan (the fetched index, no answer read)':<52}{plan_s:>10.3f}")
    print(f"  plan: {json.dumps(plan)}")

    budget = args.run_movies // 2
    with tempfile.TemporaryDirectory(prefix="cinelake-bench-budget-") as tmp:
        tmpdir = Path(tmp)
        source = tmpdir / "top.json"
        source.write_text(json.dumps(synthetic.source_list(args.run_movies)))
        sim, url = start_simulator(args.latency_ms)
        try:
            free_s, _, _ = timed_run(source, url, args.run_movies, args.concurrency, tmpdir / "a")
            budget_s, rss, out = timed_run(
                source,
                url,
                args.run_movies,
                args.concurrency,
                tmpdir / "b",
                extra=["--daily-budget", str(budget)],
            )
        finally:
            sim.terminate()
            sim.wait(timeout=10)
    rate_free = args.run_movies / free_s
    rate_budget = args.run_movies / budget_s
    print(f"\nFull run of {args.run_movies} movies, OMDb latency {args.latency_ms} ms, ")
    print(f"--concurrency {args.concurrency} --rate-limit 0\n")
    print(f"{'run':<44}{'seconds':>10}{'movies/s':>10}")
    print(f"{'baseline: budget = movies (all fetched)':<44}{free_s:>10.2f}{rate_free:>10.1f}")
    print(f"{f'--daily-budget {budget} (half pending)':<44}{budget_s:>10.2f}{rate_budget:>10.1f}")
    checks = [
        (f"plan of {args.plan_movies} movies <= {TARGET_PLAN_S:.0f} s", plan_s <= TARGET_PLAN_S),
        (f"budgeted run >= {TARGET_RATE:.0f} movies/s", rate_budget >= TARGET_RATE),
    ]
    for label, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {label}")
    print(f"  (pending in the summary: {'yes' if 'pending' in out else 'no'}; peak {rss:.0f} MiB)")


if __name__ == "__main__":
    main()
