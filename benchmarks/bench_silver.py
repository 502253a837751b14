"""Benchmark: the silver build (DuckDB, set-wise) against a pandas reference.

    python benchmarks/bench_silver.py [--records 100000] [--seed 0]

Generates ``--records`` bronze lines (realistic OMDb answers from
``cinelake.devtools.synthetic``, plus the usual mess: not-found answers, at-least-once
duplicates, a few garbage values and unknown keys) into NDJSON files of 1,000 lines --
one file per enrich invocation, the way bronze arrives. Then, each in a fresh child
process:

* ``silver``: ``build_silver`` once to warm up, then timed runs (the second run overall
  is the headline figure; ``--repeats`` more show the spread on a busy machine), then
  the Parquet write of its tables (timed separately);
* ``silver-cold``: a single ``build_silver`` in a new process (peak memory of one build);
* ``reference``: the naive method -- ``json.loads`` per line, nested dicts flattened with
  ``pandas.json_normalize``, keys lowercased, one DataFrame written as CSV (also warmed
  up once, then timed).

Peak memory is the child's maximum resident set size, taken from the rusage the kernel
reports for exactly that child when it is reaped (``os.wait4``; the same figure as
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``, but per child): DuckDB and Arrow
allocate natively, so ``tracemalloc`` would miss most of it.

Targets (issue 4): the silver build from 100,000 records in <= 3 s warm and <= 300 MiB
peak on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
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

TARGET_SECONDS = 3.0
TARGET_MIB = 300.0
LINES_PER_FILE = 1_000
SNAPSHOT = date(2026, 11, 29)
RUN_ID = "20261129T030000Z-1a2b3c"
FETCHED_AT = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


# --------------------------------------------------------------------------------------
# Bronze generation
# --------------------------------------------------------------------------------------


def _synthetic() -> tuple[Any, Any]:
    """The shared generator if present; a small local one otherwise."""
    try:
        from cinelake.devtools.synthetic import imdb_id, omdb_answer
    except ImportError:
        return _local_imdb_id, _local_omdb_answer
    return imdb_id, omdb_answer


def _local_imdb_id(n: int) -> str:
    return f"tt{n:07d}"


def _local_omdb_answer(imdb: str, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(f"{imdb}:{seed}")
    year = rng.randint(1920, 2024)
    return {
        "Title": rng.choice(["Léon", "千と千尋の神隠し", "The Godfather", "=Equals"]),
        "Year": str(year),
        "Rated": "R",
        "Released": f"{rng.randint(1, 28):02d} Oct {year}",
        "Runtime": f"{rng.randint(70, 200)} min",
        "Genre": "Crime, Drama",
        "Director": "Francis Ford Coppola",
        "Writer": "Mario Puzo (screenplay by), Francis Ford Coppola (screenplay by)",
        "Actors": "Marlon Brando, Al Pacino, James Caan",
        "Plot": "A plot that is about as long as an OMDb short plot usually is, give or take.",
        "Language": "English, Italian",
        "Country": "United States",
        "Awards": "Won 3 Oscars. 31 wins & 31 nominations total",
        "Poster": f"https://m.media-amazon.com/images/M/{imdb}._V1_SX300.jpg",
        "Ratings": [{"Source": "Internet Movie Database", "Value": "9.2/10"}],
        "Metascore": str(rng.randint(20, 100)),
        "imdbRating": "9.2",
        "imdbVotes": f"{rng.randint(10, 3_000_000):,}",
        "imdbID": imdb,
        "Type": "movie",
        "DVD": "N/A",
        "BoxOffice": f"${rng.randint(20_000, 900_000_000):,}",
        "Production": "N/A",
        "Website": "N/A",
        "Response": "True",
    }


_GARBAGE = (
    ("Runtime", "1 h 30 min"),
    ("imdbRating", "11.2"),
    ("imdbVotes", "12a"),
    ("Released", "32 Foo 1999"),
    ("BoxOffice", "-$5"),
)


def bronze_lines(records: int, seed: int) -> list[str]:
    """``records`` bronze lines: ~2% not found, ~1% delivered twice, ~0.5% garbage."""
    make_id, make_answer = _synthetic()
    rng = random.Random(seed)
    lines: list[str] = []
    rank = 0
    while len(lines) < records:
        rank += 1
        ident = make_id(rank)
        roll = rng.random()
        if roll < 0.02:
            status = "not_found"
            response: dict[str, Any] = {"Response": "False", "Error": "Incorrect IMDb ID."}
        else:
            status = "found"
            response = make_answer(ident, seed=seed)
            if roll > 0.995:
                key, value = rng.choice(_GARBAGE)
                response[key] = value
            elif roll > 0.994:
                response["Awards2"] = "drift"
        fetched = FETCHED_AT + timedelta(milliseconds=rank)
        line = {
            "bronze_version": 1,
            "run_id": RUN_ID,
            "snapshot_date": SNAPSHOT.isoformat(),
            "imdb_id": ident,
            "status": status,
            "source": {
                "id": ident,
                "rank": str(rank),
                "title": response.get("Title", ""),
                "fullTitle": f"{response.get('Title', '')} ({response.get('Year', '')})",
                "year": str(response.get("Year", ""))[:4],
                "image": "",
                "crew": response.get("Director", ""),
                "imDbRating": response.get("imdbRating", ""),
                "imDbRatingCount": str(response.get("imdbVotes", "")).replace(",", ""),
            },
            "fetch": {
                "fetched_at": fetched.isoformat(),
                "omdb_url": f"https://www.omdbapi.com/?i={ident}&plot=short",
                "http_status": 200,
                "attempts": 1,
                "elapsed_ms": round(rng.uniform(40, 400), 1),
                "cache_hit": False,
            },
            "response": response,
        }
        lines.append(json.dumps(line, ensure_ascii=False))
        if rng.random() < 0.01 and len(lines) < records:  # at-least-once delivery
            line["fetch"]["fetched_at"] = (fetched + timedelta(seconds=30)).isoformat()
            lines.append(json.dumps(line, ensure_ascii=False))
    return lines


def write_bronze(directory: Path, records: int, seed: int) -> list[Path]:
    lines = bronze_lines(records, seed)
    paths = []
    for start in range(0, len(lines), LINES_PER_FILE):
        path = directory / f"bronze-{start // LINES_PER_FILE:05d}.ndjson"
        path.write_text("\n".join(lines[start : start + LINES_PER_FILE]) + "\n", "utf-8")
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------
# Children: each measurement runs in its own process
# --------------------------------------------------------------------------------------


def _files(data: Path) -> list[Path]:
    return sorted(data.glob("*.ndjson"))


def child_silver(data: Path, warm: bool, repeats: int) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from cinelake.silver.transform import build_silver

    files = _files(data)
    ingested = datetime.now(UTC)
    if warm:
        build_silver(files, snapshot_date=SNAPSHOT, ingested_at=ingested)
    walls: list[float] = []
    cpus: list[float] = []
    result = None
    for _ in range(repeats if warm else 1):
        result = None  # the previous result is gone before the next build, as in a Lambda
        started, cpu = time.perf_counter(), time.process_time()
        result = build_silver(files, snapshot_date=SNAPSHOT, ingested_at=ingested)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    out: dict[str, Any] = {
        "build_s": walls[0],
        "build_cpu_s": cpus[0],
        "build_runs_s": walls,
        "movies": result.movies.num_rows,
        "quarantine": result.quarantine.num_rows,
        "not_found": len(result.not_found),
        "records_read": result.records_read,
    }
    if warm:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            pq.write_table(result.movies, Path(tmp) / "movies.parquet", compression="zstd")
            pq.write_table(result.quarantine, Path(tmp) / "quarantine.parquet")
            out["write_s"] = time.perf_counter() - started
            out["parquet_mib"] = (Path(tmp) / "movies.parquet").stat().st_size / 2**20
    return out


def _reference_once(files: list[Path], out: Path) -> None:
    import pandas as pd

    records = []
    for path in files:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    records.append(json.loads(line))
    frame = pd.json_normalize(records)
    frame.columns = [c.lower() for c in frame.columns]
    frame.to_csv(out, index=False)


def child_reference(data: Path) -> dict[str, float]:
    files = _files(data)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "movies.csv"
        _reference_once(files, out)  # warm-up, like the silver run
        started, cpu = time.perf_counter(), time.process_time()
        _reference_once(files, out)
        return {
            "total_s": time.perf_counter() - started,
            "total_cpu_s": time.process_time() - cpu,
            "csv_mib": out.stat().st_size / 2**20,
        }


def run_child(mode: str, data: Path, repeats: int = 1) -> tuple[dict[str, Any], float]:
    """Run one measurement in a fresh process: (its report, its peak RSS in MiB)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--data",
            str(data),
            "--repeats",
            str(repeats),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    report = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child {mode!r} failed with exit code {proc.returncode}")
    return json.loads(report), usage.ru_maxrss / 1024  # Linux reports KiB


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", choices=("silver", "silver-cold", "reference"))
    parser.add_argument("--data", type=Path)
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="warm runs timed after the warm-up (the first is the headline figure)",
    )
    args = parser.parse_args(argv)

    if args.child:
        if args.child == "reference":
            report = child_reference(args.data)
        else:
            report = child_silver(args.data, args.child == "silver", args.repeats)
        print(json.dumps(report))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-silver-") as tmp:
        data = Path(tmp)
        started = time.perf_counter()
        files = write_bronze(data, args.records, args.seed)
        size = sum(p.stat().st_size for p in files) / 2**20
        print(
            f"generated {args.records:,} bronze lines in {len(files)} files "
            f"({size:.0f} MiB) in {time.perf_counter() - started:.1f} s; "
            f"{os.cpu_count()} CPUs"
        )
        silver, silver_mib = run_child("silver", data, max(args.repeats, 1))
        _, cold_mib = run_child("silver-cold", data)
        reference, reference_mib = run_child("reference", data)

    n = args.records
    build_s, write_s = silver["build_s"], silver["write_s"]
    ours_s = build_s + write_s
    ref_s = reference["total_s"]
    rows = [
        ("silver build (DuckDB), warm", build_s, silver["build_cpu_s"], silver_mib),
        ("silver build, single run in a new process", None, None, cold_mib),
        ("Parquet write of the silver tables", write_s, None, None),
        ("silver build + Parquet write", ours_s, None, silver_mib),
        (
            "reference: json.loads + json_normalize + CSV",
            ref_s,
            reference["total_cpu_s"],
            reference_mib,
        ),
    ]

    def cell(value: float | None, fmt: str, width: int) -> str:
        return format(value, fmt) if value is not None else "-".rjust(width)

    print()
    print(f"{'method':46s} {'seconds':>8s} {'cpu s':>7s} {'peak MiB':>9s} {'records/s':>10s}")
    print("-" * 84)
    for name, seconds, cpu, mib in rows:
        rate = n / seconds if seconds else None
        print(
            f"{name:46s} {cell(seconds, '8.2f', 8)} {cell(cpu, '7.2f', 7)} "
            f"{cell(mib, '9.0f', 9)} {cell(rate, '10,.0f', 10)}"
        )
    print()
    print(
        "(seconds are wall-clock; cpu s is the process CPU time over all its threads; "
        f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(
        f"silver: {silver['movies']:,.0f} movies, {silver['quarantine']:,.0f} quarantined, "
        f"{silver['not_found']:,.0f} not found, {silver['records_read']:,.0f} lines read; "
        f"Parquet {silver['parquet_mib']:.1f} MiB vs CSV {reference['csv_mib']:.1f} MiB"
    )
    print(
        f"speed-up vs reference: {ref_s / ours_s:.1f}x end to end (build + write), "
        f"{ref_s / build_s:.1f}x build only; the reference peaks at {reference_mib / silver_mib:.1f}x the memory"
    )
    runs = silver["build_runs_s"]
    median = statistics.median(runs)
    print(
        "warm build runs: "
        + ", ".join(f"{r:.2f}" for r in runs)
        + f" s (first {runs[0]:.2f}, median {median:.2f}, best {min(runs):.2f})"
    )
    peak = max(silver_mib, cold_mib)
    time_ok = build_s <= TARGET_SECONDS
    mem_ok = peak <= TARGET_MIB
    print(
        f"target build <= {TARGET_SECONDS:.0f} s warm: {'MET' if time_ok else 'NOT MET'} "
        f"({build_s:.2f} s, the first warm run; median of {len(runs)}: {median:.2f} s)"
    )
    print(
        f"target peak <= {TARGET_MIB:.0f} MiB: {'MET' if mem_ok else 'NOT MET'} "
        f"({peak:.0f} MiB, the larger of the warm and single-run processes)"
    )
    if n != 100_000:
        print("(the targets are defined for --records 100000)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
