"""Offline HTML dashboard over the gold datasets (see :mod:`cinelake.dashboard.render`)."""

from cinelake.dashboard.render import (
    MOVIE_FIELDS,
    dashboard_payload,
    read_gold_dir,
    render_dashboard,
    write_dashboard,
)

__all__ = [
    "MOVIE_FIELDS",
    "dashboard_payload",
    "read_gold_dir",
    "render_dashboard",
    "write_dashboard",
]
