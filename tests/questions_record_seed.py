"""Seeding the questions of a plenary straight into storage, for the record's tests (the chat
flows that ask and moderate are parts A and B's): one question per fate, at the co-planning
day's opening plenary (9:30-9:40) and closing plenary (12:20-13:00)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.questions.policy import HideReason
from storage.db import Database
from storage.questions import NewQuestion, QuestionAction, QuestionRepository, QuestionStatus
from tests.harness import ROME

OPENING = "plenaria-apertura"  # 9:30-9:40
CLOSING = "plenaria-chiusura"  # 12:20-13:00
MODERATOR = 9000


def at(hour: int, minute: int) -> dt.datetime:
    """A time on the co-planning day (5 December 2023, Rome)."""
    return dt.datetime(2023, 12, 5, hour, minute, tzinfo=ROME)


@dataclass(frozen=True)
class Seeded:
    """The questions' ids by fate."""

    answered: int
    not_reached: int
    merged: int
    hidden: int
    offensive: int
    pending: int
    closing: int  # answered at the closing plenary, by an English speaker


async def seed_questions(
    db: Database, registrations: list[int], *, event: str = "copianificazione-2023"
) -> Seeded:
    """One question per fate by the first registrations; supports from all of them."""
    store = QuestionRepository(db)
    a, b, c = registrations[0], registrations[1], registrations[2]

    async def ask(
        reg: int, text: str, minute: int, *, window: str = OPENING, **kwargs: object
    ) -> int:
        new = NewQuestion(event, window, text, reg, "in_person", "it", **kwargs)  # type: ignore[arg-type]
        question, _ = await store.add(new, at(9 if window == OPENING else 12, minute))
        return question.id

    published = QuestionStatus.PUBLISHED
    answered = await ask(
        a, "Quando partono i bandi?", 31, named=True, shown_name="Anna Rossi", status=published
    )
    not_reached = await ask(b, "Chi finanzia le piste ciclabili?", 32, status=published, axis="2")
    merged = await ask(c, "Quando escono i bandi?", 33, status=published)
    hidden = await ask(b, "Vendo bici usate", 34)
    offensive = await ask(c, '=HYPERLINK("http://x") siete tutti incapaci', 35)
    pending = await ask(a, "Ci sarà una seconda giornata?", 36)
    closing = await ask(
        c, "What about the trains?", 25, window=CLOSING, status=published, named=False
    )
    await store.change(
        answered, QuestionStatus.HIGHLIGHTED, QuestionAction.HIGHLIGHTED, MODERATOR, at(9, 37)
    )
    await store.change(
        answered, QuestionStatus.ANSWERED, QuestionAction.ANSWERED, MODERATOR, at(9, 38)
    )
    await store.change(
        merged,
        QuestionStatus.MERGED,
        QuestionAction.MERGED,
        MODERATOR,
        at(9, 36),
        merged_into=answered,
    )
    await store.change(
        hidden,
        QuestionStatus.HIDDEN,
        QuestionAction.HIDDEN,
        MODERATOR,
        at(9, 35),
        reason=HideReason.NOT_A_QUESTION.value,
    )
    await store.change(
        offensive,
        QuestionStatus.HIDDEN,
        QuestionAction.HIDDEN,
        MODERATOR,
        at(9, 36),
        reason=HideReason.OFFENSIVE.value,
    )
    await store.change(
        closing, QuestionStatus.HIGHLIGHTED, QuestionAction.HIGHLIGHTED, MODERATOR, at(12, 40)
    )
    for reg in registrations:
        await store.toggle_support(not_reached, reg, at(9, 35))
    for reg in registrations[:2]:
        await store.toggle_support(merged, reg, at(9, 35))
    await store.toggle_support(answered, c, at(9, 35))
    return Seeded(answered, not_reached, merged, hidden, offensive, pending, closing)
