"""Why the local runtime refused to start work (nothing ran; nothing was changed)."""

from __future__ import annotations


class RuntimeRefused(Exception):
    """The runtime would not start: the message says why and what to do."""


class RuntimeBusy(RuntimeRefused):
    """Another cinelake process is working on the same data dir (try again later)."""


class ModeConflict(RuntimeRefused):
    """Queued movies of a run made against the real OMDb (or the sample) and a run in the other
    mode: finishing them from the wrong place would record wrong answers for good. Not a
    RuntimeBusy: waiting does not resolve it, so the scheduler must not retry it."""
