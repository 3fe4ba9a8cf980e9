"""Session 2, the participants' side, without Telegram: the worksheets notice (planned once,
rendered in the participant's language), ``/contributo`` from the first question to the row
stored once, photos, ``/contributi`` and withdrawing, and every refusal (nothing stored)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.conversation import Content, FlowButton
from bot.kernel.people import Who
from bot.kernel.replies import Message, Outcome
from bot.worksheets.contribution_buttons import ContributeButton, MineButton, WithdrawButton
from bot.worksheets.contributions import ContributionStep, clean_contribution
from bot.worksheets.intro import KIND
from bot.worksheets.mine import PAGE
from config.event import AttendanceMode
from storage.worksheets import Contribution, Worksheet
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    CARLA,
    CO_PLANNING,
    EMMA,
    Domain,
    data_of,
    labels,
    person,
    question,
    started,
    texts,
)
from tests.harness import ROME, bundled_event_data, config_from

SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)
SESSION_2 = dt.datetime(2023, 12, 5, 10, 35, tzinfo=ROME)
AFTER = dt.datetime(2023, 12, 5, 12, 15, tzinfo=ROME)
FACILITATOR = 9105
DIANA = person(105, "Diana", "Neri")  # online, zone 5
GINO = person(106, "Gino", "Gialli")  # zone 9 (no poll closed there)
DIGITAL, GREEN, MOBILITY, HEALTH = 0, 1, 2, 5


async def close_poll(domain: Domain, zone: int, ballots: dict[Who, list[int]]) -> None:
    """Open ``zone``'s priority poll, store these answers (positions, best first), close it."""
    services = domain.services
    event = services.config.event(CO_PLANNING)
    session = services.polls.session(event, SESSION_1)
    assert session is not None
    poll = await services.polls.open(event, zone, session, opened_by=FACILITATOR, max_choices=3)
    assert poll is not None
    for who, picks in ballots.items():
        registration = await services.registrations.active(CO_PLANNING, who.user_id)
        assert registration is not None
        await services.polls.store.save_answer(poll.id, registration.id, picks, True, SESSION_1)
    await services.polls.close(poll, "facilitator")


@pytest.fixture
async def domain(tmp_path: Path) -> AsyncIterator[Domain]:
    """5 Dec at 10:35: zone 5 (Anna, Bruno, Carla, Emma in person, Diana online) has its three
    worksheets (digital, green, mobility); zone 9 (Gino) has none."""
    async with started(tmp_path, now=SESSION_1) as running:
        for who in (ANNA, BRUNO, CARLA, EMMA):
            await running.register(who)
        await running.register(DIANA, mode=AttendanceMode.ONLINE)
        await running.register(GINO, zone=9)
        ballots = {
            ANNA: [DIGITAL, GREEN, MOBILITY],
            BRUNO: [DIGITAL, GREEN],
            CARLA: [DIGITAL],
        }
        await close_poll(running, 5, ballots)
        running.clock.set(SESSION_2)
        yield running


async def sheets(domain: Domain, zone: int = 5) -> list[Worksheet]:
    event = domain.config.event(CO_PLANNING)
    return await domain.services.worksheets.worksheets(event, zone)


async def stored(domain: Domain) -> list[Contribution]:
    ids = [s.id for s in await domain.services.worksheets.store.worksheets(CO_PLANNING, None)]
    return await domain.services.worksheets.store.items(ids, include_withdrawn=True)


def title(domain: Domain, sheet: Worksheet, language: str = "it") -> str:
    return domain.services.worksheets.title(sheet, language)


async def contribute(domain: Domain, who: Who, text: str, *, sheet: int = 1) -> Outcome:
    """/contributo → the ``sheet``-th worksheet → the first section → ``text`` → the summary."""
    out = await domain.flows.contributions.contribute_command(who)
    out = await domain.press(who, out, f"{sheet}. ")
    out = await domain.press(who, out, "Declinazione locale")
    return await domain.say(who, text)


async def press_data(domain: Domain, who: Who, data: str) -> Outcome:
    return await domain.flows.contributions.press(who, data)


def photo(file_id: str = "PHOTO-1", caption: str | None = None) -> Content:
    return Content("photo", 77, caption=caption, file_id=file_id, chat_id=ANNA.user_id)


