"""Top lists users bring: the IMDb-API shape, a JSON array of objects, or a CSV with a header.

A row needs a rank and an IMDb id or title URL, under any of the common key names
(matched ignoring case, spaces, `_` and `-`): `id`, `imdb_id`, `tconst`, `const`, `link`,
`url`, `Movie Link`, ...; `rank`, `Rank`, `position`, ... Numbers may be JSON numbers or
strings. Title, year, rating and votes are read when present under a known name.

Which key holds what is decided once per file, from all of its rows, so a file either
reads the same way throughout or is refused with a one-line error naming what is missing
or which keys compete.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from typing import Any

from cinelake.sources.fields import imdb_id_of, rank_of
from cinelake.sources.top_list import Columns, Selection, SourceError, items_of, select_top

# Candidate key names, normalised (see _norm), best first.
ID_KEYS = (
    "imdbid",
    "tconst",
    "const",
    "id",
    "movielink",
    "titlelink",
    "link",
    "url",
    "imdburl",
    "imdblink",
    "href",
)
RANK_KEYS = ("rank", "position", "pos", "ranking", "#")
TITLE_KEYS = ("title", "moviename", "name", "primarytitle", "movietitle", "movie", "originaltitle")
YEAR_KEYS = ("year", "startyear", "releaseyear", "movieyear")
RATING_KEYS = ("imdbrating", "rating", "averagerating", "movierating", "score")
VOTES_KEYS = (
    "imdbratingcount",
    "numvotes",
    "votes",
    "imdbvotes",
    "numberofvotes",
    "ratingcount",
    "votecount",
)

SHOWN_ID_KEYS = "id, imdb_id, tconst, link, url, Movie Link"
SHOWN_RANK_KEYS = "rank, Rank, position"
MAX_ROWS = 1_000_000


def _norm(key: str) -> str:
    return re.sub(r"[\s_\-]+", "", key).lower()


def _keys_in(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for k in row:
            seen.setdefault(str(k), None)
    return list(seen)


def _candidates(keys: list[str], wanted: Iterable[str]) -> list[str]:
    """The row keys whose normalised name is in `wanted`, in `wanted`'s order."""
    by_norm: dict[str, list[str]] = {}
    for k in keys:
        by_norm.setdefault(_norm(k), []).append(k)
    return [k for w in wanted for k in by_norm.get(w, [])]


def _shown(keys: list[str]) -> str:
    listed = ", ".join(repr(k)[:30] for k in keys[:8])
    return listed + (", …" if len(keys) > 8 else "") if keys else "none"


def _pick(rows: list[dict[str, Any]], candidates: list[str], reads: Any, what: str) -> str | None:
    """The one candidate key that `reads` on some row; two that read and disagree are ambiguous."""
    usable = [k for k in candidates if any(reads(r.get(k)) is not None for r in rows)]
    if not usable:
        return None
    best = usable[0]
    for other in usable[1:]:
        for i, row in enumerate(rows, 1):
            a, b = reads(row.get(best)), reads(row.get(other))
            if a is not None and b is not None and a != b:
                raise SourceError(
                    f"ambiguous list: both {best!r} and {other!r} look like the {what} "
                    f"and they differ on row #{i} ({str(a)[:20]} vs {str(b)[:20]})"
                )
    return best


def columns_for(rows: list[dict[str, Any]]) -> Columns:
    """Which keys of these rows hold the rank, the id and the informative figures."""
    keys = _keys_in(rows)
    id_key = _pick(rows, _candidates(keys, ID_KEYS), imdb_id_of, "IMDb id")
    rank_candidates = _candidates(keys, RANK_KEYS)
    rank_key = _pick(
        rows, rank_candidates, lambda v: None if isinstance(rank_of(v), str) else rank_of(v), "rank"
    )
    missing = []
    if id_key is None:
        missing.append(f"no IMDb id or title URL (looked for {SHOWN_ID_KEYS})")
    if rank_key is None:
        # A rank column whose values are all unreadable is named: select_top says which row.
        rank_key = rank_candidates[0] if rank_candidates else None
        if rank_key is None:
            missing.append(f"no rank (looked for {SHOWN_RANK_KEYS})")
    if missing:
        raise SourceError(f"source list has {' and '.join(missing)}; its keys: {_shown(keys)}")
    assert id_key is not None and rank_key is not None

    def first(names: Iterable[str]) -> str | None:
        found = [k for k in _candidates(keys, names) if k not in (id_key, rank_key)]
        return found[0] if found else None

    return Columns(
        id=id_key,
        rank=rank_key,
        title=first(TITLE_KEYS),
        year=first(YEAR_KEYS),
        rating=first(RATING_KEYS),
        votes=first(VOTES_KEYS),
        urls=True,
    )


def _objects(doc: list[Any]) -> list[dict[str, Any]]:
    if not doc:
        raise SourceError("source list is empty")
    if len(doc) > MAX_ROWS:
        raise SourceError(f"source list has more than {MAX_ROWS:,} rows")
    for i, row in enumerate(doc, 1):
        if not isinstance(row, dict):
            raise SourceError(f"source list row #{i} is not an object")
    return doc


def csv_rows(text: str) -> list[dict[str, Any]]:
    """The rows of a CSV (or TSV / semicolon) file with a header line."""
    sample = text[:65536]
    first_line = sample.splitlines()[0] if sample.strip() else ""
    delimiter = max(",;\t|", key=first_line.count) if first_line else ","
    if not first_line or first_line.count(delimiter) == 0:
        raise SourceError("source is not JSON, nor a CSV with a header line naming its columns")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        if len(set(header)) != len(header):
            dup = sorted({h for h in header if header.count(h) > 1})
            raise SourceError(f"source CSV header repeats column {dup[0][:30]!r}")
        rows: list[dict[str, Any]] = []
        for line_no, values in enumerate(reader, 2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise SourceError(
                    f"source CSV line {line_no} has {len(values)} fields, the header {len(header)}"
                )
            rows.append(dict(zip(header, values, strict=True)))
            if len(rows) > MAX_ROWS:
                raise SourceError(f"source list has more than {MAX_ROWS:,} rows")
    except csv.Error as exc:
        raise SourceError(f"source CSV is malformed: {exc}") from None
    if not rows:
        raise SourceError("source CSV has a header but no rows")
    return rows


def select_from_bytes(data: bytes, top_n: int) -> Selection:
    """Recognise the list's shape and select its top N."""
    text_start = data.lstrip()[:1]
    if text_start in (b"{", b"["):
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceError(f"source is not JSON ({exc})") from None
        if isinstance(doc, dict):
            return select_top(items_of(doc), top_n)  # the IMDb-API shape
        rows = _objects(doc)
        return select_top(rows, top_n, columns_for(rows))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError("source is not JSON, nor UTF-8 CSV text") from None
    rows = csv_rows(text)
    return select_top(rows, top_n, columns_for(rows))
