"""The CLI declares each option once and takes what a setting means from `Settings`."""

from __future__ import annotations

import inspect
from typing import Any, get_args

import pytest
import typer
from typer.main import get_command

from cinelake.cli import app
from cinelake.cli.options import lower_bound, shown_default
from cinelake.config import Settings

# The flags whose name is not the field's.
FIELD_OF_FLAG = {"--cron": "schedule_cron", "--timezone": "schedule_timezone"}
# The flags whose range click checks (exit 2, as before `Settings` is read).
CHECKED_WHILE_PARSING = {"top_n", "batch_size", "min_votes", "concurrency", "rate_limit"}


# typer carries its own click: commands and options are looked at by their attributes.
def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            found |= _commands(cmd, f"{prefix}{name} ")
        else:
            found[f"{prefix}{name}"] = cmd
    return found


COMMANDS = _commands(get_command(app))


def _setting_options() -> list[tuple[str, Any, str]]:
    out = []
    for name, cmd in COMMANDS.items():
        for param in cmd.params:
            if param.param_type_name != "option":
                continue
            flag = param.opts[0]
            field = FIELD_OF_FLAG.get(flag, flag.removeprefix("--").replace("-", "_"))
            if field in Settings.model_fields:
                out.append((name, param, field))
    return out


def test_every_command_is_there() -> None:
    assert set(COMMANDS) == {
        "run", "plan", "backfill", "query", "dashboard", "rebuild", "schedule", "resume", "doctor",
        "status", "dlq list", "dlq redrive", "source show", "config", "quality",
    }  # fmt: skip


@pytest.mark.parametrize(
    "command,option,field",
    _setting_options(),
    ids=[f"{c} {o.opts[0]}" for c, o, _ in _setting_options()],
)
def test_a_setting_flag_restates_no_default(command: str, option: Any, field: str) -> None:
    """Unset, a flag is None, so flag > env > file > default decides; its help and range are
    the field's."""
    assert option.default is None
    description = Settings.model_fields[field].description or ""
    assert description[1:] in option.help
    default = shown_default(field)
    if default is not None:
        assert f"[default: {default}]" in option.help.replace("\\[", "[")
    if field in CHECKED_WHILE_PARSING:  # out of range is a usage error (exit 2): the field's bound
        assert option.min == lower_bound(field) is not None
    else:
        assert option.min is None


def test_the_top_n_bound_is_the_settings_one() -> None:
    assert lower_bound("top_n") == 1
    with pytest.raises(ValueError):
        Settings(top_n=0)


def test_options_are_declared_once() -> None:
    """Every command's parameters use the shared option types (no inline typer.Option)."""
    from cinelake.cli import dlq, explore, health, pipeline, source

    for module in (pipeline, explore, health, dlq, source):
        for _, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__:
                continue
            for p in inspect.signature(fn, eval_str=True).parameters.values():
                meta: tuple[Any, ...] = get_args(p.annotation)[1:]
                inline = [m for m in meta if isinstance(m, typer.models.ParameterInfo)]
                if inline:
                    assert any(
                        m is getattr(opt, "__metadata__", (None,))[0]
                        for m in inline
                        for opt in _shared_types()
                    ), f"{module.__name__}.{fn.__name__}({p.name}) declares its own option"


def _shared_types() -> list[Any]:
    from cinelake.cli import explore, options

    return [v for k, v in vars(options).items() if k.startswith(("Opt", "DataDir"))] + [
        explore.OptServe
    ]
