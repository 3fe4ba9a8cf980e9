"""Session 2 at the tables: worksheets, contributions, facilitators' reports, the regia's lock.

A zone's worksheets are created once (from its closed priority poll, or by its facilitator);
a worksheet the facilitator replaces is kept, inactive, with its contributions. A
contribution is written at once, with a ``dedupe`` key (the confirming button's token) so a
repeated press stores it once. Contributions reference registrations (participants) or a
Telegram id (``added_by``: the facilitator who added it; erased with their data), and are
shown by zone everywhere. A zone's report is one row per event and zone, with one text per
worksheet and section (``''`` is the worksheet's free note), written at every step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from storage._time import from_db, to_db
from storage.db import Database
from storage.worksheet_reports import ReportStore


class Origin(StrEnum):
    """Where a worksheet or an item comes from."""

    POLL = "poll"
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"


class ItemStatus(StrEnum):
    """A contribution's state."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"  # by its author while the session was open
    HIDDEN = "hidden"  # by a facilitator (off topic); kept in the record


@dataclass(frozen=True)
class Worksheet:
    """A strategy a zone works on in session 2."""

    id: int
    event_id: str
    zone: int
    strategy: str
    position: int
    origin: str
    poll_id: int | None
    active: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class NewContribution:
    """A contribution to store."""

    worksheet_id: int
    section: str
    kind: str  # "text" or "photo"
    text: str
    origin: str
    photo: str | None = None  # Telegram file_id
    registration_id: int | None = None
    added_by: int | None = None
    dedupe: str | None = None
    starred: bool = False


@dataclass(frozen=True)
class Contribution:
    """A stored contribution."""

    id: int
    worksheet_id: int
    section: str
    kind: str
    text: str
    photo: str | None
    origin: str
    registration_id: int | None
    added_by: int | None
    status: str
    starred: bool
    merged_into: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def visible(self) -> bool:
        """Shown on the board and in the synthesis: active and not merged into another."""
        return self.status == ItemStatus.ACTIVE and self.merged_into is None


@dataclass(frozen=True)
class ZoneCounts:
    """The regia board's figures for one zone."""

    zone: int
    worksheets: int
    contributions: int
    contributors: int
    report: str | None  # None, "draft" or "submitted"


_SHEET = "id, event_id, zone, strategy, position, origin, poll_id, active, created_at"
_ITEM = (
    "id, worksheet_id, section, kind, text, photo, origin, registration_id, added_by, status, "
    "starred, merged_into, created_at, updated_at"
)


def _sheet(row: aiosqlite.Row) -> Worksheet:
    created = from_db(row["created_at"])
    assert created is not None
    return Worksheet(
        row["id"],
        row["event_id"],
        row["zone"],
        row["strategy"],
        row["position"],
        row["origin"],
        row["poll_id"],
        bool(row["active"]),
        created,
    )


def _item(row: aiosqlite.Row) -> Contribution:
    created, updated = from_db(row["created_at"]), from_db(row["updated_at"])
    assert created is not None and updated is not None
    return Contribution(
        id=row["id"],
        worksheet_id=row["worksheet_id"],
        section=row["section"],
        kind=row["kind"],
        text=row["text"],
        photo=row["photo"],
        origin=row["origin"],
        registration_id=row["registration_id"],
        added_by=row["added_by"],
        status=row["status"],
        starred=bool(row["starred"]),
        merged_into=row["merged_into"],
        created_at=created,
        updated_at=updated,
    )


