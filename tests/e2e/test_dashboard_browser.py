"""The offline dashboard in a real headless Chromium: charts drawn, filters work, no errors.

Needs the Python package `playwright` and Debian's `chromium` (/usr/bin/chromium); the
browser bundled by `playwright install` is never used. The README's picture is made by
`make docs` (scripts/dashboard_screenshot.py) from the demo lake, not by these tests.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cinelake.dashboard import HISTORY_WINDOW, render_dashboard, write_dashboard
from cinelake.gold.datasets import LATEST_DATASETS, build_gold
from cinelake.gold.export import parquet_bytes
from cinelake.silver.schema import arrow_schema
from tests.history_tables import history_tables, write_partitioned
from tests.quality_facts import clean_facts

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "/usr/bin/chromium is missing (apt-get install chromium) — browser test skipped",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the `playwright` Python package is not installed"
)

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHARTS = (
    "top_rated",
    "ratings_comparison",
    "movies_by_year",
    "box_office_by_year",
    "movies_by_genre",
    "top_directors",
    "movies_by_country",
    "awards_summary",
)
SNAPSHOT = date(2026, 1, 2)
GENERATED = datetime(2026, 1, 2, 6, 30, tzinfo=UTC)

US, UK, NZ, JP, FR = "United States", "United Kingdom", "New Zealand", "Japan", "France"
NOLAN = "Christopher Nolan"
# imdb_id, title, year, rating, votes, metascore, rotten tomatoes, runtime, genres,
# directors, countries, US box office, oscars won/nominated, other awards won/nominated
# fmt: off
FILMS = [
    ("tt0111161", "The Shawshank Redemption", 1994, 9.3, 3_000_000, 82, 89, 142, "Drama",
     "Frank Darabont", US, 28_767_189, 0, 7, 21, 43),
    ("tt0068646", "The Godfather", 1972, 9.2, 2_100_000, 100, 97, 175, "Crime,Drama",
     "Francis Ford Coppola", US, 136_381_073, 3, 11, 31, 31),
    ("tt0468569", "The Dark Knight", 2008, 9.0, 2_900_000, 84, 94, 152, "Action,Crime,Drama",
     NOLAN, f"{US},{UK}", 534_987_076, 2, 8, 164, 165),
    ("tt0071562", "The Godfather Part II", 1974, 9.0, 1_400_000, 90, 96, 202, "Crime,Drama",
     "Francis Ford Coppola", US, 47_962_683, 6, 11, 17, 28),
    ("tt0050083", "12 Angry Men", 1957, 9.0, 900_000, 97, 100, 96, "Crime,Drama",
     "Sidney Lumet", US, None, 0, 3, 17, 13),
    ("tt0167260", "The Lord of the Rings: The Return of the King", 2003, 9.0, 2_000_000, 94, 94,
     201, "Action,Adventure,Drama", "Peter Jackson", f"{NZ},{US}", 381_878_219, 11, 11, 215, 124),
    ("tt0108052", "Schindler's List", 1993, 9.0, 1_500_000, 95, 98, 195,
     "Biography,Drama,History", "Steven Spielberg", US, 96_898_818, 7, 12, 91, 49),
    ("tt0110912", "Pulp Fiction", 1994, 8.9, 2_200_000, 95, 92, 154, "Crime,Drama",
     "Quentin Tarantino", US, 107_928_762, 1, 7, 70, 75),
    ("tt0120737", "The Lord of the Rings: The Fellowship of the Ring", 2001, 8.9, 2_000_000, 92,
     92, 178, "Action,Adventure,Drama", "Peter Jackson", f"{NZ},{US}", 316_115_420, 4, 13, 125,
     127),
    ("tt0060196", "The Good, the Bad and the Ugly", 1966, 8.8, 800_000, 90, 97, 178,
     "Adventure,Western", "Sergio Leone", "Italy,Spain,West Germany", 25_100_000, 0, 0, 2, 5),
    ("tt0109830", "Forrest Gump", 1994, 8.8, 2_200_000, 82, 71, 142, "Drama,Romance",
     "Robert Zemeckis", US, 330_455_270, 6, 13, 50, 75),
    ("tt0137523", "Fight Club", 1999, 8.8, 2_400_000, 67, 79, 139, "Drama", "David Fincher",
     f"{US},Germany", 37_030_102, 0, 1, 11, 38),
    ("tt1375666", "Inception", 2010, 8.8, 2_600_000, 74, 87, 148, "Action,Adventure,Sci-Fi",
     NOLAN, f"{US},{UK}", 292_587_330, 4, 8, 159, 220),
    ("tt0167261", "The Lord of the Rings: The Two Towers", 2002, 8.8, 1_800_000, 87, 95, 179,
     "Action,Adventure,Drama", "Peter Jackson", f"{NZ},{US}", 345_518_923, 2, 6, 138, 138),
    ("tt0080684", "Star Wars: Episode V - The Empire Strikes Back", 1980, 8.7, 1_400_000, 82, 95,
     124, "Action,Adventure,Fantasy", "Irvin Kershner", US, 292_753_960, 1, 3, 26, 24),
    ("tt0133093", "The Matrix", 1999, 8.7, 2_100_000, 73, 83, 136, "Action,Sci-Fi",
     "Lana Wachowski,Lilly Wachowski", f"{US},Australia", 172_076_928, 4, 4, 42, 51),
    ("tt0099685", "Goodfellas", 1990, 8.7, 1_300_000, 92, 94, 145, "Biography,Crime,Drama",
     "Martin Scorsese", US, 46_909_721, 1, 6, 44, 38),
    ("tt0816692", "Interstellar", 2014, 8.7, 2_200_000, 74, 73, 169, "Adventure,Drama,Sci-Fi",
     NOLAN, f"{US},{UK},Canada", 188_020_017, 1, 5, 44, 148),
    ("tt0073486", "One Flew Over the Cuckoo's Nest", 1975, 8.7, 1_100_000, 84, 93, 133, "Drama",
     "Milos Forman", US, 108_981_275, 5, 9, 38, 15),
    ("tt0114369", "Se7en", 1995, 8.6, 1_800_000, 65, 83, 127, "Crime,Drama,Mystery",
     "David Fincher", US, 100_125_643, 0, 1, 29, 43),
    ("tt0038650", "It's a Wonderful Life", 1946, 8.6, 500_000, 89, 94, 130,
     "Drama,Family,Fantasy", "Frank Capra", US, None, 0, 5, 4, 7),
    ("tt0047478", "Seven Samurai", 1954, 8.6, 370_000, 98, 100, 207, "Action,Drama",
     "Akira Kurosawa", JP, 269_061, 0, 2, 5, 8),
    ("tt0102926", "The Silence of the Lambs", 1991, 8.6, 1_600_000, 86, 95, 118,
     "Crime,Drama,Thriller", "Jonathan Demme", US, 130_742_922, 5, 7, 69, 51),
    ("tt0120815", "Saving Private Ryan", 1998, 8.6, 1_500_000, 91, 94, 169, "Drama,War",
     "Steven Spielberg", US, 217_049_603, 5, 11, 79, 75),
    ("tt0317248", "City of God", 2002, 8.6, 800_000, 79, 91, 130, "Crime,Drama",
     "Fernando Meirelles,Kátia Lund", f"Brazil,{FR},Germany", 7_564_459, 0, 4, 77, 47),
    ("tt0118799", "Life Is Beautiful", 1997, 8.6, 750_000, 59, 80, 116, "Comedy,Drama,Romance",
     "Roberto Benigni", "Italy", 57_598_247, 3, 7, 70, 54),
    ("tt0245429", "Spirited Away", 2001, 8.6, 900_000, 96, 96, 125,
     "Animation,Adventure,Family", "Hayao Miyazaki", JP, 15_205_725, 1, 1, 58, 31),
    ("tt6751668", "Parasite", 2019, 8.5, 1_000_000, 96, 99, 132, "Drama,Thriller",
     "Bong Joon Ho", "South Korea", 53_369_749, 4, 6, 310, 267),
    ("tt0110413", "Léon: The Professional", 1994, 8.5, 1_200_000, 64, 73, 110,
     "Action,Crime,Drama", "Luc Besson", f"{FR},{US}", 19_501_238, 0, 0, 5, 16),
    ("tt0110357", "The Lion King", 1994, 8.5, 1_100_000, 88, 93, 88,
     "Animation,Adventure,Drama", "Roger Allers,Rob Minkoff", US, 424_979_720, 2, 4, 39, 35),
    ("tt0172495", "Gladiator", 2000, 8.5, 1_600_000, 67, 79, 155, "Action,Adventure,Drama",
     "Ridley Scott", f"{US},{UK},Malta,Morocco", 187_705_427, 5, 12, 59, 106),
    ("tt0407887", "The Departed", 2006, 8.5, 1_400_000, 85, 91, 151, "Crime,Drama,Thriller",
     "Martin Scorsese", f"{US},Hong Kong", 132_399_394, 4, 5, 97, 141),
    ("tt0482571", "The Prestige", 2006, 8.5, 1_400_000, 66, 76, 130, "Drama,Mystery,Sci-Fi",
     NOLAN, f"{US},{UK}", 53_089_891, 0, 2, 6, 45),
    ("tt0034583", "Casablanca", 1942, 8.5, 600_000, 100, 99, 102, "Drama,Romance,War",
     "Michael Curtiz", US, 4_219_709, 3, 8, 13, 12),
    ("tt0095327", "Grave of the Fireflies", 1988, 8.5, 300_000, 94, 100, 89,
     "Animation,Drama,War", "Isao Takahata", JP, None, None, None, None, None),
    ("tt2582802", "Whiplash", 2014, 8.5, 1_000_000, 89, 94, 106, "Drama,Music",
     "Damien Chazelle", US, 13_092_000, 3, 5, 99, 145),
    ("tt0054215", "Psycho", 1960, 8.5, 700_000, 97, 97, 109, "Horror,Mystery,Thriller",
     "Alfred Hitchcock", US, 32_000_000, 0, 4, 7, 14),
    ("tt0047396", "Rear Window", 1954, 8.5, 520_000, 100, 99, 112, "Mystery,Thriller",
     "Alfred Hitchcock", US, 36_764_313, 0, 4, 5, 12),
    ("tt0021749", "City Lights", 1931, 8.5, 200_000, 99, 95, 87, "Comedy,Drama,Romance",
     "Charles Chaplin", US, 19_181, 0, 0, 2, 1),
    ("tt1345836", "The Dark Knight Rises", 2012, 8.4, 1_800_000, 78, 87, 164, "Action,Drama",
     NOLAN, f"{US},{UK}", 448_149_584, 0, 0, 39, 103),
    ("tt4154796", "Avengers: Endgame", 2019, 8.4, 1_300_000, 78, 94, 181,
     "Action,Adventure,Drama", "Anthony Russo,Joe Russo", US, 858_373_000, 0, 1, 70, 133),
    ("tt15398776", "Oppenheimer", 2023, 8.3, 900_000, 90, 93, 180, "Biography,Drama,History",
     NOLAN, f"{US},{UK}", 330_078_895, 7, 13, 376, 445),
    ("tt0910970", "WALL·E", 2008, 8.4, 1_200_000, 95, 95, 98, "Animation,Adventure,Family",
     "Andrew Stanton", US, 223_808_164, 1, 6, 95, 96),
    ("tt0209144", "Memento", 2000, 8.4, 1_300_000, 83, 93, 113, "Mystery,Thriller", NOLAN, US,
     25_544_867, 0, 2, 57, 59),
    ("tt0081505", "The Shining", 1980, 8.4, 1_100_000, 66, 83, 146, "Drama,Horror",
     "Stanley Kubrick", f"{UK},{US}", 45_634_352, 0, 0, 6, 8),
    ("tt0057012", "Dr. Strangelove", 1964, 8.4, 500_000, 97, 98, 95, "Comedy,War",
     "Stanley Kubrick", f"{UK},{US}", 275_902, 0, 4, 13, 9),
    ("tt0066921", "A Clockwork Orange", 1971, 8.2, 900_000, 77, 86, 136, "Crime,Sci-Fi",
     "Stanley Kubrick", f"{UK},{US}", 26_589_355, 0, 4, 12, 27),
]
# fmt: on

# The silver contract, from its one definition (snapshot_date included, as the view has it).
SILVER_SCHEMA = arrow_schema(include_partition=True)


def silver_rows(films) -> list[dict]:
    rows = []
    for rank, f in enumerate(films, start=1):
        (
            imdb_id,
            title,
            year,
            rating,
            votes,
            meta,
            rt,
            runtime,
            genres,
            directors,
            countries,
            box,
            ow,
            on,
            aw,
            an,
        ) = f
        row = {name: None for name in SILVER_SCHEMA.names}
        row.update(
            imdb_id=imdb_id,
            snapshot_date=SNAPSHOT,
            run_id="run-e2e",
            source_rank=rank,
            title=title,
            type="movie",
            year=year,
            runtime_minutes=runtime,
            genres=genres.split(","),
            directors=directors.split(","),
            writers=[],
            actors=[],
            languages=["English"],
            countries=countries.split(","),
            imdb_rating=rating,
            imdb_votes=votes,
            metascore=meta,
            rotten_tomatoes=rt,
            box_office_usd=box,
            oscar_wins=ow,
            oscar_nominations=on,
            award_wins=aw,
            award_nominations=an,
            ingested_at=GENERATED,
        )
        rows.append(row)
    return rows


def gold_from(films) -> dict[str, pa.Table]:
    con = duckdb.connect()
    con.register("silver_rows", pa.Table.from_pylist(silver_rows(films), schema=SILVER_SCHEMA))
    con.execute("CREATE VIEW silver_movies AS SELECT * FROM silver_rows")
    return build_gold(con, LATEST_DATASETS)  # the history datasets come from each test


# ---------------------------------------------------------------- browser plumbing


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Page:
    """A page that records console errors, page errors and any network request."""

    def __init__(self, browser, path: Path, width: int = 1280):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}")
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.on(
            "request",
            lambda r: r.url.startswith(("file:", "data:")) or self.requests.append(r.url),
        )
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def shown(self) -> int:
        return int(self.page.get_attribute("#movie-count", "data-shown"))

    def marks(self, chart: str) -> int:
        return self.page.locator(f'svg[data-chart="{chart}"] .mark').count()

    def kpi(self, key: str) -> str | None:
        return self.page.get_attribute(f'[data-kpi="{key}"] .value', "data-value")

    def close(self):
        self.context.close()


def films_with(predicate) -> list[tuple]:
    return [f for f in FILMS if predicate(f)]


# ---------------------------------------------------------------- tests


def test_dashboard_draws_every_chart_filters_and_screenshot(browser, tmp_path):
    gold = gold_from(FILMS)
    gold_dir = tmp_path / "gold"
    for name, table in gold.items():
        folder = gold_dir / name
        folder.mkdir(parents=True)
        (folder / "part-0.parquet").write_bytes(parquet_bytes(table))
    html_path = write_dashboard(gold_dir, tmp_path / "dashboard.html", generated_at=GENERATED)
    text = html_path.read_text(encoding="utf-8")
    assert "<script src" not in text and '<link rel="stylesheet"' not in text
    assert "https://cdn" not in text

    view = Page(browser, html_path)
    try:
        page = view.page
        total = len(FILMS)
        assert view.shown() == total
        assert page.get_attribute("#movie-count", "data-total") == str(total)
        assert page.text_content("#snapshot-date") == SNAPSHOT.isoformat()
        for chart in CHARTS:
            assert view.marks(chart) > 0, f"chart {chart} has no bars/points"
        assert view.marks("top_rated") == 15
        assert page.locator("#movie-table tbody tr").count() == total

        # unfiltered figures computed in the page equal the gold KPIs
        (kpis,) = gold["kpis"].to_pylist()
        assert int(view.kpi("movies")) == kpis["movies"]
        assert int(view.kpi("oscar_wins")) == kpis["oscar_wins"]
        assert int(view.kpi("total_box_office_usd")) == kpis["total_box_office_usd"]
        assert float(view.kpi("avg_imdb_rating")) == pytest.approx(kpis["avg_imdb_rating"])
        assert page.text_content('[data-kpi="top_movie_title"] .value') == kpis["top_movie_title"]
        for row in gold["ratings_correlation"].to_pylist():
            chip = page.text_content(f'[data-pair="{row["pair"]}"] strong')
            assert float(chip) == pytest.approx(row["correlation"], abs=0.006)
        genres_drawn = page.locator('svg[data-chart="movies_by_genre"] .mark').count()
        assert genres_drawn == min(16, gold["movies_by_genre"].num_rows)

        # a genre filter: fewer movies, and exactly the ones of that genre
        animation = films_with(lambda f: "Animation" in f[8].split(","))
        page.select_option("#filter-genre", "Animation")
        assert view.shown() == len(animation) < total
        assert page.locator("#movie-table tbody tr").count() == len(animation)
        assert view.marks("top_rated") == len(animation)
        assert "Genre: Animation" in page.text_content("#active-filters")
        assert int(view.kpi("movies")) == len(animation)

        # director + year range on top
        page.select_option("#filter-genre", "")
        page.select_option("#filter-director", NOLAN)
        nolan = films_with(lambda f: NOLAN in f[9].split(","))
        assert view.shown() == len(nolan)
        page.fill("#filter-year-from", "2005")
        page.fill("#filter-year-to", "2015")
        page.dispatch_event("#filter-year-to", "change")
        recent = [f for f in nolan if 2005 <= f[2] <= 2015]
        assert view.shown() == len(recent) < len(nolan)
        assert "Years 2005–2015" in page.text_content("#active-filters")
        page.select_option("#filter-country", "Japan")
        assert view.shown() == 0
        assert page.locator('[data-chart-for="top_rated"] .empty').count() == 1

        # reset, then the screenshot people will see
        page.click("#filter-reset")
        assert view.shown() == total
        screenshot = tmp_path / "dashboard.png"  # never into the working tree
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 10_000

        assert view.errors == []
        assert view.requests == []
    finally:
        view.close()


# fmt: off
NASTY = [
    ("tt9000001", "</script><script>window.__pwned = 1</script>", 2001, 9.9, 10, 50, 50, 90,
     "Drama", "</script>", "<b>bold</b>", 1, 1, 1, 1, 1),
    ("tt9000002", "<img src=x onerror=\"window.__pwned = 2\">", 2002, 9.8, 10, 60, 40, 90,
     "Drama,<svg onload=alert(1)>", "=HYPERLINK(\"x\")", US, 2, 0, 1, 0, 0),
    ("tt9000003", "=LOL", 2003, 7.0, 10, 70, 80, 90, "Comedy", "-1", US, 3, 0, 0, 0, 0),
    ("tt9000004", "-1 & <!-- \u2028 \"quoted\" {{DATA}}", 2004, 6.0, 10, 80, 70, 90, "Comedy",
     "@mention", FR, 4, 0, 0, 0, 0),
]
# fmt: on


def test_hostile_titles_are_shown_as_text(browser, tmp_path):
    path = tmp_path / "nasty.html"
    path.write_text(render_dashboard(gold_from(NASTY), generated_at=GENERATED), "utf-8")
    view = Page(browser, path, width=900)
    try:
        page = view.page
        assert page.evaluate("window.__pwned === undefined")
        assert view.shown() == len(NASTY)
        cells = page.locator("#movie-table td.title a").all_text_contents()
        assert cells == [f[1] for f in NASTY]
        assert page.locator("#movie-table img").count() == 0
        assert page.locator("main script").count() == 0
        for chart in ("top_rated", "ratings_comparison", "movies_by_genre"):
            assert view.marks(chart) > 0
        assert view.errors == []
        assert view.requests == []
    finally:
        view.close()


def test_empty_gold_shows_the_no_data_state(browser, tmp_path):
    path = tmp_path / "empty.html"
    path.write_text(render_dashboard(gold_from([]), generated_at=GENERATED), "utf-8")
    view = Page(browser, path)
    try:
        page = view.page
        assert page.is_visible("#no-data")
        assert not page.is_visible("#charts")
        assert view.shown() == 0
        assert page.text_content('[data-kpi="movies"] .value') == "0"
        assert view.errors == []
    finally:
        view.close()


def test_missing_gold_directory_still_renders(browser, tmp_path):
    out = write_dashboard(
        tmp_path / "nothing-here", tmp_path / "out" / "d.html", generated_at=GENERATED
    )
    view = Page(browser, out)
    try:
        assert view.page.is_visible("#no-data")
        assert re.fullmatch(
            r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", view.page.text_content("#generated-at")
        )
        assert view.errors == []
    finally:
        view.close()


def test_oscars_without_known_nominations_never_read_eleven_of_zero(browser, tmp_path):
    # "Won 11 Oscars." names no nominations: the chart says "11 won", not "11 / 0".
    lotr = next(f for f in FILMS if f[0] == "tt0167260")
    films = [f if f is not lotr else (*f[:13], None, *f[14:]) for f in FILMS]
    path = tmp_path / "oscars.html"
    path.write_text(render_dashboard(gold_from(films), generated_at=GENERATED), "utf-8")
    view = Page(browser, path)
    try:
        chart = view.page.text_content('svg[data-chart="awards_summary"]')
        assert "11 won" in chart and "11 / 0" not in chart
        assert "6 / 11" in chart  # known nominations still read "won / nominated"
        assert view.errors == []
    finally:
        view.close()


# ---------------------------------------------------------------- history


def film_days(count: int, size: int, seed: int = 11) -> dict[date, list[str]]:
    """``count`` daily top lists of ``size`` FILMS: each day a few swaps, one exit, one entry
    (often a movie that was in before)."""
    rng = random.Random(seed)
    ids = [f[0] for f in FILMS]
    order, out = ids[:size], ids[size:]
    days = {}
    for n in range(count):
        if n:
            for _ in range(4):
                i = rng.randrange(size - 1)
                order[i], order[i + 1] = order[i + 1], order[i]
            out.append(order.pop(rng.randrange(size)))
            order.insert(rng.randrange(size), out.pop(rng.randrange(len(out) - 1)))
        days[SNAPSHOT - timedelta(days=count - 1 - n)] = list(order)
    return days


def test_history_panels_show_a_chosen_days_movers_and_a_trajectory(browser, tmp_path):
    days = film_days(100, 30)
    history = history_tables(days, titles={f[0]: f[1] for f in FILMS})
    gold_dir = tmp_path / "gold"
    for name, table in gold_from(FILMS).items():
        (gold_dir / name).mkdir(parents=True)
        (gold_dir / name / "data.parquet").write_bytes(parquet_bytes(table))
    write_partitioned(gold_dir, history)
    html_path = write_dashboard(gold_dir, tmp_path / "dashboard.html", generated_at=GENERATED)

    dates = sorted(days)
    window = dates[-HISTORY_WINDOW:]
    chosen = window[-6]
    movers = history["movers"].filter(pc.equal(history["movers"]["snapshot_date"], chosen))
    rows = movers.to_pylist()

    def titles(status: str) -> set[str]:
        return {r["title"] for r in rows if r["status"] == status}

    view = Page(browser, html_path)
    try:
        page = view.page
        assert f"last {HISTORY_WINDOW} of {len(dates)} snapshots" in page.text_content(
            "#history-note"
        )
        assert page.input_value("#history-date") == dates[-1].isoformat()  # newest by default
        assert page.is_visible("#history-date")

        page.select_option("#history-date", chosen.isoformat())
        panel = page.locator("#movers-panel")
        assert panel.get_attribute("data-date") == chosen.isoformat()
        assert (dates[dates.index(chosen) - 1]).isoformat() in page.text_content("#movers-hint")
        for status in ("new", "up", "down", "same", "exited"):
            shown = page.get_attribute(f'#movers-counts [data-status="{status}"]', "data-count")
            assert int(shown) == sum(r["status"] == status for r in rows), status
        listed = page.locator('[data-movers="new"] li .t').all_text_contents()
        assert set(listed) == titles("new") and listed
        exits = page.locator('[data-movers="exited"] li .t').all_text_contents()
        assert set(exits) == titles("exited") and exits
        climbers = [r for r in rows if r["status"] == "up"]
        if climbers:
            best = max(r["rank_change"] for r in climbers)
            first = page.locator('[data-movers="up"] li .t').first.text_content()
            assert first in {r["title"] for r in climbers if r["rank_change"] == best}

        # entered in the 30 days up to the chosen day (the lake's first day is no entry)
        entered = [
            r
            for r in history["movers"].to_pylist()
            if r["status"] == "new"
            and r["previous_snapshot_date"] is not None
            and timedelta(0) <= chosen - r["snapshot_date"] < timedelta(days=30)
        ]
        assert int(page.get_attribute("#entered-list", "data-count")) == len(entered) > 0
        assert page.locator("#entered-list tbody tr").count() == len(entered)

        # a movie's trajectory: one point per day in the list, a gap per absence
        def runs(imdb_id: str) -> tuple[int, int]:
            inside = [imdb_id in days[d] for d in window]
            starts = sum(1 for i, on in enumerate(inside) if on and (i == 0 or not inside[i - 1]))
            return sum(inside), starts

        subject = max((f[0] for f in FILMS), key=lambda i: (runs(i)[1], i))
        points, starts = runs(subject)
        assert starts > 1  # it left and came back
        page.fill("#trajectory-search", subject)
        chart = page.locator('svg[data-chart="rank_trajectory"]')
        assert page.input_value("#trajectory-movie") != ""
        assert chart.locator("circle.mark").count() == points
        assert chart.get_attribute("data-runs") == str(starts)
        title = next(f[1] for f in FILMS if f[0] == subject)
        assert title in page.text_content("#trajectory-hint")

        # a title in the movers panel opens its trajectory
        page.locator('[data-movers="exited"] li .t').first.click()
        exited = exits[0]
        assert page.text_content("#trajectory-hint").startswith(exited + ":")
        # and from the keyboard, a title in the entries table
        entry = page.locator("#entered-list tbody .pick").first
        entry.focus()
        page.keyboard.press("Enter")
        assert page.text_content("#trajectory-hint").startswith(entry.text_content() + ":")

        screenshot = tmp_path / "history.png"
        page.locator("#history").screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 10_000
        assert view.errors == []
        assert view.requests == []
    finally:
        view.close()


def test_without_history_the_page_says_so(browser, tmp_path):
    path = tmp_path / "no-history.html"
    path.write_text(render_dashboard(gold_from(FILMS), generated_at=GENERATED), "utf-8")
    view = Page(browser, path)
    try:
        assert view.page.text_content("#history-note").startswith("No history yet")
        assert not view.page.is_visible("#history-panels")
        assert not view.page.is_visible("#history-date")
        assert view.shown() == len(FILMS)
        assert view.errors == []
    finally:
        view.close()


def quality_gold(days: list[tuple[str, int]]) -> dict[str, pa.Table]:
    """gold data_quality and data_quality_checks for days of (date, source list length), top 100
    asked for: as the gold stage computes them from the silver stage's figures."""
    from cinelake.gold.datasets import dataset
    from cinelake.stages.quality import quality_tables

    facts = [clean_facts(d, n, dead_lettered=2 if d == days[-1][0] else 0) for d, n in days]
    summary, checks = quality_tables(facts)
    return {
        "data_quality": pa.Table.from_pylist(summary, dataset("data_quality").schema),
        "data_quality_checks": pa.Table.from_pylist(checks, dataset("data_quality_checks").schema),
    }


