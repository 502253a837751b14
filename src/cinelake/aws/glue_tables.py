"""The Glue tables over gold, generated from the same definitions as the data.

One ``AWS::Glue::Table`` per gold dataset (``cinelake.gold.datasets.DATASETS``): table
``gold_<dataset>`` over ``s3://<gold bucket>/<dataset>/`` (where ``<dataset>/data.parquet``
lives, or a history dataset's ``snapshot_date=YYYY-MM-DD/`` partitions, projected), columns typed with the same Arrow -> Hive mapping as the Athena DDL the gold stage
writes (``cinelake.tables.hive_type``). Athena and QuickSight query these tables.

    python -m cinelake.aws.glue_tables           # print the resources (YAML)
    python -m cinelake.aws.glue_tables --write   # replace the generated block in template.yaml
    python -m cinelake.aws.glue_tables --check   # exit 1 when template.yaml is out of date

tests/aws/test_template.py fails when template.yaml's Glue tables differ from these.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from cinelake.aws.generated import GeneratedBlock

BEGIN = "  # --- BEGIN GENERATED: gold Glue tables (python -m cinelake.aws.glue_tables --write) ---"
END = "  # --- END GENERATED: gold Glue tables ---"

GOLD_BUCKET = "${Prefix}-gold-${AWS::AccountId}-${AWS::Region}"
DATABASE_RESOURCE = "GlueDatabase"
TABLE_PREFIX = "gold_"
MAX_COMMENT = 255  # Glue's limit for a column comment
MAX_DESCRIPTION = 2048  # and for a table description

PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def logical_id(dataset_name: str) -> str:
    return "GoldTable" + "".join(part.capitalize() for part in dataset_name.split("_"))


def _comment_of(column: Any) -> str:
    return _clip(
        column.description + (f" Unit: {column.unit}." if column.unit else ""), MAX_COMMENT
    )


def table_resource(dataset: Any) -> dict[str, Any]:
    """The CloudFormation resource of one gold dataset (intrinsics in their long form).

    A date-partitioned dataset gets its partition key and Athena partition projection (the
    same properties as the DDL the gold stage writes, ``cinelake.gold.export``): no crawler,
    no ``MSCK REPAIR``, and a query over one day reads that day's folder only.
    """
    from cinelake.tables import hive_type

    part = dataset.partition_column
    location = f"s3://{GOLD_BUCKET}/{dataset.name}/"
    parameters: dict[str, Any] = {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
        "parquet.compression": "ZSTD",
    }
    table_input: dict[str, Any] = {
        "Name": f"{TABLE_PREFIX}{dataset.name}",
        "Description": _clip(f"{dataset.description} A row: {dataset.row}", MAX_DESCRIPTION),
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
    }
    if part is not None:
        from cinelake.gold.export import projection_properties

        for key, value in projection_properties(part, location).items():
            # Fn::Sub would read ${snapshot_date} as a variable: ${!...} is its literal escape.
            parameters[key] = (
                {"Fn::Sub": value.replace("${" + part + "}", "${!" + part + "}")}
                if key == "storage.location.template"
                else value
            )
        table_input["PartitionKeys"] = [
            {"Name": c.name, "Type": hive_type(c.type).lower(), "Comment": _comment_of(c)}
            for c in dataset.columns
            if c.name == part
        ]
    table_input["StorageDescriptor"] = {
        "Location": {"Fn::Sub": location},
        "InputFormat": PARQUET_INPUT,
        "OutputFormat": PARQUET_OUTPUT,
        "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
        "Columns": [
            {"Name": c.name, "Type": hive_type(c.type).lower(), "Comment": _comment_of(c)}
            for c in dataset.columns
            if c.name != part
        ],
    }
    return {
        "Type": "AWS::Glue::Table",
        "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseName": {"Ref": DATABASE_RESOURCE},
            "TableInput": table_input,
        },
    }


def glue_resources() -> dict[str, dict[str, Any]]:
    """Every gold table resource, keyed by logical id, in the order of DATASETS."""
    from cinelake.gold.datasets import DATASETS

    return {logical_id(ds.name): table_resource(ds) for ds in DATASETS}


# ------------------------------------------------------------------------------------------
# YAML rendering (stable, short-form tags, every string quoted)
# ------------------------------------------------------------------------------------------


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.:/-]*")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _tagged(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str):
            return f"!Ref {arg}"
        if key == "Fn::Sub" and isinstance(arg, str):
            return f"!Sub {_scalar(arg)}"
        if key == "Fn::GetAtt" and isinstance(arg, list) and len(arg) == 2:
            return f"!GetAtt {arg[0]}.{arg[1]}"
    return None


def _render(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            tag = _tagged(item)
            if tag is not None:
                lines.append(f"{pad}{key}: {tag}")
            elif (isinstance(item, dict) and item) or (isinstance(item, list) and item):
                lines.append(f"{pad}{key}:")
                lines += _render(item, indent + 2)
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and _tagged(item) is None:
                sub = _render(item, indent + 2)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines += sub[1:]
            else:
                lines.append(f"{pad}- {_tagged(item) or _scalar(item)}")
    return lines


def render_yaml(value: Any, indent: int) -> list[str]:
    """Lines of YAML for ``value`` (short-form ``!Ref``/``!Sub``/``!GetAtt``), as in the block."""
    return _render(value, indent)


def render_block() -> str:
    """The generated part of template.yaml, markers included."""
    body: list[str] = []
    for lid, resource in glue_resources().items():
        body.append(f"  {lid}:")
        body += _render(resource, 4)
        body.append("")
    if body and body[-1] == "":
        body.pop()
    return "\n".join([BEGIN, *body, END])


def replace_block(template_text: str, block: str) -> str:
    return BLOCK.replace(template_text, block)


def template_tables(template: dict[str, Any]) -> dict[str, Any]:
    """The Glue table resources a parsed template declares."""
    return {k: v for k, v in template["Resources"].items() if v.get("Type") == "AWS::Glue::Table"}


BLOCK = GeneratedBlock(
    module="cinelake.aws.glue_tables",
    what="Glue tables",
    begin=BEGIN,
    end=END,
    render=render_block,
    resources=glue_resources,
    declared=template_tables,
)


def main(argv: Sequence[str] | None = None) -> int:
    return BLOCK.main(argv, description=__doc__.split("\n\n")[0])


if __name__ == "__main__":
    raise SystemExit(main())
