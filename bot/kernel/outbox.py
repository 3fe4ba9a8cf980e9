"""The one outbox sender: delivers due rows within Telegram's limits, exactly once if it can.

Each drain claims due rows (``pending`` -> ``sending``) and delivers them with a bounded
number in flight; the Bot API client's rate limiter keeps the overall pace to about 30
messages a second and waits out a 429's ``retry_after``. Outcomes:

- delivered: ``sent`` (with the message id and the link it carried);
- no longer useful (past ``expires_at``, registration cancelled, rule removed...):
  ``skipped``/``cancelled`` with the reason recorded;
- the user blocked the bot (403): ``failed``/``blocked``, and the user is marked
  unreachable; later rows for them are skipped until a ``my_chat_member`` update says they
  are back;
- 429 even after the client's retries: back to ``pending``, and the sender pauses for
  ``retry_after``;
- other errors: retried with backoff up to :data:`MAX_ATTEMPTS`, then ``failed``;
- a fault of the database itself (full disk, read-only...: :func:`bot.kernel.faults.fault_line`)
  while a row is handled: the row is left as claimed, the rest of the batch finishes, then
  the drain fails with that error (reported once by the running bot's
  :class:`~bot.kernel.faults.Faults`, not once per row); the next drain first gives those
  rows back to ``pending``, so once the database works again they are sent (as after a
  crash, one that had reached Telegram just before the fault can arrive twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.kernel.clock import Clock
from bot.kernel.faults import is_fault
from bot.kernel.logs import describe, log_task_failure
from bot.kernel.replies import Keyboard
from storage.outbox import OutboxRepository, OutboxRow
from storage.users import UserRepository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
CONCURRENCY = 16  # deliveries in flight at once: also the most a crash can duplicate
NO_LINK_RECHECK = dt.timedelta(minutes=1)


class Blocked(Exception):
    """The user blocked the bot or deleted their account (403)."""


class RetryLater(Exception):
    """Flood control (429) or a transient network error: try again after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class DeliveryFailed(Exception):
    """A permanent failure for this message (e.g. a bad request)."""


@dataclass(frozen=True)
class Outgoing:
    """What to deliver: an HTML text (with optional buttons), or a copy of a message."""

    text: str | None = None
    copy_from_chat: int | None = None
    copy_message_id: int | None = None
    buttons: Keyboard = field(default_factory=list)
    document: tuple[str, bytes] | None = None  # (file name, content), ``text`` as caption
    photo: bytes | None = None  # an image (PNG/JPEG), ``text`` as caption (polls' results)
    edit_message_id: int | None = None  # a text shown in place of this message, if it can be


class Transport(Protocol):
    """Delivers one message to a user; raises :class:`Blocked`, :class:`RetryLater` or
    :class:`DeliveryFailed`."""

    async def deliver(self, user_id: int, message: Outgoing, *, bulk: bool = True) -> int:
        """Send and return the Telegram message id (``bulk``: paced as a notification)."""
        ...

    async def edit(self, user_id: int, message_id: int, message: Outgoing) -> None:
        """Replace the text and buttons of a message the bot sent."""
        ...


Renderer = Callable[[OutboxRow, dt.datetime], Awaitable["Prepared"]]


@dataclass(frozen=True)
class Prepared:
    """A row ready to deliver, or the reason it is not delivered now."""

    message: Outgoing | None
    link: str | None = None
    skip: str | None = None
    wait: bool = False


