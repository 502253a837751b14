"""The OMDb plan of a run: which movies get a request today, decided before anything is sent.

Within what is left of the day's budget, in this order: movies with no stored answer at all
(in source rank order), then answers past their TTL, oldest first; then nothing. The rest take
their newest stored answer even past the TTL (``stale``) or, with no answer yet, go to the
snapshot with the source's fields only (``pending``), first in line the next day.

:func:`make_plan` is the decision, a plain function of the answers' ages, the clock's "now",
the TTL and the budget; :func:`plan_movies` asks the lake for those. ``cinelake plan`` prints
the same plan the next run makes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from cinelake.budget import DailyBudget
from cinelake.models import SourceMovie
from cinelake.stages.ports import PlanPorts

Kind = Literal["fresh", "fetch", "refresh", "stale", "pending"]
KINDS: tuple[Kind, ...] = ("fresh", "fetch", "refresh", "stale", "pending")
"""``fresh``: a stored answer within the TTL (no request); ``fetch``: no answer yet, asked
today; ``refresh``: past the TTL, asked again today; ``stale``: past the TTL, kept as is;
``pending``: no answer and none asked today."""


@dataclass(frozen=True)
class Plan:
    kinds: dict[str, Kind]
    """Each movie's kind, by IMDb id."""
    budget: int | None
    """The daily budget (None: no budget applies, e.g. the bundled offline sample)."""
    budget_left: int | None
    """What the day had left when planning."""
    days_to_fresh: int | None
    """Days (today included) until every movie is fresh at this budget, if answers did not
    age meanwhile; 0 when all are fresh now; None when the budget is 0 and some are not."""

    def ids(self, kind: Kind) -> list[str]:
        return [i for i, k in self.kinds.items() if k == kind]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        for kind in self.kinds.values():
            counts[kind] += 1
        return counts

    @property
    def requests(self) -> int:
        """Requests the plan sends (one per movie fetched; retries of a failure come on top,
        still within the budget)."""
        counts = self.counts()
        return counts["fetch"] + counts["refresh"]

    @property
    def hold(self) -> set[str]:
        """The movies not to fetch."""
        return {i for i, k in self.kinds.items() if k in ("stale", "pending")}

    def as_dict(self) -> dict[str, object]:
        return {
            **self.counts(),
            "movies": len(self.kinds),
            "requests": self.requests,
            "budget": self.budget,
            "budget_left": self.budget_left,
            "days_to_fresh": self.days_to_fresh,
        }


def make_plan(
    answers: Sequence[tuple[str, datetime | None]],
    *,
    now: datetime,
    ttl: timedelta,
    budget_left: int | None,
    budget: int | None = None,
    refresh: bool = False,
    keep_for_new: int = 0,
) -> Plan:
    """``answers``: each movie (in source rank order) with when its stored answer was
    fetched (None: no answer). ``budget_left`` None: no limit. ``refresh``: every stored
    answer counts as past its TTL. ``keep_for_new``: requests kept for movies never fetched
    that come later (a backfill's next days): refreshes get only what is left beyond them."""
    kinds: dict[str, Kind] = {}
    missing: list[str] = []
    expired: list[tuple[datetime, int, str]] = []
    for n, (imdb_id, fetched_at) in enumerate(answers):
        if imdb_id in kinds or imdb_id in missing:
            continue
        if fetched_at is None:
            missing.append(imdb_id)
        elif not refresh and ttl.total_seconds() > 0 and now - fetched_at <= ttl:
            kinds[imdb_id] = "fresh"
        else:
            expired.append((fetched_at, n, imdb_id))
    expired.sort()
    left = math.inf if budget_left is None else max(0, budget_left)
    for imdb_id in missing:
        kinds[imdb_id] = "fetch" if left > 0 else "pending"
        left -= 1
    left -= keep_for_new
    for _, _, imdb_id in expired:
        kinds[imdb_id] = "refresh" if left > 0 else "stale"
        left -= 1
    order = {imdb_id: n for n, (imdb_id, _) in enumerate(answers)}
    kinds = dict(sorted(kinds.items(), key=lambda item: order[item[0]]))
    need = len(missing) + len(expired)
    return Plan(kinds, budget, budget_left, _days_to_fresh(need, budget_left, budget))


def _days_to_fresh(need: int, left: int | None, budget: int | None) -> int | None:
    if need == 0:
        return 0
    if left is None or need <= left:
        return 1
    per_day = budget if budget is not None else left
    if per_day <= 0:
        return None
    return 1 + math.ceil((need - max(0, left)) / per_day)


def plan_movies(
    deps: PlanPorts,
    movies: Sequence[SourceMovie],
    *,
    omdb_url: str | None,
    keep_for_new: int = 0,
) -> Plan:
    """The plan for these movies now: their stored answers, today's budget and any quota
    pause (OMDb said the key's limit is reached: nothing more is sent today).
    ``omdb_url`` is where the run asks (None: the bundled sample, outside any budget)."""
    settings = deps.settings
    now = deps.clock.now()
    options = deps.omdb_options(omdb_url)
    # When each answer was fetched, from the cache's index: no answer is read.
    ages = deps.cache.stored_ats(
        [(m.imdb_id, options.params(m.imdb_id)) for m in movies], now, base_url=options.base_url
    )
    stored = [(m.imdb_id, at) for m, at in zip(movies, ages, strict=True)]
    budget: int | None = None
    left: int | None = None
    if not settings.offline:
        budget = settings.omdb_daily_budget
        left = DailyBudget(deps.bronze, deps.clock, budget).usage(now.date()).left
        paused = deps.ledger.paused(now)
        if paused is not None and paused.reason == "quota":
            left = 0
    return make_plan(
        stored,
        now=now,
        ttl=timedelta(days=settings.cache_ttl_days),
        budget_left=left,
        budget=budget,
        refresh=settings.refresh,
        keep_for_new=keep_for_new,
    )
