"""Registrations, in-person places and waiting lists.

Placing a participant and promoting from a waiting list happen inside one write
transaction, so two people can never take the last place at once.

:class:`Registration` is the one row type of the ``registrations`` table: the check-in desk
(:mod:`storage.attendance`) and the export (:mod:`storage.stats`) read it too;
:class:`storage.recipients.Recipient` is its projection for sending to many at once, and the
figures of :mod:`storage.stats` are counts (one row of a ``GROUP BY``), not registrations.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Concatenate, ParamSpec, TypeVar

import aiosqlite

from storage._time import from_db, to_db
from storage.db import Database


class Status(StrEnum):
    """Where a registration stands."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ERASED = "erased"


ACTIVE = (Status.CONFIRMED.value, Status.WAITLISTED.value)

# Who did something, where the record itself stays: 0 ("someone whose data was erased") in
# the columns that cannot be NULL (and where NULL would mean "not used"), NULL elsewhere.
ERASED_USER = 0

# Erasure everywhere else a Telegram id (or a name) is kept; every statement takes
# (now, user id) or (user id); run in order, in the erasure's transaction.
_ERASE_ELSEWHERE: tuple[tuple[str, bool], ...] = (
    # check-ins they made for others (as referent or organiser) stay, by "someone"
    (f"UPDATE registrations SET checked_in_by = {ERASED_USER} WHERE checked_in_by = ?", False),
    # their broadcasts not sent yet are cancelled (the message to copy is in their chat,
    # which is forgotten); the record of every broadcast stays, without who sent it
    (
        "UPDATE outbox SET status = 'cancelled', reason = 'cancelled', updated_at = ? "
        "WHERE status = 'pending' AND broadcast_id IN (SELECT id FROM broadcasts "
        "WHERE created_by = ? AND status IN ('scheduled', 'sending'))",
        True,
    ),
    (
        "UPDATE broadcasts SET status = 'cancelled', finished_at = ?1, "
        "reported_at = COALESCE(reported_at, ?1) "
        "WHERE created_by = ?2 AND status IN ('scheduled', 'sending')",
        True,
    ),
    (
        f"UPDATE broadcasts SET created_by = {ERASED_USER}, source_chat = {ERASED_USER}, "
        f"source_message = {ERASED_USER}, progress_chat = NULL, progress_message = NULL "
        "WHERE ?1 IN (created_by, source_chat, progress_chat)",
        False,
    ),
    # delivery records and conversations hold the Telegram id: they go with the rest
    ("DELETE FROM outbox WHERE user_id = ?", False),
    ("DELETE FROM conversations WHERE user_id = ?", False),
    ("DELETE FROM users WHERE user_id = ?", False),
    # staff roles end (with the name kept for /staff); what they did stays, anonymously
    ("DELETE FROM roles WHERE user_id = ?", False),
    ("UPDATE roles SET granted_by = NULL WHERE granted_by = ?", False),
    (f"UPDATE invites SET used_by = {ERASED_USER} WHERE used_by = ?", False),
    (f"UPDATE invites SET created_by = {ERASED_USER} WHERE created_by = ?", False),
    ("UPDATE online_links SET set_by = NULL WHERE set_by = ?", False),
    ("UPDATE polls SET opened_by = NULL WHERE opened_by = ?", False),
    ("UPDATE poll_manual_counts SET entered_by = NULL WHERE entered_by = ?", False),
    # session 2: contributions stay with their zone (and their registration, now erased);
    # what a facilitator added or wrote stays without who did it
    ("UPDATE contributions SET added_by = NULL WHERE added_by = ?", False),
    ("UPDATE worksheets SET created_by = NULL WHERE created_by = ?", False),
    ("UPDATE zone_reports SET updated_by = NULL WHERE updated_by = ?", False),
    ("UPDATE zone_reports SET submitted_by = NULL WHERE submitted_by = ?", False),
    # issue 15: what they did as a moderator stays in the questions' story, without who
    ("UPDATE question_events SET by_user = NULL WHERE by_user = ?", False),
    ("UPDATE report_locks SET locked_by = NULL WHERE locked_by = ?", False),
)


@dataclass(frozen=True)
class Registration:
    """One participant's registration for one event (a row of ``registrations``)."""

    id: int
    event_id: str
    user_id: int | None
    display_name: str | None
    zone: int
    mode: str
    venue_id: str | None
    organisation: str | None
    category: str | None
    status: Status
    language: str
    created_at: dt.datetime
    updated_at: dt.datetime
    cancelled_at: dt.datetime | None = None
    # The check-in at the venue (storage.attendance): when, and the Telegram id of whoever
    # did it (the participant at the desk, a referent or an organiser); kept the first time.
    checked_in_at: dt.datetime | None = None
    checked_in_by: int | None = None

    @property
    def active(self) -> bool:
        """Confirmed or on a waiting list."""
        return self.status in (Status.CONFIRMED, Status.WAITLISTED)

    @property
    def present(self) -> bool:
        """Checked in at the venue."""
        return self.checked_in_at is not None


