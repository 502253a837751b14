"""Serialisations of gold tables: Parquet, spreadsheet-safe CSV, QuickSight manifest, Athena DDL
and the Markdown documentation. Pure functions returning bytes/str: the caller does the I/O."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa

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


def _rows(table: pa.Table) -> Iterable[list[str]]:
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    for i in range(table.num_rows):
        yield [csv_cell(col[i]) for col in columns]


def csv_bytes(table: pa.Table) -> bytes:
    """The table as UTF-8 CSV (no BOM): header row, ``,`` delimiter, CRLF line ends, fields
    quoted with ``"`` only when needed and quotes doubled (RFC 4180); spreadsheet-safe cells
    (see :func:`csv_cell`)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_neutralize(name) for name in table.column_names])
    writer.writerows(_rows(table))
    return buffer.getvalue().encode("utf-8")


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
    return render_docs(DATASETS, RULES)
