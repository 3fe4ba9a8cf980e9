"""Polls, ballots, answers, manual counts and the export views.

:class:`PollRepository` is the one repository for the poll tables, in three modules by job:
polls, their options and recipients here, ballots and answers
in :mod:`storage.poll_ballots`, tallies, manual counts and views in :mod:`storage.poll_results`.

Every tap is written at once: the picks being made go to ``poll_ballots``, a confirmed
answer replaces the participant's rows in ``poll_answers`` (one row per chosen option with
its rank). Answers reference registrations, not Telegram users, so a participant who erases
their data stays counted, anonymously.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import aiosqlite

from storage._time import from_db, to_db
from storage.db import Database
from storage.outbox import OutboxRepository, Planned
from storage.poll_ballots import BallotStore, positions
from storage.poll_results import ResultStore
from storage.recipients import Recipient, RecipientRepository
from storage.registrations import Status

PRIORITY, QUICK = "priority", "quick"
OPEN, CLOSED = "open", "closed"


@dataclass(frozen=True)
class PollOption:
    """One option of a poll: a strategy (or axis), or a quick poll's typed answer."""

    position: int
    key: str
    axis: str | None
    label: str


@dataclass(frozen=True)
class NewPoll:
    """A poll to open."""

    kind: str
    event_id: str
    zone: int
    item_id: str
    max_choices: int
    ranked: bool
    opened_by: int | None
    closes_at: dt.datetime
    options: Sequence[PollOption]
    question: str | None = None