class WorksheetRepository(ReportStore):
    """Reads and writes the session-2 tables (the reports' part: :class:`ReportStore`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- worksheets -------------------------------------------------------------------------
    async def worksheets(
        self, event_id: str, zone: int | None = None, *, active_only: bool = True
    ) -> list[Worksheet]:
        """The worksheets of an event (and zone), by zone and position."""
        sql = f"SELECT {_SHEET} FROM worksheets WHERE event_id = ?"
        params: list[object] = [event_id]
        if zone is not None:
            sql += " AND zone = ?"
            params.append(zone)
        if active_only:
            sql += " AND active = 1"
        rows = await self._db.fetchall(sql + " ORDER BY zone, position, id", params)
        return [_sheet(row) for row in rows]

    async def worksheet(self, worksheet_id: int) -> Worksheet | None:
        """A worksheet by id (active or not)."""
        row = await self._db.fetchone(
            f"SELECT {_SHEET} FROM worksheets WHERE id = ?", (worksheet_id,)
        )
        return _sheet(row) if row is not None else None

    async def create_worksheets(
        self,
        event_id: str,
        zone: int,
        strategies: Sequence[str],
        origin: str,
        now: dt.datetime,
        *,
        poll_id: int | None = None,
        created_by: int | None = None,
    ) -> list[Worksheet]:
        """Add worksheets after the zone's existing ones (a strategy already there, active or
        not, is made active again instead); returns the zone's active worksheets."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT COALESCE(MAX(position), -1) FROM worksheets "
                "WHERE event_id = ? AND zone = ?",
                (event_id, zone),
            )
            found = await cursor.fetchone()
            position = int(found[0]) if found is not None else -1
            for strategy in strategies:
                position += 1
                await conn.execute(
                    "INSERT INTO worksheets (event_id, zone, strategy, position, origin, poll_id, "
                    "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (event_id, zone, strategy) DO UPDATE SET active = 1",
                    (event_id, zone, strategy, position, origin, poll_id, to_db(now), created_by),
                )
        return await self.worksheets(event_id, zone)

    async def deactivate(self, worksheet_id: int) -> bool:
        """Take a worksheet off the zone's list (its contributions stay); True if it was on."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE worksheets SET active = 0 WHERE id = ? AND active = 1", (worksheet_id,)
            )
            return cursor.rowcount == 1

    # --- contributions ----------------------------------------------------------------------
    async def add(self, new: NewContribution, now: dt.datetime) -> Contribution:
        """Store a contribution (once per ``dedupe`` key: a repeat returns the first)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO contributions (worksheet_id, section, kind, text, photo, origin, "
                "registration_id, added_by, starred, dedupe, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe) DO NOTHING",
                (
                    new.worksheet_id,
                    new.section,
                    new.kind,
                    new.text,
                    new.photo,
                    new.origin,
                    new.registration_id,
                    new.added_by,
                    int(new.starred),
                    new.dedupe,
                    to_db(now),
                    to_db(now),
                ),
            )
            if cursor.rowcount == 1 and cursor.lastrowid is not None:
                item_id = cursor.lastrowid
            else:
                cursor = await conn.execute(
                    "SELECT id FROM contributions WHERE dedupe = ?", (new.dedupe,)
                )
                found = await cursor.fetchone()
                assert found is not None
                item_id = int(found[0])
        item = await self.item(item_id)
        assert item is not None
        return item

    async def item(self, item_id: int) -> Contribution | None:
        """A contribution by id."""
        row = await self._db.fetchone(f"SELECT {_ITEM} FROM contributions WHERE id = ?", (item_id,))
        return _item(row) if row is not None else None

    async def items(
        self, worksheet_ids: Iterable[int], *, include_withdrawn: bool = False
    ) -> list[Contribution]:
        """The contributions of these worksheets, oldest first (hidden and merged included)."""
        ids = list(worksheet_ids)
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        sql = f"SELECT {_ITEM} FROM contributions WHERE worksheet_id IN ({marks})"
        if not include_withdrawn:
            sql += " AND status != 'withdrawn'"
        rows = await self._db.fetchall(sql + " ORDER BY id", ids)
        return [_item(row) for row in rows]

    async def by_registrations(self, registration_ids: Iterable[int]) -> list[Contribution]:
        """A participant's own contributions (not withdrawn), oldest first."""
        ids = list(registration_ids)
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = await self._db.fetchall(
            f"SELECT {_ITEM} FROM contributions WHERE registration_id IN ({marks}) "
            "AND status != 'withdrawn' ORDER BY id",
            ids,
        )
        return [_item(row) for row in rows]

    async def set_status(
        self, item_id: int, status: str, now: dt.datetime, *, only_from: str | None = None
    ) -> bool:
        """Change an item's status (``only_from``: only if it is in that state now)."""
        sql = "UPDATE contributions SET status = ?, updated_at = ? WHERE id = ?"
        params: list[object] = [status, to_db(now), item_id]
        if only_from is not None:
            sql += " AND status = ?"
            params.append(only_from)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount == 1

    async def set_starred(self, item_id: int, starred: bool, now: dt.datetime) -> bool:
        """Star (or unstar) a key point."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE contributions SET starred = ?, updated_at = ? WHERE id = ?",
                (int(starred), to_db(now), item_id),
            )
            return cursor.rowcount == 1

    async def merge(self, item_id: int, into: int | None, now: dt.datetime) -> bool:
        """Mark ``item_id`` a duplicate of ``into`` (None: not merged any more)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE contributions SET merged_into = ?, updated_at = ? WHERE id = ? "
                "AND (? IS NULL OR id != ?)",
                (into, to_db(now), item_id, into, into),
            )
            return cursor.rowcount == 1

    # --- the regia's figures ----------------------------------------------------------------
    async def zone_counts(self, event_id: str) -> dict[int, ZoneCounts]:
        """Per zone: active worksheets, visible contributions, contributors, report state."""
        rows = await self._db.fetchall(
            "SELECT w.zone, COUNT(DISTINCT w.id) AS sheets, "
            "COUNT(c.id) AS items, COUNT(DISTINCT c.registration_id) AS people "
            "FROM worksheets w LEFT JOIN contributions c ON c.worksheet_id = w.id "
            "AND c.status = 'active' AND c.merged_into IS NULL "
            "WHERE w.event_id = ? AND w.active = 1 GROUP BY w.zone",
            (event_id,),
        )
        states = {
            row["zone"]: row["status"]
            for row in await self._db.fetchall(
                "SELECT zone, status FROM zone_reports WHERE event_id = ?", (event_id,)
            )
        }
        counts = {
            row["zone"]: ZoneCounts(
                row["zone"], row["sheets"], row["items"], row["people"], states.get(row["zone"])
            )
            for row in rows
        }
        for zone, state in states.items():
            counts.setdefault(zone, ZoneCounts(zone, 0, 0, 0, state))
        return counts

    # --- part A: participants' contributions ------------------------------------------------
    async def by_dedupe(self, dedupe: str) -> Contribution | None:
        """The contribution stored with this ``dedupe`` key (a confirming press), if any."""
        row = await self._db.fetchone(
            f"SELECT {_ITEM} FROM contributions WHERE dedupe = ?", (dedupe,)
        )
        return _item(row) if row is not None else None

    async def own_items(self, event_id: str, user_id: int) -> list[Contribution]:
        """A participant's contributions to an event's worksheets (any of their registrations
        for it), not withdrawn, oldest first; hidden ones included (they are still theirs)."""
        rows = await self._db.fetchall(
            f"SELECT {', '.join('c.' + c.strip() for c in _ITEM.split(','))} "
            "FROM contributions c JOIN registrations r ON r.id = c.registration_id "
            "JOIN worksheets w ON w.id = c.worksheet_id "
            "WHERE r.user_id = ? AND w.event_id = ? AND c.status != 'withdrawn' ORDER BY c.id",
            (user_id, event_id),
        )
        return [_item(row) for row in rows]

    async def withdraw_own(self, item_id: int, user_id: int, now: dt.datetime) -> bool:
        """Withdraw a participant's own active contribution; False if it is not theirs or
        not active (withdrawn already, hidden by the facilitator)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE contributions SET status = 'withdrawn', updated_at = ? "
                "WHERE id = ? AND status = 'active' AND registration_id IN "
                "(SELECT id FROM registrations WHERE user_id = ?)",
                (to_db(now), item_id, user_id),
            )
            return cursor.rowcount == 1

    # --- part C: the regia's exports ------------------------------------------------------------
    async def export_view(self, view: str, event_id: str | None = None) -> list[dict[str, object]]:
        """The rows of ``contributions_export`` or ``reports_export`` (one event, or all), by
        event, zone and time, as column -> value."""
        if view not in ("contributions_export", "reports_export"):
            raise ValueError(f"unknown view {view!r}")
        order = (
            "event_id, zone, time, item_id"
            if view == "contributions_export"
            else ("event_id, zone, strategy, section")
        )
        sql = f"SELECT * FROM {view}"
        params: list[object] = []
        if event_id is not None:
            sql += " WHERE event_id = ?"
            params.append(event_id)
        rows = await self._db.fetchall(f"{sql} ORDER BY {order}", params)
        return [dict(row) for row in rows]
