"""One clock: nothing in the product reads the wall clock except `cinelake.clock`.

Stamps and "now" comparisons made on two different clocks disagree under a fake clock, a
scheduler or a backfill (a cache TTL once compared a wall-clock stamp with the injected
clock). Monotonic timers for timeouts are allowed: they measure durations, not dates.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cinelake

SRC = Path(cinelake.__file__).resolve().parent
CLOCK_MODULE = SRC / "clock.py"

# (receiver, attribute) pairs that read the wall clock.
WALL_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
    ("time", "strftime"),
}
# Names that read the wall clock when imported bare (`from time import time`).
WALL_CLOCK_IMPORTS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
    ("time", "strftime"),
}


def wall_clock_reads(source: str, filename: str = "<src>") -> list[str]:
    """Every wall-clock read in `source`, as 'file:line: call'."""
    found: list[str] = []
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            name = (
                receiver.attr
                if isinstance(receiver, ast.Attribute)
                else (receiver.id if isinstance(receiver, ast.Name) else None)
            )
            if name is not None and (name, node.func.attr) in WALL_CLOCK_CALLS:
                # time.strftime/localtime/gmtime with an explicit time argument format a given
                # instant; only the zero-argument forms read the clock.
                if (
                    name == "time"
                    and node.func.attr in {"strftime", "localtime", "gmtime", "ctime"}
                    and len(node.args) >= (2 if node.func.attr == "strftime" else 1)
                ):
                    continue
                found.append(f"{filename}:{node.lineno}: {name}.{node.func.attr}()")
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            for alias in node.names:
                if (node.module, alias.name) in WALL_CLOCK_IMPORTS:
                    found.append(
                        f"{filename}:{node.lineno}: from {node.module} import {alias.name}"
                    )
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "from datetime import datetime, UTC\nx = datetime.now(UTC)",
        "import datetime\nx = datetime.datetime.now()",
        "import datetime\nx = datetime.date.today()",
        "from datetime import date\nx = date.today()",
        "import time\nx = time.time()",
        "from time import time",
        "import datetime as dt\nx = dt.datetime.utcnow()",
    ],
)
def test_the_scanner_finds_each_kind_of_wall_clock_read(snippet: str) -> None:
    assert wall_clock_reads(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "import time\nx = time.monotonic()",
        "import time\nx = time.perf_counter()",
        "import time\nx = time.strftime('%Y', (2026, 1, 1, 0, 0, 0, 0, 1, 0))",
        "from datetime import datetime\nx = datetime.fromisoformat('2026-01-01')",
        "x = clock.now()",
    ],
)
def test_the_scanner_allows_durations_and_the_injected_clock(snippet: str) -> None:
    assert wall_clock_reads(snippet) == []


def test_no_wall_clock_read_outside_the_clock_module() -> None:
    files = sorted(p for p in SRC.rglob("*.py") if p != CLOCK_MODULE)
    assert len(files) > 20  # the scan really covers the package
    offenders = [
        hit
        for path in files
        for hit in wall_clock_reads(
            path.read_text(encoding="utf-8"), str(path.relative_to(SRC.parent))
        )
    ]
    assert offenders == [], "read the injected Clock instead:\n" + "\n".join(offenders)


def test_the_clock_module_is_where_the_wall_clock_is_read() -> None:
    # Guards the allow-list: if the clock module moved, the scan above would exempt nothing.
    assert wall_clock_reads(CLOCK_MODULE.read_text(encoding="utf-8"))


def test_a_shifted_run_really_moves_the_wall_clock(clock_shift) -> None:  # type: ignore[no-untyped-def]
    """Under `make test-future` the whole run sees a date years ahead; the check that it did."""
    from datetime import UTC, datetime

    if clock_shift is None:
        pytest.skip("the wall clock is not shifted in this run (see `make test-future`)")
    real, days = clock_shift
    assert (datetime.now(UTC) - real).days >= days - 1
