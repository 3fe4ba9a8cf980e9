"""The whole opening plenary of 5 December, every part of issue 15 together, through the real
Application, the fake Bot API and the bot's own web server; nothing stored directly but the
registrations.

Anna (Italian, in the room) asks anonymously (under ``moderation: auto`` it waits for a
moderator), Emma (English, online) with her name (public at once); Marta, invited as
moderator by a /invita_moderatore link opened with /start, gets both cards and publishes
Anna's (Anna is told, in Italian); the others read both in /domande and support them (one
withdraws); the bot restarts with the questions open; Nino, a second moderator, merges
Dario's duplicate into Anna's (the list counts its supporter for Anna's and no longer lists
it); Emma's question is highlighted (she is told, in English, to follow the stream), then
Anna's (Emma's becomes answered, she is told); Fabio's is hidden with a reason (he is told
it, in the record's words); the projector's board (the link from /proiettore, its JSON and
its live stream) shows the highlighted one and the supported ones with their counts; after
the plenary /domande says the day's questions are over, Anna (and Dario, merged into hers)
are told hers was answered (it was still being answered when time ran out), the CSV export and
the list sent with /invia_domande show each fate, each confirmed participant gets the list
once, in their language. And every button family of the questions reaches its handler."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.ext import CallbackQueryHandler

from bench.projector_delay import projector_update_delay
from bot.kernel.conversation import FlowButton
from bot.kernel.spreadsheet import DELIMITER
from bot.questions.moderation_buttons import ModAction, ModerationButton, QueueButton
from bot.questions.projector_flows import ProjectorButton
from bot.questions.question_buttons import ListButton, OpenListButton, SupportButton
from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from bot.worksheets.regia import RegiaAction, RegiaButton
from storage.questions import Question, QuestionStatus
from tests.harness import ROME, register_directly
from tests.projector_support import PUBLIC_URL, ProjectorBot, get_json

EVENT = "copianificazione-2023"
ORGANISER = 9000
MARTA, NINO = 9601, 9602
DURING = dt.datetime(2023, 12, 5, 9, 31, tzinfo=ROME)  # the opening plenary: 9:30-9:40
AFTER = dt.datetime(2023, 12, 5, 13, 5, tzinfo=ROME)  # the closing plenary's window is over
NEW = "Nuova domanda"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[ProjectorBot]:
    async with ProjectorBot(api, tmp_path, now=DURING, organisers=[ORGANISER]) as harness:
        yield harness


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def participant(
    bot: ProjectorBot, api: FakeBotApi, user_id: int, name: str, **answers: Any
) -> FakeUser:
    """A confirmed participant (registered in storage: the chat path has its own tests)."""
    language = answers.get("language", "it")
    user = api.user(user_id, name.split()[0], language_code=language)
    await register_directly(bot.services, user_id, name, **answers)
    return user


async def ask(user: FakeUser, text: str, *, named: bool) -> SentMessage:
    """/domanda (/question) with its text, no axis, the name or not, confirmed: the answer."""
    english = user.language_code == "en"
    await user.send(f"{'/question' if english else '/domanda'} {text}")
    axis = "No axis in particular" if english else "Nessun asse"
    await user.press(axis, message=await user.wait_for(lambda m: axis in str(m.button_texts)))
    if named:
        name = "With my name" if english else "Con il mio nome"
    else:
        name = "Anonymous" if english else "Anonima"
    await user.press(name, message=await user.wait_for(lambda m: name in str(m.button_texts)))
    confirm = "Send the question" if english else "Invia la domanda"
    await user.press(confirm, message=await user.wait_for(lambda m: confirm in str(m.button_texts)))
    return await user.wait_for(lambda m: "Domanda #" in m.content or "Question #" in m.content)


async def invited(api: FakeBotApi, user_id: int, name: str) -> FakeUser:
    """A moderator invited by the organiser's /invita_moderatore link, opened with /start."""
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/invita_moderatore")
    invitation = await organiser.wait_for("🔑")
    link = next(word for word in invitation.content.split() if "start=inv_" in word)
    moderator = api.user(user_id, name)
    await moderator.send(f"/start {link.split('start=')[1]}")
    await moderator.wait_for("Ora sei moderatore")
    return moderator


