"""Tests for the durable outbox (storage/outbox.py) and its sender (bot/outbox.py).

A real SQLite database in tmp_path, a fake transport instead of Telegram, a fake clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.clock import FakeClock
from bot.kernel.outbox import (
    MAX_ATTEMPTS,
    Blocked,
    DeliveryFailed,
    OutboxSender,
    Outgoing,
    Prepared,
    RetryLater,
)
from bot.services import Services
from config.event import EventConfig, load_event_config
from storage.outbox import OutboxRow, Planned
from storage.registrations import Registration, Status
from tests.harness import minutes_from, new_registration, settings_for

T0 = dt.datetime(2023, 12, 1, 9, 0, tzinfo=dt.UTC)
EVENT = "copianificazione-2023"
NOTE = "note"  # a kind of row whose text is in its payload


at = minutes_from(T0)


class FakeTransport:
    """Records deliveries; raises the exceptions queued for a user, in order."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.delivered: list[tuple[int, str | None]] = []
        self.edited: list[tuple[int, int, str | None]] = []
        self.calls: list[int] = []
        self.failures: dict[int, list[BaseException]] = {}
        self.always: dict[int, BaseException] = {}
        self.in_flight = 0
        self.max_in_flight = 0

    def fail(self, user_id: int, *errors: BaseException) -> None:
        self.failures.setdefault(user_id, []).extend(errors)

    async def edit(self, user_id: int, message_id: int, message: Outgoing) -> None:
        self.edited.append((user_id, message_id, message.text))

    async def deliver(self, user_id: int, message: Outgoing, *, bulk: bool = True) -> int:
        self.calls.append(user_id)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if user_id in self.always:
                raise self.always[user_id]
            queued = self.failures.get(user_id)
            if queued:
                raise queued.pop(0)
            self.delivered.append((user_id, message.text))
            return 1000 + len(self.delivered)
        finally:
            self.in_flight -= 1


@pytest.fixture(scope="module")
def config() -> EventConfig:
    return load_event_config()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def services(
    tmp_path: Path, config: EventConfig, clock: FakeClock
) -> AsyncIterator[Services]:
    started = await Services.start(settings_for(tmp_path / "db.sqlite3"), config, clock)
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
def transport() -> FakeTransport:
    return FakeTransport()


async def render_note(row: OutboxRow, now: dt.datetime) -> Prepared:
    return Prepared(Outgoing(text=str(row.payload["text"])))


@pytest.fixture
def sender(services: Services, transport: FakeTransport, clock: FakeClock) -> OutboxSender:
    outbox_sender = OutboxSender(services.outbox, services.users, transport, clock)
    outbox_sender.register(NOTE, render_note)
    outbox_sender.register("reminder", services.reminders.render)
    return outbox_sender


def note(
    key: str,
    user_id: int,
    *,
    due: dt.datetime = T0,
    expires: dt.datetime | None = None,
    kind: str = NOTE,
    registration_id: int | None = None,
) -> Planned:
    return Planned(
        dedupe_key=key,
        kind=kind,
        user_id=user_id,
        due_at=due,
        expires_at=expires,
        registration_id=registration_id,
        event_id=EVENT if registration_id else None,
        rule_id="r" if kind == "reminder" else None,
        payload={"text": f"text of {key}"},
    )


async def by_key(services: Services) -> dict[str, OutboxRow]:
    return {row.dedupe_key: row for row in await services.outbox.rows()}


async def register(
    services: Services,
    user_id: int,
    *,
    mode: str = "in_person",
    zone: int = 5,
    capacity: int | None = None,
) -> Registration:
    new = new_registration(services.config, user_id, event=EVENT, zone=zone, mode=mode)
    return await services.registrations.create(new, capacity, services.clock.now())


# --- OutboxRepository --------------------------------------------------------------------


