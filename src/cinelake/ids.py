"""IMDb ids are the one untrusted string that ends up in object keys, so they are checked here once."""

from __future__ import annotations

import re

# [0-9], not \d: \d also matches other scripts' digits (e.g. Arabic-Indic), which must not pass.
IMDB_ID_RE = re.compile(r"^tt[0-9]{7,9}$")


class InvalidImdbId(ValueError):
    """An id that is not of the form tt + 7-9 digits."""


def is_imdb_id(value: object) -> bool:
    return isinstance(value, str) and IMDB_ID_RE.fullmatch(value) is not None


def require_imdb_id(value: object) -> str:
    """Return the id if it is a well-formed IMDb id; raise otherwise (never build a path from it)."""
    if not is_imdb_id(value):
        shown = repr(value)[:40]
        raise InvalidImdbId(f"not an IMDb id (expected tt + 7-9 digits): {shown}")
    return value  # type: ignore[return-value]


RUN_ID_PATTERN = r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}"
"""A run id, unanchored (to embed in key patterns); [0-9], never \\d."""
RUN_ID_RE = re.compile(rf"^{RUN_ID_PATTERN}$")


def require_run_id(value: object) -> str:
    """Run ids also become key parts: 20261129T030000Z-1a2b3c and nothing else."""
    if not isinstance(value, str) or RUN_ID_RE.fullmatch(value) is None:
        raise ValueError(f"not a run id: {repr(value)[:40]}")
    return value
