"""Benchmark: today's top N from IMDb's datasets — cinelake's way beside pandas, polars and a
plain DuckDB query, measured in the same run on the same generated files.

    make bench-source                        # full scale: 12 M titles, 1.6 M ratings
    python benchmarks/bench_source.py --titles 4000000

The files are generated in the real format (tab-separated, no quoting, ``\\N`` nulls, titles
with ``"`` and ``'`` and non-ASCII, gzip), about 13 % of the titles rated. Each way runs in
its own child process, so its peak memory (max RSS, interpreter included) is its own:

* cinelake, first run: no cache — reads both files, writes the compact basics copy;
* cinelake, daily run: the compact copy is reused (the basics did not change), the ratings
  are read fresh — the case of the second and later days;
* pandas: ``read_csv`` of both files with quoting off, filter, merge, weight, sort;
* polars: lazy ``scan_csv`` of both, filter, join, weight, sort, collect;
* DuckDB, one query over both files (what cinelake's first run does, minus the copy).

All must produce the same list; the benchmark says so. Then, over local HTTP, it shows that
a second run with unchanged files downloads 0 bytes of them. pandas and polars come with the
``bench`` extra (``pip install -e '.[bench]'``); a missing one is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

M = 25_000
TOP_N = 250


# -- generated files ------------------------------------------------------------------------


def generate(folder: Path, titles: int) -> None:
    """title.basics.tsv.gz and title.ratings.tsv.gz at the given scale, written by DuckDB."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    # Types in about IMDb's proportions: 7.5 % movies, most of the rest episodes.
    con.execute(f"""
        CREATE TEMP VIEW t AS SELECT i,
            'tt' || lpad(i::VARCHAR, CASE WHEN i < 10000000 THEN 7 ELSE 8 END, '0') AS tconst,
            (hash(i, 1) % 1000)::BIGINT AS h_type, (hash(i, 2) % 100)::BIGINT AS h_adult,
            (hash(i, 3) % 1000)::BIGINT AS h_misc,
            (hash(i, 4) % 100)::BIGINT AS h_rated, (hash(i, 5) % 1000000 + 1) / 1000000.0 AS u,
            (hash(i, 6) % 91)::BIGINT AS h_rating
        FROM range(1, {titles + 1}) r(i)
    """)
    con.execute("""
        CREATE TEMP VIEW b AS SELECT *,
            CASE WHEN h_type < 75 THEN 'movie' WHEN h_type < 155 THEN 'short'
                 WHEN h_type < 180 THEN 'tvSeries' WHEN h_type < 210 THEN 'video'
                 WHEN h_type < 225 THEN 'tvMovie' ELSE 'tvEpisode' END AS titleType
        FROM t
    """)
    basics = folder / "title.basics.tsv.gz"
    con.execute(f"""
        COPY (SELECT tconst, titleType,
            CASE h_misc % 9 WHEN 0 THEN 'He said "hello" ' || i WHEN 1 THEN 'L''Avventura ' || i
                 WHEN 2 THEN 'Amélie ' || i WHEN 3 THEN '"Quoted start ' || i
                 WHEN 4 THEN '七人の侍 ' || i ELSE 'Title number ' || i END AS primaryTitle,
            CASE WHEN h_misc % 4 = 0 THEN 'Original title ' || i ELSE NULL END AS originalTitle,
            CASE WHEN h_adult < 2 THEN '1' ELSE '0' END AS isAdult,
            CASE WHEN h_misc % 20 = 0 THEN NULL ELSE (1900 + h_misc % 126)::VARCHAR END AS startYear,
            CASE WHEN titleType = 'tvSeries' THEN (2000 + h_misc % 25)::VARCHAR END AS endYear,
            CASE WHEN h_misc % 7 = 0 THEN NULL ELSE (20 + h_misc % 160)::VARCHAR END AS runtimeMinutes,
            CASE WHEN h_misc % 19 = 0 THEN NULL
                 ELSE ['Drama', 'Comedy', 'Horror', 'Action,Thriller', 'Documentary',
                       'Romance,Drama', 'Sci-Fi,Adventure', 'Crime,Drama,Mystery'][h_misc % 8 + 1]
            END AS genres
            FROM b ORDER BY i)
        TO '{basics}' (DELIMITER '\t', HEADER, QUOTE '', ESCAPE '', NULLSTR '\\N', COMPRESSION gzip)
    """)
    # ~13 % of titles rated (movies far more often); votes heavy-tailed, movies more popular.
    ratings = folder / "title.ratings.tsv.gz"
    con.execute(f"""
        COPY (SELECT tconst,
            printf('%.1f', 1.0 + h_rating / 10.0) AS averageRating,
            CASE WHEN titleType = 'movie' THEN floor(10 * pow(u, -1 / 0.6))
                 ELSE floor(5 * pow(u, -1 / 0.75)) END::BIGINT AS numVotes
            FROM b
            WHERE (titleType = 'movie' AND h_rated < 55) OR (titleType <> 'movie' AND h_rated < 10)
            ORDER BY i)
        TO '{ratings}' (DELIMITER '\t', HEADER, QUOTE '', ESCAPE '', NULLSTR '\\N', COMPRESSION gzip)
    """)
    con.close()


