"""What ``psm-bot status`` and ``/healthz`` read: the running bot's heartbeat, the 429s it
got, the outbox's backlog and pace. Ids, times and counts only: no personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from storage._time import from_db, to_db
from storage.db import Database

# 429s are kept this long (status shows the last hour's).
FLOODS_KEPT = dt.timedelta(days=1)


@dataclass(frozen=True)
class Heartbeat:
    """The running (or last) bot's row."""

    pid: int
    started_at: dt.datetime
    last_update_at: dt.datetime | None
    beat_at: dt.datetime
    stopped_at: dt.datetime | None


@dataclass(frozen=True)
class OutboxPace:
    """The outbox at one instant."""

    backlog: int  # pending and due, or being sent
    oldest_due: dt.datetime | None  # the due time of the oldest of those
    sent_last_minute: int


class OpsRepository:
    """The heartbeat row, the 429 rows, and the outbox figures for the status."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def started(self, pid: int, now: dt.datetime) -> None:
        """A bot starts: a fresh heartbeat row (no update received yet)."""
        await self.db.write(
            "INSERT OR REPLACE INTO ops_heartbeat "
            "(id, pid, started_at, last_update_at, beat_at, stopped_at) "
            "VALUES (1, ?, ?, NULL, ?, NULL)",
            (pid, to_db(now), to_db(now)),
        )

    async def beat(
        self,
        last_update_at: dt.datetime | None,
        floods: Sequence[tuple[dt.datetime, str]],
        now: dt.datetime,
    ) -> None:
        """Record the last received update and the 429s since the previous beat; forget
        429s older than a day."""
        async with self.db.transaction() as conn:
            if last_update_at is not None:
                await conn.execute(
                    "UPDATE ops_heartbeat SET last_update_at = ?, beat_at = ? WHERE id = 1",
                    (to_db(last_update_at), to_db(now)),
                )
            else:
                await conn.execute(
                    "UPDATE ops_heartbeat SET beat_at = ? WHERE id = 1", (to_db(now),)
                )
            if floods:
                await conn.executemany(
                    "INSERT INTO ops_floods (at, endpoint) VALUES (?, ?)",
                    [(to_db(at), endpoint) for at, endpoint in floods],
                )
            await conn.execute("DELETE FROM ops_floods WHERE at < ?", (to_db(now - FLOODS_KEPT),))

    async def stopped(self, now: dt.datetime) -> None:
        """A clean stop."""
        await self.db.write(
            "UPDATE ops_heartbeat SET stopped_at = ?, beat_at = ? WHERE id = 1",
            (to_db(now), to_db(now)),
        )

    async def heartbeat(self) -> Heartbeat | None:
        """The row, or None when no bot ever ran on this database (since migration 9)."""
        row = await self.db.fetchone(
            "SELECT pid, started_at, last_update_at, beat_at, stopped_at FROM ops_heartbeat"
        )
        if row is None:
            return None
        started, beat = from_db(row["started_at"]), from_db(row["beat_at"])
        assert started is not None and beat is not None
        return Heartbeat(
            int(row["pid"]),
            started,
            from_db(row["last_update_at"]),
            beat,
            from_db(row["stopped_at"]),
        )

    async def floods_since(self, since: dt.datetime) -> int:
        """429s received since ``since``."""
        row = await self.db.fetchone(
            "SELECT count(*) FROM ops_floods WHERE at >= ?", (to_db(since),)
        )
        return int(row[0]) if row else 0

    async def outbox_pace(self, now: dt.datetime) -> OutboxPace:
        """The due backlog, its oldest due time, and what went out in the last minute."""
        due = await self.db.fetchone(
            "SELECT count(*), min(due_at) FROM outbox "
            "WHERE (status = 'pending' AND due_at <= ?) OR status = 'sending'",
            (to_db(now),),
        )
        sent = await self.db.fetchone(
            "SELECT count(*) FROM outbox WHERE status = 'sent' AND sent_at >= ?",
            (to_db(now - dt.timedelta(minutes=1)),),
        )
        return OutboxPace(
            backlog=int(due[0]) if due else 0,
            oldest_due=from_db(due[1]) if due else None,
            sent_last_minute=int(sent[0]) if sent else 0,
        )
