"""The bronze record: one line of a bronze part, its writer and its readers side by side.

Enrich writes one line per OMDb answer (:func:`bronze_line`); the silver build reads the
envelope set-wise in DuckDB (:func:`envelope_shape`, :data:`SUPPORTED_VERSIONS`); ``doctor``
rebuilds a lost outcome from a line (:func:`outcome_from_line`). Changing the record means
changing all three here, and ``BRONZE_VERSION``.

A line (newline-delimited JSON, ``imdb_id`` and ``run_id`` first, so a damaged line still
names its movie)::

    {"bronze_version": 1, "run_id", "snapshot_date", "imdb_id", "status": "found"|"not_found",
     "source_rank", "source": {the source record}, "fetch": {"fetched_at", "omdb_url",
     "http_status", "attempts", "elapsed_ms", "cache_hit"}, "response": {OMDb's answer}}
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Final, Protocol

from cinelake.models import MovieOutcome, SourceMovie

BRONZE_VERSION: Final = 1
CONTENT_TYPE: Final = "application/x-ndjson"

STATUS_TO_OUTCOME: Final = {"found": "enriched", "not_found": "not_found"}
"""A line's ``status`` -> the ledger outcome it stands for."""


class Answer(Protocol):
    """What a bronze line records of an OMDb answer (``cinelake.omdb.client.OmdbAnswer``)."""

    @property
    def kind(self) -> str: ...
    @property
    def body(self) -> dict[str, Any]: ...
    @property
    def http_status(self) -> int: ...
    @property
    def attempts(self) -> int: ...
    @property
    def elapsed_ms(self) -> float: ...
    @property
    def fetched_at(self) -> datetime: ...
    @property
    def request_url(self) -> str: ...


# -- the writer ------------------------------------------------------------------------------
def bronze_line(
    run_id: str, snapshot: date, movie: SourceMovie, answer: Answer, *, cache_hit: bool
) -> dict[str, Any]:
    return {
        "bronze_version": BRONZE_VERSION,
        "run_id": run_id,
        "snapshot_date": snapshot.isoformat(),
        "imdb_id": movie.imdb_id,
        "status": "found" if answer.kind == "found" else "not_found",
        # The run's rank of the movie: lists name it in their own ways (Rank, position, ...).
        "source_rank": movie.rank,
        "source": movie.record,
        "fetch": {
            "fetched_at": answer.fetched_at.isoformat(),
            "omdb_url": answer.request_url,
            "http_status": answer.http_status,
            "attempts": answer.attempts,
            "elapsed_ms": round(answer.elapsed_ms, 1),
            "cache_hit": cache_hit,
        },
        "response": answer.body,
    }


def part_bytes(lines: list[dict[str, Any]]) -> bytes:
    """A bronze part: the lines as newline-delimited JSON."""
    return ("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n").encode()


# -- the readers -----------------------------------------------------------------------------
SUPPORTED_VERSIONS: Final = (str(BRONZE_VERSION),)
"""``bronze_version`` values the silver build reads (as text); others are quarantined."""


def envelope_shape(response: dict[str, Any]) -> dict[str, Any]:
    """The envelope as DuckDB's ``json_transform`` reads it (every scalar as VARCHAR, so the
    silver build validates values itself); ``response`` is the shape of OMDb's answer the
    silver contract reads."""
    return {
        "bronze_version": "VARCHAR",
        "run_id": "VARCHAR",
        "snapshot_date": "VARCHAR",
        "imdb_id": "VARCHAR",
        "status": "VARCHAR",
        "source_rank": "VARCHAR",
        "source": {"rank": "VARCHAR"},
        "fetch": {"fetched_at": "VARCHAR"},
        "response": response,
    }


def outcome_from_line(raw: bytes, run_id: str, imdb_id: str) -> MovieOutcome | None:
    """The ledger outcome a bronze line records for this run's movie, or None when the line
    is not that movie's readable answer."""
    try:
        line = json.loads(raw)
        at = datetime.fromisoformat(line["fetch"]["fetched_at"])
        status = STATUS_TO_OUTCOME[line["status"]]
        attempts = int(line["fetch"].get("attempts") or 0)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if line.get("imdb_id") != imdb_id or line.get("run_id") != run_id:
        return None
    return MovieOutcome(imdb_id=imdb_id, status=status, at=at, attempts=attempts)  # type: ignore[arg-type]
