"""The `cinelake` command line.

One module per command group, each a thin layer: check (preflight), hand the work to
`cinelake.ops` or the local runtime, render (render). Options are declared once (options),
with their defaults and help from the settings' one declaration (`cinelake.setting_specs`).

    context    consoles, exit codes, `fail`, the clock lookup
    options    every option, once
    preflight  settings, backend, key, writable and readable lake checks
    render     summaries, status, tables, JSON, CSV
    server     `dashboard --serve`
    signals    stopping the foreground scheduler
    pipeline   run, plan, backfill, rebuild, schedule, resume
    explore    query, dashboard
    health     doctor, status, config
    dlq        dlq list, dlq redrive
    source     source show
    quality    quality
"""

from __future__ import annotations

import os
import sqlite3
import sys
import warnings

import typer

from cinelake.cli import dlq, explore, health, pipeline, quality, source
from cinelake.cli.context import EXIT_ERROR, err, invocation
from cinelake.cli.options import OptConfig
from cinelake.clock import Clock, SystemClock

__all__ = ["CLOCK", "app", "main"]

# The CLI's one clock: every stamp and every "now" it hands on comes from here (tests swap it).
CLOCK: Clock = SystemClock()

HELP = "cinelake: today's top movies, enriched from OMDb, through a bronze/silver/gold lake."
app = typer.Typer(
    help=HELP, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False
)


@app.callback()
def _main_options(config: OptConfig = None) -> None:
    """cinelake: today's top movies, enriched from OMDb, through a bronze/silver/gold lake."""
    # Powertools warns when a failed invocation had no metrics yet; the error says what matters.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    invocation.config = config


# The order here is the order of `cinelake --help`.
app.command()(pipeline.run)
app.command()(pipeline.plan)
app.command()(pipeline.backfill)
app.command()(explore.query)
app.command()(explore.dashboard)
app.command()(pipeline.rebuild)
app.command()(pipeline.schedule)
app.command()(pipeline.resume)
app.command()(health.doctor)
app.command()(health.status)
app.command()(quality.quality)
app.add_typer(dlq.dlq_app, name="dlq")
app.add_typer(source.source_app, name="source")
app.command("config")(health.config)


def _environment_errors() -> tuple[type[Exception], ...]:
    """What `main` reports in one line. pydantic's ValidationError only once pydantic is loaded
    (no setting was read before): `cinelake --help` does without pydantic."""
    pydantic = sys.modules.get("pydantic")
    errors: tuple[type[Exception], ...] = (OSError, sqlite3.DatabaseError)
    return (*errors, pydantic.ValidationError) if pydantic is not None else errors


def main() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    try:
        app()
    except _environment_errors() as exc:
        # The environment, not a bug of the user's input: still one line, no traceback.
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {detail}", highlight=False)
        raise SystemExit(EXIT_ERROR) from None
