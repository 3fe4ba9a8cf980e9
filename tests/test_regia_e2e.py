"""The regia end to end, through the fake Bot API: two zones seeded after session 1 and
during session 2 (closed polls, worksheets, contributions, one report submitted and one a
draft) straight through the repositories; the board, reading a report, the lock, the board
that arrives when a report is submitted (outbox kind ``report_submitted``), ``/sintesi``,
the Word and slide downloads read back, the facilitator's refusal, and the final synthesis
file sent to every confirmed registrant."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from docx import Document
from pptx import Presentation

from bot.sandbox.botapi.server import FakeBotApi
from storage.outbox import Planned
from storage.worksheet_reports import NOTE
from tests.harness import BotHarness
from tests.regia_seed import EVENT, SESSION_2, closed_poll, contribute, people, report

ORGANISER = 9100
FACILITATOR_ID = 9105
ZONE5 = [6001, 6002, 6003]
ZONE6 = [6101, 6102]
ONLINE6 = [6103]
GREEN, HEALTH, DIGITAL, SCHOOL = 1, 5, 0, 3


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=SESSION_2, organisers=[ORGANISER]) as harness:
        services = harness.services
        await services.roles.store.grant(FACILITATOR_ID, "facilitator", "5", ORGANISER, SESSION_2)
        five = await people(services, 5, ZONE5)
        six = await people(services, 6, ZONE6)
        await people(services, 6, ONLINE6, mode="online")
        sheets5 = await closed_poll(services, 5, five, [[GREEN, HEALTH], [GREEN, DIGITAL], [GREEN]])
        sheets6 = await closed_poll(services, 6, six, [[GREEN, SCHOOL], [GREEN]])
        await contribute(services, sheets5[0], "attori", "Comune di Pinerolo", registration=five[0])
        await contribute(
            services, sheets5[0], "declinazione", "Pedibus per le scuole", registration=five[1]
        )
        await contribute(services, sheets6[0], "attori", "comune di pinerolo!", registration=six[0])
        await contribute(services, sheets6[0], "attori", "Unione Montana", registration=six[1])
        await report(
            services,
            6,
            {
                (sheets6[0].id, "declinazione"): "Treni ogni 30 minuti",
                (sheets6[0].id, NOTE): "Ottimo clima",
            },
        )
        await report(services, 5, {(sheets5[0].id, "declinazione"): "Bozza"}, submit=False)
        yield harness


async def test_the_board_a_report_and_the_lock(api: FakeBotApi, bot: BotHarness) -> None:
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/regia")
    board = await organiser.wait_for("Regia")
    assert "5 · Pinerolese: ✅ 3 risp. · 🗂 3 · 💬 2 (2 pers.) · ✏️ bozza 10:40" in board.content
    assert "6 · Valli di Susa e Sangone: ✅ 2 risp." in board.content
    assert "📨 inviato 10:40" in board.content
    assert "Resoconti inviati: 1 su 11" in board.content
    await organiser.press("📄 Zona 6", message=board)
    shown = await organiser.wait_for("Resoconto · Zona 6")
    assert "Treni ogni 30 minuti" in shown.content and "Ottimo clima" in shown.content
    query = await organiser.press("Blocca", message=board)
    assert "bloccati" in ((await organiser.callback_answer(query)).text or "").lower()
    await organiser.wait_edited(board)
    assert "Resoconti bloccati dalle 10:40" in board.content
    assert await bot.services.worksheets.store.locked(EVENT) is not None
    await organiser.press("Sblocca", message=board)
    await organiser.wait_until(lambda: "bloccati" not in board.content)
    assert await bot.services.worksheets.store.locked(EVENT) is None
    await organiser.send("/control_room")  # the English name too
    await organiser.wait_for("Regia")


async def test_the_board_arrives_when_a_report_is_submitted(
    api: FakeBotApi, bot: BotHarness
) -> None:
    organiser = api.user(ORGANISER, "Olga")
    now = bot.clock.now()
    await bot.services.outbox.add(
        [
            Planned(
                f"report:{EVENT}:6:{ORGANISER}",
                "report_submitted",
                ORGANISER,
                now,
                payload={"event": EVENT, "zone": 6},
            )
        ],
        now,
    )
    await bot.drain()
    arrived = await organiser.wait_for("ha inviato il resoconto")
    assert arrived.content.startswith("📨 Zona 6 · Valli di Susa e Sangone ha inviato il resoconto")
    assert "Resoconti inviati: 1 su 11" in arrived.content
    assert any("Aggiorna" in label for label, _ in arrived.buttons)


async def test_sintesi_and_the_documents(api: FakeBotApi, bot: BotHarness) -> None:
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/sintesi")
    strategies = await organiser.wait_for("le strategie al lavoro")
    assert "Comune di Pinerolo — Z5, Z6" in strategies.content
    assert strategies.content.index("Comune di Pinerolo — Z5, Z6") < strategies.content.index(
        "Unione Montana (Z6)"
    )
    assert "Treni ogni 30 minuti (Z6)" in strategies.content and "Bozza" not in strategies.content
    assert any(m.method == "sendPhoto" for m in organiser.messages)  # the heatmap, as before
    files = strategies  # the last text carries the buttons (texts are sent merged)
    assert "Documenti per la plenaria" in files.content
    await organiser.press("Word", message=files)
    word = await organiser.wait_for(
        lambda m: (
            m.method == "sendDocument"
            and m.document is not None
            and m.document.get("file_name", "").endswith(".docx")
        )
    )
    data = word.document_bytes
    assert data is not None
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Sintesi trasversale" in text and "Rivoluzione verde e transizione ecologica" in text
    assert (
        "Allegato: Zona 6 · Valli di Susa e Sangone" in text
        and "Pedibus per le scuole (Z5)" in text
    )
    await organiser.press("Slide", message=files)
    slides = await organiser.wait_for(
        lambda m: (
            m.method == "sendDocument"
            and m.document is not None
            and m.document.get("file_name", "").endswith(".pptx")
        )
    )
    deck_bytes = slides.document_bytes
    assert deck_bytes is not None
    deck = Presentation(io.BytesIO(deck_bytes))
    titles = [slide.shapes.title.text_frame.text for slide in deck.slides]
    assert "Rivoluzione verde e transizione ecologica" in titles
    await organiser.press("Excel contributi", message=files)
    await organiser.wait_for(
        lambda m: (
            m.method == "sendDocument"
            and m.document is not None
            and m.document.get("file_name", "").endswith(".xlsx")
        )
    )


async def test_a_facilitator_is_refused(api: FakeBotApi, bot: BotHarness) -> None:
    facilitator = api.user(FACILITATOR_ID, "Fabio")
    for command in ("/regia", "/sintesi", "/invia_sintesi"):
        await facilitator.send(command)
        await facilitator.wait_for("riservato agli organizzatori")
    query = await facilitator.press_data(f"g|lk|{EVENT}")
    assert (await facilitator.callback_answer(query)).show_alert
    assert await bot.services.worksheets.store.locked(EVENT) is None


async def test_the_final_synthesis_reaches_every_registrant(
    api: FakeBotApi, bot: BotHarness
) -> None:
    participants = [api.user(user, f"P{user}") for user in ZONE5 + ZONE6 + ONLINE6]
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/invia_sintesi")
    await organiser.wait_for("Inviami il file")
    await organiser.send("ecco")
    await organiser.wait_for("Mi serve un file")
    await organiser.send_document(
        "sintesi-finale.pdf", b"%PDF-1.4 final", caption="La sintesi del 5 dicembre"
    )
    confirm = await organiser.wait_for("a 6 iscritti confermati")
    await organiser.press("Invia", message=confirm)
    await organiser.wait_for("Invio della sintesi avviato")
    await bot.drain()
    for person in participants:
        (copy,) = [m for m in person.messages if m.method == "copyMessage"]
        assert copy.document is not None and "La sintesi del 5 dicembre" in copy.content
    report = await organiser.wait_for("completato")
    assert "consegnati 6 su 6" in report.content
