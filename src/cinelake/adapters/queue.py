"""The work queue: a durable SQLite queue with SQS semantics locally, SQS on AWS.

Both keep SQS's rules: a received message is invisible for a visibility timeout, then comes back;
each receive counts; a message received more than `max_receive_count` times goes to the
dead-letter store instead of being delivered again.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cinelake.clock import Clock, SystemClock
from cinelake.models import MAX_MESSAGE_BYTES

SQS_MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES
SQS_MAX_BATCH_ENTRIES = 10


class MessageTooLarge(ValueError):
    """A message body larger than one SQS message can hold."""


@dataclass(frozen=True)
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    sent_at: datetime
    first_received_at: datetime | None = None


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    body: str
    receive_count: int
    dead_at: datetime | None


@dataclass(frozen=True)
class QueueCounts:
    visible: int
    in_flight: int
    delayed: int
    dead: int

    @property
    def pending(self) -> int:
        return self.visible + self.in_flight + self.delayed


class Queue(Protocol):
    """What the pipeline's code asks of a queue: send. Receiving, retrying and dead-lettering
    are the delivery's (Lambda's event source mapping, or the local runtime over LocalQueue)."""

    def send(self, bodies: Sequence[str], delay_seconds: int = 0) -> list[str]: ...


def check_body(body: str) -> None:
    size = len(body.encode("utf-8"))
    if size > SQS_MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"message of {size / 1024:.0f} KiB exceeds the SQS limit of 256 KiB")


def send_batches(bodies: Sequence[str]) -> list[list[str]]:
    """Group bodies into SendMessageBatch calls: at most 10 entries and 256 KiB a call."""
    batches: list[list[str]] = []
    current: list[str] = []
    size = 0
    for body in bodies:
        check_body(body)
        n = len(body.encode("utf-8"))
        if current and (len(current) == SQS_MAX_BATCH_ENTRIES or size + n > SQS_MAX_MESSAGE_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(body)
        size += n
    if current:
        batches.append(current)
    return batches


_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT UNIQUE NOT NULL,
    body TEXT NOT NULL,
    sent_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at REAL,
    receipt TEXT
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages(visible_at);
CREATE TABLE IF NOT EXISTS dead_letters (
    message_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    sent_at REAL NOT NULL,
    receive_count INTEGER NOT NULL,
    dead_at REAL NOT NULL
);
"""