def test_quality_panel_shows_todays_verdict_its_failing_checks_and_the_trend(browser, tmp_path):
    # Day 1 clean, day 2 a list of 97 of the top 100 (warn), day 3 a list of 60 and two
    # movies dead-lettered (fail: coverage, shrink; warn: dead_lettered).
    days = [("2026-01-01", 100), ("2026-01-02", 97), ("2026-01-03", 60)]
    gold_dir = tmp_path / "gold"
    for name, table in (gold_from(FILMS) | quality_gold(days)).items():
        folder = gold_dir / name
        folder.mkdir(parents=True)
        (folder / "part-0.parquet").write_bytes(parquet_bytes(table))
    path = write_dashboard(gold_dir, tmp_path / "quality.html", generated_at=GENERATED)
    view = Page(browser, path)
    try:
        page = view.page
        assert page.is_visible("#quality-verdict")
        assert page.text_content("#quality-status") == "fail"
        assert page.get_attribute("#quality-status", "data-status") == "fail"
        assert page.text_content("#quality-date") == "snapshot 2026-01-03"
        assert page.text_content("#quality-note") == "3 checks did not pass:"
        items = page.locator("#quality-failing li")
        shown = {
            items.nth(i).locator("strong").text_content(): items.nth(i).get_attribute("data-status")
            for i in range(items.count())
        }
        assert shown == {
            "source_list_coverage": "fail",
            "list_shrink": "fail",
            "dead_lettered": "warn",
        }
        assert "0.6 (fail: below 0.9)" in items.nth(0).text_content()
        assert page.text_content("#quality-trend-note") == (
            "Verdict per snapshot, oldest first (3 snapshots)"
        )
        cells = page.locator("#quality-trend .quality-day")
        assert [cells.nth(i).get_attribute("data-status") for i in range(cells.count())] == [
            "pass",
            "warn",
            "fail",
        ]
        assert cells.nth(1).get_attribute("title") == "2026-01-02: warn"
        # The colours say it too: a failing day is not drawn like a passing one.
        colour = "(e) => getComputedStyle(e).backgroundColor"
        assert cells.nth(0).evaluate(colour) != cells.nth(2).evaluate(colour)
        assert view.errors == []
        assert view.requests == []
    finally:
        view.close()


