"""The imdb-datasets source: the formula, the files' traps, conditional downloads, bad input."""

import gzip
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cinelake.adapters.storage import LocalObjectStore
from cinelake.clock import FakeClock
from cinelake.devtools.imdb_datasets import (
    DatasetServer,
    Rating,
    Title,
    generate,
    reference_top,
    touch_later,
    write_datasets,
)
from cinelake.sources.imdb_datasets import (
    BASICS,
    COMPACT_MAX_AGE,
    RATINGS,
    DatasetCache,
    DatasetOptions,
    ImdbDatasetsSource,
    basics_plan,
)
from cinelake.sources.top_list import SourceError

M = 1000  # the generated files are small: a lower m than IMDb's 25,000 keeps ~700 eligible


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory):
    return write_datasets(generate(20_000), tmp_path_factory.mktemp("imdb"))


def source(url: str | Path, cache: Path, clock: FakeClock, **options: object) -> ImdbDatasetsSource:
    opts = DatasetOptions(url=str(url), **({"min_votes": M} | options))  # type: ignore[arg-type]
    return ImdbDatasetsSource(opts, DatasetCache(LocalObjectStore(cache, "state")), clock)


def ids(selection) -> list[str]:
    return [m.imdb_id for m in selection.movies]


def test_local_folder_gives_exactly_the_formulas_top_n(
    datasets, tmp_path: Path, clock: FakeClock
) -> None:
    folder = datasets.basics_path.parent
    sel = source(folder, tmp_path / "cache", clock).select(60)
    want = reference_top(datasets, 60, M)
    assert len(want) == 60
    assert ids(sel) == [e.tconst for e in want]
    assert [m.rank for m in sel.movies] == list(range(1, 61))
    assert [(m.title, m.year, m.rating, m.votes) for m in sel.movies] == [
        (e.title, e.year, e.rating, e.votes) for e in want
    ]
    assert [float(m.record["weightedRating"]) for m in sel.movies] == pytest.approx(
        [e.wr for e in want]
    )
    # Trap titles came through intact, and the tie of rating and votes was broken by tconst.
    titles = {m.title for m in sel.movies}
    assert {'Unbalanced "quote', "It's a 'single' quote", "Семь самураев"} <= titles
    assert sel.available == len(reference_top(datasets, 10**6, M))


def test_everything_eligible_ranks_like_the_reference_including_ties(
    datasets, tmp_path: Path, clock: FakeClock
) -> None:
    everything = reference_top(datasets, 10**6, M)
    sel = source(datasets.basics_path.parent, tmp_path / "c", clock).select(10**6)
    assert ids(sel) == [e.tconst for e in everything]
    tied = [(e.rating, e.votes) for e in everything]
    assert len(tied) != len(set(tied))  # the generated ties are in the eligible set
    # Orphan ratings (titles basics lacks) and adult or non-movie titles never appear.
    by_id = datasets.by_id
    assert all(by_id[i].title_type == "movie" and by_id[i].is_adult == "0" for i in ids(sel))


@pytest.mark.parametrize(
    "filters",
    [
        {"genre": "Horror"},
        {"genre": "film-noir"},
        {"year_from": 1980, "year_to": 1989},
        {"genre": "Comedy", "year_from": 2000},
        {"year_to": 1950},
    ],
)
def test_filters_keep_the_matching_movies_in_the_same_order(
    datasets, tmp_path: Path, clock: FakeClock, filters: dict
) -> None:
    sel = source(datasets.basics_path.parent, tmp_path / "c", clock, **filters).select(25)
    want = reference_top(datasets, 25, M, **filters)
    assert want and ids(sel) == [e.tconst for e in want]
    unfiltered = ids(source(datasets.basics_path.parent, tmp_path / "c", clock).select(10**6))
    assert ids(sel) == [i for i in unfiltered if i in set(ids(sel))]  # a sub-list, same order