# --- the notice -------------------------------------------------------------------------------
async def test_notice_is_planned_once_per_zone_with_worksheets_when_session_2_starts(
    domain: Domain,
) -> None:
    notices = domain.services.worksheet_notices
    assert await notices.plan(SESSION_1) == 0  # before 10:30: nothing
    assert await notices.plan(SESSION_2) == 5  # zone 5: four in person, one online
    assert await notices.plan(SESSION_2) == 0  # idempotent
    rows = await domain.outbox(kind=KIND)
    assert {row.user_id for row in rows} == {101, 102, 103, 104, 105}  # not Gino: no sheets
    window_end = dt.datetime(2023, 12, 5, 12, 10, tzinfo=ROME)
    assert all(row.expires_at == window_end for row in rows)
    assert rows[0].dedupe_key.startswith(f"sheets:{CO_PLANNING}:5:")


async def test_a_zone_whose_poll_closes_late_gets_its_notice_then(domain: Domain) -> None:
    notices = domain.services.worksheet_notices
    await notices.plan(SESSION_2)
    await close_poll(domain, 9, {GINO: [GREEN]})
    assert await notices.plan(SESSION_2 + dt.timedelta(minutes=5)) == 1
    assert [row.user_id for row in await domain.outbox(kind=KIND) if row.payload["zone"] == 9] == [
        GINO.user_id
    ]


async def test_notice_renders_worksheets_sections_and_one_button_each(domain: Domain) -> None:
    notices = domain.services.worksheet_notices
    await notices.plan(SESSION_2)
    rows = {row.user_id: row for row in await domain.outbox(kind=KIND)}
    prepared = await notices.render(rows[ANNA.user_id], SESSION_2)
    assert prepared.message is not None and prepared.message.text is not None
    text = prepared.message.text
    found = await sheets(domain)
    assert "Zona 5 · Pinerolese" in text and "10:30" in text and "12:10" in text
    for sheet in found:
        assert title(domain, sheet).split()[0] in text
    assert "Fattori abilitanti" in text and "Precondizioni" in text
    assert [b.data for row in prepared.message.buttons for b in row] == [
        ContributeButton(s.id).pack() for s in found
    ]
    english = await notices.render(rows[EMMA.user_id], SESSION_2)
    assert english.message is not None and english.message.text is not None
    assert (
        "How to contribute" in english.message.text and "Enabling factors" in english.message.text
    )


async def test_notice_is_skipped_for_a_cancelled_registration(domain: Domain) -> None:
    notices = domain.services.worksheet_notices
    await notices.plan(SESSION_2)
    registration = await domain.services.registrations.active(CO_PLANNING, BRUNO.user_id)
    assert registration is not None
    await domain.services.registrations.cancel(registration.id, None, SESSION_2)
    row = next(r for r in await domain.outbox(kind=KIND) if r.user_id == BRUNO.user_id)
    assert (await notices.render(row, SESSION_2)).skip == "not_at_table"


async def test_without_online_contributions_online_registrants_get_no_notice(
    tmp_path: Path,
) -> None:
    data = bundled_event_data()
    for event in data["events"]:
        if event["id"] == CO_PLANNING:
            event["worksheets"]["online"] = False
    async with started(tmp_path, now=SESSION_1, config=config_from(data)) as domain:
        await domain.register(ANNA)
        await domain.register(DIANA, mode=AttendanceMode.ONLINE)
        await close_poll(domain, 5, {ANNA: [GREEN]})
        domain.clock.set(SESSION_2)
        assert await domain.services.worksheet_notices.plan(SESSION_2) == 1
        out = await domain.flows.contributions.contribute_command(DIANA)
        assert "in presenza" in texts(out)[0]
        assert await domain.step(DIANA) is None


# --- /contributo --------------------------------------------------------------------------------
async def test_a_text_contribution_from_worksheet_to_stored_row(domain: Domain) -> None:
    out = await domain.flows.contributions.contribute_command(ANNA)
    found = await sheets(domain)
    assert len(found) == 3
    assert "A quale scheda" in question(out).text
    assert [label[:3] for label in labels(out)] == ["1. ", "2. ", "3. ", "✖️ "]
    assert all(len(label) <= 51 for label in labels(out))  # long titles cut to fit
    out = await domain.press(ANNA, out, "2. ")
    assert "In quale sezione" in question(out).text
    assert "Cosa deve esserci prima" in question(out).text  # the hints
    out = await domain.press(ANNA, out, "Reti di attori")
    assert await domain.step(ANNA) == ContributionStep.CONTENT
    out = await domain.say(ANNA, "  Pro Loco di Pinerolo\n\n\n e  consorzio forestale  ")
    summary = question(out).text
    assert "Il tuo contributo" in summary and "Pro Loco di Pinerolo\n\ne consorzio" in summary
    assert "senza il tuo nome" in summary
    out = await domain.press(ANNA, out, "Conferma")
    assert "Contributo salvato" in question(out).text
    assert await domain.step(ANNA) is None
    [item] = await stored(domain)
    registration = await domain.services.registrations.active(CO_PLANNING, ANNA.user_id)
    assert registration is not None
    assert (item.worksheet_id, item.section, item.kind) == (found[1].id, "attori", "text")
    assert item.text == "Pro Loco di Pinerolo\n\ne consorzio forestale"
    assert item.origin == "participant" and item.registration_id == registration.id
    assert item.added_by is None and item.photo is None and item.status == "active"
    # "add another" starts on the same worksheet, at the section question
    again = await press_data(domain, ANNA, data_of(out, "Un altro per"))
    assert "In quale sezione" in question(again).text
    assert await domain.step(ANNA) == ContributionStep.SECTION