@dataclass(frozen=True)
class Poll:
    """A stored poll with its options."""

    id: int
    kind: str
    event_id: str
    zone: int
    item_id: str
    question: str | None
    max_choices: int
    ranked: bool
    status: str
    opened_by: int | None
    opened_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    closed_reason: str | None
    manual_respondents: int | None
    options: tuple[PollOption, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        """Not closed yet (its closing time may have passed: see ``closes_at``)."""
        return self.status == OPEN


@dataclass(frozen=True)
class Holder:
    """Someone who was sent a poll: their registration, Telegram id (None once erased).

    Read when a poll closes, from its ballots joined with their registrations: the few
    columns the closing message needs, not a :class:`storage.registrations.Registration`.
    """

    registration_id: int
    user_id: int | None
    language: str
    answer: list[int] | None


_POLL_COLUMNS = (
    "id, kind, event_id, zone, item_id, question, max_choices, ranked, status, opened_by, "
    "opened_at, closes_at, closed_at, closed_reason, manual_respondents"
)


def _poll(row: aiosqlite.Row, options: Sequence[PollOption]) -> Poll:
    opened, closes = from_db(row["opened_at"]), from_db(row["closes_at"])
    assert opened is not None and closes is not None
    return Poll(
        id=row["id"],
        kind=row["kind"],
        event_id=row["event_id"],
        zone=row["zone"],
        item_id=row["item_id"],
        question=row["question"],
        max_choices=row["max_choices"],
        ranked=bool(row["ranked"]),
        status=row["status"],
        opened_by=row["opened_by"],
        opened_at=opened,
        closes_at=closes,
        closed_at=from_db(row["closed_at"]),
        closed_reason=row["closed_reason"],
        manual_respondents=row["manual_respondents"],
        options=tuple(options),
    )


class PollRepository(BallotStore, ResultStore):
    """Reads and writes the poll tables and the export views."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._outbox = OutboxRepository(db)
        self._recipients = RecipientRepository(db)

    # --- polls ----------------------------------------------------------------------------
    async def create(
        self,
        new: NewPoll,
        recipients: Sequence[int],
        plan: Callable[[int, int], Planned | None],
        now: dt.datetime,
    ) -> Poll | None:
        """Open a poll, give each recipient registration a ballot and queue its message.

        ``plan(poll_id, registration_id)`` builds the outbox row (None: no message). All in
        one transaction. Returns None when a priority poll is already open for the zone.
        """
        async with self._db.transaction() as conn:
            if new.kind == PRIORITY:
                async with conn.execute(
                    "SELECT 1 FROM polls WHERE event_id = ? AND zone = ? AND kind = ? "
                    "AND status = 'open'",
                    (new.event_id, new.zone, PRIORITY),
                ) as cursor:
                    if await cursor.fetchone() is not None:
                        return None
            cursor = await conn.execute(
                "INSERT INTO polls (kind, event_id, zone, item_id, question, max_choices, ranked, "
                "opened_by, opened_at, closes_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.kind,
                    new.event_id,
                    new.zone,
                    new.item_id,
                    new.question,
                    new.max_choices,
                    int(new.ranked),
                    new.opened_by,
                    to_db(now),
                    to_db(new.closes_at),
                ),
            )
            poll_id = cursor.lastrowid
            assert poll_id is not None
            await conn.executemany(
                "INSERT INTO poll_options (poll_id, position, key, axis, label) "
                "VALUES (?, ?, ?, ?, ?)",
                [(poll_id, o.position, o.key, o.axis, o.label) for o in new.options],
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO poll_ballots (poll_id, registration_id, updated_at) "
                "VALUES (?, ?, ?)",
                [(poll_id, registration_id, to_db(now)) for registration_id in recipients],
            )
            planned = [p for r in recipients if (p := plan(poll_id, r)) is not None]
            await self._outbox.add(planned, now)  # in this transaction
        poll = await self.get(poll_id)
        assert poll is not None
        return poll

    async def get(self, poll_id: int) -> Poll | None:
        """A poll with its options."""
        row = await self._db.fetchone(f"SELECT {_POLL_COLUMNS} FROM polls WHERE id = ?", (poll_id,))
        if row is None:
            return None
        options = await self._db.fetchall(
            "SELECT position, key, axis, label FROM poll_options WHERE poll_id = ? "
            "ORDER BY position",
            (poll_id,),
        )
        return _poll(row, [PollOption(o[0], o[1], o[2], o[3]) for o in options])

    async def find(
        self,
        event_id: str | None = None,
        zone: int | None = None,
        *,
        kind: str | None = None,
        status: str | None = None,
    ) -> list[Poll]:
        """Polls matching the filters, oldest first, with their options."""
        clauses, params = [], []
        for column, value in (
            ("event_id", event_id),
            ("zone", zone),
            ("kind", kind),
            ("status", status),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._db.fetchall(
            f"SELECT {_POLL_COLUMNS} FROM polls {where} ORDER BY opened_at, id", params
        )
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ", ".join("?" for _ in ids)
        options: dict[int, list[PollOption]] = {}
        for o in await self._db.fetchall(
            f"SELECT poll_id, position, key, axis, label FROM poll_options "
            f"WHERE poll_id IN ({marks}) ORDER BY poll_id, position",
            ids,
        ):
            options.setdefault(o[0], []).append(PollOption(o[1], o[2], o[3], o[4]))
        return [_poll(row, options.get(row["id"], [])) for row in rows]

    async def due_to_close(self, now: dt.datetime) -> list[int]:
        """Open polls whose closing time has come."""
        rows = await self._db.fetchall(
            "SELECT id FROM polls WHERE status = 'open' AND closes_at <= ? ORDER BY id",
            (to_db(now),),
        )
        return [int(row[0]) for row in rows]

    async def close(
        self,
        poll_id: int,
        reason: str,
        now: dt.datetime,
        plan: Callable[[Holder], Planned | None],
    ) -> list[Holder] | None:
        """Close an open poll and queue ``plan(holder)`` for each ballot holder (one
        transaction). None if it was not open (already closed, or unknown)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE polls SET status = 'closed', closed_at = ?, closed_reason = ? "
                "WHERE id = ? AND status = 'open'",
                (to_db(now), reason, poll_id),
            )
            if cursor.rowcount != 1:
                return None
            async with conn.execute(
                "SELECT b.registration_id, r.user_id, r.language, b.answer FROM poll_ballots b "
                "JOIN registrations r ON r.id = b.registration_id WHERE b.poll_id = ? "
                "ORDER BY b.registration_id",
                (poll_id,),
            ) as found:
                holders = [
                    Holder(row[0], row[1], row[2], positions(row[3]))
                    for row in await found.fetchall()
                ]
            planned = [p for h in holders if (p := plan(h)) is not None]
            await self._outbox.add(planned, now)  # in this transaction
        return holders

    # --- people -------------------------------------------------------------------------------
    async def recipients(
        self, event_id: str, zones: Iterable[int] | None = None, mode: str | None = None
    ) -> list[Recipient]:
        """Confirmed, reachable-by-id registrations of an event (optionally zones, mode)."""
        confirmed = (Status.CONFIRMED.value,)
        chosen = None if zones is None else list(zones)
        return await self._recipients.recipients(
            event_id, statuses=confirmed, zones=chosen, mode=mode
        )

    async def queue(self, planned: Sequence[Planned], now: dt.datetime) -> int:
        """Put messages in the outbox (each dedupe key once); returns how many were new."""
        return await self._outbox.add(planned, now)
