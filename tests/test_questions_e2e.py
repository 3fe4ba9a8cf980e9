"""The plenary questions, the participants' side, through the fake Bot API: during the
opening plenary of 5 December participants in the room and online ask in Italian and
English, anonymous (waiting for a moderator) and named (public at once), support and
withdraw, page through the list, see their own marked and their waiting ones apart; the
refusals (a stranger, a sticker, forged data, outside a window, after the day's last); and a
restart with a question half-written and questions open."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.questions.question_buttons import SupportButton
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from storage.questions import NewQuestion, Question, QuestionStatus
from tests.harness import ROME, BotHarness, register_directly

EVENT = "copianificazione-2023"
OPENING = dt.datetime(2023, 12, 5, 9, 31, tzinfo=ROME)  # the opening plenary's window
TABLES = dt.datetime(2023, 12, 5, 10, 30, tzinfo=ROME)
AFTER = dt.datetime(2023, 12, 5, 13, 5, tzinfo=ROME)


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=OPENING, organisers=[9000]) as harness:
        yield harness


async def participant(
    bot: BotHarness, api: FakeBotApi, user_id: int, name: str, **answers: Any
) -> FakeUser:
    """A participant registered directly in storage (the chat path has its own tests)."""
    language = "en" if answers.get("language") == "en" else "it"
    user = api.user(user_id, name.split()[0], language_code=language)
    await register_directly(bot.services, user_id, name, **answers)
    return user


async def stored(bot: BotHarness) -> list[Question]:
    return await bot.services.questions.listing(EVENT, list(QuestionStatus), by_support=False)


async def ask(user: FakeUser, text: str, *, axis: str, name: str, confirm: str) -> None:
    """/domanda or /question with its text, then the axis, the name and the confirm."""
    command = "/question" if user.language_code == "en" else "/domanda"
    await user.send(f"{command} {text}")
    await user.press(axis, message=await user.wait_for(lambda m: axis in str(m.button_texts)))
    await user.press(name, message=await user.wait_for(lambda m: name in str(m.button_texts)))
    summary = await user.wait_for(lambda m: confirm in str(m.button_texts))
    await user.press(confirm, message=summary)


async def test_questions_for_participants(api: FakeBotApi, bot: BotHarness) -> None:
    anna = await participant(bot, api, 4001, "Anna Rossi")
    bruno = await participant(bot, api, 4002, "Bruno Bianchi")
    dario = await participant(bot, api, 4003, "Dario Verdi", mode="online")
    emma = await participant(bot, api, 4004, "Emma Brown", language="en")

    # Anna, step by step: anonymous, so a moderator reads it first.
    await anna.send("/domanda")
    await anna.wait_for("Scrivi la tua domanda (fino a 300 caratteri)")
    await anna.send_sticker()
    await anna.wait_for("posso prendere solo un testo")
    await anna.send("x" * 320)
    assert "320 caratteri, il massimo è 300" in (await anna.wait_for("troppo lunga")).content
    await anna.send("Quando escono i bandi per le aree interne?")
    axis = await anna.wait_for("asse strategico")
    await anna.press("2. Rivoluzione verde", message=axis)
    name = await anna.wait_for("mostri il tuo nome")
    assert name.button_texts[0] == "🕶 Anonima" and "Anna Rossi" in name.button_texts[1]
    await anna.press("Anonima", message=name)
    summary = await anna.wait_for("La tua domanda")
    assert "Nome: anonima" in summary.content and "la legge un moderatore" in summary.content
    confirm = summary.inline_keyboard[0][0]["callback_data"]
    await anna.press("Invia la domanda", message=summary)
    received = await anna.wait_for("ricevuta")  # in place of the summary
    assert received.button_texts == ["📋 Le domande"]
    again = await anna.callback_answer(await anna.press_data(confirm, message=received))
    assert again.text == "Questa domanda è già stata inviata." and not again.show_alert

    # Dario online, named: public at once; Emma in English, named too.
    await ask(
        dario,
        "Come partecipa chi segue online?",
        axis="Nessun asse",
        name="Con il mio nome",
        confirm="Invia la domanda",
    )
    assert "pubblicata" in (await dario.wait_for("pubblicata")).content
    await ask(
        emma,
        "How will the zones' priorities be weighed?",
        axis="No axis in particular",
        name="With my name",
        confirm="Send the question",
    )
    await emma.wait_for("published")
    asked = await stored(bot)
    assert [(q.status, q.named, q.mode, q.language) for q in asked] == [
        (QuestionStatus.PENDING, False, "in_person", "it"),
        (QuestionStatus.PUBLISHED, True, "online", "it"),
        (QuestionStatus.PUBLISHED, True, "in_person", "en"),
    ]
    pending, dario_q, emma_q = asked

    # Bruno supports Dario's question, then withdraws; the list is edited in place.
    await bruno.send("/domande")
    listing = await bruno.wait_for("Domande ·")
    assert "2 domande pubbliche" in listing.content and "Dario Verdi" in listing.content
    assert "Quando escono i bandi" not in listing.content  # pending: not public
    answer = await bruno.callback_answer(await bruno.press(f"👍 #{dario_q.id}", message=listing))
    assert answer.text == f"👍 Sostieni la domanda #{dario_q.id}" and not answer.show_alert
    updated = await bruno.wait_edited(listing, lambda m: "1 sostegno" in m.content)
    assert f"✅ #{dario_q.id}" in updated.button_texts
    assert updated.content.index("Dario Verdi") < updated.content.index("Emma Brown")
    answer = await bruno.callback_answer(await bruno.press(f"✅ #{dario_q.id}", message=updated))
    assert answer.text == f"Hai ritirato il sostegno alla domanda #{dario_q.id}"
    await bruno.wait_edited(listing, lambda m: "1 sostegno" not in m.content)
    await bruno.press(f"👍 #{emma_q.id}", message=listing)
    await bruno.wait_edited(listing, lambda m: "1 sostegno" in m.content)

    # Dario's own question is marked and has no button; Anna sees hers waiting, apart.
    await dario.send("/domande")
    own = await dario.wait_for("Domande ·")
    assert "la tua" in own.content and f"#{dario_q.id}" not in str(own.button_texts)
    await anna.press("📋 Le domande", message=received)
    mine = await anna.wait_for("in attesa di moderazione")
    assert f"#{pending.id}" in mine.content and "Quando escono i bandi" in mine.content
    await emma.send("/questions")
    english = await emma.wait_for("Questions ·")
    assert "2 public questions" in english.content and "yours" in english.content

    # Paging: eight more published questions make two pages.
    for n in range(8):
        await publish(bot, 5000 + n, f"Domanda in più numero {n}?")
    await bruno.send("/domande")
    first = await bruno.wait_for(lambda m: "Pagina 1 di 2" in m.content)
    assert first.button_texts[-2:] == ["🔄 1/2", "▶︎"]
    await bruno.press("▶︎", message=first)
    second = await bruno.wait_edited(first, lambda m: "Pagina 2 di 2" in m.content)
    assert second.button_texts[-2:] == ["◀︎", "🔄 2/2"]

    # Refusals: a stranger, forged data; nothing stored.
    stranger = api.user(4999, "Zeno")
    await stranger.send("/domanda")
    assert "/iscrizione" in (await stranger.wait_for("devi essere iscritto/a")).content
    forged = await bruno.callback_answer(await bruno.press_data("q|s|abc|0", message=first))
    assert forged.show_alert and forged.text == "Pulsante non valido."
    forged = await bruno.callback_answer(
        await bruno.press_data(SupportButton(99999, 0).pack(), message=first)
    )
    assert forged.show_alert
    assert len(await stored(bot)) == 11

    # Outside the windows: when the next opens; after the day's last, closed.
    bot.clock.set(TABLES)
    await anna.send("/domanda")
    assert "12:20" in (await anna.wait_for("si apre oggi alle")).content
    bot.clock.set(AFTER)
    await anna.send("/domande")
    await anna.wait_for("Le domande di oggi sono chiuse")


async def publish(bot: BotHarness, user_id: int, text: str) -> None:
    """A published question of a participant of its own, stored directly."""
    registration = await register_directly(bot.services, user_id)
    new = NewQuestion(
        EVENT,
        "plenaria-apertura",
        text,
        registration.id,
        "in_person",
        "it",
        status=QuestionStatus.PUBLISHED,
    )
    await bot.services.questions.add(new, bot.clock.now())


async def test_a_restart_with_a_question_half_written_and_questions_open(
    api: FakeBotApi, bot: BotHarness
) -> None:
    anna = await participant(bot, api, 4001, "Anna Rossi")
    bruno = await participant(bot, api, 4002, "Bruno Bianchi")
    await ask(
        bruno,
        "Chi coordina i tavoli?",
        axis="Nessun asse",
        name="Con il mio nome",
        confirm="Invia la domanda",
    )
    await bruno.wait_for("pubblicata")
    await anna.send("/domande")
    listing = await anna.wait_for("Domande ·")
    await anna.send("/domanda")
    await anna.wait_for("Scrivi la tua domanda")
    await anna.send("Ci saranno altri incontri nelle valli?")
    axis = await anna.wait_for("asse strategico")

    await bot.restart()

    await anna.press("5. Inclusione", message=axis)  # the question asked before the restart
    await anna.press("Anonima", message=await anna.wait_for("mostri il tuo nome"))
    summary = await anna.wait_for("La tua domanda")
    assert "Ci saranno altri incontri nelle valli?" in summary.content
    await anna.press("Invia la domanda", message=summary)
    await anna.wait_for("ricevuta")
    (bruno_q,) = [q for q in await stored(bot) if q.named]
    await anna.press(f"👍 #{bruno_q.id}", message=listing)  # the list sent before the restart
    await anna.wait_edited(listing, lambda m: "1 sostegno" in m.content)
    questions = await stored(bot)
    assert [(q.text, q.axis, q.supports) for q in questions] == [
        ("Chi coordina i tavoli?", None, 1),
        ("Ci saranno altri incontri nelle valli?", "5", 0),
    ]
