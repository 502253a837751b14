"""Benchmark: `cinelake rebuild` of a generated lake against a pandas reference.

    python benchmarks/bench_rebuild.py [--movies 20000] [--large 100000] [--seed 0]

Generates a local lake holding one complete run of ``--movies`` movies
(``cinelake.devtools.synthetic_lake``: the run's manifest, an outcome per movie and the
bronze parts of 1,000 synthetic OMDb answers each, ~2 % not found), then, each in a fresh
child process:

* ``rebuild``: the real command, ``cinelake rebuild --data-dir LAKE``: silver, every gold
  dataset and its CSV/manifest/DDL exports, and the dashboard; the wall time includes the
  interpreter's start and every import (the headline figure). pandas is hidden from it, as
  in a plain install (pandas is only in the dev and bench extras, but pyarrow imports it on
  its first ``pa.array`` when it is there, ~0.6 s); the figure with pandas is printed too;
* ``stages``: the same rebuild in-process (``cinelake.ops.rebuild``), timed per stage;
* ``reference``: the seed's reference method for silver and gold: ``json.loads`` per bronze
  line, ``pandas.json_normalize``, keys lowercased, one CSV for silver; then the latest gold
  datasets as pandas aggregations (top rated, per genre / country / director / year, box
  office per year, KPIs), each written as CSV. Its time is measured after ``import pandas``
  (so the comparison is the strict one: our figure includes our start-up, its does not); the
  process wall is printed beside it.

Then the same rebuild of a ``--large`` lake (100,000 movies; ``--large 0`` skips it).
Peak memory is the child's maximum resident set size from ``os.wait4``.

Targets (issue 17): the 20,000-movie rebuild >= 2x faster than the reference's silver + gold;
the 100,000-movie rebuild <= 3 s and <= 500 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    import cinelake  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

TARGET_SPEEDUP = 2.0
TARGET_LARGE_SECONDS = 3.0
TARGET_LARGE_MIB = 500.0


def generate(root: Path, movies: int, seed: int) -> float:
    from cinelake.devtools.synthetic_lake import write_run_lake

    started = time.perf_counter()
    write_run_lake(root, movies, seed=seed)
    return time.perf_counter() - started


# --------------------------------------------------------------------------------------
# Children
# --------------------------------------------------------------------------------------


def child_stages(lake: Path) -> dict[str, Any]:
    exec(_HIDE_PANDAS)  # as in a plain install (see _CLI)
    started = time.perf_counter()
    from cinelake.config import Settings
    from cinelake.ops.rebuild import rebuild

    marks: dict[str, float] = {"imports": time.perf_counter() - started}
    last = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done == 0:
            last[0] = now
        elif done == total:
            marks[stage] = now - last[0]

    report = rebuild(Settings(data_dir=lake), progress=progress)
    marks["total"] = time.perf_counter() - started
    return {"seconds": marks, "built": report.built, "gold": report.gold_datasets}


def _num(series: Any, pattern: str = r"([0-9.]+)") -> Any:
    import pandas as pd

    text = series.astype("string").str.replace(",", "", regex=False).str.replace("$", "")
    return pd.to_numeric(text.str.extract(pattern, expand=False), errors="coerce")


def child_reference(lake: Path, out: Path) -> dict[str, Any]:
    import pandas as pd

    started = time.perf_counter()
    # silver: flatten every bronze line, one CSV
    records = []
    for path in sorted((lake / "bronze" / "omdb").rglob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    records.append(json.loads(line))
    frame = pd.json_normalize(records)
    frame.columns = [c.lower() for c in frame.columns]
    frame.to_csv(out / "silver_movies.csv", index=False)
    silver_s = time.perf_counter() - started

    # gold: the latest datasets as pandas aggregations
    found = frame[frame["status"] == "found"].copy()
    movies = pd.DataFrame(
        {
            "imdb_id": found["imdb_id"],
            "title": found["response.title"],
            "year": _num(found["response.year"], r"^([0-9]{4})"),
            "imdb_rating": _num(found["response.imdbrating"]),
            "imdb_votes": _num(found["response.imdbvotes"]),
            "metascore": _num(found["response.metascore"]),
            "runtime_minutes": _num(found["response.runtime"]),
            "box_office_usd": _num(found["response.boxoffice"]),
            "genres": found["response.genre"].str.split(", "),
            "countries": found["response.country"].str.split(", "),
            "directors": found["response.director"].str.split(", "),
        }
    )
    top = movies.sort_values(["imdb_rating", "imdb_votes"], ascending=False)
    top.assign(rank=range(1, len(top) + 1)).to_csv(out / "top_rated.csv", index=False)
    for column, name in (("genres", "genre"), ("countries", "country"), ("directors", "director")):
        exploded = movies.explode(column).rename(columns={column: name})
        exploded = exploded[exploded[name].notna() & (exploded[name] != "N/A")]
        grouped = exploded.groupby(name).agg(
            movie_count=("imdb_id", "count"),
            avg_imdb_rating=("imdb_rating", "mean"),
            avg_runtime_minutes=("runtime_minutes", "mean"),
        )
        grouped.sort_values("movie_count", ascending=False).to_csv(out / f"by_{name}.csv")
    by_year = movies.groupby("year").agg(
        movie_count=("imdb_id", "count"),
        avg_imdb_rating=("imdb_rating", "mean"),
        total_box_office_usd=("box_office_usd", "sum"),
        movies_with_box_office=("box_office_usd", "count"),
    )
    by_year.to_csv(out / "by_year.csv")
    kpis = pd.DataFrame(
        [
            {
                "movie_count": len(movies),
                "avg_imdb_rating": movies["imdb_rating"].mean(),
                "total_box_office_usd": movies["box_office_usd"].sum(),
                "ratings_correlation": movies["imdb_rating"].corr(movies["metascore"]),
            }
        ]
    )
    kpis.to_csv(out / "kpis.csv", index=False)
    total = time.perf_counter() - started
    return {"silver_s": silver_s, "gold_s": total - silver_s, "total_s": total, "rows": len(frame)}


def run_child(args: list[str]) -> tuple[dict[str, Any], float, float]:
    """Run one measurement in a fresh process: (its report, wall seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child {args[1:]} failed")
    try:
        report = json.loads(output)
    except ValueError:
        report = {"output": output}
    return report, wall, usage.ru_maxrss / 1024  # Linux reports KiB


# pandas is no dependency of cinelake (only of the dev and bench extras), but pyarrow imports
# it on its first pa.array() when it is installed (~0.6 s). The rebuild runs as in a plain
# `pip install cinelake` unless with_pandas: pandas hidden from the child.
_HIDE_PANDAS = (
    "class _NoPandas:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.partition('.')[0] == 'pandas':\n"
    "            raise ImportError('pandas is hidden (a plain install has none)')\n"
    "sys.meta_path.insert(0, _NoPandas())\n"
)
_CLI = (
    "import sys\n"
    "if sys.argv[1] == 'hide':\n"
    "    exec(sys.argv[3])\n"
    "from cinelake.cli import main\n"
    "sys.argv = ['cinelake', 'rebuild', '--data-dir', sys.argv[2]]\n"
    "main()\n"
)


def rebuild_cli(lake: Path, *, with_pandas: bool = False) -> tuple[float, float]:
    mode = "keep" if with_pandas else "hide"
    _, wall, mib = run_child([sys.executable, "-c", _CLI, mode, str(lake), _HIDE_PANDAS])
    return wall, mib


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movies", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--lake", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "stages":
        print(json.dumps(child_stages(args.lake)))
        return 0
    if args.child == "reference":
        print(json.dumps(child_reference(args.lake, args.out)))
        return 0

    me = [sys.executable, __file__]
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        lake = Path(tmp) / "lake"
        made = generate(lake, args.movies, args.seed)
        print(f"Generated a lake of {args.movies:,} movies (one complete run) in {made:.1f} s")
        print(f"{os.cpu_count()} CPUs; each way in its own process; peak = max RSS\n")
        # the first rebuild writes silver and gold for the first time; measure the second
        rebuild_cli(lake)
        wall, mib = rebuild_cli(lake)
        wall_pandas, mib_pandas = rebuild_cli(lake, with_pandas=True)
        stages, _, _ = run_child([*me, "--child", "stages", "--lake", str(lake)])
        out = Path(tmp) / "reference"
        out.mkdir()
        ref, ref_wall, ref_mib = run_child(
            [*me, "--child", "reference", "--lake", str(lake), "--out", str(out)]
        )
        print(f"{'way':<58} {'seconds':>8} {'peak MiB':>9}")
        print(
            f"{'cinelake rebuild (silver+gold+dashboard, process wall)':<58} {wall:8.2f} {mib:9.0f}"
        )
        print(
            f"{'  the same with pandas installed (pyarrow imports it)':<58} "
            f"{wall_pandas:8.2f} {mib_pandas:9.0f}"
        )
        seconds = stages["seconds"]
        for stage in ("imports", "silver", "gold", "dashboard", "total"):
            if stage in seconds:
                print(f"{'  in-process: ' + stage:<58} {seconds[stage]:8.2f}")
        print(
            f"{'reference: pandas silver + gold (after import pandas)':<58} "
            f"{ref['total_s']:8.2f} {ref_mib:9.0f}"
        )
        print(f"{'  silver (json_normalize -> CSV)':<58} {ref['silver_s']:8.2f}")
        print(f"{'  gold (pandas aggregations -> CSV)':<58} {ref['gold_s']:8.2f}")
        print(f"{'  reference process wall (incl. import pandas)':<58} {ref_wall:8.2f}")
        speedup = ref["total_s"] / wall
        verdict = "meets" if speedup >= TARGET_SPEEDUP else "misses"
        print(
            f"\nrebuild vs reference: {speedup:.2f}x faster "
            f"({verdict} the >= {TARGET_SPEEDUP:.0f}x target)"
        )

    if args.large:
        with tempfile.TemporaryDirectory(prefix="bench-rebuild-large-") as tmp:
            lake = Path(tmp) / "lake"
            made = generate(lake, args.large, args.seed)
            print(f"\nGenerated a lake of {args.large:,} movies in {made:.1f} s")
            rebuild_cli(lake)
            wall, mib = rebuild_cli(lake)
            ok = wall <= TARGET_LARGE_SECONDS and mib <= TARGET_LARGE_MIB
            print(
                f"cinelake rebuild of {args.large:,} movies: {wall:.2f} s, {mib:.0f} MiB peak "
                f"(target <= {TARGET_LARGE_SECONDS:.0f} s and <= {TARGET_LARGE_MIB:.0f} MiB: "
                f"{'met' if ok else 'missed'})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