@dataclass(frozen=True)
class NewRegistration:
    """What a participant answered, ready to be stored."""

    event_id: str
    user_id: int
    display_name: str
    zone: int
    mode: str
    venue_id: str | None
    organisation: str | None
    category: str | None
    language: str


@dataclass(frozen=True)
class Placement:
    """The outcome of storing or changing a registration."""

    registration: Registration
    promoted: list[Registration]


# The columns :func:`registration_from` reads, for ``SELECT {COLUMNS} FROM registrations``.
COLUMNS = (
    "id, event_id, user_id, display_name, zone, mode, venue_id, organisation, category, "
    "status, language, created_at, updated_at, cancelled_at, checked_in_at, checked_in_by"
)


def registration_from(row: aiosqlite.Row) -> Registration:
    """The registration in a row selected with :data:`COLUMNS`."""
    created = from_db(row["created_at"])
    updated = from_db(row["updated_at"])
    assert created is not None and updated is not None
    return Registration(
        id=row["id"],
        event_id=row["event_id"],
        user_id=row["user_id"],
        display_name=row["display_name"],
        zone=row["zone"],
        mode=row["mode"],
        venue_id=row["venue_id"],
        organisation=row["organisation"],
        category=row["category"],
        status=Status(row["status"]),
        language=row["language"],
        created_at=created,
        updated_at=updated,
        cancelled_at=from_db(row["cancelled_at"]),
        checked_in_at=from_db(row["checked_in_at"]),
        checked_in_by=row["checked_in_by"],
    )


P = ParamSpec("P")
R = TypeVar("R")


def _changes(
    method: Callable[Concatenate[RegistrationRepository, P], Awaitable[R]],
) -> Callable[Concatenate[RegistrationRepository, P], Awaitable[R]]:
    """Mark a method that changes registrations: ``version`` moves before and after it, so a
    cache filled while it runs is not taken for current."""

    @functools.wraps(method)
    async def changing(self: RegistrationRepository, /, *args: P.args, **kwargs: P.kwargs) -> R:
        self.version += 1
        try:
            return await method(self, *args, **kwargs)
        finally:
            self.version += 1

    return changing


