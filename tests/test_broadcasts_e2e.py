"""Broadcasts and staff roles end to end, through the fake Bot API."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from tests.harness import ROME, BotHarness, answer, register_directly, with_button

ORGANISER = 9100
EVENT = "copianificazione-2023"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, organisers=[ORGANISER]) as harness:
        yield harness


async def registered(
    bot: BotHarness,
    api: FakeBotApi,
    user_id: int,
    zone: int = 5,
    mode: str = "in_person",
    name: str | None = None,
) -> FakeUser:
    """A participant registered directly in storage (the chat path has its own tests)."""
    user = api.user(user_id, name or f"P{user_id}")
    await register_directly(bot.services, user_id, name or f"P{user_id}", zone=zone, mode=mode)
    return user


async def compose(organiser: FakeUser, send: str = "text", audience: str = "Tutti") -> None:
    """/messaggio up to the confirmation, with the organiser's message."""
    await organiser.send("/messaggio")
    await organiser.wait_for("Mandami il messaggio")
    if send == "text":
        bold = [{"type": "bold", "offset": 0, "length": 10}]  # formatted text is kept
        await organiser.send("Attenzione: cambio di sala alle 10:10!", entities=bold)
    elif send == "photo":
        await organiser.send_photo(caption="La mappa della sede")
    else:
        await organiser.send_document(
            "programma.pdf", b"%PDF-1.4 fake", mime_type="application/pdf"
        )
    await answer(organiser, "quale incontro", "Dalle strategie")
    await answer(organiser, "A chi lo mando", audience)


def copies(user: FakeUser) -> list[str]:
    return [m.content for m in user.messages if m.method == "copyMessage"]


async def test_organiser_broadcasts_text_to_everyone(api: FakeBotApi, bot: BotHarness) -> None:
    people = [await registered(bot, api, 5000 + i, zone=1 + i % 11) for i in range(8)]
    organiser = api.user(ORGANISER, "Org")
    await compose(organiser)
    confirm = await organiser.wait_for("Lo invio a")
    assert "<b>8</b>" in (confirm.text or "") and "tutti gli iscritti" in confirm.content
    preview = [m for m in organiser.messages if m.method == "copyMessage"]
    assert len(preview) == 1 and "cambio di sala" in preview[0].content
    await organiser.press("Invia ora", message=confirm)
    await organiser.wait_for("avviato")
    await bot.drain()
    for person in people:
        assert copies(person) == ["Attenzione: cambio di sala alle 10:10!"]
        assert person.messages[-1].raw["entities"][0]["type"] == "bold"
    report = await organiser.wait_for("completato")
    assert "consegnati 8 su 8" in report.content
    progress = next(
        m for m in organiser.messages if "inviati" in m.content or "completato" in m.content
    )
    assert progress.edit_count >= 1  # the progress message was edited into the report
    await bot.drain()
    assert all(len(copies(p)) == 1 for p in people)  # nothing twice


async def test_photo_to_a_zone_and_document_online(api: FakeBotApi, bot: BotHarness) -> None:
    zone5 = await registered(bot, api, 5101, zone=5)
    zone6 = await registered(bot, api, 5102, zone=6)
    online = await registered(bot, api, 5103, zone=6, mode="online")
    organiser = api.user(ORGANISER, "Org")
    await compose(organiser, send="photo", audience="Una Zona")
    await answer(organiser, "Quale Zona", "5 · Pinerolese")
    await answer(organiser, "Lo invio a", "Invia ora")
    await bot.drain()
    (photo,) = [m for m in zone5.messages if m.method == "copyMessage"]
    assert photo.photo and "La mappa della sede" in photo.content
    assert copies(zone6) == [] and copies(online) == []
    await compose(organiser, send="document", audience="online")
    await answer(organiser, "Lo invio a", "Invia ora")
    await bot.drain()
    (document,) = [m for m in online.messages if m.method == "copyMessage"]
    assert document.document is not None
    assert copies(zone6) == []


async def test_facilitator_reaches_only_their_zone(api: FakeBotApi, bot: BotHarness) -> None:
    await registered(bot, api, 5201, zone=9)
    other = await registered(bot, api, 5202, zone=10)
    facilitator = api.user(5299, "Fac")
    await bot.services.roles.store.grant(5299, "facilitator", "9", ORGANISER, bot.clock.now())
    await facilitator.send("/messaggio")
    await facilitator.wait_for("Mandami il messaggio")
    await facilitator.send("Ci vediamo al tavolo 9!")
    await answer(facilitator, "quale incontro", "Dalle strategie")
    confirm = await facilitator.wait_for("Lo invio a")  # no audience question: their zone
    assert "Zona 9 · Eporediese" in confirm.content and "<b>1</b>" in (confirm.text or "")
    token = str(confirm.buttons[0][1]).split("|")[1]
    query = await facilitator.press_data(f"r|{token}|zo|10", message=confirm)
    assert (await facilitator.callback_answer(query)).show_alert
    await facilitator.settle()
    await facilitator.press("Invia ora")
    await bot.drain()
    assert copies(other) == []
    participant = await registered(bot, api, 5203, zone=9)
    await participant.send("/messaggio")
    await participant.wait_for("riservato agli organizzatori e ai facilitatori")
    await participant.send("/messaggi")
    await participant.wait_for("riservato agli organizzatori")


