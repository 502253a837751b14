"""Compatibility: the local runtime's names, now in :mod:`cinelake.ops.runs` (orchestration)
and :mod:`cinelake.runtime.emulator` (the emulated AWS delivery). Kept for ``cinelake.cli``
until it imports them from there; nothing else may import this module."""

from __future__ import annotations

from cinelake.ops.runs import LocalRuntime, RunSummary
from cinelake.runtime.emulator import Progress
from cinelake.runtime.errors import ModeConflict, RuntimeBusy, RuntimeRefused

__all__ = ["LocalRuntime", "ModeConflict", "Progress", "RunSummary", "RuntimeBusy", "RuntimeRefused"]