async def test_pressing_confirm_twice_stores_once(domain: Domain) -> None:
    out = await contribute(domain, ANNA, "Una ciclovia tra i comuni")
    confirm = data_of(out, "Conferma")
    button = FlowButton.unpack(confirm)
    assert button is not None
    first = await domain.flows.conversations.press(ANNA, button, None)
    second = await domain.flows.conversations.press(ANNA, button, None)
    assert "Contributo salvato" in question(first).text
    assert second.toast is not None and "già salvato" in second.toast
    assert len(await stored(domain)) == 1


async def test_one_worksheet_skips_the_worksheet_question(tmp_path: Path) -> None:
    async with started(tmp_path, now=SESSION_1) as domain:
        await domain.register(ANNA)
        await close_poll(domain, 5, {ANNA: [HEALTH]})
        domain.clock.set(SESSION_2)
        out = await domain.flows.contributions.contribute_command(ANNA)
        assert "In quale sezione" in question(out).text
        assert "Salute" in question(out).text or "sana" in question(out).text


async def test_a_photo_with_a_caption_and_one_without(domain: Domain) -> None:
    out = await domain.flows.contributions.contribute_command(ANNA)
    out = await domain.press(ANNA, out, "1. ")
    out = await domain.press(ANNA, out, "Precondizioni")
    out = await domain.send(ANNA, photo("BIG-FILE-ID", "Il cartellone del tavolo"))
    assert "📷 foto: Il cartellone del tavolo" in question(out).text
    await domain.press(ANNA, out, "Conferma")
    out = await domain.flows.contributions.contribute_command(ANNA)
    out = await domain.press(ANNA, out, "1. ")
    out = await domain.press(ANNA, out, "Precondizioni")
    out = await domain.send(ANNA, photo("SECOND"))
    await domain.press(ANNA, out, "Conferma")
    first, second = await stored(domain)
    assert (first.kind, first.photo, first.text) == (
        "photo",
        "BIG-FILE-ID",
        "Il cartellone del tavolo",
    )
    assert (second.kind, second.photo, second.text) == ("photo", "SECOND", "")


async def test_change_section_and_replace_text_at_the_summary(domain: Domain) -> None:
    out = await contribute(domain, ANNA, "Prima versione")
    out = await domain.say(ANNA, "Seconda versione")
    assert "Seconda versione" in question(out).text
    out = await domain.press(ANNA, out, "Cambia sezione")
    out = await domain.press(ANNA, out, "Fattori abilitanti")
    assert "Fattori abilitanti" in question(out).text and "Seconda versione" in question(out).text
    await domain.press(ANNA, out, "Conferma")
    [item] = await stored(domain)
    assert (item.section, item.text) == ("abilitanti", "Seconda versione")


async def test_cancel_stores_nothing(domain: Domain) -> None:
    out = await contribute(domain, ANNA, "Da non inviare")
    out = await domain.press(ANNA, out, "Annulla")
    assert out.edit is not None and "nessun contributo" in out.edit.text
    assert await stored(domain) == []
    out = await contribute(domain, ANNA, "Neanche questo")
    stopped = await domain.flows.conversations.stop(ANNA)
    assert stopped is not None and "nessun contributo" in texts(stopped)[0]
    assert await stored(domain) == []


async def test_in_english(domain: Domain) -> None:
    out = await domain.flows.contributions.contribute_command(EMMA)
    assert "Which worksheet" in question(out).text
    out = await domain.press(EMMA, out, "3. ")
    out = await domain.press(EMMA, out, "Existing projects")
    out = await domain.say(EMMA, "The PNRR school canteen project")
    assert "Your contribution" in question(out).text
    out = await domain.press(EMMA, out, "Confirm")
    assert "Contribution saved" in question(out).text
    [item] = await stored(domain)
    assert item.section == "progetti"


