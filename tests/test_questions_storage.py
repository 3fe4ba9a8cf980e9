"""storage/questions.py: questions once per press, supports toggled, fates recorded, the view."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from storage.questions import (
    PUBLIC,
    NewQuestion,
    QuestionAction,
    QuestionRepository,
    QuestionStatus,
)
from storage.registrations import NewRegistration, RegistrationRepository
from tests.harness import minutes_from

T0 = dt.datetime(2023, 12, 5, 8, 30, tzinfo=dt.UTC)
EVENT = "copianificazione-2023"
at = minutes_from(T0)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "psm.sqlite3")
    try:
        yield database
    finally:
        await database.close()


async def registrations(db: Database, count: int) -> list[int]:
    regs = RegistrationRepository(db)
    ids = []
    for user_id in range(1, count + 1):
        new = NewRegistration(
            EVENT, user_id, f"Persona {user_id}", 5, "online", None, None, None, "it"
        )
        ids.append((await regs.create(new, None, T0)).id)
    return ids


def asked(registration_id: int, text: str = "Quando?", **kwargs: object) -> NewQuestion:
    return NewQuestion(EVENT, "plenaria-apertura", text, registration_id, "online", "it", **kwargs)  # type: ignore[arg-type]


async def test_a_question_is_stored_once_per_press(db: Database) -> None:
    (reg,) = await registrations(db, 1)
    store = QuestionRepository(db)
    first, created = await store.add(asked(reg, dedupe="tok"), at(1))
    again, created_again = await store.add(asked(reg, dedupe="tok"), at(2))
    assert created and not created_again and first.id == again.id
    assert first.status is QuestionStatus.PENDING and not first.public and first.name is None
    assert [e.action for e in await store.story(first.id)] == [QuestionAction.ASKED]


async def test_named_and_published_at_once(db: Database) -> None:
    (reg,) = await registrations(db, 1)
    store = QuestionRepository(db)
    question, _ = await store.add(
        asked(reg, named=True, shown_name="Maria R.", status=QuestionStatus.PUBLISHED), at(1)
    )
    assert question.public and question.name == "Maria R." and question.published_at == at(1)
    actions = [e.action for e in await store.story(question.id)]
    assert actions == [QuestionAction.ASKED, QuestionAction.PUBLISHED]


async def test_supports_toggle_and_rank(db: Database) -> None:
    a, b, c = await registrations(db, 3)
    store = QuestionRepository(db)
    q1, _ = await store.add(asked(a, "uno", status=QuestionStatus.PUBLISHED), at(1))
    q2, _ = await store.add(asked(b, "due", status=QuestionStatus.PUBLISHED), at(2))
    assert await store.toggle_support(q2.id, a, at(3))
    assert await store.toggle_support(q2.id, c, at(3))
    assert await store.toggle_support(q1.id, c, at(3))
    assert not await store.toggle_support(q1.id, c, at(4))  # pressed again: withdrawn
    ranked = await store.listing(EVENT, PUBLIC)
    assert [(q.id, q.supports) for q in ranked] == [(q2.id, 2), (q1.id, 0)]
    assert await store.supported(c, [q1.id, q2.id]) == {q2.id}
    assert await store.count(EVENT, PUBLIC, "plenaria-apertura") == 2


async def test_merge_counts_each_supporter_once_and_changes_race(db: Database) -> None:
    a, b, c = await registrations(db, 3)
    store = QuestionRepository(db)
    q1, _ = await store.add(asked(a, "uno", status=QuestionStatus.PUBLISHED), at(1))
    q2, _ = await store.add(asked(b, "uno bis", status=QuestionStatus.PUBLISHED), at(2))
    await store.toggle_support(q1.id, c, at(3))
    await store.toggle_support(q2.id, c, at(3))
    await store.toggle_support(q2.id, a, at(3))
    merged = await store.change(
        q2.id,
        QuestionStatus.MERGED,
        QuestionAction.MERGED,
        99,
        at(4),
        merged_into=q1.id,
        expected=(QuestionStatus.PUBLISHED,),
    )
    assert merged is not None and merged.merged_into == q1.id
    target = await store.get(q1.id)
    assert target is not None and target.supports == 2  # c once, a
    late = await store.change(
        q2.id,
        QuestionStatus.HIDDEN,
        QuestionAction.HIDDEN,
        98,
        at(5),
        reason="off_topic",
        expected=(QuestionStatus.PUBLISHED,),
    )
    assert late is None  # already merged by the other moderator
    story = await store.story(q2.id)
    assert story[-1].action is QuestionAction.MERGED and story[-1].detail == str(q1.id)
    rows = await store.export_rows(EVENT)
    assert [(r["question_id"], r["status"], r["supports"]) for r in rows] == [
        (q1.id, "published", 2),
        (q2.id, "merged", 2),
    ]


async def test_highlight_and_answer_stamp_times(db: Database) -> None:
    (a,) = await registrations(db, 1)
    store = QuestionRepository(db)
    q, _ = await store.add(asked(a), at(1))
    await store.change(q.id, QuestionStatus.PUBLISHED, QuestionAction.PUBLISHED, 9, at(2))
    await store.change(q.id, QuestionStatus.HIGHLIGHTED, QuestionAction.HIGHLIGHTED, 9, at(3))
    done = await store.change(q.id, QuestionStatus.ANSWERED, QuestionAction.ANSWERED, 9, at(4))
    assert done is not None
    assert (done.published_at, done.highlighted_at, done.answered_at) == (at(2), at(3), at(4))
    asker = await store.asker(q.id)
    assert asker is not None and asker.user_id == 1
    assert [x.id for x in await store.asked_by([a], EVENT)] == [q.id]
