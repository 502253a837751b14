"""The one schema definition and what is derived from it."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from cinelake.silver import schema

CONTRACT = [
    "imdb_id", "snapshot_date", "run_id", "source_rank", "source_rating", "source_votes", "title",
    "type", "year", "end_year",
    "rated", "released", "runtime_minutes", "genres", "directors", "writers", "actors",
    "languages", "countries", "plot", "awards_text", "oscar_wins", "oscar_nominations",
    "award_wins", "award_nominations", "poster_url", "imdb_rating", "imdb_votes", "metascore",
    "rotten_tomatoes", "box_office_usd", "dvd_released", "production", "website", "ingested_at",
    "enrichment", "omdb_fetched_at",
]  # fmt: skip


def test_columns_are_the_contract_in_order() -> None:
    assert [c.name for c in schema.MOVIES_COLUMNS] == CONTRACT
    assert [c.name for c in schema.MOVIES_COLUMNS if c.partition] == ["snapshot_date"]


def test_arrow_schema_leaves_out_the_partition_column() -> None:
    names = schema.arrow_schema().names
    assert names == [n for n in CONTRACT if n != "snapshot_date"]
    assert schema.arrow_schema(include_partition=True).names == CONTRACT
    assert "snapshot_date" not in schema.quarantine_arrow_schema().names


def test_precise_arrow_types() -> None:
    s = schema.arrow_schema()
    assert s.field("source_rank").type == pa.int32()
    assert s.field("imdb_votes").type == pa.int64()
    assert s.field("box_office_usd").type == pa.int64()
    assert s.field("imdb_rating").type == pa.float64()
    assert s.field("released").type == pa.date32()
    assert s.field("ingested_at").type == pa.timestamp("us", tz="UTC")
    assert s.field("genres").type == pa.list_(pa.string())
    assert not s.field("genres").nullable
    assert not s.field("imdb_id").nullable
    assert s.field("metascore").nullable


def test_hive_columns() -> None:
    cols = dict(schema.hive_columns())
    assert cols["genres"] == "array<string>"
    assert cols["released"] == "date"
    assert cols["ingested_at"] == "timestamp"
    assert cols["imdb_votes"] == "bigint"
    assert cols["source_rank"] == "int"
    assert cols["imdb_rating"] == "double"
    assert "snapshot_date" not in cols
    assert schema.hive_columns(include_partition=True)[1] == ("snapshot_date", "date")
    assert dict(schema.quarantine_hive_columns())["reasons"] == "array<string>"


def test_markdown_table_has_a_row_per_column() -> None:
    table = schema.markdown_table()
    assert table.count("\n") == len(schema.MOVIES_COLUMNS) + 2


def _valid_movies(**override: list) -> pa.Table:
    row = dict.fromkeys(schema.arrow_schema().names)
    row |= {
        "imdb_id": "tt0111161",
        "run_id": "20261129T030000Z-1a2b3c",
        "source_rank": 1,
        "genres": [], "directors": [], "writers": [], "actors": [], "languages": [],
        "countries": [],
        "ingested_at": datetime(2026, 11, 29, tzinfo=UTC),
        "enrichment": "fresh",
    }  # fmt: skip
    data = {k: [v] for k, v in row.items()} | override
    return pa.table(data)


def test_conform_casts_to_the_exact_schema() -> None:
    table = schema.conform_movies(_valid_movies())
    assert table.schema == schema.arrow_schema()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"imdb_id": ["nm0000001"]}, "does not match"),
        ({"imdb_id": [None]}, "nulls in a required column"),
        ({"genres": [None]}, "nulls in a required column"),
        ({"imdb_rating": [10.5]}, "above the maximum"),
        ({"metascore": [-1]}, "below the minimum"),
        ({"type": ["game"]}, "not one of"),
        ({"source_rank": [2**40]}, "cannot be int32"),
    ],
)
def test_conform_rejects_what_breaks_the_contract(override: dict, message: str) -> None:
    with pytest.raises(schema.SchemaViolation, match=message):
        schema.conform_movies(_valid_movies(**override))


def test_conform_rejects_missing_and_extra_columns() -> None:
    table = _valid_movies()
    with pytest.raises(schema.SchemaViolation, match="missing"):
        schema.conform_movies(table.drop_columns(["plot"]))
    with pytest.raises(schema.SchemaViolation, match="unexpected"):
        schema.conform_movies(table.append_column("extra", pa.array([1])))
