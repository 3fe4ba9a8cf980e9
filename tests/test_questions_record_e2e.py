"""After the plenary, end to end through the fake Bot API: ``/invia_domande`` (the organiser
chooses the event, reads the preview and the number of recipients, confirms; every confirmed
registrant gets the list once, in their language, Italian and English, their own questions
marked; a second press and a second sending reach nobody twice, a latecomer only; before the
last window it warns; others are refused); the Word, the slides and the questions' XLSX
downloaded from under ``/sintesi`` and read back; ``/cancella_dati`` keeping the questions."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pptx import Presentation

from bot.questions.sending import KIND
from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from storage.questions import QuestionRepository
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
    # again: everyone has it, only the files are offered
    done = await _to_confirmation(api, bot, "hanno già ricevuto l'elenco")
    assert [label for label, _ in done.buttons] == ["CSV domande", "Excel domande", "Annulla"]
    await organiser.press("Excel domande", message=done)
    export = await organiser.wait_for(_file(".xlsx"))
    assert export.document_bytes is not None and "7 righe" in export.content
    await organiser.press("Annulla", message=done)
    await organiser.wait_for("annullato")
    # a latecomer registers: only they get it, and the confirmation says who already has it
    venue = bot.services.config.zone(5).venue
    late = NewRegistration(EVENT, 7005, "Nuovo", 5, "in_person", venue, None, None, "it")
    await bot.services.registrations.create(late, None, at(14, 5))
    newcomer = api.user(7005, "Nuovo")
    confirm = await _to_confirmation(api, bot, "a 1 iscritto confermato")
    assert "già stato inviato (messaggio n. " in confirm.content
    assert "a 4 iscritti, che non lo riceveranno di nuovo" in confirm.content
    await organiser.press("📨 Invia", message=confirm)
    await organiser.wait_for("avviato")
    await bot.drain()
    assert len([m for m in newcomer.messages if "plenar" in m.content]) == 1
    for person in people.values():
        assert len([m for m in person.messages if "plenar" in m.content]) == 1
    await organiser.wait_for("completato: consegnati 1 su 1")
    assert len(await bot.services.outbox.rows(kind=KIND)) == 5


async def test_before_the_last_window_it_asks_to_confirm(api: FakeBotApi, bot: BotHarness) -> None:
    await seeded(bot)
    bot.clock.set(at(12, 30))  # the closing plenary's window is open until 13:00
    organiser = api.user(ORGANISER, "Olga")
    confirm = await _to_confirmation(api, bot, "Non tutte le finestre")
    assert "13:00" in confirm.content
    # the record as a file, the confirmation keeping its buttons; then cancelled
    await organiser.press("CSV domande", message=confirm)
    export = await organiser.wait_for(_file(".csv"))
    assert export.document_bytes is not None and b"not_moderated" in export.document_bytes
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


def _file(name_end: str) -> Callable[[SentMessage], bool]:
    return lambda m: (
        m.method == "sendDocument"
        and m.document is not None
        and m.document.get("file_name", "").endswith(name_end)
    )


async def test_the_synthesis_documents_and_the_export_from_the_chat(
    api: FakeBotApi, bot: BotHarness
) -> None:
    s = await seeded(bot)
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/sintesi")
    files = await organiser.wait_for("Documenti per la plenaria")
    assert [label for label, _ in files.buttons][-2:] == ["CSV domande", "Excel domande"]
    await organiser.press("Word", message=files)
    word = await organiser.wait_for(_file(".docx"))
    assert word.document_bytes is not None
    text = "\n".join(p.text for p in Document(io.BytesIO(word.document_bytes)).paragraphs)
    assert "Domande dalla plenaria" in text and f"#{s.answered} «Quando partono i bandi?»" in text
    assert "risposta alle 9:38" in text and "non raggiunta" in text
    await organiser.press("Slide", message=files)
    slides = await organiser.wait_for(_file(".pptx"))
    assert slides.document_bytes is not None
    deck = Presentation(io.BytesIO(slides.document_bytes))
    titles = [slide.shapes.title.text_frame.text for slide in deck.slides]
    assert "Domande: Plenaria: saluti istituzionali e introduzione ai lavori (9:30–9:40)" in titles
    await organiser.press("Excel domande", message=files)
    export = await organiser.wait_for(_file(".xlsx"))
    assert export.document_bytes is not None and "7 righe" in export.content
    book = load_workbook(io.BytesIO(export.document_bytes))
    assert book.sheetnames == ["domande", "storia"]


async def test_erasure_in_the_chat_keeps_the_questions(api: FakeBotApi, bot: BotHarness) -> None:
    s = await seeded(bot)
    anna = api.user(ITALIANS[0], "P7001")
    await anna.send("/cancella_dati")
    ask = await anna.wait_for("le domande che hai fatto alle plenarie")
    await anna.press(lambda b: "cancella i miei dati" in b["text"], message=ask)
    await anna.wait_for("le tue domande alle plenarie restano senza il tuo nome")
    answered = await QuestionRepository(bot.services.db).get(s.answered)
    assert answered is not None and answered.name is None and answered.supports == 3


async def test_a_restart_while_sending_reaches_everyone_once(
    api: FakeBotApi, bot: BotHarness
) -> None:
    await seeded(bot)
    people = {user: api.user(user, f"P{user}") for user in [*ITALIANS, ENGLISH]}
    organiser = api.user(ORGANISER, "Olga")
    confirm = await _to_confirmation(api, bot, "a 4 iscritti confermati")
    await organiser.press("📨 Invia", message=confirm)
    await organiser.wait_for("avviato")
    await bot.restart()  # the outbox rows are there; the delivery resumes after the restart
    await bot.drain()
    for person in people.values():
        assert len([m for m in person.messages if "plenar" in m.content]) == 1
    await organiser.wait_for("completato: consegnati 4 su 4")
