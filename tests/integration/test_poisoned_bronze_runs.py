"""A damaged bronze part never blocks the day and never drops a movie without saying so."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cinelake.clock import FakeClock
from cinelake.devtools import synthetic
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.ops.rebuild import rebuild
from cinelake.ops.runs import LocalRuntime

from ..conftest import make_settings, write_source

KEY = "poisoned-key-4410"
IDS = [synthetic.imdb_id(i) for i in range(1, 7)]


def first_run(lake: Path, clock: FakeClock, tmp_path: Path) -> str:
    source = write_source(tmp_path / "top.json", synthetic.source_list(6)["items"])
    sim = OmdbSimulator(synthetic.omdb_catalog(IDS), SimulatorConfig(api_key=KEY))
    rt = LocalRuntime(
        make_settings(lake, omdb_api_key=KEY), clock=clock, omdb_transport=sim.transport()
    )
    try:
        summary = rt.run(source=str(source), top_n=6, batch_size=1)
    finally:
        rt.queue.close()
    assert summary.complete and summary.silver_rows == 6
    return summary.run_id


def parts(lake: Path) -> list[Path]:
    return sorted(p for p in (lake / "bronze" / "omdb").rglob("part-*.jsonl") if p.stat().st_size)


def table(lake: Path, folder: str, columns: str) -> list[tuple[object, ...]]:
    files = sorted((lake / "silver" / folder).glob("snapshot_date=*/*.parquet"))
    return (
        duckdb.connect()
        .execute(f"SELECT {columns} FROM read_parquet(?) ORDER BY 1", [[str(f) for f in files]])
        .fetchall()
    )


def test_a_truncated_part_reports_every_lost_movie_by_id(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    run_id = first_run(lake, clock, tmp_path)
    lines = b"".join(p.read_bytes() for p in parts(lake)).splitlines()
    assert len(lines) == 6
    for p in parts(lake):
        p.unlink()
    # What is left of the day: two whole lines and the start of a third (its id survives).
    kept = lines[0] + b"\n" + lines[1] + b"\n" + lines[2][:300]
    target = next((lake / "bronze" / "omdb").rglob(f"run_id={run_id}"))
    (target / "part-0000cafe.jsonl").write_bytes(kept)

    report = rebuild(make_settings(lake, omdb_api_key=KEY))
    assert [d.state for d in report.days] == ["built"]
    movies = [r[0] for r in table(lake, "movies", "imdb_id")]
    quarantine = dict(table(lake, "quarantine", "requested_imdb_id, reasons[1]"))
    assert len(movies) == 2
    assert sorted(movies + list(quarantine)) == IDS  # every movie somewhere, none twice
    cut_id = next(i for i in IDS if i.encode() in lines[2][:300])
    assert quarantine[cut_id].startswith("invalid_json")
    lost = [i for i in IDS if i not in movies and i != cut_id]
    assert len(lost) == 3
    assert all(
        quarantine[i].startswith("missing_from_bronze: the ledger records enriched") for i in lost
    )


def test_garbage_and_non_utf8_lines_never_block_the_day(
    lake: Path, clock: FakeClock, tmp_path: Path
) -> None:
    first_run(lake, clock, tmp_path)
    part = parts(lake)[0]
    part.write_bytes(part.read_bytes() + b'\xff\xfe not json at all\n{"imdb_id": "tt00\n')
    report = rebuild(make_settings(lake, omdb_api_key=KEY))
    assert [d.state for d in report.days] == ["built"] and report.days[0].rows == 6
    reasons = [r[0] for r in table(lake, "quarantine", "reasons[1]")]
    assert sorted(r.split(":")[0] for r in reasons) == ["invalid_json", "invalid_utf8"]
