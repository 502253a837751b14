"""The local queue keeps SQS's promises: visibility, receive counts, dead letters, durability."""

from pathlib import Path

import pytest

from cinelake.adapters.queue import LocalQueue, MessageTooLarge, send_batches
from cinelake.clock import FakeClock


@pytest.fixture
def queue(tmp_path: Path, clock: FakeClock) -> LocalQueue:
    return LocalQueue(
        tmp_path / "q.sqlite3", visibility_timeout_s=30, max_receive_count=3, clock=clock
    )


def test_received_message_is_invisible_until_timeout(queue: LocalQueue, clock: FakeClock) -> None:
    queue.send(["a"])
    [m] = queue.receive()
    assert m.body == "a" and m.receive_count == 1
    assert queue.receive() == []
    clock.advance(29)
    assert queue.receive() == []
    clock.advance(2)
    [again] = queue.receive()
    assert again.message_id == m.message_id and again.receive_count == 2


def test_delete_needs_the_latest_receipt(queue: LocalQueue, clock: FakeClock) -> None:
    queue.send(["a"])
    [first] = queue.receive()
    clock.advance(31)
    [second] = queue.receive()
    queue.delete(first.receipt_handle)  # a stale worker cannot delete the redelivery
    assert queue.counts().in_flight == 1
    queue.delete(second.receipt_handle)
    assert queue.counts().pending == 0


def test_dead_letter_after_max_receives(queue: LocalQueue, clock: FakeClock) -> None:
    queue.send(["poison", "fine"])
    for attempt in range(1, 4):
        msgs = {m.body: m for m in queue.receive()}
        assert msgs["poison"].receive_count == attempt
        if "fine" in msgs:
            queue.delete(msgs["fine"].receipt_handle)
        queue.change_visibility(msgs["poison"].receipt_handle, 0)
    assert queue.receive() == []
    [dead] = queue.dead_letters()
    assert dead.body == "poison" and dead.receive_count == 3
    assert queue.counts().dead == 1 and queue.counts().pending == 0


def test_redrive_returns_dead_letters_fresh(queue: LocalQueue) -> None:
    queue.send(["p"])
    for _ in range(3):
        [m] = queue.receive()
        queue.change_visibility(m.receipt_handle, 0)
    queue.receive()
    assert queue.redrive() == 1
    [m] = queue.receive()
    assert m.body == "p" and m.receive_count == 1
    assert queue.dead_letters() == []


def test_survives_reopen_and_releases_in_flight(tmp_path: Path, clock: FakeClock) -> None:
    q1 = LocalQueue(tmp_path / "q.sqlite3", visibility_timeout_s=300, clock=clock)
    q1.send(["a", "b"])
    q1.receive(1)
    q1.close()  # the process dies with "a" in flight
    q2 = LocalQueue(tmp_path / "q.sqlite3", visibility_timeout_s=300, clock=clock)
    assert q2.counts().visible == 1 and q2.counts().in_flight == 1
    assert q2.release_in_flight() == 1
    assert sorted(m.body for m in q2.receive()) == ["a", "b"]


def test_delayed_messages(queue: LocalQueue, clock: FakeClock) -> None:
    queue.send(["later"], delay_seconds=60)
    assert queue.receive() == [] and queue.counts().delayed == 1
    assert queue.next_visible_in() == pytest.approx(60)
    clock.advance(60)
    assert [m.body for m in queue.receive()] == ["later"]


def test_message_size_limit(queue: LocalQueue) -> None:
    with pytest.raises(MessageTooLarge, match="256 KiB"):
        queue.send(["x" * (256 * 1024 + 1)])


def test_send_batches_respect_sqs_limits() -> None:
    bodies = ["x" * 100_000] * 5 + ["y"] * 25
    batches = send_batches(bodies)
    assert [b for batch in batches for b in batch] == bodies
    assert all(len(b) <= 10 and sum(len(x) for x in b) <= 256 * 1024 for b in batches)
