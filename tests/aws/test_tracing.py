"""Tracing: Powertools Tracer on the four handlers, switched by the template's Tracing parameter."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from cinelake import tracing
from cinelake.aws.cfn import Stack
from cinelake.runtime.events import LocalContext

from .emulator import ACCOUNT
from .test_template import FUNCTIONS, names

HANDLER_MODULES = sorted(h.rsplit(".", 1)[0] for h in FUNCTIONS.values())


def grants(stack: Stack, role: str) -> list[dict[str, Any]]:
    return [
        st
        for policy in stack.properties(role)["Policies"]
        for st in policy["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("mode", ["PassThrough", "Active"])
def test_the_tracing_parameter_switches_xray_the_tracer_and_its_permission(
    template: dict[str, Any], mode: str
) -> None:
    default = template["Parameters"]["Tracing"]["Default"]
    assert default == "PassThrough"  # off unless asked for
    stack = names(Stack(template, {"Tracing": mode} if mode != default else {}, account_id=ACCOUNT))
    on = mode == "Active"
    for lid in FUNCTIONS:
        props = stack.properties(lid)
        assert props["Tracing"] == mode
        env = props["Environment"]["Variables"]
        assert env["POWERTOOLS_TRACE_DISABLED"] == ("false" if on else "true")
        # What cinelake.tracing decides in that function's environment.
        assert tracing.tracing_enabled({**env, "LAMBDA_TASK_ROOT": "/var/task"}) is on
        role = props["Role"]
        (role_lid,) = [
            r
            for r, res in template["Resources"].items()
            if res["Type"] == "AWS::IAM::Role" and role.endswith("/" + stack.ref(r))
        ]
        xray = [st for st in grants(stack, role_lid) if "xray:" in json.dumps(st["Action"])]
        if on:
            assert xray == [
                {
                    "Sid": "WriteTraces",
                    "Effect": "Allow",
                    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                    "Resource": "*",
                }
            ]
        else:
            assert xray == []


def test_tracing_is_on_only_in_lambda_with_the_tracer_enabled() -> None:
    lam = {"LAMBDA_TASK_ROOT": "/var/task"}
    assert tracing.tracing_enabled({**lam, "POWERTOOLS_TRACE_DISABLED": "false"})
    assert not tracing.tracing_enabled({**lam, "POWERTOOLS_TRACE_DISABLED": "true"})
    assert not tracing.tracing_enabled(lam)  # no variable: off
    assert not tracing.tracing_enabled({"POWERTOOLS_TRACE_DISABLED": "false"})  # not Lambda
    sam_local = {**lam, "POWERTOOLS_TRACE_DISABLED": "false", "AWS_SAM_LOCAL": "true"}
    assert not tracing.tracing_enabled(sam_local)


CHILD = """
import importlib, json, sys
handlers = {m: importlib.import_module(m).handler for m in sys.argv[1:]}
print(json.dumps({
    "xray_imported": "aws_xray_sdk" in sys.modules,
    "traced": sorted(m for m, h in handlers.items() if "aws_lambda_powertools/tracing" in h.__code__.co_filename),
}))
"""


@pytest.mark.parametrize(
    ("extra", "on"),
    [
        ({}, False),  # the local runtime, the CLI
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, True),
    ],
)
def test_handlers_are_traced_only_when_on_and_otherwise_never_import_xray(
    extra: dict[str, str], on: bool, tmp_path: Any
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "LAMBDA_"))}
    env.update(extra, AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR", AWS_XRAY_NOOP_ID="true")
    result = subprocess.run(
        [sys.executable, "-c", CHILD, *HANDLER_MODULES],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {"xray_imported": on, "traced": HANDLER_MODULES if on else []}


class FakeProvider:
    """Records the subsegments and annotations Powertools Tracer asks the provider for."""

    def __init__(self) -> None:
        self.subsegments: list[str] = []
        self.annotations: dict[str, Any] = {}
        self.metadata: list[Any] = []

    @contextlib.contextmanager
    def in_subsegment(self, name: str | None = None, **_: Any) -> Iterator[FakeProvider]:
        self.subsegments.append(str(name))
        yield self

    def put_annotation(self, key: str, value: Any) -> None:
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata.append((key, value))

    def patch(self, modules: Any) -> None:
        raise AssertionError("auto patching is off in this test")


@pytest.fixture
def traced_handlers(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[FakeProvider, list[ModuleType]]]:
    from aws_lambda_powertools import Tracer

    provider = FakeProvider()
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    monkeypatch.setattr(
        tracing,
        "_tracer",
        Tracer(service="cinelake", provider=provider, auto_patch=False),  # type: ignore[arg-type]
    )
    try:
        yield provider, [importlib.reload(importlib.import_module(m)) for m in HANDLER_MODULES]
    finally:
        Tracer._reset_config()
        monkeypatch.undo()
        for m in HANDLER_MODULES:  # back to the untraced handlers the other tests use
            importlib.reload(importlib.import_module(m))


def test_each_handler_runs_in_its_own_subsegment_without_its_error_message(
    traced_handlers: tuple[FakeProvider, list[ModuleType]],
) -> None:
    provider, modules = traced_handlers
    for module in modules:
        with pytest.raises(Exception):  # None is no event of any handler
            module.handler(None, LocalContext(function_name=module.__name__))
    assert provider.subsegments == ["## handler"] * len(modules)
    assert provider.annotations["Service"] == "cinelake"
    assert provider.metadata == []  # neither responses nor error messages go into traces
