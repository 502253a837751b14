"""What can go wrong with an OMDb call, in the terms the enrich stage acts on.

No message here ever contains the API key: errors are built from our own words and the
answer's "Error" text, never from an httpx exception (whose text carries the request URL).

Every error says how many requests it cost (`attempts`): 0 when the client refused without
sending one (the key was already rejected, the quota already used up, no key at all), so a
run's request count is what really went to OMDb.
"""

from __future__ import annotations


class OmdbError(Exception):
    """Base class."""

    def __init__(self, message: str, attempts: int = 0) -> None:
        super().__init__(message)
        self.attempts = attempts


class InvalidApiKey(OmdbError):
    """OMDb rejected the key: stop the run, call no more."""


class QuotaReached(OmdbError):
    """The key's daily request limit is used up: pause, keep the rest queued."""


class BudgetSpent(OmdbError):
    """The day's request budget (``omdb_daily_budget``) has nothing left for this request: it
    was not sent. The movie takes its newest stored answer (stale) or none (pending)."""


class TransientFailure(OmdbError):
    """Timeouts, connection errors, 5xx, 429, bodies that are not JSON — after all retries."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(
            f"{reason} (after {attempts} attempt{'s' if attempts != 1 else ''})", attempts
        )
        self.reason = reason


class RequestRejected(OmdbError):
    """A permanent answer that is neither found nor not-found (e.g. HTTP 400)."""


class NotAnOmdbAnswer(RequestRejected):
    """A well-formed HTTP answer that is not an OMDb answer (HTML, ``[]``, ``null``, an empty
    body, JSON without ``Response``) or is larger than ``max_answer_bytes``. Retrying at once
    would only spend quota: it is not retried within a delivery (so a movie costs at most
    ``max_receive_count`` requests this way), then dead-lettered with this reason."""