async def test_add_is_idempotent_by_dedupe_key(services: Services) -> None:
    outbox = services.outbox
    assert await outbox.add([note("a", 1), note("b", 1), note("c", 2)], T0) == 3
    assert await outbox.add([note("a", 1), note("b", 1), note("d", 3)], at(1)) == 1
    assert await outbox.add([note("e", 4), note("e", 4)], at(2)) == 1
    assert await outbox.add([], at(3)) == 0
    rows = await by_key(services)
    assert sorted(rows) == ["a", "b", "c", "d", "e"]
    assert {row.status for row in rows.values()} == {"pending"}
    assert all(row.attempts == 0 and row.sent_at is None for row in rows.values())
    assert rows["a"].payload == {"text": "text of a"}
    assert rows["a"].due_at == T0


async def test_a_dedupe_key_is_not_planned_again_after_sending(services: Services) -> None:
    outbox = services.outbox
    await outbox.add([note("a", 1)], T0)
    (row,) = await outbox.claim_due(T0, 10)
    await outbox.finish(row.id, "sent", T0, message_id=7)
    assert await outbox.add([note("a", 1, due=at(10))], at(1)) == 0
    (again,) = await outbox.rows()
    assert (again.status, again.due_at) == ("sent", T0)


async def test_claim_due_respects_due_time_and_limit(services: Services) -> None:
    outbox = services.outbox
    await outbox.add(
        [note("later", 1, due=at(10)), note("second", 2, due=at(1)), note("first", 3, due=T0)],
        T0,
    )
    assert await outbox.claim_due(T0 - dt.timedelta(seconds=1), 10) == []
    (first,) = await outbox.claim_due(at(5), 1)  # oldest first, at most 1
    assert (first.dedupe_key, first.status, first.attempts) == ("first", "sending", 1)
    rows = await by_key(services)
    assert rows["first"].status == "sending"
    assert rows["first"].attempts == 1
    assert rows["second"].status == rows["later"].status == "pending"

    (second,) = await outbox.claim_due(at(5), 10)  # "later" is not due yet
    assert second.dedupe_key == "second"
    assert await outbox.claim_due(at(5), 10) == []  # claimed rows are not claimed again
    assert await outbox.next_due() == at(10)
    (later,) = await outbox.claim_due(at(10), 10)  # due exactly now
    assert later.dedupe_key == "later"
    assert await outbox.next_due() is None
    assert (await outbox.counts()) == {"sending": 3}


async def test_recover_in_flight(services: Services) -> None:
    outbox = services.outbox
    await outbox.add([note("a", 1), note("b", 2), note("c", 3, due=at(60))], T0)
    claimed = await outbox.claim_due(T0, 10)
    assert len(claimed) == 2
    await outbox.finish(claimed[0].id, "sent", T0, message_id=1)
    # the bot stops with "b" in flight; at the next start it is due again
    assert await outbox.recover_in_flight(at(1)) == 1
    rows = await by_key(services)
    assert [rows[key].status for key in "abc"] == ["sent", "pending", "pending"]
    assert rows["b"].attempts == 1
    assert await outbox.recover_in_flight(at(2)) == 0
    (again,) = await outbox.claim_due(at(2), 10)
    assert again.dedupe_key == "b"
    assert (again.status, again.attempts) == ("sending", 2)  # as claimed
    assert (await by_key(services))["b"].attempts == 2


