"""The day's news from gold ``movers``: the Atom feed (``gold/feed/movers.xml``) and the
daily digest's headline and lists.

One :class:`DayNews` per snapshot that has a previous one: what entered, what left, the biggest
climbers and fallers, each movie with its IMDb title URL. The feed holds the last
:data:`FEED_ENTRIES` of them, newest first.

The feed is generated with :mod:`xml.etree.ElementTree`, which escapes ``&``, ``<`` and ``>``;
what XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/U+FFFF) is
replaced with U+FFFD first, so any title gives a well-formed document. Entry ids are
``urn:uuid`` version-5 UUIDs of the snapshot date, and every timestamp is the snapshot date's
midnight UTC: rebuilding gold gives the same feed, byte for byte.
"""

from __future__ import annotations

import html
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from cinelake.ids import is_imdb_id

__all__ = [
    "FEED_ENTRIES",
    "DayNews",
    "Move",
    "clean_text",
    "feed_xml",
    "news_by_day",
    "news_for_day",
    "recent_news",
]

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 30  # snapshots the feed keeps
TOP_MOVES = 5  # climbers and fallers named per day
FEED_TITLE = "cinelake: the top list's movers"
# Fixed forever: the entry ids derive from it (changing it changes every id readers know).
ID_NAMESPACE = uuid.UUID("6f1c1c7e-4b8e-5d2a-9a57-0c1e5a11ce19")

# What XML 1.0 allows: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean_text(value: object) -> str:
    """``value`` as text XML 1.0 can carry: forbidden characters become U+FFFD."""
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


def imdb_url(imdb_id: str) -> str | None:
    """The movie's IMDb title page; None for anything that is not an IMDb id."""
    return f"https://www.imdb.com/title/{imdb_id}/" if is_imdb_id(imdb_id) else None


@dataclass(frozen=True)
class Move:
    """One movie of a day's movers."""

    imdb_id: str
    title: str
    rank: int | None
    previous_rank: int | None
    rank_change: int | None

    @property
    def url(self) -> str | None:
        return imdb_url(self.imdb_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imdb_id": self.imdb_id,
            "title": self.title,
            "rank": self.rank,
            "previous_rank": self.previous_rank,
            "rank_change": self.rank_change,
            "url": self.url,
        }


@dataclass(frozen=True)
class DayNews:
    """What changed on one snapshot against the previous one."""

    snapshot_date: date
    previous_snapshot_date: date
    new: tuple[Move, ...]  # by rank
    exited: tuple[Move, ...]  # by previous rank
    climbers: tuple[Move, ...]  # the biggest moves up, biggest first
    fallers: tuple[Move, ...]  # the biggest moves down, biggest first

    @property
    def headline(self) -> str:
        """e.g. "3 new, 2 out, biggest climber Alien (+12)"."""
        text = f"{len(self.new)} new, {len(self.exited)} out"
        if self.climbers:
            top = self.climbers[0]
            text += f", biggest climber {clean_text(top.title)} (+{top.rank_change})"
        return text

    @property
    def title(self) -> str:
        return f"{self.snapshot_date.isoformat()}: {self.headline}"

    def text(self) -> str:
        """The digest's plain text (Slack-compatible: ``&``, ``<``, ``>`` escaped)."""
        lines = [f"cinelake {self.title}"]

        def block(name: str, moves: Sequence[Move], show: Any) -> None:
            if moves:
                lines.append(f"{name}:")
                lines.extend(f"• {show(m)}" for m in moves)

        block("New", self.new, lambda m: f"#{m.rank} {_named(m)}")
        block("Out", self.exited, lambda m: f"{_named(m)} (was #{m.previous_rank})")
        block("Up", self.climbers, lambda m: f"{_named(m)} #{m.previous_rank} → #{m.rank}")
        block("Down", self.fallers, lambda m: f"{_named(m)} #{m.previous_rank} → #{m.rank}")
        text = "\n".join(lines)
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def as_dict(self) -> dict[str, Any]:
        """The digest's structured fields."""
        return {
            "date": self.snapshot_date.isoformat(),
            "previous_date": self.previous_snapshot_date.isoformat(),
            "headline": self.headline,
            "new": [m.as_dict() for m in self.new],
            "exited": [m.as_dict() for m in self.exited],
            "movers": [m.as_dict() for m in (*self.climbers, *self.fallers)],
        }

    def content_html(self) -> str:
        """The entry's content: every new entry and exit, and the biggest moves, linked."""

        def link(m: Move) -> str:
            title = html.escape(clean_text(m.title) or m.imdb_id)
            return f'<a href="{html.escape(m.url)}">{title}</a>' if m.url else title

        parts = [
            f"<p>The top list of {self.snapshot_date.isoformat()} against "
            f"{self.previous_snapshot_date.isoformat()}.</p>"
        ]

        def block(name: str, moves: Sequence[Move], item: Any) -> None:
            if moves:
                rows = "".join(f"<li>{item(m)}</li>" for m in moves)
                parts.append(f"<h3>{name} ({len(moves)})</h3><ul>{rows}</ul>")

        block("New", self.new, lambda m: f"#{m.rank} {link(m)}")
        block("Out", self.exited, lambda m: f"{link(m)} (was #{m.previous_rank})")
        block(
            "Biggest climbers",
            self.climbers,
            lambda m: f"{link(m)}: #{m.previous_rank} → #{m.rank} (+{m.rank_change})",
        )
        block(
            "Biggest fallers",
            self.fallers,
            lambda m: f"{link(m)}: #{m.previous_rank} → #{m.rank} ({m.rank_change})",
        )
        return "".join(parts)


