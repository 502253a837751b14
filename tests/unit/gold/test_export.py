"""Gold exports: spreadsheet-safe CSV, Parquet, QuickSight manifest, Athena DDL, docs."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cinelake.gold.datasets import DATASETS, dataset
from cinelake.gold.export import (
    CSV_DANGEROUS_PREFIXES,
    athena_ddl,
    csv_bytes,
    csv_cell,
    docs_markdown,
    hive_type,
    parquet_bytes,
    quicksight_manifest,
)

ROOT = Path(__file__).resolve().parents[3]
DANGEROUS = "=+-@\t\r"

# Text without lone surrogates (they cannot be UTF-8 encoded, and never reach gold).
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def one_cell(value, type_=None) -> str:
    table = pa.table({"c": pa.array([value], type=type_)})
    header, row = parse(csv_bytes(table))
    assert header == ["c"]
    return row[0]


# ---------------------------------------------------------------- CSV


def test_dangerous_prefixes_are_the_documented_ones():
    assert set(CSV_DANGEROUS_PREFIXES) == set(DANGEROUS)


@given(st.sampled_from(DANGEROUS), text)
def test_string_with_dangerous_start_is_neutralized(first, rest):
    value = first + rest
    assert one_cell(value) == "'" + value


@given(text.filter(lambda s: not s.startswith(tuple(DANGEROUS))))
def test_other_strings_are_unchanged(value):
    assert one_cell(value) == value


@given(st.integers(-(2**63), 2**63 - 1))
def test_negative_integers_stay_numbers(n):
    assert one_cell(n, pa.int64()) == str(n)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_stay_numbers_and_round_trip(x):
    cell = one_cell(x, pa.float64())
    assert not cell.startswith("'")
    assert float(cell) == x


def test_known_nasty_titles():
    table = pa.table(
        {
            "title": ["-1", "=LOL", "+33 Days", "@home", "\tTab", "\rCR", "Se7en", 'Say "hi", ok'],
            "rating": [-1.5, 2.0, None, 4.25, 0.0, -0.0, 7.0, 8.0],
            "votes": pa.array([-5, 0, 1, None, 3, 4, 5, 6], pa.int64()),
        }
    )
    header, *body = parse(csv_bytes(table))
    assert header == ["title", "rating", "votes"]
    assert [r[0] for r in body] == [
        "'-1",
        "'=LOL",
        "'+33 Days",
        "'@home",
        "'\tTab",
        "'\rCR",
        "Se7en",
        'Say "hi", ok',
    ]
    assert [r[1] for r in body] == ["-1.5", "2.0", "", "4.25", "0.0", "-0.0", "7.0", "8.0"]
    assert [r[2] for r in body] == ["-5", "0", "1", "", "3", "4", "5", "6"]


def test_csv_is_rfc4180_with_header_and_crlf():
    table = pa.table({"a": ["x,y", 'q"r', "line\nbreak"], "b": pa.array([1, 2, 3], pa.int32())})
    data = csv_bytes(table)
    assert data == b'a,b\r\n"x,y",1\r\n"q""r",2\r\n"line\nbreak",3\r\n'
    assert not data.startswith(b"\xef\xbb\xbf")


def test_lists_dates_and_nulls():
    table = pa.table(
        {
            "genres": pa.array(
                [["Crime", "Drama"], [], None, ["-Dash", "Ok"]], pa.list_(pa.string())
            ),
            "d": pa.array([date(2026, 1, 2), None, date(1999, 12, 31), None], pa.date32()),
            "ts": pa.array(
                [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), None, None, None],
                pa.timestamp("s", tz="UTC"),
            ),
            "ok": [True, False, None, True],
        }
    )
    _, *body = parse(csv_bytes(table))
    assert body == [
        ["Crime, Drama", "2026-01-02", "2026-01-02T03:04:05+00:00", "true"],
        ["", "", "", "false"],
        ["", "1999-12-31", "", ""],
        ["'-Dash, Ok", "", "", "true"],
    ]


@given(
    st.lists(
        st.tuples(text, st.none() | st.integers(-(10**12), 10**12), st.none() | text),
        max_size=15,
    )
)
def test_csv_parses_back_to_the_same_cells(rows):
    table = pa.table(
        {
            "title": pa.array([r[0] for r in rows], pa.string()),
            "n": pa.array([r[1] for r in rows], pa.int64()),
            "maybe": pa.array([r[2] for r in rows], pa.string()),
        }
    )

    def expected_text(s):
        if s is None:
            return ""
        return "'" + s if s[:1] in tuple(DANGEROUS) else s

    parsed = parse(csv_bytes(table))
    assert parsed[0] == ["title", "n", "maybe"]
    assert parsed[1:] == [
        [expected_text(t), "" if n is None else str(n), expected_text(m)] for t, n, m in rows
    ]


def test_gold_tables_export_to_csv_and_parquet():
    for ds in DATASETS:
        empty = ds.schema.empty_table()
        assert parse(csv_bytes(empty)) == [list(ds.column_names)]
        back = pq.read_table(io.BytesIO(parquet_bytes(empty)))
        assert back.schema.equals(ds.schema)


# ---------------------------------------------------------------- Parquet


def test_parquet_is_zstd_and_round_trips():
    table = pa.table({"title": ["=LOL", None], "votes": pa.array([1, -2], pa.int64())})
    data = parquet_bytes(table)
    assert data[:4] == b"PAR1"
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert pq.read_table(io.BytesIO(data)).equals(table)


# ---------------------------------------------------------------- QuickSight


def test_quicksight_manifest_shape():
    uri = "s3://bucket/gold/top_rated/top_rated.csv"
    assert quicksight_manifest(uri) == {
        "fileLocations": [{"URIs": [uri]}],
        "globalUploadSettings": {
            "format": "CSV",
            "delimiter": ",",
            "textqualifier": '"',
            "containsHeader": "true",
        },
    }


# ---------------------------------------------------------------- Athena

HIVE = {
    pa.string(): "STRING",
    pa.int32(): "INT",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.date32(): "DATE",
}


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.name)
def test_athena_ddl_mentions_every_column_with_its_hive_type(ds):
    location = f"s3://lake-bucket/gold/{ds.name}/"
    ddl = athena_ddl(ds, location)
    assert ddl.startswith(f"CREATE EXTERNAL TABLE IF NOT EXISTS `cinelake`.`gold_{ds.name}` (")
    assert f"LOCATION '{location}'" in ddl
    assert "STORED AS PARQUET" in ddl
    declared = re.findall(r"^  `(\w+)` (\S+) COMMENT '[^'\n]*',?$", ddl, flags=re.M)
    part = ds.partition_column
    assert declared == [(c.name, HIVE[c.type]) for c in ds.columns if c.name != part]
    assert ("PARTITIONED BY" in ddl) == (part is not None)
    assert athena_ddl(ds, location, database="analytics").startswith(
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `analytics`.`gold_{ds.name}`"
    )


def test_athena_ddl_of_a_history_dataset_is_partitioned_and_projected_by_date():
    location = "s3://lake-bucket/movers/"
    ddl = athena_ddl(dataset("movers"), location)
    assert re.search(r"^PARTITIONED BY \(`snapshot_date` DATE COMMENT '[^'\n]*'\)$", ddl, re.M)
    # the partition column is in the path only, never among the file columns
    assert "`snapshot_date` DATE COMMENT" not in ddl.split("PARTITIONED BY")[0]
    properties = dict(re.findall(r"^  '([^']+)'='([^']*)',?$", ddl, flags=re.M))
    assert properties == {
        "parquet.compression": "ZSTD",
        "projection.enabled": "true",
        "projection.snapshot_date.type": "date",
        "projection.snapshot_date.format": "yyyy-MM-dd",
        "projection.snapshot_date.range": "1990-01-01,NOW",
        "projection.snapshot_date.interval": "1",
        "projection.snapshot_date.interval.unit": "DAYS",
        "storage.location.template": location + "snapshot_date=${snapshot_date}/",
    }
    # the flat (latest-snapshot) datasets keep their DDL: no partition, no projection
    assert "projection" not in athena_ddl(dataset("top_rated"), "s3://lake-bucket/top_rated/")


def test_athena_ddl_rejects_injection():
    with pytest.raises(ValueError):
        athena_ddl(DATASETS[0], "s3://b/x'; DROP TABLE y; --")
    with pytest.raises(ValueError):
        athena_ddl(DATASETS[0], "s3://b/x/", database="db`; x")


def test_hive_type_of_nested_types():
    assert hive_type(pa.list_(pa.string())) == "ARRAY<STRING>"
    assert hive_type(pa.timestamp("us", tz="UTC")) == "TIMESTAMP"
    assert hive_type(pa.decimal128(10, 2)) == "DECIMAL(10,2)"
    with pytest.raises(ValueError):
        hive_type(pa.null())


# ---------------------------------------------------------------- docs


def test_docs_document_every_dataset_and_column():
    md = docs_markdown()
    for ds in DATASETS:
        assert f"### {ds.name}\n" in md
        for c in ds.columns:
            assert f"| `{c.name}` |" in md


def test_docs_file_is_current():
    path = ROOT / "docs" / "gold_datasets.md"
    assert path.read_text(encoding="utf-8") == docs_markdown(), (
        "docs/gold_datasets.md is stale: run "
        "`python -m cinelake.gold.datasets > docs/gold_datasets.md`"
    )


def test_module_entry_point_prints_the_docs():
    out = subprocess.run(
        [sys.executable, "-m", "cinelake.gold.datasets"],
        capture_output=True,
        check=True,
        text=True,
        encoding="utf-8",
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""},
    )
    assert out.stdout == docs_markdown()
    assert out.stderr == ""


# ------------------------------------------------- CSV: the column-wise writer equals csv.writer


def rowwise_csv(table: pa.Table) -> bytes:
    """The definition: csv.writer (QUOTE_MINIMAL, CRLF) over csv_cell of every cell."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_cell(name) for name in table.column_names])
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    for i in range(table.num_rows):
        writer.writerow([csv_cell(c[i]) for c in columns])
    return buffer.getvalue().encode("utf-8")