async def test_replan_replaces_only_pending_reminders(services: Services) -> None:
    outbox = services.outbox
    anna = await register(services, 1)
    bruno = await register(services, 2)
    await outbox.add(
        [
            note("anna-sent", 1, kind="reminder", registration_id=anna.id),
            note("anna-old", 1, kind="reminder", registration_id=anna.id, due=at(60)),
            note("anna-kept", 1, kind="reminder", registration_id=anna.id, due=at(60)),
            note("anna-fix", 1, kind="link_fix", registration_id=anna.id, due=at(60)),
            note("bruno", 2, kind="reminder", registration_id=bruno.id, due=at(60)),
        ],
        T0,
    )
    (sent,) = await outbox.claim_due(T0, 10)
    await outbox.finish(sent.id, "sent", T0, message_id=1)

    await outbox.replan(
        anna.id,
        [
            note("anna-sent", 1, kind="reminder", registration_id=anna.id, due=at(90)),
            note("anna-kept", 1, kind="reminder", registration_id=anna.id, due=at(90)),
            note("anna-new", 1, kind="reminder", registration_id=anna.id, due=at(90)),
        ],
        at(1),
    )
    rows = await by_key(services)
    assert sorted(rows) == ["anna-fix", "anna-kept", "anna-new", "anna-sent", "bruno"]
    assert rows["anna-sent"].status == "sent"  # sent stays sent, not planned again
    assert rows["anna-sent"].due_at == T0
    assert rows["anna-kept"].due_at == at(90)  # replaced by the new plan
    assert rows["anna-new"].status == "pending"
    assert rows["anna-fix"].status == "pending"  # not a reminder: left alone
    assert rows["bruno"].due_at == at(60)  # someone else's: left alone

    await outbox.replan(anna.id, [], at(2))  # e.g. nothing applies any more
    assert sorted(await by_key(services)) == ["anna-fix", "anna-sent", "bruno"]


async def test_cancel_pending(services: Services) -> None:
    outbox = services.outbox
    anna = await register(services, 1)
    bruno = await register(services, 2)
    await outbox.add(
        [
            note("anna-sent", 1, kind="reminder", registration_id=anna.id),
            note("anna-1", 1, kind="reminder", registration_id=anna.id, due=at(60)),
            note("anna-2", 1, kind="link_fix", registration_id=anna.id, due=at(60)),
            note("bruno-1", 2, kind="reminder", registration_id=bruno.id, due=at(60)),
            note("bruno-note", 2, due=at(60)),
        ],
        T0,
    )
    (sent,) = await outbox.claim_due(T0, 10)
    await outbox.finish(sent.id, "sent", T0, message_id=1)

    assert await outbox.cancel_pending(registration_id=anna.id, reason="cancelled", now=T0) == 2
    assert await outbox.cancel_pending(registration_id=anna.id, reason="again", now=T0) == 0
    rows = await by_key(services)
    assert rows["anna-sent"].status == "sent"
    assert (rows["anna-1"].status, rows["anna-1"].reason) == ("cancelled", "cancelled")
    assert rows["anna-2"].status == "cancelled"
    assert rows["bruno-1"].status == rows["bruno-note"].status == "pending"

    assert await outbox.cancel_pending(user_id=2, reason="erased", now=T0) == 2
    assert {row.status for row in await outbox.rows(user_id=2)} == {"cancelled"}
    assert await outbox.claim_due(at(60), 10) == []
    with pytest.raises(ValueError, match="exactly one of registration_id, user_id, broadcast_id"):
        await outbox.cancel_pending(reason="x", now=T0)


# --- OutboxSender ------------------------------------------------------------------------


async def test_drain_delivers_due_rows_once(
    services: Services, sender: OutboxSender, transport: FakeTransport, clock: FakeClock
) -> None:
    await services.outbox.add(
        [note("a", 1), note("b", 2), note("c", 3, due=at(-30)), note("later", 4, due=at(60))], T0
    )
    report = await sender.drain()
    assert (report.sent, report.skipped, report.failed, report.retried) == (3, 0, 0, 0)
    assert sorted(transport.delivered) == [(1, "text of a"), (2, "text of b"), (3, "text of c")]
    rows = await by_key(services)
    for key in "abc":
        assert rows[key].status == "sent"
        assert rows[key].sent_at == T0
        assert rows[key].attempts == 1
    assert rows["later"].status == "pending"

    again = await sender.drain()
    assert again.processed == 0
    assert len(transport.calls) == 3

    clock.advance(dt.timedelta(minutes=60))
    assert (await sender.drain()).sent == 1
    assert transport.delivered[-1] == (4, "text of later")
    assert (await sender.drain()).processed == 0
    assert await services.outbox.counts() == {"sent": 4}


