"""``/invia_domande`` end to end, through the fake Bot API: the organiser chooses the event,
reads the preview and the number of recipients, confirms; every confirmed registrant gets the
list once, in their language (Italian and English), their own questions marked; a second
press and a second sending reach nobody twice; before the last window it warns; others are
refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.questions.sending import KIND
from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from storage.registrations import NewRegistration
from tests.harness import BotHarness
from tests.questions_record_seed import Seeded, at, seed_questions

EVENT = "copianificazione-2023"
ORGANISER = 9100
ITALIANS = [7001, 7002, 7003]
ENGLISH = 7004
TITLE = "Dalle strategie alle azioni"


async def _people(bot: BotHarness) -> list[int]:
    services, ids = bot.services, []
    venue = services.config.zone(5).venue
    for user in ITALIANS:
        new = NewRegistration(EVENT, user, f"P{user}", 5, "in_person", venue, None, None, "it")
        ids.append((await services.registrations.create(new, None, at(8, 0))).id)
    new = NewRegistration(EVENT, ENGLISH, "Emma", 1, "online", None, None, None, "en")
    ids.append((await services.registrations.create(new, None, at(8, 0))).id)
    return ids


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=at(14, 0), organisers=[ORGANISER]) as harness:
        yield harness


async def seeded(bot: BotHarness) -> Seeded:
    return await seed_questions(bot.services.db, await _people(bot))


async def _to_confirmation(api: FakeBotApi, bot: BotHarness, expected: str) -> SentMessage:
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/invia_domande")
    ask = await organiser.wait_for("Di quale evento")
    await organiser.press(lambda b: TITLE in b["text"], message=ask)
    # the preview, the figures and the question in one message (the event's, edited)
    preview = await organiser.wait_for("Ecco l'elenco come lo riceverà")
    assert "Domande dalla plenaria" in preview.content
    assert "Domande: 7 · con risposta: " in preview.content
    assert "incapaci" not in preview.content  # withheld, as participants read it
    assert expected in preview.content
    return preview


async def test_every_registrant_gets_the_list_once_in_their_language(
    api: FakeBotApi, bot: BotHarness
) -> None:
    s = await seeded(bot)
    people = {user: api.user(user, f"P{user}") for user in [*ITALIANS, ENGLISH]}
    organiser = api.user(ORGANISER, "Olga")
    confirm = await _to_confirmation(api, bot, "a 4 iscritti confermati")
    send = confirm.inline_keyboard[0][0]["callback_data"]
    await organiser.press("📨 Invia", message=confirm)
    await organiser.wait_for("Invio dell'elenco delle domande avviato")
    # pressed twice: the conversation is over, nothing more is sent
    query = await organiser.press_data(send, message=confirm)
    assert (await organiser.callback_answer(query)).show_alert
    await bot.drain()
    lists = {}
    for user, person in people.items():
        received = [m for m in person.messages if "plenar" in m.content]
        assert len(received) == 1, user
        lists[user] = received[0].content
    anna = lists[ITALIANS[0]]  # asked the answered and the pending questions
    assert "Grazie per aver partecipato" in anna and "Domande dalla plenaria" in anna
    assert "Ci sarà una seconda giornata?" in anna and "👤 = una tua domanda" in anna
    assert "Ci sarà una seconda giornata?" not in lists[ITALIANS[1]]  # not moderated, not hers
    assert "Vendo bici usate" in lists[ITALIANS[1]]
    english = lists[ENGLISH]
    assert "Questions from the plenary" in english and "answered at 9:38" in english
    assert f"merged into #{s.answered}" in english and "👤" not in english
    report = await organiser.wait_for("completato")
    assert "consegnati 4 su 4" in report.content
    rows = await bot.services.outbox.rows(kind=KIND)
    assert len(rows) == 4 and {r.status for r in rows} == {"sent"}
    # a second sending: the confirmation says so, and nobody gets it twice
    confirm = await _to_confirmation(api, bot, "già stato inviato")
    await organiser.press("📨 Invia", message=confirm)
    await organiser.wait_for("avviato")
    await bot.drain()
    for person in people.values():
        assert len([m for m in person.messages if "plenar" in m.content]) == 1
    second = [r for r in await bot.services.outbox.rows(kind=KIND) if r.status != "sent"]
    assert len(second) == 4 and {r.reason for r in second} == {"already_sent"}


async def test_before_the_last_window_it_asks_to_confirm(api: FakeBotApi, bot: BotHarness) -> None:
    await seeded(bot)
    bot.clock.set(at(12, 30))  # the closing plenary's window is open until 13:00
    organiser = api.user(ORGANISER, "Olga")
    confirm = await _to_confirmation(api, bot, "Non tutte le finestre")
    assert "13:00" in confirm.content
    await organiser.press("Annulla", message=confirm)
    await organiser.wait_for("annullato")
    await bot.drain()
    assert await bot.services.outbox.rows(kind=KIND) == []


async def test_nothing_to_send_and_refusals(api: FakeBotApi, bot: BotHarness) -> None:
    await _people(bot)
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/send_questions")
    ask = await organiser.wait_for("Di quale evento")
    await organiser.press(lambda b: TITLE in b["text"], message=ask)
    await organiser.wait_for("Nessuna domanda a")
    participant = api.user(ITALIANS[0], "P7001")
    await participant.send("/invia_domande")
    await participant.wait_for("riservato agli organizzatori")
    query = await participant.press_data("r|forged|send|x")
    assert (await participant.callback_answer(query)).show_alert
