"""The facilitators' reports and the regia's lock (part of
:class:`storage.worksheets.WorksheetRepository`).

A zone's report is one row per event and zone (``zone_reports``) with one text per worksheet
and section (``report_texts``; ``''`` is the worksheet's free note), written at every step; a
submitted report stays submitted when edited. The regia's lock (``report_locks``) stops the
edits of every zone of an event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from storage._time import from_db, to_db
from storage.db import Database

NOTE = ""  # the section key of a worksheet's free note in a report


@dataclass(frozen=True)
class Report:
    """A zone's report: its state and texts by (worksheet id, section)."""

    id: int
    event_id: str
    zone: int
    status: str
    texts: dict[tuple[int, str], str]
    updated_at: dt.datetime
    submitted_at: dt.datetime | None

    @property
    def submitted(self) -> bool:
        """Sent to the regia."""
        return self.status == "submitted"


class ReportStore:
    """Reads and writes the reports' tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def report(self, event_id: str, zone: int) -> Report | None:
        """The zone's report, if one was started."""
        row = await self._db.fetchone(
            "SELECT id, event_id, zone, status, updated_at, submitted_at FROM zone_reports "
            "WHERE event_id = ? AND zone = ?",
            (event_id, zone),
        )
        if row is None:
            return None
        texts = await self._db.fetchall(
            "SELECT worksheet_id, section, text FROM report_texts WHERE report_id = ?",
            (row["id"],),
        )
        updated = from_db(row["updated_at"])
        assert updated is not None
        return Report(
            id=row["id"],
            event_id=row["event_id"],
            zone=row["zone"],
            status=row["status"],
            texts={(t["worksheet_id"], t["section"]): t["text"] for t in texts},
            updated_at=updated,
            submitted_at=from_db(row["submitted_at"]),
        )

    async def reports(self, event_id: str) -> dict[int, Report]:
        """Every zone's report of an event, by zone."""
        rows = await self._db.fetchall(
            "SELECT zone FROM zone_reports WHERE event_id = ? ORDER BY zone", (event_id,)
        )
        found: dict[int, Report] = {}
        for row in rows:
            report = await self.report(event_id, row["zone"])
            if report is not None:
                found[report.zone] = report
        return found

    async def save_text(
        self,
        event_id: str,
        zone: int,
        worksheet_id: int,
        section: str,
        text: str | None,
        by: int | None,
        now: dt.datetime,
    ) -> Report:
        """Write one text of the zone's report (None or '' removes it); the report is created
        as a draft if needed, and a submitted one stays submitted (edited)."""
        async with self._db.transaction() as conn:
            report_id = await self._report_id(conn, event_id, zone, by, now)
            if text:
                await conn.execute(
                    "INSERT INTO report_texts (report_id, worksheet_id, section, text) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (report_id, worksheet_id, section) "
                    "DO UPDATE SET text = excluded.text",
                    (report_id, worksheet_id, section, text),
                )
            else:
                await conn.execute(
                    "DELETE FROM report_texts WHERE report_id = ? AND worksheet_id = ? "
                    "AND section = ?",
                    (report_id, worksheet_id, section),
                )
        report = await self.report(event_id, zone)
        assert report is not None
        return report

    async def submit(self, event_id: str, zone: int, by: int | None, now: dt.datetime) -> bool:
        """Mark the zone's report submitted; True if it was not already."""
        async with self._db.transaction() as conn:
            report_id = await self._report_id(conn, event_id, zone, by, now)
            cursor = await conn.execute(
                "UPDATE zone_reports SET status = 'submitted', submitted_at = ?, "
                "submitted_by = ? WHERE id = ? AND status = 'draft'",
                (to_db(now), by, report_id),
            )
            return cursor.rowcount == 1

    async def _report_id(
        self, conn: aiosqlite.Connection, event_id: str, zone: int, by: int | None, now: dt.datetime
    ) -> int:
        await conn.execute(
            "INSERT INTO zone_reports (event_id, zone, updated_at, updated_by) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (event_id, zone) DO UPDATE SET updated_at = excluded.updated_at, "
            "updated_by = excluded.updated_by",
            (event_id, zone, to_db(now), by),
        )
        cursor = await conn.execute(
            "SELECT id FROM zone_reports WHERE event_id = ? AND zone = ?", (event_id, zone)
        )
        found = await cursor.fetchone()
        assert found is not None
        return int(found[0])

    async def locked(self, event_id: str) -> dt.datetime | None:
        """When the regia locked the event's reports (None: editable)."""
        row = await self._db.fetchone(
            "SELECT locked_at FROM report_locks WHERE event_id = ?", (event_id,)
        )
        return from_db(row["locked_at"]) if row is not None else None

    async def lock(self, event_id: str, by: int | None, now: dt.datetime) -> bool:
        """Lock the event's reports; True if they were not locked."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO report_locks (event_id, locked_at, locked_by) VALUES (?, ?, ?) "
                "ON CONFLICT (event_id) DO NOTHING",
                (event_id, to_db(now), by),
            )
            return cursor.rowcount == 1

    async def unlock(self, event_id: str) -> bool:
        """Let facilitators edit again; True if they were locked."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM report_locks WHERE event_id = ?", (event_id,))
            return cursor.rowcount == 1
