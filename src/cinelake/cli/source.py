"""`cinelake source`: the top list a run would use, without running anything."""

from __future__ import annotations

import typer

from cinelake.cli.context import clock, fail
from cinelake.cli.options import (
    DEFAULT_FORMAT,
    DataDir,
    Format,
    OptDatasetsUrl,
    OptFormat,
    OptGenre,
    OptMinVotes,
    OptSource,
    OptTopN,
    OptYearFrom,
    OptYearTo,
)
from cinelake.cli.preflight import settings_or_fail
from cinelake.cli.render import print_json, print_rejected, print_source_csv, print_source_table

source_app = typer.Typer(help="The top list a run would use.", no_args_is_help=True)


@source_app.command("show")
def source_show(
    source: OptSource = None,
    top_n: OptTopN = None,
    fmt: OptFormat = DEFAULT_FORMAT,
    imdb_datasets_url: OptDatasetsUrl = None,
    min_votes: OptMinVotes = None,
    genre: OptGenre = None,
    year_from: OptYearFrom = None,
    year_to: OptYearTo = None,
    data_dir: DataDir = None,
) -> None:
    """Print the list a run would use (rank, imdb_id, title, year, rating, votes); no pipeline."""
    from cinelake.sources.port import open_source  # lazy: httpx and pyarrow, for --help
    from cinelake.sources.top_list import SourceError

    settings = settings_or_fail(
        source=source,
        top_n=top_n,
        imdb_datasets_url=imdb_datasets_url,
        min_votes=min_votes,
        genre=genre,
        year_from=year_from,
        year_to=year_to,
        data_dir=data_dir,
    )
    try:
        src = open_source(None, settings, clock=clock())
        selection = src.select(settings.top_n)
    except SourceError as exc:
        fail(str(exc))
    rows = [
        {
            "rank": m.rank,
            "imdb_id": m.imdb_id,
            "title": m.title,
            "year": m.year,
            "rating": m.rating,
            "votes": m.votes,
        }
        for m in selection.movies
    ]
    if fmt is Format.json:
        print_json(rows)
    elif fmt is Format.csv:
        print_source_csv(rows)
    else:
        print_source_table(rows, src.label)
    print_rejected(selection.rejected)
