"""The dashboard page as text: self-contained, data block safe, gold read from disk."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pyarrow as pa

from cinelake.dashboard import dashboard_payload, read_gold_dir, render_dashboard, write_dashboard
from cinelake.gold.datasets import DATASETS, dataset
from cinelake.gold.export import parquet_bytes

GENERATED = datetime(2026, 1, 2, 6, 30, tzinfo=UTC)
EVIL = "</script><script>alert(1)</script> <!-- & \u2028 {{JS}} {{DATA}}"


def top_rated(rows: list[dict]) -> pa.Table:
    ds = dataset("top_rated")
    full = [{name: row.get(name) for name in ds.column_names} for row in rows]
    return pa.Table.from_pylist(full, schema=ds.schema)


MOVIES = [
    {
        "rank": 1,
        "imdb_id": "tt0000001",
        "title": EVIL,
        "year": 2001,
        "imdb_rating": 9.0,
        "genres": "Crime, Drama",
        "directors": "A B",
        "countries": "",
        "snapshot_date": date(2026, 1, 2),
        "box_office_usd": 5,
    },
    {"rank": 2, "imdb_id": "tt0000002", "title": "=LOL", "genres": "", "directors": ""},
]


def data_block(page: str) -> str:
    match = re.search(
        r'<script type="application/json" id="cinelake-data">(.*?)</script>', page, re.S
    )
    assert match, "no data block"
    return match.group(1)


def test_data_block_cannot_break_out_and_parses_back():
    tables = {"top_rated": top_rated(MOVIES)}
    page = render_dashboard(tables, generated_at=GENERATED)
    block = data_block(page)
    assert "<" not in block and ">" not in block and "&" not in block
    assert "\u2028" not in block
    payload = json.loads(block)
    assert payload == dashboard_payload(tables, generated_at=GENERATED)
    assert payload["movies"][0]["title"] == EVIL
    assert payload["movies"][0]["genres"] == ["Crime", "Drama"]
    assert payload["movies"][0]["countries"] == []
    assert payload["meta"]["snapshot_date"] == "2026-01-02"
    # exactly one real script closing per script element: data + code
    assert page.count("</script>") == 2
    # the placeholders in the title did not pull code or data in a second time
    assert page.count("use strict") == 1


def test_page_is_self_contained():
    page = render_dashboard({}, generated_at=GENERATED)
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(https?:)?//", page)
    assert "{{" not in page.replace("{{JS}}", "").replace("{{DATA}}", "")
    assert json.loads(data_block(page))["movies"] == []


def test_silver_like_rows_with_lists_can_be_the_movie_list():
    rows = [
        {
            "imdb_id": "tt0000003",
            "title": "Listy",
            "genres": ["Drama", " ", None],
            "countries": ["Japan"],
            "directors": [],
            "imdb_rating": float("nan"),
        }
    ]
    payload = dashboard_payload({}, generated_at=GENERATED, movies=rows)
    (m,) = payload["movies"]
    assert m["genres"] == ["Drama"] and m["countries"] == ["Japan"] and m["directors"] == []
    assert m["imdb_rating"] is None and m["rank"] == 1
    json.dumps(payload, allow_nan=False)


def test_read_gold_dir_flat_and_partitioned(tmp_path):
    gold = tmp_path / "gold"
    flat = top_rated(MOVIES)
    (gold / "top_rated").mkdir(parents=True)
    (gold / "top_rated" / "part-0.parquet").write_bytes(parquet_bytes(flat))
    kpis = dataset("kpis")
    for day, movies in (("2026-01-01", 1), ("2026-01-02", 2)):
        folder = gold / "kpis" / f"snapshot_date={day}"
        folder.mkdir(parents=True)
        row = dict.fromkeys(kpis.column_names)
        row.update(movies=movies, snapshot_date=date.fromisoformat(day))
        table = pa.Table.from_pylist([row], schema=kpis.schema)
        (folder / "data.parquet").write_bytes(parquet_bytes(table))
    tables = read_gold_dir(gold)
    assert set(tables) == {"top_rated", "kpis"}
    assert tables["top_rated"].equals(flat)
    assert tables["kpis"].column("movies").to_pylist() == [2]  # latest partition only

    out = write_dashboard(gold, tmp_path / "site" / "index.html", generated_at=GENERATED)
    payload = json.loads(data_block(out.read_text("utf-8")))
    assert len(payload["movies"]) == 2
    assert payload["datasets"] == {"top_rated": 2, "kpis": 1}
    assert payload["meta"]["snapshot_date"] == "2026-01-02"


def test_every_gold_dataset_is_listed_when_present(tmp_path):
    tables = {ds.name: ds.schema.empty_table() for ds in DATASETS}
    payload = dashboard_payload(tables, generated_at=GENERATED)
    assert list(payload["datasets"]) == [ds.name for ds in DATASETS]
    assert payload["movies"] == [] and payload["kpis"] is None
