"""Polls at the zone tables through the fake Bot API: a whole table session in two zones.

The clock is 5 Dec 2023 10:10 (Europe/Rome), the start of "Sessione di discussione 1"
(10:10-10:30): facilitators open the strategy-priority poll of their zone; participants
tap, change, confirm; limits, forged buttons, closing (by hand and at the session end),
manual counts, restarts, results with charts, the synthesis, exports and sending results.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.polls.charts import PNG_SIGNATURE
from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from tests.harness import (
    ROME,
    BotHarness,
    bundled_event_data,
    config_from,
    register,
    register_directly,
)

ORGANISER = 9000
FAC5, FAC9 = 9105, 9109
EVENT = "copianificazione-2023"
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)
SESSION_1_END = dt.datetime(2023, 12, 5, 10, 30, tzinfo=ROME)
BALLOT = "priorità per la tua Zona"
# Positions of the six bundled axes (what the priority poll ranks without strategies).
DIGITAL, GREEN, MOBILITY, SCHOOL, INCLUSION, HEALTH = range(6)


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=SESSION_1, organisers=[ORGANISER]) as harness:
        yield harness


async def grant(bot: BotHarness, user_id: int, zone: int) -> None:
    """Make ``user_id`` facilitator of ``zone`` (as the invitation link would)."""
    await bot.services.roles.store.grant(user_id, "facilitator", str(zone), ORGANISER, SESSION_1)


async def quick_register(
    bot: BotHarness, api: FakeBotApi, user_id: int, name: str, zone: int, mode: str = "in_person"
) -> FakeUser:
    """A participant registered directly in storage (the chat path has its own tests)."""
    user = api.user(user_id, name)
    await register_directly(bot.services, user_id, name, zone=zone, mode=mode)
    return user


def poll_id(message: SentMessage) -> int:
    """The poll a ballot (or a staff message about a poll) is about."""
    for _, data in message.buttons:
        if data and data.startswith("p|") and data.split("|")[1].isdigit():
            return int(data.split("|")[1])
        if data and data.startswith("p|f|") and data.split("|")[3].isdigit():
            return int(data.split("|")[3])
    raise AssertionError(f"no poll button in {message!r}")


async def open_priority(
    api: FakeBotApi, facilitator: int, button: str = "Apri il sondaggio"
) -> SentMessage:
    """The facilitator opens the priority poll from /sondaggio; returns the status message."""
    user = api.user(facilitator, "Facilitatore")
    await user.send("/sondaggio")
    panel = await user.wait_for("Iscritti in presenza")
    await user.press(button, message=panel)
    return await user.wait_for("Sondaggio aperto")


async def tap(user: FakeUser, ballot: SentMessage, label: str) -> Any:
    """Press a ballot button; returns the callback answer."""
    return await user.callback_answer(await user.press(label, message=ballot))


async def rows(bot: BotHarness, poll: int) -> list[tuple[int, int, int | None]]:
    """Stored answers (registration, position, rank)."""
    return await bot.services.polls.store.answer_rows(poll)


async def registration_id(bot: BotHarness, user: FakeUser) -> int:
    found = await bot.services.registrations.active(EVENT, user.id)
    assert found is not None
    return found.id


def read_csv(message: SentMessage) -> list[dict[str, str]]:
    """An exported CSV document read back (UTF-8 with BOM, ``;``)."""
    text = (message.document_bytes or b"").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


async def photo_bytes(api: FakeBotApi, user: FakeUser) -> bytes:
    """The next photo the bot sent to ``user``."""
    message = await user.wait_for(lambda m: m.photo is not None)
    data = message.document_bytes
    assert data is not None
    return data


async def test_a_table_session_in_two_zones(api: FakeBotApi, bot: BotHarness) -> None:
    anna, bruno, carla = api.user(3001, "Anna"), api.user(3002, "Bruno"), api.user(3003, "Carla")
    dario = api.user(3004, "Dario")
    eva, fabio = api.user(3005, "Eva"), api.user(3006, "Fabio")
    for user in (anna, bruno, carla):
        await register(user)  # zone 5, in person
    await register(dario, mode="Online")
    for user in (eva, fabio):
        await register(user, zone="9 · Eporediese")
    await grant(bot, FAC5, 5)
    await grant(bot, FAC9, 9)

    status5 = await open_priority(api, FAC5)
    assert "Zona 5 · Pinerolese" in status5.content and "10:30" in status5.content
    status9 = await open_priority(api, FAC9)
    await bot.drain()
    ballot = {u.id: await u.wait_for(BALLOT) for u in (anna, bruno, carla, eva, fabio)}
    assert "Pinerolese" in ballot[anna.id].content and "Eporediese" in ballot[eva.id].content
    assert "fino a 3" in ballot[anna.id].content
    assert all(BALLOT not in m.content for m in dario.messages)  # online: no table poll
    poll5, poll9 = poll_id(ballot[anna.id]), poll_id(ballot[eva.id])
    assert poll5 != poll9
    anna_id = await registration_id(bot, anna)

    # Tap order is the priority; tapping again removes; more than N is refused.
    assert (await tap(anna, ballot[anna.id], "Salute")).text == "1ª scelta: Salute"
    assert (
        await tap(anna, ballot[anna.id], "Istruzione")
    ).text == "2ª scelta: Istruzione e ricerca"
    assert (
        await tap(anna, ballot[anna.id], "Inclusione")
    ).text == "3ª scelta: Inclusione e coesione"
    refused = await tap(anna, ballot[anna.id], "Rivoluzione verde")
    assert refused.show_alert and "al massimo 3" in (refused.text or "")
    picks, answer = await bot.services.polls.store.ballot(poll5, anna_id)
    assert picks == [HEALTH, SCHOOL, INCLUSION] and answer is None
    assert (await tap(anna, ballot[anna.id], "Salute")).text == "Tolta: Salute"
    assert (await tap(anna, ballot[anna.id], "Salute")).text == "3ª scelta: Salute"
    assert (await tap(anna, ballot[anna.id], "Conferma")).text == "✅ Risposta registrata"
    assert await rows(bot, poll5) == [
        (anna_id, SCHOOL, 1),
        (anna_id, INCLUSION, 2),
        (anna_id, HEALTH, 3),
    ]
    edited = await anna.wait_edited(
        ballot[anna.id], lambda m: "Risposta registrata" in m.content, timeout=5
    )
    assert "1️⃣ Istruzione e ricerca" in edited.button_texts
    assert "3️⃣ Salute" in edited.button_texts

    # A change of answer replaces the previous one once confirmed.
    await tap(anna, ballot[anna.id], "Inclusione")
    await tap(anna, ballot[anna.id], "Digitalizzazione")
    assert await rows(bot, poll5) == [
        (anna_id, SCHOOL, 1),
        (anna_id, INCLUSION, 2),
        (anna_id, HEALTH, 3),
    ]
    await tap(anna, ballot[anna.id], "Conferma")
    assert await rows(bot, poll5) == [
        (anna_id, SCHOOL, 1),
        (anna_id, HEALTH, 2),
        (anna_id, DIGITAL, 3),
    ]

    await tap(bruno, ballot[bruno.id], "Salute")
    await tap(bruno, ballot[bruno.id], "Conferma")
    empty = await tap(carla, ballot[carla.id], "Conferma")
    assert empty.show_alert and "almeno una" in (empty.text or "")
    await tap(eva, ballot[eva.id], "Infrastrutture")
    await tap(eva, ballot[eva.id], "Conferma")

    # Forged and out-of-place buttons: a short alert, nothing changes.
    before = await rows(bot, poll5)
    other_zone = await eva.callback_answer(await eva.press_data(f"p|{poll5}|t|0", ballot[eva.id]))
    assert other_zone.show_alert and "altra Zona" in (other_zone.text or "")
    online = await dario.callback_answer(await dario.press_data(f"p|{poll5}|ok", dario.last))
    assert online.show_alert and "in presenza" in (online.text or "")
    for forged in (f"p|{poll5}|t|42", "p|999999|t|0", f"p|{poll5}|zz", f"p|{poll5}|t|x", "p|"):
        answer_ = await anna.callback_answer(await anna.press_data(forged, ballot[anna.id]))
        assert answer_.show_alert and answer_.text == "Pulsante non valido.", forged
    not_mine = await api.user(FAC5).callback_answer(
        await api.user(FAC5).press_data(f"p|f|cl|{poll9}", status5)
    )
    assert not_mine.show_alert and not_mine.text == "Pulsante non valido."
    stranger = api.user(3999, "Zeno")
    refused_staff = await stranger.callback_answer(
        await stranger.press_data("p|f|op|5|3", stranger.last or ballot[anna.id])
    )
    assert refused_staff.show_alert and "facilitatori" in (refused_staff.text or "")
    assert await rows(bot, poll5) == before

    # The facilitator closes zone 5: results with a chart; participants are told.
    facilitator = api.user(FAC5)
    await facilitator.press("Chiudi", message=status5)
    ask = await facilitator.wait_edited(status5, lambda m: "Chiudere ora" in m.content)
    await facilitator.press("Sì, chiudi", message=ask)
    results = await facilitator.wait_for("Hanno risposto")
    assert "Hanno risposto 2 persone (iscritti al tavolo: 3)" in results.content
    assert "1. Salute — 5 punti" in results.content  # anna 2nd (2) + bruno 1st (3)
    assert (await photo_bytes(api, facilitator)).startswith(PNG_SIGNATURE)
    await bot.drain()
    closed_anna = await anna.wait_for("è chiuso")
    assert "Istruzione e ricerca" in closed_anna.content
    assert "Non avevi risposto" in (await carla.wait_for("è chiuso")).content
    late = await tap(anna, ballot[anna.id], "Salute")
    assert late.show_alert and "chiuso" in (late.text or "")
    assert await rows(bot, poll5) == before

    # Zone 9 closes at the end of the session: noticed by the next tap (and the job).
    bot.clock.set(SESSION_1_END)
    too_late = await tap(fabio, ballot[fabio.id], "Salute")
    assert too_late.show_alert and "chiuso" in (too_late.text or "")
    await bot.drain()
    assert "è chiuso" in (await eva.wait_for("è chiuso")).content
    staff_notice = await api.user(FAC9).wait_for("alla fine della sessione")
    assert "Risposte: 1 su 2" in staff_notice.content
    await api.user(FAC9).press("Aggiorna", message=status9)
    assert (
        "Chiuso"
        in (await api.user(FAC9).wait_edited(status9, lambda m: "Chiuso" in m.content)).content
    )


async def test_the_periodic_job_closes_at_session_end(api: FakeBotApi, bot: BotHarness) -> None:
    anna = await quick_register(bot, api, 3101, "Anna", 5)
    await grant(bot, FAC5, 5)
    await open_priority(api, FAC5)
    await bot.drain()
    await anna.wait_for(BALLOT)
    bot.clock.set(SESSION_1_END + dt.timedelta(seconds=1))
    # no tap, no drain by the test: the periodic job closes and tells
    assert "è chiuso" in (await anna.wait_for("è chiuso", timeout=8)).content
    assert (
        "alla fine della sessione" in (await api.user(FAC5).wait_for("fine della sessione")).content
    )


async def test_manual_counts_results_synthesis_exports_erasure(
    api: FakeBotApi, bot: BotHarness
) -> None:
    anna = await quick_register(bot, api, 3201, "Anna", 5)
    bruno = await quick_register(bot, api, 3202, "Bruno", 5)
    await quick_register(bot, api, 3203, "Carla", 5)
    eva = await quick_register(bot, api, 3204, "Eva", 9)
    await grant(bot, FAC5, 5)
    await grant(bot, FAC9, 9)
    await open_priority(api, FAC5)
    await open_priority(api, FAC9, button="max 1")
    await bot.drain()
    for user, labels in (
        (anna, ["Salute", "Istruzione"]),
        (bruno, ["Istruzione"]),
        (eva, ["Salute"]),
    ):
        ballot = await user.wait_for(BALLOT)  # "fino a 3 voci", or "1 voce" with max 1
        for label in [*labels, "Conferma"]:
            await tap(user, ballot, label)

    # Manual counts: Salute chosen first by 3 people by hand, 4 people without Telegram.
    facilitator = api.user(FAC5)
    await facilitator.send("/conteggi")
    panel = await facilitator.wait_for("Conteggi a mano")
    assert "Nessun conteggio" in panel.content
    await facilitator.press("Salute", message=panel)
    ranks = await facilitator.wait_for("per quale posizione")
    await facilitator.press("1ª", message=ranks)
    await facilitator.wait_for("Quante persone hanno scelto")
    await facilitator.send("tre")
    await facilitator.wait_for("numero intero")
    await facilitator.send("3")
    saved = await facilitator.wait_for("Conteggio salvato")
    assert "Salute: 1ª: 3" in saved.content
    await facilitator.press("Persone senza Telegram", message=saved)
    await facilitator.wait_for("Quante persone hanno risposto senza Telegram")
    await facilitator.send("4")
    saved = await facilitator.wait_for("Conteggio salvato")
    assert "senza Telegram: 4" in saved.content

    await facilitator.send("/risultati")
    results = await facilitator.wait_for("Hanno risposto")
    text = results.content
    assert "Hanno risposto 2 persone (iscritti al tavolo: 3)" in text
    assert "più 4 senza Telegram" in text
    assert "1. Salute — 12 punti · persone: 1 + 3 a mano (punti: 9) (1ª: 4)" in text
    assert "2. Istruzione e ricerca — 5 punti" in text
    assert (await photo_bytes(api, facilitator)).startswith(PNG_SIGNATURE)

    organiser = api.user(ORGANISER, "Org")
    await organiser.send("/sintesi")
    synthesis = await organiser.wait_for("Sintesi trasversale")
    assert "Zone con risultati: 2 su 11" in synthesis.content
    assert "1. Salute" in synthesis.content
    heat = await photo_bytes(api, organiser)
    assert heat.startswith(PNG_SIGNATURE) and len(heat) > 10_000
    await organiser.send("/risultati")
    picker = await organiser.wait_for("Per quale Zona")
    await organiser.press("Tutte le zone", message=picker)
    pooled = await organiser.wait_for("Tutte le zone")
    assert "Hanno risposto 3 persone (iscritti al tavolo: 4)" in pooled.content
    await photo_bytes(api, organiser)

    # Exports: Excel read back, CSV read back; a facilitator gets their zone only.
    await organiser.send("/esporta")
    await organiser.press("Excel", message=await organiser.wait_for("formato"))
    workbook_message = await organiser.wait_for(lambda m: (m.filename or "").endswith(".xlsx"))
    book = load_workbook(io.BytesIO(workbook_message.document_bytes or b""))
    assert book.sheetnames == ["answers", "results"]
    answers = list(book["answers"].iter_rows(values_only=True))
    header, body = answers[0], answers[1:]
    assert header[:4] == ("poll_id", "poll_kind", "event_id", "zone")
    sources = [row[header.index("source")] for row in body]
    assert sources.count("telegram") == 4 and sources.count("manual") == 1
    assert all(set(row) & {"Anna", "Bruno", 3201, 3202} == set() for row in body)
    results_sheet = list(book["results"].iter_rows(values_only=True))
    assert len(results_sheet) == 1 + 6 + 6  # two polls x six axes
    top = {(r[3], r[7]): r for r in results_sheet[1:]}
    column = results_sheet[0].index("score")
    assert top[(5, "6")][column] == 12  # zone 5, Salute
    await organiser.send("/esporta")
    await organiser.press("CSV", message=await organiser.wait_for("formato"))
    first = await organiser.wait_for(lambda m: (m.filename or "").endswith("answers.csv"))
    second = await organiser.wait_for(lambda m: (m.filename or "").endswith("results.csv"))
    parsed = read_csv(first)
    assert len(parsed) == 5 and {r["zone"] for r in parsed} == {"5", "9"}
    by_zone = read_csv(second)
    assert len(by_zone) == 12
    await api.user(FAC9).send("/esporta")
    await api.user(FAC9).press("CSV", message=await api.user(FAC9).wait_for("formato"))
    mine = await api.user(FAC9).wait_for(lambda m: (m.filename or "").endswith("answers.csv"))
    assert {r["zone"] for r in read_csv(mine)} == {"9"}

    # Erasing one's data keeps the answer, anonymously.
    anna_id = await registration_id(bot, anna)
    await anna.send("/cancella_dati")
    await anna.press("Cancella", message=await anna.wait_for("Vuoi cancellare tutti"))
    await anna.wait_for("cancellat")
    erased = await bot.services.registrations.get(anna_id)
    assert erased is not None and erased.user_id is None and erased.display_name is None
    await facilitator.send("/risultati")
    again = await facilitator.wait_for("Hanno risposto")
    assert "Hanno risposto 2 persone (iscritti al tavolo: 3)" in again.content

    # Participants cannot see results.
    await bruno.send("/risultati")
    assert "facilitatori" in (await bruno.wait_for("comando")).content


async def test_restart_while_a_poll_is_open(api: FakeBotApi, bot: BotHarness) -> None:
    anna = await quick_register(bot, api, 3301, "Anna", 5)
    await grant(bot, FAC5, 5)
    await open_priority(api, FAC5)
    await bot.drain()
    ballot = await anna.wait_for(BALLOT)
    poll = poll_id(ballot)
    await tap(anna, ballot, "Salute")
    await bot.restart()
    assert (await tap(anna, ballot, "Istruzione")).text == "2ª scelta: Istruzione e ricerca"
    await tap(anna, ballot, "Conferma")
    anna_id = await registration_id(bot, anna)
    assert await rows(bot, poll) == [(anna_id, HEALTH, 1), (anna_id, SCHOOL, 2)]
    # /sondaggio sends the open poll again, with the answer so far
    await anna.send("/sondaggio")
    again = await anna.wait_for(lambda m: m is not ballot and BALLOT in m.content)
    assert "Risposta registrata" in again.content and "1️⃣ Salute" in again.button_texts
    await bot.restart()
    bot.clock.set(SESSION_1_END)
    assert "è chiuso" in (await anna.wait_for("è chiuso", timeout=8)).content


async def test_quick_poll(api: FakeBotApi, bot: BotHarness) -> None:
    anna = await quick_register(bot, api, 3401, "Anna", 5)
    bruno = await quick_register(bot, api, 3402, "Bruno", 5)
    await grant(bot, FAC5, 5)
    facilitator = api.user(FAC5)
    await facilitator.send("/sondaggio")
    await facilitator.press("Domanda rapida", message=await facilitator.wait_for("Iscritti"))
    await facilitator.wait_for("Scrivimi la domanda")
    await facilitator.send("Solo una domanda")
    await facilitator.wait_for("Mi servono")
    await facilitator.send("/annulla")
    await facilitator.wait_for("Annullato")
    await facilitator.send("/sondaggio")
    await facilitator.press("Domanda rapida", message=await facilitator.wait_for("Iscritti"))
    await facilitator.wait_for("Scrivimi la domanda")
    await facilitator.send("Facciamo la pausa alle 11?\nSì\nNo\nPiù tardi")
    preview = await facilitator.wait_for("Si può dare")
    await facilitator.press("Una sola risposta", message=preview)
    await facilitator.wait_for("Sondaggio aperto")
    await bot.drain()
    ballot = await anna.wait_for("Facciamo la pausa")
    assert ballot.button_texts == ["Sì", "No", "Più tardi"]
    assert (await tap(anna, ballot, "Sì")).text == "✅ Risposta registrata"
    await tap(anna, ballot, "No")  # a single-choice answer can be changed
    await tap(bruno, await bruno.wait_for("Facciamo la pausa"), "No")
    await facilitator.send("/risultati")
    quick = await facilitator.wait_for("Facciamo la pausa")
    assert "1. No — persone: 2 (100%)" in quick.content
    # a priority poll can still be opened alongside
    await open_priority(api, FAC5)


HOSTILE_QUESTION = "=cmd|' /C calc'!A0"
HOSTILE_ANSWERS = ["=1+1", "@SUM(A1:A9)", "+39 011 123"]


async def test_exported_quick_poll_text_is_never_a_formula(
    api: FakeBotApi, bot: BotHarness
) -> None:
    """A facilitator's quick poll typed as formulas is exported as text, in XLSX and CSV."""
    anna = await quick_register(bot, api, 3451, "Anna", 5)
    await grant(bot, FAC5, 5)
    facilitator = api.user(FAC5)
    await facilitator.send("/sondaggio")
    await facilitator.press("Domanda rapida", message=await facilitator.wait_for("Iscritti"))
    await facilitator.wait_for("Scrivimi la domanda")
    await facilitator.send("\n".join([HOSTILE_QUESTION, *HOSTILE_ANSWERS]))
    preview = await facilitator.wait_for("Si può dare")
    await facilitator.press("Una sola risposta", message=preview)
    await facilitator.wait_for("Sondaggio aperto")
    await bot.drain()
    ballot = await anna.wait_for(lambda m: m.button_texts == HOSTILE_ANSWERS)
    await tap(anna, ballot, "=1+1")

    organiser = api.user(ORGANISER, "Org")
    await organiser.send("/esporta")
    await organiser.press("Excel", message=await organiser.wait_for("formato"))
    sent = await organiser.wait_for(lambda m: (m.filename or "").endswith(".xlsx"))
    book = load_workbook(io.BytesIO(sent.document_bytes or b""))
    texts: list[str] = []
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
        assert all(cell.font.bold for cell in sheet[1])
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert {HOSTILE_QUESTION, *HOSTILE_ANSWERS} <= set(texts)
    answers = list(book["answers"].iter_rows(values_only=True))
    header, body = answers[0], answers[1:]
    (answer,) = body
    assert answer[header.index("option_label")] == "=1+1"
    assert answer[header.index("time")] == dt.datetime(2023, 12, 5, 10, 10)  # Rome, a real date
    assert answer[header.index("count")] == 1  # numbers stay numbers

    await organiser.send("/esporta")
    await organiser.press("CSV", message=await organiser.wait_for("formato"))
    first = await organiser.wait_for(lambda m: (m.filename or "").endswith("answers.csv"))
    second = await organiser.wait_for(lambda m: (m.filename or "").endswith("results.csv"))
    for message in (first, second):
        assert (message.document_bytes or b"").startswith(b"\xef\xbb\xbf")
    parsed = read_csv(first)
    assert [(r["option_label"], r["time"]) for r in parsed] == [("'=1+1", "2023-12-05 10:10:00")]
    by_zone = read_csv(second)
    assert {r["question"] for r in by_zone} == {"'" + HOSTILE_QUESTION}
    assert {r["option_label"] for r in by_zone} == {"'" + a for a in HOSTILE_ANSWERS}
    chosen = next(r for r in by_zone if r["option_label"] == "'=1+1")
    assert chosen["score_normalised"] == "1,0"  # decimal comma, for Italian Excel


