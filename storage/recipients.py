"""Who a message goes to: the active registrations of an event that can be reached, read
for thousands at once (broadcasts, poll results) as :class:`Recipient`, the few columns a
delivery needs (a projection of :class:`storage.registrations.Registration`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.db import Database
from storage.registrations import ACTIVE


@dataclass(frozen=True)
class Recipient:
    """An active registration as a message to it needs it (broadcasts, poll results): a
    projection of :class:`Registration`, read for thousands at once."""

    registration_id: int
    user_id: int
    display_name: str | None
    zone: int
    mode: str
    language: str


class RecipientRepository:
    """Reads recipients from ``registrations``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def recipients(
        self,
        event_id: str,
        *,
        statuses: tuple[str, ...] = ACTIVE,
        zones: list[int] | None = None,
        venue: str | None = None,
        mode: str | None = None,
        checked_in: bool | None = None,
    ) -> list[Recipient]:
        """Registrations of an event in ``statuses`` that can be reached (a Telegram id), by
        id, matching the filters given: ``zones`` (an empty list: nobody), ``venue``,
        ``mode``, ``checked_in`` (present or not)."""
        clauses = [
            "event_id = ?",
            f"status IN ({', '.join('?' for _ in statuses)})",
            "user_id IS NOT NULL",
        ]
        params: list[Any] = [event_id, *statuses]
        if zones is not None:
            if not zones:
                return []
            clauses.append(f"zone IN ({', '.join('?' for _ in zones)})")
            params.extend(zones)
        for column, value in (("venue_id", venue), ("mode", mode)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if checked_in is not None:
            clauses.append(f"checked_in_at IS {'NOT NULL' if checked_in else 'NULL'}")
        rows = await self._db.fetchall(
            "SELECT id, user_id, display_name, zone, mode, language FROM registrations "
            f"WHERE {' AND '.join(clauses)} ORDER BY id",
            params,
        )
        return [Recipient(*row) for row in rows]
