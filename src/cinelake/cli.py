"""The `cinelake` command line."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import tempfile
import warnings
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cinelake.clock import Clock, SystemClock
from cinelake.config import Settings, load_settings

app = typer.Typer(
    help="cinelake: today's top movies, enriched from OMDb, through a bronze/silver/gold lake.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# The CLI's one clock: every stamp and every "now" it hands on comes from here (tests swap it).
CLOCK: Clock = SystemClock()
out = Console()
err = Console(stderr=True)

EXIT_ERROR = 1
EXIT_INCOMPLETE = 3
EXIT_KEY_REJECTED = 4
EXIT_INTERRUPTED = 130

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Lake folder \\[default: ./lake].")]
OptTopN = Annotated[int | None, typer.Option(
    "--top-n", min=1, help="Movies from the top of the list \\[default: 10].")]
OptBatch = Annotated[int | None, typer.Option(
    "--batch-size", min=1, help="Movies per queue message \\[default: 1].")]
OptSource = Annotated[str | None, typer.Option(
    "--source", help="imdb-datasets, or a top list: PATH, http(s):// or s3:// URL (IMDb-API JSON, "
    "JSON array or CSV) \\[default: bundled sample].")]
OptDatasetsUrl = Annotated[str | None, typer.Option(
    "--imdb-datasets-url", help="imdb-datasets: base URL or local directory of "
    "title.basics/title.ratings.tsv.gz \\[default: https://datasets.imdbws.com/].")]
OptMinVotes = Annotated[int | None, typer.Option(
    "--min-votes", min=1, help="imdb-datasets: votes a movie needs (m) \\[default: 25000].")]
OptGenre = Annotated[str | None, typer.Option("--genre", help="imdb-datasets: only this genre.")]
OptYearFrom = Annotated[int | None, typer.Option(
    "--year-from", help="imdb-datasets: only movies from this year on.")]
OptYearTo = Annotated[int | None, typer.Option(
    "--year-to", help="imdb-datasets: only movies up to this year.")]
OptOmdbUrl = Annotated[str | None, typer.Option("--omdb-url", help="OMDb API base URL.")]
OptOffline = Annotated[bool | None, typer.Option(
    "--offline", help="Use the bundled OMDb sample, no network.")]
OptConcurrency = Annotated[int | None, typer.Option(
    "--concurrency", min=1, help="OMDb requests in flight \\[default: 8].")]
OptRate = Annotated[float | None, typer.Option(
    "--rate-limit", min=0, help="OMDb requests per second, 0 = no limit \\[default: 10].")]
OptRefresh = Annotated[bool | None, typer.Option("--refresh", help="Ignore cached OMDb answers.")]
OptCron = Annotated[str | None, typer.Option(
    "--cron", help="Cron expression \\[default: 0 3 * * *].")]
OptTimezone = Annotated[str | None, typer.Option(
    "--timezone", help="Time zone of the cron expression, e.g. Europe/Paris \\[default: UTC].")]
OptJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")]


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


_globals: dict[str, Any] = {"config": None}


@app.callback()
def _main_options(
    config: Annotated[Path | None, typer.Option(
        "--config", help=r"Settings file \[default: $CINELAKE_CONFIG, else ./cinelake.toml].",
    )] = None,
) -> None:
    """cinelake: today's top movies, enriched from OMDb, through a bronze/silver/gold lake."""
    # Powertools warns when a failed invocation had no metrics yet; the error says what matters.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    _globals["config"] = config


def settings_or_fail(**overrides: Any) -> Settings:
    from cinelake.config import CONFIG_ENV, config_path
    from cinelake.ops.config_report import ConfigFileError, origins, read_toml

    explicit = _globals["config"] or os.environ.get(CONFIG_ENV)
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
        fail(f"`cinelake {command}` drives the local runtime; with backend={settings.backend} the "
             "deployed stack runs the pipeline (see the README's deploy section)")


def has_key_or_fail(settings: Settings) -> bool:
    """Whether OMDb can be called (offline counts: the sample needs no key); an unreadable
    key source is a one-line error."""
    from cinelake.adapters.secrets import SecretError
    from cinelake.bootstrap import key_provider

    try:
        return settings.offline or bool(key_provider(settings).get())
    except SecretError as exc:
        fail(str(exc))


