"""Silver stage: bronze OMDb answers -> the typed, validated ``silver_movies`` table.

* :mod:`cinelake.silver.schema` -- the one definition of the contract (Arrow, Hive, docs).
* :mod:`cinelake.silver.parsers` -- the OMDb value parsers, as DuckDB SQL macros.
* :mod:`cinelake.silver.transform` -- :func:`build_silver`, set-wise in DuckDB.

The names below are imported lazily, so ``python -m cinelake.silver.schema`` does not
import its own module twice.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "SilverBuild",
    "arrow_schema",
    "build_silver",
    "hive_columns",
    "markdown_table",
    "quarantine_arrow_schema",
    "quarantine_hive_columns",
]

_HOMES = {
    "SilverBuild": "cinelake.silver.transform",
    "build_silver": "cinelake.silver.transform",
    "arrow_schema": "cinelake.silver.schema",
    "hive_columns": "cinelake.silver.schema",
    "markdown_table": "cinelake.silver.schema",
    "quarantine_arrow_schema": "cinelake.silver.schema",
    "quarantine_hive_columns": "cinelake.silver.schema",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