class RegistrationRepository:
    """Reads and writes ``registrations``; capacities are passed in by the caller."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # Bumped by every change of a registration's zone, mode or status (create, move,
        # cancel, erase, promotions): a cache of registrations is valid while it is unchanged.
        self.version = 0

    # --- reads ----------------------------------------------------------------------------
    async def get(self, registration_id: int) -> Registration | None:
        """A registration by id."""
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM registrations WHERE id = ?", (registration_id,)
        )
        return registration_from(row) if row else None

    async def active_for_user(self, user_id: int) -> list[Registration]:
        """The user's confirmed or waitlisted registrations, oldest first."""
        rows = await self._db.fetchall(
            f"SELECT {COLUMNS} FROM registrations WHERE user_id = ? AND status IN (?, ?) "
            "ORDER BY id",
            (user_id, *ACTIVE),
        )
        return [registration_from(row) for row in rows]

    async def active(self, event_id: str, user_id: int) -> Registration | None:
        """The user's active registration for an event."""
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM registrations WHERE event_id = ? AND user_id = ? "
            "AND status IN (?, ?)",
            (event_id, user_id, *ACTIVE),
        )
        return registration_from(row) if row else None

    async def confirmed_in_person(self, event_id: str, venue_id: str) -> int:
        """How many in-person places of a venue are taken for an event."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM registrations WHERE event_id = ? AND venue_id = ? "
            "AND mode = 'in_person' AND status = 'confirmed'",
            (event_id, venue_id),
        )
        return int(row[0]) if row else 0

    async def waitlist_position(self, registration: Registration) -> int | None:
        """1-based place in the venue's waiting list, or None if not waitlisted."""
        if registration.status is not Status.WAITLISTED:
            return None
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM registrations WHERE event_id = ? AND venue_id = ? "
            "AND status = 'waitlisted' AND (waitlisted_at, id) <= "
            "(SELECT waitlisted_at, id FROM registrations WHERE id = ?)",
            (registration.event_id, registration.venue_id, registration.id),
        )
        return int(row[0]) if row else None

    async def for_event(self, event_id: str) -> list[Registration]:
        """Every active registration of an event."""
        rows = await self._db.fetchall(
            f"SELECT {COLUMNS} FROM registrations WHERE event_id = ? AND status IN (?, ?) "
            "ORDER BY id",
            (event_id, *ACTIVE),
        )
        return [registration_from(row) for row in rows]

    # --- writes ---------------------------------------------------------------------------
    @_changes
    async def create(
        self, new: NewRegistration, capacity: int | None, now: dt.datetime
    ) -> Registration:
        """Store a registration: confirmed if an in-person place is free, else waitlisted.

        Raises :class:`AlreadyRegisteredError` if the user already has one for the event.
        """
        async with self._db.transaction() as conn:
            if await _active(conn, new.event_id, new.user_id) is not None:
                raise AlreadyRegisteredError(new.event_id)
            status = await _status_for(conn, new.event_id, new.mode, new.venue_id, capacity)
            cursor = await conn.execute(
                "INSERT INTO registrations (event_id, user_id, display_name, zone, mode, "
                "venue_id, organisation, category, status, language, created_at, updated_at, "
                "waitlisted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new.event_id,
                    new.user_id,
                    new.display_name,
                    new.zone,
                    new.mode,
                    new.venue_id,
                    new.organisation,
                    new.category,
                    status,
                    new.language,
                    to_db(now),
                    to_db(now),
                    to_db(now) if status == Status.WAITLISTED else None,
                ),
            )
            registration_id = cursor.lastrowid
            row = await _fetch(
                conn, f"SELECT {COLUMNS} FROM registrations WHERE id = ?", (registration_id,)
            )
        assert row is not None
        return registration_from(row)

    @_changes
    async def move(
        self,
        registration_id: int,
        *,
        zone: int,
        mode: str,
        venue_id: str | None,
        capacity: int | None,
        old_capacity: int | None,
        now: dt.datetime,
    ) -> Placement:
        """Change zone and/or mode; the place is kept when the venue stays the same.

        A participant moving to a full venue goes to its waiting list; the place they
        leave goes to the first in line at the old venue.
        """
        async with self._db.transaction() as conn:
            row = await _fetch(
                conn, f"SELECT {COLUMNS} FROM registrations WHERE id = ?", (registration_id,)
            )
            if row is None:
                raise KeyError(registration_id)
            before = registration_from(row)
            same_place = before.mode == mode and before.venue_id == venue_id
            if same_place:
                status = before.status.value
            else:
                status = await _status_for(conn, before.event_id, mode, venue_id, capacity)
            await conn.execute(
                "UPDATE registrations SET zone = ?, mode = ?, venue_id = ?, status = ?, "
                "updated_at = ?, waitlisted_at = CASE WHEN ? = 'waitlisted' THEN "
                "COALESCE(CASE WHEN ? THEN waitlisted_at END, ?) END WHERE id = ?",
                (
                    zone,
                    mode,
                    venue_id,
                    status,
                    to_db(now),
                    status,
                    int(same_place),
                    to_db(now),
                    registration_id,
                ),
            )
            promoted: list[Registration] = []
            if not same_place and before.status is Status.CONFIRMED and before.venue_id:
                promoted = await _promote(conn, before.event_id, before.venue_id, old_capacity, now)
            after = await _fetch(
                conn, f"SELECT {COLUMNS} FROM registrations WHERE id = ?", (registration_id,)
            )
        assert after is not None
        return Placement(registration_from(after), promoted)

    @_changes
    async def cancel(
        self, registration_id: int, capacity: int | None, now: dt.datetime
    ) -> list[Registration]:
        """Cancel a registration; returns whoever was promoted into the freed place."""
        async with self._db.transaction() as conn:
            row = await _fetch(
                conn, f"SELECT {COLUMNS} FROM registrations WHERE id = ?", (registration_id,)
            )
            if row is None:
                return []
            before = registration_from(row)
            await conn.execute(
                "UPDATE registrations SET status = 'cancelled', cancelled_at = ?, updated_at = ? "
                "WHERE id = ? AND status IN (?, ?)",
                (to_db(now), to_db(now), registration_id, *ACTIVE),
            )
            if before.status is Status.CONFIRMED and before.venue_id:
                return await _promote(conn, before.event_id, before.venue_id, capacity, now)
        return []

    @_changes
    async def erase_user(
        self, user_id: int, capacities: dict[tuple[str, str], int | None], now: dt.datetime
    ) -> list[Registration]:
        """Erase every value that identifies a user, in every table, in one transaction.

        Their registrations lose the Telegram id, name, organisation, category and who checked
        them in (they stay, anonymous, for statistics and poll answers); the rows that are only
        about them (user, conversation, outbox messages, personal links, roles, poll drafts)
        are deleted; where they acted on something that stays (check-ins of others, invites,
        broadcasts, links set, polls opened, counts entered) the record stays and forgets
        who (NULL, or :data:`ERASED_USER`); their broadcasts not sent yet are cancelled.

        ``capacities`` maps (event id, venue id) to that venue's capacity, for promotions.
        Returns whoever was promoted into the places this user held.
        """
        async with self._db.transaction() as conn:
            rows = await (
                await conn.execute(
                    f"SELECT {COLUMNS} FROM registrations WHERE user_id = ?", (user_id,)
                )
            ).fetchall()
            held = [registration_from(row) for row in rows]
            await conn.execute(
                "UPDATE registrations SET user_id = NULL, display_name = NULL, "
                "organisation = NULL, category = NULL, "
                "checked_in_by = NULLIF(checked_in_by, user_id), "  # a self check-in
                "status = CASE WHEN status IN (?, ?) THEN 'erased' ELSE status END, "
                "updated_at = ? WHERE user_id = ?",
                (*ACTIVE, to_db(now), user_id),
            )
            await conn.executemany(
                "DELETE FROM personal_links WHERE registration_id = ?",
                [(registration.id,) for registration in held],
            )
            # issue 15: their questions stay, anonymous (their supports too, still counted)
            await conn.executemany(
                "UPDATE questions SET named = 0, shown_name = NULL WHERE registration_id = ?",
                [(registration.id,) for registration in held],
            )
            for sql, with_time in _ERASE_ELSEWHERE:
                await conn.execute(sql, (to_db(now), user_id) if with_time else (user_id,))
            promoted: list[Registration] = []
            for registration in held:
                if registration.status is Status.CONFIRMED and registration.venue_id:
                    key = (registration.event_id, registration.venue_id)
                    promoted += await _promote(
                        conn,
                        registration.event_id,
                        registration.venue_id,
                        capacities.get(key),
                        now,
                    )
        return promoted