def check_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        fail(f"data dir {data_dir} is not writable ({exc.strerror or type(exc).__name__})")


@app.command()
def run(
    top_n: OptTopN = None,
    batch_size: OptBatch = None,
    source: OptSource = None,
    omdb_url: OptOmdbUrl = None,
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
) -> None:
    """Run the whole pipeline once now: ingest, enrich, silver, gold, dashboard."""
    from cinelake.adapters.secrets import SecretError
    from cinelake.observability import quiet_for_cli
    from cinelake.runtime.local import LocalRuntime, RuntimeBusy
    from cinelake.sample import top_movies_path
    from cinelake.sources.port import open_source
    from cinelake.sources.top_list import SourceError
    from cinelake.stages.ingest import IngestRequest, prepare

    quiet_for_cli()
    settings = settings_or_fail(
        top_n=top_n, batch_size=batch_size, source=source, omdb_url=omdb_url, data_dir=data_dir,
        offline=offline, concurrency=concurrency, rate_limit=rate_limit, refresh=refresh,
        imdb_datasets_url=imdb_datasets_url, min_votes=min_votes, genre=genre,
        year_from=year_from, year_to=year_to,
    )
    local_only(settings, "run")
    if not has_key_or_fail(settings):
        settings = settings.model_copy(update={"offline": True})
        out.print("No OMDB_API_KEY set: enriching from the bundled OMDb sample (offline).")
    elif settings.offline:
        out.print("Offline: enriching from the bundled OMDb sample.")
    if settings.source is not None and not settings.source.strip():
        fail("--source is empty: give a path or an http(s):// or s3:// URL")
    run_source = settings.source or str(top_movies_path())
    if settings.source is None:
        out.print("Source: the bundled sample top list.")
    try:
        # Validate the source and batch size before anything is created in the lake.
        prepare(IngestRequest(run_source, settings.top_n, settings.batch_size), CLOCK.now(),
                source=open_source(run_source, settings, clock=CLOCK))
    except SourceError as exc:
        fail(str(exc))
    check_writable(settings.data_dir)

    with _progress() as progress:
        task = progress.add_task("starting", total=None)

        def on_movies(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        def on_stage(stage: str) -> None:
            progress.update(task, description=stage)

        from cinelake.runtime.local import Progress as Hooks

        try:
            runtime = LocalRuntime(settings, clock=CLOCK, progress=Hooks(on_movies, on_stage))
            summary = runtime.run(
                source=run_source, top_n=settings.top_n, batch_size=settings.batch_size
            )
        except (SourceError, RuntimeBusy, SecretError) as exc:
            progress.stop()
            fail(str(exc))
        except KeyboardInterrupt:
            progress.stop()
            fail("interrupted: nothing is lost; `cinelake resume` (or the next run) finishes "
                 "this run", EXIT_INTERRUPTED)
    _print_summary(summary)
    if summary.paused is not None and summary.paused.reason == "invalid_key":
        fail("OMDb rejected the API key: check OMDB_API_KEY (the key is not shown). "
             f"{summary.still_queued} movies stay queued; run again once the key is fixed.",
             EXIT_KEY_REJECTED)
    if not summary.complete:
        raise typer.Exit(EXIT_INCOMPLETE)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=True,
    )


