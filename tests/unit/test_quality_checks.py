"""The data-quality check table: each check at its thresholds, the figures of a day, history,
overrides from cinelake.toml."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from pydantic import ValidationError

from cinelake import quality
from cinelake.config import load_settings
from cinelake.models import RunManifest, SourceMovie
from cinelake.quality import CHECKS, Facts
from cinelake.stages.quality import day_facts, quality_tables, rank_gaps, read_facts
from tests.quality_facts import clean_facts

EPS = 1e-6


def beyond(check: quality.Check, threshold: float) -> float:
    """Just on the bad side of ``threshold``."""
    return threshold + EPS if check.direction == "above" else threshold - EPS


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_each_check_at_its_thresholds(check: quality.Check) -> None:
    def status(value: float) -> str:
        [result] = quality.evaluate({check.name: value})
        return result.status

    assert status(check.warn) == "pass"  # equal to the threshold: on the good side
    assert status(beyond(check, check.warn)) == "warn"
    assert status(check.fail) == "warn"
    assert status(beyond(check, check.fail)) == "fail"
    # the threshold reported is the one the status is judged against
    [warned] = quality.evaluate({check.name: beyond(check, check.warn)})
    [failed] = quality.evaluate({check.name: beyond(check, check.fail)})
    assert (warned.threshold, failed.threshold) == (check.warn, check.fail)


def test_the_table_defines_every_check_once_with_warn_before_fail() -> None:
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))
    for c in CHECKS:
        assert (c.warn <= c.fail) if c.direction == "above" else (c.warn >= c.fail), c.name
    assert quality.checks_markdown().count("\n| `") == len(CHECKS)


def test_a_check_without_a_value_is_not_evaluated_and_the_worst_status_wins() -> None:
    results = quality.evaluate({"not_found": 1, "dead_lettered": 6, "list_shrink": None})
    assert [(r.check, r.status) for r in results] == [
        ("not_found", "warn"),
        ("dead_lettered", "fail"),
    ]
    assert quality.worst(r.status for r in results) == "fail"
    assert quality.worst([]) == "pass"


def manifest(ranks: list[int], top_n: int) -> RunManifest:
    return RunManifest(
        run_id="20260301T030000Z-abcdef",
        snapshot_date=date(2026, 3, 1),
        started_at=datetime(2026, 3, 1, 3, tzinfo=UTC),
        source="test",
        top_n=top_n,
        batch_size=1,
        movies=[SourceMovie(imdb_id=f"tt{1000000 + r}", rank=r) for r in ranks],
    )


def silver(rows: list[dict[str, object]]) -> pa.Table:
    from cinelake.silver.schema import arrow_schema

    schema = arrow_schema()
    base = {f.name: ([] if pa.types.is_list(f.type) else None) for f in schema}
    return pa.Table.from_pylist([base | r for r in rows], schema)


def test_a_days_figures_count_nulls_over_answered_rows_and_box_office_over_movies() -> None:
    good = {
        "type": "movie",
        "imdb_rating": 8.0,
        "year": 2000,
        "genres": ["Drama"],
        "directors": ["A"],
        "box_office_usd": 10,
        "enrichment": "fresh",
    }
    rows = [
        good,
        good | {"imdb_rating": None, "genres": [], "enrichment": "stale"},
        good | {"type": "series", "box_office_usd": None},  # a series has no box office
        good | {"box_office_usd": None, "directors": []},
        {"enrichment": "pending"},  # no answer: not in the null rates
    ]
    facts = day_facts(
        manifest([1, 2, 4, 5, 6], 6),
        silver(rows),
        quarantined=1,
        not_found=0,
        dead_lettered=0,
        drift={"Soundtrack": 3},
        missing={"Metascore": 2, "Plot": 1},
    )
    assert (facts.silver_rows, facts.stale, facts.pending, facts.answered) == (5, 1, 1, 4)
    assert facts.answered_movies == 3
    assert facts.rank_gaps == 1  # rank 3 is missing from 1..5
    assert facts.drift_fields == 1
    assert facts.missing_fields == 2
    assert dict(facts.nulls) == {
        "null_rate_imdb_rating": 1,
        "null_rate_year": 0,
        "null_rate_genres": 1,
        "null_rate_directors": 1,
        "null_rate_box_office": 1,
    }
    values = quality.values(facts, None)
    assert values["null_rate_imdb_rating"] == 0.25
    assert values["null_rate_box_office"] == round(1 / 3, 4)
    assert values["source_list_coverage"] == round(5 / 6, 4)
    assert values["list_shrink"] is None
    assert (values["schema_drift"], values["schema_missing_fields"]) == (1, 2)
    assert (
        read_facts(__import__("cinelake.stages.quality").stages.quality.facts_bytes(facts)) == facts
    )


@pytest.mark.parametrize(
    ("missing", "status"),
    [
        ({}, "pass"),
        ({"Metascore": 40}, "warn"),  # one field: warn above 0
        ({"Metascore": 40, "Awards": 1}, "fail"),  # two: fail above 1
    ],
)
def test_missing_fields_are_judged_by_how_many_fields_went_missing(
    missing: dict[str, int], status: str
) -> None:
    facts = day_facts(
        manifest([1, 2], 2),
        silver([{"enrichment": "fresh", "type": "movie"}] * 2),
        quarantined=0,
        not_found=0,
        dead_lettered=0,
        drift={},
        missing=missing,
    )
    [result] = [
        r
        for r in quality.evaluate(quality.values(facts, None))
        if r.check == "schema_missing_fields"
    ]
    assert (result.value, result.status) == (len(missing), status)
    assert result.threshold == (1 if status == "fail" else 0)


def test_figures_written_before_missing_fields_were_counted_are_not_judged_on_them() -> None:
    from dataclasses import asdict

    older = asdict(day("2026-03-01", 100))
    older.pop("missing_fields")
    facts = read_facts(json.dumps(older).encode())
    assert facts.missing_fields is None
    checks = [r.check for r in quality.evaluate(quality.values(facts, None))]
    assert "schema_drift" in checks and "schema_missing_fields" not in checks
    # A figure every version wrote is still required.
    del older["drift_fields"]
    with pytest.raises(ValueError, match="drift_fields"):
        read_facts(json.dumps(older).encode())


def test_rank_gaps_counts_missing_ranks() -> None:
    assert rank_gaps([1, 2, 3]) == 0
    assert rank_gaps([1, 1, 3]) == 1
    assert rank_gaps([]) == 0


def day(d: str, source_movies: int) -> Facts:
    return clean_facts(d, source_movies)


def test_history_compares_each_list_with_the_previous_snapshots() -> None:
    # out of order on purpose: days are judged oldest first
    summary, checks = quality_tables(
        [day("2026-03-03", 70), day("2026-03-01", 100), day("2026-03-02", 95)]
    )
    shrink = {str(c["snapshot_date"]): c for c in checks if c["check"] == "list_shrink"}
    assert "2026-03-01" not in shrink  # the first snapshot has no previous list
    assert (shrink["2026-03-02"]["value"], shrink["2026-03-02"]["status"]) == (0.05, "pass")
    assert round(shrink["2026-03-03"]["value"], 4) == round(1 - 70 / 95, 4)
    assert shrink["2026-03-03"]["status"] == "fail"
    assert [r["status"] for r in summary] == ["pass", "warn", "fail"]  # 95 of the top 100: warn
    assert "list_shrink=" in summary[2]["failed_checks"]
    assert "source_list_coverage=0.7 (fail below 0.9)" in summary[2]["failed_checks"]


def test_thresholds_are_overridden_in_cinelake_toml(tmp_path: Path) -> None:
    config = tmp_path / "cinelake.toml"
    config.write_text("[quality_thresholds]\nnot_found = { fail = 2 }\n")
    settings = load_settings(config)
    results = quality.evaluate({"not_found": 3}, settings.quality_thresholds)
    assert [(r.status, r.threshold) for r in results] == [("fail", 2.0)]
    assert quality.evaluate({"not_found": 3})[0].status == "warn"  # the default fail is 10


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("nonsense = { warn = 1 }", "unknown check 'nonsense'"),
        ("not_found = { wran = 1 }", "unknown threshold 'wran'"),
        ("not_found = { warn = 20 }", "warn 20 is beyond fail 10"),
        ("source_list_coverage = { warn = 0.5 }", "warn 0.5 is beyond fail 0.9"),
    ],
)
def test_a_bad_override_is_refused_naming_it(tmp_path: Path, text: str, named: str) -> None:
    config = tmp_path / "cinelake.toml"
    config.write_text(f"[quality_thresholds]\n{text}\n")
    with pytest.raises(ValidationError, match=named):
        load_settings(config)
