"""Serialisations of gold tables: Parquet, spreadsheet-safe CSV, QuickSight manifest, Athena DDL
and the Markdown documentation. Pure functions returning bytes/str: the caller does the I/O."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cinelake.gold.datasets import DATASETS, HISTORY_PROJECTION_START, RULES, GoldDataset
from cinelake.gold.docs import render_docs
from cinelake.tables import hive_type, parquet_bytes

__all__ = [
    "CSV_DANGEROUS_PREFIXES",
    "athena_ddl",
    "csv_bytes",
    "csv_cell",
    "docs_markdown",
    "hive_type",
    "parquet_bytes",
    "projection_properties",
    "quicksight_manifest",
]

# A cell starting with one of these is read as a formula by Excel/LibreOffice/Sheets.
CSV_DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = ", "


# --------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def _neutralize(text: str) -> str:
    return "'" + text if text.startswith(CSV_DANGEROUS_PREFIXES) else text


def _plain(value: Any) -> str:
    """A value as text, before neutralisation (lists joined with ', ')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(_plain(v) for v in value if v is not None)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_plain(v)}" for k, v in value.items())
    return str(value)


def csv_cell(value: Any) -> str:
    """The CSV text of one cell.

    Numbers, booleans and dates are written as such (a negative number stays ``-5``); any
    text cell (strings, joined lists, ...) starting with ``= + - @``, tab or CR gets a leading
    ``'`` so spreadsheets show it as text instead of evaluating it. Null is an empty cell.
    """
    if value is None or isinstance(value, bool | int | float | Decimal | datetime | date | time):
        return _plain(value)
    return _neutralize(_plain(value))


_NEEDS_QUOTES = '[,"\r\n]'  # what makes csv.QUOTE_MINIMAL quote a field (no escapechar)
_DANGEROUS_START = "^[" + re.escape("".join(CSV_DANGEROUS_PREFIXES)) + "]"
_PLAIN_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"


def _floats(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Floats as Python's ``repr`` writes them. Arrow's shortest round-trip digits are the same,
    but not its notation (``9`` for 9.0, exponents from other magnitudes): its text is kept
    where it is a plain decimal and repr would be too, ``.0`` added to integral ones, and the
    rare rest (exponents, NaN, infinities) goes through ``repr``."""
    arrow = column.cast(pa.string())
    size = pc.abs(column)
    positional = pc.or_(
        pc.and_(pc.greater_equal(size, 1e-4), pc.less(size, 1e16)), pc.equal(size, 0.0)
    )
    plain = pc.and_(positional, pc.match_substring_regex(arrow, _PLAIN_DECIMAL))
    text = pc.if_else(
        pc.match_substring(arrow, "."), arrow, pc.binary_join_element_wise(arrow, ".0", "")
    )
    rest = pc.and_(pc.invert(pc.fill_null(plain, True)), pc.is_valid(column))
    if pc.any(rest).as_py():
        values = column.to_pylist()
        fixed = [_plain(v) if r else None for v, r in zip(values, rest.to_pylist(), strict=True)]
        text = pc.if_else(rest, pa.array(fixed, pa.string()), text)
    return text


def _cells(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Every cell of a column as its CSV field (:func:`csv_cell`, then RFC 4180 quoting),
    set-wise: a history dataset has a million rows, too many for a Python loop per cell."""
    t = column.type
    if pa.types.is_integer(t) or pa.types.is_date(t):
        # The same digits / ISO date as str() and isoformat(); never quoted.
        return pc.fill_null(column.cast(pa.string()), "")
    if pa.types.is_boolean(t):
        return pc.fill_null(pc.if_else(column, "true", "false"), "")
    if pa.types.is_float64(t) or pa.types.is_float32(t):
        return pc.fill_null(_floats(column.cast(pa.float64())), "")
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        text = column.cast(pa.string())
        dangerous = pc.match_substring_regex(text, _DANGEROUS_START)
        if pc.any(dangerous).as_py():  # rare: most columns never need it
            text = pc.if_else(dangerous, pc.binary_join_element_wise("'", text, ""), text)
    else:  # lists, timestamps, ...: per value
        text = pa.chunked_array(
            [pa.array([csv_cell(v) for v in column.to_pylist()], pa.string())], pa.string()
        )
    text = pc.fill_null(text, "")
    needs_quotes = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(needs_quotes).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs_quotes, quoted, text)