def _print_summary(s: Any) -> None:
    out.print(f"[bold]Run {s.run_id}[/] · snapshot {s.snapshot_date} · source {s.source}",
              highlight=False, soft_wrap=True)
    table = Table(show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    asked = str(s.top_n)
    if s.available and s.top_n > s.available:
        asked += f" (the list has {s.available})"
    table.add_row("movies asked for", asked)
    if s.rejected:
        table.add_row("rejected at ingest", str(len(s.rejected)))
    table.add_row("enriched", str(s.enriched))
    table.add_row("not found", str(s.not_found))
    table.add_row("failed (dead-lettered)", str(s.failed))
    if s.still_queued:
        table.add_row("still queued", str(s.still_queued))
    if s.unaccounted:
        table.add_row("[red]unaccounted[/]", str(s.unaccounted))
    table.add_row("OMDb requests / cache hits", f"{s.omdb_requests} / {s.cache_hits}")
    table.add_row("silver rows", str(s.silver_rows))
    table.add_row("quarantined", str(s.quarantined))
    table.add_row("gold datasets written", str(len(s.gold_datasets)))
    out.print(table)
    for r in s.rejected:
        out.print(f"  rejected rank {r['rank']}: {r['id']!r}: {r['reason']}", highlight=False,
                  soft_wrap=True)
    for d in s.dead_letters:
        out.print(f"  dead-lettered {d['imdb_id']}: {d['error']}", highlight=False, soft_wrap=True)
    if s.drift:
        out.print(f"  schema drift (kept in bronze): {', '.join(sorted(s.drift))}")
    if s.paused is not None:
        out.print(f"[yellow]Enrichment paused ({s.paused.detail}) until "
                  f"{s.paused.until:%Y-%m-%d %H:%M} UTC; {s.still_queued} movies stay queued "
                  "and continue on the next run.[/]")
    elif s.complete and s.failed:
        out.print(f"[yellow]Run complete, with {s.failed} movie(s) dead-lettered:[/] fix the cause, "
                  "then `cinelake dlq redrive`. Lake: "
                  f"{s.data_dir}/  (bronze/, silver/, gold/)")
    elif s.complete:
        out.print(f"[green]Run complete.[/] Lake: {s.data_dir}/  (bronze/, silver/, gold/)")
    else:
        out.print("[yellow]Run incomplete.[/]")
    if s.dashboard:
        out.print(f"Dashboard: {s.dashboard}")
    out.print('Query it: cinelake query "select * from gold_top_rated"')


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="DuckDB SQL over silver_movies, silver_quarantine, gold_<dataset>.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    data_dir: DataDir = None,
) -> None:
    """Query the lake with DuckDB SQL."""
    import duckdb

    from cinelake.query import connect, views

    settings = settings_or_fail(data_dir=data_dir)
    if not settings.data_dir.is_dir():
        fail(f"no lake at {settings.data_dir} (run `cinelake run` first, or pass --data-dir)")
    con = connect(settings.data_dir)
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        hint = f" (views: {', '.join(views(con)) or 'none yet'})" if "does not exist" in message else ""
        fail(f"query failed: {message}{hint}")
    if fmt is Format.json:
        sys.stdout.write(json.dumps([dict(zip(columns, r, strict=True)) for r in rows],
                                    default=_jsonable, ensure_ascii=False, indent=2) + "\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(
            [", ".join(map(str, v)) if isinstance(v, list) else v for v in r] for r in rows
        )
    else:
        table = Table(*columns)
        for r in rows:
            table.add_row(*("" if v is None else ", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in r))
        out.print(table)
        out.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}", style="dim")


@app.command()
def dashboard(
    data_dir: DataDir = None,
    output: Annotated[Path | None, typer.Option("--output", help="HTML file \\[default: <data-dir>/dashboard.html].")] = None,
    open_: Annotated[bool, typer.Option("--open", help="Open it in a browser.")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="Serve it on http://127.0.0.1:8050/.")] = False,
) -> None:
    """Write the self-contained HTML dashboard from gold."""
    from cinelake.dashboard import write_dashboard

    settings = settings_or_fail(data_dir=data_dir)
    gold = settings.data_dir / "gold"
    if not gold.is_dir():
        fail(f"no gold data under {gold} (run `cinelake run` first)")
    target = output or settings.data_dir / "dashboard.html"
    path = write_dashboard(gold, target, generated_at=CLOCK.now())
    out.print(f"Dashboard: {path}")
    if open_:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
    if serve:
        _serve(path)


