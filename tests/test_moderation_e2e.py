"""Moderating the plenaries' questions through the fake Bot API: an organiser invites a
moderator from the chat; new questions (stored as part A stores them) reach the moderator
with their buttons; publish, hide with a reason, highlight (the previous one becomes
answered), merge; each press edits the card in place; the askers are told in Italian and
English; two moderators pressing at once; forged buttons and non-moderators refused; a
restart with questions pending."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.questions import policy
from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from storage.questions import NewQuestion, Question, QuestionStatus
from tests.harness import (
    ROME,
    BotHarness,
    answer,
    bundled_event_data,
    config_from,
    register_directly,
)

ORGANISER = 9500
MARTA, NINO = 9601, 9602
EVENT = "copianificazione-2023"
WINDOW = "plenaria-apertura"
DURING = dt.datetime(2023, 12, 5, 9, 32, tzinfo=ROME)  # the opening plenary's window
NEW = "Nuova domanda"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=DURING, organisers=[ORGANISER]) as harness:
        yield harness


async def ask(
    bot: BotHarness,
    api: FakeBotApi,
    user_id: int,
    name: str,
    text: str,
    *,
    named: bool = False,
    online: bool = False,
    language: str = "it",
    status: QuestionStatus | None = None,
) -> tuple[FakeUser, Question]:
    """A registered participant whose question is stored, and the moderators told."""
    user = api.user(user_id, name, language_code=language)
    services = bot.services
    found = await services.registrations.active_for_user(user_id)
    registration = (
        found[0]
        if found
        else await register_directly(
            services, user_id, name, mode="online" if online else "in_person", language=language
        )
    )
    event = services.config.event(EVENT)
    new = NewQuestion(
        EVENT,
        WINDOW,
        text,
        registration.id,
        registration.mode,
        language,
        named=named,
        shown_name=policy.shown_name(name) if named else None,
        status=status or policy.initial_status(event, named),
        dedupe=f"{user_id}:{text}",
    )
    question, _ = await services.questions.add(new, bot.clock.now())
    await services.question_feed.on_new_question(question)
    return user, question


def card(question: Question) -> Callable[[SentMessage], bool]:
    """A matcher for the feed card of ``question``."""
    return lambda m: NEW in m.content and f"#{question.id} " in m.content


def queued(question: Question) -> Callable[[SentMessage], bool]:
    """A matcher for the card of ``question`` in the English /moderate queue."""
    return lambda m: m.content.startswith(f"❓ Question #{question.id} ")


async def pressed(user: FakeUser, label: str, message: SentMessage) -> str | None:
    """Press ``label`` on ``message``; the toast or alert the bot answered."""
    return (await user.callback_answer(await user.press(label, message=message))).text


async def test_inviting_a_moderator_from_the_chat(api: FakeBotApi, bot: BotHarness) -> None:
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/invita_moderatore")
    invitation = await organiser.wait_for("🔑")
    assert "moderatore/moderatrice delle domande" in invitation.content
    link = next(word for word in invitation.content.split() if "start=inv_" in word)
    marta = api.user(MARTA, "Marta", last_name="Moderatrice")
    await marta.send(f"/start {link.split('start=')[1]}")
    welcome = await marta.wait_for("Ora sei moderatore")
    assert "/moderazione" in welcome.content
    menu = [c["command"] for c in api.get_commands({"type": "chat", "chat_id": MARTA})]
    assert "moderazione" in menu and "sondaggio" not in menu
    organiser_menu = api.get_commands({"type": "chat", "chat_id": ORGANISER})
    assert {"moderazione", "invita_moderatore"} <= {c["command"] for c in organiser_menu}
    await organiser.send("/staff")
    member = await organiser.wait_for(lambda m: m.content.startswith("👤"))
    assert f"👤 Marta Moderatrice (id {MARTA}): moderatore di " in member.content
    # and she moderates: the next question reaches her, not the organiser
    _, question = await ask(bot, api, 3001, "Anna", "Quando partono i bandi?")
    await bot.drain()
    await marta.wait_for(card(question))
    assert not any(NEW in m.content for m in organiser.messages)


async def test_moderating_through_the_chat(api: FakeBotApi, bot: BotHarness) -> None:
    now = bot.clock.now()
    await bot.services.roles.store.grant(MARTA, "moderator", EVENT, ORGANISER, now)
    marta = api.user(MARTA, "Marta", last_name="Moderatrice")
    anna, first = await ask(bot, api, 3001, "Anna", "Chi finanzia le strategie?")
    emma, spam = await ask(bot, api, 3002, "Emma", "Buy watches", named=True, language="en")
    assert first.status is QuestionStatus.PENDING and spam.status is QuestionStatus.PUBLISHED
    await bot.drain()
    first_card = await marta.wait_for(card(first))
    assert (
        "👤 anonima" in first_card.content and "⏳ In attesa di moderazione" in first_card.content
    )
    spam_card = await marta.wait_for(card(spam))
    assert "👤 Emma" in spam_card.content and "👁 Pubblicata" in spam_card.content

    # publish: the card changes in place, the asker is told
    assert await pressed(marta, "Pubblica", first_card) == "✅ Pubblicata"
    await marta.wait_edited(first_card, lambda m: "Pubblicata: Marta Moderatrice" in m.content)
    await bot.drain()
    await anna.wait_for("La tua domanda è stata pubblicata")

    # hide, with a reason: the English asker is told why, in English
    await marta.press("Nascondi", message=spam_card)
    await marta.wait_edited(spam_card, lambda m: "Perché la nascondi" in m.content)
    await marta.press("non riguarda questa plenaria", message=spam_card)
    await marta.wait_edited(
        spam_card, lambda m: "🙈 Nascosta: non riguarda questa plenaria" in m.content
    )
    assert spam_card.button_texts == ["👁 Mostra di nuovo"]
    await bot.drain()
    told = await emma.wait_for("did not publish your question")
    assert (
        "Reason: not about this plenary" in told.content and "stays in the record" in told.content
    )

    # highlight one, then another: the first becomes answered
    bruno, second = await ask(bot, api, 3003, "Bruno", "E per chi segue online?", online=True)
    await bot.drain()
    second_card = await marta.wait_for(card(second))
    await marta.press("Pubblica", message=second_card)
    await marta.wait_edited(second_card, lambda m: "Pubblicata: Marta" in m.content)
    assert await pressed(marta, "In risposta ora", first_card) == "🎤 In risposta ora"
    await marta.wait_edited(first_card, lambda m: "🎤 In risposta ora:" in m.content)
    toast = await pressed(marta, "In risposta ora", second_card)
    assert toast is not None and f"La #{first.id}, in risposta prima" in toast
    await bot.drain()
    await anna.wait_for("Stanno rispondendo ora alla tua domanda, in sala")
    await anna.wait_for("La tua domanda ha avuto risposta")
    await bruno.wait_for("segui subito la diretta")

    # merge a similar question into Bruno's: its count includes the merged one's supporters
    carla, similar = await ask(
        bot, api, 3004, "Carla", "Online si potrà intervenire?", status=QuestionStatus.PUBLISHED
    )
    registration = (await bot.services.registrations.active_for_user(3001))[0]
    await bot.services.questions.toggle_support(similar.id, registration.id, bot.clock.now())
    await bot.drain()
    similar_card = await marta.wait_for(card(similar))
    await marta.press("Unisci", message=similar_card)
    await marta.wait_edited(similar_card, lambda m: "A quale domanda la unisci" in m.content)
    await marta.press(f"#{second.id} ", message=similar_card)
    await marta.wait_edited(similar_card, lambda m: f"🔗 Unita alla #{second.id}" in m.content)
    target = await bot.services.questions.get(second.id)
    assert target is not None and target.supports == 1
    await bot.drain()
    merged = await carla.wait_for("è stata unita a quella")
    assert "«E per chi segue online?»" in merged.content

    # every question's story is kept (nothing deleted)
    statuses = {
        q.id: q.status for q in await bot.services.questions.listing(EVENT, list(QuestionStatus))
    }
    assert statuses == {
        first.id: QuestionStatus.ANSWERED,
        spam.id: QuestionStatus.HIDDEN,
        second.id: QuestionStatus.HIGHLIGHTED,
        similar.id: QuestionStatus.MERGED,
    }


async def test_two_moderators_at_once(api: FakeBotApi, bot: BotHarness) -> None:
    now = bot.clock.now()
    for moderator in (MARTA, NINO):
        await bot.services.roles.store.grant(moderator, "moderator", EVENT, ORGANISER, now)
    marta, nino = api.user(MARTA, "Marta"), api.user(NINO, "Nino")
    anna, question = await ask(bot, api, 3001, "Anna", "Chi decide?")
    await bot.drain()
    marta_card, nino_card = (
        await marta.wait_for(card(question)),
        await nino.wait_for(card(question)),
    )
    answers = await asyncio.gather(
        pressed(marta, "Pubblica", marta_card), pressed(nino, "Pubblica", nino_card)
    )
    assert sorted(str(a) for a in answers) == sorted(
        [
            "✅ Pubblicata",
            "Questa domanda è già stata cambiata (da un altro moderatore, o da un tuo tocco "
            "precedente): ecco com'è ora.",
        ]
    )
    await bot.drain()
    await anna.wait_for("pubblicata")
    await anna.settle()
    assert sum("pubblicata" in m.content for m in anna.messages) == 1

    # one moderator acts, the other's message about that question follows
    _, other = await ask(bot, api, 3002, "Bruno", "Quanto dura?")
    await bot.drain()
    marta_card, nino_card = await marta.wait_for(card(other)), await nino.wait_for(card(other))
    await marta.press("Pubblica", message=marta_card)
    await marta.wait_edited(marta_card, lambda m: "Pubblicata: Marta" in m.content)
    await bot.drain()
    await nino.wait_edited(nino_card, lambda m: "✅ Pubblicata: Marta, alle 09:32." in m.content)
    assert nino_card.button_texts[:2] == ["🎤 In risposta ora", "✔️ Risposta data"]


async def test_forged_buttons_and_non_moderators(api: FakeBotApi, bot: BotHarness) -> None:
    await bot.services.roles.store.grant(MARTA, "moderator", EVENT, ORGANISER, bot.clock.now())
    marta = api.user(MARTA, "Marta")
    anna, question = await ask(bot, api, 3001, "Anna", "Una domanda")
    await bot.drain()
    feed = await marta.wait_for(card(question))
    for data in (f"qm|p|{question.id + 50}", "qm|xx|1", f"qm|hr|{question.id}|whatever"):
        answer_ = await marta.callback_answer(await marta.press_data(data, message=feed))
        assert answer_.show_alert and answer_.text == "Questo pulsante non è valido."
    await anna.send("/moderazione")
    refusal = await anna.wait_for("riservato ai moderatori")
    forged = await anna.callback_answer(
        await anna.press_data(f"qm|p|{question.id}", message=refusal)
    )
    assert forged.show_alert and "riservato ai moderatori" in str(forged.text)
    stored = await bot.services.questions.get(question.id)
    assert stored is not None and stored.status is QuestionStatus.PENDING


async def test_a_restart_with_questions_pending(api: FakeBotApi, bot: BotHarness) -> None:
    # no moderator: the organisers moderate (this one chose English with /lingua)
    organiser = api.user(ORGANISER, "Olga", language_code="en")
    await bot.services.users.set_language(ORGANISER, "en", bot.clock.now())
    anna, first = await ask(bot, api, 3001, "Anna", "Prima domanda")
    emma, second = await ask(bot, api, 3002, "Emma", "Second question", language="en")
    await bot.drain()
    old_card = await organiser.wait_for(
        lambda m: "New question" in m.content and f"#{first.id} " in m.content
    )
    await bot.restart()
    await organiser.send("/moderate")
    header = await organiser.wait_for("Moderating the questions")
    assert "⏳ waiting: 2" in header.content and "open now" in header.content
    queue = [await organiser.wait_for(queued(q)) for q in (first, second)]
    assert "⏳ Waiting for moderation" in queue[1].content
    # a card sent before the restart still works
    await organiser.press("Publish", message=old_card)
    await organiser.wait_edited(old_card, lambda m: "Published: Olga" in m.content)
    await organiser.press("Hide", message=queue[1])
    await answer(organiser, "Why hide it", "offensive")
    await bot.drain()
    await anna.wait_for("La tua domanda è stata pubblicata")
    told = await emma.wait_for("did not publish your question")
    assert "offensive or disrespectful language" in told.content


@pytest.mark.parametrize(
    ("mode", "named", "state", "buttons"),
    [
        ("pre", True, "⏳ In attesa di moderazione", ["✅ Pubblica", "🎤 In risposta ora"]),
        ("post", False, "👁 Pubblicata", ["🎤 In risposta ora", "✔️ Risposta data"]),
    ],
)
async def test_the_events_moderation_setting(
    api: FakeBotApi, tmp_path: Path, mode: str, named: bool, state: str, buttons: list[str]
) -> None:
    data = bundled_event_data()
    for event in data["events"]:
        event["questions"] = {"moderation": mode}
    config = config_from(data)
    async with BotHarness(api, tmp_path, now=DURING, config=config, organisers=[ORGANISER]) as bot:
        organiser = api.user(ORGANISER, "Olga")
        _, question = await ask(bot, api, 3001, "Anna", "Una domanda", named=True)
        if not named:
            _, question = await ask(bot, api, 3002, "Bruno", "Un'altra domanda")
        await bot.drain()
        received = await organiser.wait_for(card(question))
        assert state in received.content and received.button_texts[:2] == buttons
        await organiser.send("/moderazione")
        header = await organiser.wait_for("Moderazione delle domande")
        expected = "prima</b> della pubblicazione" if mode == "pre" else "dopo</b> la pubblicazione"
        assert expected.replace("</b>", "") in header.content
