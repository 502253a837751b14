"""The cache's index of when answers were fetched: a plan of many movies reads no answer, and
gets the same ages as reading each answer would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cinelake import layout
from cinelake.adapters.storage import LocalObjectStore
from cinelake.devtools import synthetic
from cinelake.objects import ObjectStore
from cinelake.omdb.cache import FEW, ResponseCache, cache_key

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
URL = "http://omdb.test/"
N = FEW + 36  # enough to take the listing path


class CountingStore:
    """A store that counts the reads of cached answers (index reads are not counted)."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner
        self.answer_reads = 0

    def get(self, key: str) -> bytes:
        if key.startswith(layout.OMDB_CACHE_PREFIX):
            self.answer_reads += 1
        return self.inner.get(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def ids(n: int = N) -> list[str]:
    return [synthetic.imdb_id(i) for i in range(1, n + 1)]


def put(cache: ResponseCache, imdb_id: str, at: datetime) -> str:
    params = {"i": imdb_id}
    cache.put(imdb_id, params, kind="found", body={}, http_status=200, now=at, base_url=URL)
    return cache_key(imdb_id, params, URL)


def wanted(movie_ids: list[str]) -> list[tuple[str, dict[str, str]]]:
    return [(i, {"i": i}) for i in movie_ids]


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    return CountingStore(LocalObjectStore(tmp_path / "bronze", "bronze"))


def test_indexed_answers_are_not_read_and_ages_match(store: CountingStore) -> None:
    cache = ResponseCache(store, timedelta(days=7))  # type: ignore[arg-type]
    movies = ids()
    fetched = {}
    for n, i in enumerate(movies[:-10]):  # the last ten were never fetched
        at = NOW - timedelta(days=n % 20, minutes=n)
        fetched[put(cache, i, at)] = at
    cache.record_fetched(dict(list(fetched.items())[:50]), NOW - timedelta(days=3))
    cache.record_fetched(dict(list(fetched.items())[50:]), NOW)
    expected = [cache.stored_at(i, p, base_url=URL) for i, p in wanted(movies)]
    store.answer_reads = 0
    assert cache.stored_ats(wanted(movies), NOW, base_url=URL) == expected
    assert expected[-10:] == [None] * 10 and all(expected[:-10])
    assert store.answer_reads == 10  # only the few the index does not know (each a miss)
    # The closed day's part was merged: the next plan reads the merged object and today's part.
    assert store.exists(layout.omdb_fetched_upto_key(NOW.date() - timedelta(days=1)))
    assert cache.stored_ats(wanted(movies), NOW, base_url=URL) == expected
    assert store.answer_reads == 20


def test_many_never_fetched_take_one_listing_not_a_read_each(store: CountingStore) -> None:
    cache = ResponseCache(store, timedelta(days=7))  # type: ignore[arg-type]
    movies = ids()
    keys = [put(cache, i, NOW - timedelta(days=2)) for i in movies[:5]]
    cache.record_fetched(dict.fromkeys(keys, NOW - timedelta(days=2)), NOW - timedelta(days=2))
    ages = cache.stored_ats(wanted(movies), NOW, base_url=URL)
    assert ages == [NOW - timedelta(days=2)] * 5 + [None] * (N - 5)
    assert store.answer_reads == 0


def test_answers_written_before_the_index_are_read_once_then_merged(
    store: CountingStore,
) -> None:
    cache = ResponseCache(store, timedelta(days=7))  # type: ignore[arg-type]
    movies = ids()
    for n, i in enumerate(movies):
        put(cache, i, NOW - timedelta(hours=n))  # no index part: an older cinelake wrote them
    expected = [NOW - timedelta(hours=n) for n in range(N)]
    assert cache.stored_ats(wanted(movies), NOW, base_url=URL) == expected
    assert store.answer_reads == N
    store.answer_reads = 0
    assert cache.stored_ats(wanted(movies), NOW, base_url=URL) == expected
    assert store.answer_reads == 0


def test_a_newer_part_wins_over_the_merged_index(store: CountingStore) -> None:
    cache = ResponseCache(store, timedelta(days=7))  # type: ignore[arg-type]
    movies = ids()
    old, new = NOW - timedelta(days=9), NOW - timedelta(hours=1)
    keys = [put(cache, i, old) for i in movies]
    cache.record_fetched(dict.fromkeys(keys, old), old)
    cache.stored_ats(wanted(movies), NOW, base_url=URL)  # merged up to yesterday
    put(cache, movies[0], new)
    cache.record_fetched({keys[0]: new}, new)
    store.delete(keys[1])  # the bucket's lifecycle expired it
    ages = cache.stored_ats(wanted(movies), NOW, base_url=URL)
    # The index does not know of the deletion: the plan counts it stale, the run pending.
    assert ages[0] == new and set(ages[1:]) == {old}


def test_a_damaged_index_object_costs_reads_not_answers(store: CountingStore) -> None:
    cache = ResponseCache(store, timedelta(days=7))  # type: ignore[arg-type]
    movies = ids()
    keys = [put(cache, i, NOW - timedelta(days=1)) for i in movies]
    cache.record_fetched(dict.fromkeys(keys, NOW - timedelta(days=1)), NOW - timedelta(days=1))
    [part] = store.list_keys(layout.OMDB_FETCHED_PREFIX)
    store.put(part, b"{not json", "application/json")
    assert cache.stored_ats(wanted(movies), NOW, base_url=URL) == [NOW - timedelta(days=1)] * N


@given(st.text(max_size=60))
def test_only_index_keys_parse(rest: str) -> None:
    parsed = layout.parse_omdb_fetched_key(layout.OMDB_FETCHED_PREFIX + rest)
    if parsed is not None:
        kind, day = parsed
        key = (
            layout.omdb_fetched_upto_key(day)
            if kind == "upto"
            else layout.omdb_fetched_part_key(day, rest.split("/", 1)[1].removesuffix(".json"))
        )
        assert key == layout.OMDB_FETCHED_PREFIX + rest


def test_index_keys_round_trip() -> None:
    day = date(2026, 3, 9)
    assert layout.parse_omdb_fetched_key(layout.omdb_fetched_upto_key(day)) == ("upto", day)
    assert layout.parse_omdb_fetched_key(layout.omdb_fetched_part_key(day, "a1-b2")) == (
        "part",
        day,
    )
    with pytest.raises(ValueError):
        layout.omdb_fetched_part_key(day, "../x")
    assert layout.parse_omdb_fetched_key(f"{layout.OMDB_FETCHED_PREFIX}2026-02-30/x.json") is None