def _serve(path: Path) -> None:
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(path.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 8050), handler) as server:
        out.print(f"Serving http://127.0.0.1:8050/{path.name} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


@app.command()
def rebuild(data_dir: DataDir = None) -> None:
    """Rebuild silver (then gold) from bronze alone: no OMDb calls.

    Each day is rebuilt from its latest complete run; incomplete runs are skipped and named.
    """
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.rebuild import rebuild as rebuild_lake
    from cinelake.runtime.local import RuntimeBusy

    quiet_for_cli()
    settings = settings_or_fail(data_dir=data_dir)
    local_only(settings, "rebuild")
    if not (settings.data_dir / "bronze").is_dir():
        fail(f"no bronze data under {settings.data_dir} (run `cinelake run` first)")
    check_writable(settings.data_dir)
    with _progress() as progress:
        task = progress.add_task("silver", total=None)

        def on_progress(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        try:
            report = rebuild_lake(settings, progress=on_progress, clock=CLOCK)
        except RuntimeBusy as exc:
            progress.stop()
            fail(str(exc))
    for line in report.lines():
        out.print(line, highlight=False, soft_wrap=True)


# -- operations: schedule, status, resume, dead letters, config ----------------------------------
# The logic lives in cinelake.ops and cinelake.runtime.scheduler; these functions only render.



def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "unknown age"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m ago"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m ago" if hours < 48 else f"{hours // 24} days ago"


def _when(iso: str | None) -> str:
    if not iso:
        return "-"
    try:
        return f"{datetime.fromisoformat(iso).astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return iso


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=_jsonable, ensure_ascii=False, indent=2) + "\n")


def _runtime_or_fail(settings: Settings, *, need_key: bool = False) -> Any:
    from cinelake.runtime.local import LocalRuntime

    has_key = has_key_or_fail(settings)
    if not has_key and need_key:
        fail("no OMDb API key: set OMDB_API_KEY (or pass --offline to use the bundled sample)")
    if not has_key:
        out.print("[yellow]No OMDB_API_KEY set:[/] queued movies stay queued "
                  "(set the key, or pass --offline to use the bundled sample).")
    check_writable(settings.data_dir)
    return LocalRuntime(settings, clock=CLOCK)


def _print_summaries(summaries: list[Any]) -> None:
    for summary in summaries:
        _print_summary(summary)


@app.command()
def schedule(
    cron: OptCron = None,
    timezone: OptTimezone = None,
    top_n: OptTopN = None,
    batch_size: OptBatch = None,
    source: OptSource = None,
    omdb_url: OptOmdbUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    concurrency: OptConcurrency = None,
    rate_limit: OptRate = None,
) -> None:
    """Run in the foreground and start a run on a cron schedule (a missed run runs once)."""
    import signal
    import threading

    from cinelake.observability import quiet_for_cli
    from cinelake.runtime.local import LocalRuntime
    from cinelake.runtime.scheduler import (
        ScheduleError,
        Scheduler,
        SchedulerBusy,
        single_scheduler,
        state_path,
    )
    from cinelake.sample import top_movies_path

    quiet_for_cli()
    settings = settings_or_fail(
        schedule_cron=cron, schedule_timezone=timezone, top_n=top_n, batch_size=batch_size,
        source=source, omdb_url=omdb_url, data_dir=data_dir, offline=offline,
        concurrency=concurrency, rate_limit=rate_limit,
    )
    local_only(settings, "schedule")
    if not has_key_or_fail(settings):
        settings = settings.model_copy(update={"offline": True})
        out.print("No OMDB_API_KEY set: runs enrich from the bundled OMDb sample (offline).")
    run_source = settings.source or str(top_movies_path())
    check_writable(settings.data_dir)

    def log(message: str) -> None:
        out.print(f"[dim]{CLOCK.now().astimezone():%Y-%m-%d %H:%M:%S}[/] {message}",
                  highlight=False, soft_wrap=True)

    def job(due: datetime) -> dict[str, Any]:
        runtime = LocalRuntime(settings, clock=CLOCK)
        try:
            summary = runtime.run(source=run_source, top_n=settings.top_n,
                                  batch_size=settings.batch_size)
        finally:
            runtime.queue.close()
        _print_summary(summary)
        return {"run_id": summary.run_id, "complete": summary.complete,
                "enriched": summary.enriched, "failed": summary.failed,
                "still_queued": summary.still_queued}

    stop = threading.Event()
    try:
        scheduler = Scheduler(job, state_file=state_path(settings.data_dir),
                              cron=settings.schedule_cron, timezone=settings.schedule_timezone,
                              clock=CLOCK, stop=stop, log=log)
    except ScheduleError as exc:
        fail(str(exc))

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set() and scheduler.running:
            raise KeyboardInterrupt  # asked twice: abandon the run (the next start finishes it)
        stop.set()
        if scheduler.running:
            log("stopping once the current run ends (signal again to abandon it; nothing is lost)")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with single_scheduler(scheduler.state_file):
            scheduler.run()
    except SchedulerBusy as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        log("run abandoned; the next `cinelake run`, `resume` or schedule start finishes it")
        raise typer.Exit(130) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log("scheduler stopped")


