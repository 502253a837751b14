"""A local lake holding one complete run of N synthetic movies, written directly.

Enriching 100,000 movies through the pipeline takes minutes; benchmarks of what comes after
enrich (``cinelake rebuild``: silver, gold, the dashboard) only need what enrich leaves behind.
:func:`write_run_lake` writes exactly that for one run, in the shapes the pipeline writes
(:mod:`cinelake.bronze`, :mod:`cinelake.ledger`, :mod:`cinelake.layout`): the run's manifest
(every movie of the list), its ``queued.json``, one outcome per movie, and the bronze parts of
1,000 answers each (synthetic OMDb answers from :mod:`cinelake.devtools.synthetic`, about 2 %
not found). The run is complete, so ``cinelake rebuild`` builds its day from it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cinelake import bronze, layout
from cinelake.devtools import synthetic
from cinelake.models import MovieOutcome, RunManifest, SourceMovie

__all__ = ["write_run_lake"]

PART_LINES = 1_000
NOT_FOUND_EVERY = 50  # every 50th movie: OMDb answered "not found"


def write_run_lake(
    data_dir: Path,
    movies: int,
    *,
    snapshot: date = date(2026, 11, 29),
    seed: int = 0,
) -> str:
    """Write one complete run of ``movies`` movies into the lake at ``data_dir``; returns the
    run id. ``data_dir`` is a data dir as ``--data-dir`` takes it (``bronze/`` is created)."""
    lake = layout.LocalLake(Path(data_dir))
    root = lake.bronze
    started = datetime(snapshot.year, snapshot.month, snapshot.day, 3, 0, tzinfo=UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-5e7e1a"
    items = synthetic.source_list(movies, seed=seed)["items"]
    chosen = [
        SourceMovie(imdb_id=item["id"], rank=int(item["rank"]), title=item["title"], record=item)
        for item in items
    ]
    manifest = RunManifest(
        run_id=run_id,
        snapshot_date=snapshot,
        started_at=started,
        source="synthetic",
        top_n=movies,
        batch_size=1,
        movies=chosen,
        messages=movies,
        available=movies,
        omdb_url="http://omdb.test/",
    )
    _write(root / layout.manifest_key(run_id), manifest.model_dump_json().encode())
    _write(root / layout.queued_key(run_id), json.dumps({"messages": movies}).encode())
    outcomes = root / layout.outcomes_prefix(run_id)
    outcomes.mkdir(parents=True, exist_ok=True)
    lines: list[dict[str, object]] = []
    part = 0
    for n, movie in enumerate(chosen, 1):
        at = started + timedelta(milliseconds=n)
        found = n % NOT_FOUND_EVERY != 0
        answer = _Answer(
            kind="found" if found else "not_found",
            body=synthetic.omdb_answer(movie.imdb_id, seed=seed)
            if found
            else {"Response": "False", "Error": "Incorrect IMDb ID."},
            fetched_at=at,
        )
        lines.append(bronze.bronze_line(run_id, snapshot, movie, answer, cache_hit=False))
        outcome = MovieOutcome(
            imdb_id=movie.imdb_id,
            status="enriched" if found else "not_found",
            at=at,
            attempts=1,
        )
        (outcomes / f"{movie.imdb_id}.json").write_bytes(outcome.model_dump_json().encode())
        if len(lines) == PART_LINES or n == len(chosen):
            part += 1
            key = layout.bronze_part_key(snapshot, run_id, f"{part:032x}")
            _write(root / key, bronze.part_bytes(lines))
            lines = []
    return run_id


class _Answer:
    """What :func:`cinelake.bronze.bronze_line` records of an answer."""

    def __init__(self, *, kind: str, body: dict[str, object], fetched_at: datetime) -> None:
        self.kind = kind
        self.body = body
        self.fetched_at = fetched_at
        self.http_status = 200
        self.attempts = 1
        self.elapsed_ms = 0.0
        self.request_url = "http://omdb.test/"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
