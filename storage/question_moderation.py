"""The moderators' writes that span more than one question, each in one transaction.

- :meth:`QuestionModeration.merge`: the target is checked (same event and window, still open,
  not the question itself) under the write lock, the question becomes ``merged`` into it, and
  the questions merged earlier into the question follow it to the target (one level of
  merging only, so the target's count — its supporters and those of the questions merged
  into it, each person once — stays right); each of those gets a row in its story.
- :meth:`QuestionModeration.highlight`: the question becomes the one being answered now and
  the window's previously highlighted one(s) become answered, together.

Both answer None when the question was no longer in an expected status (another moderator
pressed first): nothing changes then.

- :meth:`QuestionModeration.feed_messages`: the moderators' messages (sent through the
  outbox, kind ``question_feed``) that show a question, so they can follow its changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from storage._time import to_db
from storage.db import Database
from storage.questions import OPEN, Question, QuestionAction, QuestionRepository, QuestionStatus


class MergeRefusal(StrEnum):
    """Why a merge was refused before anything changed."""

    ITSELF = "itself"
    TARGET = "target"  # unknown, another window, or no longer open (merged, hidden, answered)


@dataclass(frozen=True)
class Highlighted:
    """A question highlighted, and the ones that were highlighted before it (now answered)."""

    question: Question
    answered: list[Question] = field(default_factory=list)


FEED_KEY = "question_feed:{question}:"  # the feed rows' dedupe keys: + the recipient's id


class QuestionModeration:
    """Merges, highlights, the feed's messages (see the module doc)."""

    def __init__(self, db: Database, questions: QuestionRepository) -> None:
        self._db = db
        self.questions = questions

    async def merge(
        self,
        question_id: int,
        target_id: int,
        by_user: int,
        now: dt.datetime,
        expected: Sequence[QuestionStatus] = OPEN,
    ) -> Question | MergeRefusal | None:
        """Merge a question into ``target_id``: the merged question, a refusal, or None when
        the question was no longer in an ``expected`` status."""
        if question_id == target_id:
            return MergeRefusal.ITSELF
        async with self._db.transaction() as conn:
            source, target = (
                await self.questions.get(question_id),
                await self.questions.get(target_id),
            )
            if source is None or source.status not in expected:
                return None
            if (
                target is None
                or target.status not in OPEN
                or (target.event_id, target.window_id) != (source.event_id, source.window_id)
            ):
                return MergeRefusal.TARGET
            merged = await self.questions.change(
                question_id,
                QuestionStatus.MERGED,
                QuestionAction.MERGED,
                by_user,
                now,
                merged_into=target_id,
                expected=expected,
            )
            if merged is None:
                return None
            cursor = await conn.execute(
                "SELECT id FROM questions WHERE merged_into = ? AND status = ?",
                (question_id, QuestionStatus.MERGED.value),
            )
            followers = [int(row[0]) for row in await cursor.fetchall()]
            for follower in followers:
                await conn.execute(
                    "UPDATE questions SET merged_into = ?, updated_at = ? WHERE id = ?",
                    (target_id, to_db(now), follower),
                )
                await conn.execute(
                    "INSERT INTO question_events (question_id, at, action, by_user, detail) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (follower, to_db(now), QuestionAction.MERGED.value, by_user, str(target_id)),
                )
        return await self.questions.get(question_id)

    async def highlight(
        self,
        question_id: int,
        by_user: int,
        now: dt.datetime,
        expected: Sequence[QuestionStatus],
    ) -> Highlighted | None:
        """Highlight a question; the window's other highlighted ones become answered."""
        async with self._db.transaction():
            current = await self.questions.change(
                question_id,
                QuestionStatus.HIGHLIGHTED,
                QuestionAction.HIGHLIGHTED,
                by_user,
                now,
                expected=expected,
            )
            if current is None:
                return None
            before = await self.questions.listing(
                current.event_id, (QuestionStatus.HIGHLIGHTED,), window_id=current.window_id
            )
            answered = []
            for previous in before:
                if previous.id == question_id:
                    continue
                done = await self.questions.change(
                    previous.id,
                    QuestionStatus.ANSWERED,
                    QuestionAction.ANSWERED,
                    by_user,
                    now,
                    expected=(QuestionStatus.HIGHLIGHTED,),
                )
                if done is not None:
                    answered.append(done)
        return Highlighted(current, answered)

    async def feed_messages(self, question_id: int) -> list[tuple[int, int]]:
        """``(user id, message id)`` of every feed message sent about the question."""
        prefix = FEED_KEY.format(question=question_id)
        rows = await self._db.fetchall(
            "SELECT user_id, message_id FROM outbox WHERE kind = 'question_feed' "
            "AND status = 'sent' AND message_id IS NOT NULL AND dedupe_key GLOB ? "
            "ORDER BY user_id",
            (prefix + "*",),  # the key's unique index serves the prefix
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def changes(self, question_id: int) -> int:
        """How many changes the question's story has (its version)."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM question_events WHERE question_id = ?", (question_id,)
        )
        return int(row[0]) if row is not None else 0