@app.command()
def resume(
    omdb_url: OptOmdbUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    concurrency: OptConcurrency = None,
    rate_limit: OptRate = None,
) -> None:
    """Finish what earlier runs left (queued movies, silver, gold) without starting a new run."""
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.status import unfinished_runs
    from cinelake.runtime.local import RuntimeBusy

    quiet_for_cli()
    settings = settings_or_fail(omdb_url=omdb_url, data_dir=data_dir, offline=offline,
                                concurrency=concurrency, rate_limit=rate_limit)
    local_only(settings, "resume")
    if not (settings.data_dir / "bronze").is_dir():
        fail(f"no lake at {settings.data_dir} (run `cinelake run` first, or pass --data-dir)")
    pending = unfinished_runs(settings.data_dir)
    runtime = _runtime_or_fail(settings)
    try:
        summaries = runtime.resume()
    except RuntimeBusy as exc:
        fail(str(exc))
    shown = [s for s in summaries if s.run_id in pending]
    if not shown:
        out.print("Nothing to resume: every run is finished.")
        return
    _print_summaries(shown)
    if not all(s.complete for s in shown):
        raise typer.Exit(EXIT_INCOMPLETE)


@app.command()
def status(
    as_json: OptJson = False,
    data_dir: DataDir = None,
    runs: Annotated[int, typer.Option("--runs", min=0, help="How many recent runs to show.")] = 5,
) -> None:
    """Recent runs, queue, dead letters, quarantine and gold freshness (read-only)."""
    from cinelake.ops.status import STATE_HINTS, lake_status

    settings = settings_or_fail(data_dir=data_dir)
    local_only(settings, "status")
    st = lake_status(settings.data_dir, runs=runs, clock=CLOCK, cron=settings.schedule_cron,
                     timezone=settings.schedule_timezone)
    if as_json:
        _print_json(st.as_dict())
        return
    if st.message:
        out.print(st.message, highlight=False)
    if not st.exists:
        return
    if st.runs:
        out.print(f"[bold]Runs[/] ({len(st.runs)} of {st.total_runs}, newest first)")
        for r in st.runs:
            state = {"complete": "[green]complete[/]", "superseded": "superseded"}.get(
                r.state, f"[yellow]{r.state}[/]")
            out.print(f"[bold]{r.run_id}[/] · snapshot {r.snapshot_date} · {state}\n"
                      f"  started {_when(r.started_at)}, ended {_when(r.ended_at)}\n"
                      f"  asked {r.asked}: enriched {r.enriched}, not found {r.not_found}, "
                      f"failed {r.failed}, queued {r.queued}"
                      + (f", unaccounted {r.unaccounted}" if r.unaccounted else "") + "\n"
                      f"  silver {r.silver_rows} rows, {r.quarantined} quarantined; "
                      f"gold datasets {r.gold_datasets}; "
                      f"OMDb requests {r.omdb_requests}, cache hits {r.cache_hits}",
                      highlight=False)
        latest = st.runs[0]
        out.print(f"Latest run: {latest.state} — {STATE_HINTS.get(latest.state, '')}",
                  highlight=False)
    q = st.queue
    out.print(f"Queue: {q['visible']} visible, {q['in_flight']} in flight, "
              f"{q['delayed']} delayed; {q['dead_letters']} dead-lettered message(s)",
              highlight=False)
    if st.paused:
        out.print(f"[yellow]Enrichment paused[/] ({st.paused['detail']}) "
                  f"until {st.paused['until']}")
    for d in st.dead_letters:
        out.print(f"  dead letter {d['imdb_id'] or d['message_id']} {d['title']!r} "
                  f"(run {d['run_id']}, {d['attempts']} attempts): {d['error']}", highlight=False)
    if st.dead_letters:
        out.print("  retry them: cinelake dlq redrive [--id IMDB_ID ...]")
    redriven = [f for f in st.failed if not f.in_dead_letters]
    for f in redriven:
        out.print(f"  failed {f.imdb_id} (run {f.run_id}): {f.error} — no longer in the dead "
                  "letters (redriven)", highlight=False)
    out.print(f"Quarantined rows (all snapshots): {st.quarantined}")
    if st.gold:
        g = st.gold
        stale = (" [yellow](older than silver: `cinelake resume` rebuilds it)[/]"
                 if g["stale"] else "")
        out.print(f"Gold: built {_when(g['built_at'])} ({_ago(g['age_s'])}), "
                  f"snapshot {g['snapshot_date']}, {len(g['datasets'])} datasets{stale}",
                  highlight=False)
    else:
        out.print("Gold: not built yet")
    if st.schedule:
        sch = st.schedule
        last = (f"last fired for {_when(sch['last_due'])} ({sch.get('status')})"
                if sch.get("status") in ("started", "finished") else "has not fired yet")
        error = f", error: {sch['error']}" if sch.get("error") else ""
        out.print(f"Schedule {sch.get('cron', '?')!r} ({sch.get('timezone', '?')}): "
                  f"{last}{error}; next due {_when(sch.get('next_due'))}", highlight=False)


