"""The plenaries' questions: what was asked, who supports it, and what became of it.

A question is written once per confirmation (``dedupe``: the confirming button's token), with
its status as its fate (see migration 10). Every change of status is one row of
``question_events`` in the same transaction, so nothing is ever deleted and a question's
whole story can be shown afterwards. Supports are one row per registration and question;
pressing again withdraws (the row goes). A question's support count is its own supporters'
plus those of the questions merged into it, each person once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from storage._time import from_db, to_db
from storage.db import Database


class QuestionStatus(StrEnum):
    """A question's state; the last four are its possible fates."""

    PENDING = "pending"  # waiting for a moderator (pre-moderation)
    PUBLISHED = "published"  # public, waiting to be answered
    HIGHLIGHTED = "highlighted"  # being answered now
    ANSWERED = "answered"
    HIDDEN = "hidden"  # by a moderator, with a reason; kept in the record
    MERGED = "merged"  # into another question (``merged_into``)


# What participants see in /domande and on the projector.
PUBLIC = (QuestionStatus.PUBLISHED, QuestionStatus.HIGHLIGHTED)
# Still waiting for an answer (a moderator can act on them).
OPEN = (QuestionStatus.PENDING, QuestionStatus.PUBLISHED, QuestionStatus.HIGHLIGHTED)


class QuestionAction(StrEnum):
    """What happened to a question (``question_events.action``)."""

    ASKED = "asked"
    PUBLISHED = "published"
    HIDDEN = "hidden"
    SHOWN_AGAIN = "shown_again"
    MERGED = "merged"
    HIGHLIGHTED = "highlighted"
    ANSWERED = "answered"
    REOPENED = "reopened"


@dataclass(frozen=True)
class NewQuestion:
    """A question to store."""

    event_id: str
    window_id: str
    text: str
    registration_id: int
    mode: str  # "in_person" or "online"
    language: str  # "it" or "en": the asker's language
    named: bool = False
    shown_name: str | None = None  # when named
    axis: str | None = None
    status: QuestionStatus = QuestionStatus.PENDING
    dedupe: str | None = None


@dataclass(frozen=True)
class Question:
    """A stored question, with its support count."""

    id: int
    event_id: str
    window_id: str
    axis: str | None
    text: str
    registration_id: int | None
    mode: str
    language: str
    named: bool
    shown_name: str | None
    status: QuestionStatus
    hide_reason: str | None
    merged_into: int | None
    created_at: dt.datetime
    published_at: dt.datetime | None
    highlighted_at: dt.datetime | None
    answered_at: dt.datetime | None
    updated_at: dt.datetime
    supports: int

    @property
    def public(self) -> bool:
        """Shown to participants and on the projector."""
        return self.status in PUBLIC

    @property
    def name(self) -> str | None:
        """The name to show, or None for an anonymous question."""
        return self.shown_name if self.named else None


@dataclass(frozen=True)
class QuestionEvent:
    """One change in a question's story."""

    question_id: int
    at: dt.datetime
    action: QuestionAction
    by_user: int | None
    detail: str | None


@dataclass(frozen=True)
class Asker:
    """Who asked a question, for the notices (None once their data was erased)."""

    registration_id: int
    user_id: int | None


_SUPPORTS = (
    "(SELECT COUNT(DISTINCT s.registration_id) FROM question_supports s "
    "WHERE s.question_id = q.id OR s.question_id IN "
    "(SELECT m.id FROM questions m WHERE m.merged_into = q.id))"
)
_COLUMNS = (
    "q.id, q.event_id, q.window_id, q.axis, q.text, q.registration_id, q.mode, q.language, "
    "q.named, q.shown_name, q.status, q.hide_reason, q.merged_into, q.created_at, "
    f"q.published_at, q.highlighted_at, q.answered_at, q.updated_at, {_SUPPORTS} AS supports"
)
# What each status change stamps.
_STAMPS = {
    QuestionStatus.PUBLISHED: "published_at",
    QuestionStatus.HIGHLIGHTED: "highlighted_at",
    QuestionStatus.ANSWERED: "answered_at",
}


def _when(value: str | None) -> dt.datetime | None:
    return from_db(value)


