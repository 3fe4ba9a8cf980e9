"""Attendance: who is present at a venue on the day (``registrations.checked_in_at``).

A check-in is recorded once per registration: ``checked_in_at`` (when) and ``checked_in_by``
(the Telegram id of whoever did it: the participant at the desk, or a referent/organiser).
Marking someone present again keeps the first time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from storage._time import from_db, to_db
from storage.db import Database
from storage.registrations import ACTIVE, Status


@dataclass(frozen=True)
class Attendee:
    """An active registration as the desk sees it."""

    id: int
    event_id: str
    user_id: int | None
    display_name: str | None
    zone: int
    mode: str
    venue_id: str | None
    status: Status
    checked_in_at: dt.datetime | None
    checked_in_by: int | None

    @property
    def present(self) -> bool:
        """Already checked in."""
        return self.checked_in_at is not None


@dataclass(frozen=True)
class CheckIn:
    """The result of marking a registration present."""

    attendee: Attendee
    new: bool  # False when it was already checked in (the first time is kept)


_COLUMNS = (
    "id, event_id, user_id, display_name, zone, mode, venue_id, status, checked_in_at, "
    "checked_in_by"
)


def _attendee(row: aiosqlite.Row) -> Attendee:
    return Attendee(
        id=row["id"],
        event_id=row["event_id"],
        user_id=row["user_id"],
        display_name=row["display_name"],
        zone=row["zone"],
        mode=row["mode"],
        venue_id=row["venue_id"],
        status=Status(row["status"]),
        checked_in_at=from_db(row["checked_in_at"]),
        checked_in_by=row["checked_in_by"],
    )


class AttendanceRepository:
    """Reads and writes the check-in columns of ``registrations``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, registration_id: int) -> Attendee | None:
        """A registration (any status) as an attendee."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM registrations WHERE id = ?", (registration_id,)
        )
        return _attendee(row) if row else None

    async def for_user(self, event_id: str, user_id: int) -> Attendee | None:
        """The user's active registration for an event."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM registrations WHERE event_id = ? AND user_id = ? "
            "AND status IN (?, ?)",
            (event_id, user_id, *ACTIVE),
        )
        return _attendee(row) if row else None

    async def at_venue(self, event_id: str, venue_id: str) -> list[Attendee]:
        """Active in-person registrations of an event at a venue, by name."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM registrations WHERE event_id = ? AND venue_id = ? "
            "AND mode = 'in_person' AND status IN (?, ?) ORDER BY display_name, id",
            (event_id, venue_id, *ACTIVE),
        )
        return [_attendee(row) for row in rows]

    async def check_in(self, registration_id: int, by: int, now: dt.datetime) -> CheckIn | None:
        """Mark an active in-person registration present (idempotent); None if it is not one."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE registrations SET checked_in_at = ?, checked_in_by = ? WHERE id = ? "
                "AND checked_in_at IS NULL AND mode = 'in_person' AND status IN (?, ?)",
                (to_db(now), by, registration_id, *ACTIVE),
            )
            new = cursor.rowcount == 1
            async with conn.execute(
                f"SELECT {_COLUMNS} FROM registrations WHERE id = ?", (registration_id,)
            ) as found:
                row = await found.fetchone()
        if row is None:
            return None
        attendee = _attendee(row)
        if attendee.mode != "in_person" or attendee.status.value not in ACTIVE:
            return None
        return CheckIn(attendee, new)
