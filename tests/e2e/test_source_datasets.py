"""Done-when of the living source: `cinelake run --source imdb-datasets` over local HTTP, a
second run that downloads nothing, `source show` agreeing with the run, a scraper's list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cinelake.devtools import synthetic
from cinelake.devtools.imdb_datasets import DatasetServer, generate, reference_top, write_datasets
from cinelake.devtools.omdb_simulator import OmdbSimulator, SimulatorConfig
from cinelake.sources.imdb_datasets import BASICS, RATINGS

from ..conftest import SHARED_HISTORY, invoke_cli

KEY = "SECRET-omdb-key-7f3a9c"
cli = invoke_cli
pytestmark = pytest.mark.slow


def query_json(lake: Path, sql: str) -> list[dict]:
    result = cli("query", sql, "--format", "json", "--data-dir", str(lake))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory):
    # At IMDb's own m = 25,000: a few hundred eligible movies among 20,000 titles.
    return write_datasets(generate(20_000, seed=7, vote_scale=25), tmp_path_factory.mktemp("imdb"))


def test_run_puts_exactly_the_formulas_top_50_in_silver_and_a_second_run_downloads_nothing(
    datasets, lake: Path
) -> None:
    want = reference_top(datasets, 50, 25_000)
    assert len(want) == 50 and len(reference_top(datasets, 10**6, 25_000)) > 100
    server = DatasetServer(datasets.basics_path.parent)
    sim = OmdbSimulator(
        synthetic.omdb_catalog([e.tconst for e in want]), SimulatorConfig(api_key=KEY)
    )
    with server.serve() as url, sim.serve() as omdb:
        args = [
            "run",
            "--source",
            "imdb-datasets",
            "--imdb-datasets-url",
            url,
            "--top-n",
            "50",
            "--omdb-url",
            omdb,
            "--data-dir",
            str(lake),
            "--rate-limit",
            "0",
        ]
        first = cli(*args, key=KEY)
        assert first.exit_code == 0, first.output
        assert sorted(server.downloads()) == [BASICS, RATINGS]  # each file once
        rows = query_json(
            lake,
            "select imdb_id, source_rank, source_rating, source_votes "
            "from silver_movies order by source_rank",
        )
        assert rows == [
            {
                "imdb_id": e.tconst,
                "source_rank": i,
                "source_rating": e.rating,
                "source_votes": e.votes,
            }
            for i, e in enumerate(want, 1)
        ]

        server.log.clear()
        second = cli(*args, key=KEY)
        assert second.exit_code == 0, second.output
        assert server.downloads() == []  # re-downloads neither file
        assert {(e.path, e.status, e.bytes) for e in server.log} == {(RATINGS, 304, 0)}

        shown = cli(
            "source",
            "show",
            "--source",
            "imdb-datasets",
            "--imdb-datasets-url",
            url,
            "--top-n",
            "50",
            "--format",
            "json",
            "--data-dir",
            str(lake),
        )
        assert shown.exit_code == 0, shown.output
        listed = json.loads(shown.stdout)
        assert [r["imdb_id"] for r in listed] == [r["imdb_id"] for r in rows]
        assert listed[0] == {
            "rank": 1,
            "imdb_id": want[0].tconst,
            "title": want[0].title,
            "year": want[0].year,
            "rating": want[0].rating,
            "votes": want[0].votes,
        }
        csv_out = cli(
            "source",
            "show",
            "--source",
            "imdb-datasets",
            "--imdb-datasets-url",
            url,
            "--top-n",
            "3",
            "--format",
            "csv",
            "--data-dir",
            str(lake),
        )
        assert csv_out.stdout.splitlines()[0] == "rank,imdb_id,title,year,rating,votes"
        assert server.downloads() == []

    # Bronze says which dataset versions produced each run's list.
    manifests = sorted((lake / "bronze" / "_runs").glob("*/manifest.json"))
    assert len(manifests) == 2
    versions = {v["file"]: v for v in json.loads(manifests[-1].read_text())["source_versions"]}
    assert (
        versions[RATINGS]["etag"]
        and versions[RATINGS]["size"] == datasets.ratings_path.stat().st_size
    )
    assert (
        versions[RATINGS]["fetch"] == "not modified"
        and versions[BASICS]["fetch"] == "not requested"
    )
    assert versions[BASICS]["size"] == datasets.basics_path.stat().st_size


def test_unreachable_datasets_fail_in_one_line_with_nothing_in_the_lake(lake: Path) -> None:
    result = cli(
        "run",
        "--offline",
        "--source",
        "imdb-datasets",
        "--imdb-datasets-url",
        "http://127.0.0.1:9/",
        "--data-dir",
        str(lake),
    )
    assert result.exit_code == 1
    assert f"{RATINGS}: cannot reach http://127.0.0.1:9/" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert not (lake / "bronze").exists()


def test_config_file_can_pick_the_datasets(datasets, lake: Path, tmp_path: Path) -> None:
    config = tmp_path / "cinelake.toml"
    folder = datasets.basics_path.parent
    config.write_text(
        f'source = "imdb-datasets"\nimdb_datasets_url = "{folder}"\n'
        'min_votes = 25000\ngenre = "Horror"\n'
    )
    shown = cli(
        "--config",
        str(config),
        "source",
        "show",
        "--top-n",
        "5",
        "--format",
        "json",
        "--data-dir",
        str(lake),
    )
    assert shown.exit_code == 0, shown.output
    assert [r["imdb_id"] for r in json.loads(shown.stdout)] == [
        e.tconst for e in reference_top(datasets, 5, 25_000, genre="Horror")
    ]


def history_file() -> Path | None:
    files = sorted(SHARED_HISTORY.glob("*.json")) if SHARED_HISTORY.is_dir() else []
    return files[-1] if files else None


@pytest.mark.skipif(history_file() is None, reason="../shared/data/top250-history not present")
def test_a_scrapers_daily_capture_runs_end_to_end(lake: Path) -> None:
    path = history_file()
    assert path is not None
    rows = sorted(json.loads(path.read_text()), key=lambda r: int(r["Rank"]))[:20]
    ids = [r["Movie Link"].split("/title/")[1].strip("/") for r in rows]
    sim = OmdbSimulator(synthetic.omdb_catalog(ids), SimulatorConfig(api_key=KEY))
    with sim.serve() as omdb:
        result = cli(
            "run",
            "--source",
            str(path),
            "--top-n",
            "20",
            "--omdb-url",
            omdb,
            "--data-dir",
            str(lake),
            "--rate-limit",
            "0",
            key=KEY,
        )
    assert result.exit_code == 0, result.output
    silver = query_json(
        lake, "select imdb_id, source_rank, source_rating from silver_movies order by source_rank"
    )
    assert silver == [
        {
            "imdb_id": i,
            "source_rank": int(r["Rank"]),
            "source_rating": float(r["IMDb Rating"]) if r.get("IMDb Rating") else None,
        }
        for i, r in zip(ids, rows, strict=True)
    ]


def test_source_show_of_a_list_in_each_format(tmp_path: Path) -> None:
    source = tmp_path / "top.csv"
    source.write_text(
        "Position,URL,Title,IMDb Rating\n2,https://www.imdb.com/title/tt0000002/,Plain,8.1\n"
        '1,https://www.imdb.com/title/tt0000001/,"=HYPERLINK(""x"")",9\n'
        "3,not-a-link,Lost,7\n"
    )
    as_json = cli("source", "show", "--source", str(source), "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [
        {
            "rank": 1,
            "imdb_id": "tt0000001",
            "title": '=HYPERLINK("x")',
            "year": None,
            "rating": 9.0,
            "votes": None,
        },
        {
            "rank": 2,
            "imdb_id": "tt0000002",
            "title": "Plain",
            "year": None,
            "rating": 8.1,
            "votes": None,
        },
    ]
    assert "rejected rank 3: 'not-a-link'" in as_json.stderr
    as_csv = cli("source", "show", "--source", str(source), "--format", "csv")
    assert (
        as_csv.stdout.splitlines()[1] == '1,tt0000001,"\'=HYPERLINK(""x"")",,9.0,'
    )  # never a formula
    table = cli("source", "show", "--source", str(source), "--top-n", "1")
    assert "tt0000001" in table.stdout and "tt0000002" not in table.stdout
    bad = cli("source", "show", "--source", str(tmp_path / "missing.csv"))
    assert bad.exit_code == 1 and "source file not found" in bad.stderr
