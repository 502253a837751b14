"""The lake's layout has one home, :mod:`cinelake.layout`: no other module spells a key or path.

The check reads every module's string constants (docstrings aside) and path joins, in every
module of the package, the CLI included.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from cinelake import layout

SRC = Path(__file__).resolve().parents[2] / "src" / "cinelake"
EXEMPT = {SRC / "layout.py"}

LAKE_LITERAL = re.compile(
    r"(?<!\w)(_runs|_state)\b|_control/|_cache/|_sources/|_manifest\.json|dashboard\.html"
    r"|queue\.sqlite3|runtime\.lock|schedule\.json|enrichment_paused"
    r"|^(omdb|movies|quarantine|csv|athena|quicksight|outcomes|stats)/"
    r"|(snapshot_date|run_id)=($|\*|\{)|data\.parquet|(manifest|silver|queued)\.json"
)
STORE_NAMES = {"bronze", "silver", "gold"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for stmt in body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    ids.add(id(stmt.value))
    return ids


def lake_literals(source: str) -> list[str]:
    """Lake keys or paths spelled in this module's code (not in its docstrings or comments)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs
            and LAKE_LITERAL.search(node.value)
        ):
            found.append(f"line {node.lineno}: {node.value[:60]!r}")
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Div)
            and isinstance(node.right, ast.Constant)
            and node.right.value in STORE_NAMES
        ):
            found.append(f"line {node.lineno}: a path joined with {node.right.value!r}")
    return found


def test_the_check_sees_keys_and_paths_but_not_prose() -> None:
    code = (
        '"""Under _runs/<run>/manifest.json."""\n'
        'a = f"_runs/{run_id}/silver.json"\n'
        'b = root / "_state" / "queue.sqlite3"\n'
        'c = root / "gold"\n'
        'd = f"omdb/snapshot_date={day}/"\n'
        'e = "invalid_snapshot_date: snapshot_date=\' || x"\n'
        '__all__ = ["read_state", "write_state"]\n'
    )
    assert sorted({f.split(":")[0] for f in lake_literals(code)}) == [
        "line 2",
        "line 3",
        "line 4",
        "line 5",
    ]


@pytest.mark.parametrize(
    "path", sorted(p for p in SRC.rglob("*.py") if p not in EXEMPT), ids=lambda p: p.name
)
def test_no_lake_literal_outside_the_layout_module(path: Path) -> None:
    assert lake_literals(path.read_text()) == [], f"{path.relative_to(SRC)} spells lake keys"


def test_keys_are_built_from_checked_ids() -> None:
    day = date(2026, 11, 29)
    run = "20261129T030000Z-1a2b3c"
    assert layout.bronze_part_key(day, run, "ab12") == (
        "omdb/snapshot_date=2026-11-29/run_id=20261129T030000Z-1a2b3c/part-ab12.jsonl"
    )
    assert layout.BRONZE_KEY_RE.match(layout.bronze_part_key(day, run, "ab12"))
    assert layout.outcome_key(run, "tt0111161") == (
        "_runs/20261129T030000Z-1a2b3c/outcomes/tt0111161.json"
    )
    with pytest.raises(ValueError):
        layout.outcome_key(run, "../../etc")
    with pytest.raises(ValueError):
        layout.manifest_key("../x")
    # Other scripts' digits are not run ids (the pattern says [0-9], not \d).
    assert not layout.BRONZE_KEY_RE.match(
        "omdb/snapshot_date=2026-11-29/run_id=٢٠٢٦1129T030000Z-1a2b3c/part-ab.jsonl"
    )
