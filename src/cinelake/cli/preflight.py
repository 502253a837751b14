"""Checks a command makes before it touches anything: the settings, the backend, the key, a
writable lake, a readable lake. Each failure is one line (`fail`), never a traceback."""

from __future__ import annotations

import functools
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from cinelake import layout
from cinelake.cli.context import clock, fail, invocation, out
from cinelake.damage import REPAIR_HINT, DamagedFile, first_line

if TYPE_CHECKING:
    from cinelake.config import Settings
    from cinelake.ops.lake import LakeView
    from cinelake.ops.runs import LocalRuntime

# Lazy imports (inside the functions) are of modules that pull in the pipeline's libraries
# (pyarrow, duckdb, httpx, boto3, Powertools) or pydantic (`cinelake.config`): `cinelake --help`
# loads none of them.

P = ParamSpec("P")
R = TypeVar("R")


def lake_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A damaged lake file is one line naming it and the fix, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except DamagedFile as exc:
            fail(str(exc))
        except sqlite3.DatabaseError as exc:
            fail(f"{layout.QUEUE_FILE.as_posix()} is damaged ({first_line(exc)}): {REPAIR_HINT}")

    return wrapper


def config_file() -> Path:
    """The settings file in effect: --config, else $CINELAKE_CONFIG, else ./cinelake.toml."""
    from cinelake.config import CONFIG_ENV, config_path

    return config_path(invocation.config or os.environ.get(CONFIG_ENV))


def settings_or_fail(**overrides: Any) -> Settings:
    """Settings with the given flags on top (None: not given); a bad value is one line naming
    the setting and where it came from."""
    from pydantic import ValidationError

    from cinelake.config import CONFIG_ENV, Settings, config_path, load_settings
    from cinelake.ops.config_report import ConfigFileError, origins, read_toml

    explicit = invocation.config or os.environ.get(CONFIG_ENV)
    path = config_path(explicit)
    if explicit and not path.is_file():
        fail(f"config file {path} not found")
    try:
        read_toml(path)
        return load_settings(config_file=path, **overrides)
    except ConfigFileError as exc:
        fail(str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        field = where.lower() if where.lower() in Settings.model_fields else None
        origin = f" ({origins(overrides, path)[field][1]})" if field else ""
        fail(f"invalid setting {where}{origin}: {first['msg']}")


def local_only(settings: Settings, command: str) -> None:
    """The CLI drives the embedded runtime; on AWS the stack runs itself (see README)."""
    if settings.backend != "local":
        fail(
            f"`cinelake {command}` drives the local runtime; with backend={settings.backend} the "
            "deployed stack runs the pipeline (see the README's deploy section)"
        )


def stack_or_fail(settings: Settings, stack: str | None) -> str | None:
    """The stack to operate with backend=aws (required then), None for the local lake."""
    if settings.backend == "aws":
        if not stack:
            fail("--backend aws needs --stack NAME (the deployed CloudFormation stack)")
        return stack
    if stack:
        fail(f"--stack {stack} operates a deployed stack: add --backend aws")
    return None


@contextmanager
def stack_view_or_fail(stack: str) -> Iterator[LakeView]:
    """The deployed stack's lake view; a missing stack or an AWS refusal is one line."""
    from botocore.exceptions import BotoCoreError, ClientError

    from cinelake.ops.stack import StackError, open_stack

    try:
        with open_stack(stack, clock=clock()) as view:
            yield view
    except StackError as exc:
        fail(str(exc))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        fail(f"stack {stack}: AWS refused {exc.operation_name}: {error.get('Code', '?')}")
    except BotoCoreError as exc:
        fail(f"stack {stack}: {exc}")


def has_key_or_fail(settings: Settings) -> bool:
    """Whether OMDb can be called (offline counts: the sample needs no key); an unreadable
    key source is a one-line error."""
    from cinelake.bootstrap import key_provider
    from cinelake.keys import SecretError

    try:
        return settings.offline or bool(key_provider(settings).get())
    except SecretError as exc:
        fail(str(exc))


def offline_unless_keyed(settings: Settings, *, what: str) -> Settings:
    """Without a key the bundled OMDb sample stands in (offline), said on stdout, unless an
    OMDb URL was chosen: then it is an error. `what` names who enriches ("enriching", "runs
    enrich")."""
    if has_key_or_fail(settings):
        return settings
    if "omdb_url" in settings.model_fields_set and not settings.offline:
        from cinelake.sources.top_list import describe

        fail(
            f"no OMDb API key for {describe(settings.omdb_url)}: set OMDB_API_KEY (the bundled "
            "sample is used only when no OMDb URL is chosen; --offline forces it)"
        )
    out.print(f"No OMDB_API_KEY set: {what} from the bundled OMDb sample (offline).")
    return settings.model_copy(update={"offline": True})


def check_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        fail(f"data dir {data_dir} is not writable ({exc.strerror or type(exc).__name__})")


def healthy_or_fail(data_dir: Path, *, kinds: set[str] | None = None, quick: bool = False) -> None:
    """Before a command that reads the lake: one line naming the first damaged file."""
    from cinelake.ops.doctor import check

    problems = [p for p in check(data_dir, quick=quick) if kinds is None or p.kind in kinds]
    if problems:
        more = f" (and {len(problems) - 1} more: `cinelake doctor`)" if len(problems) > 1 else ""
        fail(f"{problems[0].path} is damaged ({problems[0].problem}): {REPAIR_HINT}{more}")


def runtime_or_fail(
    settings: Settings, *, need_key: bool = False, omdb_url_override: bool = False
) -> LocalRuntime:
    """The local runtime for a command that finishes queued work (resume, redrive), after the
    key and write checks."""
    from cinelake.ops.runs import LocalRuntime

    has_key = has_key_or_fail(settings)
    if not has_key and need_key:
        fail("no OMDb API key: set OMDB_API_KEY (or pass --offline to use the bundled sample)")
    if not has_key:
        out.print(
            "[yellow]No OMDB_API_KEY set:[/] queued movies stay queued "
            "(set the key, or pass --offline to use the bundled sample)."
        )
    check_writable(settings.data_dir)
    return LocalRuntime(settings, clock=clock(), omdb_url_override=omdb_url_override)