# -- the ways (each runs in a child process) -------------------------------------------------


def way_cinelake(folder: Path, cache: Path) -> list[str]:
    from cinelake.adapters.storage import LocalObjectStore
    from cinelake.clock import SystemClock
    from cinelake.sources.imdb_datasets import DatasetCache, DatasetOptions, ImdbDatasetsSource

    source = ImdbDatasetsSource(
        DatasetOptions(url=str(folder), min_votes=M),
        DatasetCache(LocalObjectStore(cache, "state")),
        SystemClock(),
    )
    return [m.imdb_id for m in source.select(TOP_N).movies]


def way_duckdb(folder: Path) -> list[str]:
    import duckdb

    def tsv(name: str) -> str:
        return (
            f"read_csv('{folder / name}', delim='\t', quote='', escape='', header=true, "
            "nullstr='\\N', all_varchar=true)"
        )

    rows = (
        duckdb.connect()
        .execute(f"""
        WITH r AS (SELECT tconst, averageRating::DOUBLE AS rating, numVotes::BIGINT AS votes
                   FROM {tsv("title.ratings.tsv.gz")} WHERE numVotes::BIGINT >= {M}),
        e AS (SELECT r.* FROM r JOIN {tsv("title.basics.tsv.gz")} b USING (tconst)
              WHERE b.titleType = 'movie' AND b.isAdult = '0'),
        c AS (SELECT avg(rating) AS c FROM e)
        SELECT tconst FROM e, c
        ORDER BY votes / (votes + {M}) * rating + {M} / (votes + {M}) * c DESC, votes DESC, tconst
        LIMIT {TOP_N}
    """)
        .fetchall()
    )
    return [r[0] for r in rows]


def way_pandas(folder: Path) -> list[str]:
    import csv

    import pandas as pd

    opts: dict[str, Any] = {
        "sep": "\t",
        "quoting": csv.QUOTE_NONE,
        "na_values": ["\\N"],
        "keep_default_na": False,
        "dtype": str,
    }
    ratings = pd.read_csv(folder / "title.ratings.tsv.gz", **opts)
    basics = pd.read_csv(
        folder / "title.basics.tsv.gz", usecols=["tconst", "titleType", "isAdult"], **opts
    )
    ratings["rating"] = ratings["averageRating"].astype(float)
    ratings["votes"] = ratings["numVotes"].astype("int64")
    movies = basics[(basics["titleType"] == "movie") & (basics["isAdult"] == "0")]
    e = ratings[ratings["votes"] >= M].merge(movies[["tconst"]], on="tconst")
    c = e["rating"].mean()
    e["wr"] = e["votes"] / (e["votes"] + M) * e["rating"] + M / (e["votes"] + M) * c
    e = e.sort_values(["wr", "votes", "tconst"], ascending=[False, False, True])
    return list(e["tconst"].head(TOP_N))


def way_polars(folder: Path) -> list[str]:
    import polars as pl

    opts: dict[str, Any] = {
        "separator": "\t",
        "quote_char": None,
        "null_values": "\\N",
        "infer_schema": False,
    }
    ratings = pl.scan_csv(folder / "title.ratings.tsv.gz", **opts).select(
        "tconst",
        pl.col("averageRating").cast(pl.Float64).alias("rating"),
        pl.col("numVotes").cast(pl.Int64).alias("votes"),
    )
    basics = (
        pl.scan_csv(folder / "title.basics.tsv.gz", **opts)
        .filter((pl.col("titleType") == "movie") & (pl.col("isAdult") == "0"))
        .select("tconst")
    )
    e = ratings.filter(pl.col("votes") >= M).join(basics, on="tconst")
    c = pl.col("rating").mean()
    out = (
        e.with_columns(
            wr=pl.col("votes") / (pl.col("votes") + M) * pl.col("rating")
            + M / (pl.col("votes") + M) * c
        )
        .sort(["wr", "votes", "tconst"], descending=[True, True, False])
        .head(TOP_N)
        .collect()
    )
    return list(out["tconst"])


WAYS = {"cinelake": way_cinelake, "duckdb": way_duckdb, "pandas": way_pandas, "polars": way_polars}


