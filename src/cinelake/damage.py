"""A lake file that cannot be read, named: every command reports it in one line with the fix."""

from __future__ import annotations

REPAIR_HINT = "run `cinelake doctor --repair`"


class DamagedFile(ValueError):
    """A file of the lake exists but cannot be read (truncated, garbage, wrong format).

    ``path`` is relative to the data dir (``bronze/_runs/…``, ``silver/movies/…``); the message
    names it, what is wrong and the fix. Code that already skips unreadable records (a
    ValueError) keeps doing so.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path} is damaged ({problem}): {REPAIR_HINT}")


def first_line(exc: BaseException, limit: int = 160) -> str:
    """An exception's first line, short: enough to say what is wrong, never a traceback."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:limit]