async def test_scheduled_broadcast_and_cancelling_it(api: FakeBotApi, bot: BotHarness) -> None:
    person = await registered(bot, api, 5301)
    organiser = api.user(ORGANISER, "Org")
    for when, cancel in (("04/12 18:00", False), ("2023-12-04 19:00", True)):
        await compose(organiser)
        await answer(organiser, "Lo invio a", "Programma")
        await organiser.wait_for("Quando lo invio")
        await organiser.send("31/02 25:00")
        await organiser.wait_for("Non riesco a leggere")
        await organiser.send(when)
        await answer(organiser, "Lo invierò il", "Conferma")
        scheduled = await organiser.wait_for("programmato")
        if cancel:
            await organiser.send("/messaggi")
            listed = await organiser.wait_for("N. 2, per il")
            assert "per il 04/12/2023 19:00" in listed.content
            query = await organiser.press("Annulla l'invio", message=scheduled)
            assert (await organiser.callback_answer(query)).text == "Invio annullato"
    late = await registered(bot, api, 5302)  # registered after scheduling: included
    await bot.at(bot.clock.now())
    assert copies(person) == [] and copies(late) == []
    await bot.at(bot.clock.now().replace(year=2023, month=12, day=4, hour=17, minute=0))
    import datetime as dt

    await bot.at(dt.datetime(2023, 12, 4, 18, 0, tzinfo=ROME))
    assert len(copies(person)) == 1 and len(copies(late)) == 1
    await bot.at(dt.datetime(2023, 12, 4, 19, 30, tzinfo=ROME))  # the cancelled one: nothing
    assert len(copies(person)) == 1


async def test_cancel_and_restart_in_the_middle(api: FakeBotApi, bot: BotHarness) -> None:
    people = [await registered(bot, api, 5400 + i) for i in range(12)]
    organiser = api.user(ORGANISER, "Org")
    api.fail_next("copyMessage", error_code=429, retry_after=1, times=1)
    await compose(organiser)
    await answer(organiser, "Lo invio a", "Invia ora")
    await organiser.wait_for("avviato")
    await asyncio.sleep(0.3)  # the sender is waiting out the 429
    await bot.restart()  # a crash/deploy in the middle
    await bot.drain()
    received = [len(copies(p)) for p in people]
    assert all(count >= 1 for count in received)  # nobody missed
    assert sum(received) - len(people) <= 16  # duplicates at most the messages in flight
    await organiser.wait_for("completato")
    # cancelling: a second, larger broadcast (about 2 s at 29 messages a second)
    people += [await registered(bot, api, 5450 + i) for i in range(48)]
    # what each already has: the first broadcast, twice for whoever was in flight at the restart
    before = {p.id: len(copies(p)) for p in people}
    await compose(organiser)
    await answer(organiser, "Lo invio a", "Invia ora")
    progress = await organiser.wait_for(with_button("Annulla l'invio"))
    await organiser.press("Annulla l'invio", message=progress)
    await bot.drain()
    report = await organiser.wait_for("annullato")
    assert "non inviati" in report.content
    second = [len(copies(p)) - before[p.id] for p in people]
    assert 0 < sum(second) < len(people)  # some went out before the cancel, the rest never
    rows = await bot.services.outbox.rows(kind="broadcast")
    not_sent = [row for row in rows if row.reason == "cancelled"]
    assert len(not_sent) == len(people) - sum(second)
    assert f"(non inviati: {len(not_sent)})" in report.content


