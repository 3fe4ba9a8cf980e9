"""What the moderation flow tests share: questions stored as part A would store them (with
:meth:`QuestionRepository.add` and the feed's ``on_new_question``), a moderator's card as
an outcome, and pressing a card's button."""

from __future__ import annotations

import datetime as dt

from bot.kernel.i18n import language_for
from bot.kernel.people import Who
from bot.kernel.replies import Message, Outcome
from bot.questions import policy
from config.event import AttendanceMode
from storage.outbox import OutboxRow
from storage.questions import NewQuestion, Question, QuestionStatus
from tests.flows.helpers import CO_PLANNING, Domain, data_of
from tests.harness import ROME

# The co-planning day's opening plenary (9:30-9:40): its question window is open.
DURING = dt.datetime(2023, 12, 5, 9, 32, tzinfo=ROME)
OPENING = "plenaria-apertura"


async def ask(
    domain: Domain,
    who: Who,
    text: str,
    *,
    named: bool = False,
    online: bool = False,
    status: QuestionStatus | None = None,
    window: str = OPENING,
    axis: str | None = None,
) -> Question:
    """``who`` (registered on the first question) asks ``text``; the feed is told."""
    found = await domain.services.registrations.active_for_user(who.user_id)
    if found:
        registration = found[0]
    else:
        mode = AttendanceMode.ONLINE if online else AttendanceMode.IN_PERSON
        registration = await domain.register(who, mode=mode)
    event = domain.config.event(CO_PLANNING)
    new = NewQuestion(
        event_id=CO_PLANNING,
        window_id=window,
        text=text,
        registration_id=registration.id,
        mode=registration.mode,
        language=language_for(who.language_code),
        named=named,
        shown_name=policy.shown_name(registration.display_name) if named else None,
        status=status or policy.initial_status(event, named),
        dedupe=f"{who.user_id}:{text}",
        axis=axis,
    )
    question, _ = await domain.services.questions.add(new, domain.clock.now())
    await domain.services.question_feed.on_new_question(question)
    return question


async def feed_card(domain: Domain, row: OutboxRow) -> Outcome:
    """The feed message of ``row`` as the moderator receives it, as an outcome."""
    prepared = await domain.services.question_feed.render(row, domain.clock.now())
    assert prepared.message is not None and prepared.message.text is not None, prepared
    return Outcome().add(Message(prepared.message.text, prepared.message.buttons))


async def card_of(domain: Domain, who: Who, question: Question) -> Outcome:
    """The feed card of ``question`` that ``who`` received."""
    rows = [
        row
        for row in await domain.outbox(who, "question_feed")
        if row.payload["question"] == question.id
    ]
    assert len(rows) == 1, rows
    return await feed_card(domain, rows[0])


def as_shown(outcome: Outcome) -> Outcome:
    """What the moderator sees after a press that edited the message in place."""
    assert outcome.edit is not None, outcome
    return Outcome().add(outcome.edit)


async def press(domain: Domain, who: Who, outcome: Outcome, label: str) -> Outcome:
    """Press the ``qm|`` button labelled ``label`` of ``outcome``."""
    return await domain.flows.moderation.press(who, data_of(outcome, label))


async def notices(domain: Domain, who: Who) -> list[str]:
    """The notices queued for ``who`` (the asker), as they would read them now."""
    texts = []
    for row in await domain.outbox(who, "question_notice"):
        prepared = await domain.services.question_notices.render(row, domain.clock.now())
        if prepared.message is not None and prepared.message.text is not None:
            texts.append(prepared.message.text)
    return texts