dlq_app = typer.Typer(help="Dead-lettered movies: list them, put them back in the queue.",
                      no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


@dlq_app.command("list")
def dlq_list(as_json: OptJson = False, data_dir: DataDir = None) -> None:
    """Dead-lettered movies: IMDb id, title, run, attempts, last error (read-only)."""
    from cinelake.ops.dlq import as_dict, dead_movies
    from cinelake.ops.lake import open_lake

    settings = settings_or_fail(data_dir=data_dir)
    local_only(settings, "dlq list")
    with open_lake(settings.data_dir, clock=CLOCK) as lake:
        movies = dead_movies(lake.queue, lake.ledger)
    if as_json:
        _print_json([as_dict(m) for m in movies])
        return
    if not movies:
        out.print("No dead letters.")
        return
    table = Table("IMDb id", "title", "run", "attempts", "last error", title="Dead letters",
                  title_justify="left")
    for m in movies:
        table.add_row(m.imdb_id or "(unreadable)", m.title, m.run_id or "-", str(m.attempts),
                      m.error)
    out.print(table)
    out.print("Retry: cinelake dlq redrive [--id IMDB_ID ...]")


@dlq_app.command("redrive")
def dlq_redrive(
    ids: Annotated[list[str] | None, typer.Option(
        "--id", help=r"IMDb id to redrive (repeatable) \[default: all dead letters].")] = None,
    omdb_url: OptOmdbUrl = None,
    data_dir: DataDir = None,
    offline: OptOffline = None,
    concurrency: OptConcurrency = None,
    rate_limit: OptRate = None,
    refresh: OptRefresh = None,
) -> None:
    """Put dead-lettered movies back in the queue and carry their runs to completion."""
    from cinelake.observability import quiet_for_cli
    from cinelake.ops.dlq import BadIds, check_ids, dead_messages, plan_redrive, redrive
    from cinelake.ops.lake import open_lake
    from cinelake.runtime.local import RuntimeBusy

    quiet_for_cli()
    try:
        wanted = check_ids(ids) if ids else None
    except BadIds as exc:
        fail(str(exc))
    settings = settings_or_fail(omdb_url=omdb_url, data_dir=data_dir, offline=offline,
                                concurrency=concurrency, rate_limit=rate_limit, refresh=refresh)
    local_only(settings, "dlq redrive")
    if not (settings.data_dir / "_state" / "queue.sqlite3").is_file():
        fail(f"no dead letters: no lake at {settings.data_dir} (pass --data-dir?)")
    with open_lake(settings.data_dir, clock=CLOCK) as lake:  # a first look, before asking for a key
        plan = plan_redrive(dead_messages(lake.queue, lake.ledger), wanted)
    result = None
    if plan.message_ids:
        runtime = _runtime_or_fail(settings, need_key=True)
        try:
            result = redrive(runtime, wanted)
        except RuntimeBusy as exc:
            fail(str(exc))
        plan = result.plan
    if plan.missing:
        out.print(f"[yellow]Not in the dead letters:[/] {', '.join(plan.missing)}")
    if result is None or not result.moved:
        out.print("Nothing redriven." if wanted else "No dead letters to redrive.")
        raise typer.Exit(EXIT_ERROR if wanted else 0)
    out.print(f"Redrove {result.moved} message(s): {', '.join(result.plan.movies)}",
              highlight=False)
    _print_summaries(result.summaries)
    for run_id in result.superseded:
        out.print(f"[yellow]Run {run_id} is superseded by a later run of the same day:[/] its "
                  "redriven answers are in bronze, silver keeps the later run.")
    if not all(s.complete for s in result.summaries):
        raise typer.Exit(EXIT_INCOMPLETE)


source_app = typer.Typer(help="The top list a run would use.", no_args_is_help=True)
app.add_typer(source_app, name="source")


@source_app.command("show")
def source_show(
    source: OptSource = None,
    top_n: OptTopN = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    imdb_datasets_url: OptDatasetsUrl = None,
    min_votes: OptMinVotes = None,
    genre: OptGenre = None,
    year_from: OptYearFrom = None,
    year_to: OptYearTo = None,
    data_dir: DataDir = None,
) -> None:
    """Print the list a run would use (rank, imdb_id, title, year, rating, votes); no pipeline."""
    from cinelake.sources.port import open_source
    from cinelake.sources.top_list import SourceError

    settings = settings_or_fail(
        source=source, top_n=top_n, imdb_datasets_url=imdb_datasets_url, min_votes=min_votes,
        genre=genre, year_from=year_from, year_to=year_to, data_dir=data_dir,
    )
    try:
        src = open_source(None, settings, clock=CLOCK)
        selection = src.select(settings.top_n)
    except SourceError as exc:
        fail(str(exc))
    rows = [{"rank": m.rank, "imdb_id": m.imdb_id, "title": m.title, "year": m.year,
             "rating": m.rating, "votes": m.votes} for m in selection.movies]
    if fmt is Format.json:
        _print_json(rows)
    elif fmt is Format.csv:
        from cinelake.gold.export import CSV_DANGEROUS_PREFIXES

        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["rank"])
        writer.writeheader()
        # A title is untrusted text: one starting like a formula is quoted for spreadsheets.
        writer.writerows({**r, "title": "'" + str(r["title"]) if str(r["title"]).startswith(
            CSV_DANGEROUS_PREFIXES) else r["title"]} for r in rows)
    else:
        table = Table("rank", "imdb_id", "title", "year", "rating", "votes",
                      title=src.label, title_justify="left")
        for r in rows:
            table.add_row(*("" if v is None else f"{v:,}" if k == "votes" else str(v)
                            for k, v in r.items()))
        out.print(table)
    for bad in selection.rejected:
        err.print(f"rejected rank {bad.rank}: {bad.id!r}: {bad.reason}", highlight=False,
                  soft_wrap=True)


