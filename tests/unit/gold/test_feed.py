"""The movers feed (Atom 1.0) and the day's news it is made of."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cinelake.gold.feed import FEED_ENTRIES, clean_text, entry_id, feed_xml, news_by_day

ATOM = "{http://www.w3.org/2005/Atom}"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def row(day: date, imdb: str, title: str, rank: int | None, prev: int | None) -> dict[str, Any]:
    status = (
        "new"
        if prev is None
        else "exited"
        if rank is None
        else "up"
        if prev > rank
        else "down"
        if prev < rank
        else "same"
    )
    change = None if rank is None or prev is None else prev - rank
    return {
        "snapshot_date": day,
        "previous_snapshot_date": day - timedelta(days=1),
        "imdb_id": imdb,
        "title": title,
        "rank": rank,
        "previous_rank": prev,
        "rank_change": change,
        "status": status,
    }


def test_a_day_names_its_entries_exits_and_biggest_moves() -> None:
    day = date(2026, 2, 2)
    rows = [
        row(day, "tt0000001", "Up a lot", 1, 9),
        row(day, "tt0000002", "New one", 2, None),
        row(day, "tt0000003", "Down", 8, 3),
        row(day, "tt0000004", "Same", 4, 4),
        row(day, "tt0000005", "Gone", None, 5),
        row(day, "tt0000006", "Up a bit", 3, 6),
    ]
    first = {**row(day - timedelta(days=1), "tt0000001", "x", 9, None)}
    first["previous_snapshot_date"] = None  # the first snapshot: no news
    (news,) = news_by_day([first, *rows])
    assert news.headline == "1 new, 1 out, biggest climber Up a lot (+8)"
    assert [m.imdb_id for m in news.climbers] == ["tt0000001", "tt0000006"]
    assert [m.imdb_id for m in news.fallers] == ["tt0000003"]
    body = news.as_dict()
    assert [m["url"] for m in body["new"]] == ["https://www.imdb.com/title/tt0000002/"]
    assert [m["imdb_id"] for m in body["exited"]] == ["tt0000005"]
    text = news.text()
    assert "New one (https://www.imdb.com/title/tt0000002/)" in text
    assert "Gone (https://www.imdb.com/title/tt0000005/) (was #5)" in text


def test_any_title_gives_well_formed_xml() -> None:
    day = date(2026, 2, 2)
    nasty = "A\x00B\x1b</content><script>&amp;\ud800\ufffe]]>\x7f é"
    xml = feed_xml(
        news_by_day([row(day, "tt0000001", nasty, 1, None), row(day, "tt0000002", nasty, None, 1)]),
        empty_updated=NOW,
    )
    root = ET.fromstring(xml)  # raises on anything XML 1.0 forbids
    (entry,) = root.findall(f"{ATOM}entry")
    content = entry.findtext(f"{ATOM}content", "")
    assert "A\ufffdB\ufffd&lt;/content&gt;&lt;script&gt;&amp;amp;" in content
    assert entry.find(f"{ATOM}content").get("type") == "html"  # type: ignore[union-attr]
    assert clean_text("a\x00b") == "a\ufffdb"


def test_the_feed_keeps_the_last_30_days_newest_first_with_stable_ids() -> None:
    start = date(2026, 1, 1)
    rows = [row(start + timedelta(days=i), "tt0000001", "M", 1, 2) for i in range(40)]
    xml = feed_xml(news_by_day(rows), empty_updated=NOW)
    assert xml == feed_xml(news_by_day(list(reversed(rows))), empty_updated=NOW)  # byte-identical
    root = ET.fromstring(xml)
    found = root.findall(f"{ATOM}entry")
    assert len(found) == FEED_ENTRIES
    newest = start + timedelta(days=39)
    assert found[0].findtext(f"{ATOM}id") == entry_id(newest)
    assert root.findtext(f"{ATOM}updated") == f"{newest.isoformat()}T00:00:00Z"
    assert entry_id(newest) != entry_id(newest - timedelta(days=1))
    assert entry_id(newest).startswith("urn:uuid:")


def test_an_empty_feed_is_still_a_valid_feed() -> None:
    root = ET.fromstring(feed_xml([], empty_updated=NOW))
    assert root.tag == f"{ATOM}feed" and root.findall(f"{ATOM}entry") == []
    assert root.findtext(f"{ATOM}updated") == "2026-03-01T12:00:00Z"


def test_recent_news_is_the_last_days_of_news_by_day_from_those_days_rows_only() -> None:
    import pyarrow as pa

    from cinelake.gold.datasets import MOVERS
    from cinelake.gold.feed import recent_news

    start = date(2026, 1, 1)
    rows = []
    for i in range(45):
        if i in (10, 11, 40):  # missing days: the previous snapshot is further back
            continue
        day = start + timedelta(days=i)
        rows += [
            row(day, "tt0000001", f"M{i}", 1 + i % 3, 1 + (i + 2) % 3),
            row(day, "tt0000002", "N", 2, None),
            row(day, "tt0000003", "Gone", None, 7),
        ]
    for first in rows[:3]:
        first["previous_snapshot_date"] = None  # the first snapshot has no news
    shuffled = rows[::2] + rows[1::2]  # any order
    movers = pa.Table.from_pylist(shuffled, MOVERS.schema)
    every = news_by_day(shuffled)
    for limit in (FEED_ENTRIES, 5, 1, 0, 100):
        news, days = recent_news(movers, limit)
        assert days == len(every) == 41
        assert news == (every[-limit:] if limit else [])
        assert feed_xml(news, empty_updated=NOW, limit=limit) == feed_xml(
            every, empty_updated=NOW, limit=limit
        )
    assert recent_news(MOVERS.schema.empty_table()) == ([], 0)
    lone = pa.Table.from_pylist(rows[:1], MOVERS.schema)  # only a first snapshot
    assert recent_news(lone) == ([], 0)