def test_second_run_over_http_downloads_nothing(datasets, tmp_path: Path, clock: FakeClock) -> None:
    server = DatasetServer(datasets.basics_path.parent)
    with server.serve() as url:
        first = source(url, tmp_path / "cache", clock).select(50)
        assert sorted(server.downloads()) == [BASICS, RATINGS]
        server.log.clear()
        clock.advance(3600)
        second = source(url, tmp_path / "cache", clock).select(50)
    assert ids(second) == ids(first) == [e.tconst for e in reference_top(datasets, 50, M)]
    # One conditional request for the ratings (304), none for the basics: zero bytes.
    assert [(e.path, e.status, e.bytes) for e in server.log] == [(RATINGS, 304, 0)]
    versions = {v["file"]: v for v in second.versions}
    assert versions[RATINGS]["fetch"] == "not modified"
    assert versions[BASICS]["fetch"] == "not requested"
    assert (
        versions[RATINGS]["etag"]
        and versions[RATINGS]["size"] == datasets.ratings_path.stat().st_size
    )
    assert versions[BASICS]["date"] is not None and "compact copy" in versions[BASICS]["note"]


def test_changed_ratings_are_downloaded_and_an_old_compact_copy_is_revalidated(
    tmp_path: Path, clock: FakeClock
) -> None:
    data = write_datasets(generate(5_000, seed=3), tmp_path / "files")
    server = DatasetServer(tmp_path / "files")
    cache = tmp_path / "cache"
    with server.serve() as url:
        source(url, cache, clock, min_votes=300).select(10)
        server.log.clear()
        touch_later(data.ratings_path)  # a new day's ratings
        source(url, cache, clock, min_votes=300).select(10)
        assert [(e.path, e.status) for e in server.log] == [(RATINGS, 200)]
        server.log.clear()
        clock.advance((COMPACT_MAX_AGE + timedelta(hours=1)).total_seconds())
        source(url, cache, clock, min_votes=300).select(10)
        # Older than a week: the basics are asked for, conditionally, and were unchanged.
        assert [(e.path, e.status) for e in server.log] == [(RATINGS, 304), (BASICS, 304)]
        server.log.clear()
        source(url, cache, clock, min_votes=300).select(10)
        assert [(e.path, e.status) for e in server.log] == [(RATINGS, 304)]


def test_a_title_new_to_the_compact_copy_refreshes_the_basics(
    tmp_path: Path, clock: FakeClock
) -> None:
    data = generate(5_000, seed=4)
    write_datasets(data, tmp_path / "files")
    server = DatasetServer(tmp_path / "files")
    cache = tmp_path / "cache"
    with server.serve() as url:
        source(url, cache, clock, min_votes=300).select(10)
        # A new blockbuster: in basics today, with votes it did not have when the copy was built.
        data.titles.append(Title("tt0900001", "movie", "Brand new", "0", "2026", "Horror"))
        data.by_id["tt0900001"] = data.titles[-1]
        data.ratings.append(Rating("tt0900001", "9.7", 5_000_000))
        write_datasets(data, tmp_path / "files")
        server.log.clear()
        sel = source(url, cache, clock, min_votes=300).select(10)
    assert sorted((e.path, e.status) for e in server.log) == [(BASICS, 200), (RATINGS, 200)]
    assert ids(sel)[0] == "tt0900001"
    assert ids(sel) == [e.tconst for e in reference_top(data, 10, 300)]


def test_a_smaller_m_than_the_copy_covers_rebuilds_it(
    datasets, tmp_path: Path, clock: FakeClock
) -> None:
    server = DatasetServer(datasets.basics_path.parent)
    with server.serve() as url:
        source(url, tmp_path / "c", clock, min_votes=5000).select(10)
        server.log.clear()
        sel = source(url, tmp_path / "c", clock, min_votes=100).select(30)
    assert (BASICS, 200) in [(e.path, e.status) for e in server.log]
    assert ids(sel) == [e.tconst for e in reference_top(datasets, 30, 100)]


@pytest.mark.parametrize(
    "plan_input,plan",
    [
        (None, "rebuild"),
        ({"floor": 5000, "checked_at": "2026-11-29T03:00:00+00:00"}, "reuse"),
        ({"floor": 50_000, "checked_at": "2026-11-29T03:00:00+00:00"}, "rebuild"),
        ({"floor": 5000, "checked_at": "2026-11-20T03:00:00+00:00"}, "revalidate"),
        (
            {"floor": 5000, "checked_at": "2026-12-29T03:00:00+00:00"},
            "revalidate",
        ),  # from the future
        ({"floor": 5000, "checked_at": "garbage"}, "revalidate"),
    ],
)
def test_basics_plan(plan_input: dict | None, plan: str, clock: FakeClock) -> None:
    assert basics_plan(plan_input, 25_000, clock.now(), 0) == plan
    if plan == "reuse":
        assert basics_plan(plan_input, 25_000, clock.now(), 2) == "revalidate"