cells_text = st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8"), max_size=12))
cells_int = st.one_of(st.none(), st.integers(min_value=-(2**40), max_value=2**40))
cells_float = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
cells_date = st.one_of(st.none(), st.dates())
cells_bool = st.one_of(st.none(), st.booleans())
cells_list = st.one_of(st.none(), st.lists(st.text(max_size=4), max_size=3))


@settings(deadline=None, max_examples=150)
@given(
    st.integers(min_value=0, max_value=6).flatmap(
        lambda n: st.tuples(
            st.lists(cells_text, min_size=n, max_size=n),
            st.lists(cells_int, min_size=n, max_size=n),
            st.lists(cells_float, min_size=n, max_size=n),
            st.lists(cells_date, min_size=n, max_size=n),
            st.lists(cells_bool, min_size=n, max_size=n),
            st.lists(cells_list, min_size=n, max_size=n),
        )
    ),
    st.integers(min_value=0, max_value=3),
)
def test_csv_bytes_equals_the_rowwise_definition(columns, offset):
    text, ints, floats, dates, bools, lists = columns
    table = pa.table(
        {
            "text": pa.array(text, pa.string()),
            "n": pa.array(ints, pa.int64()),
            "x": pa.array(floats, pa.float64()),
            "day": pa.array(dates, pa.date32()),
            "flag": pa.array(bools, pa.bool_()),
            "items": pa.array(lists, pa.list_(pa.string())),
        }
    )
    assert csv_bytes(table) == rowwise_csv(table)
    # a slice (offsets into shared buffers) and a table in several chunks give the same text
    part = table.slice(min(offset, table.num_rows))
    assert csv_bytes(part) == rowwise_csv(part)
    chunked = pa.concat_tables([table, table])
    assert csv_bytes(chunked) == rowwise_csv(chunked)
