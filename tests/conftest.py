"""Shared fixtures: a lake in a temp dir, a fake clock, the OMDb simulator."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_DEV", "false")

from cinelake import bootstrap
from cinelake.clock import FakeClock
from cinelake.config import Settings

SHARED_TOP250 = Path(__file__).resolve().parents[2] / "shared" / "data" / "imdb-api" / "Top250Movies.json"
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
        "data_dir": lake, "backoff_base_s": 0.0, "backoff_max_s": 0.0, "retry_delay_s": 0.0,
        "rate_limit": 0, "concurrency": 8,
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
