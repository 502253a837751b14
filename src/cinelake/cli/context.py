"""What every command shares: the two consoles, the exit codes, the one-line failure, the
`--config` the callback saw, and the CLI's clock."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from cinelake.clock import Clock

out = Console()
err = Console(stderr=True)

EXIT_ERROR = 1
EXIT_USAGE = 2  # as typer's own usage errors: a flag's value is not what it must be
EXIT_INCOMPLETE = 3
EXIT_KEY_REJECTED = 4
EXIT_NOTHING_USABLE = 5
EXIT_SOME_DAYS_FAILED = 6  # backfill: some files were bad or some days failed; the others loaded
EXIT_QUALITY_FAILED = 7  # the run completed and published, but its data-quality verdict is fail
EXIT_INTERRUPTED = 130


class _Invocation:
    """The top-level options of this invocation (set by the app's callback)."""

    config: Path | None = None


invocation = _Invocation()


def clock() -> Clock:
    """The CLI's one clock, `cinelake.cli.CLOCK`, looked up at call time so tests can swap it."""
    return sys.modules["cinelake.cli"].CLOCK  # type: ignore[no-any-return]


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """One line on stderr naming what was wrong, then exit `code` (never a traceback)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