def _named(m: Move) -> str:
    title = clean_text(m.title) or m.imdb_id
    return f"{title} ({m.url})" if m.url else title


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def news_for_day(
    snapshot: date, previous: date, rows: Iterable[Mapping[str, Any]], top: int = TOP_MOVES
) -> DayNews:
    """One day's news from its ``movers`` rows (any order)."""
    moves = [
        (
            str(r.get("status")),
            Move(
                str(r["imdb_id"]),
                "" if r.get("title") is None else str(r["title"]),
                _int(r.get("rank")),
                _int(r.get("previous_rank")),
                _int(r.get("rank_change")),
            ),
        )
        for r in rows
    ]
    new = sorted((m for s, m in moves if s == "new"), key=lambda m: (m.rank or 0, m.imdb_id))
    exited = sorted(
        (m for s, m in moves if s == "exited"), key=lambda m: (m.previous_rank or 0, m.imdb_id)
    )
    up = sorted(
        (m for s, m in moves if s == "up" and m.rank_change),
        key=lambda m: (-(m.rank_change or 0), m.rank or 0, m.imdb_id),
    )
    down = sorted(
        (m for s, m in moves if s == "down" and m.rank_change),
        key=lambda m: (m.rank_change or 0, m.rank or 0, m.imdb_id),
    )
    return DayNews(
        snapshot, previous, tuple(new), tuple(exited), tuple(up[:top]), tuple(down[:top])
    )


def news_by_day(movers: pa.Table | Iterable[Mapping[str, Any]]) -> list[DayNews]:
    """Every snapshot's news, oldest first; the first snapshot (no previous one) has none."""
    rows = movers.to_pylist() if isinstance(movers, pa.Table) else list(movers)
    days: dict[date, tuple[date, list[Mapping[str, Any]]]] = {}
    for r in rows:
        day, previous = _as_date(r.get("snapshot_date")), _as_date(r.get("previous_snapshot_date"))
        if day is None or previous is None:
            continue
        days.setdefault(day, (previous, []))[1].append(r)
    return [news_for_day(day, prev, day_rows) for day, (prev, day_rows) in sorted(days.items())]


def recent_news(movers: pa.Table, limit: int = FEED_ENTRIES) -> tuple[list[DayNews], int]:
    """The news of the last ``limit`` snapshots that have a previous one (oldest first, as
    :func:`news_by_day` gives them), and how many snapshots have news in all. Only those days'
    rows become Python objects: three years of movers are a million rows, the feed shows 30
    days."""
    import pyarrow.compute as pc

    if movers.num_rows == 0:
        return [], 0
    dated = pc.and_(
        pc.is_valid(movers.column("snapshot_date")),
        pc.is_valid(movers.column("previous_snapshot_date")),
    )
    days = pc.unique(movers.column("snapshot_date").filter(dated))
    if len(days) == 0:
        return [], 0
    shown = pc.array_take(days, pc.array_sort_indices(days))[-limit:] if limit > 0 else days[:0]
    keep = pc.and_(dated, pc.is_in(movers.column("snapshot_date"), value_set=shown))
    return news_by_day(movers.filter(keep)), len(days)


def entry_id(snapshot: date) -> str:
    """The same id for the same snapshot on every build."""
    return uuid.uuid5(ID_NAMESPACE, f"movers/{snapshot.isoformat()}").urn


def _stamp(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_xml(
    news: Sequence[DayNews], *, empty_updated: datetime, limit: int = FEED_ENTRIES
) -> bytes:
    """The Atom 1.0 feed of the last ``limit`` days of ``news`` (oldest first), newest first.

    ``updated`` is the newest entry's date; a feed with no entry yet says ``empty_updated``.
    """
    shown = sorted(news, key=lambda n: n.snapshot_date, reverse=True)[:limit]

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, tag, attrs)
        if text is not None:
            el.text = clean_text(text)
        return el

    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    sub(feed, "id", uuid.uuid5(ID_NAMESPACE, "movers").urn)
    sub(feed, "title", FEED_TITLE)
    sub(feed, "subtitle", "What entered, left and moved on each day's top list.")
    updated = (
        _stamp(shown[0].snapshot_date)
        if shown
        else empty_updated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    sub(feed, "updated", updated)
    author = sub(feed, "author")
    sub(author, "name", "cinelake")
    sub(feed, "generator", "cinelake")
    for day in shown:
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(day.snapshot_date))
        sub(entry, "title", day.title)
        sub(entry, "updated", _stamp(day.snapshot_date))
        sub(entry, "summary", day.headline)
        sub(entry, "content", day.content_html(), type="html")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"