# --- refusals -----------------------------------------------------------------------------------
async def test_bad_contents_are_refused_and_nothing_is_stored(domain: Domain) -> None:
    out = await domain.flows.contributions.contribute_command(ANNA)
    out = await domain.press(ANNA, out, "1. ")
    out = await domain.press(ANNA, out, "Precondizioni")
    out = await domain.say(ANNA, "x" * 501)
    assert "501 caratteri" in texts(out)[0] and "500" in texts(out)[0]
    out = await domain.say(ANNA, " \u200b  ")
    assert "vuoto" in texts(out)[0]
    out = await domain.send(ANNA, Content("sticker", 80))
    assert "solo un testo o una foto" in texts(out)[0]
    out = await domain.send(ANNA, Content("voice", 81))
    assert "solo un testo o una foto" in texts(out)[0]
    out = await domain.send(ANNA, Content("document", 82, filename="a.pdf"))
    assert "solo un testo o una foto" in texts(out)[0]
    out = await domain.send(ANNA, photo("P", "y" * 600))
    assert "600 caratteri" in texts(out)[0]
    assert await domain.step(ANNA) == ContributionStep.CONTENT
    assert clean_contribution("x" * 500) == "x" * 500
    out = await domain.say(ANNA, "x" * 500)  # exactly the limit is fine
    assert "Il tuo contributo" in question(out).text
    assert await stored(domain) == []


async def test_not_registered_and_no_worksheets_yet(domain: Domain) -> None:
    out = await domain.flows.contributions.contribute_command(person(999, "Zeno"))
    assert "/iscrizione" in texts(out)[0]
    out = await domain.flows.contributions.contribute_command(GINO)
    assert "non ci sono ancora" in texts(out)[0] and "sessione 1" in texts(out)[0]
    assert await domain.step(GINO) is None


async def test_outside_the_window(domain: Domain) -> None:
    domain.clock.set(SESSION_1)
    out = await domain.flows.contributions.contribute_command(ANNA)
    assert "dalle 10:30" in texts(out)[0] and "5 dicembre" in texts(out)[0]
    out = await press_data(domain, ANNA, ContributeButton((await sheets(domain))[0].id).pack())
    assert "dalle 10:30" in texts(out)[0] and not out.close_keyboard
    domain.clock.set(AFTER)
    out = await domain.flows.contributions.contribute_command(ANNA)
    assert "chiusi" in texts(out)[0] and "12:10" in texts(out)[0]
    assert await stored(domain) == []


async def test_the_window_closing_before_confirm_stores_nothing(domain: Domain) -> None:
    domain.clock.set(dt.datetime(2023, 12, 5, 12, 5, tzinfo=ROME))
    out = await contribute(domain, ANNA, "In ritardo")
    domain.clock.set(dt.datetime(2023, 12, 5, 12, 11, tzinfo=ROME))
    out = await domain.press(ANNA, out, "Conferma")
    assert out.edit is not None and "non è stato salvato" in out.edit.text
    assert "chiusi" in out.edit.text
    assert await stored(domain) == []


async def test_a_contribution_left_half_written_for_an_hour_is_dropped(domain: Domain) -> None:
    await contribute(domain, ANNA, "Dimenticato")
    domain.clock.set(SESSION_2 + dt.timedelta(minutes=61))
    out = await domain.say(ANNA, "un testo qualsiasi, più tardi")
    assert await domain.step(ANNA) is None and "Il tuo contributo" not in texts(out)[0]
    assert await stored(domain) == []


async def test_forged_stale_other_zone_and_inactive_worksheets(domain: Domain) -> None:
    found = await sheets(domain)
    out = await press_data(domain, ANNA, "c|abc")
    assert out.alert is not None
    out = await press_data(domain, ANNA, ContributeButton(999999).pack())
    assert "non è più valido" in texts(out)[0]
    await close_poll(domain, 9, {GINO: [GREEN]})
    [other] = await sheets(domain, 9)
    out = await press_data(domain, ANNA, ContributeButton(other.id).pack())
    assert "un altro tavolo" in texts(out)[0] and "Zona 5 · Pinerolese" in texts(out)[0]
    assert await domain.services.worksheets.store.deactivate(found[2].id)
    out = await press_data(domain, ANNA, ContributeButton(found[2].id).pack())
    assert "è stata tolta" in texts(out)[0]
    assert await domain.step(ANNA) is None
    # a worksheet taken away while the participant writes: refused at confirm
    out = await contribute(domain, ANNA, "Sulla prima scheda")
    assert await domain.services.worksheets.store.deactivate(found[0].id)
    out = await domain.press(ANNA, out, "Conferma")
    assert out.edit is not None and "è stata tolta" in out.edit.text
    assert await stored(domain) == []


