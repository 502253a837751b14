"""The commands that run the pipeline: run, backfill, resume, schedule, rebuild.

They check (preflight), hand the work to the local runtime or `cinelake.ops`, and render the
result (render); the exit code follows from the run summaries.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

import typer

from cinelake.cli.context import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_KEY_REJECTED,
    EXIT_NOTHING_USABLE,
    EXIT_QUALITY_FAILED,
    EXIT_SOME_DAYS_FAILED,
    EXIT_USAGE,
    clock,
    err,
    fail,
    out,
)
from cinelake.cli.options import (
    DataDir,
    OptAsOf,
    OptBackfillDir,
    OptBatch,
    OptConcurrency,
    OptCron,
    OptDailyBudget,
    OptDatasetsUrl,
    OptGenre,
    OptJson,
    OptMinVotes,
    OptNotifyUrl,
    OptOffline,
    OptOmdbUrl,
    OptRate,
    OptRefresh,
    OptSource,
    OptTimezone,
    OptTopN,
    OptYearFrom,
    OptYearTo,
)
from cinelake.cli.preflight import (
    check_writable,
    has_key_or_fail,
    healthy_or_fail,
    lake_errors,
    local_only,
    offline_unless_keyed,
    runtime_or_fail,
    settings_or_fail,
)
from cinelake.cli.render import (
    fail_if_nothing_usable,
    print_backfill,
    print_json,
    print_plan,
    print_summaries,
    print_summary,
    progress,
)
from cinelake.cli.signals import graceful_stop
from cinelake.layout import LocalLake
from cinelake.sample import top_movies_path

# The pipeline's modules are imported inside the commands: they pull in pyarrow, duckdb, httpx
# and boto3, which `cinelake --help` does without.


def as_of_or_fail(text: str | None) -> date | None:
    """--as-of as a day: not a date, or after today (UTC, the CLI's clock), is a usage error
    in one line, before anything is read or written."""
    if text is None:
        return None
    from cinelake.ops.backfill import parse_day

    day = parse_day(text.strip())
    if day is None:
        fail(f"--as-of {text!r} is not a date: give YYYY-MM-DD", EXIT_USAGE)
    today = clock().now().date()
    if day > today:
        fail(f"--as-of {day} is in the future (today is {today} UTC)", EXIT_USAGE)
    return day


@lake_errors
def run(
    top_n: OptTopN = None,
    batch_size: OptBatch = None,
    source: OptSource = None,
    omdb_url: OptOmdbUrl = None,
    notify_url: OptNotifyUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    concurrency: OptConcurrency = None,
    rate_limit: OptRate = None,
    refresh: OptRefresh = None,
    imdb_datasets_url: OptDatasetsUrl = None,
    min_votes: OptMinVotes = None,
    genre: OptGenre = None,
    year_from: OptYearFrom = None,
    year_to: OptYearTo = None,
    omdb_daily_budget: OptDailyBudget = None,
    as_of: OptAsOf = None,
) -> None:
    """Run the whole pipeline once now: ingest, enrich, silver, gold, dashboard."""
    from cinelake.keys import SecretError
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.runs import LocalRuntime
    from cinelake.runtime.emulator import Progress
    from cinelake.runtime.errors import RuntimeRefused
    from cinelake.sources.port import open_source
    from cinelake.sources.top_list import SourceError
    from cinelake.stages.ingest import IngestRequest, prepare

    snapshot = as_of_or_fail(as_of)
    quiet_for_cli()
    settings = settings_or_fail(
        top_n=top_n,
        batch_size=batch_size,
        source=source,
        omdb_url=omdb_url,
        notify_url=notify_url,
        data_dir=data_dir,
        offline=offline,
        concurrency=concurrency,
        rate_limit=rate_limit,
        refresh=refresh,
        imdb_datasets_url=imdb_datasets_url,
        min_votes=min_votes,
        genre=genre,
        year_from=year_from,
        year_to=year_to,
        omdb_daily_budget=omdb_daily_budget,
    )
    local_only(settings, "run")
    chose_offline = settings.offline
    settings = offline_unless_keyed(settings, what="enriching")
    if chose_offline:
        out.print("Offline: enriching from the bundled OMDb sample.")
    if settings.source is not None and not settings.source.strip():
        fail("--source is empty: give a path or an http(s):// or s3:// URL")
    run_source = settings.source or str(top_movies_path())
    if settings.source is None:
        out.print("Source: the bundled sample top list.")
    try:
        # Validate the source and batch size before anything is created in the lake.
        prepare(
            IngestRequest(run_source, settings.top_n, settings.batch_size, as_of=snapshot),
            clock().now(),
            source=open_source(run_source, settings, clock=clock()),
        )
    except SourceError as exc:
        fail(str(exc))
    check_writable(settings.data_dir)
    # A run rebuilds today's silver and gold; damaged run records or queue would stop it.
    healthy_or_fail(
        settings.data_dir, kinds={"manifest", "report", "marker", "pause", "queue"}, quick=True
    )

    with progress() as bar:
        task = bar.add_task("starting", total=None)

        def on_movies(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        def on_stage(stage: str) -> None:
            bar.update(task, description=stage)

        runtime = LocalRuntime(
            settings,
            clock=clock(),
            progress=Progress(on_movies, on_stage),
            omdb_url_override=omdb_url is not None,
        )
        try:
            summary = runtime.run(
                source=run_source,
                top_n=settings.top_n,
                batch_size=settings.batch_size,
                as_of=snapshot,
            )
        except (SourceError, RuntimeRefused, SecretError) as exc:
            bar.stop()
            fail(str(exc))
        except KeyboardInterrupt:
            bar.stop()
            fail(
                "interrupted: nothing is lost; `cinelake resume` (or the next run) finishes "
                "this run",
                EXIT_INTERRUPTED,
            )
        finally:
            runtime.queue.close()
    print_summary(summary)
    if summary.paused is not None and summary.paused.reason == "invalid_key":
        fail(
            "OMDb rejected the API key: check OMDB_API_KEY (the key is not shown). "
            f"{summary.still_queued} movies stay queued; run again once the key is fixed.",
            EXIT_KEY_REJECTED,
        )
    fail_if_nothing_usable([summary])
    if not summary.complete:
        raise typer.Exit(EXIT_INCOMPLETE)
    fail_if_quality_failed([summary])


def fail_if_quality_failed(summaries: list[Any]) -> None:
    """Exit 7 when a run published a snapshot whose data-quality verdict is ``fail``: published
    all the same (the data is the data); one line per such snapshot says why."""
    suspect = [s for s in summaries if s.quality == "fail"]
    for s in suspect:
        err.print(
            f"[bold red]error:[/] the snapshot's data-quality verdict is fail "
            f"({s.quality_failed_checks}): published all the same; "
            f"`cinelake quality --date {s.snapshot_date}` explains",
            highlight=False,
            soft_wrap=True,
        )
    if suspect:
        raise typer.Exit(EXIT_QUALITY_FAILED)


@lake_errors
def plan(
    top_n: OptTopN = None,
    batch_size: OptBatch = None,
    source: OptSource = None,
    omdb_url: OptOmdbUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    refresh: OptRefresh = None,
    imdb_datasets_url: OptDatasetsUrl = None,
    min_votes: OptMinVotes = None,
    genre: OptGenre = None,
    year_from: OptYearFrom = None,
    year_to: OptYearTo = None,
    omdb_daily_budget: OptDailyBudget = None,
    json_out: OptJson = False,
) -> None:
    """Show the OMDb plan of the next run (fresh, refresh, stale, pending), sending nothing."""
    import json

    from cinelake.observability import quiet_for_cli
    from cinelake.ops.plan import plan_next_run
    from cinelake.sources.top_list import SourceError

    quiet_for_cli()
    settings = settings_or_fail(
        top_n=top_n,
        batch_size=batch_size,
        source=source,
        omdb_url=omdb_url,
        data_dir=data_dir,
        offline=offline,
        refresh=refresh,
        imdb_datasets_url=imdb_datasets_url,
        min_votes=min_votes,
        genre=genre,
        year_from=year_from,
        year_to=year_to,
        omdb_daily_budget=omdb_daily_budget,
    )
    if not json_out:
        settings = offline_unless_keyed(settings, what="the run would enrich")
    elif not has_key_or_fail(settings):
        settings = settings.model_copy(update={"offline": True})
    if settings.source is not None and not settings.source.strip():
        fail("--source is empty: give a path or an http(s):// or s3:// URL")
    run_source = settings.source or str(top_movies_path())
    try:
        result = plan_next_run(settings, clock(), run_source)
    except SourceError as exc:
        fail(str(exc))
    if json_out:
        out.print_json(json.dumps(result.as_dict()))
    else:
        print_plan(result.as_dict(), settings.top_n)


@lake_errors
def backfill(
    directory: OptBackfillDir,
    top_n: OptTopN = None,
    batch_size: OptBatch = None,
    omdb_url: OptOmdbUrl = None,
    notify_url: OptNotifyUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    concurrency: OptConcurrency = None,
    rate_limit: OptRate = None,
    refresh: OptRefresh = None,
    omdb_daily_budget: OptDailyBudget = None,
    json_output: OptJson = False,
) -> None:
    """Load a folder of dated top lists (YYYY-MM-DD.json / .csv) as history, one run per day.

    Days go in date order; a day already built from the same list is skipped (no OMDb
    request); a bad file is named and skipped, the other days go on (exit 6 at the end). A day
    it built whose data-quality verdict is fail is published all the same (exit 7).
    """
    from cinelake.keys import SecretError
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.backfill import backfill as backfill_days
    from cinelake.ops.backfill import scan
    from cinelake.ops.runs import LocalRuntime
    from cinelake.runtime.errors import RuntimeRefused

    quiet_for_cli()
    if not directory.is_dir():
        fail(f"{directory} is not a folder (give the folder that holds the YYYY-MM-DD lists)")
    settings = settings_or_fail(
        top_n=top_n,
        batch_size=batch_size,
        omdb_url=omdb_url,
        notify_url=notify_url,
        data_dir=data_dir,
        offline=offline,
        concurrency=concurrency,
        rate_limit=rate_limit,
        refresh=refresh,
        omdb_daily_budget=omdb_daily_budget,
    )
    local_only(settings, "backfill")
    say = (lambda *a, **k: None) if json_output else out.print
    chose_offline = settings.offline
    if json_output:
        settings = settings if has_key_or_fail(settings) else _offline_or_fail(settings)
    else:
        settings = offline_unless_keyed(settings, what="enriching")
    if chose_offline:
        say("Offline: enriching from the bundled OMDb sample.")
    try:
        plan = scan(directory, clock().now().date())
    except OSError as exc:
        fail(f"cannot read {directory} ({exc.strerror or type(exc).__name__})")
    if not plan.days and not plan.bad:
        fail(f"no YYYY-MM-DD.json or .csv list in {directory}")
    check_writable(settings.data_dir)
    healthy_or_fail(
        settings.data_dir, kinds={"manifest", "report", "marker", "pause", "queue"}, quick=True
    )
    runtime = LocalRuntime(settings, clock=clock(), omdb_url_override=omdb_url is not None)
    try:
        with progress() as bar:
            task = bar.add_task("days", total=len(plan.days))

            def on_day(done: int, total: int, what: str) -> None:
                bar.update(task, completed=done, total=total, description=what)

            try:
                report = backfill_days(
                    runtime,
                    plan,
                    top_n=settings.top_n,
                    batch_size=settings.batch_size,
                    on_day=on_day,
                )
            except (RuntimeRefused, SecretError) as exc:
                bar.stop()
                fail(str(exc))
            except KeyboardInterrupt:
                bar.stop()
                fail(
                    "interrupted: the days done are kept; backfill again to load the rest "
                    "(`cinelake resume` finishes the day that was running)",
                    EXIT_INTERRUPTED,
                )
    finally:
        runtime.queue.close()
    if json_output:
        print_json(report.as_dict())
    else:
        print_backfill(report)
    suspect = report.quality_failed()
    for d in suspect:
        # Published all the same (the data is the data); named whatever the exit code.
        err.print(
            f"[bold red]error:[/] {d.day}: the snapshot's data-quality verdict is fail "
            f"({d.quality_failed_checks}): published all the same; "
            f"`cinelake quality --date {d.day}` explains",
            highlight=False,
            soft_wrap=True,
        )
    # The most severe applies: 4, 3, 5, 6, then 7 (a fail verdict of a day it published).
    if report.paused == "invalid_key":
        raise typer.Exit(EXIT_KEY_REJECTED)
    if report.count("incomplete") or report.count("not_started"):
        raise typer.Exit(EXIT_INCOMPLETE)
    if any(s.failed_run for s in report.summaries):
        raise typer.Exit(EXIT_NOTHING_USABLE)
    if report.count("failed"):
        raise typer.Exit(EXIT_SOME_DAYS_FAILED)
    if suspect:
        raise typer.Exit(EXIT_QUALITY_FAILED)


def _offline_or_fail(settings: Any) -> Any:
    """`offline_unless_keyed` without its line on stdout (which --json keeps for the JSON)."""
    if "omdb_url" in settings.model_fields_set and not settings.offline:
        fail("no OMDb API key: set OMDB_API_KEY (or pass --offline to use the bundled sample)")
    return settings.model_copy(update={"offline": True})


@lake_errors
def rebuild(data_dir: DataDir = None) -> None:
    """Rebuild silver (then gold) from bronze alone: no OMDb calls.

    Each day is rebuilt from its latest complete run; incomplete runs are skipped and named.
    """
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.rebuild import rebuild as rebuild_lake
    from cinelake.runtime.errors import RuntimeRefused

    quiet_for_cli()
    settings = settings_or_fail(data_dir=data_dir)
    local_only(settings, "rebuild")
    if not LocalLake(settings.data_dir).bronze.is_dir():
        fail(f"no bronze data under {settings.data_dir} (run `cinelake run` first)")
    check_writable(settings.data_dir)
    with progress() as bar:
        task = bar.add_task("silver", total=None)

        def on_progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        try:
            report = rebuild_lake(settings, progress=on_progress, clock=clock())
        except RuntimeRefused as exc:
            bar.stop()
            fail(str(exc))
    for line in report.lines():
        out.print(line, highlight=False, soft_wrap=True)


@lake_errors
def schedule(
    cron: OptCron = None,
    timezone: OptTimezone = None,
    top_n: OptTopN = None,
    batch_size: OptBatch = None,
    source: OptSource = None,
    omdb_url: OptOmdbUrl = None,
    notify_url: OptNotifyUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    concurrency: OptConcurrency = None,
    rate_limit: OptRate = None,
) -> None:
    """Run in the foreground and start a run on a cron schedule (a missed run runs once)."""
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.runs import LocalRuntime
    from cinelake.runtime.scheduler import ScheduleError, Scheduler, SchedulerBusy, single_scheduler
    from cinelake.schedule import state_path as schedule_state_path

    quiet_for_cli()
    settings = settings_or_fail(
        schedule_cron=cron,
        schedule_timezone=timezone,
        top_n=top_n,
        batch_size=batch_size,
        source=source,
        omdb_url=omdb_url,
        notify_url=notify_url,
        data_dir=data_dir,
        offline=offline,
        concurrency=concurrency,
        rate_limit=rate_limit,
    )
    local_only(settings, "schedule")
    settings = offline_unless_keyed(settings, what="runs enrich")
    run_source = settings.source or str(top_movies_path())
    check_writable(settings.data_dir)

    def log(message: str) -> None:
        out.print(
            f"[dim]{clock().now().astimezone():%Y-%m-%d %H:%M:%S}[/] {message}",
            highlight=False,
            soft_wrap=True,
        )

    def job(due: datetime) -> dict[str, Any]:
        runtime = LocalRuntime(settings, clock=clock(), omdb_url_override=omdb_url is not None)
        try:
            summary = runtime.run(
                source=run_source, top_n=settings.top_n, batch_size=settings.batch_size
            )
        finally:
            runtime.queue.close()
        print_summary(summary)
        return {
            "run_id": summary.run_id,
            "complete": summary.complete,
            "enriched": summary.enriched,
            "failed": summary.failed,
            "still_queued": summary.still_queued,
            "nothing_usable": summary.failed_run,
        }

    stop = threading.Event()
    try:
        scheduler = Scheduler(
            job,
            state_file=schedule_state_path(settings.data_dir),
            cron=settings.schedule_cron,
            timezone=settings.schedule_timezone,
            clock=clock(),
            stop=stop,
            log=log,
        )
    except ScheduleError as exc:
        fail(str(exc))

    try:
        with (
            graceful_stop(stop, lambda: scheduler.running, log),
            single_scheduler(scheduler.state_file),
        ):
            scheduler.run()
    except SchedulerBusy as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        log("run abandoned; the next `cinelake run`, `resume` or schedule start finishes it")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    log("scheduler stopped")


@lake_errors
def resume(
    omdb_url: OptOmdbUrl = None,
    notify_url: OptNotifyUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    concurrency: OptConcurrency = None,
    rate_limit: OptRate = None,
) -> None:
    """Finish what earlier runs left (queued movies, silver, gold) without starting a new run."""
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.status import unfinished_runs
    from cinelake.runtime.errors import RuntimeRefused

    quiet_for_cli()
    settings = settings_or_fail(
        omdb_url=omdb_url,
        notify_url=notify_url,
        data_dir=data_dir,
        offline=offline,
        concurrency=concurrency,
        rate_limit=rate_limit,
    )
    local_only(settings, "resume")
    if not LocalLake(settings.data_dir).bronze.is_dir():
        fail(f"no lake at {settings.data_dir} (run `cinelake run` first, or pass --data-dir)")
    healthy_or_fail(settings.data_dir)
    pending = unfinished_runs(settings.data_dir)
    runtime = runtime_or_fail(settings, omdb_url_override=omdb_url is not None)
    try:
        summaries = runtime.resume()
    except RuntimeRefused as exc:
        fail(str(exc))
    finally:
        runtime.queue.close()
    shown = [s for s in summaries if s.run_id in pending]
    if not shown:
        out.print("Nothing to resume: every run is finished.")
        return
    print_summaries(shown)
    fail_if_nothing_usable(shown)
    if not all(s.complete for s in shown):
        raise typer.Exit(EXIT_INCOMPLETE)
    fail_if_quality_failed(shown)
