"""The ledger reads a local folder's outcomes with plain file reads (a rebuild reads 20,000 of
them): the same answer, and the same errors, as reading them through the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cinelake import layout
from cinelake.adapters.storage import LocalObjectStore
from cinelake.damage import DamagedFile
from cinelake.ledger import RunLedger
from cinelake.models import MovieOutcome

RUN = "20260101T030000Z-abcdef"
AT = datetime(2026, 1, 1, 3, tzinfo=UTC)


class RemoteLike:
    """The same folder seen as a store without local files (the S3 path of the ledger)."""

    def __init__(self, store: LocalObjectStore) -> None:
        self._store = store

    def local_path(self, key: str) -> Path | None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _ledger(tmp_path: Path) -> tuple[RunLedger, LocalObjectStore]:
    store = LocalObjectStore(tmp_path / "bronze", "bronze")
    ledger = RunLedger(store)
    for n, status in enumerate(["enriched", "not_found", "failed"]):
        ledger.record_outcome(
            RUN, MovieOutcome(imdb_id=f"tt000000{n}", status=status, at=AT, attempts=n)
        )
    return ledger, store


def test_local_outcomes_are_those_read_through_the_store(tmp_path: Path) -> None:
    ledger, store = _ledger(tmp_path)
    store.put(layout.outcomes_prefix(RUN) + ".tmp-half-written.part", b"{")  # never read
    local = ledger.outcomes(RUN)
    remote = RunLedger(RemoteLike(store)).outcomes(RUN)  # type: ignore[arg-type]
    assert local == remote
    assert list(local) == ["tt0000000", "tt0000001", "tt0000002"]
    assert local["tt0000001"].status == "not_found"


def test_a_damaged_local_outcome_is_named(tmp_path: Path) -> None:
    ledger, store = _ledger(tmp_path)
    store.put(layout.outcome_key(RUN, "tt0000001"), b'{"imdb_id": "tt0000001", "status"')
    with pytest.raises(DamagedFile) as raised:
        ledger.outcomes(RUN)
    assert layout.outcome_key(RUN, "tt0000001") in str(raised.value)
    with pytest.raises(DamagedFile) as remote:
        RunLedger(RemoteLike(store)).outcomes(RUN)  # type: ignore[arg-type]
    assert str(remote.value) == str(raised.value)