@app.command("config")
def config_cmd(
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
    from cinelake.config import CONFIG_ENV, config_path
    from cinelake.ops.config_report import config_report

    flags = {"top_n": top_n, "batch_size": batch_size, "source": source, "omdb_url": omdb_url,
             "data_dir": data_dir, "offline": offline, "concurrency": concurrency,
             "rate_limit": rate_limit, "refresh": refresh, "schedule_cron": cron,
             "schedule_timezone": timezone}
    settings = settings_or_fail(**flags)
    path = config_path(_globals["config"] or os.environ.get(CONFIG_ENV))
    report = config_report(settings, {k: v for k, v in flags.items() if v is not None}, path)
    if as_json:
        _print_json(report.as_dict())
        return
    found = "found" if report.file_found else "not found"
    out.print(f"Config file: {report.file} ({found})", highlight=False)
    table = Table("setting", "value", "from", show_edge=False)
    for v in report.values:
        table.add_row(v.name, "" if v.value is None else str(v.value),
                      v.origin if v.source != "default" else "[dim]default[/]")
    out.print(table)
    if report.unknown_keys:
        out.print(f"[yellow]Unknown keys in {report.file} (ignored):[/] "
                  f"{', '.join(report.unknown_keys)}")


def main() -> None:  # pragma: no cover - console entry point
    import sqlite3

    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    try:
        app()
    except (OSError, sqlite3.DatabaseError, ValidationError) as exc:
        # The environment, not a bug of the user's input: still one line, no traceback.
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {detail}", highlight=False)
        raise SystemExit(EXIT_ERROR) from None


if __name__ == "__main__":  # pragma: no cover
    main()
