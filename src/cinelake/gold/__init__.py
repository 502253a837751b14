"""Gold layer: flat, typed datasets computed from the latest silver snapshot.

* :mod:`cinelake.gold.datasets` — the dataset definitions and :func:`build_gold`.
* :mod:`cinelake.gold.export` — Parquet/CSV bytes, QuickSight manifest, Athena DDL, docs.

Names are re-exported lazily so that ``python -m cinelake.gold.datasets`` runs cleanly.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "DATASETS": "cinelake.gold.datasets",
    "GoldColumn": "cinelake.gold.datasets",
    "GoldDataset": "cinelake.gold.datasets",
    "build_gold": "cinelake.gold.datasets",
    "dataset": "cinelake.gold.datasets",
    "empty_table": "cinelake.gold.datasets",
    "athena_ddl": "cinelake.gold.export",
    "csv_bytes": "cinelake.gold.export",
    "docs_markdown": "cinelake.gold.export",
    "parquet_bytes": "cinelake.gold.export",
    "quicksight_manifest": "cinelake.gold.export",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cinelake.gold' has no attribute {name!r}")
    return getattr(import_module(module), name)
