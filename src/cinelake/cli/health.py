"""How the lake is doing and how it is configured: `status`, `doctor`, `config`."""

from __future__ import annotations

import typer

from cinelake.cli.context import EXIT_ERROR, clock, fail, out
from cinelake.cli.options import (
    DEFAULT_RUNS,
    DataDir,
    OptBackend,
    OptBatch,
    OptConcurrency,
    OptCron,
    OptJson,
    OptOffline,
    OptOmdbUrl,
    OptRate,
    OptRefresh,
    OptRepair,
    OptRuns,
    OptSource,
    OptStack,
    OptTimezone,
    OptTopN,
)
from cinelake.cli.preflight import (
    config_file,
    lake_errors,
    local_only,
    settings_or_fail,
    stack_or_fail,
    stack_view_or_fail,
)
from cinelake.cli.render import print_config, print_json, print_status

# cinelake.ops and the runtime are imported inside the commands: they pull in pyarrow, duckdb
# and httpx, which `cinelake --help` does without.


def doctor(repair: OptRepair = False, as_json: OptJson = False, data_dir: DataDir = None) -> None:
    """Find the lake's unreadable files (Parquet, run ledger, queue), name each, repair them."""
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.doctor import check
    from cinelake.ops.doctor import repair as repair_lake
    from cinelake.ops.lake import lake_exists
    from cinelake.runtime.errors import RuntimeRefused

    quiet_for_cli()
    settings = settings_or_fail(data_dir=data_dir)
    local_only(settings, "doctor")
    if not lake_exists(settings.data_dir):
        fail(f"no lake at {settings.data_dir} (pass --data-dir?)")
    problems = check(settings.data_dir)
    if as_json and not repair:
        print_json([p.as_dict() for p in problems])
        raise typer.Exit(EXIT_ERROR if problems else 0)
    if not problems:
        out.print("No damaged files.")
        return
    if not repair:
        for p in problems:
            out.print(p.line(), highlight=False, soft_wrap=True)
        out.print(f"{len(problems)} damaged file(s). Repair: cinelake doctor --repair")
        raise typer.Exit(EXIT_ERROR)
    try:
        report = repair_lake(settings, problems, clock=clock())
    except RuntimeRefused as exc:
        fail(str(exc))
    if as_json:
        print_json(
            {
                "repaired": report.repaired,
                "left": [p.as_dict() for p in report.left],
                "rebuilt": report.rebuilt,
            }
        )
    else:
        for line in report.lines():
            out.print(line, highlight=False, soft_wrap=True)
    remaining = check(settings.data_dir)
    if remaining:
        raise typer.Exit(EXIT_ERROR)
    if not as_json:
        out.print("The lake is readable again.")


@lake_errors
def status(
    as_json: OptJson = False,
    data_dir: DataDir = None,
    runs: OptRuns = DEFAULT_RUNS,
    backend: OptBackend = None,
    stack: OptStack = None,
) -> None:
    """Recent runs, queue, dead letters, quarantine and gold freshness (read-only)."""
    from cinelake.ops.status import STATE_HINTS, lake_status, stack_status

    settings = settings_or_fail(data_dir=data_dir, backend=backend)
    stack_name = stack_or_fail(settings, stack)
    if stack_name is not None:
        with stack_view_or_fail(stack_name) as view:
            st = stack_status(view, stack_name, runs=runs, daily_budget=settings.omdb_daily_budget)
    else:
        st = lake_status(
            settings.data_dir,
            runs=runs,
            clock=clock(),
            cron=settings.schedule_cron,
            timezone=settings.schedule_timezone,
            daily_budget=settings.omdb_daily_budget,
        )
    if as_json:
        print_json(st.as_dict())
    else:
        print_status(st, STATE_HINTS)


def config(
    as_json: OptJson = False,
    top_n: OptTopN = None,
    batch_size: OptBatch = None,
    source: OptSource = None,
    omdb_url: OptOmdbUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    concurrency: OptConcurrency = None,
    rate_limit: OptRate = None,
    refresh: OptRefresh = None,
    cron: OptCron = None,
    timezone: OptTimezone = None,
) -> None:
    """Effective settings and where each comes from: flag > env > file > default."""
    from cinelake.ops.config_report import config_report

    flags = {
        "top_n": top_n,
        "batch_size": batch_size,
        "source": source,
        "omdb_url": omdb_url,
        "data_dir": data_dir,
        "offline": offline,
        "concurrency": concurrency,
        "rate_limit": rate_limit,
        "refresh": refresh,
        "schedule_cron": cron,
        "schedule_timezone": timezone,
    }
    settings = settings_or_fail(**flags)
    report = config_report(
        settings, {k: v for k, v in flags.items() if v is not None}, config_file()
    )
    if as_json:
        print_json(report.as_dict())
    else:
        print_config(report)
