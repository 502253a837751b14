"""A test-only crash hook: die by SIGKILL at a named point of a run, to prove recovery.

The stages call it through their ``checkpoint`` port (:mod:`cinelake.stages.ports`); bootstrap
wires this implementation in.

`CINELAKE_CRASH_AT=<point>:<n>` kills the process the n-th time (default 1) the code passes
`checkpoint("<point>")`. Unset, a checkpoint costs one environment lookup. Points:

after_manifest, after_enqueue (ingest); after_bronze_write, after_outcomes (enrich);
before_silver_write (bronze -> silver); before_gold_write (silver -> gold).
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

ENV = "CINELAKE_CRASH_AT"
POINTS = frozenset(
    {
        "after_manifest",
        "after_enqueue",
        "after_bronze_write",
        "after_outcomes",
        "before_silver_write",
        "before_gold_write",
    }
)

_hits: Counter[str] = Counter()
_lock = threading.Lock()


def checkpoint(name: str) -> None:
    spec = os.environ.get(ENV)
    if spec:
        _maybe_crash(name, spec)


def _maybe_crash(name: str, spec: str) -> None:
    point, _, nth = spec.partition(":")
    if point != name:
        return
    with _lock:
        _hits[name] += 1
        reached = _hits[name] >= (int(nth) if nth.isdigit() else 1)
    if reached:
        os.kill(os.getpid(), signal.SIGKILL)
