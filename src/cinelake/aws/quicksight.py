"""QuickSight as code: the Athena data source, a data set per gold table and a dashboard.

Generated from the same definitions as the data and the Glue tables
(``cinelake.gold.datasets.DATASETS``): one ``AWS::QuickSight::DataSet`` per gold dataset
(every one, history datasets included: a dataset added to the definitions flows in by
regenerating), direct query through Athena over the stack's Glue table ``gold_<dataset>``.
The dashboard's first sheet mirrors the local dashboard (top rated, genres, release years,
box office, directors, countries, and the history panels: movers, biggest moves, rank
trajectory); its second sheet shows every other gold dataset as a table, so nothing defined
in gold is missing from it.

Every resource carries the condition ``HasQuickSightPrincipal``: with the template parameter
``QuickSightPrincipalArn`` empty (the default) nothing QuickSight-related is created; with a
user or group ARN, that principal gets owner permissions on all of it.

    python -m cinelake.aws.quicksight           # print the resources (YAML)
    python -m cinelake.aws.quicksight --write   # replace the generated block in template.yaml
    python -m cinelake.aws.quicksight --check   # exit 1 when template.yaml is out of date

tests/aws/test_template.py fails when template.yaml's QuickSight resources differ from these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cinelake.aws import glue_tables
from cinelake.aws.generated import GeneratedBlock

BEGIN = "  # --- BEGIN GENERATED: QuickSight (python -m cinelake.aws.quicksight --write) ---"
END = "  # --- END GENERATED: QuickSight ---"

CONDITION = "HasQuickSightPrincipal"
PRINCIPAL_PARAMETER = "QuickSightPrincipalArn"
DATA_SOURCE = "QuickSightDataSource"
DASHBOARD = "QuickSightDashboard"
CATALOG = "AwsDataCatalog"

DATA_SOURCE_ACTIONS = (
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
)
DATA_SET_ACTIONS = (
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
)
DASHBOARD_ACTIONS = (
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
)

GRID_COLUMNS = 36  # QuickSight's grid layout width


@dataclass(frozen=True)
class Visual:
    """One visual of the dashboard, named by the gold dataset and columns it shows."""

    id: str
    title: str
    dataset: str
    kind: Literal["bar", "line", "table", "kpi"]
    category: str = ""  # bar/line: the dimension
    value: str = ""  # bar/line/kpi: the measure
    aggregation: str = "SUM"
    color: str = ""  # line: one line per value of this column
    columns: tuple[str, ...] = ()  # table: the columns, in order
    sort: str = ""  # the column to sort by (table rows, bar categories by default the value)
    descending: bool = True
    limit: int = 0  # bar: show the first N categories
    wide: bool = False


# The local dashboard's panels (src/cinelake/dashboard/template.html), in its order.
MAIN_VISUALS: tuple[Visual, ...] = (
    Visual(
        "kpi-movies", "Movies in the snapshot", "kpis", "kpi", value="movies", aggregation="MAX"
    ),
    Visual(
        "kpi-rating",
        "Average IMDb rating",
        "kpis",
        "kpi",
        value="avg_imdb_rating",
        aggregation="MAX",
    ),
    Visual(
        "movers",
        "Movers",
        "movers",
        "table",
        columns=("snapshot_date", "title", "previous_rank", "rank", "rank_change", "status"),
        sort="snapshot_date",
    ),
    Visual(
        "top-movers",
        "Biggest moves",
        "top_movers",
        "table",
        columns=("window_days", "direction", "position", "title", "base_rank", "rank"),
        sort="position",
        descending=False,
    ),
    Visual(
        "rank-trajectory",
        "Rank trajectory",
        "rank_history",
        "line",
        category="snapshot_date",
        value="rank",
        aggregation="MIN",
        color="title",
        wide=True,
    ),
    Visual(
        "top-rated",
        "Top rated",
        "top_rated",
        "bar",
        category="title",
        value="imdb_rating",
        aggregation="MAX",
        limit=20,
    ),
    Visual(
        "years",
        "Movies by release year",
        "movies_by_year",
        "bar",
        category="year",
        value="movie_count",
        sort="year",
        descending=False,
    ),
    Visual(
        "box-office",
        "Box office by release year",
        "box_office_by_year",
        "bar",
        category="year",
        value="total_box_office_usd",
        sort="year",
        descending=False,
    ),
    Visual("genres", "Genres", "movies_by_genre", "bar", category="genre", value="movie_count"),
    Visual(
        "directors",
        "Top directors",
        "top_directors",
        "bar",
        category="director",
        value="movie_count",
        limit=15,
    ),
    Visual(
        "countries",
        "Production countries",
        "movies_by_country",
        "bar",
        category="country",
        value="movie_count",
        limit=15,
    ),
)


def _datasets() -> tuple[Any, ...]:
    from cinelake.gold.datasets import DATASETS

    return DATASETS


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def data_set_logical_id(dataset_name: str) -> str:
    return "QuickSightDataSet" + _camel(dataset_name)


def _kind(arrow_type: Any) -> Literal["integer", "decimal", "date", "boolean", "string"]:
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "decimal"
    if pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type):
        return "date"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    raise ValueError(f"no QuickSight column type for Arrow type {arrow_type}")


_INPUT_TYPE = {
    "integer": "INTEGER",
    "decimal": "DECIMAL",
    "date": "DATETIME",
    "boolean": "BOOLEAN",
    "string": "STRING",
}


def _permissions(actions: Sequence[str]) -> list[dict[str, Any]]:
    return [{"Principal": {"Ref": PRINCIPAL_PARAMETER}, "Actions": list(actions)}]


def data_source_resource() -> dict[str, Any]:
    return {
        "Type": "AWS::QuickSight::DataSource",
        "Condition": CONDITION,
        "Properties": {
            "AwsAccountId": {"Ref": "AWS::AccountId"},
            "DataSourceId": {"Fn::Sub": "${Prefix}-athena"},
            "Name": {"Fn::Sub": "${Prefix} gold (Athena)"},
            "Type": "ATHENA",
            "DataSourceParameters": {"AthenaParameters": {"WorkGroup": {"Ref": "AthenaWorkGroup"}}},
            "SslProperties": {"DisableSsl": False},
            "Permissions": _permissions(DATA_SOURCE_ACTIONS),
        },
    }


def data_set_resource(dataset: Any) -> dict[str, Any]:
    """A direct-query data set over the Glue table ``gold_<dataset>`` (every column)."""
    table = f"{glue_tables.TABLE_PREFIX}{dataset.name}"
    physical = dataset.name.replace("_", "-")
    return {
        "Type": "AWS::QuickSight::DataSet",
        "Condition": CONDITION,
        "DependsOn": [glue_tables.logical_id(dataset.name)],
        "Properties": {
            "AwsAccountId": {"Ref": "AWS::AccountId"},
            "DataSetId": {"Fn::Sub": "${Prefix}-" + table},
            "Name": {"Fn::Sub": "${Prefix} " + table},
            "ImportMode": "DIRECT_QUERY",
            "PhysicalTableMap": {
                physical: {
                    "RelationalTable": {
                        "DataSourceArn": {"Fn::GetAtt": [DATA_SOURCE, "Arn"]},
                        "Catalog": CATALOG,
                        "Schema": {"Ref": glue_tables.DATABASE_RESOURCE},
                        "Name": table,
                        "InputColumns": [
                            {"Name": c.name, "Type": _INPUT_TYPE[_kind(c.type)]}
                            for c in dataset.columns
                        ],
                    }
                }
            },
            "LogicalTableMap": {
                physical: {"Alias": table, "Source": {"PhysicalTableId": physical}}
            },
            "Permissions": _permissions(DATA_SET_ACTIONS),
        },
    }


# ------------------------------------------------------------------------------------------
# The dashboard
# ------------------------------------------------------------------------------------------


def _columns(dataset_name: str) -> dict[str, Any]:
    for ds in _datasets():
        if ds.name == dataset_name:
            return {c.name: c.type for c in ds.columns}
    raise KeyError(dataset_name)


def _column(visual: Visual, name: str) -> dict[str, Any]:
    return {"DataSetIdentifier": visual.dataset, "ColumnName": name}


def _field_id(visual: Visual, name: str) -> str:
    return f"{visual.id}.{name}"


def _dimension(visual: Visual, name: str) -> dict[str, Any]:
    kind = _kind(_columns(visual.dataset)[name])
    field: dict[str, Any] = {"FieldId": _field_id(visual, name), "Column": _column(visual, name)}
    if kind == "date":
        return {"DateDimensionField": {**field, "DateGranularity": "DAY"}}
    if kind in ("integer", "decimal"):
        return {"NumericalDimensionField": field}
    return {"CategoricalDimensionField": field}


def _measure(visual: Visual, name: str) -> dict[str, Any]:
    kind = _kind(_columns(visual.dataset)[name])
    field: dict[str, Any] = {"FieldId": _field_id(visual, name), "Column": _column(visual, name)}
    if kind not in ("integer", "decimal"):
        return {"CategoricalMeasureField": {**field, "AggregationFunction": "COUNT"}}
    return {
        "NumericalMeasureField": {
            **field,
            "AggregationFunction": {"SimpleNumericalAggregation": visual.aggregation},
        }
    }


def _title(visual: Visual) -> dict[str, Any]:
    return {"Visibility": "VISIBLE", "FormatText": {"PlainText": visual.title}}


def _sort(visual: Visual, default: str) -> dict[str, Any]:
    return {
        "FieldSort": {
            "FieldId": _field_id(visual, visual.sort or default),
            "Direction": "DESC" if visual.descending else "ASC",
        }
    }


def visual_definition(visual: Visual) -> dict[str, Any]:
    """The QuickSight visual (``Definition.Sheets[].Visuals[]``) of one :class:`Visual`."""
    if visual.kind == "bar":
        sort: dict[str, Any] = {"CategorySort": [_sort(visual, visual.value)]}
        if visual.limit:
            sort["CategoryItemsLimit"] = {"ItemsLimit": visual.limit, "OtherCategories": "EXCLUDE"}
        return {
            "BarChartVisual": {
                "VisualId": visual.id,
                "Title": _title(visual),
                "ChartConfiguration": {
                    "FieldWells": {
                        "BarChartAggregatedFieldWells": {
                            "Category": [_dimension(visual, visual.category)],
                            "Values": [_measure(visual, visual.value)],
                        }
                    },
                    "Orientation": "HORIZONTAL",
                    "SortConfiguration": sort,
                },
            }
        }
    if visual.kind == "line":
        wells: dict[str, Any] = {
            "Category": [_dimension(visual, visual.category)],
            "Values": [_measure(visual, visual.value)],
        }
        if visual.color:
            wells["Colors"] = [_dimension(visual, visual.color)]
        return {
            "LineChartVisual": {
                "VisualId": visual.id,
                "Title": _title(visual),
                "ChartConfiguration": {
                    "FieldWells": {"LineChartAggregatedFieldWells": wells},
                    "SortConfiguration": {"CategorySort": [_sort(visual, visual.category)]},
                    "Type": "LINE",
                },
            }
        }
    if visual.kind == "kpi":
        return {
            "KPIVisual": {
                "VisualId": visual.id,
                "Title": _title(visual),
                "ChartConfiguration": {
                    "FieldWells": {"Values": [_measure(visual, visual.value)]},
                },
            }
        }
    table: dict[str, Any] = {
        "FieldWells": {
            "TableUnaggregatedFieldWells": {
                "Values": [
                    {"FieldId": _field_id(visual, c), "Column": _column(visual, c)}
                    for c in visual.columns
                ]
            }
        }
    }
    if visual.sort:
        table["SortConfiguration"] = {"RowSort": [_sort(visual, visual.sort)]}
    return {
        "TableVisual": {
            "VisualId": visual.id,
            "Title": _title(visual),
            "ChartConfiguration": table,
        }
    }


def _partition_first(columns: Sequence[str], partition: str | None) -> tuple[str, ...]:
    return tuple(c for c in columns if c == partition) + tuple(c for c in columns if c != partition)


def dashboard_visuals() -> tuple[tuple[Visual, ...], tuple[Visual, ...]]:
    """The visuals of the two sheets: the local dashboard's panels whose dataset exists, then
    one table per gold dataset none of them shows (all its columns, partition column first)."""
    names = [ds.name for ds in _datasets()]
    main = tuple(v for v in MAIN_VISUALS if v.dataset in names)
    shown = {v.dataset for v in main}
    rest = tuple(
        Visual(
            f"table-{ds.name.replace('_', '-')}",
            f"gold_{ds.name}",
            ds.name,
            "table",
            columns=_partition_first(ds.column_names, ds.partition_column),
            sort=ds.partition_column or "",
            wide=True,
        )
        for ds in _datasets()
        if ds.name not in shown
    )
    return main, rest


def _sheet(sheet_id: str, name: str, visuals: Sequence[Visual]) -> dict[str, Any]:
    return {
        "SheetId": sheet_id,
        "Name": name,
        "Visuals": [visual_definition(v) for v in visuals],
        "Layouts": [
            {
                "Configuration": {
                    "GridLayout": {
                        "Elements": [
                            {
                                "ElementId": v.id,
                                "ElementType": "VISUAL",
                                "ColumnSpan": GRID_COLUMNS
                                if v.wide
                                else (GRID_COLUMNS // 4 if v.kind == "kpi" else GRID_COLUMNS // 2),
                                "RowSpan": 4 if v.kind == "kpi" else 12,
                            }
                            for v in visuals
                        ]
                    }
                }
            }
        ],
    }


def dashboard_resource() -> dict[str, Any]:
    main, rest = dashboard_visuals()
    used = {v.dataset for v in (*main, *rest)}
    sheets = [_sheet("overview", "Overview", main)]
    if rest:
        sheets.append(_sheet("datasets", "All gold datasets", rest))
    return {
        "Type": "AWS::QuickSight::Dashboard",
        "Condition": CONDITION,
        "Properties": {
            "AwsAccountId": {"Ref": "AWS::AccountId"},
            "DashboardId": {"Fn::Sub": "${Prefix}-dashboard"},
            "Name": {"Fn::Sub": "${Prefix} movies"},
            "Definition": {
                "DataSetIdentifierDeclarations": [
                    {
                        "Identifier": ds.name,
                        "DataSetArn": {"Fn::GetAtt": [data_set_logical_id(ds.name), "Arn"]},
                    }
                    for ds in _datasets()
                    if ds.name in used
                ],
                "Sheets": sheets,
            },
            "Permissions": _permissions(DASHBOARD_ACTIONS),
        },
    }


def quicksight_resources() -> dict[str, dict[str, Any]]:
    """Every QuickSight resource, keyed by logical id: data source, data sets, dashboard."""
    out: dict[str, dict[str, Any]] = {DATA_SOURCE: data_source_resource()}
    for ds in _datasets():
        out[data_set_logical_id(ds.name)] = data_set_resource(ds)
    out[DASHBOARD] = dashboard_resource()
    return out


def render_block() -> str:
    """The generated part of template.yaml, markers included."""
    body: list[str] = []
    for lid, resource in quicksight_resources().items():
        body.append(f"  {lid}:")
        body += glue_tables.render_yaml(resource, 4)
        body.append("")
    body.pop()
    return "\n".join([BEGIN, *body, END])


def template_quicksight(template: dict[str, Any]) -> dict[str, Any]:
    """The QuickSight resources a parsed template declares."""
    return {
        k: v
        for k, v in template["Resources"].items()
        if str(v.get("Type", "")).startswith("AWS::QuickSight::")
    }


def replace_block(template_text: str, block: str) -> str:
    return BLOCK.replace(template_text, block)


BLOCK = GeneratedBlock(
    module="cinelake.aws.quicksight",
    what="QuickSight resources",
    begin=BEGIN,
    end=END,
    render=render_block,
    resources=quicksight_resources,
    declared=template_quicksight,
)


def main(argv: Sequence[str] | None = None) -> int:
    return BLOCK.main(argv, description=__doc__.split("\n\n")[0])


if __name__ == "__main__":
    raise SystemExit(main())