class AlreadyRegisteredError(Exception):
    """The user already has an active registration for this event."""


async def _fetch(
    conn: aiosqlite.Connection, sql: str, params: tuple[object, ...]
) -> aiosqlite.Row | None:
    async with conn.execute(sql, params) as cursor:
        return await cursor.fetchone()


async def _active(conn: aiosqlite.Connection, event_id: str, user_id: int) -> aiosqlite.Row | None:
    return await _fetch(
        conn,
        "SELECT id FROM registrations WHERE event_id = ? AND user_id = ? AND status IN (?, ?)",
        (event_id, user_id, *ACTIVE),
    )


async def _taken(conn: aiosqlite.Connection, event_id: str, venue_id: str) -> int:
    row = await _fetch(
        conn,
        "SELECT COUNT(*) FROM registrations WHERE event_id = ? AND venue_id = ? "
        "AND mode = 'in_person' AND status = 'confirmed'",
        (event_id, venue_id),
    )
    return int(row[0]) if row else 0


async def _status_for(
    conn: aiosqlite.Connection,
    event_id: str,
    mode: str,
    venue_id: str | None,
    capacity: int | None,
) -> str:
    if mode != "in_person" or venue_id is None or capacity is None:
        return Status.CONFIRMED.value
    if await _taken(conn, event_id, venue_id) < capacity:
        return Status.CONFIRMED.value
    return Status.WAITLISTED.value


async def _promote(
    conn: aiosqlite.Connection,
    event_id: str,
    venue_id: str,
    capacity: int | None,
    now: dt.datetime,
) -> list[Registration]:
    """Move the first in line into free places; returns the promoted registrations."""
    promoted: list[Registration] = []
    while True:
        if capacity is not None and await _taken(conn, event_id, venue_id) >= capacity:
            break
        row = await _fetch(
            conn,
            f"SELECT {COLUMNS} FROM registrations WHERE event_id = ? AND venue_id = ? "
            "AND status = 'waitlisted' ORDER BY waitlisted_at, id LIMIT 1",
            (event_id, venue_id),
        )
        if row is None:
            break
        await conn.execute(
            "UPDATE registrations SET status = 'confirmed', promoted_at = ?, updated_at = ?, "
            "waitlisted_at = NULL WHERE id = ?",
            (to_db(now), to_db(now), row["id"]),
        )
        updated = await _fetch(
            conn, f"SELECT {COLUMNS} FROM registrations WHERE id = ?", (row["id"],)
        )
        assert updated is not None
        promoted.append(registration_from(updated))
    return promoted