def peak_rss() -> int:
    """This process's peak resident memory in bytes. VmHWM, not ru_maxrss: Linux carries
    ru_maxrss over exec, so a child would report its parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(way: str, folder: Path, cache: Path) -> None:
    start = time.perf_counter()
    ids = way_cinelake(folder, cache) if way == "cinelake" else WAYS[way](folder)
    elapsed = time.perf_counter() - start
    peak = peak_rss()
    print(json.dumps({"seconds": elapsed, "peak": peak, "ids": ids}))


def measure(way: str, folder: Path, cache: Path) -> dict[str, Any] | None:
    if way in ("pandas", "polars"):
        probe = subprocess.run([sys.executable, "-c", f"import {way}"], capture_output=True)
        if probe.returncode != 0:
            print(f"  {way}: not installed, skipped (pip install -e '.[bench]')")
            return None
    proc = subprocess.run(
        [sys.executable, __file__, "--child", way, "--files", str(folder), "--cache", str(cache)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        print(f"  {way}: failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def http_second_run(folder: Path, cache: Path) -> tuple[int, int, list[tuple[str, int]]]:
    """Bytes of the dataset files sent on a first and a second run over local HTTP."""
    from cinelake.adapters.storage import LocalObjectStore
    from cinelake.clock import SystemClock
    from cinelake.devtools.imdb_datasets import DatasetServer
    from cinelake.sources.imdb_datasets import DatasetCache, DatasetOptions, ImdbDatasetsSource

    server = DatasetServer(folder)
    with server.serve() as url:

        def run() -> None:
            ImdbDatasetsSource(
                DatasetOptions(url=url, min_votes=M),
                DatasetCache(LocalObjectStore(cache, "state")),
                SystemClock(),
            ).select(TOP_N)

        run()
        first = sum(e.bytes for e in server.log)
        server.log.clear()
        run()
        second = sum(e.bytes for e in server.log)
    return first, second, [(e.path, e.status) for e in server.log]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=12_000_000, help="titles in basics")
    parser.add_argument("--work", type=Path, help="folder for the files (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each way (best kept)")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP second-run check")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--files",
        type=Path,
        help="keep the generated files in this folder and reuse them when there",
    )
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.files, args.cache)
        return

    with tempfile.TemporaryDirectory(prefix="cinelake-bench-source-", dir=args.work) as tmp:
        folder = args.files or Path(tmp) / "files"
        start = time.perf_counter()
        if not all((folder / n).is_file() for n in ("title.basics.tsv.gz", "title.ratings.tsv.gz")):
            generate(folder, args.titles)
        sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
        import duckdb

        ratings_rows = (
            duckdb.connect()
            .execute(
                f"SELECT count(*) FROM read_csv('{folder / 'title.ratings.tsv.gz'}', delim='\t', "
                "quote='', header=true, all_varchar=true)"
            )
            .fetchone()
        )
        titles = (
            duckdb.connect()
            .execute(
                f"SELECT count(*) FROM read_csv('{folder / 'title.basics.tsv.gz'}', delim='\t', "
                "quote='', header=true, all_varchar=true)"
            )
            .fetchone()
        )
        print(
            f"Files: {titles[0] if titles else 0:,} titles, {ratings_rows[0] if ratings_rows else 0:,} ratings "
            f"in {time.perf_counter() - start:.1f} s: "
            + ", ".join(f"{n} {s / 2**20:.0f} MiB" for n, s in sorted(sizes.items()))
        )
        print(
            f"Top {TOP_N} at m = {M:,}; wall time of the work, peak RSS of the process "
            f"(best of {args.repeat})."
        )
        cache = Path(tmp) / "cache"
        rows: list[tuple[str, dict[str, Any]]] = []

        def best(label: str, way: str, cache_dir: Path, fresh: bool) -> None:
            results = []
            for _ in range(args.repeat):
                if fresh:
                    import shutil

                    shutil.rmtree(cache_dir, ignore_errors=True)
                r = measure(way, folder, cache_dir)
                if r is not None:
                    results.append(r)
            if results:
                rows.append((label, min(results, key=lambda r: r["seconds"])))

        best("cinelake, first run (builds the compact copy)", "cinelake", cache, True)
        best("cinelake, daily run (compact copy reused)", "cinelake", cache, False)
        best("DuckDB, one plain query", "duckdb", cache, False)
        best("pandas read_csv (quoting off)", "pandas", cache, False)
        best("polars lazy scan_csv", "polars", cache, False)

        width = max(len(label) for label, _ in rows)
        print(f"\n  {'way':<{width}}  {'wall s':>7}  {'peak MiB':>9}")
        for label, r in rows:
            print(f"  {label:<{width}}  {r['seconds']:>7.2f}  {r['peak'] / 2**20:>9.0f}")
        lists = {label: r["ids"] for label, r in rows}
        first = next(iter(lists.values()))
        agree = all(ids == first for ids in lists.values())
        print(f"\n  same top {TOP_N} from every way: {'yes' if agree else 'NO'}")
        if not agree:
            for label, ids in lists.items():
                print(f"    {label}: {ids[:5]}")
        if not args.no_http:
            sent_first, sent_second, log = http_second_run(folder, Path(tmp) / "http-cache")
            print(
                f"  over HTTP: first run downloaded {sent_first / 2**20:.1f} MiB, a second run "
                f"with unchanged files {sent_second} bytes (requests: {log})"
            )


if __name__ == "__main__":
    main()
