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
    # Today's first invocation merged the days before it.
    assert store.exists(layout.omdb_fetched_upto_key(NOW.date() - timedelta(days=1)))
    expected = [cache.stored_at(i, p, base_url=URL) for i, p in wanted(movies)]
    store.answer_reads = 0
    assert cache.stored_ats(wanted(movies), NOW, base_url=URL) == expected
    assert expected[-10:] == [None] * 10 and all(expected[:-10])
    assert store.answer_reads == 10  # only the few the index does not know (each a miss)


def test_many_never_fetched_take_one_listing_not_a_read_each(store: CountingStore) -> None:
    cache = ResponseCache(store, timedelta(days=7))  # type: ignore[arg-type]
    movies = ids()
    keys = [put(cache, i, NOW - timedelta(days=2)) for i in movies[:5]]
    cache.record_fetched(dict.fromkeys(keys, NOW - timedelta(days=2)), NOW - timedelta(days=2))
    ages = cache.stored_ats(wanted(movies), NOW, base_url=URL)
    assert ages == [NOW - timedelta(days=2)] * 5 + [None] * (N - 5)
    assert store.answer_reads == 0


def test_answers_written_before_the_index_are_read(store: CountingStore) -> None:
    cache = ResponseCache(store, timedelta(days=7))  # type: ignore[arg-type]
    movies = ids()
    for n, i in enumerate(movies):
        put(cache, i, NOW - timedelta(hours=n))  # no index part: an older cinelake wrote them
    expected = [NOW - timedelta(hours=n) for n in range(N)]
    assert cache.stored_ats(wanted(movies), NOW, base_url=URL) == expected
    assert store.answer_reads == N


def test_parts_after_the_merge_and_a_newer_answer_win(store: CountingStore) -> None:
    cache = ResponseCache(store, timedelta(days=7))  # type: ignore[arg-type]
    movies = ids()
    old, new = NOW - timedelta(days=9), NOW - timedelta(hours=1)
    keys = [put(cache, i, old) for i in movies]
    cache.record_fetched(dict.fromkeys(keys, old), old)  # merges up to the day before
    cache.record_fetched({keys[2]: old}, NOW - timedelta(days=1))  # merges up to 2 days ago
    put(cache, movies[0], new)
    cache.record_fetched({keys[0]: new}, new)  # today's first: merges up to yesterday
    put(cache, movies[1], NOW)
    cache.record_fetched({keys[1]: NOW}, NOW)  # a part after the merge
    store.delete(keys[3])  # the bucket's lifecycle expired it
    ages = cache.stored_ats(wanted(movies), NOW, base_url=URL)
    # The index does not know of the deletion: the plan counts it stale, the run pending.
    assert ages[:2] == [new, NOW] and set(ages[2:]) == {old}
    assert store.answer_reads == 0
    merged = store.list_keys(layout.OMDB_FETCHED_MERGED)
    assert merged == [
        layout.omdb_fetched_upto_key(NOW.date() - timedelta(days=d)) for d in (10, 2, 1)
    ]


def test_a_damaged_index_object_costs_reads_not_answers(store: CountingStore) -> None:
    cache = ResponseCache(store, timedelta(days=7))  # type: ignore[arg-type]
    movies = ids()
    keys = [put(cache, i, NOW - timedelta(days=1)) for i in movies]
    cache.record_fetched(dict.fromkeys(keys, NOW - timedelta(days=1)), NOW - timedelta(days=1))
    [part] = store.list_keys(layout.OMDB_FETCHED_PARTS)
    store.put(part, b"{not json", "application/json")
    assert cache.stored_ats(wanted(movies), NOW, base_url=URL) == [NOW - timedelta(days=1)] * N


@given(st.text(max_size=60))
def test_only_merged_keys_parse(rest: str) -> None:
    day = layout.parse_omdb_fetched_upto(layout.OMDB_FETCHED_MERGED + rest)
    if day is not None:
        assert layout.omdb_fetched_upto_key(day) == layout.OMDB_FETCHED_MERGED + rest


def test_index_keys() -> None:
    day = date(2026, 3, 9)
    assert layout.parse_omdb_fetched_upto(layout.omdb_fetched_upto_key(day)) == day
    assert layout.parse_omdb_fetched_upto("upto-2026-03-09.json") is None
    assert layout.parse_day("2026-03-09") == day and layout.parse_day("2026-02-30") is None
    assert layout.omdb_fetched_part_key(day, "a1-b2").startswith(
        layout.omdb_fetched_day_prefix(day)
    )
    with pytest.raises(ValueError):
        layout.omdb_fetched_part_key(day, "../x")
