"""Attendance check-in end to end: the desk QR link and /presenze, through the fake Bot API."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.attendance.flows import checkin_payload, checkin_window, event_today
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from storage.registrations import Registration
from tests.harness import BotHarness, at, config_with, register_directly

ORGANISER = 9200
REFERENT = 9201
EVENT = "copianificazione-2023"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    # Three places in Pinerolo, so that the fourth in-person registration is waitlisted.
    async with BotHarness(
        api, tmp_path, organisers=[ORGANISER], config=config_with(pinerolo=3)
    ) as harness:
        yield harness


async def registered(
    bot: BotHarness,
    api: FakeBotApi,
    user_id: int,
    name: str,
    zone: int = 5,
    mode: str = "in_person",
    language: str = "it",
) -> tuple[FakeUser, Registration]:
    """A participant registered directly in storage (the chat path has its own tests)."""
    user = api.user(user_id, name, language_code=language)
    registration = await register_directly(
        bot.services, user_id, name, zone=zone, mode=mode, language=language, waitlist=True
    )
    return user, registration


async def desk(user: FakeUser, venue: str) -> str:
    """The participant opens a venue's check-in link; returns the bot's answer."""
    await user.send(f"/start {checkin_payload(venue)}")
    return (await user.next_message()).content


@pytest.fixture
async def people(api: FakeBotApi, bot: BotHarness) -> dict[str, tuple[FakeUser, Registration]]:
    """Registered two weeks before: three in Pinerolo, one on its waiting list, one online..."""
    return {
        "anna": await registered(bot, api, 4001, "Anna Bianchi"),
        "bruno": await registered(bot, api, 4002, "Bruno Rossi"),
        "nicolo": await registered(bot, api, 4006, "Niccolò Brunetti", language="en"),
        "carla": await registered(bot, api, 4003, "Carla Verdi"),  # waitlisted
        "dario": await registered(bot, api, 4004, "Dario Neri", zone=1, mode="online"),
        "elena": await registered(bot, api, 4005, "Elena Galli", zone=9),  # Strambino
    }


def test_window_and_event_of_the_day() -> None:
    config = config_with()
    event = config.event(EVENT)
    opens, closes = checkin_window(config, event)
    assert (opens, closes) == (at(5, 7, 15), at(5, 13, 0))  # 2 h before 9:15, end 13:00
    assert event_today(config, "pinerolo", at(5, 9, 0)) == event
    assert event_today(config, "pinerolo", at(4, 9, 0)) is None
    assert event_today(config, "cmt-auditorium", at(5, 9, 0)) is None  # 27 Sep only
    assert len(checkin_payload("riva")) <= 64


async def test_desk_answers_every_case(
    api: FakeBotApi, bot: BotHarness, people: dict[str, tuple[FakeUser, Registration]]
) -> None:
    anna, registration = people["anna"]
    assert people["carla"][1].status.value == "waitlisted"

    bot.clock.set(at(4, 10, 0))  # the day before
    answer = await desk(anna, "pinerolo")
    assert "Oggi non ci sono incontri" in answer
    assert "martedì 5 dicembre 2023 dalle 7:15" in answer

    bot.clock.set(at(5, 7, 0))  # the day, too early
    assert "apre oggi alle 7:15" in await desk(anna, "pinerolo")

    bot.clock.set(at(5, 9, 15))
    assert "non è valido" in await desk(anna, "nowhere")
    assert "Non ci sono incontri in programma" in await desk(anna, "cmt-auditorium")
    outsider = api.user(4099, "Fabio")
    assert "Non risulti iscritto/a" in await desk(outsider, "pinerolo")
    online = await desk(people["dario"][0], "cmt")
    assert "online" in online and "banco è per chi partecipa in presenza" in online
    wrong = await desk(people["elena"][0], "pinerolo")
    assert "Sei iscritto/a a Comune di Strambino" in wrong
    assert "questo banco è di Comune di Pinerolo" in wrong
    waiting = await desk(people["carla"][0], "pinerolo")
    assert "lista d'attesa" in waiting and "posizione 1" in waiting

    done = await desk(anna, "pinerolo")
    assert "✅ Benvenuto/a, Anna Bianchi" in done and "alle 9:15" in done
    assert "zona 5 · Pinerolese" in done
    bot.clock.set(at(5, 9, 40))
    assert "già registrata alle 9:15" in await desk(anna, "pinerolo")  # the first time is kept

    english = await desk(people["nicolo"][0], "pinerolo")
    assert "Welcome, Niccolò Brunetti" in english and "at 9:40" in english

    bot.clock.set(at(5, 13, 0))
    assert "è terminato" in await desk(people["bruno"][0], "pinerolo")

    attendee = await bot.services.db.fetchone(
        "SELECT checked_in_at, checked_in_by FROM registrations WHERE id = ?", (registration.id,)
    )
    assert attendee is not None and attendee["checked_in_by"] == 4001
    assert dt.datetime.fromisoformat(attendee["checked_in_at"]) == at(5, 9, 15)
    present = await bot.services.db.fetchone(
        "SELECT COUNT(*) FROM registrations WHERE checked_in_at IS NOT NULL"
    )
    assert present is not None and present[0] == 2  # Anna and Niccolò; nobody else


async def test_desk_link_works_in_the_middle_of_a_registration(
    api: FakeBotApi, bot: BotHarness, people: dict[str, tuple[FakeUser, Registration]]
) -> None:
    anna, _ = people["anna"]
    bot.clock.set(at(5, 9, 0))
    await anna.send("/cancella_dati")  # a conversation is open
    await anna.wait_for("cancellare")
    assert "✅ Benvenuto/a" in await desk(anna, "pinerolo")


async def test_referent_marks_people_present(
    api: FakeBotApi, bot: BotHarness, people: dict[str, tuple[FakeUser, Registration]]
) -> None:
    bot.clock.set(at(5, 9, 30))
    await bot.services.roles.store.grant(REFERENT, "referent", "pinerolo", None, bot.clock.now())
    referent = api.user(REFERENT, "Rita")

    await referent.send("/presenze")
    question = await referent.wait_for("Comune di Pinerolo")
    assert "Presenti finora: 0 (iscritti confermati: 3)" in question.content

    await referent.send("b")
    await referent.wait_for("almeno 2 lettere")
    await referent.send("zzz")
    await referent.wait_for("Nessun iscritto in presenza")
    await referent.send("bru")  # Bruno Rossi and Niccolò Brunetti
    found = await referent.wait_for("Risultati per «bru»: 2")
    assert sorted(found.button_texts) == [
        "Bruno Rossi · 5 · Pinerolese",
        "Niccolò Brunetti · 5 · Pinerolese",
    ]
    query = await referent.press("Bruno Rossi", message=found)
    assert (await referent.callback_answer(query)).text == "✅ Presenza registrata"
    marked = await referent.wait_for("presenza registrata alle 9:30")
    assert "Bruno Rossi (5 · Pinerolese)" in marked.content
    query = await referent.press("Bruno Rossi", message=found)  # a second tap changes nothing
    assert (await referent.callback_answer(query)).text == "Già presente dalle 9:30."

    await referent.send("NICCOLO")  # accents and case do not matter
    found = await referent.wait_for("Risultati per «NICCOLO»: 1")
    assert found.button_texts == ["Niccolò Brunetti · 5 · Pinerolese"]
    await referent.send("verdi")  # the waiting list is shown, and the desk may let them in
    found = await referent.wait_for("Risultati per «verdi»: 1")
    assert found.button_texts == ["⏳ Carla Verdi · 5 · Pinerolese"]
    await referent.send("rossi")
    found = await referent.wait_for("Risultati per «rossi»: 1")
    assert found.button_texts == ["✅ Bruno Rossi · 5 · Pinerolese"]
    await referent.send("galli")  # Elena is in Strambino: not on this desk's list
    await referent.wait_for("Nessun iscritto in presenza")

    # Forged buttons: another venue's registration, nonsense, someone without the role.
    elena = people["elena"][1]
    query = await referent.press_data(f"ci|m|{elena.id}", message=found)
    assert (await referent.callback_answer(query)).text == "Pulsante non valido."
    query = await referent.press_data("ci|m|x' OR 1=1", message=found)
    assert (await referent.callback_answer(query)).show_alert
    anna, _ = people["anna"]
    await anna.send("/presenze")
    await anna.wait_for("riservato ai referenti di sede e agli organizzatori")
    query = await anna.press_data(f"ci|m|{people['anna'][1].id}", message=anna.last)
    answer = await anna.callback_answer(query)
    assert answer.show_alert and "riservato ai referenti" in (answer.text or "")

    await referent.settle()
    rows = await bot.services.db.fetchall(
        "SELECT id, checked_in_by FROM registrations WHERE checked_in_at IS NOT NULL"
    )
    assert [(row["id"], row["checked_in_by"]) for row in rows] == [
        (people["bruno"][1].id, REFERENT)
    ]

    # The next day the same button is refused; a removed referent too.
    bot.clock.set(at(6, 9, 0))
    carla = people["carla"][1]
    query = await referent.press_data(f"ci|m|{carla.id}", message=found)
    assert "non è per l'incontro di oggi" in ((await referent.callback_answer(query)).text or "")
    await referent.send("carla")
    await referent.wait_for("Oggi non ci sono incontri nella tua sede")
    bot.clock.set(at(5, 10, 0))
    await bot.services.roles.store.revoke(REFERENT, "referent", "pinerolo")
    query = await referent.press_data(f"ci|m|{carla.id}", message=found)
    assert "riservato ai referenti" in ((await referent.callback_answer(query)).text or "")


async def test_organiser_picks_the_venue(
    api: FakeBotApi, bot: BotHarness, people: dict[str, tuple[FakeUser, Registration]]
) -> None:
    organiser = api.user(ORGANISER, "Olga", language_code="en")
    bot.clock.set(at(11, 20, 9))
    await organiser.send("/checkin")
    await organiser.wait_for("no meeting at your venue(s) today")

    bot.clock.set(at(5, 10, 5))
    await organiser.send("/checkin")
    pick = await organiser.wait_for("Which venue")
    assert len(pick.button_texts) == 6  # the six venues of the co-planning day
    await organiser.press("Strambino", message=pick)
    await organiser.wait_for("Present so far: 0 (confirmed registrations: 1)")
    await organiser.send("elena")
    found = await organiser.wait_for("Results for “elena”: 1")
    await organiser.press("Elena Galli", message=found)
    await organiser.wait_for("Elena Galli (9 · Eporediese): checked in at 10:05")
    await organiser.send("/cancel")  # ends the search
    await organiser.wait_for(lambda m: True)
    await organiser.send("elena")
    await organiser.wait_for(lambda m: "Results" not in m.content)

    # A referent of one venue goes straight to the names; "/presenze name" searches at once.
    await bot.services.roles.store.grant(REFERENT, "referent", "pinerolo", None, bot.clock.now())
    referent = api.user(REFERENT, "Rita")
    await referent.send("/presenze anna")
    found = await referent.wait_for("Presenti finora: 0")  # the count and the results, as one
    assert "Risultati per «anna»: 1" in found.content
    assert found.button_texts == ["Anna Bianchi · 5 · Pinerolese"]
