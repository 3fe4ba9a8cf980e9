"""Read-only figures for organisers: registration counts and the registrations export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from storage._time import from_db
from storage.db import Database
from storage.registrations import ACTIVE, Status


@dataclass(frozen=True)
class CountRow:
    """How many registrations share these values (one row of a GROUP BY)."""

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
    """One registration with everything the export file shows."""

    id: int
    event_id: str
    display_name: str | None
    zone: int
    mode: str
    venue_id: str | None
    status: Status
    waitlist_position: int | None
    organisation: str | None
    category: str | None
    language: str
    created_at: dt.datetime
    updated_at: dt.datetime
    cancelled_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    checked_in_by_self: bool | None  # None when not checked in


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
            "SELECT id, event_id, user_id, display_name, zone, mode, venue_id, status, "
            "organisation, category, language, created_at, updated_at, cancelled_at, "
            "checked_in_at, checked_in_by, CASE WHEN status = 'waitlisted' THEN "
            "ROW_NUMBER() OVER (PARTITION BY event_id, venue_id, status = 'waitlisted' "
            "ORDER BY waitlisted_at, id) END AS position "
            f"FROM registrations WHERE {' AND '.join(clauses)} "
            "ORDER BY event_id, zone, display_name COLLATE NOCASE, id",
            params,
        )
        found = []
        for row in rows:
            created, updated = from_db(row["created_at"]), from_db(row["updated_at"])
            assert created is not None and updated is not None
            checked_in = from_db(row["checked_in_at"])
            found.append(
                ExportRow(
                    id=row["id"],
                    event_id=row["event_id"],
                    display_name=row["display_name"],
                    zone=row["zone"],
                    mode=row["mode"],
                    venue_id=row["venue_id"],
                    status=Status(row["status"]),
                    waitlist_position=row["position"],
                    organisation=row["organisation"],
                    category=row["category"],
                    language=row["language"],
                    created_at=created,
                    updated_at=updated,
                    cancelled_at=from_db(row["cancelled_at"]),
                    checked_in_at=checked_in,
                    checked_in_by_self=(
                        None if checked_in is None else row["checked_in_by"] == row["user_id"]
                    ),
                )
            )
        return found
