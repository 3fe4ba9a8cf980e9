"""The participants' reads of the plenary questions (``/domanda``, ``/domande``), and the
support press's write.

A support press is the hot path (a room pressing at once; ``bench/bench_questions.py``): what
costs is each trip to the database thread, fought over with the event loop, not the
statements. So :class:`QuestionReads` answers a press in two reads and a grouped write:

- :meth:`~QuestionReads.support_state`: the question's event, window, status and asker, and
  whether the presser supports it already (one query);
- :meth:`~QuestionReads.set_support`: the support given or withdrawn, written with the other
  presses of the moment in one transaction (:meth:`storage.db.Database.write_grouped`, a group
  commit). Deciding from the state read just before is safe: a person's presses are handled
  one after the other (one lock per user), and only they write their own support rows;
- :meth:`~QuestionReads.page`: the page of the list with each question's support count,
  whether the reader supports it, how many public questions the window has, and the
  reader's own questions waiting for a moderator (one query).

Also: a question confirmed with a given ``dedupe`` key (a confirm pressed twice) and the
user's latest registration for an event in any status (to tell "cancelled" from "never
registered").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage._time import to_db
from storage.db import Database
from storage.questions import QuestionStatus
from storage.registrations import COLUMNS, Registration, registration_from

# The support counts of an event's questions, as storage.questions counts them (a question's
# own supporters and those of the questions merged into it, each person once), in one pass
# over the supports: the correlated count of storage.questions, run for every public question
# of a window, cost a scan of the supports each (a support press re-reads the page).
_COUNTS = (
    "WITH counts AS (SELECT COALESCE(m.merged_into, m.id) AS root, "
    "COUNT(DISTINCT s.registration_id) AS n FROM question_supports s "
    "JOIN questions m ON m.id = s.question_id WHERE m.event_id = ? GROUP BY root) "
)
# The list's order: the question being answered first, then the most supported, the oldest.
_ORDER = "q.status = 'highlighted' DESC, COALESCE(c.n, 0) DESC, q.id"
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
class Waiting:
    """One of the reader's own questions still waiting for a moderator."""

    id: int
    text: str


@dataclass(frozen=True)
class Page:
    """One page of a window's public questions, how many there are in all, and the
    reader's own questions of the window waiting for a moderator."""

    questions: list[Listed]
    total: int
    waiting: list[Waiting]


@dataclass(frozen=True)
class SupportState:
    """What a support press needs to know of its question."""

    event_id: str
    window_id: str
    status: str
    registration_id: int | None  # the asker's
    supported: bool  # by the presser, now


_SUPPORT = (
    "INSERT INTO question_supports (question_id, registration_id, created_at) "
    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)
# A withdrawal takes back the presser's support of the question and of those merged into it
# (the list shows "you support it" for either: the count has them once).
_WITHDRAW = (
    "DELETE FROM question_supports WHERE registration_id = ? AND (question_id = ? "
    "OR question_id IN (SELECT id FROM questions WHERE merged_into = ?))"
)
# The reader supports the question: directly, or through a question merged into it.
_MINE = (
    "EXISTS (SELECT 1 FROM question_supports o WHERE o.registration_id = ? AND (o.question_id "
    "= q.id OR o.question_id IN (SELECT id FROM questions WHERE merged_into = q.id))) AS mine"
)


class QuestionReads:
    """Reads ``questions`` and ``question_supports`` for the participants' side."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(
        self, event_id: str, window_id: str, registration_id: int, *, limit: int, offset: int
    ) -> Page:
        """The window's public questions, the one being answered first, then the most
        supported (then the oldest), ``limit`` of them from ``offset``; and the reader's own
        questions waiting for a moderator, oldest first."""
        rows = await self._db.fetchall(
            f"{_COUNTS}, shown AS (SELECT q.id, q.text, q.axis, q.named, q.shown_name, "
            "q.status, q.registration_id, COALESCE(c.n, 0) AS supports, "
            f"{_MINE}, COUNT(*) OVER () AS total, "
            f"ROW_NUMBER() OVER (ORDER BY {_ORDER}) AS rank "
            "FROM questions q LEFT JOIN counts c ON c.root = q.id "
            "WHERE q.event_id = ? AND q.window_id = ? AND q.status IN (?, ?) "
            f"ORDER BY {_ORDER} LIMIT ? OFFSET ?) "
            "SELECT 0 AS part, * FROM shown "
            "UNION ALL SELECT 1, id, text, NULL, 0, NULL, status, registration_id, 0, 0, 0, id "
            "FROM questions WHERE event_id = ? AND window_id = ? AND registration_id = ? "
            "AND status = ? ORDER BY part, rank",
            (
                event_id,
                registration_id,
                event_id,
                window_id,
                *_PUBLIC,
                limit,
                offset,
                event_id,
                window_id,
                registration_id,
                QuestionStatus.PENDING.value,
            ),
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
            if row["part"] == 0
        ]
        waiting = [Waiting(int(row["id"]), row["text"]) for row in rows if row["part"] == 1]
        if questions:
            return Page(questions, int(rows[0]["total"]), waiting)
        return Page([], await self.public_count(event_id, window_id), waiting)

    async def public_count(self, event_id: str, window_id: str) -> int:
        """How many public questions the window has."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM questions WHERE event_id = ? AND window_id = ? "
            "AND status IN (?, ?)",
            (event_id, window_id, *_PUBLIC),
        )
        return int(row[0]) if row is not None else 0

    async def by_dedupe(self, dedupe: str) -> int | None:
        """The id of the question stored with this ``dedupe`` key, if any."""
        row = await self._db.fetchone("SELECT id FROM questions WHERE dedupe = ?", (dedupe,))
        return int(row[0]) if row is not None else None

    async def support_state(self, question_id: int, registration_id: int) -> SupportState | None:
        """The question's event, window, status and asker, and whether the registration
        supports it now (None: no such question)."""
        row = await self._db.fetchone(
            f"SELECT q.event_id, q.window_id, q.status, q.registration_id, {_MINE} "
            "FROM questions q WHERE q.id = ?",
            (registration_id, question_id),
        )
        if row is None:
            return None
        return SupportState(
            row["event_id"],
            row["window_id"],
            row["status"],
            row["registration_id"],
            bool(row["mine"]),
        )

    async def set_support(
        self, question_id: int, registration_id: int, supported: bool, now: dt.datetime
    ) -> None:
        """Give (``supported``) or withdraw a support, stored when this returns, in one
        transaction with the other presses of the moment."""
        give = [(question_id, registration_id, to_db(now))] if supported else []
        withdraw = [] if supported else [(registration_id, question_id, question_id)]
        await self._db.write_grouped((_WITHDRAW, withdraw), (_SUPPORT, give))

    async def latest_registration(self, event_id: str, user_id: int) -> Registration | None:
        """The user's most recent registration for the event, whatever its status."""
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM registrations WHERE event_id = ? AND user_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (event_id, user_id),
        )
        return registration_from(row) if row is not None else None
