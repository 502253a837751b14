"""Completion at a cost independent of the run's size: tallies per shard, and exactly one
completion part, whatever the order, duplicates or concurrency of the invocations."""

from __future__ import annotations

import builtins
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cinelake import accounting, layout
from cinelake.adapters.storage import LocalObjectStore
from cinelake.ledger import RunLedger
from cinelake.models import MovieOutcome, RunManifest, SourceMovie

AT = datetime(2026, 11, 29, 3, tzinfo=UTC)
DAY = date(2026, 11, 29)
RUN = "20261129T030000Z-aaaaaa"


class CountingStore(LocalObjectStore):
    """Counts what each listing returns, so a test can bound the listings of an invocation."""

    def __init__(self, root: Path, bucket: str) -> None:
        super().__init__(root, bucket)
        self.listed: list[int] = []
        self._lock = threading.Lock()

    def list_keys(self, prefix: str = "") -> builtins.list[str]:
        keys = super().list_keys(prefix)
        with self._lock:
            self.listed.append(len(keys))
        return keys


def _ids(n: int) -> list[str]:
    return [f"tt{i:07d}" for i in range(1, n + 1)]


def _ledger(tmp_path: Path, ids: list[str], *, tallied: bool = True) -> RunLedger:
    ledger = RunLedger(CountingStore(tmp_path / "bronze", "bronze"))
    ledger.write_manifest(
        RunManifest(
            run_id=RUN,
            snapshot_date=DAY,
            started_at=AT,
            source="list",
            top_n=len(ids),
            batch_size=1,
            movies=[SourceMovie(imdb_id=i, rank=n) for n, i in enumerate(ids, 1)],
            tally_shard=accounting.TALLY_SHARD if tallied else None,
        )
    )
    return ledger


def _invocation(ledger: RunLedger, ids: list[str]) -> bool:
    """What an enrich invocation does: outcomes, tallies, then the completion part if it can."""
    for imdb_id in ids:
        ledger.record_outcome(RUN, MovieOutcome(imdb_id=imdb_id, status="enriched", at=AT))
    return accounting.tally(ledger, RUN, ids) and ledger.claim_completion(DAY, RUN)


def test_tally_names_round_trip_and_stay_short() -> None:
    offsets = {0, 1, 2, 3, 7, 9, 10, 11, 499}
    assert accounting.tally_names(offsets) == ["0-3.7.9-11.499"]
    scattered = set(range(0, 500, 2))
    names = accounting.tally_names(scattered)
    assert len(names) > 1 and all(len(n) <= accounting.TALLY_NAME_MAX for n in names)
    assert set().union(*(accounting.tally_offsets(n) for n in names)) == scattered
    assert accounting.tally_offsets("../x") == set() and accounting.tally_offsets("1-") == set()


def test_the_run_completes_once_in_any_order_with_duplicates(tmp_path: Path) -> None:
    ids = _ids(1234)  # three shards, the last one partial
    ledger = _ledger(tmp_path, ids)
    batches = [ids[n : n + 10] for n in range(0, len(ids), 10)]
    batches += random.Random(7).sample(batches, 40)  # duplicate deliveries
    random.Random(3).shuffle(batches)
    completed = []
    for n, batch in enumerate(batches):
        if _invocation(ledger, batch):
            completed.append(n)
        done = accounting.account(ledger, RUN).complete
        # The completion part exists exactly when every movie has an outcome.
        assert accounting.completion_recorded(ledger, RUN) == done
    assert len(completed) == 1
    # Later deliveries (a redrive) find the run complete and write no second part.
    assert not _invocation(ledger, ids[:10])
    assert ledger.store.list_keys(layout.bronze_run_prefix(DAY, RUN)) == [
        layout.completion_part_key(DAY, RUN)
    ]
    assert accounting.tallied(ledger, RUN) == len(ids)


def test_concurrent_invocations_write_exactly_one_completion_part(tmp_path: Path) -> None:
    ids = _ids(1500)
    ledger = _ledger(tmp_path, ids)
    batches = [ids[n : n + 10] for n in range(0, len(ids), 10)] * 2  # every message twice
    random.Random(11).shuffle(batches)
    with ThreadPoolExecutor(32) as pool:
        claimed = list(pool.map(lambda b: _invocation(ledger, b), batches))
    assert sum(claimed) == 1
    assert accounting.completion_recorded(ledger, RUN)


@pytest.mark.parametrize("movies", [2_000, 20_000])
def test_an_invocation_lists_the_same_whatever_the_run_size(tmp_path: Path, movies: int) -> None:
    ids = _ids(movies)
    ledger = _ledger(tmp_path, ids)
    assert isinstance(ledger.store, CountingStore)
    most = 0
    for n in range(0, movies, 10):
        ledger.store.listed.clear()
        batch = ids[n : n + 10]  # (outcomes left out: tallies alone are what is listed)
        if accounting.tally(ledger, RUN, batch):
            ledger.claim_completion(DAY, RUN)
        # One listing of the shard's tallies, and one of the full shards when one fills.
        assert len(ledger.store.listed) <= 3
        most = max(most, max(ledger.store.listed))
    assert most <= accounting.TALLY_SHARD // 10 + 1  # a shard's tallies, never the run's
    assert accounting.completion_recorded(ledger, RUN)


def test_a_run_without_tallies_is_counted_from_its_outcomes(tmp_path: Path) -> None:
    ids = _ids(30)
    ledger = _ledger(tmp_path, ids, tallied=False)
    for imdb_id in ids[:-1]:
        ledger.record_outcome(RUN, MovieOutcome(imdb_id=imdb_id, status="enriched", at=AT))
    assert not accounting.completion_recorded(ledger, RUN)
    assert _invocation(ledger, ids[-1:])
    assert accounting.completion_recorded(ledger, RUN)


def test_s3_conditional_write_creates_once() -> None:
    import boto3
    from moto import mock_aws

    from cinelake.adapters.storage import S3ObjectStore

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="bronze")
        store = S3ObjectStore(client, "bronze")
        assert store.put_new("a/b", b"1")
        assert not store.put_new("a/b", b"2")
        assert store.get("a/b") == b"1"


def test_local_conditional_write_creates_once_and_notifies_once(tmp_path: Path) -> None:
    events: list[str] = []
    store = LocalObjectStore(tmp_path / "b", "bronze", lambda b, k, n: events.append(k))
    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(lambda n: store.put_new("x/y", str(n).encode()), range(32)))
    assert sum(created) == 1 and events == ["x/y"]
    assert not list((tmp_path / "b").rglob(".tmp-*"))
