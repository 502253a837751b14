"""How the CLI shows things: run summaries, status, tables, JSON and CSV. No decisions here
beyond wording; the commands decide what to show and which exit code follows."""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from cinelake.cli.context import EXIT_NOTHING_USABLE, err, fail, out

if TYPE_CHECKING:
    from rich.progress import Progress

    from cinelake.models import RejectedItem
    from cinelake.ops.backfill import BackfillReport
    from cinelake.ops.config_report import ConfigReport
    from cinelake.ops.dlq import DeadMovie
    from cinelake.ops.runs import RunSummary
    from cinelake.ops.status import LakeStatus


# -- values ------------------------------------------------------------------------------------
def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [finite(v) for v in value]
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    return value


def jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def shown(text: Any) -> str:
    """An untrusted string (a title, an error) safe for the terminal: control characters and
    escape sequences become "?", and Rich markup is shown as text."""
    return escape(re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", str(text)))


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "unknown age"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m ago"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m ago" if hours < 48 else f"{hours // 24} days ago"


def when(iso: str | None) -> str:
    if not iso:
        return "-"
    try:
        return f"{datetime.fromisoformat(iso).astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return iso


def print_json(data: Any) -> None:
    sys.stdout.write(
        json.dumps(finite(data), default=jsonable, ensure_ascii=False, indent=2, allow_nan=False)
        + "\n"
    )


def _cell(value: Any) -> str:
    return (
        ""
        if value is None
        else ", ".join(map(str, value))
        if isinstance(value, list)
        else str(value)
    )


# -- query results -----------------------------------------------------------------------------
def print_rows_json(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    print_json([dict(zip(columns, r, strict=True)) for r in rows])


def print_rows_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(columns)
    writer.writerows(
        [", ".join(map(str, v)) if isinstance(v, list) else v for v in r] for r in rows
    )


def print_rows_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(*columns)
    for r in rows:
        table.add_row(*(_cell(v) for v in r))
    out.print(table)
    out.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}", style="dim")


# -- runs --------------------------------------------------------------------------------------
def progress() -> Progress:
    """The transient progress bar of a run or a rebuild, on stderr."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def not_found_label(s: Any) -> str:
    return "not in the sample" if getattr(s, "offline", False) else "not found"


def print_summary(s: RunSummary) -> None:
    out.print(
        f"[bold]Run {s.run_id}[/] · snapshot {s.snapshot_date} · source {s.source}",
        highlight=False,
        soft_wrap=True,
    )
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
    table.add_row(not_found_label(s), str(s.not_found))
    table.add_row("failed (dead-lettered)", str(s.failed))
    if s.still_queued:
        table.add_row("still queued", str(s.still_queued))
    if s.unaccounted:
        table.add_row("[red]unaccounted[/]", str(s.unaccounted))
    if s.offline:  # the bundled sample answered: no request went to any OMDb
        table.add_row("OMDb requests / cache hits", f"none (bundled sample) / {s.cache_hits}")
    else:
        table.add_row("OMDb requests / cache hits", f"{s.omdb_requests} / {s.cache_hits}")
    table.add_row("silver rows", str(s.silver_rows))
    if s.stale or s.pending:
        table.add_row("stale / pending (day's budget)", f"{s.stale} / {s.pending}")
    table.add_row("quarantined", str(s.quarantined))
    table.add_row("gold datasets written", str(len(s.gold_datasets)))
    out.print(table)
    for r in s.rejected:
        out.print(
            f"  rejected rank {r['rank']}: {r['id']!r}: {r['reason']}",
            highlight=False,
            soft_wrap=True,
        )
    for d in s.dead_letters:
        out.print(f"  dead-lettered {d['imdb_id']}: {d['error']}", highlight=False, soft_wrap=True)
    if s.drift:
        out.print(f"  schema drift (kept in bronze): {', '.join(sorted(s.drift))}")
    if s.missing:
        out.print(
            "  schema drift (fields OMDb answers lacked): "
            + ", ".join(f"{k} ({n})" for k, n in sorted(s.missing.items()))
        )
    if s.quality is not None:
        print_quality_line(s.quality, s.quality_failed_checks)
    if s.paused is not None and s.paused.reason == "quota" and s.complete:
        out.print(
            f"[yellow]OMDb's request limit is reached ({s.paused.detail}); no request is sent "
            f"until {s.paused.until:%Y-%m-%d %H:%M} UTC.[/] The snapshot is complete: "
            f"{s.stale} stale, {s.pending} pending."
        )
    elif s.paused is not None:
        out.print(
            f"[yellow]Enrichment paused ({s.paused.detail}) until "
            f"{s.paused.until:%Y-%m-%d %H:%M} UTC; {s.still_queued} movies stay queued "
            "and continue on the next run.[/]"
        )
    elif s.failed_run:
        pass  # the one-line error that follows says it
    elif s.complete and s.failed:
        out.print(
            f"[yellow]Run complete, with {s.failed} movie(s) dead-lettered:[/] fix the cause, "
            "then `cinelake dlq redrive`. Lake: "
            f"{s.data_dir}/  (bronze/, silver/, gold/)"
        )
    elif s.complete and (s.stale or s.pending):
        out.print(
            f"[green]Run complete[/] within the day's OMDb budget: {s.stale} stale, "
            f"{s.pending} pending (first in line the next day). "
            f"Lake: {s.data_dir}/  (bronze/, silver/, gold/)"
        )
    elif s.complete:
        out.print(f"[green]Run complete.[/] Lake: {s.data_dir}/  (bronze/, silver/, gold/)")
    else:
        out.print("[yellow]Run incomplete.[/]")
    if s.dashboard:
        out.print(f"Dashboard: {s.dashboard}")
    if s.notify:
        out.print(notify_line(s.notify), highlight=False, soft_wrap=True)
    out.print('Query it: cinelake query "select * from gold_top_rated"')


def notify_line(n: dict[str, Any]) -> str:
    """The daily digest's one line, for the run summary and `status`."""
    day, state = n.get("snapshot_date", "?"), n.get("status", "?")
    attempts = n.get("attempts", 0)
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if n.get("earlier") and state in ("sent", "failed"):
        return f"Digest for {day}: {state} earlier ({n.get('at', '?')}); not sent again"
    if state == "sent":
        return f"Digest for {day}: sent ({tries}, {n.get('at', '?')})"
    if state == "skipped":
        return f"Digest for {day}: not sent ({n.get('detail', '')})"
    if state == "sending":
        return f"[yellow]Digest for {day}: interrupted while sending (not sent again)[/]"
    return (
        f"[yellow]Digest for {day}: failed after {tries}: {shown(n.get('detail', ''))}[/] "
        "(the run is not affected; the digest is not sent again for this day)"
    )


def print_plan(plan: dict[str, Any], top_n: int) -> None:
    """`cinelake plan`: what the next run would ask OMDb for, sending nothing."""
    table = Table(show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("movies", str(plan["movies"]))
    table.add_row("fresh (stored, within the TTL)", str(plan["fresh"]))
    table.add_row("fetch (no answer yet)", str(plan["fetch"]))
    table.add_row("refresh (past the TTL)", str(plan["refresh"]))
    table.add_row("stale (past the TTL, kept)", str(plan["stale"]))
    table.add_row("pending (no answer, not today)", str(plan["pending"]))
    table.add_row("requests needed", str(plan["requests"]))
    budget = plan["budget"]
    if budget is None:
        table.add_row("daily budget", "none (bundled sample)")
    else:
        table.add_row("daily budget / left today", f"{budget} / {plan['budget_left']}")
    days = plan["days_to_fresh"]
    table.add_row(
        "days until all fresh",
        "never at a budget of 0" if days is None else str(days),
    )
    out.print(f"[bold]Plan for the top {top_n}[/] (nothing is sent)", highlight=False)
    out.print(table)


def print_summaries(summaries: Iterable[RunSummary]) -> None:
    for summary in summaries:
        print_summary(summary)


def fail_if_nothing_usable(summaries: Sequence[RunSummary]) -> None:
    """A run OMDb answered nothing usable for is a failed run (exit 5), not a success."""
    failed = [s for s in summaries if s.failed_run]
    if not failed:
        return
    s = failed[-1]
    counts = [f"{s.failed} movie(s) dead-lettered"] if s.failed else []
    if s.not_found:
        counts.append(f"{s.not_found} {not_found_label(s)}")
    cause = f", last error: {s.dead_letters[0]['error']}" if s.dead_letters else ""
    fix = (
        "Fix the cause, then `cinelake dlq redrive`."
        if s.failed
        else "Check the source list and the OMDb URL."
    )
    fail(
        f"run {s.run_id}: OMDb answered nothing usable ({', '.join(counts) or 'no movie'}"
        f"{cause}); silver and gold keep the previous snapshot. {fix}",
        EXIT_NOTHING_USABLE,
    )


_DAY_STYLE = {
    "built": "green",
    "unchanged": "dim",
    "failed": "red",
    "incomplete": "yellow",
    "not_started": "yellow",
}


def print_backfill(report: BackfillReport) -> None:
    """One row per day (and per bad file): day, file, movies, status, why; then the totals.
    A bad file is also one line on stderr naming it."""
    for d in report.days:
        if d.status == "failed":
            err.print(f"[bold red]error:[/] {shown(d.file)}: {shown(d.reason)}", soft_wrap=True)
    table = Table("day", "file", "movies", "status", "detail", "quality")
    for d in report.days:
        style = _DAY_STYLE.get(d.status, "")
        table.add_row(
            d.day or "-",
            shown(d.file),
            str(d.movies) if d.status in ("built", "unchanged") else "-",
            f"[{style}]{d.status}[/]",
            shown(d.reason),
            f"[{QUALITY_STYLE.get(d.quality, 'white')}]{d.quality}[/]" if d.quality else "-",
        )
    out.print(table)
    if report.ignored:
        out.print(
            f"Not a day's list, left alone: {', '.join(shown(n) for n in report.ignored)}",
            highlight=False,
            soft_wrap=True,
        )
    counts = ", ".join(
        f"{report.count(s)} {s.replace('_', ' ')}"
        for s in ("built", "unchanged", "failed", "incomplete", "not_started")
        if report.count(s)
    )
    requests = sum(d.omdb_requests for d in report.days)
    gold = "gold and dashboard rebuilt" if report.gold_rebuilt else "gold unchanged"
    out.print(f"Backfill: {counts or 'nothing to do'}; {requests} OMDb requests; {gold}.")
    if report.dashboard:
        out.print(f"Dashboard: {report.dashboard}")


# -- status ------------------------------------------------------------------------------------
def print_status(st: LakeStatus, hints: dict[str, str]) -> None:
    if st.message:
        out.print(st.message, highlight=False)
    if not st.exists:
        return
    for d in st.damaged:
        out.print(f"[red]damaged:[/] {d['path']}: {d['problem']}", highlight=False, soft_wrap=True)
    if st.damaged:
        out.print(
            f"{len(st.damaged)} damaged file(s): run `cinelake doctor --repair` "
            "(`cinelake doctor` says what it does)",
            highlight=False,
        )
        if not st.queue:
            return
    if st.runs:
        out.print(f"[bold]Runs[/] ({len(st.runs)} of {st.total_runs}, newest first)")
        for r in st.runs:
            state = {"complete": "[green]complete[/]", "superseded": "superseded"}.get(
                r.state, f"[yellow]{r.state}[/]"
            )
            out.print(
                f"[bold]{r.run_id}[/] · snapshot {r.snapshot_date} · {state}\n"
                f"  started {when(r.started_at)}, ended {when(r.ended_at)}\n"
                f"  asked {r.asked}: enriched {r.enriched}, "
                f"{not_found_label(r)} {r.not_found}, "
                f"failed {r.failed}, queued {r.queued}"
                + (f", unaccounted {r.unaccounted}" if r.unaccounted else "")
                + "\n"
                f"  silver {r.silver_rows} rows, {r.quarantined} quarantined; "
                f"gold datasets {r.gold_datasets}; "
                + (
                    "OMDb requests none (bundled sample)"
                    if r.offline
                    else f"OMDb requests {r.omdb_requests}"
                )
                + f", cache hits {r.cache_hits}",
                highlight=False,
            )
        latest = st.runs[0]
        hint = (
            "repair the damaged files first: `cinelake doctor --repair`"
            if st.damaged
            else "a cinelake process is working on this lake now (run, resume, redrive or "
            "rebuild); check again when it ends"
            if st.busy and latest.state != "complete"
            else hints.get(latest.state, "")
        )
        out.print(f"Latest run: {latest.state} — {hint}", highlight=False)
    q = st.queue
    out.print(
        f"Queue: {q['visible']} visible, {q['in_flight']} in flight, "
        f"{q['delayed']} delayed; {q['dead_letters']} dead-lettered message(s)",
        highlight=False,
    )
    if st.quality:
        print_quality_line(
            st.quality["status"],
            st.quality["failed_checks"],
            f"Data quality of {st.quality['snapshot_date']}",
        )
    if st.budget:
        b = st.budget
        out.print(
            f"OMDb budget {b['day']} (UTC): {b['used']} of {b['limit']} requests used, "
            f"{b['left']} left"
            + (
                f" [yellow](unreadable record {b['damaged']}: counted as spent)[/]"
                if b["damaged"]
                else ""
            ),
            highlight=False,
            soft_wrap=True,
        )
    if st.paused:
        out.print(
            f"[yellow]Enrichment paused[/] ({st.paused['detail']}) until {st.paused['until']}"
        )
    for d in st.dead_letters:
        out.print(
            f"  dead letter {d['imdb_id'] or d['message_id']} {shown(repr(d['title']))} "
            f"(run {d['run_id']}, {d['attempts']} attempts): {shown(d['error'])}",
            highlight=False,
        )
    if st.dead_letters:
        out.print("  retry them: cinelake dlq redrive [--id IMDB_ID ...]")
    redriven = [f for f in st.failed if not f.in_dead_letters]
    for f in redriven:
        out.print(
            f"  failed {f.imdb_id} (run {f.run_id}): {shown(f.error)} — not in the dead "
            "letters any more (redriven, or the queue was replaced)",
            highlight=False,
        )
    out.print(f"Quarantined rows (all snapshots): {st.quarantined}")
    if st.notify:
        out.print(notify_line(st.notify), highlight=False, soft_wrap=True)
    if st.gold:
        g = st.gold
        stale = (
            " [yellow](older than silver: `cinelake resume` rebuilds it)[/]"
            if g["stale"] and not st.damaged
            else ""
        )
        out.print(
            f"Gold: built {when(g['built_at'])} ({ago(g['age_s'])}), "
            f"snapshot {g['snapshot_date']}, {len(g['datasets'])} datasets{stale}",
            highlight=False,
        )
    else:
        out.print("Gold: not built yet")
    if st.schedule:
        sch = st.schedule
        last = (
            f"last fired for {when(sch['last_due'])} ({sch.get('status')})"
            if sch.get("status") in ("started", "finished")
            else "has not fired yet"
        )
        error = f", error: {sch['error']}" if sch.get("error") else ""
        out.print(
            f"Schedule {sch.get('cron', '?')!r} ({sch.get('timezone', '?')}): "
            f"{last}{error}; next due {when(sch.get('next_due'))}",
            highlight=False,
        )


# -- dead letters, config, source ---------------------------------------------------------------
def print_dead_letters(movies: Sequence[DeadMovie]) -> None:
    if not movies:
        out.print("No dead letters.")
        return
    table = Table(
        "IMDb id",
        "title",
        "run",
        "attempts",
        "last error",
        title="Dead letters",
        title_justify="left",
    )
    for m in movies:
        table.add_row(
            m.imdb_id or "(unreadable)",
            shown(m.title),
            m.run_id or "-",
            str(m.attempts),
            shown(m.error),
        )
    out.print(table)
    out.print("Retry: cinelake dlq redrive [--id IMDB_ID ...]")


def print_config(report: ConfigReport) -> None:
    found = "found" if report.file_found else "not found"
    out.print(f"Config file: {report.file} ({found})", highlight=False)
    table = Table("setting", "value", "from", show_edge=False)
    for v in report.values:
        table.add_row(
            v.name,
            "" if v.value is None else str(v.value),
            v.origin if v.source != "default" else "[dim]default[/]",
        )
    out.print(table)
    if report.unknown_keys:
        out.print(
            f"[yellow]Unknown keys in {report.file} (ignored):[/] {', '.join(report.unknown_keys)}"
        )


def print_source_csv(rows: Sequence[dict[str, Any]]) -> None:
    from cinelake.gold.export import CSV_DANGEROUS_PREFIXES  # lazy: pyarrow, for --help

    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["rank"])
    writer.writeheader()
    # A title is untrusted text: one starting like a formula is quoted for spreadsheets.
    writer.writerows(
        {
            **r,
            "title": "'" + str(r["title"])
            if str(r["title"]).startswith(CSV_DANGEROUS_PREFIXES)
            else r["title"],
        }
        for r in rows
    )


def print_source_table(rows: Sequence[dict[str, Any]], label: str) -> None:
    table = Table(
        "rank", "imdb_id", "title", "year", "rating", "votes", title=label, title_justify="left"
    )
    for r in rows:
        table.add_row(
            *("" if v is None else f"{v:,}" if k == "votes" else str(v) for k, v in r.items())
        )
    out.print(table)


def print_rejected(rejected: Iterable[RejectedItem]) -> None:
    for bad in rejected:
        err.print(
            f"rejected rank {bad.rank}: {bad.id!r}: {bad.reason}", highlight=False, soft_wrap=True
        )


QUALITY_STYLE = {"pass": "green", "warn": "yellow", "fail": "red"}


def print_quality_line(status: str, failed_checks: str, label: str = "  data quality") -> None:
    """``data quality: warn: checks that did not pass`` (`cinelake quality` explains)."""
    style = QUALITY_STYLE.get(status, "white")
    detail = f": {failed_checks}" if failed_checks else ""
    out.print(
        f"{escape(label)}: [{style}]{status}[/]{escape(detail)}",
        highlight=False,
        soft_wrap=True,
    )


def print_quality(v: Any) -> None:
    """`cinelake quality`: a day's verdict, its counts and every check."""
    style = QUALITY_STYLE.get(v.status, "white")
    out.print(
        f"[bold]Data quality of {v.snapshot_date}[/] (run {v.run_id}): [{style}]{v.status}[/]",
        highlight=False,
    )
    counts = Table(show_header=False)
    counts.add_column(style="bold")
    counts.add_column(justify="right")
    for name, value in v.counts.items():
        counts.add_row(name.replace("_", " "), str(value))
    out.print(counts)
    checks = Table("check", "value", "threshold", "status")
    for c in v.checks:
        st = str(c["status"])
        checks.add_row(
            str(c["check"]),
            f"{c['value']:g}",
            f"{c['threshold']:g}",
            f"[{QUALITY_STYLE.get(st, 'white')}]{st}[/]",
        )
    out.print(checks)
    if v.failed_checks:
        out.print(f"Did not pass: {escape(v.failed_checks)}", highlight=False, soft_wrap=True)
