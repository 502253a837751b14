"""Arrow tables as the lake stores and declares them: one Parquet writer, one Arrow -> Hive
type mapper, shared by the silver and gold contracts (and the Glue tables derived from them)."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq


class NoHiveType(TypeError, ValueError):
    """An Arrow type with no Hive/Athena equivalent."""


_SIMPLE = (
    (pa.types.is_boolean, "BOOLEAN"),
    (pa.types.is_int8, "TINYINT"),
    (pa.types.is_int16, "SMALLINT"),
    (pa.types.is_int32, "INT"),
    (pa.types.is_int64, "BIGINT"),
    (pa.types.is_float32, "FLOAT"),
    (pa.types.is_float64, "DOUBLE"),
    (pa.types.is_string, "STRING"),
    (pa.types.is_large_string, "STRING"),
    (pa.types.is_date, "DATE"),
    (pa.types.is_timestamp, "TIMESTAMP"),
    (pa.types.is_binary, "BINARY"),
)


def hive_type(arrow_type: pa.DataType, *, upper: bool = True) -> str:
    """The Athena/Hive type of an Arrow type as written to Parquet: ``ARRAY<STRING>`` (or,
    with ``upper=False``, ``array<string>``; struct field names keep their case)."""
    t = arrow_type

    def case(name: str) -> str:
        return name if upper else name.lower()

    for check, name in _SIMPLE:
        if check(t):
            return case(name)
    if pa.types.is_decimal(t):
        return case(f"DECIMAL({t.precision},{t.scale})")
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"{case('ARRAY')}<{hive_type(t.value_type, upper=upper)}>"
    if pa.types.is_struct(t):
        fields = ",".join(f"{f.name}:{hive_type(f.type, upper=upper)}" for f in t)
        return f"{case('STRUCT')}<{fields}>"
    raise NoHiveType(f"no Hive type for Arrow type {t}")


def parquet_bytes(table: pa.Table) -> bytes:
    """The table as one Parquet file (zstd), schema and field metadata included."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
