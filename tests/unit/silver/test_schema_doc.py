"""docs/silver_schema.md is generated from cinelake.silver.schema and must not drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cinelake.silver import schema

DOC = Path(__file__).resolve().parents[3] / "docs" / "silver_schema.md"
REGENERATE = "python -m cinelake.silver.schema > docs/silver_schema.md"


def test_committed_doc_equals_the_generated_one() -> None:
    assert DOC.read_text(encoding="utf-8") == schema.render_doc(), (
        f"docs/silver_schema.md is stale: run `{REGENERATE}`"
    )


def test_the_module_prints_the_doc() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "cinelake.silver.schema"],
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert printed.stdout == schema.render_doc()
    assert printed.stderr == ""


def test_the_doc_lists_every_column_and_reason_code() -> None:
    text = schema.render_doc()
    for spec in (*schema.MOVIES_COLUMNS, *schema.QUARANTINE_COLUMNS):
        assert f"| `{spec.name}`" in text
    for code, _ in schema.REASON_CODES:
        assert f"| `{code}` |" in text
