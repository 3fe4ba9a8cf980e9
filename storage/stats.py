"""Read-only figures for organisers: registration counts and the registrations export.

The export reads registrations as they are stored (:class:`Registration`) with their place
on the waiting list; the counts are a projection, one row of a ``GROUP BY``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.db import Database
from storage.registrations import ACTIVE, COLUMNS, Registration, Status, registration_from


@dataclass(frozen=True)
class CountRow:
    """How many registrations share these values: one row of a ``GROUP BY`` over
    ``registrations`` (a view-like projection for the figures, not a registration)."""

    event_id: str
    status: Status
    mode: str
    zone: int
    venue_id: str | None
    present: bool
    reachable: bool
    count: int


@dataclass(frozen=True)
class ExportRow:
    """One registration with everything the export file shows: the stored registration and
    its place on its venue's waiting list (None when not waitlisted)."""

    registration: Registration
    waitlist_position: int | None

    @property
    def checked_in_by_self(self) -> bool | None:
        """Whether they checked themselves in at the desk (None when not checked in)."""
        registration = self.registration
        if registration.checked_in_at is None:
            return None
        return registration.checked_in_by == registration.user_id


class StatsRepository:
    """Aggregates over ``registrations`` (and ``users`` for reachability)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def counts(self) -> list[CountRow]:
        """Registrations grouped by event, status, mode, zone, venue, presence, reachability.

        Reachability comes from ``users.reachable`` (0 once the participant blocked the bot);
        registrations whose user row is gone (erased) count as reachable.
        """
        rows = await self._db.fetchall(
            "SELECT r.event_id, r.status, r.mode, r.zone, r.venue_id, "
            "r.checked_in_at IS NOT NULL AS present, COALESCE(u.reachable, 1) AS reachable, "
            "COUNT(*) AS n FROM registrations r LEFT JOIN users u ON u.user_id = r.user_id "
            "GROUP BY r.event_id, r.status, r.mode, r.zone, r.venue_id, present, reachable"
        )
        return [
            CountRow(
                event_id=row["event_id"],
                status=Status(row["status"]),
                mode=row["mode"],
                zone=row["zone"],
                venue_id=row["venue_id"],
                present=bool(row["present"]),
                reachable=bool(row["reachable"]),
                count=int(row["n"]),
            )
            for row in rows
        ]

    async def export_rows(
        self, event_ids: Sequence[str] | None = None, *, include_cancelled: bool = False
    ) -> list[ExportRow]:
        """Registrations with their waiting-list position, by event, zone, name and id.

        Active ones (confirmed, waitlisted) only, unless ``include_cancelled``; erased
        registrations carry no personal data and are never exported.
        """
        statuses = [*ACTIVE, Status.CANCELLED.value] if include_cancelled else [*ACTIVE]
        clauses = [f"status IN ({', '.join('?' for _ in statuses)})"]
        params: list[object] = list(statuses)
        if event_ids is not None:
            clauses.append(f"event_id IN ({', '.join('?' for _ in event_ids) or 'NULL'})")
            params += list(event_ids)
        rows = await self._db.fetchall(
            f"SELECT {COLUMNS}, CASE WHEN status = 'waitlisted' THEN "
            "ROW_NUMBER() OVER (PARTITION BY event_id, venue_id, status = 'waitlisted' "
            "ORDER BY waitlisted_at, id) END AS position "
            f"FROM registrations WHERE {' AND '.join(clauses)} "
            "ORDER BY event_id, zone, display_name COLLATE NOCASE, id",
            params,
        )
        return [ExportRow(registration_from(row), row["position"]) for row in rows]
