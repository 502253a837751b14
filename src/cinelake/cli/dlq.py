"""`cinelake dlq`: the dead-lettered movies, and putting them back in the queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cinelake.cli.context import EXIT_ERROR, EXIT_INCOMPLETE, clock, fail, out
from cinelake.cli.options import (
    DataDir,
    OptBackend,
    OptConcurrency,
    OptIds,
    OptJson,
    OptOffline,
    OptOmdbUrl,
    OptRate,
    OptRefresh,
    OptStack,
)
from cinelake.cli.preflight import (
    healthy_or_fail,
    lake_errors,
    runtime_or_fail,
    settings_or_fail,
    stack_or_fail,
    stack_view_or_fail,
)
from cinelake.cli.render import (
    fail_if_nothing_usable,
    print_dead_letters,
    print_json,
    print_summaries,
)

if TYPE_CHECKING:
    from cinelake.ops.dlq import RedriveResult

# cinelake.ops and the runtime are imported inside the commands: they pull in pyarrow, duckdb
# and httpx, which `cinelake --help` does without.

dlq_app = typer.Typer(
    help="Dead-lettered movies: list them, put them back in the queue.", no_args_is_help=True
)


@dlq_app.command("list")
@lake_errors
def dlq_list(
    as_json: OptJson = False,
    data_dir: DataDir = None,
    backend: OptBackend = None,
    stack: OptStack = None,
) -> None:
    """Dead-lettered movies: IMDb id, title, run, attempts, last error (read-only)."""
    from cinelake.ops.dlq import as_dict, dead_movies
    from cinelake.ops.lake import open_lake

    settings = settings_or_fail(data_dir=data_dir, backend=backend)
    stack_name = stack_or_fail(settings, stack)
    if stack_name is not None:
        with stack_view_or_fail(stack_name) as view:
            movies = dead_movies(view.queue, view.ledger)
    else:
        with open_lake(settings.data_dir, clock=clock()) as lake:
            movies = dead_movies(lake.queue, lake.ledger)
    if as_json:
        print_json([as_dict(m) for m in movies])
    else:
        print_dead_letters(movies)


@dlq_app.command("redrive")
@lake_errors
def dlq_redrive(
    ids: OptIds = None,
    omdb_url: OptOmdbUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    concurrency: OptConcurrency = None,
    rate_limit: OptRate = None,
    refresh: OptRefresh = None,
    backend: OptBackend = None,
    stack: OptStack = None,
) -> None:
    """Put dead-lettered movies back in the queue and carry their runs to completion (on a
    deployed stack: back in its queue; the stack carries them on)."""
    from cinelake.layout import QUEUE_FILE
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.dlq import BadIds, check_ids, dead_messages, plan_redrive, redrive
    from cinelake.ops.lake import open_lake
    from cinelake.runtime.errors import RuntimeRefused

    quiet_for_cli()
    try:
        wanted = check_ids(ids) if ids else None
    except BadIds as exc:
        fail(str(exc))
    settings = settings_or_fail(
        omdb_url=omdb_url,
        data_dir=data_dir,
        offline=offline,
        concurrency=concurrency,
        rate_limit=rate_limit,
        refresh=refresh,
        backend=backend,
    )
    stack_name = stack_or_fail(settings, stack)
    if stack_name is not None:
        _redrive_stack(stack_name, wanted)
        return
    if not (settings.data_dir / QUEUE_FILE).is_file():
        fail(f"no dead letters: no lake at {settings.data_dir} (pass --data-dir?)")
    healthy_or_fail(settings.data_dir)
    with open_lake(settings.data_dir, clock=clock()) as lake:  # a first look, before the key
        plan = plan_redrive(dead_messages(lake.queue, lake.ledger), wanted)
    result: RedriveResult | None = None
    if plan.message_ids:
        runtime = runtime_or_fail(settings, need_key=True, omdb_url_override=omdb_url is not None)
        try:
            result = redrive(runtime, wanted)
        except RuntimeRefused as exc:
            fail(str(exc))
        finally:
            runtime.queue.close()
        plan = result.plan
    if plan.missing:
        out.print(f"[yellow]Not in the dead letters:[/] {', '.join(plan.missing)}")
    if result is None or not result.moved:
        out.print("Nothing redriven." if wanted else "No dead letters to redrive.")
        raise typer.Exit(EXIT_ERROR if wanted else 0)
    out.print(
        f"Redrove {result.moved} message(s): {', '.join(result.plan.movies)}", highlight=False
    )
    print_summaries(result.summaries)
    for run_id in result.superseded:
        out.print(
            f"[yellow]Run {run_id} is superseded by a later run of the same day:[/] its "
            "redriven answers are in bronze, silver keeps the later run."
        )
    fail_if_nothing_usable(result.summaries)
    if not all(s.complete for s in result.summaries):
        raise typer.Exit(EXIT_INCOMPLETE)


def _redrive_stack(stack: str, wanted: list[str] | None) -> None:
    """The stack's dead letters back in its movies queue; its functions do the rest."""
    from cinelake.ops.stack import redrive

    with stack_view_or_fail(stack) as view:
        plan, moved = redrive(view, wanted)
    if plan.missing:
        out.print(f"[yellow]Not in the dead letters:[/] {', '.join(plan.missing)}")
    if not moved:
        out.print("Nothing redriven." if wanted else "No dead letters to redrive.")
        raise typer.Exit(EXIT_ERROR if wanted else 0)
    out.print(
        f"Redrove {moved} message(s): {', '.join(plan.movies)} into stack {stack}'s queue; "
        f"its runs ({', '.join(plan.runs)}) finish as the stack enriches them "
        f"(cinelake status --backend aws --stack {stack}).",
        highlight=False,
    )
