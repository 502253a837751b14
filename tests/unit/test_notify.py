"""The daily digest stage: one POST per snapshot, retried, recorded, never raising."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from cinelake import layout
from cinelake.adapters.secrets import StaticKey
from cinelake.adapters.storage import LocalObjectStore
from cinelake.clock import FakeClock
from cinelake.config import Settings
from cinelake.keys import SecretError
from cinelake.stages.notify import data_quality_verdict, latest_marker, notify
from cinelake.tables import parquet_bytes

DAY = date(2026, 2, 2)
URL = "https://hooks.example.test/services/T0/B0/very-secret"


@dataclass
class Deps:
    gold: LocalObjectStore
    notify_url: Any
    notify_transport: httpx.BaseTransport | None
    settings: Settings = field(
        default_factory=lambda: Settings(backoff_base_s=1.0, backoff_max_s=5.0)
    )
    clock: FakeClock = field(default_factory=lambda: FakeClock(datetime(2026, 2, 2, 4, tzinfo=UTC)))
    ledger: Any = None
    checkpoint: Any = None


class Hook:
    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(status)


def movers(gold: LocalObjectStore, day: date, previous: date | None) -> None:
    rows = [
        ("tt0000001", "Climber", 1, 4, 3, "up"),
        ("tt0000002", "Newcomer", 2, None, None, "new"),
        ("tt0000003", "Leaver", None, 2, None, "exited"),
    ]
    table = pa.table(
        {
            "previous_snapshot_date": pa.array([previous] * len(rows), pa.date32()),
            "imdb_id": [r[0] for r in rows],
            "title": [r[1] for r in rows],
            "rank": pa.array([r[2] for r in rows], pa.int32()),
            "previous_rank": pa.array([r[3] for r in rows], pa.int32()),
            "rank_change": pa.array([r[4] for r in rows], pa.int32()),
            "status": [r[5] for r in rows],
        }
    )
    gold.put(layout.gold_partition_key("movers", day), parquet_bytes(table))


def deps_for(tmp_path: Path, hook: Any, url: Any = None) -> Deps:
    gold = LocalObjectStore(tmp_path / "gold", "gold")
    movers(gold, DAY, DAY - timedelta(days=1))
    key = StaticKey(URL) if url is None else url
    return Deps(gold, key, httpx.MockTransport(hook))


def test_one_post_then_never_again(tmp_path: Path) -> None:
    hook = Hook(200)
    deps = deps_for(tmp_path, hook)
    record = notify(deps, DAY)
    assert record is not None and record["status"] == "sent" and record["attempts"] == 1
    (body,) = hook.bodies
    assert body["date"] == "2026-02-02" and body["previous_date"] == "2026-02-01"
    assert [m["imdb_id"] for m in body["new"]] == ["tt0000002"]
    assert [m["imdb_id"] for m in body["exited"]] == ["tt0000003"]
    assert [m["imdb_id"] for m in body["movers"]] == ["tt0000001"]
    assert "https://www.imdb.com/title/tt0000002/" in body["text"]
    assert body["data_quality"] is None
    assert notify(deps, DAY) is None and notify(deps, "2026-02-02") is None
    assert len(hook.bodies) == 1
    assert latest_marker(deps.gold) == record
    assert URL not in json.dumps(record)


def test_a_failing_webhook_is_retried_then_recorded(tmp_path: Path) -> None:
    hook = Hook(500, 503, 500)
    deps = deps_for(tmp_path, hook)
    start = deps.clock.monotonic()
    record = notify(deps, DAY)
    assert record is not None
    assert (record["status"], record["attempts"], record["detail"]) == ("failed", 3, "HTTP 500")
    assert len(hook.bodies) == 3
    assert deps.clock.monotonic() - start == pytest.approx(1.0 + 2.0)  # backoff, on the clock
    assert notify(deps, DAY) is None  # failed is final: never posted twice


def test_a_retry_that_succeeds_and_a_refusal_that_is_not_retried(tmp_path: Path) -> None:
    hook = Hook(429, 204)
    deps = deps_for(tmp_path / "a", hook)
    record = notify(deps, DAY)
    assert record is not None and (record["status"], record["attempts"]) == ("sent", 2)
    refused = Hook(404)
    deps = deps_for(tmp_path / "b", refused)
    record = notify(deps, DAY)
    assert record is not None and (record["status"], record["attempts"]) == ("failed", 1)


def test_network_errors_and_unreadable_urls_never_raise(tmp_path: Path) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}")

    deps = deps_for(tmp_path / "a", down)
    record = notify(deps, DAY)
    assert record is not None and record["detail"] == "ConnectError"  # no URL in the record

    class Broken:
        def get(self) -> str:
            raise SecretError("cannot read secret 'hook' from Secrets Manager: AccessDenied")

        def forget(self) -> None:
            return

    deps = deps_for(tmp_path / "b", Hook(200), url=Broken())
    record = notify(deps, DAY)
    assert record is not None and record["status"] == "failed"
    assert "AccessDenied" in record["detail"]


def test_nothing_without_a_url_and_a_first_snapshot_is_skipped(tmp_path: Path) -> None:
    hook = Hook(200)
    deps = deps_for(tmp_path, hook)
    deps.notify_url = None
    assert notify(deps, DAY) is None
    assert not deps.gold.exists(layout.notify_marker_key(DAY))
    deps = deps_for(tmp_path / "first", hook)
    movers(deps.gold, DAY, None)
    record = notify(deps, DAY)
    assert record is not None and record["status"] == "skipped"
    assert hook.bodies == []


def test_the_data_quality_verdict_is_read_by_dataset_name(tmp_path: Path) -> None:
    hook = Hook(200)
    deps = deps_for(tmp_path, hook)
    assert data_quality_verdict(deps.gold, DAY) is None
    verdict = pa.table({"verdict": ["pass"], "checks_failed": pa.array([0], pa.int32())})
    deps.gold.put(layout.gold_partition_key("data_quality", DAY), parquet_bytes(verdict))
    notify(deps, DAY)
    assert hook.bodies[0]["data_quality"] == {"verdict": "pass", "checks_failed": 0}
