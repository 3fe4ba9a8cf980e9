"""What the record of the plenary's questions reads beyond :mod:`storage.questions`: the
story of every question of an event at once (the exports' second sheet) and the
registrations a list of questions goes to, with the questions each one asked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage._time import from_db
from storage.db import Database


@dataclass(frozen=True)
class StoryRow:
    """One change in a question's story, without who made it (a moderator's Telegram id is
    personal data: it is not exported)."""

    question_id: int
    at: dt.datetime
    action: str
    detail: str | None


class QuestionRecordRepository:
    """Reads ``question_events`` and ``questions`` for the record and its exports."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def stories(self, event_id: str | None = None) -> list[StoryRow]:
        """Every change of every question (of one event, or all), by question then time."""
        params: tuple[str, ...]
        where, params = "", ()
        if event_id is not None:
            where, params = "WHERE q.event_id = ?", (event_id,)
        rows = await self._db.fetchall(
            "SELECT e.question_id, e.at, e.action, e.detail FROM question_events e "
            f"JOIN questions q ON q.id = e.question_id {where} ORDER BY e.question_id, e.at, e.id",
            params,
        )
        return [
            StoryRow(
                int(row["question_id"]),
                from_db(row["at"]) or dt.datetime.min.replace(tzinfo=dt.UTC),
                str(row["action"]),
                row["detail"],
            )
            for row in rows
        ]

    async def asked_by_registration(self, event_id: str) -> dict[int, set[int]]:
        """registration id -> the ids of the questions it asked at the event."""
        rows = await self._db.fetchall(
            "SELECT registration_id, id FROM questions WHERE event_id = ? "
            "AND registration_id IS NOT NULL",
            (event_id,),
        )
        mine: dict[int, set[int]] = {}
        for row in rows:
            mine.setdefault(int(row[0]), set()).add(int(row[1]))
        return mine

    async def already_sent(
        self, kind: str, event_id: str, registration_id: int, row_id: int
    ) -> bool:
        """Whether another outbox row of ``kind`` already reached this registration for this
        event (the list of questions goes once per person, however often it is sent)."""
        row = await self._db.fetchone(
            "SELECT 1 FROM outbox WHERE kind = ? AND event_id = ? AND registration_id = ? "
            "AND status = 'sent' AND id != ? LIMIT 1",
            (kind, event_id, registration_id, row_id),
        )
        return row is not None

    async def reached(self, kind: str, event_id: str) -> set[int]:
        """The registrations an outbox row of ``kind`` for this event already reached."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT registration_id FROM outbox WHERE kind = ? AND event_id = ? "
            "AND status = 'sent' AND registration_id IS NOT NULL",
            (kind, event_id),
        )
        return {int(row[0]) for row in rows}