def card(question: Question) -> Callable[[SentMessage], bool]:
    """The feed card of ``question``."""
    return lambda m: NEW in m.content and f"#{question.id} " in m.content


async def pressed(user: FakeUser, label: str, message: SentMessage) -> str | None:
    """Press ``label`` on ``message``: the toast or alert the bot answered."""
    return (await user.callback_answer(await user.press(label, message=message))).text


async def stored(bot: ProjectorBot) -> dict[str, Question]:
    """The event's questions by the first word of their text."""
    questions = await bot.services.questions.listing(EVENT, list(QuestionStatus))
    return {q.text.split()[0]: q for q in questions}


async def test_the_opening_plenary_from_the_first_question_to_the_list_sent(
    api: FakeBotApi, bot: ProjectorBot, session: aiohttp.ClientSession
) -> None:
    anna = await participant(bot, api, 4001, "Anna Rossi")
    emma = await participant(bot, api, 4002, "Emma Brown", mode="online", language="en")
    bruno = await participant(bot, api, 4003, "Bruno Bianchi")
    carla = await participant(bot, api, 4004, "Carla Neri", mode="online")
    dario = await participant(bot, api, 4005, "Dario Verdi")
    fabio = await participant(bot, api, 4006, "Fabio Gallo")
    gino = await participant(bot, api, 4007, "Gino Riva")
    marta = await invited(api, MARTA, "Marta")
    organiser = api.user(ORGANISER, "Olga")

    # The projector's link, from /proiettore: the board is empty
    await organiser.send("/proiettore")
    reply = await organiser.wait_for("Proiettore")
    link = next(url for _, url in reply.buttons if url and url.startswith(PUBLIC_URL))
    path = link.removeprefix(PUBLIC_URL)

    def board_json() -> str:
        return bot.web + path + "board.json"

    assert (await get_json(session, board_json()))["questions"] == []

    # Anna anonymously (waits), Emma with her name (public at once)
    received = await ask(anna, "Quando partono i bandi per i comuni montani?", named=False)
    assert "ricevuta" in received.content
    published = await ask(emma, "How can people online take the floor?", named=True)
    assert "published" in published.content
    questions = await stored(bot)
    bandi, online = questions["Quando"], questions["How"]
    assert bandi.status is QuestionStatus.PENDING and online.status is QuestionStatus.PUBLISHED

    # the moderator gets both cards; publishes Anna's; Anna is told in Italian
    await bot.drain()
    bandi_card = await marta.wait_for(card(bandi))
    online_card = await marta.wait_for(card(online))
    assert "⏳ In attesa di moderazione" in bandi_card.content
    assert "👤 Emma Brown" in online_card.content
    assert not any(NEW in m.content for m in organiser.messages)  # the moderator has them
    assert await pressed(marta, "Pubblica", bandi_card) == "✅ Pubblicata"
    await marta.wait_edited(bandi_card, lambda m: "Pubblicata: Marta" in m.content)
    await bot.drain()
    await anna.wait_for("La tua domanda è stata pubblicata")

    # the others read both and support them; Carla withdraws hers
    await bruno.send("/domande")
    listing = await bruno.wait_for("Domande ·")
    assert "2 domande pubbliche" in listing.content
    await bruno.press(f"👍 #{bandi.id}", message=listing)
    await bruno.wait_edited(listing, lambda m: f"✅ #{bandi.id}" in m.button_texts)
    await bruno.press(f"👍 #{online.id}", message=listing)
    await bruno.wait_edited(listing, lambda m: f"✅ #{online.id}" in m.button_texts)
    await carla.send("/domande")
    carla_list = await carla.wait_for("Domande ·")
    await carla.press(f"👍 #{online.id}", message=carla_list)
    await carla.wait_edited(carla_list, lambda m: f"✅ #{online.id}" in m.button_texts)
    await carla.press(f"✅ #{online.id}", message=carla_list)
    await carla.wait_edited(carla_list, lambda m: f"👍 #{online.id}" in m.button_texts)

    # Dario asks the same as Anna (named: public), Fabio something else, Gino one more
    await ask(dario, "Quali sono le date dei bandi per la montagna?", named=True)
    await ask(fabio, "Vendo bici usate, chi le vuole?", named=True)
    await ask(gino, "E i trasporti tra le valli?", named=True)
    questions = await stored(bot)
    duplicate, spam, trasporti = questions["Quali"], questions["Vendo"], questions["E"]
    await carla.press("🔄", message=carla_list)
    carla_list = await carla.wait_edited(carla_list, lambda m: "5 domande pubbliche" in m.content)
    await carla.press(f"👍 #{duplicate.id}", message=carla_list)
    await carla.wait_edited(carla_list, lambda m: f"✅ #{duplicate.id}" in m.button_texts)
    await carla.press(f"👍 #{trasporti.id}", message=carla_list)
    await carla.wait_edited(carla_list, lambda m: f"✅ #{trasporti.id}" in m.button_texts)
    await bot.drain()
    duplicate_card = await marta.wait_for(card(duplicate))
    spam_card = await marta.wait_for(card(spam))

    # a restart with the questions open: nothing lost, the old messages still work
    await bot.restart()
    questions = await stored(bot)
    assert {k: (q.status, q.supports) for k, q in questions.items()} == {
        "Quando": (QuestionStatus.PUBLISHED, 1),
        "How": (QuestionStatus.PUBLISHED, 1),
        "Quali": (QuestionStatus.PUBLISHED, 1),
        "Vendo": (QuestionStatus.PUBLISHED, 0),
        "E": (QuestionStatus.PUBLISHED, 1),
    }

    # a second moderator merges Dario's into Anna's: Carla's support counts for Anna's
    nino = await invited(api, NINO, "Nino")
    await nino.send("/moderazione")
    queued = await nino.wait_for(
        lambda m: f"#{duplicate.id} " in m.content and "Unisci" in str(m.button_texts)
    )
    await nino.press("Unisci", message=queued)
    await nino.wait_edited(queued, lambda m: "A quale domanda la unisci" in m.content)
    await nino.press(f"#{bandi.id} ", message=queued)
    await nino.wait_edited(queued, lambda m: f"🔗 Unita alla #{bandi.id}" in m.content)
    await marta.wait_edited(duplicate_card, lambda m: f"Unita alla #{bandi.id}" in m.content)
    await bot.drain()
    merged = await dario.wait_for("è stata unita a quella")
    assert "«Quando partono i bandi per i comuni montani?»" in merged.content
    # the participants' list: the merged one gone, its supporter counted for Anna's
    await carla.press("🔄", message=carla_list)
    carla_list = await carla.wait_edited(carla_list, lambda m: "4 domande pubbliche" in m.content)
    assert f"#{duplicate.id}" not in carla_list.content
    assert f"✅ #{bandi.id}" in carla_list.button_texts  # she supports it through the merge
    first = carla_list.content.split("\n\n")
    assert any(f"#{bandi.id}" in block and "2 sostegni" in block for block in first)
    # she withdraws it (her support through the merged question too), then gives it again
    await carla.press(f"✅ #{bandi.id}", message=carla_list)
    carla_list = await carla.wait_edited(carla_list, lambda m: f"👍 #{bandi.id}" in m.button_texts)
    assert (await bot.services.questions.get(bandi.id)).supports == 1  # type: ignore[union-attr]
    await carla.press(f"👍 #{bandi.id}", message=carla_list)
    carla_list = await carla.wait_edited(carla_list, lambda m: f"✅ #{bandi.id}" in m.button_texts)
    assert (await bot.services.questions.get(bandi.id)).supports == 2  # type: ignore[union-attr]

    # highlight Emma's: she is told, online, in English; then Anna's: Emma's is answered
    assert await pressed(marta, "In risposta ora", online_card) == "🎤 In risposta ora"
    await bot.drain()
    told = await emma.wait_for("being answered now")
    assert "follow the stream" in told.content
    board = await get_json(session, board_json())
    assert board["highlighted"]["text"] == "How can people online take the floor?"
    assert [(q["text"][:5], q["supports"]) for q in board["questions"]] == [
        ("Quand", 2),
        ("E i t", 1),
        ("Vendo", 0),
    ]
    toast = await pressed(marta, "In risposta ora", bandi_card)
    assert toast is not None and f"#{online.id}" in toast
    await bot.drain()
    await emma.wait_for("Your question was answered")
    await anna.wait_for("Stanno rispondendo ora alla tua domanda, in sala")
    await dario.wait_for("Stanno rispondendo ora")  # merged into the one answered

    # hide Fabio's with a reason: told, in the words the record will use
    await marta.press("Nascondi", message=spam_card)
    await marta.wait_edited(spam_card, lambda m: "Perché la nascondi" in m.content)
    await marta.press("non è una domanda", message=spam_card)
    await marta.wait_edited(spam_card, lambda m: "🙈 Nascosta: non è una domanda" in m.content)
    await bot.drain()
    hidden = await fabio.wait_for("I moderatori non hanno pubblicato la tua domanda")
    reason = "non è una domanda (pubblicità, prova, illeggibile)"
    assert f"Motivo: {reason}" in hidden.content

    # the projector's live stream: Gino's question gets a support within 2 seconds
    def supported(count: int) -> Callable[[dict[str, Any]], bool]:
        def shows(board: dict[str, Any]) -> bool:
            listed = board.get("questions") or []
            return any(q["id"] == trasporti.id and q["supports"] == count for q in listed)

        return shows

    async def support() -> None:
        await bruno.callback_answer(await bruno.press(f"👍 #{trasporti.id}", message=listing))

    await bruno.press("🔄", message=listing)
    listing = await bruno.wait_edited(listing, lambda m: f"👍 #{trasporti.id}" in m.button_texts)
    delay = await projector_update_delay(
        session, bot.web + path + "events?mode=questions", support, supported(2)
    )
    assert 0 < delay < 2.0
    board = await get_json(session, board_json())
    assert board["highlighted"]["text"].startswith("Quando partono i bandi")
    assert board["highlighted"]["supports"] == 2
    assert [(q["id"], q["supports"]) for q in board["questions"]] == [(trasporti.id, 2)]

    # after the plenary
    await bot.at(AFTER)
    await gino.send("/domande")
    await gino.wait_for("Le domande di oggi sono chiuse")
    # Anna's, still being answered when time ran out, is answered (as the record says): she
    # and Dario, whose question was merged into hers, are told so, once
    answered = await anna.wait_for("La tua domanda ha avuto risposta")
    assert "Quando partono i bandi" in answered.content
    await dario.wait_for("La tua domanda ha avuto risposta")

    # the export: every fate, the reason in the same words
    await organiser.send("/invia_domande")
    choose = await organiser.wait_for(
        lambda m: "Di quale evento" in m.content or "Ecco" in m.content
    )
    if "Di quale evento" in choose.content:
        await organiser.press(lambda b: "Dalle strategie" in b["text"], message=choose)
    preview = await organiser.wait_for("Ecco l'elenco come lo riceverà")
    assert "a 7 iscritti confermati" in preview.content
    await organiser.press("CSV domande", message=preview)
    export = await organiser.wait_for(
        lambda m: m.method == "sendDocument" and m.document is not None
    )
    assert export.document_bytes is not None
    text = export.document_bytes.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=DELIMITER))
    fates = {int(r["question_id"]): (r["fate"], r["fate_text"], r["supports"]) for r in rows}
    assert fates[online.id][0] == "answered" and fates[online.id][1].startswith("risposta alle")
    assert fates[bandi.id][0] == "answered" and fates[bandi.id][2] == "2"
    assert fates[duplicate.id][:2] == ("merged", f"unita alla #{bandi.id}")
    assert fates[spam.id][:2] == ("hidden", f"nascosta: {reason}")
    assert fates[trasporti.id][:3] == ("not_reached", "non raggiunta (il tempo è finito)", "2")

    # the list to everyone, once, in their language
    await organiser.press("📨 Invia", message=preview)
    await organiser.wait_for("Invio dell'elenco delle domande avviato")
    await bot.drain()
    await organiser.wait_for("completato")
    people = {
        "anna": anna,
        "emma": emma,
        "bruno": bruno,
        "carla": carla,
        "dario": dario,
        "fabio": fabio,
        "gino": gino,
    }
    lists = {}
    for who, person in people.items():
        sent = [
            m
            for m in person.messages
            if "from the plenary" in m.content or "dalla plenaria" in m.content
        ]
        assert len(sent) == 1, who
        lists[who] = sent[0].content
    assert not [m for m in marta.messages if "Grazie per aver partecipato" in m.content]
    english = lists["emma"]
    assert "Questions from the plenary" in english and "answered at" in english
    assert f"merged into #{bandi.id}" in english and "not reached" in english
    assert "hidden: not a question (advertising, a test, unreadable)" in english
    italian = lists["bruno"]
    assert "Domande dalla plenaria" in italian and "risposta alle" in italian
    assert f"unita alla #{bandi.id}" in italian and f"nascosta: {reason}" in italian
    assert "non raggiunta" in italian
    assert "👤" in lists["anna"]
    for person in (anna, dario):
        assert len([m for m in person.messages if "ha avuto risposta" in m.content]) == 1


