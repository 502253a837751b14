"""QuickSight as code: generated from the gold datasets, created only for a named principal."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cinelake.aws import glue_tables, quicksight
from cinelake.aws.cfn import TEMPLATE_PATH, Stack, load_template
from cinelake.gold import datasets as gold_datasets

from .emulator import ACCOUNT, REGION
from .test_template import tool

PRINCIPAL = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:group/default/cinelake-analysts"
QS_TYPES = ("AWS::QuickSight::DataSource", "AWS::QuickSight::DataSet", "AWS::QuickSight::Dashboard")


def evaluated(template: dict[str, Any], **parameters: str) -> Stack:
    stack = Stack(template, dict(parameters), account_id=ACCOUNT, region=REGION)

    def ref(lid: str, res: dict[str, Any]) -> Any:
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Glue::Database":
            return stack.resolve(props["DatabaseInput"]["Name"])
        if "Name" in props:
            return stack.resolve(props["Name"])
        return lid

    def att(lid: str, attribute: str, res: dict[str, Any]) -> Any:
        assert attribute == "Arn", (lid, attribute)
        return f"arn:aws:quicksight:{REGION}:{ACCOUNT}:{res['Type'].rsplit('::', 1)[1]}/{lid}"

    stack.ref_resolver, stack.att_resolver = ref, att
    return stack


def created(stack: Stack) -> dict[str, list[str]]:
    return {kind: sorted(stack.of_type(kind)) for kind in QS_TYPES}


def referenced_columns(node: Any) -> list[tuple[str, str]]:
    """Every (data set identifier, column) a dashboard definition names."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if set(node) == {"DataSetIdentifier", "ColumnName"}:
            found.append((node["DataSetIdentifier"], node["ColumnName"]))
        for value in node.values():
            found += referenced_columns(value)
    elif isinstance(node, list):
        for value in node:
            found += referenced_columns(value)
    return found


def test_the_template_holds_the_generated_quicksight_resources(template: dict[str, Any]) -> None:
    assert quicksight.template_quicksight(template) == quicksight.quicksight_resources(), (
        "template.yaml's QuickSight resources are out of date: "
        "python -m cinelake.aws.quicksight --write"
    )
    assert TEMPLATE_PATH.read_text().count(quicksight.render_block()) == 1
    assert quicksight.main(["--check"]) == 0


def test_with_the_principal_a_data_source_a_data_set_per_gold_table_and_a_dashboard(
    template: dict[str, Any],
) -> None:
    stack = evaluated(template, QuickSightPrincipalArn=PRINCIPAL)
    made = created(stack)
    assert made["AWS::QuickSight::DataSource"] == ["QuickSightDataSource"]
    assert made["AWS::QuickSight::Dashboard"] == ["QuickSightDashboard"]
    names = {ds.name for ds in gold_datasets.DATASETS}
    assert {"movers", "rank_history", "top_movers", "list_tenure"} <= names  # history included
    assert made["AWS::QuickSight::DataSet"] == sorted(
        quicksight.data_set_logical_id(n) for n in names
    )

    source = stack.properties("QuickSightDataSource")
    assert source["Type"] == "ATHENA"
    workgroup = stack.properties("AthenaWorkGroup")["Name"]
    assert source["DataSourceParameters"] == {"AthenaParameters": {"WorkGroup": workgroup}}
    database = stack.properties("GlueDatabase")["DatabaseInput"]["Name"]

    for ds in gold_datasets.DATASETS:
        props = stack.properties(quicksight.data_set_logical_id(ds.name))
        ((table,),) = [[t["RelationalTable"] for t in props["PhysicalTableMap"].values()]]
        glue = stack.properties(glue_tables.logical_id(ds.name))["TableInput"]
        # The data set reads the stack's own Glue table of that dataset, every column of it.
        assert (table["Catalog"], table["Schema"], table["Name"]) == (
            "AwsDataCatalog",
            database,
            glue["Name"],
        )
        assert [c["Name"] for c in table["InputColumns"]] == list(ds.column_names)
        assert table["DataSourceArn"].endswith("/QuickSightDataSource")
        assert props["ImportMode"] == "DIRECT_QUERY"

    for lid in (lid for ids in made.values() for lid in ids):
        (grant,) = stack.properties(lid)["Permissions"]
        assert grant["Principal"] == PRINCIPAL
        assert any(a.endswith("Permissions") for a in grant["Actions"])  # the owner's set


def test_without_the_principal_nothing_quicksight_is_created(template: dict[str, Any]) -> None:
    stack = evaluated(template)
    assert created(stack) == {kind: [] for kind in QS_TYPES}
    declared = quicksight.template_quicksight(template)
    assert len(declared) == len(gold_datasets.DATASETS) + 2
    assert {res["Condition"] for res in declared.values()} == {quicksight.CONDITION}
    # Nothing else refers to them (an unconditioned reference would fail the deploy).
    others = {k: v for k, v in template["Resources"].items() if k not in declared}
    mentions = [
        (k, lid)
        for k, v in [*others.items(), ("Outputs", template.get("Outputs"))]
        for lid in declared
        if f"'{lid}'" in repr(v) or "${" + lid in repr(v)
    ]
    assert not mentions


