"""Read template.yaml the way CloudFormation would: short-form tags, SAM Globals, intrinsics.

`load_template` parses the YAML (``!Ref``, ``!Sub``, ``!GetAtt`` ... become their long forms).
`Stack` evaluates it for given parameters, account and region: conditions, ``Ref``, ``Fn::Sub``,
``Fn::GetAtt``, ``Fn::If``, ``Fn::Select``/``Split``/``Join`` and ``AWS::NoValue``, with
resource references answered from the names the template gives (or by a caller-supplied
resolver). That is all the emulator tests need to create exactly what the template declares.

PyYAML is a development dependency: import this module only from tools and tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

_NO_VALUE = object()


class TemplateError(ValueError):
    """The template uses something this evaluator does not understand."""


def _loader() -> type:
    import yaml

    class CfnLoader(yaml.SafeLoader):
        pass

    def construct(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
        name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag_suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    CfnLoader.add_multi_constructor("!", construct)
    return CfnLoader


def parse_template(text: str) -> dict[str, Any]:
    import yaml

    data = yaml.load(text, Loader=_loader())  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict) or "Resources" not in data:
        raise TemplateError("not a CloudFormation template (no Resources)")
    return data


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return parse_template(Path(path).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------
# SAM Globals
# ------------------------------------------------------------------------------------------

_GLOBAL_SECTIONS = {"Function": "AWS::Serverless::Function"}


def _merge_global(global_value: Any, local_value: Any) -> Any:
    """SAM's rules: maps merge (local wins), lists concatenate (global first), scalars: local."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if (
            set(global_value) & {"Ref"}
            or set(local_value) & {"Ref"}
            or any(k.startswith("Fn::") for k in (*global_value, *local_value))
        ):
            return local_value
        merged = dict(global_value)
        for k, v in local_value.items():
            merged[k] = _merge_global(global_value[k], v) if k in global_value else v
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return [*global_value, *local_value]
    return local_value


def function_properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    """A SAM function's properties with the template's Globals merged in."""
    resource = template["Resources"][logical_id]
    props = dict(resource.get("Properties", {}))
    if resource["Type"] != "AWS::Serverless::Function":
        return props
    merged = dict(template.get("Globals", {}).get("Function", {}))
    for key, value in props.items():
        merged[key] = _merge_global(merged[key], value) if key in merged else value
    return merged


# ------------------------------------------------------------------------------------------
# Evaluation
# ------------------------------------------------------------------------------------------

RefResolver = Callable[[str, Mapping[str, Any]], Any]
AttResolver = Callable[[str, str, Mapping[str, Any]], Any]


@dataclass
class Stack:
    """One evaluation of the template: parameter values, account, region and resource answers."""

    template: dict[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)
    account_id: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"
    stack_name: str = "cinelake"
    ref_resolver: RefResolver | None = None
    att_resolver: AttResolver | None = None

    def __post_init__(self) -> None:
        declared = self.template.get("Parameters", {})
        unknown = set(self.parameters) - set(declared)
        if unknown:
            raise TemplateError(f"unknown parameters: {sorted(unknown)}")
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in self.parameters:
                values[name] = self.parameters[name]
            elif "Default" in spec:
                values[name] = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no value and no default")
            values[name] = str(values[name])  # CloudFormation hands every parameter over as text
        self.values = values
        self._conditions: dict[str, bool] = {}

    # -- public helpers -----------------------------------------------------------------------
    @property
    def resources(self) -> dict[str, Any]:
        return self.template["Resources"]  # type: ignore[no-any-return]

    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {
            k: v
            for k, v in self.resources.items()
            if v.get("Type") == type_name and self.included(k)
        }

    def included(self, logical_id: str) -> bool:
        cond = self.resources[logical_id].get("Condition")
        return True if cond is None else self.condition(cond)

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties, Globals merged and every intrinsic resolved."""
        value = self.resolve(function_properties(self.template, logical_id))
        return value if isinstance(value, dict) else {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            spec = self.template.get("Conditions", {}).get(name)
            if spec is None:
                raise TemplateError(f"unknown condition {name}")
            self._conditions[name] = bool(self._condition_value(spec))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        out = self._resolve(value)
        return None if out is _NO_VALUE else out

    # -- intrinsics ---------------------------------------------------------------------------
    def _pseudo(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in pseudo:
            return pseudo[name]
        raise TemplateError(f"unsupported pseudo parameter {name}")

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self.values:
            return self.values[name]
        if name in self.resources:
            if self.ref_resolver is None:
                raise TemplateError(f"no resolver for Ref {name}")
            return self.ref_resolver(name, self.resources[name])
        raise TemplateError(f"Ref to unknown name {name}")

    def get_att(self, name: str, attribute: str) -> Any:
        if name not in self.resources:
            raise TemplateError(f"GetAtt of unknown resource {name}")
        if self.att_resolver is None:
            raise TemplateError(f"no resolver for GetAtt {name}.{attribute}")
        return self.att_resolver(name, attribute, self.resources[name])

    def _sub(self, text: str, extra: Mapping[str, Any]) -> str:
        def replace(m: re.Match[str]) -> str:
            token = m.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in extra:
                return str(extra[token])
            if "." in token and not token.startswith("AWS::"):
                res, att = token.split(".", 1)
                return str(self.get_att(res, att))
            return str(self.ref(token))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _condition_value(self, spec: Any) -> Any:
        if isinstance(spec, dict) and len(spec) == 1:
            ((key, arg),) = spec.items()
            if key == "Fn::Equals":
                a, b = (self._resolve(x) for x in arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self._condition_value(arg[0])
            if key == "Fn::And":
                return all(self._condition_value(x) for x in arg)
            if key == "Fn::Or":
                return any(self._condition_value(x) for x in arg)
            if key == "Condition":
                return self.condition(arg)
        return self._resolve(spec)

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                res, att = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(res, att)
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return self._sub(arg, {})
                text, variables = arg
                return self._sub(text, {k: self._resolve(v) for k, v in variables.items()})
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self._resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Select":
                index, items = arg
                resolved = self._resolve(items)
                return resolved[int(self._resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self._resolve(text)).split(sep)
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(x) for x in self._resolve(items))
            if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"):
                return self._condition_value(value)
            if key.startswith("Fn::"):
                raise TemplateError(f"unsupported intrinsic {key}")
        out = {}
        for k, v in value.items():
            r = self._resolve(v)
            if r is not _NO_VALUE:
                out[k] = r
        return out
