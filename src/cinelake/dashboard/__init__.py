"""Offline HTML dashboard over the gold datasets (see :mod:`cinelake.dashboard.render`)."""

from cinelake.dashboard.render import (
    HISTORY_DATASETS,
    HISTORY_WINDOW,
    MOVIE_FIELDS,
    dashboard_payload,
    history_payload,
    read_gold_dir,
    render_dashboard,
    write_dashboard,
)

__all__ = [
    "HISTORY_DATASETS",
    "HISTORY_WINDOW",
    "MOVIE_FIELDS",
    "dashboard_payload",
    "history_payload",
    "read_gold_dir",
    "render_dashboard",
    "write_dashboard",
]