@dataclass
class DrainReport:
    """What one drain did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    released: int = 0  # claimed, not started when the bot began to stop: pending again
    sent_by_kind: dict[str, int] = field(default_factory=dict)  # reminder, broadcast, ...

    def log(self) -> None:
        """One INFO line for a drain that did something (counts only)."""
        if self.processed:
            kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.sent_by_kind.items()))
            log.info(
                "outbox: sent %d%s, skipped %d, failed %d, retried %d",
                self.sent,
                f" ({kinds})" if kinds else "",
                self.skipped,
                self.failed,
                self.retried,
            )

    @property
    def processed(self) -> int:
        """Rows taken out of the due queue."""
        return self.sent + self.skipped + self.failed + self.retried


class OutboxSender:
    """Drains the outbox; one drain at a time, many deliveries in flight within it."""

    def __init__(
        self,
        outbox: OutboxRepository,
        users: UserRepository,
        transport: Transport,
        clock: Clock,
        *,
        concurrency: int = CONCURRENCY,
        batch: int = 200,
    ) -> None:
        self.outbox = outbox
        self.users = users
        self.transport = transport
        self.clock = clock
        self.concurrency = concurrency
        self.batch = batch
        self.renderers: dict[str, Renderer] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[DrainReport] | None = None
        self._paused_until = 0.0  # time.monotonic() before which nothing is sent
        self._stopping = False  # set by stop(): no new row is taken
        # rows a database fault left claimed: pending again at the next drain, except those
        # delivered whose "sent" could not be stored (stored at the next drain)
        self._stranded: set[int] = set()
        self._unrecorded: dict[int, tuple[int, str | None]] = {}
        self._fault: BaseException | None = None  # the last one, raised by the caller
        #: the drain task's done-callback (the running bot reports faults with it)
        self.drain_done: Callable[[asyncio.Task[DrainReport]], None] = log_task_failure
        self.on_progress: list[Callable[[OutboxRow, str], Awaitable[None]]] = []

    def register(self, kind: str, renderer: Renderer) -> None:
        """Render rows of ``kind`` with ``renderer``."""
        self.renderers[kind] = renderer

    async def recover(self) -> int:
        """At start-up: rows that were in flight when the bot stopped are due again."""
        recovered = await self.outbox.recover_in_flight(self.clock.now())
        if recovered:
            log.warning(
                "%d outbox message(s) were in flight at the last stop: resending", recovered
            )
        return recovered

    @property
    def busy(self) -> bool:
        """A drain is running."""
        return self._lock.locked()

    async def drain_soon(self) -> None:
        """Start a drain in the background unless one is running (for a periodic job)."""
        if self._stopping:
            return
        if not self.busy and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self.drain(), name="outbox drain")
            self._task.add_done_callback(self.drain_done)

    async def stop(self, grace: float = 0.0) -> None:
        """Stop: no new row is taken, the deliveries in flight finish, rows claimed but not
        started go back to ``pending``. After ``grace`` seconds what is still running is
        cancelled (its rows are resent at the next start: the only duplicates possible)."""
        self._stopping = True
        task = self._task
        if task is None or task.done():
            return
        if grace > 0:
            done, _ = await asyncio.wait({task}, timeout=grace)
            if done:
                return
            log.warning(
                "outbox: deliveries still in flight after %g s: stopped (resent at the next start)",
                grace,
            )
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def deliver_now(self, keys: Sequence[str]) -> None:
        """Deliver these rows at once, in this order, for someone waiting for them (e.g. a
        registration's confirmation). Rows another drain already took are left to it; a row
        not delivered now (flood control, a crash) stays in the outbox for the next drain."""
        rows = await self.outbox.claim_keys(keys, self.clock.now())
        for index, row in enumerate(rows):
            outcome = await self._process(row)
            if outcome == "stranded":  # a database fault: the update's error handler says it
                self._stranded.update(later.id for later in rows[index + 1 :])
                raise self._fault or RuntimeError("database fault")
            if outcome not in ("sent", "skipped"):
                # keep the order: what follows waits for the next drain too
                await self.outbox.release([later.id for later in rows[index + 1 :]])
                return

    async def drain(self) -> DrainReport:
        """Deliver everything due now (waiting out a flood pause first)."""
        semaphore = asyncio.Semaphore(self.concurrency)
        released: list[int] = []

        async def one_person(rows: list[OutboxRow]) -> list[str]:
            # one person's messages go one after the other, in the order they were queued
            # (a poll's "closed, thank you" before the next session's notice); different
            # people's in parallel; once stopping, what has not started is given back
            outcomes = []
            for row in rows:
                async with semaphore:
                    if self._stopping:
                        released.append(row.id)
                        outcomes.append("released")
                    else:
                        outcomes.append(await self._process(row))
            return outcomes

        async with self._lock:
            report = DrainReport()
            await self._recover_from_fault()
            while True:
                pause = self._paused_until - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                if self._stopping:
                    report.log()
                    return report
                rows = await self.outbox.claim_due(self.clock.now(), self.batch)
                if not rows:
                    report.log()
                    return report
                outcomes = await self._in_order(rows, one_person)
                if "stranded" in outcomes:  # a database fault: see _process
                    self._stranded.update(released)
                    raise self._fault or RuntimeError("database fault")
                await self.outbox.release(released)
                released.clear()
                for row, outcome in zip(rows, outcomes, strict=True):
                    setattr(report, outcome, getattr(report, outcome) + 1)
                    if outcome == "sent":
                        report.sent_by_kind[row.kind] = report.sent_by_kind.get(row.kind, 0) + 1
                if all(outcome == "retried" for outcome in outcomes):
                    report.log()
                    return report  # nothing but retries: leave them to the next drain

    @staticmethod
    async def _in_order(
        rows: list[OutboxRow],
        one_person: Callable[[list[OutboxRow]], Awaitable[list[str]]],
    ) -> list[str]:
        """Each person's rows in claim order, people in parallel; outcomes in ``rows`` order."""
        people: dict[int, list[OutboxRow]] = {}
        for row in rows:
            people.setdefault(row.user_id, []).append(row)
        results = await asyncio.gather(*(one_person(group) for group in people.values()))
        outcome_of = {
            row.id: outcome
            for group, outcomes in zip(people.values(), results, strict=True)
            for row, outcome in zip(group, outcomes, strict=True)
        }
        return [outcome_of[row.id] for row in rows]

    async def _prepare(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        renderer = self.renderers.get(row.kind)
        if renderer is None:
            return Prepared(None, skip=f"unknown_kind:{row.kind}")
        return await renderer(row, now)

    async def _recover_from_fault(self) -> None:
        """After a database fault: store the deliveries made but not recorded, give the
        other rows it left claimed back to the queue."""
        for row_id, (message_id, link) in sorted(self._unrecorded.items()):
            await self.outbox.finish(
                row_id, "sent", self.clock.now(), message_id=message_id, sent_link=link
            )
            del self._unrecorded[row_id]
            self._stranded.discard(row_id)
        if self._stranded:
            await self.outbox.release(sorted(self._stranded))
            self._stranded.clear()

    async def _process(self, row: OutboxRow) -> str:
        """One row's outcome; a database fault leaves it claimed ("stranded") and is raised
        by the drain once the rest of the batch is done."""
        try:
            return await self._process_row(row)
        except Exception as exc:
            if not is_fault(exc):
                raise
            self._stranded.add(row.id)
            self._fault = exc
            return "stranded"

    async def _process_row(self, row: OutboxRow) -> str:
        now = self.clock.now()
        try:
            if row.expires_at is not None and now >= row.expires_at:
                await self._finish(row, "skipped", "late")
                return "skipped"
            user = await self.users.get(row.user_id)
            if user is not None and not user.reachable:
                await self._finish(row, "skipped", "unreachable")
                return "skipped"
            prepared = await self._prepare(row, now)
            if prepared.wait and (row.expires_at is None or now + NO_LINK_RECHECK < row.expires_at):
                await self.outbox.retry(row.id, now + NO_LINK_RECHECK, now, prepared.skip)
                return "retried"
            if prepared.message is None:
                await self._finish(row, "skipped", prepared.skip or "nothing_to_send")
                return "skipped"
            message_id = await self.transport.deliver(row.user_id, prepared.message, bulk=row.bulk)
        except Blocked:
            await self.users.set_reachable(row.user_id, False)
            await self._finish(row, "failed", "blocked")
            return "failed"
        except RetryLater as exc:
            self._paused_until = max(self._paused_until, time.monotonic() + exc.seconds)
            await self.outbox.retry(row.id, row.due_at, now, "flood_control")
            return "retried"
        except DeliveryFailed as exc:
            await self._finish(row, "failed", str(exc)[:200] or "bad_request")
            return "failed"
        except Exception as exc:  # never let one row stop the others
            if is_fault(exc):  # the database fails, not this row: see _process
                raise
            log.error("outbox row %d: %s", row.id, describe(exc))
            if row.attempts >= MAX_ATTEMPTS:
                await self._finish(row, "failed", type(exc).__name__)
                return "failed"
            backoff = dt.timedelta(seconds=30 * row.attempts)
            await self.outbox.retry(row.id, now + backoff, now, type(exc).__name__)
            return "retried"
        try:
            await self.outbox.finish(
                row.id, "sent", self.clock.now(), message_id=message_id, sent_link=prepared.link
            )
        except Exception as exc:
            if is_fault(exc):  # delivered: recorded at the next drain, never sent again
                self._unrecorded[row.id] = (message_id, prepared.link)
            raise
        for callback in self.on_progress:
            await callback(row, "sent")
        return "sent"

    async def _finish(self, row: OutboxRow, status: str, reason: str) -> None:
        await self.outbox.finish(row.id, status, self.clock.now(), reason=reason)
        for callback in self.on_progress:
            await callback(row, status)
