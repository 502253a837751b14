"""Shared fixtures: a lake in a temp dir, a fake clock, the OMDb simulator."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_DEV", "false")

from cinelake import bootstrap
from cinelake.clock import FakeClock
from cinelake.config import Settings


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shift-clock",
        type=int,
        default=None,
        metavar="DAYS",
        help="run with this process's wall clock moved DAYS days ahead (time-machine); "
        "`make test-future` uses it to prove no test depends on today's date",
    )


def pytest_configure(config: pytest.Config) -> None:
    days = config.getoption("--shift-clock")
    if days:
        import time_machine

        real = datetime.now(UTC)
        # tick=True: the shifted clock keeps running, so durations measured on it stay real.
        traveller = time_machine.travel(real + timedelta(days=days), tick=True)
        traveller.start()
        config.stash[_SHIFT] = (real, traveller)


def pytest_unconfigure(config: pytest.Config) -> None:
    shifted = config.stash.get(_SHIFT, None)
    if shifted is not None:
        shifted[1].stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    shifted = config.stash.get(_SHIFT, None)
    if shifted is None:
        return None
    return f"wall clock shifted: {shifted[0]:%Y-%m-%d} -> {datetime.now(UTC):%Y-%m-%d}"


@pytest.fixture
def clock_shift(request: pytest.FixtureRequest) -> tuple[datetime, int] | None:
    """(the real start date, days shifted) when the run moved the wall clock, else None."""
    shifted = request.config.stash.get(_SHIFT, None)
    days = request.config.getoption("--shift-clock")
    return None if shifted is None else (shifted[0], days)


_SHIFT = pytest.StashKey[tuple[datetime, Any]]()

SHARED_TOP250 = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "imdb-api" / "Top250Movies.json"
)
# A scraper's daily captures of the Top 250 (JSON arrays): read in place, never copied.
SHARED_HISTORY = Path(__file__).resolve().parents[2] / "shared" / "data" / "top250-history"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's key, config file or installed dependencies."""
    for name in list(os.environ):
        if name.startswith("CINELAKE_") or name == "OMDB_API_KEY":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    bootstrap.install(None)
    yield
    bootstrap.install(None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 29, 3, 0, tzinfo=UTC))


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


def make_settings(lake: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": lake,
        "backoff_base_s": 0.0,
        "backoff_max_s": 0.0,
        "retry_delay_s": 0.0,
        "rate_limit": 0,
        "concurrency": 8,
    }
    return Settings(**(base | overrides))


def write_source(path: Path, items: list[dict[str, str]]) -> Path:
    path.write_text(json.dumps({"items": items, "errorMessage": ""}))
    return path


def invoke_cli(*args: str, key: str | None = None, **env: str) -> Any:
    """`cinelake ARGS` in-process, with OMDB_API_KEY set to `key` and extra environment."""
    from typer.testing import CliRunner

    from cinelake.cli import app

    environment = dict(env)
    if key is not None:
        environment["OMDB_API_KEY"] = key
    return CliRunner().invoke(app, list(args), env=environment, catch_exceptions=False)