def test_without_a_verdict_the_quality_panel_says_so(browser, tmp_path):
    path = tmp_path / "no-quality.html"
    path.write_text(render_dashboard(gold_from(FILMS), generated_at=GENERATED), "utf-8")
    view = Page(browser, path)
    try:
        assert view.page.text_content("#quality-note").startswith("No verdict yet")
        assert not view.page.is_visible("#quality-verdict")
        assert view.page.locator("#quality-trend .quality-day").count() == 0
        assert view.errors == []
    finally:
        view.close()


def test_a_long_list_shows_its_top_movies_and_says_it_is_a_subset(browser, tmp_path):
    from cinelake.dashboard.render import DETAIL_MOVIES

    total = DETAIL_MOVIES + 250
    rows = [
        {
            "rank": i + 1,
            "imdb_id": f"tt{7_000_000 + i:07d}",
            "title": f"Long list movie {i}",
            "year": 1960 + i % 60,
            "imdb_rating": round(9.5 - i / total, 2),
            "imdb_votes": 50_000 + i,
            "genres": ["Drama", "Crime"] if i % 2 else ["Comedy"],
            "countries": [US],
            "directors": [f"Director {i % 50}"],
        }
        for i in range(total)
    ]
    path = tmp_path / "long.html"
    path.write_text(render_dashboard({}, movies=rows, generated_at=GENERATED), "utf-8")
    view = Page(browser, path)
    try:
        page = view.page
        assert page.is_visible("#subset-note")
        note = page.text_content("#subset-note")
        assert f"Showing the top {DETAIL_MOVIES:,} of {total:,} movies" in note
        assert page.get_attribute("#subset-note", "data-total") == str(total)
        assert view.shown() == DETAIL_MOVIES
        assert view.marks("top_rated") > 0
        assert view.errors == []
    finally:
        view.close()

    # a list that fits says nothing of the kind
    short = tmp_path / "short.html"
    short.write_text(render_dashboard({}, movies=rows[:40], generated_at=GENERATED), "utf-8")
    view = Page(browser, short)
    try:
        assert not view.page.is_visible("#subset-note")
        assert view.shown() == 40
        assert view.errors == []
    finally:
        view.close()
