"""The outbox sender and a database fault in the middle of a batch (issue 14): the rest of
the batch is done, the drain fails once with the fault (no line per row), and the next drain
sends what the fault left claimed, without resending what had already reached Telegram."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.clock import FakeClock
from bot.kernel.faults import is_fault
from bot.kernel.outbox import OutboxSender
from bot.services import Services
from config.event import load_event_config
from tests.harness import settings_for
from tests.test_outbox import NOTE, T0, FakeTransport, by_key, note, render_note

FULL = sqlite3.OperationalError("database or disk is full")


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    started = await Services.start(
        settings_for(tmp_path / "db.sqlite3"), load_event_config(), FakeClock(T0)
    )
    try:
        yield started
    finally:
        await started.close()


def sender_for(services: Services, transport: FakeTransport) -> OutboxSender:
    sender = OutboxSender(services.outbox, services.users, transport, services.clock)
    sender.register(NOTE, render_note)
    return sender


def fail_once(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, user_or_row: int) -> None:
    """``target.name`` raises a full disk once, for the first call about ``user_or_row``."""
    real = getattr(target, name)
    done: list[bool] = []

    async def failing(first: int, *args: Any, **kwargs: Any) -> Any:
        if first == user_or_row and not done:
            done.append(True)
            raise FULL
        return await real(first, *args, **kwargs)

    monkeypatch.setattr(target, name, failing)


async def test_a_fault_before_delivery_leaves_the_row_for_the_next_drain(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    transport = FakeTransport()
    sender = sender_for(services, transport)
    await services.outbox.add([note("a", 1), note("b", 2), note("c", 3)], T0)
    fail_once(monkeypatch, services.users, "get", 2)
    with pytest.raises(sqlite3.OperationalError) as raised:
        await sender.drain()
    assert is_fault(raised.value)
    assert sorted(transport.delivered) == [(1, "text of a"), (3, "text of c")]
    assert (await by_key(services))["b"].status == "sending"  # left as claimed
    assert not [r for r in caplog.records if "outbox row" in r.getMessage()]  # no line per row

    report = await sender.drain()  # the database works again
    assert report.sent == 1 and transport.delivered[-1] == (2, "text of b")
    rows = await by_key(services)
    assert {key: row.status for key, row in rows.items()} == dict.fromkeys("abc", "sent")
    assert rows["b"].attempts == 1  # the stranded attempt did not count


async def test_a_delivery_whose_record_failed_is_recorded_not_resent(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FakeTransport()
    sender = sender_for(services, transport)
    await services.outbox.add([note("a", 1), note("b", 2)], T0)
    row_b = (await by_key(services))["b"]
    fail_once(monkeypatch, services.outbox, "finish", row_b.id)
    with pytest.raises(sqlite3.OperationalError):
        await sender.drain()
    assert sorted(transport.delivered) == [(1, "text of a"), (2, "text of b")]

    assert (await sender.drain()).processed == 0
    assert sorted(transport.delivered) == [(1, "text of a"), (2, "text of b")]  # once each
    found = await services.db.fetchone(
        "SELECT status, message_id FROM outbox WHERE id = ?", (row_b.id,)
    )
    assert found is not None and tuple(found) == ("sent", 1002)


async def test_an_error_that_is_not_a_fault_is_still_retried_per_row(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A constraint or a bug is not the database failing: the row's usual retry."""
    transport = FakeTransport()
    sender = sender_for(services, transport)
    await services.outbox.add([note("a", 1)], T0)
    real = services.users.get

    async def broken(user_id: int) -> Any:
        raise sqlite3.IntegrityError("UNIQUE constraint failed: users.user_id")

    monkeypatch.setattr(services.users, "get", broken)
    report = await sender.drain()
    assert report.retried == 1
    monkeypatch.setattr(services.users, "get", real)
    assert (await by_key(services))["a"].status == "pending"


async def test_a_fault_in_deliver_now_leaves_both_rows_for_the_next_drain(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone waits for two messages (a confirmation, its calendar file): the first meets
    a fault, so neither goes now (their order is kept); the next drain sends both."""
    transport = FakeTransport()
    sender = sender_for(services, transport)
    await services.outbox.add([note("first", 7), note("second", 7)], T0)
    fail_once(monkeypatch, services.users, "get", 7)
    with pytest.raises(sqlite3.OperationalError):
        await sender.deliver_now(["first", "second"])
    assert transport.delivered == []
    report = await sender.drain()
    assert report.sent == 2
    assert transport.delivered == [(7, "text of first"), (7, "text of second")]
