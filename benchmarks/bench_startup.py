"""Benchmark: how fast the command line starts.

    python benchmarks/bench_startup.py [--repeats 7]

Builds the demo lake (`make demo`'s backfill of the bundled history and an offline run) in a
temporary folder, then times, each as a fresh process, ``--repeats`` times:

* ``python -c pass``: the interpreter alone (the baseline, measured in the same run);
* ``python -c "import duckdb, pyarrow"``: the data engines every data command needs;
* ``cinelake --help``;
* ``cinelake query "select count(*) from silver_movies"`` on the demo lake.

Prints the median and the fastest of each (wall time, ``time.perf_counter`` around the child),
and the modules that take longest to import for ``cinelake --help`` (``python -X importtime``).

Targets (issue 17): ``cinelake --help`` <= 0.3 s; the query <= 0.8 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"cinelake --help": 0.3, "cinelake query (demo lake)": 0.8}


def cinelake() -> list[str]:
    found = shutil.which("cinelake", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "cinelake.cli"]


def timed(argv: list[str], repeats: int) -> list[float]:
    walls = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
    return walls


def demo_lake(root: Path) -> Path:
    lake = root / "lake"
    cmd = cinelake()
    history = ROOT / "src" / "cinelake" / "sample" / "history"
    for args in (
        ["backfill", str(history), "--offline", "--top-n", "40"],
        ["run", "--offline", "--top-n", "40"],
    ):
        subprocess.run(
            [*cmd, *args, "--data-dir", str(lake)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return lake


def slowest_imports(argv: list[str], count: int = 8) -> list[tuple[float, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    top: list[tuple[float, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        try:
            micros = int(cumulative.strip())
        except ValueError:
            continue
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        if depth <= 1:  # what the command imports, and what those import directly
            top.append((micros / 1e6, ("  " * depth) + name.strip()))
    return sorted(top, reverse=True)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        lake = demo_lake(Path(tmp))
        cmd = cinelake()
        ways = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "python -c 'import duckdb, pyarrow'": [sys.executable, "-c", "import duckdb, pyarrow"],
            "cinelake --help": [*cmd, "--help"],
            "cinelake query (demo lake)": [
                *cmd,
                "query",
                "select count(*) from silver_movies",
                "--data-dir",
                str(lake),
            ],
        }
        for argv_ in ways.values():  # warm the file cache once
            timed(argv_, 1)
        print(f"{os.cpu_count()} CPUs, {args.repeats} runs each, fresh process per run")
        print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
        print(f"{'command':<40} {'median s':>9} {'fastest s':>10} {'target':>8}")
        for name, argv_ in ways.items():
            walls = timed(argv_, args.repeats)
            target = TARGETS.get(name)
            mark = ""
            if target is not None:
                mark = f"<= {target:.1f}" + (
                    " ok" if statistics.median(walls) <= target else " MISS"
                )
            print(f"{name:<40} {statistics.median(walls):9.3f} {min(walls):10.3f} {mark:>8}")
        print("\nslowest imports of `cinelake --help` (python -X importtime, cumulative):")
        for seconds, module in slowest_imports(["-m", "cinelake.cli", "--help"]):
            print(f"  {seconds:6.3f} s  {module}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
