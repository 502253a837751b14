"""`cinelake plan`: the OMDb plan the next run would make, computed the same way, sending nothing."""

from __future__ import annotations

from cinelake.bootstrap import build
from cinelake.clock import Clock
from cinelake.config import Settings
from cinelake.stages.ingest import IngestRequest, prepare
from cinelake.stages.plan import Plan, plan_movies


def plan_next_run(settings: Settings, clock: Clock, source: str) -> Plan:
    """The plan for the top ``settings.top_n`` of ``source`` now. Nothing is written: the
    stores and the queue of the lake are only read (the queue not at all)."""
    deps = build(settings, clock=clock)
    manifest, _ = prepare(
        IngestRequest(source, settings.top_n, settings.batch_size),
        clock.now(),
        source=deps.open_source(source),
    )
    return plan_movies(
        deps, manifest.movies, omdb_url=None if settings.offline else settings.omdb_url
    )