# -- bad input: one line naming the file, and the good compact copy stays ----------------------


def broken_copy(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in (BASICS, RATINGS):
        (dest / name).write_bytes((src / name).read_bytes())
    return dest


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def rename_column(path: Path, old: str, new: str) -> None:
    text = gzip.decompress(path.read_bytes()).decode()
    header, rest = text.split("\n", 1)
    path.write_bytes(gzip.compress((header.replace(old, new) + "\n" + rest).encode()))


@pytest.mark.parametrize(
    "breakage,message",
    [
        (lambda d: truncate(d / RATINGS), f"{RATINGS}: cannot read it"),
        (lambda d: truncate(d / BASICS), f"{BASICS}: cannot read it"),
        (
            lambda d: (d / RATINGS).write_bytes(b"not gzip at all\n" * 100),
            f"{RATINGS}: cannot read it",
        ),
        (
            lambda d: rename_column(d / BASICS, "titleType", "kind"),
            f"{BASICS}: missing column titleType",
        ),
        (
            lambda d: rename_column(d / RATINGS, "numVotes", "votes"),
            f"{RATINGS}: missing column numVotes",
        ),
        (lambda d: (d / RATINGS).unlink(), f"{RATINGS}: HTTP 404"),
        (
            lambda d: (d / RATINGS).write_bytes(
                gzip.compress(
                    gzip.decompress((d / RATINGS).read_bytes()) + b"tt0000001\t5.0\t1000000\n"
                )
            ),
            f"{RATINGS}: 1 titles are rated more than once",
        ),
        (
            lambda d: (d / RATINGS).write_bytes(
                gzip.compress(
                    gzip.decompress((d / RATINGS).read_bytes()) + b"tt0000001\tten\t1000000\n"
                )
            ),
            f"{RATINGS}: cannot read it (Conversion Error",
        ),
    ],
)
def test_bad_files_fail_in_one_line_and_keep_the_good_copy(
    datasets, tmp_path: Path, clock: FakeClock, breakage, message: str
) -> None:
    good = datasets.basics_path.parent
    cache = tmp_path / "cache"
    broken = broken_copy(good, tmp_path / "broken")
    server = DatasetServer(broken)
    with server.serve() as url:
        source(url, cache, clock, min_votes=100).select(5)  # builds the compact copy
        before = {p.name: p.read_bytes() for p in cache.iterdir()}
        breakage(broken)
        touch_later(broken / BASICS)
        clock.advance((COMPACT_MAX_AGE + timedelta(days=1)).total_seconds())  # basics asked for
        with pytest.raises(SourceError) as err:
            source(url, cache, clock, min_votes=50).select(5)  # smaller m: basics needed in full
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(tmp_path) not in str(err.value)  # no temp paths in the message
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before


def test_unreachable_url_and_missing_folder(tmp_path: Path, clock: FakeClock) -> None:
    with pytest.raises(
        SourceError, match=rf"{RATINGS}: cannot reach http://127\.0\.0\.1:9/ \(ConnectError\)"
    ):
        source("http://127.0.0.1:9/", tmp_path / "c", clock).select(5)
    with pytest.raises(SourceError, match="neither an http"):
        source(tmp_path / "nope", tmp_path / "c", clock).select(5)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match=f"{RATINGS}: not found in"):
        source(tmp_path / "empty", tmp_path / "c", clock).select(5)
    assert not (tmp_path / "c").exists()


def test_no_eligible_movie_is_an_error_and_writes_nothing(
    datasets, tmp_path: Path, clock: FakeClock
) -> None:
    with pytest.raises(SourceError, match=r"no eligible movie .* at least 1,000,000,000 votes"):
        source(datasets.basics_path.parent, tmp_path / "c", clock, min_votes=10**9).select(5)
    with pytest.raises(SourceError, match="matching genre 'Western'"):
        source(datasets.basics_path.parent, tmp_path / "c2", clock, genre="Western").select(5)
    assert not (tmp_path / "c").exists() and not (tmp_path / "c2").exists()


# -- the reader against arbitrary titles ---------------------------------------------------------

