"""Erasure leaves nothing that identifies the person, in any table (issue 10, item 2).

After /cancella_dati, ``registrations.checked_in_by`` still held the participant's own id
(self check-in), and a facilitator kept their role and ``invites.used_by``. Here a
participant, a facilitator (also venue referent) and an organiser use the bot the way the
co-planning day goes — registration, language, desk check-in, a poll answer, an invitation,
a link set, a poll opened, counts entered, a quick question left half-way, broadcasts sent
and scheduled, /link, a check-in at the desk — then erase their data; every column of every
table is then searched for their Telegram ids (as numbers and as text) and their names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.attendance.flows import checkin_payload
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from storage.registrations import NewRegistration
from tests.harness import ROME, BotHarness, answer, register

EVENT = "copianificazione-2023"
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)  # a table session is on
BEFORE_CLOSING = dt.datetime(2023, 12, 5, 12, 6, tzinfo=ROME)  # the closing plenary's link
LINK = "https://meet.example.org/psm-chiusura"

# Long, distinctive ids and names, so that a match cannot be a coincidence.
PARTICIPANT, FACILITATOR, ORGANISER = 987_654_321, 876_543_219, 765_432_198
NAMES = {
    PARTICIPANT: ("Zenobia", "Quarantotto"),
    FACILITATOR: ("Ottavio", "Zampanò"),
    ORGANISER: ("Ermenegilda", "Scafandro"),
}


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=SESSION_1, organisers=[ORGANISER]) as harness:
        yield harness


def person(api: FakeBotApi, user_id: int) -> FakeUser:
    first, last = NAMES[user_id]
    return api.user(user_id, first, last_name=last)


async def traces(bot: BotHarness, user_id: int) -> list[str]:
    """Every (table.column = value) that holds the id, as a number or in text, or a name."""
    id_text = re.compile(rf"(?<!\d){user_id}(?!\d)")
    names = [part.casefold() for part in NAMES[user_id]]
    db = bot.services.db
    tables = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: list[str] = []
    assert len(tables) >= 15
    for (table,) in tables:
        for row in await db.fetchall(f"SELECT * FROM {table}"):
            for column in row.keys():  # noqa: SIM118 (sqlite3.Row)
                value = row[column]
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                hit = (
                    value == user_id
                    if isinstance(value, int)
                    else isinstance(value, str)
                    and (bool(id_text.search(value)) or any(n in value.casefold() for n in names))
                )
                if hit:
                    found.append(f"{table}.{column} = {value!r}")
    return found


async def erase(user: FakeUser, *expected: str, english: bool = False) -> str:
    """/cancella_dati and confirm; returns what the bot answered (in place of the question)."""
    await user.send("/delete_my_data" if english else "/cancella_dati")
    question = await user.wait_for(
        "erase all your personal data" if english else "Vuoi cancellare tutti i tuoi dati"
    )
    for text in expected:
        assert text in question.content, question.content
    await user.press("Yes, erase" if english else "Sì, cancella", message=question)
    done = await user.wait_for(
        "has been erased" if english else "dati personali sono stati cancellati"
    )
    return done.content


async def test_erasure_leaves_no_trace_of_anyone(api: FakeBotApi, bot: BotHarness) -> None:
    s = bot.services
    organiser, facilitator, participant = (
        person(api, ORGANISER),
        person(api, FACILITATOR),
        person(api, PARTICIPANT),
    )
    # Bruno (stays): registered in person in zone 5, checked in at the desk by the referent
    bruno = api.user(3601, "Bruno", last_name="Rossi")
    await s.registrations.create(
        NewRegistration(EVENT, 3601, "Bruno Rossi", 5, "in_person", "pinerolo", None, None, "it"),
        None,
        SESSION_1,
    )

    # The participant registers in the chat, picks English, checks in at the desk.
    await register(participant)  # zone 5, in person at Pinerolo, "Usa «Zenobia Quarantotto»"
    await participant.send("/lingua")
    await answer(participant, "Scegli la lingua", "English")
    await participant.wait_for("Language set")
    await participant.send(f"/start {checkin_payload('pinerolo')}")
    await participant.wait_for("Welcome, Zenobia Quarantotto")
    checked = await s.db.fetchone(
        "SELECT checked_in_by FROM registrations WHERE user_id = ?", (PARTICIPANT,)
    )
    assert checked is not None and checked[0] == PARTICIPANT  # a self check-in

    # The organiser invites the facilitator (zone 5) and makes them referent of Pinerolo.
    for command, pick, role in (
        ("/invita_facilitatore", "5 · Pinerolese", "Invito per facilitare"),
        ("/invita_referente", "Comune di Pinerolo", "Invito come referente"),
    ):
        await organiser.send(command)
        await answer(organiser, "Di quale", pick)
        invite = await organiser.wait_for(role)
        link = next(word for word in invite.content.split() if "start=inv_" in word)
        await facilitator.send(f"/start {link.split('start=')[1]}")
        await facilitator.wait_for("Ora sei")
    await organiser.send("/invita_facilitatore")  # one still open when the organiser erases
    await answer(organiser, "Di quale", "9 · Eporediese")
    await organiser.wait_for("Invito per facilitare")
    # ... and sets the online link from the chat
    await organiser.send("/imposta_link")
    await answer(organiser, "Per quale incontro", "Dalle strategie")
    await answer(organiser, "per quale sessione", "Tutte le sessioni")
    await organiser.wait_for("Mandami il link")
    await organiser.send(LINK)
    await organiser.wait_for("Link salvato")

    # The facilitator also registers (online), opens the poll, the participant answers.
    await register(facilitator, zone="5 · Pinerolese", mode="Online")
    facilitator_registration = await s.registrations.active(EVENT, FACILITATOR)
    assert facilitator_registration is not None
    await s.links.store.set_personal(
        {facilitator_registration.id: "https://meet.example.org/personal-ottavio"}, SESSION_1
    )
    await facilitator.send("/sondaggio")
    panel = await facilitator.wait_for("Iscritti in presenza")
    await facilitator.press("Apri il sondaggio", message=panel)
    await facilitator.wait_for("Sondaggio aperto")
    await bot.drain()
    ballot = await participant.wait_for("priorities for your zone")
    for label in ("Health", "Confirm"):
        await participant.callback_answer(await participant.press(label, message=ballot))
    # counts by hand
    await facilitator.send("/conteggi")
    counts = await facilitator.wait_for("Conteggi a mano")
    await facilitator.press("Salute", message=counts)
    await answer(facilitator, "per quale posizione", "1ª")
    await facilitator.wait_for("Quante persone hanno scelto")
    await facilitator.send("3")
    await facilitator.wait_for("Conteggio salvato")
    # a broadcast sent now (progress and report in their chat) and one scheduled for tonight
    for when in (None, "05/12 18:00"):
        await facilitator.send("/messaggio")
        await facilitator.wait_for("Mandami il messaggio")
        await facilitator.send("Ci vediamo al tavolo 5!")
        await answer(facilitator, "quale incontro", "Dalle strategie")
        confirm = await facilitator.wait_for("Lo invio a")
        if when is None:
            await facilitator.press("Invia ora", message=confirm)
            await facilitator.wait_for("avviato")
        else:
            await facilitator.press("Programma", message=confirm)
            await facilitator.wait_for("Quando lo invio")
            await facilitator.send(when)
            await answer(facilitator, "Lo invierò il", "Conferma")
            await facilitator.wait_for("programmato")
    await bot.drain()
    await facilitator.wait_for("completato")
    # the referent marks Bruno present at the desk
    await facilitator.send("/presenze rossi")
    found = await facilitator.wait_for("Risultati per «rossi»: 1")
    await facilitator.press("Bruno Rossi", message=found)
    await facilitator.wait_for("presenza registrata alle")
    await facilitator.send("/annulla")
    await facilitator.wait_for("annullat")
    # a quick question left half-way (a poll draft)
    await facilitator.send("/sondaggio")
    panel = await facilitator.wait_for("Iscritti in presenza")
    await facilitator.press("Domanda rapida", message=panel)
    await facilitator.wait_for("Domanda rapida per la Zona 5")
    # the closing plenary's link by /link
    await bot.at(BEFORE_CLOSING)
    await facilitator.send("/link")
    await facilitator.wait_for("personal-ottavio")
    for user_id in NAMES:
        assert await traces(bot, user_id), user_id  # the walk does find them before

    # The participant erases: nothing of theirs is left, their answer still counts.
    poll_answers = await s.db.fetchall("SELECT * FROM poll_answers")
    await erase(participant, english=True)
    assert await traces(bot, PARTICIPANT) == []
    assert len(await s.db.fetchall("SELECT * FROM poll_answers")) == len(poll_answers)
    erased = await s.db.fetchone(
        "SELECT status, zone, venue_id, checked_in_at, checked_in_by FROM registrations "
        "WHERE user_id IS NULL AND display_name IS NULL"
    )
    assert erased is not None and tuple(erased)[:3] == ("erased", 5, "pinerolo")
    assert erased["checked_in_at"] is not None and erased["checked_in_by"] is None

    # The facilitator erases: the question says their roles end; they do, and the menu too.
    done = await erase(
        facilitator,
        "Finiscono anche i tuoi ruoli",
        "facilitatore di 5 · Pinerolese",
        "referente di Comune di Pinerolo",
        "(1) verrà annullato",  # the scheduled broadcast
    )
    assert "I tuoi ruoli sono terminati" in done  # with the erasure, in one message
    assert await traces(bot, FACILITATOR) == []
    assert await s.roles.names(FACILITATOR) == set()
    assert api.get_commands({"type": "chat", "chat_id": FACILITATOR}) == []
    statuses = await s.db.fetchall("SELECT status FROM broadcasts ORDER BY id")
    assert [row[0] for row in statuses] == ["done", "cancelled"]
    bruno_row = await s.db.fetchone(
        "SELECT checked_in_at, checked_in_by FROM registrations WHERE user_id = ?", (bruno.id,)
    )
    assert bruno_row is not None and bruno_row["checked_in_at"] is not None
    assert bruno_row["checked_in_by"] == 0  # checked in by someone whose data was erased
    used = await s.db.fetchone("SELECT COUNT(*) FROM invites WHERE used_by = 0")
    assert used is not None and used[0] == 2

    # The organiser erases: told the role stays (it is in the settings); data goes anyway.
    done = await erase(organiser, "ruolo di organizzatore/organizzatrice invece resta")
    assert "Resti organizzatore" in done
    assert await traces(bot, ORGANISER) == []
    assert s.roles.is_organiser(ORGANISER)
    open_invites = await s.roles.store.open_invites(bot.clock.now())
    assert [invite.created_by for invite in open_invites] == [0]  # still usable
    assert await s.links.shared(s.config.event(EVENT), "") == LINK