async def test_drain_records_the_link_and_message_id(
    services: Services, transport: FakeTransport, clock: FakeClock
) -> None:
    async def with_link(row: OutboxRow, now: dt.datetime) -> Prepared:
        return Prepared(Outgoing(text="link"), link="https://meet.example.org/x")

    link_sender = OutboxSender(services.outbox, services.users, transport, clock)
    link_sender.register("link", with_link)
    await services.outbox.add([note("a", 1, kind="link")], T0)
    assert (await link_sender.drain()).sent == 1
    (row,) = await services.outbox.rows(status="sent")
    assert row.sent_link == "https://meet.example.org/x"
    found = await services.db.fetchone("SELECT message_id FROM outbox WHERE id = ?", (row.id,))
    assert found is not None and found[0] == 1001


async def test_expired_rows_are_skipped_as_late(
    services: Services, sender: OutboxSender, transport: FakeTransport, clock: FakeClock
) -> None:
    await services.outbox.add(
        [
            note("gone", 1, due=at(-60), expires=at(-1)),
            note("just-gone", 2, due=at(-60), expires=T0),  # expires_at is exclusive
            note("in-time", 3, due=at(-60), expires=at(1)),
        ],
        T0,
    )
    report = await sender.drain()
    assert (report.sent, report.skipped) == (1, 2)
    assert transport.calls == [3]
    rows = await by_key(services)
    assert (rows["gone"].status, rows["gone"].reason) == ("skipped", "late")
    assert (rows["just-gone"].status, rows["just-gone"].reason) == ("skipped", "late")
    assert rows["in-time"].status == "sent"


async def test_unknown_kind_is_skipped(
    services: Services, sender: OutboxSender, transport: FakeTransport
) -> None:
    await services.outbox.add([note("a", 1, kind="mystery")], T0)
    assert (await sender.drain()).skipped == 1
    (row,) = await services.outbox.rows()
    assert (row.status, row.reason) == ("skipped", "unknown_kind:mystery")
    assert transport.calls == []


async def test_blocked_user(
    services: Services, sender: OutboxSender, transport: FakeTransport, clock: FakeClock
) -> None:
    for user_id in (1, 2):
        await services.users.record_consent(user_id, T0)
    await services.outbox.add(
        [note("first", 1), note("other", 2), note("second", 1, due=at(5))], T0
    )
    transport.fail(1, Blocked())
    report = await sender.drain()
    assert (report.sent, report.failed) == (1, 1)
    rows = await by_key(services)
    assert (rows["first"].status, rows["first"].reason) == ("failed", "blocked")
    assert rows["other"].status == "sent"
    user = await services.users.get(1)
    assert user is not None and not user.reachable
    other = await services.users.get(2)
    assert other is not None and other.reachable

    clock.advance(dt.timedelta(minutes=5))
    calls = len(transport.calls)
    assert (await sender.drain()).skipped == 1
    assert len(transport.calls) == calls  # not tried again
    second = (await by_key(services))["second"]
    assert (second.status, second.reason) == ("skipped", "unreachable")

    # back (a my_chat_member update): delivered again
    await services.users.set_reachable(1, True)
    await services.outbox.add([note("third", 1, due=at(5))], at(5))
    assert (await sender.drain()).sent == 1
    assert transport.delivered[-1] == (1, "text of third")


async def test_retry_later_puts_the_row_back_and_delivers_it_next_time(
    services: Services, sender: OutboxSender, transport: FakeTransport
) -> None:
    await services.outbox.add([note("a", 1, due=at(-1))], T0)
    transport.fail(1, RetryLater(0.01))
    report = await sender.drain()
    assert (report.sent, report.retried) == (0, 1)
    (row,) = await services.outbox.rows()
    assert (row.status, row.reason, row.due_at) == ("pending", "flood_control", at(-1))

    started = time.monotonic()
    report = await sender.drain()  # waits out the 10 ms pause, then sends
    assert time.monotonic() - started >= 0.009
    assert report.sent == 1
    assert transport.delivered == [(1, "text of a")]
    assert transport.calls == [1, 1]
    (row,) = await services.outbox.rows()
    assert (row.status, row.attempts) == ("sent", 2)


