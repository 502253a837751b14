"""Reading one field of a source row: ranks, IMDb ids or title URLs, years, ratings, votes.

Lists come from scrapers and exports, so numbers arrive as JSON numbers or as strings
("1", "9.3", "2,757,004"). Ranks and ids decide what a run asks for and are strict; the
other figures are informative and become None when they cannot be read (the raw row is
kept in bronze as received).
"""

from __future__ import annotations

import math
import re

from cinelake.ids import IMDB_ID_RE

# A bare id, or an IMDb title URL (www., m., any language path), e.g.
# https://www.imdb.com/title/tt0111161/?ref_=chttp_t_1 . [0-9], not \d: ASCII digits only.
_TITLE_URL_RE = re.compile(
    r"^(?:https?://)?(?:[a-z]+\.)?imdb\.com/(?:[a-z]{2}/)?title/(tt[0-9]{7,9})(?:[/?#].*)?$",
    re.IGNORECASE | re.DOTALL,
)
_GROUPED_INT_RE = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+$|^[0-9]+$")
_DECIMAL_RE = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")


def imdb_id_of(value: object) -> str | None:
    """The IMDb id a value names (a bare id or a title URL), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if IMDB_ID_RE.fullmatch(text):
        return text
    m = _TITLE_URL_RE.fullmatch(text)
    return m.group(1) if m else None


def rank_of(value: object) -> int | str:
    """A positive whole rank, or a short phrase saying what is wrong (the caller names the row).

    1, "1", " 1 ", 1.0 and "1.0" are rank 1; True, "1.5", "0", "²" (a digit to str.isdigit) are not.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return "rank is missing"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return f"rank {str(value)[:20]!r} is not a number"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and value >= 1:
            return int(value)
        return f"rank {str(value)[:20]!r} is not a positive whole number"
    text = str(value).strip()
    whole = re.sub(r"\.0+$", "", text)  # "3.0", as spreadsheets export whole numbers
    if whole and whole.isascii() and whole.isdigit() and int(whole) >= 1:
        return int(whole)
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        return f"rank {text[:20]!r} is not a positive whole number"
    return int(text)


def _number_text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return value.strip()
    return None


def rating_of(value: object) -> float | None:
    """A 0-10 rating ("9.3", 9, "9"), else None."""
    text = _number_text(value)
    if text is None or not text.isascii() or not _DECIMAL_RE.fullmatch(text):
        return None
    rating = float(text)
    return rating if 0 <= rating <= 10 else None


def votes_of(value: object) -> int | None:
    """A vote count (2757004, "2757004", "2,757,004", 2757004.0), else None."""
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and value >= 0 else None
    text = _number_text(value)
    if text is None or not text.isascii() or not _GROUPED_INT_RE.fullmatch(text):
        return None
    return int(text.replace(",", ""))


def year_of(value: object) -> int | None:
    """A four-digit year (1994, "1994"), else None."""
    text = _number_text(value)
    if text is None or not (text.isascii() and text.isdigit() and len(text) == 4):
        return None
    return int(text)
