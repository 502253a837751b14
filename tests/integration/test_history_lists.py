"""Runs write the day's list beside silver; gold history counts a not-found movie as listed;
rebuild gives an older lake (no lists) its lists and rewrites every history partition."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq

from cinelake import layout
from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.ops.rebuild import rebuild
from cinelake.query import connect

from ..conftest import make_settings
from .test_same_day_runs_and_rebuild import IDS, KEY, run, runtime, source_of


def test_lists_carry_not_found_movies_and_rebuild_restores_them(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    ids = IDS[:6]
    catalog = synthetic.omdb_catalog(ids)
    missing = ids[2]
    del catalog[missing]  # OMDb does not know it: not found, yet on the list
    sim = OmdbSimulator(catalog, SimulatorConfig(api_key=KEY))
    first = run(
        runtime(lake, clock, sim),
        source_of(tmp_path, "d1.json", [(i, n) for n, i in enumerate(ids, 1)]),
        6,
    )
    clock.advance(86400)
    swapped = [ids[1], ids[0], *ids[2:5]]  # ids[5] leaves, ids[0] and ids[1] swap
    second = run(
        runtime(lake, clock, sim),
        source_of(tmp_path, "d2.json", [(i, n) for n, i in enumerate(swapped, 1)]),
        5,
    )
    assert first.silver_rows == 5 and second.silver_rows == 4

    lists = layout.LocalLake(lake).silver_files("lists")
    assert len(lists) == 2
    day1 = pq.read_table(lists[0])
    assert day1.column("imdb_id").to_pylist() == ids
    assert set(day1.column("run_id").to_pylist()) == {first.run_id}

    def movers() -> dict[str, str]:
        con = connect(lake)
        try:
            rows = con.execute(
                "SELECT imdb_id, status FROM gold_movers "
                "WHERE snapshot_date = (SELECT max(snapshot_date) FROM gold_movers)"
            ).fetchall()
        finally:
            con.close()
        return dict(rows)

    expected = {ids[0]: "down", ids[1]: "up", missing: "same", ids[3]: "same"}
    expected |= {ids[4]: "same", ids[5]: "exited"}
    assert movers() == expected

    # An older lake: no lists, no history in gold. Rebuild brings both back.
    shutil.rmtree(lake / "silver" / "lists")
    shutil.rmtree(lake / "gold" / "movers")
    report = rebuild(make_settings(lake))
    assert report.built == 2
    assert len(layout.LocalLake(lake).silver_files("lists")) == 2
    assert movers() == expected
