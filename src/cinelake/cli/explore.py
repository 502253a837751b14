"""Reading the lake: `query` (DuckDB SQL over silver and gold) and `dashboard`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cinelake.cli.context import clock, err, fail, out
from cinelake.cli.options import (
    DEFAULT_FORMAT,
    DataDir,
    Format,
    OptBackend,
    OptFormat,
    OptLink,
    OptOpen,
    OptOutput,
    OptSql,
    OptStack,
)
from cinelake.cli.preflight import (
    lake_errors,
    settings_or_fail,
    stack_or_fail,
    stack_view_or_fail,
)
from cinelake.cli.render import print_rows_csv, print_rows_json, print_rows_table
from cinelake.cli.server import URL, serve
from cinelake.damage import REPAIR_HINT
from cinelake.layout import DASHBOARD_FILE, GOLD_FEED_KEY, LocalLake
from cinelake.layout import GOLD_DASHBOARD_KEY as DASHBOARD_KEY

# duckdb, pyarrow and the lake's readers are imported inside the commands: `cinelake --help`
# does without them.

OptServe = Annotated[bool, typer.Option("--serve", help=f"Serve it on {URL}.")]


@lake_errors
def query(
    sql: OptSql,
    fmt: OptFormat = DEFAULT_FORMAT,
    data_dir: DataDir = None,
    backend: OptBackend = None,
    stack: OptStack = None,
) -> None:
    """Query the lake with DuckDB SQL (a deployed stack's: its silver and gold Parquet)."""
    settings = settings_or_fail(data_dir=data_dir, backend=backend)
    stack_name = stack_or_fail(settings, stack)
    if stack_name is not None:
        from cinelake.ops.stack import local_copy

        with stack_view_or_fail(stack_name) as view, local_copy(view) as root:
            _query(sql, fmt, root)
        return
    if not settings.data_dir.is_dir():
        fail(f"no lake at {settings.data_dir} (run `cinelake run` first, or pass --data-dir)")
    _query(sql, fmt, settings.data_dir)


def _query(sql: str, fmt: Format, data_dir: Path) -> None:
    import duckdb

    from cinelake.query import connect, views

    if not sql.strip():
        fail('the query is empty: give SQL, e.g. cinelake query "select * from gold_top_rated"')
    damaged: dict[str, str] = {}
    con = connect(data_dir, damaged)
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        for view, problem in damaged.items():
            if view in message:
                fail(f"{view} is unavailable: {problem}; run `cinelake doctor --repair`")
        hint = (
            f" (views: {', '.join(views(con)) or 'none yet'})"
            if "does not exist" in message
            else ""
        )
        fail(f"query failed: {message}{hint}")
    if fmt is Format.json:
        print_rows_json(columns, rows)
    elif fmt is Format.csv:
        print_rows_csv(columns, rows)
    else:
        print_rows_table(columns, rows)


@lake_errors
def dashboard(
    data_dir: DataDir = None,
    output: OptOutput = None,
    open_: OptOpen = False,
    serve_: OptServe = False,
    backend: OptBackend = None,
    stack: OptStack = None,
    link: OptLink = False,
) -> None:
    """Write the self-contained HTML dashboard from gold (a stack's: a presigned link to it)."""
    from cinelake.dashboard import write_dashboard
    from cinelake.ops.doctor import check

    settings = settings_or_fail(data_dir=data_dir, backend=backend)
    stack_name = stack_or_fail(settings, stack)
    if stack_name is not None:
        _stack_link(stack_name, link=link, open_=open_, other=bool(output or serve_))
        return
    if link:
        fail("--link gives a link to a deployed stack's dashboard: add --backend aws --stack NAME")
    gold = LocalLake(settings.data_dir).gold
    if not gold.is_dir():
        fail(f"no gold data under {gold} (run `cinelake run` first)")
    damaged = check(settings.data_dir, quick=True)
    for p in damaged:
        if p.kind == "gold":
            fail(f"{p.path} is damaged ({p.problem}): {REPAIR_HINT}")
    for p in damaged:
        if p.kind == "silver":  # the dashboard is drawn from gold, but say so
            err.print(
                f"[yellow]warning:[/] {p.path} is damaged ({p.problem}): {REPAIR_HINT}",
                highlight=False,
                soft_wrap=True,
            )
    target = output or settings.data_dir / DASHBOARD_FILE
    path = write_dashboard(gold, target, generated_at=clock().now())
    out.print(f"Dashboard: {path}")
    if open_:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
    if serve_:
        feed = LocalLake(settings.data_dir).gold / GOLD_FEED_KEY
        serve(path, feed if feed.is_file() else None)


def _stack_link(stack: str, *, link: bool, open_: bool, other: bool) -> None:
    """`dashboard --backend aws --stack NAME --link`: the gold function publishes the page;
    this prints a presigned link to it."""
    from datetime import timedelta

    from cinelake.ops.stack import LINK_EXPIRES_S, StackError, dashboard_link

    if not link or other:
        fail(
            "on a deployed stack the gold function publishes the dashboard "
            f"(gold bucket, {DASHBOARD_KEY}): use --link for a presigned link to it "
            "(--output and --serve are for a local lake)"
        )
    with stack_view_or_fail(stack) as view:
        try:
            url = dashboard_link(view)
        except StackError as exc:
            fail(str(exc))
    expires = clock().now() + timedelta(seconds=LINK_EXPIRES_S)
    err.print(f"Link to the dashboard of stack {stack}, valid until {expires:%Y-%m-%d %H:%M} UTC:")
    out.print(url, highlight=False, soft_wrap=True, markup=False)
    if open_:
        import webbrowser

        webbrowser.open(url)
