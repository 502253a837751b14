"""The run ledger: what each run asked for and where each movie ended up, kept in the bronze bucket.

The ledger keeps the facts; :mod:`cinelake.accounting` answers from them whether a run is complete
(never from "the last message") and what became of each movie. Outcomes are one object per
movie, so duplicate or out-of-order deliveries overwrite rather than double count.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cinelake import layout
from cinelake.bronze import CONTENT_TYPE
from cinelake.damage import DamagedFile, first_line
from cinelake.ids import RUN_ID_RE
from cinelake.models import MovieOutcome, RunManifest
from cinelake.objects import ObjectNotFound, ObjectStore

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class Pause:
    reason: str  # "quota" or "invalid_key"
    until: datetime
    detail: str
    since: datetime | None = None  # when this stretch of pauses began (None: records before it)

    def paused_for(self, now: datetime) -> timedelta:
        """How long enrichment has been paused at ``now`` (zero for a pause without a start)."""
        return max(timedelta(0), now - self.since) if self.since is not None else timedelta(0)


def _damaged(store: ObjectStore, key: str, exc: Exception) -> DamagedFile:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        problem = f"{where + ': ' if where else ''}{err['msg']}"[:160]
    else:
        problem = first_line(exc)
    return DamagedFile(f"{store.bucket}/{key}", problem)


class RunLedger:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        # Manifests never change once written, so each is read once per process.
        self._manifests: dict[str, RunManifest] = {}
        # What callers derive from a manifest, kept as long as the manifest is.
        self.derived: dict[tuple[str, str], object] = {}

    # -- manifest -------------------------------------------------------------------------
    def write_manifest(self, manifest: RunManifest) -> None:
        self.store.put(layout.manifest_key(manifest.run_id), manifest.model_dump_json().encode())

    def manifest(self, run_id: str) -> RunManifest:
        cached = self._manifests.get(run_id)
        if cached is None:
            cached = self._model(RunManifest, layout.manifest_key(run_id))
            self._manifests[run_id] = cached
        return cached

    def _model(self, model: type[_M], key: str) -> _M:
        data = self.store.get(key)
        try:
            return model.model_validate_json(data)
        except (ValidationError, ValueError) as exc:
            raise _damaged(self.store, key, exc) from None

    def _json(self, key: str) -> Any:
        data = self.store.get(key)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise _damaged(self.store, key, exc) from None

    def has_manifest(self, run_id: str) -> bool:
        # A listing, not a HEAD: on S3 a HEAD of a missing key needs read rights to say 404.
        key = layout.manifest_key(run_id)
        return run_id in self._manifests or key in self.store.list_keys(key)

    def mark_queued(self, run_id: str, messages: int) -> None:
        self._put_json(layout.queued_key(run_id), {"messages": messages})

    def is_queued(self, run_id: str) -> bool:
        key = layout.queued_key(run_id)
        return key in self.store.list_keys(key)

    def run_ids(self) -> list[str]:
        """All runs, oldest first (run ids start with their UTC start time).

        One level of listing: the cost grows with the number of runs, not of their outcomes.
        The manifest is a run's first object, so a run folder always has one.
        """
        return [r for r in self.store.list_folders(layout.RUNS_PREFIX) if RUN_ID_RE.fullmatch(r)]

    # -- outcomes -------------------------------------------------------------------------
    def record_outcome(self, run_id: str, outcome: MovieOutcome) -> None:
        key = layout.outcome_key(run_id, outcome.imdb_id)
        self.store.put(key, outcome.model_dump_json().encode())

    def outcomes(self, run_id: str) -> dict[str, MovieOutcome]:
        prefix = layout.outcomes_prefix(run_id)
        folder = self.store.local_path(prefix.rstrip("/"))
        if folder is not None:
            return self._local_outcomes(prefix, str(folder))
        out: dict[str, MovieOutcome] = {}
        for obj in self.store.list(prefix):
            outcome = self._model(MovieOutcome, obj.key)
            out[outcome.imdb_id] = outcome
        return out

    def _local_outcomes(self, prefix: str, folder: str) -> dict[str, MovieOutcome]:
        """The outcomes of a folder on this machine: one listing (no stat per object), then
        plain file reads; the same objects, in the same order, as through the store's
        ``get`` (a rebuild reads 20,000 of them)."""
        out: dict[str, MovieOutcome] = {}
        for key in self.store.list_keys(prefix):
            path = os.path.join(folder, *key[len(prefix) :].split("/"))
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise ObjectNotFound(key) from None
            try:
                outcome = MovieOutcome.model_validate_json(data)
            except (ValidationError, ValueError) as exc:
                raise _damaged(self.store, key, exc) from None
            out[outcome.imdb_id] = outcome
        return out

    def outcome(self, run_id: str, imdb_id: str) -> MovieOutcome | None:
        try:
            return self._model(MovieOutcome, layout.outcome_key(run_id, imdb_id))
        except ObjectNotFound:
            return None

    def done_ids(self, run_id: str) -> set[str]:
        """Ids with a terminal outcome, from a listing alone (no reads)."""
        prefix = layout.outcomes_prefix(run_id)
        return {key[len(prefix) : -len(".json")] for key in self.store.list_keys(prefix)}

    # -- completion tallies (what they mean: cinelake.accounting) -------------------------
    def put_tally(self, run_id: str, shard: int, name: str) -> None:
        self.store.put(layout.tally_key(run_id, shard, name), b"")

    def tally_names(self, run_id: str, shard: int) -> list[str]:
        prefix = layout.tally_prefix(run_id, shard)
        return [key[len(prefix) :] for key in self.store.list_keys(prefix)]

    def all_tally_names(self, run_id: str) -> list[tuple[str, str]]:
        """Every tally of the run as (shard folder, name), from one listing."""
        prefix = layout.run_prefix(run_id) + layout.TALLY_FOLDER
        out = []
        for key in self.store.list_keys(prefix):
            shard, _, name = key[len(prefix) :].partition("/")
            out.append((shard, name))
        return out

    def mark_shard_full(self, run_id: str, shard: int) -> None:
        self.store.put(layout.tally_full_key(run_id, shard), b"")

    def full_shards(self, run_id: str) -> set[str]:
        prefix = layout.tally_full_prefix(run_id)
        return {key[len(prefix) :] for key in self.store.list_keys(prefix)}

    def claim_completion(self, snapshot: date, run_id: str) -> bool:
        """Write the run's completion part unless it exists: True for the one writer that
        created it (its ObjectCreated event builds silver)."""
        return self.store.put_new(layout.completion_part_key(snapshot, run_id), b"", CONTENT_TYPE)

    def completion_claimed(self, snapshot: date, run_id: str) -> bool:
        key = layout.completion_part_key(snapshot, run_id)
        local = self.store.local_path(key)
        if local is not None:
            return local.is_file()  # a folder's listing would read every part of the run
        # A listing, not a HEAD (see has_manifest).
        return key in self.store.list_keys(key)

    # -- enrichment statistics (one object per invocation, summed on read) ----------------
    def add_enrich_stats(self, run_id: str, stats: dict[str, int]) -> None:
        import uuid

        self._put_json(layout.stats_key(run_id, uuid.uuid4().hex), stats)

    def enrich_stats(self, run_id: str) -> Counter[str]:
        total: Counter[str] = Counter()
        for obj in self.store.list(layout.stats_prefix(run_id)):
            stats = self._json(obj.key)
            if not isinstance(stats, dict) or not all(isinstance(v, int) for v in stats.values()):
                raise DamagedFile(f"{self.store.bucket}/{obj.key}", "not a JSON object of counts")
            total.update(stats)
        return total

    # -- stage reports --------------------------------------------------------------------
    def write_report(self, run_id: str, stage: str, report: dict[str, Any]) -> None:
        self._put_json(layout.report_key(run_id, stage), report)

    def report(self, run_id: str, stage: str) -> dict[str, Any] | None:
        key = layout.report_key(run_id, stage)
        try:
            report = self._json(key)
        except ObjectNotFound:
            return None
        if not isinstance(report, dict):
            raise DamagedFile(f"{self.store.bucket}/{key}", "not a JSON object")
        return report

    # -- pause (quota reached, key rejected) ----------------------------------------------
    def pause(self, pause: Pause) -> None:
        record = {"reason": pause.reason, "until": pause.until.isoformat(), "detail": pause.detail}
        if pause.since is not None:
            record["since"] = pause.since.isoformat()
        self._put_json(layout.PAUSE_KEY, record)

    def paused(self, now: datetime) -> Pause | None:
        pause = self.last_pause()
        return pause if pause is not None and pause.until > now else None

    def last_pause(self) -> Pause | None:
        """The pause record, expired or not (None when there is none)."""
        key = layout.PAUSE_KEY
        try:
            data = self._json(key)
        except ObjectNotFound:
            return None
        try:
            since = data.get("since")
            pause = Pause(
                str(data["reason"]),
                datetime.fromisoformat(data["until"]),
                str(data.get("detail", "")),
                datetime.fromisoformat(since) if since else None,
            )
            if pause.until.tzinfo is None or (pause.since and pause.since.tzinfo is None):
                raise ValueError("until has no time zone")
        except (KeyError, TypeError, ValueError) as exc:
            raise _damaged(self.store, key, exc) from None
        return pause

    def resume(self) -> None:
        self.store.delete(layout.PAUSE_KEY)

    # -------------------------------------------------------------------------------------
    def _put_json(self, key: str, data: dict[str, Any]) -> None:
        self.store.put(key, json.dumps(data, ensure_ascii=False).encode(), "application/json")
