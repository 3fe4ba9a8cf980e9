"""Session 2, the facilitator's side, through the fake Bot API: the board and the report.

Zones 5 and 9 after session 1 (their priority polls answered and closed, some
contributions stored): zone 5's facilitator opens ``/scheda``, hides an off-topic item,
merges a duplicate, stars a key point, adds a spoken item and a photo of a board, sees the
section's photos as an album, replaces a strategy; writes ``/resoconto``, the bot restarts
mid-report, the draft and the position survive; submits: the organiser is told at once and
reads it; at 12:00 the reminder goes to zone 9 only (it has not submitted); zone 5 edits its
submitted report; zone 9 is refused after the 12:10 deadline; nobody edits once the regia
locks the reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.botapi.server import FakeBotApi
from storage.worksheets import ItemStatus
from tests.flows.board_setup import EVENT, SESSION_1, contribute, set_scene, sheets
from tests.harness import ROME, BotHarness

ORGANISER, FAC5, FAC9 = 9000, 9105, 9109
REMINDER_TIME = dt.datetime(2023, 12, 5, 12, 1, tzinfo=ROME)
AFTER_DEADLINE = dt.datetime(2023, 12, 5, 12, 15, tzinfo=ROME)


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The bot at session 1 with two organisers; zones 5 and 9 set up, clock at session 2."""
    async with BotHarness(api, tmp_path, now=SESSION_1, organisers=[ORGANISER, 9001]) as harness:
        await set_scene(harness.services, harness.clock)
        yield harness


