"""Attendance: who is present at a venue on the day (``registrations.checked_in_at``).

A check-in is recorded once per registration: ``checked_in_at`` (when) and ``checked_in_by``
(the Telegram id of whoever did it: the participant at the desk, or a referent/organiser).
Marking someone present again keeps the first time. The desk reads registrations as they
are stored (:class:`storage.registrations.Registration`, with their check-in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage._time import to_db
from storage.db import Database
from storage.registrations import (
    ACTIVE,
    COLUMNS,
    Registration,
    RegistrationRepository,
    registration_from,
)

# The desk's name for a registration: who is expected at a venue, present or not.
Attendee = Registration


@dataclass(frozen=True)
class CheckIn:
    """The result of marking a registration present."""

    attendee: Attendee
    new: bool  # False when it was already checked in (the first time is kept)


class AttendanceRepository:
    """Reads and writes the check-in columns of ``registrations``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._registrations = RegistrationRepository(db)

    async def get(self, registration_id: int) -> Attendee | None:
        """A registration (any status) as an attendee."""
        return await self._registrations.get(registration_id)

    async def for_user(self, event_id: str, user_id: int) -> Attendee | None:
        """The user's active registration for an event."""
        return await self._registrations.active(event_id, user_id)

    async def at_venue(self, event_id: str, venue_id: str) -> list[Attendee]:
        """Active in-person registrations of an event at a venue, by name."""
        rows = await self._db.fetchall(
            f"SELECT {COLUMNS} FROM registrations WHERE event_id = ? AND venue_id = ? "
            "AND mode = 'in_person' AND status IN (?, ?) ORDER BY display_name, id",
            (event_id, venue_id, *ACTIVE),
        )
        return [registration_from(row) for row in rows]

    async def check_in(self, registration_id: int, by: int, now: dt.datetime) -> CheckIn | None:
        """Mark an active in-person registration present (idempotent); None if it is not one."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE registrations SET checked_in_at = ?, checked_in_by = ? WHERE id = ? "
                "AND checked_in_at IS NULL AND mode = 'in_person' AND status IN (?, ?)",
                (to_db(now), by, registration_id, *ACTIVE),
            )
            new = cursor.rowcount == 1
            attendee = await self._registrations.get(registration_id)
        if attendee is None or attendee.mode != "in_person" or not attendee.active:
            return None
        return CheckIn(attendee, new)