async def test_persistent_flood_control_does_not_keep_a_drain_running(
    services: Services, sender: OutboxSender, transport: FakeTransport
) -> None:
    """One chat answering 429 every time, others fine: the drain ends, the row waits."""
    await services.outbox.add([note("flooded", 1), note("fine", 2), note("also-fine", 3)], T0)
    transport.always[1] = RetryLater(0.01)
    report = await asyncio.wait_for(sender.drain(), timeout=2)
    assert report.sent == 2
    assert report.retried >= 1
    rows = await by_key(services)
    assert rows["flooded"].status == "pending"
    assert rows["fine"].status == rows["also-fine"].status == "sent"
    del transport.always[1]
    assert (await asyncio.wait_for(sender.drain(), timeout=2)).sent == 1


async def test_delivery_failed(
    services: Services, sender: OutboxSender, transport: FakeTransport
) -> None:
    await services.outbox.add([note("a", 1), note("b", 2)], T0)
    transport.fail(1, DeliveryFailed("Bad Request: chat not found"))
    transport.fail(2, DeliveryFailed(""))
    report = await sender.drain()
    assert (report.sent, report.failed) == (0, 2)
    rows = await by_key(services)
    assert (rows["a"].status, rows["a"].reason) == ("failed", "Bad Request: chat not found")
    assert (rows["b"].status, rows["b"].reason) == ("failed", "bad_request")
    assert (await sender.drain()).processed == 0
    assert len(transport.calls) == 2
    user = await services.users.get(1)
    assert user is None or user.reachable  # a bad request is not a block


async def test_unexpected_error_is_retried_with_backoff_then_failed(
    services: Services, sender: OutboxSender, transport: FakeTransport, clock: FakeClock
) -> None:
    await services.outbox.add([note("a", 1)], T0)
    transport.always[1] = RuntimeError("boom")
    for attempt in range(1, MAX_ATTEMPTS):
        report = await sender.drain()
        assert report.retried == 1, attempt
        (row,) = await services.outbox.rows()
        backoff = dt.timedelta(seconds=30 * attempt)
        assert (row.status, row.reason, row.attempts) == ("pending", "RuntimeError", attempt)
        assert row.due_at == clock.now() + backoff
        clock.advance(backoff - dt.timedelta(seconds=1))
        assert (await sender.drain()).processed == 0  # not before the backoff
        clock.advance(dt.timedelta(seconds=1))
    report = await sender.drain()
    assert (report.failed, report.retried) == (1, 0)
    (row,) = await services.outbox.rows()
    assert (row.status, row.reason, row.attempts) == ("failed", "RuntimeError", MAX_ATTEMPTS)
    assert transport.calls == [1] * MAX_ATTEMPTS
    clock.advance(dt.timedelta(hours=1))
    assert (await sender.drain()).processed == 0


async def test_unexpected_error_once_then_delivered(
    services: Services, sender: OutboxSender, transport: FakeTransport, clock: FakeClock
) -> None:
    await services.outbox.add([note("a", 1), note("b", 2)], T0)
    transport.fail(1, ValueError("glitch"))
    report = await sender.drain()
    assert (report.sent, report.retried) == (1, 1)  # one row's error does not stop the other
    clock.advance(dt.timedelta(seconds=30))
    assert (await sender.drain()).sent == 1
    assert sorted(transport.delivered) == [(1, "text of a"), (2, "text of b")]


async def test_a_renderer_error_is_retried_too(
    services: Services, transport: FakeTransport, clock: FakeClock
) -> None:
    calls = 0

    async def flaky(row: OutboxRow, now: dt.datetime) -> Prepared:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("missing")
        return Prepared(Outgoing(text="ok"))

    flaky_sender = OutboxSender(services.outbox, services.users, transport, clock)
    flaky_sender.register("flaky", flaky)
    await services.outbox.add([note("a", 1, kind="flaky")], T0)
    assert (await flaky_sender.drain()).retried == 1
    clock.advance(dt.timedelta(seconds=30))
    assert (await flaky_sender.drain()).sent == 1
    assert transport.delivered == [(1, "ok")]