async def test_the_board_and_the_report_of_a_table(api: FakeBotApi, bot: BotHarness) -> None:
    services = bot.services
    green = (await sheets(services, 5))[0]
    gal = await contribute(services, green, "attori", "Il GAL Escartons e Valli del Pinerolese")
    dup = await contribute(services, green, "attori", "gal escartons", user=3002)
    off = await contribute(services, green, "attori", "A che ora è il pranzo?", user=3003)
    await contribute(services, green, "declinazione", "Comunità energetiche nelle valli")
    fabio, olga, franca = (
        api.user(FAC5, "Fabio"),
        api.user(ORGANISER, "Olga"),
        api.user(FAC9, "Franca"),
    )

    # --- the board -------------------------------------------------------------------------
    await fabio.send("/scheda")
    zone = await fabio.wait_for("Schede di lavoro · Zona 5")
    assert "Rivoluzione verde" in zone.content and "Salute" in zone.content
    await fabio.press("1. Rivoluzione", message=zone)
    sheet = await fabio.wait_for("Sezioni")
    await fabio.press(lambda b: str(b.get("text", "")).startswith("Reti di attori"), message=sheet)
    section = await fabio.wait_for(f"#{gal.id}")
    assert "Il GAL Escartons" in section.content and "P3001" not in section.content
    await fabio.press(f"🙈 #{off.id}", message=section)
    section = await fabio.wait_for(lambda m: f"#{off.id} " not in m.content and "Reti" in m.content)
    await fabio.press(f"☆ #{gal.id}", message=section)
    section = await fabio.wait_for(lambda m: f"⭐ #{gal.id}" in str(m.buttons))
    await fabio.press(f"🔗 #{dup.id}", message=section)
    picker = await fabio.wait_for("doppione")
    await fabio.press(f"#{gal.id} ", message=picker)
    section = await fabio.wait_for("+1")
    store = services.worksheets.store
    hidden, merged = await store.item(off.id), await store.item(dup.id)
    assert hidden is not None and hidden.status == ItemStatus.HIDDEN
    assert merged is not None and merged.merged_into == gal.id
    # a spoken item, then a photo of the board
    await fabio.press("Aggiungi un contributo", message=section)
    await fabio.wait_for("emerso dalla discussione")
    await fabio.send_sticker()
    await fabio.wait_for("testo o una foto")
    await fabio.send("Coinvolgere l'Unione montana")
    preview = await fabio.wait_for("Aggiungo questo contributo")
    await fabio.press("✅ Aggiungi", message=preview)
    section = await fabio.wait_for("Unione montana")
    await fabio.press("Aggiungi un contributo", message=section)
    await fabio.wait_for("emerso dalla discussione")
    await fabio.send_photo(caption="Il cartellone degli attori")
    preview = await fabio.wait_for("Aggiungo questo contributo")
    await fabio.press("✅ Aggiungi", message=preview)
    section = await fabio.wait_for("Il cartellone degli attori")
    items = await store.items([green.id])
    photo = next(i for i in items if i.kind == "photo")
    assert photo.origin == "facilitator" and photo.added_by == FAC5 and photo.photo
    await contribute(services, green, "attori", "Un secondo cartellone", photo=photo.photo)
    await fabio.send("/scheda")
    zone = await fabio.wait_for("Schede di lavoro · Zona 5")
    await fabio.press("1. Rivoluzione", message=zone)
    sheet = await fabio.wait_for("Sezioni")
    await fabio.press(lambda b: str(b.get("text", "")).startswith("Reti di attori"), message=sheet)
    section = await fabio.wait_for("Il cartellone degli attori")
    await fabio.press("📷 Foto (2)", message=section)
    album = [await fabio.wait_for(lambda m: m.method == "sendMediaGroup") for _ in range(2)]
    assert [m.photo is not None for m in album] == [True, True]
    # replace the third strategy (mobility) with education
    await fabio.send("/scheda")
    zone = await fabio.wait_for("Schede di lavoro · Zona 5")
    await fabio.press("3. Infrastrutture", message=zone)
    sheet = await fabio.wait_for("Sezioni")
    await fabio.press("Sostituisci", message=sheet)
    pick = await fabio.wait_for("Con quale strategia")
    await fabio.press("Istruzione e ricerca", message=pick)
    confirm = await fabio.wait_for("Sostituisco")
    await fabio.press("Conferma", message=confirm)
    zone = await fabio.wait_for(
        lambda m: "Istruzione e ricerca" in m.content and "Schede" in m.content
    )
    assert [w.strategy for w in await sheets(services, 5)] == ["2", "6", "4"]

    # --- the report, with a restart in the middle ------------------------------------------
    await fabio.send("/resoconto")
    first = await fabio.wait_for("passo 1 di 18")
    assert "Comunità energetiche" not in first.content  # not starred: no proposal
    await fabio.send("Comunità energetiche e filiere del legno")
    second = await fabio.wait_for("passo 2 di 18")
    await fabio.press("Lascia vuoto", message=second)
    third = await fabio.wait_for("passo 3 di 18")
    assert "Il GAL Escartons" in third.content  # the starred key point, proposed
    await bot.restart()
    await fabio.send("Il GAL, l'Unione montana e le associazioni")
    fourth = await fabio.wait_for("passo 4 di 18")
    report = await bot.services.worksheets.store.report(EVENT, 5)
    assert report is not None and len(report.texts) == 2
    await fabio.send("x" * 1501)
    refused = await fabio.wait_for("troppo lungo")
    assert "passo 4 di 18" in refused.content or "passo 4 di 18" in fourth.content
    await fabio.press("Riepilogo")  # on the question asked again
    summary = await fabio.wait_for("Riepilogo del resoconto")
    await fabio.press("Invia alla regia", message=summary)
    await fabio.wait_for("inviato alla regia")
    notice = await olga.wait_for("ha inviato il resoconto")  # the regia's board, fresh
    await olga.press("📄 Zona 5", message=notice)
    read = await olga.wait_for("Resoconto · Zona 5")
    assert "Il GAL, l'Unione montana" in read.content and "Inviato alle" in read.content

    # --- the reminder goes to the zone that has not submitted -------------------------------
    await bot.at(REMINDER_TIME)
    await bot.services.tick()
    await bot.drain()
    reminder = await franca.wait_for("⏰")
    assert "Zona 9" in reminder.content and "12:10" in reminder.content
    assert not [m for m in fabio.messages if "⏰" in m.content]

    # --- editing after submit; zone 9 after the deadline; the lock --------------------------
    await fabio.send("/resoconto")
    summary = await fabio.wait_for("Riepilogo del resoconto")
    await fabio.press("✏️ 1·Nota", message=summary)
    await fabio.wait_for("Nota libera")
    await fabio.send("Una nota dopo l'invio")
    await fabio.wait_for("modificato alle")
    await bot.at(AFTER_DEADLINE)
    await franca.press("Scrivi il resoconto", message=reminder)
    await franca.wait_for("passo 1 di")
    await franca.send("La rete delle scuole")
    step = await franca.wait_for("passo 2 di")
    await franca.press("Riepilogo", message=step)
    summary = await franca.wait_for("Riepilogo del resoconto")
    await franca.press("Invia alla regia", message=summary)
    await franca.wait_for("era alle 12:10")
    nine = await bot.services.worksheets.store.report(EVENT, 9)
    assert nine is not None and not nine.submitted
    await bot.services.worksheets.store.lock(EVENT, ORGANISER, bot.clock.now())
    await fabio.send("/resoconto")
    await fabio.wait_for("chiuso i resoconti")
    # a forged board button for another zone changes nothing
    nine_sheet = (await sheets(bot.services, 9))[0]
    answer = await fabio.callback_answer(await fabio.press_data(f"w|s|{nine_sheet.id}|0|0"))
    assert answer.show_alert
