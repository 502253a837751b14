"""The one place where configuration picks implementations: local folders or AWS services.

Handlers ask `current()` for their dependencies. In Lambda that builds the AWS set from the
environment once per container; the local runtime `install()`s a local set before invoking them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

import httpx

from cinelake.adapters import faults
from cinelake.adapters.queue import LocalQueue, Queue, SqsQueue
from cinelake.adapters.secrets import FileKey, SecretsManagerKey, StaticKey
from cinelake.adapters.storage import CreatedListener, LocalObjectStore, ObjectStore, S3ObjectStore
from cinelake.clock import Clock, SystemClock
from cinelake.config import Settings
from cinelake.keys import KeyProvider
from cinelake.layout import STORES, LocalLake
from cinelake.ledger import RunLedger
from cinelake.omdb.cache import ResponseCache
from cinelake.omdb.client import OmdbOptions, RateLimiter, RequestGate, StopSignals
from cinelake.omdb.offline import OFFLINE_KEY, OFFLINE_URL, offline_transport
from cinelake.sources.port import Source, SourceOpener


@dataclass
class Deps:
    settings: Settings
    clock: Clock
    bronze: ObjectStore
    silver: ObjectStore
    gold: ObjectStore
    queue: Queue
    keys: KeyProvider
    limiter: RateLimiter
    omdb_transport: httpx.AsyncBaseTransport | None = None
    gate: RequestGate | None = None  # process-wide cap on OMDb requests in flight
    concurrency: int | None = None  # OMDb requests one invocation sends at once (None: settings')
    stops: StopSignals = field(default_factory=StopSignals)  # key rejected / quota reached
    omdb_url_override: bool = False  # the operator chose the URL: it wins over the runs' own
    sources: SourceOpener | None = None  # None: the lake's own (see __post_init__)
    checkpoint: Callable[[str], None] = faults.checkpoint  # the crash hook of the tests
    notify_url: KeyProvider | None = None  # the daily digest's webhook (None: no digest)
    notify_transport: httpx.BaseTransport | None = None  # tests: the webhook's transport
    publish_dashboard: bool = False  # the gold build writes dashboard/index.html (AWS)

    def __post_init__(self) -> None:
        if self.sources is None:
            self.sources = SourceOpener(
                self.settings, self.bronze, self.clock, key=source_key(self.settings)
            )

    def open_source(self, location: str | None) -> Source:
        assert self.sources is not None
        return self.sources(location)

    def omdb_url_for(self, run_id: str) -> str:
        """Where a run's movies are fetched: the URL the run recorded in its manifest, unless
        the operator chose one (``omdb_url_override``) or the run recorded none."""
        s = self.settings
        if s.offline:
            return OFFLINE_URL
        if self.omdb_url_override:
            return s.omdb_url
        try:
            recorded = self.ledger.manifest(run_id).omdb_url
        except Exception:  # an unreadable manifest: the configured URL
            recorded = None
        return recorded or s.omdb_url

    @cached_property
    def ledger(self) -> RunLedger:
        return RunLedger(self.bronze)

    @property
    def cache(self) -> ResponseCache:
        return ResponseCache(self.bronze, timedelta(days=self.settings.cache_ttl_days))

    def omdb_options(self, base_url: str | None = None) -> OmdbOptions:
        """OMDb options; ``base_url`` (a run's recorded URL) instead of the configured one."""
        s = self.settings
        return OmdbOptions(
            base_url=OFFLINE_URL if s.offline else base_url or s.omdb_url,
            timeout_s=s.timeout_s,
            max_retries=s.max_retries,
            backoff_base_s=s.backoff_base_s,
            backoff_max_s=s.backoff_max_s,
            concurrency=self.concurrency or s.concurrency,
            max_answer_bytes=s.max_answer_bytes,
            answer_deadline_s=s.answer_deadline_s,
        )


def key_provider(settings: Settings) -> KeyProvider:
    if settings.offline:
        return StaticKey(OFFLINE_KEY)
    if settings.omdb_api_key is not None:
        return StaticKey(settings.omdb_api_key.get_secret_value())
    if settings.omdb_api_key_file is not None:
        return FileKey(settings.omdb_api_key_file)
    if settings.omdb_secret_name:
        return SecretsManagerKey(settings.omdb_secret_name, settings.omdb_secret_field)
    return StaticKey(None)


def source_key(settings: Settings) -> KeyProvider | None:
    """The key a source URL's {key} stands for: the source secret, if one is named."""
    if not settings.source_secret_name:
        return None
    return SecretsManagerKey(settings.source_secret_name, settings.source_secret_field or None)


def notify_key(settings: Settings) -> KeyProvider | None:
    """Where the daily digest's webhook URL comes from: the setting, or a Secrets Manager
    secret (the whole secret string is the URL); None when no digest is configured."""
    if settings.notify_url is not None:
        return StaticKey(settings.notify_url.get_secret_value())
    if settings.notify_secret_name:
        return SecretsManagerKey(settings.notify_secret_name)
    return None


def build_local(
    settings: Settings,
    *,
    clock: Clock | None = None,
    on_created: CreatedListener | None = None,
    omdb_transport: httpx.AsyncBaseTransport | None = None,
) -> Deps:
    clock = clock or SystemClock()
    lake = LocalLake(settings.data_dir)
    stores = {name: LocalObjectStore(lake.store(name), name, on_created) for name in STORES}
    queue = LocalQueue(
        lake.queue,
        visibility_timeout_s=settings.visibility_timeout_s,
        max_receive_count=settings.max_receive_count,
        clock=clock,
    )
    if omdb_transport is None and settings.offline:
        omdb_transport = offline_transport()
    return Deps(
        settings=settings,
        clock=clock,
        bronze=stores["bronze"],
        silver=stores["silver"],
        gold=stores["gold"],
        queue=queue,
        keys=key_provider(settings),
        limiter=RateLimiter(settings.rate_limit),
        omdb_transport=omdb_transport,
        notify_url=notify_key(settings),
    )


def build_aws(settings: Settings, *, clock: Clock | None = None) -> Deps:
    import boto3

    endpoint = settings.aws_endpoint_url
    s3 = boto3.client("s3", endpoint_url=endpoint)
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    clock = clock or SystemClock()
    bronze = S3ObjectStore(s3, settings.bronze_bucket)
    return Deps(
        settings=settings,
        clock=clock,
        bronze=bronze,
        silver=S3ObjectStore(s3, settings.silver_bucket),
        gold=S3ObjectStore(s3, settings.gold_bucket),
        queue=SqsQueue(sqs, settings.queue_url or ""),
        keys=key_provider(settings),
        limiter=RateLimiter(settings.rate_limit),
        sources=SourceOpener(settings, bronze, clock, s3=s3, key=source_key(settings)),
        notify_url=notify_key(settings),
        publish_dashboard=True,
    )


def build(settings: Settings, **kwargs: Any) -> Deps:
    if settings.backend == "aws":
        return build_aws(settings, clock=kwargs.get("clock"))
    return build_local(settings, **kwargs)


_current: Deps | None = None
_lock = threading.Lock()


def install(deps: Deps | None) -> None:
    global _current
    with _lock:
        _current = deps


def current() -> Deps:
    """Dependencies for a handler: installed ones, else built once from the environment."""
    global _current
    with _lock:
        if _current is None:
            _current = build(Settings())
        return _current