async def test_deliveries_run_in_parallel_and_each_happens_once(
    services: Services, clock: FakeClock
) -> None:
    slow = FakeTransport(delay=0.02)
    parallel = OutboxSender(services.outbox, services.users, slow, clock, concurrency=16)
    parallel.register(NOTE, render_note)
    await services.outbox.add([note(f"n{i}", 100 + i) for i in range(50)], T0)

    started = time.perf_counter()
    reports = await asyncio.gather(parallel.drain(), parallel.drain())  # one at a time
    elapsed = time.perf_counter() - started

    assert sorted(report.sent for report in reports) == [0, 50]
    assert elapsed < 50 * 0.02 / 2, elapsed  # sequential would take at least 1 s
    assert 1 < slow.max_in_flight <= 16
    assert Counter(slow.calls) == {100 + i: 1 for i in range(50)}
    assert len(slow.delivered) == 50
    assert await services.outbox.counts() == {"sent": 50}
    assert (await parallel.drain()).processed == 0


async def test_one_persons_messages_keep_their_order(services: Services, clock: FakeClock) -> None:
    """A person's rows due at once arrive in the order they were queued (the poll's "closed"
    before the next session's notice), even when the first takes longer to send."""

    class SlowFirst(FakeTransport):
        async def deliver(self, user_id: int, message: Outgoing, *, bulk: bool = True) -> int:
            self.delay = 0.05 if (message.text or "").endswith("first") else 0.0
            return await super().deliver(user_id, message, bulk=bulk)

    slow = SlowFirst()
    parallel = OutboxSender(services.outbox, services.users, slow, clock, concurrency=16)
    parallel.register(NOTE, render_note)
    await services.outbox.add([note("first", 7), note("second", 7), note("other", 8)], T0)
    assert (await parallel.drain()).sent == 3
    assert [text for user, text in slow.delivered if user == 7] == [
        "text of first",
        "text of second",
    ]


async def test_batches_until_nothing_is_due(
    services: Services, transport: FakeTransport, clock: FakeClock
) -> None:
    small = OutboxSender(services.outbox, services.users, transport, clock, batch=3)
    small.register(NOTE, render_note)
    await services.outbox.add([note(f"n{i}", i) for i in range(10)], T0)
    assert (await small.drain()).sent == 10
    assert sorted(transport.calls) == list(range(10))


async def test_recover_then_drain_resends_what_was_in_flight(
    services: Services, sender: OutboxSender, transport: FakeTransport
) -> None:
    await services.outbox.add([note("a", 1), note("b", 2)], T0)
    await services.outbox.claim_due(T0, 1)  # "a" was in flight when the bot stopped
    assert await sender.recover() == 1
    assert (await sender.drain()).sent == 2
    assert sorted(transport.calls) == [1, 2]


async def test_progress_callbacks(
    services: Services, sender: OutboxSender, transport: FakeTransport
) -> None:
    seen: list[tuple[str, str]] = []

    async def progress(row: OutboxRow, status: str) -> None:
        seen.append((row.dedupe_key, status))

    sender.on_progress.append(progress)
    await services.outbox.add([note("a", 1), note("late", 2, due=at(-5), expires=at(-1))], T0)
    transport.fail(1, DeliveryFailed("no"))
    await sender.drain()
    assert sorted(seen) == [("a", "failed"), ("late", "skipped")]


# --- reminders of registrations that changed -----------------------------------------------

EVE = dt.datetime(2023, 12, 4, 17, 0, tzinfo=dt.UTC)  # 4 Dec 18:00 in Rome: vigilia


async def plan_reminders(services: Services, *registrations: Registration) -> None:
    for registration in registrations:
        await services.planner.plan(registration, services.clock.now())


def reminder_rows(rows: list[OutboxRow], registration: Registration) -> dict[str, OutboxRow]:
    return {
        f"{row.rule_id}:{row.anchor}": row for row in rows if row.registration_id == registration.id
    }


