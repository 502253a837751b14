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

from cinelake.clock import Clock
from cinelake.damage import first_line
from cinelake.ids import RUN_ID_RE
from cinelake.models import MovieOutcome, RunManifest

Kind = Literal["silver", "gold", "report", "outcome", "stats", "manifest", "marker", "pause",
               "queue"]
QUEUE_FILE = Path("_state") / "queue.sqlite3"


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
    "manifest": "cannot be rebuilt: move the folder bronze/_runs/<run> out of the lake "
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
    path = root / QUEUE_FILE
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
    problems: list[Problem] = []

    def add(path: Path, problem: str | None, kind: Kind) -> None:
        if problem is not None:
            problems.append(Problem(path.relative_to(root).as_posix(), problem, kind, FIXES[kind]))

    for folder in ("movies", "quarantine"):
        for path in sorted((root / "silver" / folder).glob("snapshot_date=*/*.parquet")):
            add(path, _parquet(path, full=not quick), "silver")
    gold = root / "gold"
    for path in sorted(gold.glob("*/data.parquet")):
        add(path, _parquet(path, full=not quick), "gold")
    if (gold / "_manifest.json").is_file():
        add(gold / "_manifest.json", _json_file(gold / "_manifest.json", _is_object), "gold")
    runs = root / "bronze" / "_runs"
    for run in sorted(p for p in runs.glob("*") if p.is_dir() and RUN_ID_RE.fullmatch(p.name)):
        manifest = run / "manifest.json"
        if manifest.is_file():
            add(manifest, _json_file(manifest, RunManifest.model_validate), "manifest")
        for name, kind in (("silver.json", "report"), ("queued.json", "marker")):
            if (run / name).is_file():
                add(run / name, _json_file(run / name, _is_object), kind)  # type: ignore[arg-type]
        if quick:
            continue
        for path in sorted((run / "outcomes").glob("*.json")):
            add(path, _json_file(path, MovieOutcome.model_validate), "outcome")
        for path in sorted((run / "stats").glob("*.json")):
            add(path, _json_file(path, _counts), "stats")
    pause = root / "bronze" / "_control" / "enrichment_paused.json"
    if pause.is_file():
        add(pause, _json_file(pause, _pause), "pause")
    queue = check_queue(root)
    if queue is not None:
        problems.append(Problem(QUEUE_FILE.as_posix(), queue, "queue", FIXES["queue"]))
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
    from cinelake.runtime.local import LocalRuntime

    root = Path(settings.data_dir)
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
            requeue_runs.add(path.relative_to(root / "bronze" / "_runs").parts[0])
        repaired.append(f"{p.path}: removed")
    for run_id in sorted(requeue_runs):
        (root / "bronze" / "_runs" / run_id / "queued.json").unlink(missing_ok=True)
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
    runs = root / "bronze" / "_runs"
    return [p.name for p in runs.glob("*") if p.is_dir() and RUN_ID_RE.fullmatch(p.name)]


def _outcome_from_bronze(root: Path, path: Path) -> bool:
    """Write the outcome again from the run's bronze answer for the movie, if it has one."""
    from datetime import datetime

    run_id, imdb_id = path.parent.parent.name, path.stem
    for part in sorted((root / "bronze" / "omdb").glob(f"snapshot_date=*/run_id={run_id}/*.jsonl")):
        for raw in part.read_bytes().splitlines():
            if imdb_id.encode() not in raw:
                continue
            try:
                line = json.loads(raw)
                at = datetime.fromisoformat(line["fetch"]["fetched_at"])
                status = {"found": "enriched", "not_found": "not_found"}[line["status"]]
            except (ValueError, KeyError, TypeError):
                continue
            if line.get("imdb_id") != imdb_id or line.get("run_id") != run_id:
                continue
            outcome = MovieOutcome(imdb_id=imdb_id, status=status, at=at,  # type: ignore[arg-type]
                                   attempts=int(line["fetch"].get("attempts") or 0))
            tmp = path.with_name(f".tmp-{path.name}")
            tmp.write_text(outcome.model_dump_json())
            tmp.replace(path)
            return True
    return False
