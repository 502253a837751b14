"""Stopping a foreground scheduler: the first SIGINT/SIGTERM asks it to stop after the current
run, a second one abandons that run (the next start finishes it; nothing is lost)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType


@contextlib.contextmanager
def graceful_stop(
    stop: threading.Event, busy: Callable[[], bool], log: Callable[[str], None]
) -> Iterator[None]:
    """While inside: a signal sets `stop`; a second one while `busy()` raises
    KeyboardInterrupt in the main thread. The previous handlers come back on the way out."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and busy():
            raise KeyboardInterrupt  # asked twice: abandon the run (the next start finishes it)
        stop.set()
        if busy():
            log("stopping once the current run ends (signal again to abandon it; nothing is lost)")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
