"""The daily digest: after a gold build, one POST of the newest snapshot's news to a webhook.

The body is JSON with a Slack-compatible ``text`` (the headline and the lists, each movie with
its IMDb URL) and the structured fields: ``date``, ``previous_date``, ``headline``, ``new``,
``exited``, ``movers`` and ``data_quality`` (the gold ``data_quality`` row of the day when that
dataset exists, else null).

At most once per snapshot: a marker in gold's control area (``_control/notify/<date>.json``)
is written before the POST and completed after it, so a re-run of the day, a second build or a
rebuild never posts again (a crash mid-POST loses that day's digest rather than doubling it).
A failed POST (network error, 429 or 5xx) is retried :data:`ATTEMPTS` times with backoff, then
recorded as failed; nothing here raises: the digest never fails a run. The URL is a credential:
it is registered for redaction and never written to the marker or a message.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date
from typing import Any

from cinelake import layout
from cinelake.objects import ObjectNotFound
from cinelake.stages.ports import NotifyPorts

ATTEMPTS = 3
TIMEOUT_S = 10.0
DATA_QUALITY_DATASET = "data_quality"


def read_marker(gold: Any, snapshot: date) -> dict[str, Any] | None:
    """What the digest of ``snapshot`` did (None: never tried, or unreadable)."""
    try:
        doc = json.loads(gold.get(layout.notify_marker_key(snapshot)))
    except (ObjectNotFound, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def latest_marker(gold: Any) -> dict[str, Any] | None:
    """The newest snapshot's digest record, for ``status``."""
    days = sorted(
        k for k in gold.list_keys(layout.NOTIFY_PREFIX) if k.endswith(".json")
    )  # YYYY-MM-DD.json sorts by date
    for key in reversed(days):
        day = layout.parse_day(key.rsplit("/", 1)[-1].removesuffix(".json"))
        if day is not None:
            found = read_marker(gold, day)
            if found is not None:
                return found
    return None


def data_quality_verdict(gold: Any, snapshot: date) -> dict[str, Any] | None:
    """The gold ``data_quality`` row of ``snapshot``, if that dataset exists and has one.

    Reads ``data_quality/snapshot_date=<day>/data.parquet`` or ``data_quality/data.parquet``
    (a row whose ``snapshot_date`` is the day, or its only row); None otherwise.
    """
    import io

    import pyarrow.parquet as pq

    for key in (
        layout.gold_partition_key(DATA_QUALITY_DATASET, snapshot),
        layout.gold_data_key(DATA_QUALITY_DATASET),
    ):
        try:
            rows = pq.read_table(io.BytesIO(gold.get(key))).to_pylist()
        except ObjectNotFound:
            continue
        except Exception:  # a damaged file: no verdict rather than no digest
            return None
        for row in rows:
            day = row.get("snapshot_date")
            if day is None or str(day)[:10] == snapshot.isoformat():
                return {k: _jsonable(v) for k, v in row.items()}
    return None


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def digest(gold: Any, snapshot: date) -> dict[str, Any] | None:
    """The digest's JSON body for ``snapshot`` from its gold ``movers`` partition; None when
    the snapshot has no previous one (nothing moved) or no movers yet."""
    import io

    import pyarrow.parquet as pq

    from cinelake.gold.feed import news_for_day

    try:
        data = gold.get(layout.gold_partition_key("movers", snapshot))
    except ObjectNotFound:
        return None
    rows = pq.read_table(io.BytesIO(data)).to_pylist()
    previous = {r.get("previous_snapshot_date") for r in rows} - {None}
    if not previous:
        return None
    news = news_for_day(snapshot, min(previous), rows)
    return (
        {"text": news.text()}
        | news.as_dict()
        | {"data_quality": data_quality_verdict(gold, snapshot)}
    )


def _post(deps: NotifyPorts, url: str, body: bytes) -> tuple[bool, int, str]:
    """POST with retries: (delivered, attempts, what happened last)."""
    import httpx

    settings = deps.settings
    detail = ""
    with httpx.Client(
        transport=deps.notify_transport, timeout=TIMEOUT_S, follow_redirects=False
    ) as client:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError as exc:
                detail = type(exc).__name__  # its text may carry the URL
            else:
                if response.is_success:
                    return True, attempt, f"HTTP {response.status_code}"
                detail = f"HTTP {response.status_code}"
                if response.status_code != 429 and response.status_code < 500:
                    return False, attempt, detail  # the request itself is wrong: no retry
            if attempt < ATTEMPTS:
                deps.clock.sleep(
                    min(settings.backoff_base_s * 2 ** (attempt - 1), settings.backoff_max_s)
                )
    return False, ATTEMPTS, detail


def notify(deps: NotifyPorts, snapshot: date | str | None) -> dict[str, Any] | None:
    """Post the digest of ``snapshot`` unless it was tried before; the marker it wrote, or
    None when no digest is configured or this snapshot was already handled. Never raises."""
    from cinelake.keys import SecretError
    from cinelake.observability import redact, register_secret

    provider = deps.notify_url
    if provider is None or snapshot is None:
        return None
    day = snapshot if isinstance(snapshot, date) else date.fromisoformat(str(snapshot)[:10])
    gold = deps.gold
    key = layout.notify_marker_key(day)
    record: dict[str, Any] = {"snapshot_date": day.isoformat(), "attempts": 0}
    try:
        if gold.exists(key):
            return None
        body = digest(gold, day)
        if body is None:
            record |= {"status": "skipped", "detail": "no previous snapshot: nothing moved"}
            gold.put(key, json.dumps(record).encode(), "application/json")
            return record
        # Claimed before the POST: whatever happens next, this snapshot is not posted again.
        gold.put(key, json.dumps(record | {"status": "sending"}).encode(), "application/json")
        url = provider.get()
        if not url:
            record |= {"status": "failed", "detail": "the webhook URL is empty"}
        else:
            register_secret(url)
            sent, attempts, detail = _post(deps, url, json.dumps(body).encode())
            record |= {
                "status": "sent" if sent else "failed",
                "attempts": attempts,
                "detail": detail,
            }
    except SecretError as exc:
        record |= {"status": "failed", "detail": redact(str(exc))}
    except Exception as exc:  # the digest never fails the run
        record |= {"status": "failed", "detail": redact(f"{type(exc).__name__}: {exc}")[:300]}
    record["at"] = deps.clock.now().isoformat()
    with contextlib.suppress(Exception):  # the claim is there; the result is also returned
        gold.put(key, json.dumps(record).encode(), "application/json")
    return record