def _ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class LocalQueue:
    """SQS on a laptop: one SQLite file, every change a transaction, so a crash loses nothing."""

    def __init__(
        self,
        path: Path,
        *,
        visibility_timeout_s: float = 300.0,
        max_receive_count: int = 3,
        clock: Clock | None = None,
    ) -> None:
        self.path = Path(path)
        self.visibility_timeout_s = visibility_timeout_s
        self.max_receive_count = max_receive_count
        self.clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        # Opened on first use: a command that fails validation leaves no queue file behind.
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
            except sqlite3.DatabaseError as exc:
                conn.close()
                from cinelake.damage import DamagedFile, first_line

                raise DamagedFile(
                    f"{self.path.parent.name}/{self.path.name}", first_line(exc)
                ) from None
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _tx(self, fn: Any) -> Any:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def send(self, bodies: Sequence[str], delay_seconds: int = 0) -> list[str]:
        for body in bodies:
            check_body(body)
        now = self._now()
        ids = [str(uuid.uuid4()) for _ in bodies]

        def insert(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT INTO messages(message_id, body, sent_at, visible_at) VALUES (?,?,?,?)",
                [(i, b, now, now + delay_seconds) for i, b in zip(ids, bodies, strict=True)],
            )

        self._tx(insert)
        return ids

    def receive(self, max_messages: int = 10) -> list[QueueMessage]:
        now = self._now()

        def take(db: sqlite3.Connection) -> list[QueueMessage]:
            out: list[QueueMessage] = []
            while len(out) < max_messages:
                rows = db.execute(
                    "SELECT message_id, body, sent_at, receive_count, first_received_at FROM messages "
                    "WHERE visible_at <= ? ORDER BY seq LIMIT ?",
                    (now, max_messages - len(out)),
                ).fetchall()
                if not rows:
                    break
                for mid, body, sent_at, count, first in rows:
                    if count >= self.max_receive_count:
                        # The redrive policy: received too often, so it goes to the dead letters.
                        db.execute(
                            "INSERT OR REPLACE INTO dead_letters VALUES (?,?,?,?,?)",
                            (mid, body, sent_at, count, now),
                        )
                        db.execute("DELETE FROM messages WHERE message_id = ?", (mid,))
                        continue
                    receipt = f"{mid}:{uuid.uuid4().hex}"
                    db.execute(
                        "UPDATE messages SET visible_at = ?, receive_count = receive_count + 1, "
                        "first_received_at = COALESCE(first_received_at, ?), receipt = ? "
                        "WHERE message_id = ?",
                        (now + self.visibility_timeout_s, now, receipt, mid),
                    )
                    out.append(
                        QueueMessage(
                            mid,
                            receipt,
                            body,
                            count + 1,
                            _ts(sent_at) or self.clock.now(),
                            _ts(first if first is not None else now),
                        )
                    )
            return out

        return self._tx(take)  # type: ignore[no-any-return]

    def delete(self, receipt_handle: str) -> None:
        self.delete_batch([receipt_handle])

    def delete_batch(self, receipt_handles: Sequence[str]) -> None:
        # Like SQS, only the latest receipt may delete: a stale worker cannot delete a redelivery.
        self._tx(
            lambda db: db.executemany(
                "DELETE FROM messages WHERE receipt = ?", [(r,) for r in receipt_handles]
            )
        )

    def change_visibility(self, receipt_handle: str, timeout_s: float) -> None:
        now = self._now()
        self._tx(
            lambda db: db.execute(
                "UPDATE messages SET visible_at = ? WHERE receipt = ?",
                (now + max(0.0, timeout_s), receipt_handle),
            )
        )

    def release_in_flight(self, *, include_delayed: bool = False) -> int:
        """Make every in-flight message visible now: used when the one local worker restarts.

        With include_delayed, messages sent with a delay (a paused enrichment's re-queue) come
        back too: an explicit run is the operator's decision to try again now.
        """
        now = self._now()
        received = "" if include_delayed else " AND receive_count > 0"

        def release(db: sqlite3.Connection) -> int:
            cur = db.execute(
                f"UPDATE messages SET visible_at = ? WHERE visible_at > ?{received}", (now, now)
            )
            return cur.rowcount

        return self._tx(release)  # type: ignore[no-any-return]

    def next_visible_in(self) -> float | None:
        """Seconds until the next message becomes visible (0 if one is), None if the queue is empty."""
        with self._lock:
            row = self._db.execute("SELECT MIN(visible_at) FROM messages").fetchone()
        if row is None or row[0] is None:
            return None
        return max(0.0, row[0] - self._now())

    def counts(self) -> QueueCounts:
        now = self._now()
        with self._lock:
            visible, in_flight, delayed = self._db.execute(
                "SELECT "
                "COALESCE(SUM(visible_at <= ?), 0), "
                "COALESCE(SUM(visible_at > ? AND receive_count > 0), 0), "
                "COALESCE(SUM(visible_at > ? AND receive_count = 0), 0) FROM messages",
                (now, now, now),
            ).fetchone()
            (dead,) = self._db.execute("SELECT COUNT(*) FROM dead_letters").fetchone()
        return QueueCounts(int(visible), int(in_flight), int(delayed), int(dead))

    def bodies(self) -> list[str]:
        """Bodies of every message still queued (visible, in flight or delayed)."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT body FROM messages ORDER BY seq")]

    def dead_letters(self) -> list[DeadLetter]:
        with self._lock:
            rows = self._db.execute(
                "SELECT message_id, body, receive_count, dead_at FROM dead_letters ORDER BY dead_at"
            ).fetchall()
        return [DeadLetter(m, b, c, _ts(d)) for m, b, c, d in rows]

    def redrive(self, message_ids: Sequence[str] | None = None) -> int:
        now = self._now()

        def move(db: sqlite3.Connection) -> int:
            if message_ids is None:
                rows = db.execute("SELECT message_id, body FROM dead_letters").fetchall()
            else:
                rows = [
                    r
                    for mid in message_ids
                    for r in db.execute(
                        "SELECT message_id, body FROM dead_letters WHERE message_id = ?", (mid,)
                    ).fetchall()
                ]
            for mid, body in rows:
                db.execute(
                    "INSERT INTO messages(message_id, body, sent_at, visible_at) VALUES (?,?,?,?)",
                    (str(uuid.uuid4()), body, now, now),
                )
                db.execute("DELETE FROM dead_letters WHERE message_id = ?", (mid,))
            return len(rows)

        return self._tx(move)  # type: ignore[no-any-return]


class SqsQueue:
    """The port over Amazon SQS. On AWS the code only sends: Lambda's event source mapping
    receives, deletes and dead-letters (the redrive policy of template.yaml)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self.client = client
        self.queue_url = queue_url

    def send(self, bodies: Sequence[str], delay_seconds: int = 0) -> list[str]:
        ids: list[str] = []
        for batch in send_batches(bodies):
            entries = [
                {"Id": str(i), "MessageBody": body, "DelaySeconds": int(min(delay_seconds, 900))}
                for i, body in enumerate(batch)
            ]
            resp = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = resp.get("Failed") or []
            if failed:
                codes = ", ".join(sorted({f.get("Code", "?") for f in failed}))
                raise RuntimeError(f"SQS refused {len(failed)} of {len(entries)} messages: {codes}")
            ids.extend(s["MessageId"] for s in resp.get("Successful", []))
        return ids
