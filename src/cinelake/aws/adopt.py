"""Redeploy after `sam delete`: adopt the retained buckets into a new stack (CloudFormation import).

The lake's buckets have DeletionPolicy Retain, so `sam delete` leaves them (and the data) in the
account, and a plain redeploy with the same prefix fails: the names exist. CloudFormation's
resource import adopts them instead. This module writes, from template.yaml, what the import
needs: a template holding only the retained resources (exactly as template.yaml declares them)
and the list of resources to import with their names. Then `sam deploy` updates that stack with
everything else (README, "Teardown and redeploy").

    python -m cinelake.aws.adopt --prefix cinelake --account 123456789012 --region eu-west-1 \\
        --out build/adopt
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from cinelake.aws.cfn import TEMPLATE_PATH, Stack, load_template

IDENTIFIER = {"AWS::S3::Bucket": "BucketName"}


def retained(template: dict[str, Any]) -> list[str]:
    """Logical ids of the resources `sam delete` leaves behind."""
    return sorted(
        lid for lid, res in template["Resources"].items() if res.get("DeletionPolicy") == "Retain"
    )


def _parameters_used(value: Any, declared: set[str]) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str) and v in declared:
                found.add(v)
            elif k == "Fn::Sub":
                text = v[0] if isinstance(v, list) else v
                found |= set(re.findall(r"\$\{([A-Za-z0-9]+)\}", text)) & declared
                if isinstance(v, list):
                    found |= _parameters_used(v[1], declared)
            else:
                found |= _parameters_used(v, declared)
    elif isinstance(value, list):
        for v in value:
            found |= _parameters_used(v, declared)
    return found


def import_template(template: dict[str, Any]) -> dict[str, Any]:
    """The retained resources, unchanged, with the parameters they use (an import template may
    hold nothing else)."""
    resources = {lid: template["Resources"][lid] for lid in retained(template)}
    declared = template.get("Parameters", {})
    conditions = _conditions_used(resources, template.get("Conditions", {}))
    used = _parameters_used([resources, conditions], set(declared))
    unsupported = {r["Type"] for r in resources.values()} - set(IDENTIFIER)
    if unsupported:
        raise ValueError(f"no import identifier known for {sorted(unsupported)}")
    found = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "cinelake: adopt the buckets a deleted stack retained (then sam deploy)",
        "Parameters": {name: declared[name] for name in sorted(used)},
    }
    if conditions:
        found["Conditions"] = conditions
    return found | {"Resources": resources}


def _conditions_used(value: Any, conditions: dict[str, Any]) -> dict[str, Any]:
    """The template's conditions that ``value`` names in an ``Fn::If`` (e.g. the gold bucket's
    public-access settings follow PublicDashboard), with those they name in turn."""
    names: set[str] = set()

    def visit(name: Any) -> None:
        if isinstance(name, str) and name in conditions and name not in names:
            names.add(name)
            walk(conditions[name])

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, item in v.items():
                if k == "Fn::If" and isinstance(item, list) and item:
                    visit(item[0])
                elif k == "Condition":
                    visit(item)
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return {name: conditions[name] for name in sorted(names)}


def resources_to_import(
    template: dict[str, Any], parameters: dict[str, Any], *, account_id: str, region: str
) -> list[dict[str, Any]]:
    """`--resources-to-import` for `aws cloudformation create-change-set --change-set-type
    IMPORT`: each retained resource with the name template.yaml gives it for these values."""
    stack = Stack(template, parameters, account_id=account_id, region=region)
    out = []
    for lid in retained(template):
        kind = template["Resources"][lid]["Type"]
        key = IDENTIFIER[kind]
        out.append(
            {
                "ResourceType": kind,
                "LogicalResourceId": lid,
                "ResourceIdentifier": {
                    key: str(stack.resolve(template["Resources"][lid]["Properties"][key]))
                },
            }
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", required=True, help="the Prefix the deleted stack used")
    parser.add_argument("--account", required=True, help="AWS account id")
    parser.add_argument("--region", required=True, help="AWS region")
    parser.add_argument("--out", type=Path, default=Path("build/adopt"))
    args = parser.parse_args(argv)
    template = load_template(TEMPLATE_PATH)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "import-template.json").write_text(
        json.dumps(import_template(template), indent=2), encoding="utf-8"
    )
    (args.out / "resources-to-import.json").write_text(
        json.dumps(
            resources_to_import(
                template, {"Prefix": args.prefix}, account_id=args.account, region=args.region
            ),
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"wrote {args.out}/import-template.json and {args.out}/resources-to-import.json")


if __name__ == "__main__":
    main()