async def test_report_lists_those_not_reached(api: FakeBotApi, bot: BotHarness) -> None:
    reached = await registered(bot, api, 5501, name="Raggiunta")
    await registered(bot, api, 5502, name="Bloccante")
    api.block_user(5502)
    organiser = api.user(ORGANISER, "Org")
    await compose(organiser)
    await answer(organiser, "Lo invio a", "Invia ora")
    await bot.drain()
    report = await organiser.wait_for(lambda m: m.document is not None)
    assert "bloccato il bot 1" in report.content
    rows = list(
        csv.reader(io.StringIO((report.document_bytes or b"").decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0][:3] == ["registration_id", "name", "zone"]
    assert [r[1] for r in rows[1:]] == ["Bloccante"] and rows[1][-1] == "blocked"
    assert len(copies(reached)) == 1


async def test_report_names_are_never_formulas(api: FakeBotApi, bot: BotHarness) -> None:
    """Names typed as formulas reach the "not reached" CSV as neutralised text."""
    hostile = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    for offset, name in enumerate(hostile):
        await registered(bot, api, 5601 + offset, name=name)
        api.block_user(5601 + offset)
    organiser = api.user(ORGANISER, "Org")
    await compose(organiser)
    await answer(organiser, "Lo invio a", "Invia ora")
    await bot.drain()
    report = await organiser.wait_for(lambda m: m.document is not None)
    content = report.document_bytes or b""
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert sorted(r[1] for r in rows[1:]) == sorted("'" + name for name in hostile)
    assert {r[2] for r in rows[1:]} == {"5"}  # numbers are not touched


async def test_bad_input_while_composing(api: FakeBotApi, bot: BotHarness) -> None:
    organiser = api.user(ORGANISER, "Org")
    await organiser.send("/messaggio")
    await organiser.wait_for("Mandami il messaggio")
    await organiser.send_location(45.0, 7.0)
    await organiser.wait_for("non si può inviare")
    await organiser.send("Messaggio vero")
    await organiser.wait_for("quale incontro")
    await organiser.send("tutti")  # text where buttons are expected
    await organiser.wait_for("usa i pulsanti")
    await organiser.send("/annulla")
    await organiser.wait_for("Operazione annullata")
    assert await bot.services.broadcasts_store.with_status("scheduled", "sending", "done") == []


async def test_invitations_make_facilitators(api: FakeBotApi, bot: BotHarness) -> None:
    organiser = api.user(ORGANISER, "Org")
    await organiser.send("/invita_facilitatore")
    await answer(organiser, "Di quale Zona", "7 · Ciriacese")
    invite = await organiser.wait_for("Invito per facilitare")
    link = next(word for word in invite.content.split() if "start=inv_" in word)
    payload = link.split("start=")[1]
    newcomer = api.user(5601, "Nuova", language_code="en")
    await newcomer.send(f"/start {payload}")
    await newcomer.wait_for("You are now facilitator of zone 7")
    assert await bot.services.roles.facilitator_zones(5601) == {7}
    menu = api.get_commands({"type": "chat", "chat_id": 5601}, language_code="en")
    assert "broadcast" in [c["command"] for c in menu]
    other = api.user(5602, "Altro")
    await other.send(f"/start {payload}")  # one-time
    await other.wait_for("non è valido")
    await other.send("/start inv_forgedtoken123")
    await other.wait_for("non è valido")
    assert await bot.services.roles.facilitator_zones(5602) == set()
    # revoke an unused invitation, then expiry after 7 days
    await organiser.send("/invita_facilitatore")
    await answer(organiser, "Di quale Zona", "8 · Canavese")
    revocable = await organiser.wait_for("Invito per facilitare")
    await organiser.press("Revoca", message=revocable)
    await organiser.wait_for("Invito revocato")
    revoked = next(w for w in revocable.content.split() if "start=inv_" in w).split("start=")[1]
    await other.send(f"/start {revoked}")
    await other.wait_for("non è valido")
    await organiser.send("/invita_facilitatore")
    await answer(organiser, "Di quale Zona", "8 · Canavese")
    expiring = await organiser.wait_for("Invito per facilitare")
    stale = next(w for w in expiring.content.split() if "start=inv_" in w).split("start=")[1]
    bot.clock.advance(dt.timedelta(days=7, minutes=1))
    await other.send(f"/start {stale}")
    await other.wait_for("non è valido")
    # the staff list and removal
    await organiser.send("/staff")
    member = await organiser.wait_for("👤 Nuova (id 5601): facilitatore")  # by name
    await organiser.press("Rimuovi", message=member)
    await organiser.wait_for("Ruolo rimosso")
    assert await bot.services.roles.facilitator_zones(5601) == set()
    # participants cannot use staff commands
    await newcomer.send("/invite_facilitator")
    await newcomer.wait_for("for organisers only")
    query = await newcomer.press_data("o|inv|f|3", message=newcomer.last)
    assert "organisers only" in ((await newcomer.callback_answer(query)).text or "")


async def test_what_the_organiser_cannot_get_is_logged(
    api: FakeBotApi, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """The progress message and the report are courtesies: when the organiser cannot get
    them the broadcast goes on, and the log says what failed (it said nothing)."""
    caplog.set_level(logging.WARNING, logger="bot.broadcasts.flows")
    people = [await registered(bot, api, 5600 + i) for i in range(2)]
    organiser = api.user(ORGANISER, "Org")
    await compose(organiser)
    confirm = await organiser.wait_for("Lo invio a")
    api.fail_next("sendMessage", error_code=400, chat_id=ORGANISER)  # the progress message
    await organiser.press("Invia ora", message=confirm)
    await organiser.wait_for("avviato")
    await bot.drain()
    assert all(copies(person) == ["Attenzione: cambio di sala alle 10:10!"] for person in people)
    await organiser.wait_for("completato")  # the report still comes
    # the next one: the organiser blocks the bot once it has started
    await compose(organiser)
    await answer(organiser, "Lo invio a", "Invia ora")
    await organiser.wait_for("avviato")
    api.fail_next("editMessageText", error_code=403, chat_id=ORGANISER)
    api.block_user(ORGANISER)
    await bot.drain()
    assert all(len(copies(person)) == 2 for person in people)
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0].startswith("broadcast 1: the progress message could not be sent: ")
    assert "DeliveryFailed" in lines[0]
    assert lines[1].startswith("broadcast 2: the progress message could not be updated: Blocked")
    assert lines[2].startswith("broadcast 2: the report could not be sent: Blocked at ")
    assert len(lines) == 3
