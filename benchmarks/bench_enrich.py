"""Enrichment benchmark: a full `cinelake run` (ingest to gold) against a local OMDb at fixed latency.

Prints movies/second end to end for the concurrent pipeline and, measured in the same run, for a
one-request-at-a-time baseline (the same command with --concurrency 1), plus peak memory of the
cinelake process. Not a test: timings vary by machine. Run with `make bench-enrich`.

    python benchmarks/bench_enrich.py [--movies 2000] [--latency-ms 100] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cinelake.devtools import synthetic

TARGET_RATE = 150.0
TARGET_SPEEDUP = 15.0
TARGET_RSS_MIB = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_simulator(latency_ms: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cinelake.devtools.omdb_simulator",
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
            "--synthesize",
            "--api-key",
            "bench-key",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # it prints its URL once it listens
    return proc, f"http://127.0.0.1:{port}/"


def timed_run(
    source: Path,
    url: str,
    movies: int,
    concurrency: int,
    data_dir: Path,
    extra: list[str] | None = None,
) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MiB) of one `cinelake run` in its own process."""
    env = os.environ | {"OMDB_API_KEY": "bench-key", "LOG_LEVEL": "ERROR"}
    cmd = [
        sys.executable,
        "-m",
        "cinelake.cli",
        "run",
        "--source",
        str(source),
        "--top-n",
        str(movies),
        "--omdb-url",
        url,
        "--concurrency",
        str(concurrency),
        "--rate-limit",
        "0",
        "--data-dir",
        str(data_dir),
        # Every movie is fetched: the day's budget is not what is measured here.
        "--daily-budget",
        str(movies),
        *(extra or []),
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"cinelake run failed:\n{out}\n{err}")
    return elapsed, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--movies", type=int, default=2000)
    parser.add_argument("--baseline-movies", type=int, default=60)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cinelake-bench-") as tmp:
        tmpdir = Path(tmp)
        source = tmpdir / "top.json"
        source.write_text(json.dumps(synthetic.source_list(max(args.movies, args.baseline_movies))))
        sim, url = start_simulator(args.latency_ms)
        try:
            base_s, base_rss, _ = timed_run(
                source, url, args.baseline_movies, 1, tmpdir / "baseline"
            )
            fast_s, fast_rss, out = timed_run(
                source, url, args.movies, args.concurrency, tmpdir / "lake"
            )
        finally:
            sim.terminate()
            sim.wait(timeout=10)

    base_rate = args.baseline_movies / base_s
    rate = args.movies / fast_s
    speedup = rate / base_rate
    print(f"OMDb simulator latency {args.latency_ms} ms, rate limit off, full run ingest -> gold\n")
    print(f"{'run':<34}{'movies':>8}{'seconds':>10}{'movies/s':>10}{'peak MiB':>10}")
    print(
        f"{'baseline: --concurrency 1':<34}{args.baseline_movies:>8}{base_s:>10.2f}{base_rate:>10.1f}{base_rss:>10.0f}"
    )
    print(
        f"{f'cinelake: --concurrency {args.concurrency}':<34}{args.movies:>8}{fast_s:>10.2f}{rate:>10.1f}{fast_rss:>10.0f}"
    )
    print(f"\nspeed-up {speedup:.1f}x")
    checks = [
        (f"end to end >= {TARGET_RATE:.0f} movies/s", rate >= TARGET_RATE),
        (f">= {TARGET_SPEEDUP:.0f}x the one-at-a-time baseline", speedup >= TARGET_SPEEDUP),
        (f"peak memory < {TARGET_RSS_MIB:.0f} MiB", fast_rss < TARGET_RSS_MIB),
    ]
    for label, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {label}")
    silver = "silver rows" in out
    print(f"  (run summary {'printed' if silver else 'missing'})")


if __name__ == "__main__":
    main()