def test_every_button_family_of_the_questions_reaches_its_handler(bot: ProjectorBot) -> None:
    """handlers/__init__.py: the participants' (q|), the moderators' (qm|), the projector's
    (pj|) and the record's buttons (the conversation's r|, the regia's g|qc| and g|qx|) each
    reach their own handler: no earlier pattern swallows another family."""
    assert bot.app is not None
    routes = [h for h in bot.app.handlers[0] if isinstance(h, CallbackQueryHandler)]

    def handler_of(data: str) -> str:
        for handler in routes:
            pattern = handler.pattern
            if pattern is None or (
                isinstance(pattern, str | re.Pattern) and re.match(pattern, data)
            ):
                return f"{handler.callback.__module__}.{handler.callback.__name__}"
        return "none"

    expected = {
        SupportButton(12, 1).pack(): "handlers.questions.button",
        ListButton(2).pack(): "handlers.questions.button",
        OpenListButton().pack(): "handlers.questions.button",
        ModerationButton(ModAction.PUBLISH, 12).pack(): "handlers.moderation.button",
        ModerationButton(ModAction.HIDE, 12, "off_topic").pack(): "handlers.moderation.button",
        QueueButton(EVENT, 0, 1).pack(): "handlers.moderation.button",
        ProjectorButton(EVENT).pack(): "handlers.projector.projector_button",
        FlowButton("tok", "send").pack(): "handlers.registration.button",
        RegiaButton(RegiaAction.QUESTIONS_CSV, EVENT).pack(): "handlers.regia.button",
        RegiaButton(RegiaAction.QUESTIONS_XLSX, EVENT).pack(): "handlers.regia.button",
        "q|x|1": "handlers.registration.button",  # not a participant's: the catch-all
    }
    assert {data: handler_of(data) for data in expected} == expected
