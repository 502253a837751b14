"""The offline dashboard: one self-contained HTML file built from the gold datasets.

How the per-movie rows reach the page: the gold ``top_rated`` dataset is the movie list. It
carries everything the filters and charts need (year, ratings, votes, runtime, genres,
countries, directors as ", "-joined strings, box office, Oscars and awards), so a dashboard
needs nothing but gold. The page embeds those rows as JSON and recomputes every aggregate in
the browser under the active filters (year range, genre, country, director); the embedded
gold ``kpis`` only supply the snapshot date, and the row counts of every gold dataset are
listed in the footer. A ``movies`` argument (a table or rows with the same columns, lists
allowed) can replace ``top_rated`` as the movie list.

Safety: the data block is JSON inside ``<script type="application/json">`` with ``<``, ``>``
and ``&`` escaped as ``\\u003c`` etc., so no title can close the script tag; the page's JS only
writes untrusted strings with ``textContent``; a Content-Security-Policy forbids any network
access (everything is inlined).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "MOVIE_FIELDS",
    "dashboard_payload",
    "read_gold_dir",
    "render_dashboard",
    "write_dashboard",
]

DEFAULT_TITLE = "cinelake"

# What the page needs per movie (columns of gold top_rated).
MOVIE_FIELDS: tuple[str, ...] = (
    "rank",
    "imdb_id",
    "title",
    "year",
    "imdb_rating",
    "imdb_votes",
    "metascore",
    "rotten_tomatoes",
    "runtime_minutes",
    "genres",
    "countries",
    "directors",
    "box_office_usd",
    "oscar_wins",
    "oscar_nominations",
    "award_wins",
    "award_nominations",
)
_LIST_FIELDS = frozenset({"genres", "countries", "directors"})
_PLACEHOLDER = re.compile(r"\{\{(TITLE|CSS|JS|DATA)\}\}")


# --------------------------------------------------------------------------------------------
# Payload
# --------------------------------------------------------------------------------------------


def _rows(source: pa.Table | Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(source, pa.Table):
        return source.to_pylist()
    return list(source)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(", ")
    return [str(v).strip() for v in value if v is not None and str(v).strip()]


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _movie(row: Mapping[str, Any], index: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in MOVIE_FIELDS:
        value = row.get(name)
        out[name] = _as_list(value) if name in _LIST_FIELDS else _scalar(value)
    if out["rank"] is None:
        out["rank"] = index + 1
    return out


def _first_row(table: pa.Table | None) -> dict[str, Any] | None:
    if table is None or table.num_rows == 0:
        return None
    return {k: _scalar(v) for k, v in table.slice(0, 1).to_pylist()[0].items()}


def _snapshot_date(tables: Mapping[str, pa.Table], movies: list[Mapping[str, Any]]) -> str | None:
    kpis = _first_row(tables.get("kpis"))
    if kpis and kpis.get("snapshot_date"):
        return str(kpis["snapshot_date"])
    dates = [_scalar(m.get("snapshot_date")) for m in movies if m.get("snapshot_date")]
    return str(max(dates)) if dates else None


def dashboard_payload(
    tables: Mapping[str, pa.Table],
    *,
    generated_at: datetime,
    movies: pa.Table | Iterable[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON document embedded in the page (also handy for tests)."""
    if movies is None:
        top = tables.get("top_rated")
        source_rows = _rows(top) if top is not None else []
    else:
        source_rows = _rows(movies)
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    return {
        "meta": {
            "generated_at": generated_at.isoformat(),
            "generated_at_display": generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "snapshot_date": _snapshot_date(tables, source_rows),
        },
        "datasets": {name: table.num_rows for name, table in tables.items()},
        "kpis": _first_row(tables.get("kpis")),
        "movies": [_movie(row, i) for i, row in enumerate(source_rows)],
    }


def _script_json(payload: Any) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' survive literally."""
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("cinelake.dashboard").joinpath(name).read_text(encoding="utf-8")


def render_dashboard(
    tables: Mapping[str, pa.Table],
    *,
    generated_at: datetime,
    movies: pa.Table | Iterable[Mapping[str, Any]] | None = None,
    title: str = DEFAULT_TITLE,
) -> str:
    """One self-contained, offline HTML page for the gold ``tables`` ({dataset name: table}).

    The movie list is ``tables["top_rated"]`` unless ``movies`` is given. Missing or empty
    tables give the page's "no data" state instead of an error.
    """
    css, js = _asset("dashboard.css"), _asset("dashboard.js")
    if "</style" in css.lower() or "</script" in js.lower():
        raise ValueError("dashboard assets must not contain closing style/script tags")
    values = {
        "TITLE": html.escape(title),
        "CSS": css,
        "JS": js,
        "DATA": _script_json(dashboard_payload(tables, generated_at=generated_at, movies=movies)),
    }
    # One pass: replaced text is never scanned again, so data cannot inject a placeholder.
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _asset("template.html"))


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _dataset_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.parquet"))
    if files:
        return files
    nested = sorted(p for p in folder.rglob("*.parquet") if p.is_file())
    if not nested:
        return []
    last = max(p.parent for p in nested)  # e.g. snapshot_date=YYYY-MM-DD sorts by date
    return [p for p in nested if p.parent == last]


def read_gold_dir(gold_dir: Path) -> dict[str, pa.Table]:
    """Gold tables found under ``gold_dir``: ``<dataset>/*.parquet`` for every known dataset.

    When a dataset folder has no Parquet file directly inside it, the files of its
    lexicographically last sub-folder holding Parquet are used (e.g. the latest
    ``snapshot_date=YYYY-MM-DD/``). Datasets without files are left out.
    """
    from cinelake.gold.datasets import DATASETS  # local: the dashboard needs gold only here

    tables: dict[str, pa.Table] = {}
    for ds in DATASETS:
        files = _dataset_files(Path(gold_dir) / ds.name)
        if not files:
            continue
        parts = [pq.read_table(f) for f in files]
        table = parts[0] if len(parts) == 1 else pa.concat_tables(parts, promote_options="default")
        tables[ds.name] = table
    return tables


def write_dashboard(
    gold_dir: Path,
    output: Path,
    movies: pa.Table | None = None,
    *,
    generated_at: datetime,
    title: str = DEFAULT_TITLE,
) -> Path:
    """Render the dashboard from the gold Parquet files under ``gold_dir`` into ``output``.

    The per-movie rows come from gold ``top_rated`` unless ``movies`` is given.
    """
    page = render_dashboard(
        read_gold_dir(gold_dir),
        generated_at=generated_at,
        movies=movies,
        title=title,
    )
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    return output