def test_the_dashboard_mirrors_the_local_dashboard_and_shows_every_gold_dataset(
    template: dict[str, Any],
) -> None:
    stack = evaluated(template, QuickSightPrincipalArn=PRINCIPAL)
    definition = stack.properties("QuickSightDashboard")["Definition"]
    declared = {
        d["Identifier"]: d["DataSetArn"] for d in definition["DataSetIdentifierDeclarations"]
    }
    columns = {ds.name: set(ds.column_names) for ds in gold_datasets.DATASETS}
    refs = referenced_columns(definition)
    assert refs
    for identifier, column in refs:
        assert column in columns[identifier], (identifier, column)
        assert declared[identifier].endswith("/" + quicksight.data_set_logical_id(identifier))
    assert {i for i, _ in refs} == set(columns) == set(declared)

    overview, *_ = definition["Sheets"]
    visuals = {}
    for visual in overview["Visuals"]:
        ((kind, body),) = visual.items()
        visuals[body["VisualId"]] = (kind, {i for i, _ in referenced_columns(body)})
    # The local dashboard's panels (dashboard/template.html): same datasets, same kind of chart.
    assert visuals["top-rated"] == ("BarChartVisual", {"top_rated"})
    assert visuals["genres"] == ("BarChartVisual", {"movies_by_genre"})
    assert visuals["years"] == ("BarChartVisual", {"movies_by_year"})
    assert visuals["box-office"] == ("BarChartVisual", {"box_office_by_year"})
    assert visuals["directors"] == ("BarChartVisual", {"top_directors"})
    assert visuals["movers"] == ("TableVisual", {"movers"})
    assert visuals["rank-trajectory"] == ("LineChartVisual", {"rank_history"})
    for sheet in definition["Sheets"]:
        (layout,) = sheet["Layouts"]
        elements = [e["ElementId"] for e in layout["Configuration"]["GridLayout"]["Elements"]]
        ids = [next(iter(v.values()))["VisualId"] for v in sheet["Visuals"]]
        assert elements == ids and len(set(ids)) == len(ids)


def test_a_dataset_added_to_the_definitions_flows_in_by_regenerating(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    extra = dataclasses.replace(
        gold_datasets.dataset("kpis"),
        name="data_quality",
        columns=(
            gold_datasets.GoldColumn("check", pa.string(), "What is checked."),
            gold_datasets.GoldColumn("failures", pa.int64(), "Rows failing it.", "rows"),
        ),
    )
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE_PATH.read_text())
    monkeypatch.setattr(gold_datasets, "DATASETS", (*gold_datasets.DATASETS, extra))

    assert quicksight.main(["--check", "--template", str(template)]) == 1
    assert quicksight.main(["--write", "--template", str(template)]) == 0
    assert quicksight.main(["--check", "--template", str(template)]) == 0
    resources = quicksight.template_quicksight(load_template(template))
    data_set = resources["QuickSightDataSetDataQuality"]
    ((table,),) = [
        [t["RelationalTable"] for t in data_set["Properties"]["PhysicalTableMap"].values()]
    ]
    assert table["Name"] == "gold_data_quality"
    assert table["InputColumns"] == [
        {"Name": "check", "Type": "STRING"},
        {"Name": "failures", "Type": "INTEGER"},
    ]
    assert data_set["DependsOn"] == ["GoldTableDataQuality"]
    definition = resources["QuickSightDashboard"]["Properties"]["Definition"]
    assert ("data_quality", "failures") in referenced_columns(definition)


def test_two_stacks_give_their_quicksight_resources_different_ids(
    template: dict[str, Any],
) -> None:
    def ids(prefix: str) -> set[str]:
        stack = evaluated(template, Prefix=prefix, QuickSightPrincipalArn=PRINCIPAL)
        out = set()
        for kind in QS_TYPES:
            for lid in stack.of_type(kind):
                props = stack.properties(lid)
                out |= {
                    v
                    for k, v in props.items()
                    if k.endswith(("Id", "Name")) and k != "AwsAccountId"
                }
        return out

    a, b = ids("lake-a"), ids("lake-b")
    assert len(a) == 2 * (len(gold_datasets.DATASETS) + 2)
    assert not a & b


def test_cfn_lint_checks_the_dashboard_definition_itself(tmp_path: Path) -> None:
    """The lint that keeps template.yaml clean reads inside the dashboard: a misnamed field
    well is an error (so a clean lint means the QuickSight definitions are well-formed)."""
    text = TEMPLATE_PATH.read_text()
    assert "BarChartAggregatedFieldWells" in text
    broken = tmp_path / "template.yaml"
    broken.write_text(text.replace("BarChartAggregatedFieldWells", "BarChartFieldWells", 1))
    result = subprocess.run(
        [tool("cfn-lint"), str(broken)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "BarChartFieldWells" in result.stdout
