"""Run accounting: completion, each movie's fate and the day's owning run, from one model."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from cinelake import accounting
from cinelake.adapters.storage import LocalObjectStore
from cinelake.ledger import RunLedger
from cinelake.models import MovieOutcome, RunManifest, SourceMovie

AT = datetime(2026, 11, 29, 3, tzinfo=UTC)
IDS = ["tt0000001", "tt0000002", "tt0000003", "tt0000004", "tt0000005", "tt0000006"]


def _ledger(tmp_path: Path) -> RunLedger:
    return RunLedger(LocalObjectStore(tmp_path / "bronze", "bronze"))


def _run(ledger: RunLedger, run_id: str, ids: list[str], day: date = date(2026, 11, 29)) -> None:
    ledger.write_manifest(
        RunManifest(
            run_id=run_id,
            snapshot_date=day,
            started_at=AT,
            source="list",
            top_n=len(ids),
            batch_size=1,
            movies=[SourceMovie(imdb_id=i, rank=n) for n, i in enumerate(ids, 1)],
        )
    )


def _done(ledger: RunLedger, run_id: str, imdb_id: str, status: str) -> None:
    ledger.record_outcome(run_id, MovieOutcome(imdb_id=imdb_id, status=status, at=AT))  # type: ignore[arg-type]


def test_every_movie_has_one_fate_and_the_counts_agree(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    run = "20261129T030000Z-aaaaaa"
    _run(ledger, run, IDS)
    _done(ledger, run, IDS[0], "enriched")
    _done(ledger, run, IDS[1], "enriched")
    _done(ledger, run, IDS[2], "not_found")
    _done(ledger, run, IDS[3], "failed")
    ledger.write_report(run, "silver", {"state": "built", "quarantined_ids": [IDS[1]]})

    acc = accounting.account(ledger, run, [IDS[4]], outcomes=True, silver=True)

    assert acc.fates() == {
        IDS[0]: "silver",
        IDS[1]: "quarantined",
        IDS[2]: "not_found",
        IDS[3]: "dead_lettered",
        IDS[4]: "queued",
        IDS[5]: "unaccounted",
    }
    assert (acc.count("enriched"), acc.count("not_found"), acc.count("failed")) == (2, 1, 1)
    assert (acc.still_queued, acc.unaccounted, acc.remaining) == (1, 1, 2)
    assert not acc.complete
    assert acc.state(paused=False, superseded=lambda: False) == "interrupted"
    assert acc.incomplete_reason() == (
        "incomplete: 1 movie still queued, 1 movie neither done nor queued (interrupted; "
        "`cinelake resume` finishes it)"
    )
    # A listing alone says the same about completion.
    assert accounting.account(ledger, run, [IDS[4]]).remaining == 2


def test_the_day_belongs_to_its_latest_complete_run(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    older, newer, newest = (f"20261129T0{h}0000Z-aaaaaa" for h in (3, 4, 5))
    for run in (older, newer, newest):
        _run(ledger, run, IDS[:2])
    for run in (older, newer):
        for i in IDS[:2]:
            _done(ledger, run, i, "enriched")
    _done(ledger, newest, IDS[0], "enriched")  # the newest is still going

    owner = accounting.day_owner(ledger, [older, newer, newest], {newest: {IDS[1]}})

    assert owner.run_id == newer
    assert owner.passed_over == [(newest, "incomplete: 1 movie still queued")]
    assert accounting.superseding_run(ledger, older, [older, newer, newest]) == newer
    assert accounting.superseding_run(ledger, newer, [older, newer, newest]) is None
    assert accounting.is_superseded(ledger, older, [older, newer, newest])
    # Another day's complete run never owns this day.
    other = "20261130T030000Z-aaaaaa"
    _run(ledger, other, IDS[:1], date(2026, 11, 30))
    _done(ledger, other, IDS[0], "enriched")
    assert not accounting.is_superseded(ledger, newer, [older, newer, newest, other])


def test_a_complete_run_needs_silver_unless_superseded(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    run = "20261129T030000Z-aaaaaa"
    _run(ledger, run, IDS[:1])
    _done(ledger, run, IDS[0], "enriched")
    acc = accounting.account(ledger, run, silver=True)
    assert acc.complete and acc.needs_work(lambda: False)
    assert not acc.needs_work(lambda: True)
    assert acc.state(paused=False, superseded=lambda: False) == "awaiting_silver"
    # Messages still in the queue (a redrive) are work, even for a complete run.
    assert accounting.account(ledger, run, IDS[:1], silver=True).needs_work(lambda: True)
    ledger.write_report(run, "silver", {"state": "failed"})
    acc = accounting.account(ledger, run, silver=True)
    assert not acc.needs_work(lambda: False)
    assert acc.state(paused=False, superseded=lambda: True) == "failed"
