"""S3 requests per enriched movie on the AWS path, counted on the emulated stack (issue 17).

A scheduled run of N movies (default 100) on template.yaml's stack in moto (server mode, IAM
enforced; the Lambda player and request recorder of tests/aws/emulator.py), at batch size 1 with
the event source's 10 messages per invocation, against the local OMDb (synthetic catalog, every
movie found, an empty cache: every movie is fetched). Each S3 notification is delivered after
each enrich invocation, as S3 would. Every S3 request any function makes is counted, by
function and kind (GET / PUT / LIST / HEAD).

The baseline is the same run on the code before this benchmark's changes (``--baseline-rev``,
extracted with ``git archive`` into a temp dir and run in its own process), measured in the
same run. Not a test: run with `make bench-s3`.

    python benchmarks/bench_s3_requests.py [--movies 100] [--baseline-rev 5288fa8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_MOVIE = 1.5
BASELINE_REV = "5288fa8"  # the branch point of issue 17's S3 work
KIND = {
    "GetObject": "GET",
    "PutObject": "PUT",
    "ListObjectsV2": "LIST",
    "ListObjects": "LIST",
    "HeadObject": "HEAD",
    "DeleteObject": "DELETE",
}
KINDS = ["GET", "PUT", "LIST", "HEAD", "DELETE"]
ENRICH = "EnrichAndStoreMovie"
KEY = "omdb-bench-key"


def measure(movies: int) -> dict[str, Any]:
    """One run on the emulated stack; S3 requests by function and kind."""
    sys.path.insert(0, str(ROOT))
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from tests.aws.emulator import EmulatedStack, moto_fidelity

    from cinelake.aws.cfn import TEMPLATE_PATH, load_template
    from cinelake.devtools import synthetic
    from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig

    ids = [synthetic.imdb_id(i) for i in range(1, movies + 1)]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with sim.serve() as omdb_url, moto_fidelity():
            stack = EmulatedStack(
                f"http://{host}:{port}",
                load_template(TEMPLATE_PATH),
                {
                    "Prefix": "cinelake-bench",
                    "TopN": movies,
                    "BatchSize": 1,
                    "SourceUrl": "s3://cinelake-bench-sources/top.json",
                    "OmdbUrl": omdb_url,
                    "OmdbRateLimit": 0,
                },
            )
            admin = stack.admin("s3")
            admin.create_bucket(Bucket="cinelake-bench-sources")
            admin.put_object(
                Bucket="cinelake-bench-sources",
                Key="top.json",
                Body=json.dumps(synthetic.source_list(movies)).encode(),
            )
            stack.deploy(secret_value={"api_key": KEY})
            with stack.recorder.installed(), stack.enforce_iam():
                fn, event = stack.scheduled_input("DailySchedule", datetime.now(UTC))
                started = stack.invoke(fn, event)
                stack.pump_s3_events()
                stack.create_event_source_mapping(ENRICH)
                invocations = 0
                states: list[str] = []
                while True:
                    records, _ = stack.poll_sqs(ENRICH)
                    if not records:
                        break
                    invocations += 1
                    for lid, _, out in stack.pump_s3_events(limit=200):
                        if lid == "ProcessBronzeToSilver" and out:
                            states += [r["state"] for r in out.get("runs", [])]
            calls = [c for c in stack.recorder.calls if c.service == "s3"]
    finally:
        server.stop()
    by_fn: dict[str, Counter[str]] = defaultdict(Counter)
    enrich_by_area: Counter[str] = Counter()
    for c in calls:
        kind = KIND.get(c.operation, c.operation)
        by_fn[c.caller][kind] += 1
        if c.caller == ENRICH:
            enrich_by_area[f"{kind} {_area(c.resource)}"] += 1
    return {
        "movies": movies,
        "queued": started["queued"],
        "enrich_invocations": invocations,
        "silver_states": dict(Counter(states)),
        "by_function": {fn: dict(kinds) for fn, kinds in sorted(by_fn.items())},
        "enrich_by_area": dict(enrich_by_area.most_common()),
    }


def _area(resource: str) -> str:
    """What part of the lake an S3 request touched: the key's folders, ids and tokens left out."""
    key = resource.split(":::", 1)[-1].partition("/")[2]
    parts = key.split("/")
    if key.startswith("_runs/"):
        return "_runs/<run>/" + "/".join(parts[2:3])
    if key.startswith("_cache/omdb/v1/"):
        return "_cache/omdb/v1/<movie>"
    if key.startswith("omdb/"):
        return "omdb/<day>/<run>/part"
    return "/".join(parts[:3]) or "(bucket)"


def run_measure(movies: int, pythonpath: str | None) -> dict[str, Any]:
    env = dict(os.environ, LOG_LEVEL="ERROR", POWERTOOLS_METRICS_DISABLED="true")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run(
        [sys.executable, __file__, "--measure", "--movies", str(movies)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"measurement failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def baseline(movies: int, rev: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cinelake-bench-s3-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "src", "template.yaml"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        return run_measure(movies, str(Path(tmp) / "src"))


def _row(label: str, kinds: dict[str, int], per: int) -> str:
    total = sum(kinds.values())
    cells = "".join(f"{kinds.get(k, 0) / per:>8.2f}" for k in KINDS)
    return f"  {label:<28}{cells}{total / per:>9.2f}"


def report(name: str, m: dict[str, Any]) -> float:
    movies = m["movies"]
    enrich = m["by_function"].get(ENRICH, {})
    run_total: Counter[str] = Counter()
    for kinds in m["by_function"].values():
        run_total.update(kinds)
    print(
        f"{name}: {movies} movies, {m['enrich_invocations']} enrich invocations, "
        f"silver events {m['silver_states']}"
    )
    print(f"  {'per movie':<28}" + "".join(f"{k:>8}" for k in KINDS) + f"{'total':>9}")
    print(_row("enrich", enrich, movies))
    print(_row("whole run (every function)", dict(run_total), movies))
    print(f"  {'per run (whole run)':<28}" + "".join(f"{run_total.get(k, 0):>8}" for k in KINDS))
    for fn, kinds in m["by_function"].items():
        print(f"    {fn:<26}" + "".join(f"{kinds.get(k, 0):>8}" for k in KINDS))
    print("  enrich requests by area, per invocation:")
    for area, n in m["enrich_by_area"].items():
        print(f"    {area:<50}{n / max(1, m['enrich_invocations']):>8.1f}")
    return sum(enrich.values()) / movies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--movies", type=int, default=100)
    parser.add_argument("--baseline-rev", default=BASELINE_REV)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.movies)))
        return
    before = baseline(args.movies, args.baseline_rev)
    after = run_measure(args.movies, None)
    print("S3 requests on the emulated AWS stack (moto server), batch size 1, 10 messages per")
    print("enrich invocation, every movie fetched from the local OMDb\n")
    base = report(f"baseline ({args.baseline_rev})", before)
    print()
    now = report("cinelake (this tree)", after)
    print()
    ok = now <= TARGET_PER_MOVIE
    print(f"  enrich S3 requests per movie: {now:.2f} (baseline {base:.2f})")
    print(f"  [{'met' if ok else 'MISSED'}] <= {TARGET_PER_MOVIE} S3 requests per enriched movie")


if __name__ == "__main__":
    main()
