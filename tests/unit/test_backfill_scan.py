"""A backfill folder's names: which are days, which are bad, which are left alone."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cinelake.ops.backfill import parse_day, parse_day_file_name, scan

TODAY = date(2026, 11, 29)


@given(st.dates(), st.sampled_from(["json", "csv", "JSON", "Csv"]))
def test_a_dated_list_name_gives_its_day(day: date, suffix: str) -> None:
    assert parse_day_file_name(f"{day.isoformat()}.{suffix}") == day


@given(st.text(max_size=30))
def test_any_other_name_gives_no_day(name: str) -> None:
    """A day comes back only from exactly `YYYY-MM-DD.json|csv`: the day written back, with
    the same suffix, is the name itself."""
    day = parse_day_file_name(name)
    if day is not None:
        stem, _, suffix = name.rpartition(".")
        assert stem == day.isoformat() and suffix.lower() in ("json", "csv")


@given(st.dates(), st.sampled_from(["txt", "json.bak", "", "jsonl"]))
def test_a_day_with_another_suffix_is_not_a_list(day: date, suffix: str) -> None:
    assert parse_day_file_name(f"{day.isoformat()}.{suffix}" if suffix else day.isoformat()) is None


def test_near_misses_are_not_days() -> None:
    for stem in (
        "2024-02-30",
        "2024-1-05",
        "24-01-05",
        "2024-01-05 ",
        "20240105",
        "２０２４-01-05",
    ):
        assert parse_day(stem) is None, stem
        assert parse_day_file_name(f"{stem}.json") is None, stem
    assert parse_day("2024-02-29") == date(2024, 2, 29)


def _touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_text("{}")


def test_scan_sorts_days_and_names_every_bad_file(tmp_path: Path) -> None:
    tomorrow = TODAY + timedelta(days=1)
    _touch(
        tmp_path,
        "2024-10-02.csv",
        "2024-10-01.json",
        f"{TODAY}.json",
        "2024-10-03.json",
        "2024-10-03.csv",
        f"{tomorrow}.json",
        "latest.json",
        "2024-10-04.txt",
        "notes.md",
        ".hidden.json",
    )
    (tmp_path / "old").mkdir()
    plan = scan(tmp_path, TODAY)
    assert [(d.day, d.path.name) for d in plan.days] == [
        (date(2024, 10, 1), "2024-10-01.json"),
        (date(2024, 10, 2), "2024-10-02.csv"),
        (TODAY, f"{TODAY}.json"),
    ]
    bad = {b.name: b.reason for b in plan.bad}
    assert set(bad) == {
        "2024-10-03.json",
        "2024-10-03.csv",
        f"{tomorrow}.json",
        "latest.json",
        "2024-10-04.txt",
    }
    assert "two files for 2024-10-03" in bad["2024-10-03.csv"]
    assert "future" in bad[f"{tomorrow}.json"]
    assert "not a date" in bad["latest.json"]
    assert ".json or .csv" in bad["2024-10-04.txt"]
    assert plan.ignored == ["notes.md", "old/"]  # hidden files are not even named


def test_an_empty_folder_has_nothing(tmp_path: Path) -> None:
    plan = scan(tmp_path, TODAY)
    assert (plan.days, plan.bad, plan.ignored) == ([], [], [])