async def test_a_button_of_the_notice_starts_on_that_worksheet(domain: Domain) -> None:
    found = await sheets(domain)
    out = await press_data(domain, ANNA, ContributeButton(found[1].id).pack())
    assert not out.close_keyboard  # the notice keeps its other buttons
    assert title(domain, found[1]) in question(out).text
    assert await domain.step(ANNA) == ContributionStep.SECTION


# --- /contributi --------------------------------------------------------------------------------
async def confirm(domain: Domain, who: Who, text: str, sheet: int = 1) -> None:
    out = await contribute(domain, who, text, sheet=sheet)
    await domain.press(who, out, "Conferma")


async def test_my_contributions_and_withdrawing_one(domain: Domain) -> None:
    out = await domain.flows.contributions.my_contributions_command(ANNA)
    assert "Non hai ancora" in texts(out)[0]
    await confirm(domain, ANNA, "Primo")
    await confirm(domain, ANNA, "Secondo", sheet=2)
    await confirm(domain, BRUNO, "Di Bruno")
    out = await domain.flows.contributions.my_contributions_command(ANNA)
    text = texts(out)[0]
    assert "I tuoi contributi</b> (2) · Zona 5 · Pinerolese" in text
    assert "Primo" in text and "Secondo" in text and "Di Bruno" not in text
    assert "Declinazione locale" in text and "10:35" in text
    assert labels(out) == ["↩️ 1", "↩️ 2"]
    first, second, bruno = await stored(domain)
    withdrawn = await press_data(domain, ANNA, data_of(out, "↩️ 1"))
    assert withdrawn.toast == "Contributo ritirato."
    assert withdrawn.edit is not None and "Primo" not in withdrawn.edit.text
    assert "Il tuo contributo</b> (1)" in withdrawn.edit.text
    assert [i.status for i in await stored(domain)] == ["withdrawn", "active", "active"]
    # someone else's, or the same again: refused, nothing changes
    out = await press_data(domain, ANNA, WithdrawButton(bruno.id, 0).pack())
    assert out.alert is not None and "non è tuo" in out.alert
    out = await press_data(domain, ANNA, WithdrawButton(first.id, 0).pack())
    assert out.alert is not None
    assert [i.status for i in await stored(domain)] == ["withdrawn", "active", "active"]
    # once contributions close, nothing can be withdrawn
    domain.clock.set(AFTER)
    out = await domain.flows.contributions.my_contributions_command(ANNA)
    assert labels(out) == [] and "non si possono più ritirare" in texts(out)[0]
    out = await press_data(domain, ANNA, WithdrawButton(second.id, 0).pack())
    assert out.alert is not None and "chiusi" in out.alert
    assert [i.status for i in await stored(domain)] == ["withdrawn", "active", "active"]


async def test_a_long_list_is_paged(domain: Domain) -> None:
    for n in range(PAGE + 2):
        await confirm(domain, CARLA, f"Contributo numero {n + 1}")
    out = await domain.flows.contributions.my_contributions_command(CARLA)
    assert "Pagina 1 di 2" in texts(out)[0] and labels(out)[-1] == "▶︎"
    page = await press_data(domain, CARLA, MineButton(1).pack())
    assert page.edit is not None and "Contributo numero 7" in page.edit.text
    assert "Contributo numero 1\n" not in page.edit.text
    assert isinstance(page.edit, Message)
    assert [b.label for row in page.edit.buttons for b in row] == ["↩️ 6", "↩️ 7", "◀︎"]


async def test_a_hidden_contribution_stays_listed_but_cannot_be_withdrawn(domain: Domain) -> None:
    await confirm(domain, ANNA, "Fuori tema")
    await confirm(domain, ANNA, "Pertinente")
    hidden, _ = await stored(domain)
    store = domain.services.worksheets.store
    assert await store.set_status(hidden.id, "hidden", SESSION_2)
    out = await domain.flows.contributions.my_contributions_command(ANNA)
    assert "Fuori tema" in texts(out)[0] and labels(out) == ["↩️ 2"]
    out = await press_data(domain, ANNA, WithdrawButton(hidden.id, 0).pack())
    assert out.alert is not None
    assert [i.status for i in await stored(domain)] == ["hidden", "active"]
