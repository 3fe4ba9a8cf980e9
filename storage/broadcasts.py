"""Broadcasts: an organiser's message copied to an audience, and its delivery state."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage._time import from_db, to_db
from storage.db import Database
from storage.recipients import Recipient, RecipientRepository
from storage.registrations import ACTIVE, Status


@dataclass(frozen=True)
class Broadcast:
    """A broadcast and where its progress message is."""

    id: int
    created_by: int
    source_chat: int
    source_message: int
    content: str
    audience: dict[str, Any]
    status: str  # scheduled | sending | done | cancelled
    scheduled_at: dt.datetime
    total: int
    progress_chat: int | None
    progress_message: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


_COLUMNS = (
    "id, created_by, source_chat, source_message, content, audience, status, scheduled_at, "
    "total, progress_chat, progress_message, created_at, finished_at"
)


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    scheduled, created = from_db(row["scheduled_at"]), from_db(row["created_at"])
    assert scheduled is not None and created is not None
    return Broadcast(
        id=row["id"],
        created_by=row["created_by"],
        source_chat=row["source_chat"],
        source_message=row["source_message"],
        content=row["content"],
        audience=json.loads(row["audience"]),
        status=row["status"],
        scheduled_at=scheduled,
        total=row["total"],
        progress_chat=row["progress_chat"],
        progress_message=row["progress_message"],
        created_at=created,
        finished_at=from_db(row["finished_at"]),
    )


class BroadcastRepository:
    """Reads and writes ``broadcasts`` and finds their recipients."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._recipients = RecipientRepository(db)

    async def create(
        self,
        *,
        created_by: int,
        source_chat: int,
        source_message: int,
        content: str,
        audience: dict[str, Any],
        scheduled_at: dt.datetime,
        now: dt.datetime,
    ) -> Broadcast:
        """Store a broadcast to start at ``scheduled_at``."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO broadcasts (created_by, source_chat, source_message, content, "
                "audience, status, scheduled_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'scheduled', ?, ?)",
                (
                    created_by,
                    source_chat,
                    source_message,
                    content,
                    json.dumps(audience, ensure_ascii=False),
                    to_db(scheduled_at),
                    to_db(now),
                ),
            )
            broadcast_id = cursor.lastrowid
        found = await self.get(int(broadcast_id or 0))
        assert found is not None
        return found

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """A broadcast by id."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        return _broadcast(row) if row else None

    async def with_status(self, *statuses: str) -> list[Broadcast]:
        """Broadcasts in any of these states, oldest first."""
        marks = ", ".join("?" for _ in statuses)
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM broadcasts WHERE status IN ({marks}) "
            "ORDER BY scheduled_at, id",
            statuses,
        )
        return [_broadcast(row) for row in rows]

    async def move(
        self, broadcast_id: int, from_statuses: tuple[str, ...], to_status: str, now: dt.datetime
    ) -> bool:
        """Change the status if it is one of ``from_statuses``; True if it changed (once)."""
        marks = ", ".join("?" for _ in from_statuses)
        finished = to_db(now) if to_status in ("done", "cancelled") else None
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE broadcasts SET status = ?, finished_at = COALESCE(?, finished_at) "
                f"WHERE id = ? AND status IN ({marks})",
                (to_status, finished, broadcast_id, *from_statuses),
            )
            return cursor.rowcount == 1

    async def unreported(self) -> list[Broadcast]:
        """Running or cancelled broadcasts whose final report is not sent yet."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM broadcasts WHERE status IN ('sending', 'cancelled') "
            "AND reported_at IS NULL ORDER BY id"
        )
        return [_broadcast(row) for row in rows]

    async def mark_reported(self, broadcast_id: int, now: dt.datetime) -> bool:
        """Claim the final report (True once per broadcast)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE broadcasts SET reported_at = ? WHERE id = ? AND reported_at IS NULL",
                (to_db(now), broadcast_id),
            )
            return cursor.rowcount == 1

    async def set_total(self, broadcast_id: int, total: int) -> None:
        """Record how many recipients the broadcast has."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE broadcasts SET total = ? WHERE id = ?", (total, broadcast_id)
            )

    async def set_progress_message(self, broadcast_id: int, chat: int, message: int) -> None:
        """Remember the message that shows the progress."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE broadcasts SET progress_chat = ?, progress_message = ? WHERE id = ?",
                (chat, message, broadcast_id),
            )

    async def recipients(
        self,
        event_id: str,
        *,
        zones: list[int] | None = None,
        venue: str | None = None,
        mode: str | None = None,
        checked_in: bool | None = None,
        confirmed_only: bool = False,
    ) -> list[Recipient]:
        """Active registrants of an event matching the filters (any filter may be None;
        no zones, or an empty list of them, is every zone; ``confirmed_only``: not those on a
        waiting list)."""
        statuses = (Status.CONFIRMED.value,) if confirmed_only else ACTIVE
        return await self._recipients.recipients(
            event_id,
            statuses=statuses,
            zones=zones or None,
            venue=venue,
            mode=mode,
            checked_in=checked_in,
        )
