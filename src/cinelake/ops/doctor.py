"""`cinelake doctor [--repair]`: find the lake's unreadable files, name each, repair what can be.

What is checked (paths relative to the data dir):

* the silver and gold Parquet files and gold's ``_manifest.json``;
* the run ledger under ``bronze/_runs/<run>/``: manifest, outcomes, stage reports, queue
  markers and statistics, and the enrichment pause under ``bronze/_control/``;
* the local queue database ``_state/queue.sqlite3``.

What ``--repair`` does: everything in silver and gold is derived from bronze, so a damaged
Parquet file, gold manifest or silver report is removed and silver and gold are rebuilt from
bronze (``cinelake rebuild``). A damaged outcome is rebuilt from the run's bronze answer when
there is one; otherwise it is removed and the movie queued again. Damaged statistics and a
damaged pause are removed (counts only; the next answer pauses again if it must). A damaged
queue database is moved aside and a new one started; the runs' unfinished movies are queued
again from their manifests. A damaged manifest cannot be rebuilt (it is what the run asked
for): it is named, with what to do.

Bronze answers themselves are never changed: unreadable lines are quarantined by every silver
build (see ``cinelake.silver.transform``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from cinelake import layout
from cinelake.bronze import outcome_from_line
from cinelake.clock import Clock
from cinelake.damage import first_line
from cinelake.ids import RUN_ID_RE
from cinelake.models import MovieOutcome, RunManifest

Kind = Literal[
    "silver", "gold", "report", "outcome", "stats", "manifest", "marker", "pause", "queue"
]


@dataclass(frozen=True)
class Problem:
    path: str  # relative to the data dir
    problem: str
    kind: Kind
    fix: str  # what --repair does, or what to do

    def line(self) -> str:
        return f"{self.path}: {self.problem} — {self.fix}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FIXES: dict[Kind, str] = {
    "silver": "repair: rebuilt from bronze",
    "gold": "repair: rebuilt from silver",
    "report": "repair: removed, silver rebuilt from bronze",
    "outcome": "repair: rebuilt from the run's bronze answer, else the movie is queued again",
    "stats": "repair: removed (request counts only)",
    "marker": "repair: removed, the run's unfinished movies are queued again",
    "pause": "repair: removed (enrichment pauses again if OMDb says so)",
    "queue": "repair: moved aside, a new queue started and unfinished movies queued again "
    "(its dead letters stay failed in the ledger)",
    "manifest": f"cannot be rebuilt: move the folder {layout.RUN_FOLDER_SHOWN} out of the lake "
    "(its answers stay in bronze)",
}


def _parquet(path: Path, *, full: bool) -> str | None:
    import pyarrow.parquet as pq

    try:
        if full:
            pq.read_table(path)
        else:
            pq.read_metadata(path)
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        return first_line(exc)
    return None


def _json_file(path: Path, check: Callable[[Any], object] | None = None) -> str | None:
    try:
        data = json.loads(path.read_bytes())
        if check is not None:
            check(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"[:160]
    except (ValueError, TypeError, KeyError) as exc:
        return first_line(exc)
    return None


def _is_object(data: Any) -> None:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")


def _counts(data: Any) -> None:
    if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
        raise ValueError("not a JSON object of counts")


def _pause(data: Any) -> None:
    from datetime import datetime

    _is_object(data)
    if datetime.fromisoformat(data["until"]).tzinfo is None:
        raise ValueError("until has no time zone")


def check_queue(root: Path) -> str | None:
    path = layout.LocalLake(root).queue
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()
            conn.execute("SELECT count(*) FROM messages").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return first_line(exc)
    if not result or result[0] != "ok":
        return f"quick_check: {str(result[0] if result else 'no answer')[:120]}"
    return None


def check(root: Path, *, quick: bool = False) -> list[Problem]:
    """Every damaged file of the lake at ``root``. ``quick`` (what other commands run first)
    reads Parquet footers only and skips the per-movie outcomes and statistics."""
    root = Path(root)
    lake = layout.LocalLake(root)
    problems: list[Problem] = []

    def add(path: Path, problem: str | None, kind: Kind) -> None:
        if problem is not None:
            problems.append(Problem(path.relative_to(root).as_posix(), problem, kind, FIXES[kind]))

    for table in ("movies", "quarantine", "lists"):
        for path in lake.silver_files(table):  # type: ignore[arg-type]
            add(path, _parquet(path, full=not quick), "silver")
    for path in lake.gold_data_files():
        add(path, _parquet(path, full=not quick), "gold")
    if lake.gold_manifest.is_file():
        add(lake.gold_manifest, _json_file(lake.gold_manifest, _is_object), "gold")
    for run_id in _all_runs(root):
        manifest = lake.bronze / layout.manifest_key(run_id)
        if manifest.is_file():
            add(manifest, _json_file(manifest, RunManifest.model_validate), "manifest")
        for key, kind in (
            (layout.report_key(run_id, "silver"), "report"),
            (layout.queued_key(run_id), "marker"),
        ):
            path = lake.bronze / key
            if path.is_file():
                add(path, _json_file(path, _is_object), kind)  # type: ignore[arg-type]
        if quick:
            continue
        for path in sorted((lake.bronze / layout.outcomes_prefix(run_id)).glob("*.json")):
            add(path, _json_file(path, MovieOutcome.model_validate), "outcome")
        for path in sorted((lake.bronze / layout.stats_prefix(run_id)).glob("*.json")):
            add(path, _json_file(path, _counts), "stats")
    if lake.pause.is_file():
        add(lake.pause, _json_file(lake.pause, _pause), "pause")
    queue = check_queue(root)
    if queue is not None:
        problems.append(Problem(layout.QUEUE_FILE.as_posix(), queue, "queue", FIXES["queue"]))
    return problems


@dataclass
class RepairReport:
    repaired: list[str]
    left: list[Problem]
    rebuilt: bool

    def lines(self) -> list[str]:
        out = [f"repaired {line}" for line in self.repaired]
        out += [f"not repaired {p.path}: {p.problem} — {p.fix}" for p in self.left]
        if self.rebuilt:
            out.append("silver and gold rebuilt from bronze")
        return out


def repair(settings: Any, problems: list[Problem], *, clock: Clock | None = None) -> RepairReport:
    """Repair what can be rebuilt (see the module docstring); holds the runtime lock."""
    from cinelake.ops.runs import LocalRuntime

    root = Path(settings.data_dir)
    lake = layout.LocalLake(root)
    repaired: list[str] = []
    left: list[Problem] = []
    rebuild = False
    requeue_runs: set[str] = set()
    for p in problems:
        path = root / p.path
        if p.kind == "manifest":
            left.append(p)
            continue
        if p.kind == "queue":
            n = 1
            while (aside := path.with_name(f"{path.name}.damaged-{n}")).exists():
                n += 1
            path.rename(aside)
            for extra in ("-wal", "-shm"):
                path.with_name(path.name + extra).unlink(missing_ok=True)
            requeue_runs.update(_all_runs(root))
            repaired.append(f"{p.path}: moved aside to {aside.relative_to(root).as_posix()}")
            continue
        if p.kind == "outcome" and _outcome_from_bronze(root, path):
            repaired.append(f"{p.path}: rebuilt from the run's bronze answer")
            continue
        path.unlink(missing_ok=True)
        if p.kind in ("silver", "gold", "report"):
            rebuild = True
        if p.kind in ("outcome", "marker"):
            requeue_runs.add(path.relative_to(lake.runs).parts[0])
        repaired.append(f"{p.path}: removed")
    for run_id in sorted(requeue_runs):
        (lake.bronze / layout.queued_key(run_id)).unlink(missing_ok=True)
    if requeue_runs:
        from cinelake.stages.ingest import requeue_unqueued

        runtime = LocalRuntime(settings, clock=clock)
        try:
            with runtime.exclusive():
                for run_id in sorted(requeue_runs):
                    try:  # queues again what is neither done nor queued
                        requeue_unqueued(runtime.deps, run_id)
                    except (KeyError, ValueError):
                        continue  # no readable manifest: named among the problems
        finally:
            runtime.queue.close()
    if rebuild:
        from cinelake.ops.rebuild import rebuild as rebuild_lake

        rebuild_lake(settings, clock=clock)
    return RepairReport(repaired, left, rebuild)


def _all_runs(root: Path) -> list[str]:
    runs = layout.LocalLake(root).runs
    return sorted(p.name for p in runs.glob("*") if p.is_dir() and RUN_ID_RE.fullmatch(p.name))


def _outcome_from_bronze(root: Path, path: Path) -> bool:
    """Write the outcome again from the run's bronze answer for the movie, if it has one."""
    run_id, imdb_id = path.parent.parent.name, path.stem
    for part in layout.LocalLake(root).bronze_run_parts(run_id):
        for raw in part.read_bytes().splitlines():
            if imdb_id.encode() not in raw:
                continue
            outcome = outcome_from_line(raw, run_id, imdb_id)
            if outcome is None:
                continue
            tmp = path.with_name(f".tmp-{path.name}")
            tmp.write_text(outcome.model_dump_json())
            tmp.replace(path)
            return True
    return False