def csv_bytes(table: pa.Table) -> bytes:
    """The table as UTF-8 CSV (no BOM): header row, ``,`` delimiter, CRLF line ends, fields
    quoted with ``"`` only when needed and quotes doubled (RFC 4180); spreadsheet-safe cells
    (see :func:`csv_cell`). The same text ``csv.writer`` (QUOTE_MINIMAL) writes from
    :func:`csv_cell` of every cell, built column-wise."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_neutralize(name) for name in table.column_names])
    header = buffer.getvalue().encode("utf-8")
    if table.num_rows == 0:
        return header
    if table.num_columns == 1:  # csv.writer quotes a lone empty field: keep its rules
        writer.writerows([csv_cell(v)] for v in table.column(0).to_pylist())
        return buffer.getvalue().encode("utf-8")
    lines = pc.binary_join_element_wise(*[_cells(c) for c in table.columns], ",")
    lines = pc.binary_join_element_wise(lines, "", "\r\n").combine_chunks()
    lines = lines.cast(pa.large_string())
    offsets, data = lines.buffers()[1], lines.buffers()[2]
    assert offsets is not None and data is not None
    start = int.from_bytes(offsets[lines.offset * 8 : lines.offset * 8 + 8], "little")
    end = int.from_bytes(offsets[(lines.offset + len(lines)) * 8 :][:8], "little")
    return header + data[start:end].to_pybytes()


# --------------------------------------------------------------------------------------------
# QuickSight
# --------------------------------------------------------------------------------------------


def quicksight_manifest(csv_uri: str) -> dict[str, Any]:
    """A QuickSight S3 manifest for one CSV written by :func:`csv_bytes`."""
    return {
        "fileLocations": [{"URIs": [csv_uri]}],
        "globalUploadSettings": {
            "format": "CSV",
            "delimiter": ",",
            "textqualifier": '"',
            "containsHeader": "true",
        },
    }


# --------------------------------------------------------------------------------------------
# Athena
# --------------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _comment(text: str) -> str:
    return " ".join(text.replace("'", '"').replace("\\", "/").split())


def athena_ddl(dataset: GoldDataset, location: str, database: str = "cinelake") -> str:
    """``CREATE EXTERNAL TABLE IF NOT EXISTS `<database>`.`gold_<name>``` over the Parquet files
    under ``location``; column types come from the dataset's Arrow types (:func:`hive_type`).

    A date-partitioned dataset (``partition_column``) is ``PARTITIONED BY`` that column with
    partition projection (type date, from ``HISTORY_PROJECTION_START`` to NOW), so Athena
    finds the partitions without crawling and a query over one day reads one day.
    """
    if not _IDENTIFIER.match(database):
        raise ValueError(f"invalid Athena database name: {database!r}")
    if not location or any(ch in location for ch in "'\\\n\r`$"):
        raise ValueError(f"invalid table location: {location!r}")
    part = dataset.partition_column
    columns = ",\n".join(
        f"  `{c.name}` {hive_type(c.type)} COMMENT '{_comment(c.description)}'"
        for c in dataset.columns
        if c.name != part
    )
    head = (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`gold_{dataset.name}` (\n"
        f"{columns}\n"
        ")\n"
        f"COMMENT '{_comment(dataset.description)}'\n"
    )
    if part is None:
        return (
            head + "STORED AS PARQUET\n"
            f"LOCATION '{location}'\n"
            "TBLPROPERTIES ('parquet.compression'='ZSTD')"
        )
    col = next(c for c in dataset.columns if c.name == part)
    properties = {"parquet.compression": "ZSTD"} | projection_properties(part, location)
    listed = ",\n".join(f"  '{key}'='{value}'" for key, value in properties.items())
    return (
        head + f"PARTITIONED BY (`{part}` {hive_type(col.type)} "
        f"COMMENT '{_comment(col.description)}')\n"
        "STORED AS PARQUET\n"
        f"LOCATION '{location}'\n"
        f"TBLPROPERTIES (\n{listed}\n)"
    )


def projection_properties(partition_column: str, location: str) -> dict[str, str]:
    """Athena partition projection of a date partition under ``location`` (ends with ``/``):
    the Glue table and the DDL share these."""
    base = location if location.endswith("/") else location + "/"
    return {
        "projection.enabled": "true",
        f"projection.{partition_column}.type": "date",
        f"projection.{partition_column}.format": "yyyy-MM-dd",
        f"projection.{partition_column}.range": f"{HISTORY_PROJECTION_START},NOW",
        f"projection.{partition_column}.interval": "1",
        f"projection.{partition_column}.interval.unit": "DAYS",
        "storage.location.template": base + partition_column + "=${" + partition_column + "}/",
    }


def docs_markdown() -> str:
    """Markdown documenting every gold dataset; ``docs/gold_datasets.md`` is this text."""
    from cinelake.quality import docs_section

    return render_docs(DATASETS, RULES) + docs_section()