async def test_send_results_after_the_event(api: FakeBotApi, bot: BotHarness) -> None:
    anna = await quick_register(bot, api, 3501, "Anna", 5)
    dario = await quick_register(bot, api, 3502, "Dario", 5, mode="online")
    zeno = await quick_register(bot, api, 3503, "Zeno", 1)  # zone without a poll
    await grant(bot, FAC5, 5)
    await open_priority(api, FAC5)
    await bot.drain()
    ballot = await anna.wait_for(BALLOT)
    await tap(anna, ballot, "Salute")
    await tap(anna, ballot, "Conferma")
    organiser = api.user(ORGANISER, "Org")
    await organiser.send("/invia_risultati")
    assert "Prima chiudi" in (await organiser.wait_for("Prima chiudi")).content
    await bot.at(dt.datetime(2023, 12, 5, 14, 0, tzinfo=ROME))  # after the event
    await organiser.send("/invia_risultati")
    ask = await organiser.wait_for("Inviare ai 3 partecipanti")
    await organiser.press("Invia", message=ask)
    done = await organiser.wait_edited(ask, lambda m: "Invio avviato" in m.content)
    assert "messaggi nuovi: 5" in done.content
    await bot.drain()
    for user in (anna, dario):
        zone = await user.wait_for(lambda m: m.photo is not None and "Zona 5" in m.content)
        assert "Salute" in zone.content and (zone.document_bytes or b"").startswith(PNG_SIGNATURE)
        await user.wait_for(lambda m: m.photo is not None and "Sintesi trasversale" in m.content)
    await zeno.wait_for(lambda m: m.photo is not None and "Sintesi trasversale" in m.content)
    assert not [m for m in zeno.messages if m.photo is not None and "Zona 5" in m.content]
    await organiser.send("/invia_risultati")
    again = await organiser.wait_for("Inviare ai 3 partecipanti")
    await organiser.press("Invia", message=again)
    twice = await organiser.wait_edited(again, lambda m: "Invio avviato" in m.content)
    assert "messaggi nuovi: 0" in twice.content and "già inviati prima: 5" in twice.content


