"""Session 2, the participants' side, through the fake Bot API: zones 5 and 9 run session 1
(priority polls opened, answered, closed at 10:30), then the worksheets notice arrives with
its buttons; participants contribute in Italian and English, a photo with a caption, one
is withdrawn, the refusals, a restart in the middle of a contribution; and after
``/cancella_dati`` a contribution stays, anonymous, counted for its zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from bot.worksheets.contribution_buttons import ContributeButton
from storage.worksheets import Contribution
from tests.harness import ROME, BotHarness, register_directly

ORGANISER = 9000
FAC5, FAC9 = 9105, 9109
EVENT = "copianificazione-2023"
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)
SESSION_2 = dt.datetime(2023, 12, 5, 10, 30, tzinfo=ROME)
AFTER = dt.datetime(2023, 12, 5, 12, 15, tzinfo=ROME)
NOTICE_IT, NOTICE_EN = "Sessione 2: le schede di lavoro", "Session 2: the worksheets"
BALLOT = "priorità per la tua Zona"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=SESSION_1, organisers=[ORGANISER]) as harness:
        yield harness


async def participant(
    bot: BotHarness, api: FakeBotApi, user_id: int, name: str, zone: int, **answers: Any
) -> FakeUser:
    """A participant registered directly in storage (the chat path has its own tests)."""
    language = "en" if answers.get("language") == "en" else "it"
    user = api.user(user_id, name, language_code=language)
    await register_directly(bot.services, user_id, name, zone=zone, **answers)
    return user


async def tap(user: FakeUser, ballot: SentMessage, label: str) -> Any:
    return await user.callback_answer(await user.press(label, message=ballot))


async def session_1(bot: BotHarness, api: FakeBotApi, votes: dict[FakeUser, list[str]]) -> None:
    """Zones 5 and 9 open their priority polls from /sondaggio; ``votes`` are tapped and
    confirmed; the polls close at the end of session 1 (10:30), with the periodic job."""
    for facilitator, zone in ((FAC5, 5), (FAC9, 9)):
        await bot.services.roles.store.grant(
            facilitator, "facilitator", str(zone), ORGANISER, SESSION_1
        )
        staff = api.user(facilitator, "Facilitatore")
        await staff.send("/sondaggio")
        panel = await staff.wait_for("Iscritti in presenza")
        await staff.press("Apri il sondaggio", message=panel)
        await staff.wait_for("Sondaggio aperto")
    await bot.drain()
    for user, labels in votes.items():
        ballot = await user.wait_for(lambda m: BALLOT in m.content or "priorities" in m.content)
        for label in labels:
            await tap(user, ballot, label)
        confirm = "Confirm" if user.language_code == "en" else "Conferma"
        await tap(user, ballot, confirm)
    await api.settle(0.05)
    bot.clock.set(SESSION_2)
    await bot.services.tick()  # closes the polls; plans the notices from the worksheets
    await bot.drain()


async def items(bot: BotHarness) -> list[Contribution]:
    store = bot.services.worksheets.store
    sheets = await store.worksheets(EVENT, None, active_only=False)
    return await store.items([s.id for s in sheets], include_withdrawn=True)


async def test_session_2_for_participants(api: FakeBotApi, bot: BotHarness) -> None:
    anna = await participant(bot, api, 3001, "Anna", 5)
    bruno = await participant(bot, api, 3002, "Bruno", 5)
    emma = await participant(bot, api, 3003, "Emma", 5, language="en")
    dario = await participant(bot, api, 3004, "Dario", 5, mode="online")
    eva = await participant(bot, api, 3005, "Eva", 9)
    await session_1(
        bot,
        api,
        {
            anna: ["Salute", "Istruzione"],
            bruno: ["Salute"],
            emma: ["Inclusion"],
            eva: ["Infrastrutture"],
        },
    )

    # The notice: zone 5's three worksheets (Salute first), its sections, one button each.
    notice = await anna.wait_for(NOTICE_IT)
    assert "Zona 5 · Pinerolese" in notice.content and "dalle 10:30 alle 12:10" in (
        notice.content.lower()
    )
    assert "Fattori abilitanti" in notice.content and "/contributo" in notice.content
    assert len(notice.button_texts) == 3 and "Salute" in notice.button_texts[0]
    assert len((await dario.wait_for(NOTICE_IT)).button_texts) == 3  # online too: allowed
    english = await emma.wait_for(NOTICE_EN)
    assert "How to contribute" in english.content and "Enabling factors" in english.content
    notice9 = await eva.wait_for(NOTICE_IT)
    assert "Zona 9 · Eporediese" in notice9.content and len(notice9.button_texts) == 1
    await bot.services.tick()  # planned once: nobody gets it twice
    await bot.drain()
    assert sum(NOTICE_IT in m.content for m in anna.messages) == 1

    # Anna, from the notice's first button: section, text, summary, confirm.
    await anna.press(notice.button_texts[0], message=notice)
    section = await anna.wait_for("In quale sezione")
    assert notice.inline_keyboard  # the notice keeps its buttons
    await anna.press("Reti di attori", message=section)
    await anna.wait_for("Scrivi il tuo contributo")
    await anna.send("ASL TO3 e le farmacie dei comuni di montagna")
    summary = await anna.wait_for("Il tuo contributo")
    assert "senza il tuo nome" in summary.content
    await anna.press("Conferma", message=summary)
    saved = await anna.wait_for("Contributo salvato")
    assert any("Un altro per" in text for text in saved.button_texts)

    # Emma in English, from her notice.
    await emma.press(lambda b: "Inclusion" in b["text"], message=english)
    section = await emma.wait_for("Which section")
    await emma.press("Enabling factors", message=section)
    await emma.wait_for("Write your contribution")
    await emma.send("A shared transport service for the elderly")
    summary = await emma.wait_for("Your contribution")
    await emma.press("Confirm", message=summary)
    await emma.wait_for("Contribution saved")

    # Bruno: /contributo, the worksheet question, a photo of the board with a caption.
    await bruno.send("/contributo")
    which = await bruno.wait_for("A quale scheda")
    await bruno.press("1. ", message=which)
    section = await bruno.wait_for("In quale sezione")
    await bruno.press("Precondizioni", message=section)
    await bruno.wait_for("Scrivi il tuo contributo")
    await bruno.send_photo(caption="Il cartellone del tavolo")
    summary = await bruno.wait_for("📷 foto: Il cartellone del tavolo")
    await bruno.press("Conferma", message=summary)
    await bruno.wait_for("Contributo salvato")

    # A restart in the middle of Anna's second contribution loses nothing.
    await anna.send("/contributo")
    which = await anna.wait_for("A quale scheda")
    await anna.press("2. ", message=which)
    section = await anna.wait_for("In quale sezione")
    await anna.press("Progetti e programmi", message=section)
    await anna.wait_for("Scrivi il tuo contributo")
    await bot.restart()
    await anna.send("Il progetto Scuole aperte del Pinerolese")
    summary = await anna.wait_for("Scuole aperte")
    await anna.press("Conferma", message=summary)
    await anna.wait_for(lambda m: "Contributo salvato" in m.content and m is not saved)

    stored = await items(bot)
    assert [(i.kind, i.section) for i in stored] == [
        ("text", "attori"),
        ("text", "abilitanti"),
        ("photo", "precondizioni"),
        ("text", "progetti"),
    ]
    assert stored[2].photo and stored[2].text == "Il cartellone del tavolo"
    assert all(i.origin == "participant" and i.added_by is None for i in stored)
    assert all(i.registration_id is not None for i in stored)

    # /contributi: Anna's two, withdraw the first: a toast, the list updated in place.
    await anna.send("/contributi")
    mine = await anna.wait_for("I tuoi contributi")
    assert "ASL TO3" in mine.content and "Scuole aperte" in mine.content
    assert "Emma" not in mine.content and "shared transport" not in mine.content
    answer = await anna.callback_answer(await anna.press("↩️ 1", message=mine))
    assert answer.text == "Contributo ritirato." and not answer.show_alert
    updated = await anna.wait_edited(mine, lambda m: "ASL TO3" not in m.content)
    assert "Il tuo contributo</b> (1)" in updated.raw.get("text", "") or "(1)" in updated.content
    assert [i.status for i in await items(bot)] == ["withdrawn", "active", "active", "active"]

    # Refusals: another zone's worksheet, a stranger, too long, a sticker, forged data.
    sheet5 = stored[0].worksheet_id
    await eva.press_data(ContributeButton(sheet5).pack(), message=notice9)
    assert "un altro tavolo" in (await eva.wait_for("un altro tavolo")).content
    stranger = api.user(3999, "Zeno")
    await stranger.send("/contributo")
    await stranger.wait_for("/iscrizione")
    await eva.press(notice9.button_texts[0], message=notice9)  # her only worksheet
    section = await eva.wait_for("In quale sezione")
    await eva.press("Fattori abilitanti", message=section)
    await eva.wait_for("Scrivi il tuo contributo")
    await eva.send("x" * 501)
    assert "501 caratteri" in (await eva.wait_for("troppo lungo")).content
    await eva.send_sticker()
    await eva.wait_for("solo un testo o una foto")
    forged = await eva.callback_answer(await eva.press_data("c|zz", message=notice9))
    assert forged.show_alert and forged.text == "Pulsante non valido."
    assert len(await items(bot)) == 4

    # After 12:10: closed, said so; nothing can be withdrawn.
    bot.clock.set(AFTER)
    await bruno.send("/contributo")
    assert "12:10" in (await bruno.wait_for("sono chiusi")).content
    await bruno.send("/contributi")
    closed = await bruno.wait_for("Il tuo contributo")
    assert closed.button_texts == [] and "non si possono più ritirare" in closed.content


async def test_erased_participant_contribution_stays_anonymous(
    api: FakeBotApi, bot: BotHarness
) -> None:
    anna = await participant(bot, api, 3001, "Anna", 5)
    bruno = await participant(bot, api, 3002, "Bruno", 5)
    await session_1(bot, api, {anna: ["Salute"], bruno: ["Salute"]})
    notice = await anna.wait_for(NOTICE_IT)
    await anna.press(notice.button_texts[0], message=notice)
    await anna.press("Fattori abilitanti", message=await anna.wait_for("In quale sezione"))
    await anna.wait_for("Scrivi il tuo contributo")
    await anna.send("Una rete di medici di comunità")
    await anna.press("Conferma", message=await anna.wait_for("Il tuo contributo"))
    await anna.wait_for("Contributo salvato")

    await anna.send("/cancella_dati")
    question = await anna.wait_for("Vuoi cancellare tutti i tuoi dati")
    assert "i contributi che hai dato alle schede di lavoro" in question.content
    await anna.press("Sì, cancella", message=question)
    done = await anna.wait_for("dati personali sono stati cancellati")
    assert "contributi alle schede restano, anonimi" in done.content

    [item] = await items(bot)
    assert item.status == "active" and item.text == "Una rete di medici di comunità"
    registration = await bot.services.registrations.get(item.registration_id or 0)
    assert registration is not None and registration.status == "erased"
    assert registration.user_id is None and registration.display_name is None
    counts = await bot.services.worksheets.store.zone_counts(EVENT)
    assert counts[5].contributions == 1 and counts[5].contributors == 1
    await anna.send("/contributi")  # nothing of hers is found any more
    await anna.wait_for("Non hai ancora")