TSV_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\t\n\r"),
    max_size=40,
).filter(lambda t: t != "\\N")
# The traps mixed into arbitrary text: quotes (balanced or not), backslashes, \N inside a title.
TRAPPED = st.builds(
    lambda a, trap, b: a + trap + b,
    TSV_TEXT,
    st.sampled_from(['"', "'", '""', "\\", "\\N ", "Ça", "侍"]),
    TSV_TEXT,
)


def test_any_title_without_tabs_or_newlines_reads_back_exactly(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    seen: list[str] = []

    # The traps always run once, whatever this run's draws (40 draws can miss an apostrophe).
    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.one_of(TSV_TEXT, TRAPPED), min_size=1, max_size=20))
    @example(['"Quoted" title', "It's", '""', "back\\slash \\N ", "Ça 侍"])
    def prop(names: list[str]) -> None:
        folder = tmp_path_factory.mktemp("titles")
        data = generate(0)
        data.ratings.clear()
        for i, name in enumerate(names, 1):
            t = Title(f"tt{i:07d}", "movie", name, "0", "2000", "Drama")
            data.titles.append(t)
            data.by_id[t.tconst] = t
            data.ratings.append(Rating(t.tconst, "7.0", 100 + i))
        write_datasets(data, folder)
        sel = source(folder, folder / "cache", FakeClock(), min_votes=1).select(100)
        got = {m.imdb_id: m.title for m in sel.movies}
        assert got == {f"tt{i:07d}": n for i, n in enumerate(names, 1)}
        seen.extend(names)

    prop()
    joined = "".join(seen)
    assert len(seen) > 40 and '"' in joined and "'" in joined and not joined.isascii()


class RemoteStore(LocalObjectStore):
    """A bucket that is not a local folder (as S3): files go through get/put."""

    def local_path(self, key: str) -> Path | None:
        return None


def test_on_aws_the_cache_is_a_bronze_prefix(datasets, tmp_path: Path, clock: FakeClock) -> None:
    from cinelake.config import Settings
    from cinelake.sources.port import open_source

    bronze = RemoteStore(tmp_path / "bronze", "bronze")
    server = DatasetServer(datasets.basics_path.parent)
    settings = Settings(
        backend="aws", source="imdb-datasets", min_votes=M, data_dir=tmp_path / "nolake"
    )
    with server.serve() as url:
        settings = settings.model_copy(update={"imdb_datasets_url": url})
        first = open_source(None, settings, bronze=bronze, clock=clock).select(20)
        server.log.clear()
        second = open_source(None, settings, bronze=bronze, clock=clock).select(20)
    assert ids(first) == ids(second) == [e.tconst for e in reference_top(datasets, 20, M)]
    assert [(e.path, e.status) for e in server.log] == [(RATINGS, 304)]
    assert sorted(bronze.list_keys()) == [
        "_sources/imdb-datasets/basics-compact.json",
        "_sources/imdb-datasets/basics-compact.parquet",
        "_sources/imdb-datasets/title.ratings.json",
        "_sources/imdb-datasets/title.ratings.tsv.gz",
    ]
    assert not (tmp_path / "nolake").exists()


def test_the_same_files_give_the_list_again_without_recomputing(
    datasets, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cinelake run` checks the source, then its ingest reads it again: once is enough."""
    import cinelake.sources.imdb_datasets as module

    files = broken_copy(datasets.basics_path.parent, tmp_path / "files")  # a copy to touch
    server = DatasetServer(files)
    with server.serve() as url:
        first = source(url, tmp_path / "c", clock).select(30)
        computed = []
        real = module.top_movies
        monkeypatch.setattr(module, "top_movies", lambda *a: computed.append(1) or real(*a))
        server.log.clear()
        again = source(url, tmp_path / "c", clock).select(30)
        assert computed == [] and ids(again) == ids(first)
        assert [(e.path, e.status) for e in server.log] == [(RATINGS, 304)]
        assert {v["file"]: v["fetch"] for v in again.versions} == {
            RATINGS: "not modified",
            BASICS: "not requested",
        }
        # Anything that could change the list computes it: other options, other ratings.
        source(url, tmp_path / "c", clock).select(31)
        assert computed == [1]
        touch_later(files / RATINGS)
        source(url, tmp_path / "c", clock).select(31)
        assert computed == [1, 1]