async def test_reminders_of_a_cancelled_registration_are_skipped(
    services: Services, sender: OutboxSender, transport: FakeTransport, clock: FakeClock
) -> None:
    anna = await register(services, 1, zone=5)
    bruno = await register(services, 2, zone=9)
    await plan_reminders(services, anna, bruno)
    planned = reminder_rows(await services.outbox.rows(), anna)
    assert sorted(planned) == ["grazie:", "mattina-presenza:", "vigilia-presenza:"]

    await services.registrations.cancel(anna.id, 40, clock.now())  # rows left pending
    clock.set(EVE)
    report = await sender.drain()
    assert (report.sent, report.skipped) == (1, 1)
    rows = await services.outbox.rows()
    eve = reminder_rows(rows, anna)["vigilia-presenza:"]
    assert (eve.status, eve.reason) == ("skipped", "registration_inactive")
    assert reminder_rows(rows, bruno)["vigilia-presenza:"].status == "sent"
    assert transport.calls == [2]
    ((_, text),) = transport.delivered
    assert text is not None and "Persona 2" in text and "Strambino" in text


async def test_reminders_of_a_waitlisted_registration_are_skipped(
    services: Services, sender: OutboxSender, transport: FakeTransport, clock: FakeClock
) -> None:
    waiting = await register(services, 1, zone=5, capacity=0)
    assert waiting.status is Status.WAITLISTED
    online = await register(services, 2, mode="online", zone=1)
    await plan_reminders(services, waiting, online)
    assert sorted(reminder_rows(await services.outbox.rows(), waiting)) == [
        "grazie:",
        "mattina-presenza:",
        "vigilia-presenza:",
    ]  # planned anyway: a promotion needs no re-planning

    clock.set(EVE)
    report = await sender.drain()
    assert (report.sent, report.skipped) == (1, 1)
    rows = await services.outbox.rows()
    eve = reminder_rows(rows, waiting)["vigilia-presenza:"]
    assert (eve.status, eve.reason) == ("skipped", "waitlisted")
    sent = reminder_rows(rows, online)["vigilia-online:plenaria-apertura"]
    assert sent.status == "sent"
    assert transport.calls == [2]
    # the later rows stay planned and are still pending
    assert reminder_rows(rows, waiting)["mattina-presenza:"].status == "pending"


async def in_flight(transport: FakeTransport, count: int) -> None:
    """Wait until ``count`` deliveries are in flight (at most 5 s)."""
    for _ in range(500):
        if transport.in_flight >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{transport.in_flight} deliveries in flight, not {count}")


async def test_stop_lets_deliveries_in_flight_finish_and_gives_back_the_rest(
    services: Services, clock: FakeClock
) -> None:
    """Graceful stop (SIGTERM): no new row is taken, those being delivered finish, the rows
    claimed but not started are pending again with their attempt not counted."""
    slow = FakeTransport(delay=0.2)
    sender = OutboxSender(services.outbox, services.users, slow, clock, concurrency=2)
    sender.register(NOTE, render_note)
    await services.outbox.add([note(f"n{i}", 100 + i) for i in range(6)], T0)
    await sender.drain_soon()
    await in_flight(slow, 2)
    await sender.stop(grace=5)
    rows = await by_key(services)
    sent = [row for row in rows.values() if row.status == "sent"]
    pending = [row for row in rows.values() if row.status == "pending"]
    assert len(sent) == len(slow.delivered) == 2  # the two in flight finished
    assert len(pending) == 4 and all(row.attempts == 0 for row in pending)
    await sender.drain_soon()  # stopped: takes nothing new
    await asyncio.sleep(0.05)
    assert len(slow.calls) == 2


async def test_stop_cancels_what_outlasts_the_grace(services: Services, clock: FakeClock) -> None:
    stuck = FakeTransport(delay=30)
    sender = OutboxSender(services.outbox, services.users, stuck, clock)
    sender.register(NOTE, render_note)
    await services.outbox.add([note("n", 100)], T0)
    await sender.drain_soon()
    await in_flight(stuck, 1)
    started = time.monotonic()
    await sender.stop(grace=0.2)
    assert time.monotonic() - started < 2
    assert (await by_key(services))["n"].status == "sending"  # resent at the next start
