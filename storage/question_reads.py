"""The participants' reads of the plenary questions (``/domanda``, ``/domande``).

:class:`QuestionReads` answers what a participant's list needs in as few queries as
possible (a support press re-reads one page): the page itself, with each question's support
count, whether the reader supports it and how many public questions the window has, in one
query (:meth:`QuestionReads.page`); one's own questions still waiting for a moderator; a
question confirmed with a given ``dedupe`` key (a confirm pressed twice); and the user's
latest registration for an event in any status (to tell "cancelled" from "never
registered").
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.questions import QuestionStatus
from storage.registrations import COLUMNS, Registration, registration_from

# The support count, as in storage.questions: the question's own supporters and those of the
# questions merged into it, each person once.
_SUPPORTS = (
    "(SELECT COUNT(DISTINCT s.registration_id) FROM question_supports s "
    "WHERE s.question_id = q.id OR s.question_id IN "
    "(SELECT m.id FROM questions m WHERE m.merged_into = q.id))"
)
_PUBLIC = (QuestionStatus.PUBLISHED.value, QuestionStatus.HIGHLIGHTED.value)


@dataclass(frozen=True)
class Listed:
    """A public question as one participant's list shows it."""

    id: int
    text: str
    axis: str | None
    name: str | None  # None: anonymous
    highlighted: bool  # being answered now
    supports: int
    own: bool  # asked by the reader
    supported: bool  # the reader supports it


@dataclass(frozen=True)
class Page:
    """One page of a window's public questions, and how many there are in all."""

    questions: list[Listed]
    total: int


@dataclass(frozen=True)
class Waiting:
    """One of the reader's own questions still waiting for a moderator."""

    id: int
    text: str


class QuestionReads:
    """Reads ``questions`` and ``question_supports`` for the participants' side."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(
        self, event_id: str, window_id: str, registration_id: int, *, limit: int, offset: int
    ) -> Page:
        """The window's public questions, the one being answered first, then the most
        supported (then the oldest); ``limit`` of them from ``offset``."""
        rows = await self._db.fetchall(
            "SELECT q.id, q.text, q.axis, q.named, q.shown_name, q.status, q.registration_id, "
            f"{_SUPPORTS} AS supports, "
            "EXISTS (SELECT 1 FROM question_supports o WHERE o.question_id = q.id "
            "AND o.registration_id = ?) AS mine, COUNT(*) OVER () AS total "
            "FROM questions q WHERE q.event_id = ? AND q.window_id = ? AND q.status IN (?, ?) "
            "ORDER BY q.status = 'highlighted' DESC, supports DESC, q.id LIMIT ? OFFSET ?",
            (registration_id, event_id, window_id, *_PUBLIC, limit, offset),
        )
        questions = [
            Listed(
                id=int(row["id"]),
                text=row["text"],
                axis=row["axis"],
                name=row["shown_name"] if row["named"] else None,
                highlighted=row["status"] == QuestionStatus.HIGHLIGHTED.value,
                supports=int(row["supports"]),
                own=row["registration_id"] == registration_id,
                supported=bool(row["mine"]),
            )
            for row in rows
        ]
        if rows:
            return Page(questions, int(rows[0]["total"]))
        return Page([], await self.public_count(event_id, window_id))

    async def public_count(self, event_id: str, window_id: str) -> int:
        """How many public questions the window has."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM questions WHERE event_id = ? AND window_id = ? "
            "AND status IN (?, ?)",
            (event_id, window_id, *_PUBLIC),
        )
        return int(row[0]) if row is not None else 0

    async def waiting(self, event_id: str, window_id: str, registration_id: int) -> list[Waiting]:
        """The reader's own questions of the window waiting for a moderator, oldest first."""
        rows = await self._db.fetchall(
            "SELECT id, text FROM questions WHERE event_id = ? AND window_id = ? "
            "AND registration_id = ? AND status = ? ORDER BY id",
            (event_id, window_id, registration_id, QuestionStatus.PENDING.value),
        )
        return [Waiting(int(row["id"]), row["text"]) for row in rows]

    async def by_dedupe(self, dedupe: str) -> int | None:
        """The id of the question stored with this ``dedupe`` key, if any."""
        row = await self._db.fetchone("SELECT id FROM questions WHERE dedupe = ?", (dedupe,))
        return int(row[0]) if row is not None else None

    async def supportable(self, question_id: int) -> tuple[str, str, str, int | None] | None:
        """(event, window, status, asker's registration) of a question, or None."""
        row = await self._db.fetchone(
            "SELECT event_id, window_id, status, registration_id FROM questions WHERE id = ?",
            (question_id,),
        )
        if row is None:
            return None
        return row["event_id"], row["window_id"], row["status"], row["registration_id"]

    async def latest_registration(self, event_id: str, user_id: int) -> Registration | None:
        """The user's most recent registration for the event, whatever its status."""
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM registrations WHERE event_id = ? AND user_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (event_id, user_id),
        )
        return registration_from(row) if row is not None else None
