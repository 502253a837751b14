"""What the stages need from the world, declared by the stages: narrow, read-only ports.

A stage takes one of these and nothing else: it never imports the composition root
(``cinelake.bootstrap``), a runtime or a concrete adapter. ``bootstrap.Deps`` satisfies every
port structurally; tests may pass anything that does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import httpx

    from cinelake.clock import Clock
    from cinelake.config import Settings
    from cinelake.keys import KeyProvider
    from cinelake.ledger import RunLedger
    from cinelake.objects import ObjectStore
    from cinelake.omdb.cache import ResponseCache
    from cinelake.omdb.client import OmdbOptions, RateLimiter, RequestGate, StopSignals
    from cinelake.sources.port import Source


class Checkpoint(Protocol):
    """A named point of a stage's work (after the manifest, before the silver write, ...)."""

    def __call__(self, name: str) -> None: ...


class Sender(Protocol):
    """The one thing a stage asks of the queue: send message bodies."""

    def send(self, bodies: Sequence[str], delay_seconds: int = 0) -> object: ...


class StagePorts(Protocol):
    """What every stage has: its settings, the clock, the run ledger and the checkpoint."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def ledger(self) -> RunLedger: ...
    @property
    def checkpoint(self) -> Checkpoint: ...


class PlanPorts(StagePorts, Protocol):
    """What the OMDb plan reads: the stored answers and the day's budget (in bronze)."""

    @property
    def bronze(self) -> ObjectStore: ...
    @property
    def cache(self) -> ResponseCache: ...

    def omdb_options(self, base_url: str | None = None) -> OmdbOptions: ...


class IngestPorts(PlanPorts, Protocol):
    @property
    def queue(self) -> Sender: ...

    def open_source(self, location: str | None) -> Source: ...


class EnrichPorts(StagePorts, Protocol):
    @property
    def bronze(self) -> ObjectStore: ...
    @property
    def queue(self) -> Sender: ...
    @property
    def cache(self) -> ResponseCache: ...
    @property
    def keys(self) -> KeyProvider: ...
    @property
    def limiter(self) -> RateLimiter: ...
    @property
    def omdb_transport(self) -> httpx.AsyncBaseTransport | None: ...
    @property
    def gate(self) -> RequestGate | None: ...
    @property
    def stops(self) -> StopSignals: ...

    def omdb_options(self, base_url: str | None = None) -> OmdbOptions: ...

    def omdb_url_for(self, run_id: str) -> str: ...


class SilverPorts(StagePorts, Protocol):
    @property
    def bronze(self) -> ObjectStore: ...
    @property
    def silver(self) -> ObjectStore: ...


class GoldPorts(StagePorts, Protocol):
    @property
    def silver(self) -> ObjectStore: ...
    @property
    def gold(self) -> ObjectStore: ...


class NotifyPorts(StagePorts, Protocol):
    """What the daily digest needs: gold (the day's movers, its markers), the webhook URL
    (``None``: no digest configured) and, in tests, the HTTP transport."""

    @property
    def gold(self) -> ObjectStore: ...
    @property
    def notify_url(self) -> KeyProvider | None: ...
    @property
    def notify_transport(self) -> httpx.BaseTransport | None: ...
