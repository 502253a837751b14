"""Every option a command takes, declared once.

The options that set a `Settings` field take their help text and their "[default: ...]" from
that setting (its description and its default, declared in `cinelake.setting_specs`, which
`Settings` reads too: no pydantic for `--help`), and their range from its bound where the flag
checks it at parse time (a usage error, exit 2). Their Python default is None: "not given", so
the flag > environment > file > default order of `Settings` decides. No command restates a
default or a help text: each one lists the option types below.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cinelake import layout
from cinelake.setting_specs import SETTINGS


def lower_bound(name: str) -> int | float | None:
    """The `ge` bound of a setting (e.g. top_n >= 1), the one place it is declared."""
    return SETTINGS[name].ge


def shown_default(name: str) -> str | None:
    """A setting's default as help text shows it; None when there is none to show."""
    value = SETTINGS[name].default
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Path):
        return str(value) if value.is_absolute() else f"./{value}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def setting_help(name: str, *, more: str = "", unset: str | None = None) -> str:
    """Help from the Settings field: its description (+ `more`), then its default, or what
    happens when it is unset (`unset`) for a field whose default is None."""
    text = SETTINGS[name].description or name
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():  # a sentence, not a name such as imdb-datasets
        text = text[0].upper() + text[1:]
    default = shown_default(name) or unset
    suffix = f" \\[default: {default}]" if default else ""
    return f"{text}{more}{suffix}."


def setting(name: str, flag: str, *, check_range: bool = False, **help_kwargs: Any) -> Any:
    """A typer option for the Settings field `name`. `check_range`: the flag refuses a value
    below the field's bound while parsing (exit 2), before any setting is read."""
    return typer.Option(
        flag,
        help=setting_help(name, **help_kwargs),
        min=lower_bound(name) if check_range else None,
    )


DataDir = Annotated[Path | None, setting("data_dir", "--data-dir")]
OptBackend = Annotated[str | None, setting("backend", "--backend")]
OptTopN = Annotated[int | None, setting("top_n", "--top-n", check_range=True)]
OptBatch = Annotated[int | None, setting("batch_size", "--batch-size", check_range=True)]
OptSource = Annotated[
    str | None,
    setting(
        "source", "--source", more=" (IMDb-API JSON, JSON array or CSV)", unset="bundled sample"
    ),
]
OptDatasetsUrl = Annotated[str | None, setting("imdb_datasets_url", "--imdb-datasets-url")]
OptMinVotes = Annotated[int | None, setting("min_votes", "--min-votes", check_range=True)]
OptGenre = Annotated[str | None, setting("genre", "--genre")]
OptYearFrom = Annotated[int | None, setting("year_from", "--year-from")]
OptYearTo = Annotated[int | None, setting("year_to", "--year-to")]
OptOmdbUrl = Annotated[str | None, setting("omdb_url", "--omdb-url")]
OptOffline = Annotated[bool | None, setting("offline", "--offline")]
OptConcurrency = Annotated[int | None, setting("concurrency", "--concurrency", check_range=True)]
OptRate = Annotated[float | None, setting("rate_limit", "--rate-limit", check_range=True)]
OptRefresh = Annotated[bool | None, setting("refresh", "--refresh")]
OptDailyBudget = Annotated[
    int | None, setting("omdb_daily_budget", "--daily-budget", check_range=True)
]
OptCron = Annotated[str | None, setting("schedule_cron", "--cron")]
OptTimezone = Annotated[
    str | None, setting("schedule_timezone", "--timezone", more=", e.g. Europe/Paris")
]

# Options of the CLI alone (no setting behind them).
OptConfig = Annotated[
    Path | None,
    typer.Option(
        "--config", help=r"Settings file \[default: $CINELAKE_CONFIG, else ./cinelake.toml]."
    ),
]
OptJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")]
# Parsed by the command (one-line error, exit 2), not by typer: its usage box is many lines.
OptAsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Record the run's list as this day's snapshot (an archived list; OMDb answers "
        r"are still today's) \[default: today (UTC)].",
    ),
]
OptBackfillDir = Annotated[
    Path,
    typer.Argument(
        metavar="DIR",
        help="Folder of dated top lists: YYYY-MM-DD.json or YYYY-MM-DD.csv, one per day.",
    ),
]

OptStack = Annotated[
    str | None,
    typer.Option(
        "--stack",
        help="CloudFormation stack to operate (with --backend aws): its outputs name the "
        "buckets and queues.",
    ),
]


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


DEFAULT_FORMAT = Format.table
OptFormat = Annotated[Format, typer.Option("--format", help="Output format.")]
DEFAULT_RUNS = 5
OptRuns = Annotated[int, typer.Option("--runs", min=0, help="How many recent runs to show.")]
OptIds = Annotated[
    list[str] | None,
    typer.Option("--id", help=r"IMDb id to redrive (repeatable) \[default: all dead letters]."),
]
OptRepair = Annotated[
    bool,
    typer.Option("--repair", help="Repair what can be rebuilt (silver and gold from bronze, ...)."),
]
OptOutput = Annotated[
    Path | None,
    typer.Option("--output", help=f"HTML file \\[default: <data-dir>/{layout.DASHBOARD_FILE}]."),
]
OptOpen = Annotated[bool, typer.Option("--open", help="Open it in a browser.")]
OptSql = Annotated[
    str, typer.Argument(help="DuckDB SQL over silver_movies, silver_quarantine, gold_<dataset>.")
]
OptNotifyUrl = Annotated[
    str | None,
    setting(
        "notify_url",
        "--notify-url",
        more=" (Slack-compatible JSON; once per snapshot)",
        unset="no digest",
    ),
]
OptLink = Annotated[
    bool,
    typer.Option(
        "--link",
        help="With --backend aws --stack NAME: print a presigned link to the dashboard the gold "
        "function published (it expires in an hour).",
    ),
]
# Parsed by the command (one-line error, exit 2), like --as-of.
OptQualityDate = Annotated[
    str | None,
    typer.Option(
        "--date",
        metavar="YYYY-MM-DD",
        help=r"The snapshot whose checks to explain \[default: the latest snapshot].",
    ),
]
