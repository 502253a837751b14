"""The source port: what ingest asks of any source, and the one place that picks one.

A source has one method, ``select(top_n)``, returning the ranked records (and the rejected
items and, for datasets, the input versions). Which one a run uses follows from its
``source`` setting:

* ``imdb-datasets``: computed from IMDb's daily datasets (:mod:`.imdb_datasets`);
* anything else is a list: a local path, an http(s):// or s3:// URL, in the IMDb-API shape,
  a JSON array of objects or a CSV with a header (:mod:`.lists`);
* no source: the bundled offline sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from cinelake.keys import KeyProvider
from cinelake.layout import DATASET_CACHE_PREFIX, LocalLake
from cinelake.sources.top_list import Selection, SourceError, describe, load_source

if TYPE_CHECKING:
    from cinelake.clock import Clock
    from cinelake.config import Settings
    from cinelake.objects import ObjectStore

IMDB_DATASETS = "imdb-datasets"
KEY_PLACEHOLDER = "{key}"  # in a source URL: the key from the source secret, filled in at read


class Source(Protocol):
    @property
    def label(self) -> str:
        """What the run's manifest and summary call the source (no credentials)."""

    def select(self, top_n: int) -> Selection:
        """The top N records by rank; a SourceError (one line) when the source is unusable."""


@dataclass
class ListSource:
    """A top list at a path or URL, in any shape :mod:`.lists` reads."""

    location: str
    s3: Any = None
    transport: httpx.AsyncBaseTransport | None = None
    max_bytes: int | None = None  # None: load_source's defaults
    deadline_s: float | None = None
    key: KeyProvider | None = None  # fills {key} in the location (the source secret)

    @property
    def label(self) -> str:
        return describe(self.location)  # the placeholder, never the key

    def _location(self) -> str:
        """The location with {key} filled in from the key source; never logged or recorded."""
        from urllib.parse import quote

        from cinelake.keys import SecretError

        if KEY_PLACEHOLDER not in self.location:
            return self.location
        if self.key is None:
            raise SourceError(
                f"source {self.label} needs a key ({KEY_PLACEHOLDER}): set the source secret "
                "(SourceSecretName on AWS, CINELAKE_SOURCE_SECRET_NAME)"
            )
        try:
            value = self.key.get()
        except SecretError as exc:
            raise SourceError(f"source {self.label}: {exc}") from None
        if not value:
            raise SourceError(f"source {self.label}: the source secret holds no key")
        return self.location.replace(KEY_PLACEHOLDER, quote(value, safe=""))

    def select(self, top_n: int) -> Selection:
        from cinelake.sources.lists import select_from_bytes

        if top_n < 1:
            raise SourceError(f"top N must be at least 1 (got {top_n})")
        data = load_source(
            self._location(),
            s3=self.s3,
            transport=self.transport,
            max_bytes=self.max_bytes,
            deadline_s=self.deadline_s,
        )
        return select_from_bytes(data, top_n)


def bundled_sample() -> str:
    from cinelake.sample import top_movies_path

    return str(top_movies_path())


def dataset_cache_store(settings: Settings, bronze: ObjectStore | None) -> tuple[ObjectStore, str]:
    """Where the dataset cache lives: the lake's state area locally, a bronze prefix on AWS."""
    from cinelake.adapters.storage import LocalObjectStore

    if settings.backend == "aws":
        if bronze is None:
            raise SourceError("the imdb-datasets cache needs the bronze bucket")
        return bronze, DATASET_CACHE_PREFIX
    return LocalObjectStore(LocalLake(settings.data_dir).dataset_cache, "state"), ""


@dataclass(frozen=True)
class SourceOpener:
    """Opens the source a run names with what the deployment provides: the lake's bronze
    store (the dataset cache on AWS), the clock, an S3 client for s3:// lists (None: one is
    made when needed). Built once at the edge; ingest only calls it."""

    settings: Settings
    bronze: ObjectStore | None = None
    clock: Clock | None = None
    s3: Any = None
    key: KeyProvider | None = None  # the source secret (a URL's {key})

    def __call__(self, location: str | None) -> Source:
        return open_source(
            location, self.settings, bronze=self.bronze, clock=self.clock, s3=self.s3, key=self.key
        )


def open_source(
    location: str | None,
    settings: Settings,
    *,
    bronze: ObjectStore | None = None,
    clock: Clock | None = None,
    s3: Any = None,
    http: httpx.Client | None = None,
    key: KeyProvider | None = None,
) -> Source:
    """The source a run with these settings reads (`location` overrides settings.source)."""
    from cinelake.clock import SystemClock

    name = location if location is not None else settings.source
    if name is None:
        return ListSource(bundled_sample(), max_bytes=settings.source_max_bytes)
    if not name.strip():
        raise SourceError(
            "source is empty: give imdb-datasets, a path or an http(s):// or s3:// URL"
        )
    if name.strip() == IMDB_DATASETS:
        from cinelake.sources.imdb_datasets import DatasetCache, DatasetOptions, ImdbDatasetsSource

        store, prefix = dataset_cache_store(settings, bronze)
        options = DatasetOptions(
            url=settings.imdb_datasets_url,
            min_votes=settings.min_votes,
            genre=settings.genre,
            year_from=settings.year_from,
            year_to=settings.year_to,
        )
        return ImdbDatasetsSource(
            options, DatasetCache(store, prefix), clock or SystemClock(), http=http
        )
    return ListSource(
        name,
        s3=s3,
        max_bytes=settings.source_max_bytes,
        deadline_s=settings.source_deadline_s,
        key=key,
    )
