"""Backfill over the embedded runtime with an injected clock: gold is built once, a corrected
day replaces its snapshot even within the same second, and a future as-of writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cinelake import accounting
from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.ops.backfill import backfill, scan
from cinelake.ops.runs import LocalRuntime
from cinelake.sources.top_list import SourceError

from ..conftest import make_settings, write_source

KEY = "test-key-b4f1"
MOVIES = 6


def runtime(lake: Path, clock: FakeClock, sim: OmdbSimulator) -> tuple[LocalRuntime, list[str]]:
    """A runtime whose handler invocations are recorded by name."""
    rt = LocalRuntime(
        make_settings(lake, omdb_api_key=KEY), clock=clock, omdb_transport=sim.transport()
    )
    invoked: list[str] = []
    plain = rt.invoke

    def invoke(handler: Any, event: dict[str, Any], name: str) -> dict[str, Any]:
        invoked.append(name)
        return plain(handler, event, name)

    rt.invoke = invoke  # type: ignore[method-assign]
    return rt, invoked


def day_items(shift: int) -> list[dict[str, str]]:
    items = synthetic.source_list(MOVIES)["items"]
    rotated = items[shift:] + items[:shift]
    return [i | {"rank": str(r)} for r, i in enumerate(rotated, 1)]


@pytest.fixture
def sim() -> OmdbSimulator:
    ids = [synthetic.imdb_id(i) for i in range(1, MOVIES + 1)]
    return OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))


def test_silver_per_day_and_gold_once(
    lake: Path, tmp_path: Path, clock: FakeClock, sim: OmdbSimulator
) -> None:
    folder = tmp_path / "days"
    folder.mkdir()
    today = clock.now().date()
    for n in range(4):
        write_source(folder / f"{today - timedelta(days=4 - n)}.json", day_items(n))
    rt, invoked = runtime(lake, clock, sim)
    try:
        report = backfill(rt, scan(folder, today), top_n=MOVIES, batch_size=2)
    finally:
        rt.queue.close()
    assert [d.status for d in report.days] == ["built"] * 4
    assert invoked.count("ProcessSilverToGold") == 1 and report.gold_rebuilt
    silver = sorted(p.parent.name for p in (lake / "silver" / "movies").rglob("*.parquet"))
    assert silver == [f"snapshot_date={today - timedelta(days=4 - n)}" for n in range(4)]
    gold = json.loads((lake / "gold" / "_manifest.json").read_text())
    assert gold["snapshot_date"] == str(today - timedelta(days=1))  # the newest day


def test_a_corrected_day_owns_its_snapshot_even_in_the_same_second(
    lake: Path, tmp_path: Path, clock: FakeClock, sim: OmdbSimulator
) -> None:
    """The clock does not move between the two backfills: the second run must still sort
    after the first (run ids order a day's runs by start second)."""
    folder = tmp_path / "days"
    folder.mkdir()
    day = clock.now().date() - timedelta(days=3)
    write_source(folder / f"{day}.json", day_items(0))
    rt, _ = runtime(lake, clock, sim)
    try:
        first = backfill(rt, scan(folder, clock.now().date()), top_n=MOVIES, batch_size=1)
        write_source(folder / f"{day}.json", day_items(2))
        second = backfill(rt, scan(folder, clock.now().date()), top_n=MOVIES, batch_size=1)
        ledger = rt.deps.ledger
        owner = accounting.day_owner(ledger, ledger.run_ids()).run_id
    finally:
        rt.queue.close()
    assert [d.status for d in first.days + second.days] == ["built", "built"]
    assert owner == second.days[0].run_id != first.days[0].run_id
    assert (ledger.report(first.days[0].run_id, "silver") or {}).get("state") == "built"


def test_a_future_as_of_is_refused_before_anything_is_written(
    lake: Path, tmp_path: Path, clock: FakeClock, sim: OmdbSimulator
) -> None:
    source = write_source(tmp_path / "top.json", day_items(0))
    rt, _ = runtime(lake, clock, sim)
    try:
        with pytest.raises(SourceError, match="in the future"):
            rt.run(
                source=str(source),
                top_n=3,
                batch_size=1,
                as_of=clock.now().date() + timedelta(days=1),
            )
    finally:
        rt.queue.close()
    assert rt.deps.ledger.run_ids() == [] and sim.requests == 0
