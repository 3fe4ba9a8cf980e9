"""The durable outbox: every planned message is a row, sent at most once by one sender.

Life of a row: ``pending`` -> (claimed) ``sending`` -> ``sent`` | ``skipped`` | ``failed`` |
back to ``pending`` (retry). Rows still ``sending`` when the bot starts were in flight when
it stopped: they go back to ``pending``, so at most those can be delivered twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import aiosqlite

from storage._time import from_db, to_db
from storage.db import Database


@dataclass(frozen=True)
class Planned:
    """A message to put in the outbox."""

    dedupe_key: str
    kind: str
    user_id: int
    due_at: dt.datetime
    expires_at: dt.datetime | None = None
    registration_id: int | None = None
    event_id: str | None = None
    rule_id: str | None = None
    anchor: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    broadcast_id: int | None = None
    priority: int = 0  # PERSON: someone is waiting for it (sent before bulk traffic)


BULK, PERSON = 0, 1


@dataclass(frozen=True)
class OutboxRow:
    """A stored outbox message."""

    id: int
    dedupe_key: str
    kind: str
    user_id: int
    registration_id: int | None
    event_id: str | None
    rule_id: str | None
    anchor: str
    payload: dict[str, Any]
    due_at: dt.datetime
    expires_at: dt.datetime | None
    status: str
    reason: str | None
    attempts: int
    sent_link: str | None
    sent_at: dt.datetime | None
    broadcast_id: int | None = None
    priority: int = BULK

    @property
    def bulk(self) -> bool:
        """Bulk traffic (reminders, broadcasts...), not something a person is waiting for."""
        return self.priority == BULK


_COLUMNS = (
    "id, dedupe_key, kind, user_id, registration_id, event_id, rule_id, anchor, payload, "
    "due_at, expires_at, status, reason, attempts, sent_link, sent_at, broadcast_id, priority"
)


def _row(row: aiosqlite.Row) -> OutboxRow:
    due = from_db(row["due_at"])
    assert due is not None
    return OutboxRow(
        id=row["id"],
        dedupe_key=row["dedupe_key"],
        kind=row["kind"],
        user_id=row["user_id"],
        registration_id=row["registration_id"],
        event_id=row["event_id"],
        rule_id=row["rule_id"],
        anchor=row["anchor"],
        payload=json.loads(row["payload"]),
        due_at=due,
        expires_at=from_db(row["expires_at"]),
        status=row["status"],
        reason=row["reason"],
        attempts=row["attempts"],
        sent_link=row["sent_link"],
        sent_at=from_db(row["sent_at"]),
        broadcast_id=row["broadcast_id"],
        priority=row["priority"],
    )


_INSERT = (
    "INSERT OR IGNORE INTO outbox (dedupe_key, kind, user_id, registration_id, event_id, "
    "rule_id, anchor, payload, due_at, expires_at, created_at, updated_at, broadcast_id, "
    "priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _insert_params(p: Planned, now: dt.datetime) -> tuple[object, ...]:
    return (
        p.dedupe_key,
        p.kind,
        p.user_id,
        p.registration_id,
        p.event_id,
        p.rule_id,
        p.anchor,
        json.dumps(p.payload, ensure_ascii=False),
        to_db(p.due_at),
        to_db(p.expires_at) if p.expires_at else None,
        to_db(now),
        to_db(now),
        p.broadcast_id,
        p.priority,
    )


class OutboxRepository:
    """Reads and writes ``outbox``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, planned: Iterable[Planned], now: dt.datetime) -> int:
        """Insert messages not planned before (by dedupe key); returns how many were new.

        The one way rows enter the queue: inside another repository's transaction (a poll
        opened with its ballots' messages) it joins that transaction, so both commit together.
        """
        rows = [_insert_params(p, now) for p in planned]
        if not rows:
            return 0
        async with self._db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(_INSERT, rows)
            return conn.total_changes - before

    async def replan(
        self, registration_id: int, planned: Sequence[Planned], now: dt.datetime
    ) -> None:
        """Drop a registration's pending reminders and plan these instead (one transaction)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM outbox WHERE registration_id = ? AND status = 'pending' "
                "AND kind = 'reminder'",
                (registration_id,),
            )
            await self.add(planned, now)

    async def cancel_pending(
        self,
        *,
        registration_id: int | None = None,
        user_id: int | None = None,
        broadcast_id: int | None = None,
        reason: str,
        now: dt.datetime,
    ) -> int:
        """Cancel the pending messages of a registration, a user or a broadcast."""
        given = [
            (column, value)
            for column, value in (
                ("registration_id", registration_id),
                ("user_id", user_id),
                ("broadcast_id", broadcast_id),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of registration_id, user_id, broadcast_id")
        column, value = given[0]
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE outbox SET status = 'cancelled', reason = ?, updated_at = ? "
                f"WHERE {column} = ? AND status = 'pending'",
                (reason, to_db(now), value),
            )
            return cursor.rowcount

    async def recover_in_flight(self, now: dt.datetime) -> int:
        """Rows left ``sending`` by a stopped bot go back to ``pending``; returns how many."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET status = 'pending', updated_at = ? WHERE status = 'sending'",
                (to_db(now),),
            )
            return cursor.rowcount

    async def claim_due(self, now: dt.datetime, limit: int) -> list[OutboxRow]:
        """Mark up to ``limit`` due pending rows ``sending`` and return them: rows a person
        waits for first, then the oldest."""
        return await self._claim(
            "status = 'pending' AND due_at <= ? ORDER BY priority DESC, due_at, id LIMIT ?",
            (to_db(now), limit),
            now,
        )

    async def claim_keys(self, keys: Sequence[str], now: dt.datetime) -> list[OutboxRow]:
        """Mark these pending rows (by dedupe key) ``sending`` and return them in that order;
        rows already claimed (or done) are left out."""
        if not keys:
            return []
        marks = ", ".join("?" for _ in keys)
        rows = await self._claim(
            f"status = 'pending' AND dedupe_key IN ({marks})", tuple(keys), now
        )
        order = {key: index for index, key in enumerate(keys)}
        return sorted(rows, key=lambda row: order[row.dedupe_key])

    async def _claim(
        self, where: str, params: tuple[object, ...], now: dt.datetime
    ) -> list[OutboxRow]:
        async with self._db.transaction() as conn:
            sql = f"SELECT {_COLUMNS} FROM outbox WHERE {where}"
            async with conn.execute(sql, params) as cursor:
                rows = [_row(row) for row in await cursor.fetchall()]
            if rows:
                await conn.executemany(
                    "UPDATE outbox SET status = 'sending', attempts = attempts + 1, "
                    "updated_at = ? WHERE id = ?",
                    [(to_db(now), row.id) for row in rows],
                )
        # as claimed: the attempt being made counts (the sender's backoff and limit use it)
        return [replace(row, status="sending", attempts=row.attempts + 1) for row in rows]

    async def finish(
        self,
        row_id: int,
        status: str,
        now: dt.datetime,
        *,
        reason: str | None = None,
        message_id: int | None = None,
        sent_link: str | None = None,
    ) -> None:
        """Record the outcome of a claimed row."""
        await self.finish_many([(row_id, status, reason, message_id, sent_link)], now)

    async def finish_many(
        self,
        outcomes: Sequence[tuple[int, str, str | None, int | None, str | None]],
        now: dt.datetime,
    ) -> None:
        """Record several outcomes ``(id, status, reason, message_id, sent_link)`` at once."""
        if not outcomes:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET status = ?, reason = ?, message_id = ?, sent_link = ?, "
                "updated_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END "
                "WHERE id = ?",
                [
                    (status, reason, message_id, link, to_db(now), status, to_db(now), row_id)
                    for row_id, status, reason, message_id, link in outcomes
                ],
            )

    async def retry(
        self, row_id: int, due_at: dt.datetime, now: dt.datetime, reason: str | None = None
    ) -> None:
        """Put a claimed row back to ``pending``, due at ``due_at``."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'pending', due_at = ?, reason = ?, updated_at = ? "
                "WHERE id = ?",
                (to_db(due_at), reason, to_db(now), row_id),
            )

    async def release(self, row_ids: Sequence[int]) -> None:
        """Put claimed rows back to ``pending`` untouched (their attempt does not count)."""
        if not row_ids:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET status = 'pending', attempts = attempts - 1 "
                "WHERE id = ? AND status = 'sending'",
                [(row_id,) for row_id in row_ids],
            )

    async def next_due(self) -> dt.datetime | None:
        """When the earliest pending row is due."""
        row = await self._db.fetchone("SELECT MIN(due_at) FROM outbox WHERE status = 'pending'")
        return from_db(row[0]) if row and row[0] else None

    async def rows(
        self,
        *,
        status: str | None = None,
        user_id: int | None = None,
        kind: str | None = None,
        event_id: str | None = None,
    ) -> list[OutboxRow]:
        """Rows matching the given filters, by due time."""
        clauses, params = [], []
        for column, value in (
            ("status", status),
            ("user_id", user_id),
            ("kind", kind),
            ("event_id", event_id),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        found = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM outbox {where} ORDER BY due_at, id", params
        )
        return [_row(row) for row in found]

    async def sent_links(self, event_id: str, anchors: Sequence[str]) -> list[OutboxRow]:
        """Sent link-bearing messages of an event about the given sessions (anchors)."""
        if not anchors:
            return []
        marks = ", ".join("?" for _ in anchors)
        found = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM outbox WHERE event_id = ? AND status = 'sent' "
            f"AND sent_link IS NOT NULL AND anchor IN ({marks}) ORDER BY id",
            (event_id, *anchors),
        )
        return [_row(row) for row in found]

    async def counts(self, kind: str | None = None) -> dict[str, int]:
        """How many rows per status (of one kind, or all)."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        found = await self._db.fetchall(
            f"SELECT status, COUNT(*) FROM outbox {where} GROUP BY status", params
        )
        return {row[0]: int(row[1]) for row in found}

    async def reminder_counts(self, event_id: str) -> dict[tuple[str, str], dict[str, int]]:
        """Per (rule, anchor) of an event's reminders: how many rows in each status."""
        found = await self._db.fetchall(
            "SELECT rule_id, anchor, status, COUNT(*) FROM outbox WHERE event_id = ? "
            "AND kind = 'reminder' GROUP BY rule_id, anchor, status",
            (event_id,),
        )
        counts: dict[tuple[str, str], dict[str, int]] = {}
        for row in found:
            counts.setdefault((row[0], row[1]), {})[row[2]] = int(row[3])
        return counts

    async def reminder_reasons(
        self, event_id: str
    ) -> dict[tuple[str, str], dict[str, dict[str, int]]]:
        """Per (rule, anchor) of an event's reminders: for each status with reasons (skipped,
        failed, cancelled), how many rows for each reason."""
        found = await self._db.fetchall(
            "SELECT rule_id, anchor, status, reason, COUNT(*) FROM outbox WHERE event_id = ? "
            "AND kind = 'reminder' AND reason IS NOT NULL GROUP BY rule_id, anchor, status, reason",
            (event_id,),
        )
        reasons: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
        for row in found:
            by_status = reasons.setdefault((row[0], row[1]), {})
            by_status.setdefault(row[2], {})[row[3]] = int(row[4])
        return reasons

    async def broadcast_counts(self, broadcast_id: int) -> dict[str, int]:
        """A broadcast's rows by status, with ``blocked`` counted apart from ``failed``."""
        found = await self._db.fetchall(
            "SELECT CASE WHEN reason IN ('blocked', 'unreachable') THEN 'blocked' "
            "WHEN reason = 'cancelled' THEN 'cancelled' "
            "ELSE status END, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY 1",
            (broadcast_id,),
        )
        return {row[0]: int(row[1]) for row in found}

    async def not_reached(self, broadcast_id: int) -> list[OutboxRow]:
        """A broadcast's rows that were not delivered (failed, skipped, cancelled)."""
        found = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM outbox WHERE broadcast_id = ? "
            "AND status IN ('failed', 'skipped', 'cancelled') ORDER BY id",
            (broadcast_id,),
        )
        return [_row(row) for row in found]

    async def record_sent(self, message: Planned, link: str, now: dt.datetime) -> None:
        """Record a message the bot sent directly (not through the queue) with the online link
        it carried, e.g. the answer to ``/link``, so that link corrections reach it too.

        One row per dedupe key: asking again updates the link and the time.
        """
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO outbox (dedupe_key, kind, user_id, registration_id, event_id, "
                "rule_id, anchor, payload, due_at, expires_at, status, sent_link, sent_at, "
                "created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, NULL, 'sent', ?, ?, ?, ?) "
                "ON CONFLICT (dedupe_key) DO UPDATE SET sent_link = excluded.sent_link, "
                "sent_at = excluded.sent_at, due_at = excluded.due_at, "
                "updated_at = excluded.updated_at, status = 'sent'",
                (
                    message.dedupe_key,
                    message.kind,
                    message.user_id,
                    message.registration_id,
                    message.event_id,
                    message.rule_id,
                    message.anchor,
                    to_db(message.due_at),
                    link,
                    to_db(now),
                    to_db(now),
                    to_db(now),
                ),
            )