def _question(row: aiosqlite.Row) -> Question:
    created, updated = from_db(row["created_at"]), from_db(row["updated_at"])
    assert created is not None and updated is not None
    return Question(
        id=row["id"],
        event_id=row["event_id"],
        window_id=row["window_id"],
        axis=row["axis"],
        text=row["text"],
        registration_id=row["registration_id"],
        mode=row["mode"],
        language=row["language"],
        named=bool(row["named"]),
        shown_name=row["shown_name"],
        status=QuestionStatus(row["status"]),
        hide_reason=row["hide_reason"],
        merged_into=row["merged_into"],
        created_at=created,
        published_at=_when(row["published_at"]),
        highlighted_at=_when(row["highlighted_at"]),
        answered_at=_when(row["answered_at"]),
        updated_at=updated,
        supports=int(row["supports"]),
    )


def _in(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


class QuestionRepository:
    """Reads and writes ``questions``, ``question_supports`` and ``question_events``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- writing ----------------------------------------------------------------------------
    async def add(self, new: NewQuestion, now: dt.datetime) -> tuple[Question, bool]:
        """Store a question (once per ``dedupe``); True when it is new, False for a repeat."""
        published = to_db(now) if new.status in PUBLIC else None
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO questions (event_id, window_id, axis, text, registration_id, mode, "
                "language, named, shown_name, status, dedupe, created_at, published_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (dedupe) DO NOTHING",
                (
                    new.event_id,
                    new.window_id,
                    new.axis,
                    new.text,
                    new.registration_id,
                    new.mode,
                    new.language,
                    int(new.named),
                    new.shown_name if new.named else None,
                    new.status.value,
                    new.dedupe,
                    to_db(now),
                    published,
                    to_db(now),
                ),
            )
            created = cursor.rowcount == 1 and cursor.lastrowid is not None
            if created:
                question_id = int(cursor.lastrowid or 0)
                await self._record(conn, question_id, QuestionAction.ASKED, None, None, now)
                if new.status in PUBLIC:
                    await self._record(conn, question_id, QuestionAction.PUBLISHED, None, None, now)
            else:
                cursor = await conn.execute(
                    "SELECT id FROM questions WHERE dedupe = ?", (new.dedupe,)
                )
                found = await cursor.fetchone()
                assert found is not None
                question_id = int(found[0])
        question = await self.get(question_id)
        assert question is not None
        return question, created

    async def change(
        self,
        question_id: int,
        status: QuestionStatus,
        action: QuestionAction,
        by_user: int | None,
        now: dt.datetime,
        *,
        reason: str | None = None,
        merged_into: int | None = None,
        expected: Iterable[QuestionStatus] | None = None,
    ) -> Question | None:
        """Move a question to ``status`` and record why; None if it is not (or no longer) in
        one of the ``expected`` statuses (two moderators pressing at once: one wins)."""
        sets = ["status = ?", "updated_at = ?", "hide_reason = ?", "merged_into = ?"]
        params: list[object] = [status.value, to_db(now), reason, merged_into]
        stamp = _STAMPS.get(status)
        if stamp is not None:
            sets.append(f"{stamp} = COALESCE({stamp}, ?)")
            params.append(to_db(now))
        where, where_params = "id = ?", [question_id]
        if expected is not None:
            states = [s.value for s in expected]
            where += f" AND status IN ({_in(states)})"
            where_params.extend(states)  # type: ignore[arg-type]
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE questions SET {', '.join(sets)} WHERE {where}", (*params, *where_params)
            )
            if cursor.rowcount != 1:
                return None
            detail = reason if reason is not None else (str(merged_into) if merged_into else None)
            await self._record(conn, question_id, action, by_user, detail, now)
        return await self.get(question_id)

    async def _record(
        self,
        conn: aiosqlite.Connection,
        question_id: int,
        action: QuestionAction,
        by_user: int | None,
        detail: str | None,
        now: dt.datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO question_events (question_id, at, action, by_user, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            (question_id, to_db(now), action.value, by_user, detail),
        )

    async def toggle_support(
        self, question_id: int, registration_id: int, now: dt.datetime
    ) -> bool:
        """Support a question, or withdraw the support given; True when it is now supported."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM question_supports WHERE question_id = ? AND registration_id = ?",
                (question_id, registration_id),
            )
            if cursor.rowcount == 1:
                return False
            await conn.execute(
                "INSERT INTO question_supports (question_id, registration_id, created_at) "
                "VALUES (?, ?, ?)",
                (question_id, registration_id, to_db(now)),
            )
            return True

    # --- reading ----------------------------------------------------------------------------
    async def get(self, question_id: int) -> Question | None:
        """A question by id."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM questions q WHERE q.id = ?", (question_id,)
        )
        return _question(row) if row is not None else None

    async def listing(
        self,
        event_id: str,
        statuses: Sequence[QuestionStatus],
        *,
        window_id: str | None = None,
        by_support: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Question]:
        """Questions of an event (optionally of one window) in these statuses: the most
        supported first (then the oldest), or in the order they were asked."""
        states = [s.value for s in statuses]
        where = f"q.event_id = ? AND q.status IN ({_in(states)})"
        params: list[object] = [event_id, *states]
        if window_id is not None:
            where += " AND q.window_id = ?"
            params.append(window_id)
        order = "supports DESC, q.id" if by_support else "q.id"
        page = ""
        if limit is not None:
            page = " LIMIT ? OFFSET ?"
            params.extend((limit, offset))
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM questions q WHERE {where} ORDER BY {order}{page}", params
        )
        return [_question(row) for row in rows]

    async def count(
        self, event_id: str, statuses: Sequence[QuestionStatus], window_id: str | None = None
    ) -> int:
        """How many questions of an event (optionally one window) are in these statuses."""
        states = [s.value for s in statuses]
        where = f"event_id = ? AND status IN ({_in(states)})"
        params: list[object] = [event_id, *states]
        if window_id is not None:
            where += " AND window_id = ?"
            params.append(window_id)
        row = await self._db.fetchone(f"SELECT COUNT(*) FROM questions WHERE {where}", params)
        return int(row[0]) if row is not None else 0

    async def supported(self, registration_id: int, question_ids: Sequence[int]) -> set[int]:
        """Which of these questions the registration supports."""
        if not question_ids:
            return set()
        rows = await self._db.fetchall(
            "SELECT question_id FROM question_supports WHERE registration_id = ? "
            f"AND question_id IN ({_in(question_ids)})",
            (registration_id, *question_ids),
        )
        return {int(row[0]) for row in rows}

    async def asked_by(self, registration_ids: Sequence[int], event_id: str) -> list[Question]:
        """The questions these registrations asked at an event, in the order asked."""
        if not registration_ids:
            return []
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM questions q WHERE q.event_id = ? "
            f"AND q.registration_id IN ({_in(registration_ids)}) ORDER BY q.id",
            (event_id, *registration_ids),
        )
        return [_question(row) for row in rows]

    async def asker(self, question_id: int) -> Asker | None:
        """Who asked the question (their Telegram id, unless erased), for the notices."""
        row = await self._db.fetchone(
            "SELECT r.id, r.user_id FROM questions q JOIN registrations r "
            "ON r.id = q.registration_id WHERE q.id = ?",
            (question_id,),
        )
        return Asker(int(row[0]), row[1]) if row is not None else None

    async def story(self, question_id: int) -> list[QuestionEvent]:
        """Everything that happened to a question, oldest first."""
        rows = await self._db.fetchall(
            "SELECT question_id, at, action, by_user, detail FROM question_events "
            "WHERE question_id = ? ORDER BY at, id",
            (question_id,),
        )
        return [
            QuestionEvent(
                row["question_id"],
                from_db(row["at"]) or dt.datetime.min,
                QuestionAction(row["action"]),
                row["by_user"],
                row["detail"],
            )
            for row in rows
        ]

    async def export_rows(self, event_id: str | None = None) -> list[aiosqlite.Row]:
        """The ``questions_export`` view (one row per question, with its fate)."""
        if event_id is None:
            return await self._db.fetchall("SELECT * FROM questions_export ORDER BY question_id")
        return await self._db.fetchall(
            "SELECT * FROM questions_export WHERE event_id = ? ORDER BY question_id", (event_id,)
        )
