"""The `cinelake` command line."""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cinelake.config import Settings, load_settings

app = typer.Typer(
    help="cinelake: today's top movies, enriched from OMDb, through a bronze/silver/gold lake.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

EXIT_ERROR = 1
EXIT_INCOMPLETE = 3
EXIT_KEY_REJECTED = 4

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Lake folder [default: ./lake].")]


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_fail(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        fail(f"invalid setting {where}: {first['msg']}")


def check_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        fail(f"data dir {data_dir} is not writable ({exc.strerror or type(exc).__name__})")


@app.command()
def run(
    top_n: Annotated[int | None, typer.Option("--top-n", min=1, help="Movies from the top of the list [default: 10].")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Movies per queue message [default: 1].")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Top list: PATH, http(s):// or s3:// URL [default: bundled sample].")] = None,
    omdb_url: Annotated[str | None, typer.Option("--omdb-url", help="OMDb API base URL.")] = None,
    data_dir: DataDir = None,
    offline: Annotated[bool | None, typer.Option("--offline", help="Use the bundled OMDb sample, no network.")] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", min=1, help="OMDb requests in flight [default: 8].")] = None,
    rate_limit: Annotated[float | None, typer.Option("--rate-limit", min=0, help="OMDb requests per second, 0 = no limit [default: 10].")] = None,
    refresh: Annotated[bool | None, typer.Option("--refresh", help="Ignore cached OMDb answers.")] = None,
) -> None:
    """Run the whole pipeline once now: ingest, enrich, silver, gold, dashboard."""
    from cinelake.adapters.secrets import SecretError
    from cinelake.bootstrap import key_provider
    from cinelake.observability import quiet_for_cli
    from cinelake.runtime.local import LocalRuntime, RuntimeBusy
    from cinelake.sample import top_movies_path
    from cinelake.sources.top_list import SourceError

    quiet_for_cli()
    settings = settings_or_fail(
        top_n=top_n, batch_size=batch_size, source=source, omdb_url=omdb_url, data_dir=data_dir,
        offline=offline, concurrency=concurrency, rate_limit=rate_limit, refresh=refresh,
    )
    try:
        has_key = settings.offline or bool(key_provider(settings).get())
    except SecretError as exc:
        fail(str(exc))
    if not has_key:
        settings = settings.model_copy(update={"offline": True})
        out.print("No OMDB_API_KEY set: enriching from the bundled OMDb sample (offline).")
    elif settings.offline:
        out.print("Offline: enriching from the bundled OMDb sample.")
    run_source = settings.source or str(top_movies_path())
    if settings.source is None:
        out.print("Source: the bundled sample top list.")
    check_writable(settings.data_dir)

    with _progress() as progress:
        task = progress.add_task("starting", total=None)

        def on_movies(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        def on_stage(stage: str) -> None:
            progress.update(task, description=stage)

        from cinelake.runtime.local import Progress as Hooks

        try:
            runtime = LocalRuntime(settings, progress=Hooks(on_movies, on_stage))
            summary = runtime.run(
                source=run_source, top_n=settings.top_n, batch_size=settings.batch_size
            )
        except (SourceError, RuntimeBusy, SecretError) as exc:
            progress.stop()
            fail(str(exc))
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
    table = Table(title=f"Run {s.run_id} · snapshot {s.snapshot_date}", show_header=False,
                  title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("movies asked for", str(s.top_n))
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
        out.print(f"  rejected rank {r['rank']}: {r['id']!r}: {r['reason']}", highlight=False)
    for d in s.dead_letters:
        out.print(f"  dead-lettered {d['imdb_id']}: {d['error']}", highlight=False)
    if s.drift:
        out.print(f"  schema drift (kept in bronze): {', '.join(sorted(s.drift))}")
    if s.paused is not None:
        out.print(f"[yellow]Enrichment paused ({s.paused.detail}) until "
                  f"{s.paused.until:%Y-%m-%d %H:%M} UTC; {s.still_queued} movies stay queued "
                  "and continue on the next run.[/]")
    elif s.complete:
        out.print(f"[green]Run complete.[/] Lake: {s.data_dir}/  (bronze/, silver/, gold/)")
    else:
        out.print("[yellow]Run incomplete.[/]")
    if s.dashboard:
        out.print(f"Dashboard: {s.dashboard}")
    out.print('Query it: cinelake query "select * from gold_top_rated"')


class Format(str, Enum):
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
    output: Annotated[Path | None, typer.Option("--output", help="HTML file [default: <data-dir>/dashboard.html].")] = None,
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
    path = write_dashboard(gold, target)
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
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


@app.command()
def rebuild(data_dir: DataDir = None) -> None:
    """Rebuild silver (then gold) from bronze alone: no OMDb calls."""
    from cinelake.bootstrap import build_local
    from cinelake.observability import quiet_for_cli
    from cinelake.runtime.local import LocalRuntime
    from cinelake.stages import gold as gold_stage
    from cinelake.stages import silver as silver_stage

    quiet_for_cli()
    settings = settings_or_fail(data_dir=data_dir)
    if not (settings.data_dir / "bronze").is_dir():
        fail(f"no bronze data under {settings.data_dir} (run `cinelake run` first)")
    check_writable(settings.data_dir)
    deps = build_local(settings)
    ledger = deps.ledger
    latest: dict[date, str] = {}
    for run_id in ledger.run_ids():
        latest[ledger.manifest(run_id).snapshot_date] = run_id
    with _progress() as progress:
        task = progress.add_task("silver", total=len(latest))
        for run_id in latest.values():
            outcome = silver_stage.build_run(deps, run_id, force=True)
            progress.advance(task)
            out.print(f"silver {outcome.snapshot_date}: {outcome.rows} rows, "
                      f"{outcome.quarantined} quarantined (run {run_id})")
        progress.update(task, description="gold")
        result = gold_stage.build_and_publish(deps)
    LocalRuntime(settings).render_dashboard()
    out.print(f"gold: {len(result.datasets)} datasets rebuilt from {len(latest)} snapshot(s).")


def main() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