async def test_many_strategies_are_grouped_by_axis(api: FakeBotApi, tmp_path: Path) -> None:
    data = bundled_event_data()
    for axis in data["axes"][:3]:
        axis["strategies"] = [
            {"id": f"{axis['id']}.{i}", "title": f"Strategia {axis['id']}.{i}"} for i in range(1, 6)
        ]
    config = config_from(data)
    harness = await BotHarness(
        api, tmp_path, now=SESSION_1, organisers=[ORGANISER], config=config
    ).start()
    try:
        anna = await quick_register(harness, api, 3601, "Anna", 5)
        await grant(harness, FAC5, 5)
        await open_priority(api, FAC5)
        await harness.drain()
        ballot = await anna.wait_for(BALLOT)
        assert len(ballot.button_texts) == 3 + 3 + 2  # three folders, three axes, confirm/clear
        assert ballot.button_texts[0].startswith("📂 Digitalizzazione")
        await tap(anna, ballot, "Digitalizzazione")
        axis = await anna.wait_edited(ballot, lambda m: "Strategia 1.1" in m.button_texts)
        assert "Asse: Digitalizzazione" in axis.content
        assert (await tap(anna, ballot, "Strategia 1.3")).text == "1ª scelta: Strategia 1.3"
        await tap(anna, ballot, "Tutti gli assi")
        await anna.wait_edited(ballot, lambda m: any("(1)" in t for t in m.button_texts))
        await tap(anna, ballot, "Salute")  # an axis without strategies is an item itself
        await tap(anna, ballot, "Rivoluzione verde")
        await anna.wait_edited(ballot, lambda m: "Strategia 2.1" in m.button_texts)
        await tap(anna, ballot, "Strategia 2.5")
        refused = await tap(anna, ballot, "Strategia 2.4")
        assert refused.show_alert and "al massimo 3" in (refused.text or "")
        await tap(anna, ballot, "Conferma")
        anna_id = await registration_id(harness, anna)
        stored = await rows(harness, poll_id(ballot))
        assert [(p, r) for _, p, r in stored] == [(2, 1), (17, 2), (9, 3)]
        assert all(registration == anna_id for registration, _, _ in stored)
    finally:
        await harness.stop()


async def test_a_429_on_one_ballot_edit_holds_no_button_answer(
    api: FakeBotApi, bot: BotHarness
) -> None:
    people = [await quick_register(bot, api, 3400 + i, f"P{i}", 5) for i in range(12)]
    await grant(bot, FAC5, 5)
    await open_priority(api, FAC5)
    await bot.drain()
    ballots = [await person.wait_for(BALLOT) for person in people]
    # the first ballot edit gets flood control (as from Telegram for that one chat)
    api.fail_next("editMessageText", error_code=429, retry_after=1, chat_id=people[0].id)
    await tap(people[0], ballots[0], "Salute")
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0.6)  # the debounced edit of P0's ballot has met its 429 by now
    waits = []
    for person, ballot in zip(people[1:], ballots[1:], strict=True):
        started = loop.time()
        answered = await tap(person, ballot, "Salute")
        waits.append(loop.time() - started)
        assert answered.text == "1ª scelta: Salute"
    assert max(waits) < 0.3, waits  # nobody waited for P0's pause
