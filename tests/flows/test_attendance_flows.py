"""Attendance through the flows: the desk check-in link (``/start ci_<venue>``) with each of
its clear answers, and /presenze for referents and organisers — the search by name and the
CheckinButton, re-checked on every press."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.attendance.flows import MIN_QUERY, CheckinButton
from bot.staff.roles import REFERENT
from config.event import AttendanceMode
from storage.registrations import Registration
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    CARLA,
    EMMA,
    EVENT_DAY,
    STAFF,
    Domain,
    data_of,
    labels,
    person,
    question,
    started,
    texts,
)
from tests.harness import BEFORE_COPLANNING, config_with

RITA = person(9100, "Rita", "Referente")  # referent of the Pinerolo venue
PINEROLO = "Comune di Pinerolo"
TITLE = "Dalle strategie alle azioni - evento di co-pianificazione"


@pytest.fixture
async def day(tmp_path: Path) -> AsyncIterator[Domain]:
    """The co-planning day at 9:00, Rita referent at Pinerolo (two places there)."""
    async with started(tmp_path, now=EVENT_DAY, config=config_with(pinerolo=2)) as domain:
        await domain.services.roles.store.grant(
            RITA.user_id, REFERENT, "pinerolo", STAFF.user_id, EVENT_DAY
        )
        yield domain


async def present(domain: Domain, registration: Registration) -> dt.datetime | None:
    attendee = await domain.flows.attendance.store.get(registration.id)
    assert attendee is not None
    return attendee.checked_in_at


# --- the desk ---------------------------------------------------------------------------------
async def test_checking_in_at_the_desk(day: Domain) -> None:
    anna = await day.register(ANNA)
    (text,) = texts(await day.flows.attendance.desk(ANNA, "pinerolo"))
    assert text == day.t(
        "it", "checkin.done", name="Anna Rossi", venue=PINEROLO, time="9:00", zone="5 · Pinerolese"
    )
    assert await present(day, anna) == day.clock.now()


async def test_checking_in_twice_repeats_the_first_time(day: Domain) -> None:
    await day.register(ANNA)
    await day.flows.attendance.desk(ANNA, "pinerolo")
    day.clock.advance(dt.timedelta(minutes=10))
    (text,) = texts(await day.flows.attendance.desk(ANNA, "pinerolo"))
    assert text == day.t("it", "checkin.already", time="9:00")


async def test_a_link_to_an_unknown_or_another_desk(day: Domain) -> None:
    await day.register(ANNA)
    unknown = await day.flows.attendance.desk(ANNA, "nowhere")
    assert texts(unknown) == [day.t("it", "checkin.unknown_link")]
    (text,) = texts(await day.flows.attendance.desk(ANNA, "cirie"))
    cirie = "Comune di Ciriè - Palazzo D'Oria"
    assert text == day.t("it", "checkin.wrong_venue", registered=PINEROLO, venue=cirie)


async def test_not_registered_or_registered_online(day: Domain) -> None:
    await day.register(EMMA, mode=AttendanceMode.ONLINE)
    assert texts(await day.flows.attendance.desk(ANNA, "pinerolo")) == [
        day.t("it", "checkin.not_registered", event=TITLE)
    ]
    (online,) = texts(await day.flows.attendance.desk(EMMA, "pinerolo"))
    english = "From strategies to actions - co-planning event"
    assert online == day.t("en", "checkin.online", event=english)


async def test_on_the_waiting_list_ask_the_desk(day: Domain) -> None:
    await day.register(BRUNO)
    await day.register(CARLA)
    waiting = await day.register(ANNA)
    (text,) = texts(await day.flows.attendance.desk(ANNA, "pinerolo"))
    assert text == day.t("it", "checkin.waitlisted", venue=PINEROLO, position=1)
    assert await present(day, waiting) is None


async def test_too_early_and_closed(day: Domain) -> None:
    await day.register(ANNA)
    day.clock.set(EVENT_DAY.replace(hour=7))
    (early,) = texts(await day.flows.attendance.desk(ANNA, "pinerolo"))
    assert early == day.t("it", "checkin.too_early", event=TITLE, venue=PINEROLO, time="7:15")
    day.clock.set(EVENT_DAY.replace(hour=13, minute=30))
    (closed,) = texts(await day.flows.attendance.desk(ANNA, "pinerolo"))
    assert closed == day.t("it", "checkin.closed", event=TITLE, venue=PINEROLO)


async def test_another_day_says_when_check_in_opens(day: Domain) -> None:
    await day.register(ANNA)
    day.clock.set(BEFORE_COPLANNING)
    (text,) = texts(await day.flows.attendance.desk(ANNA, "pinerolo"))
    assert text == day.t(
        "it",
        "checkin.wrong_day",
        venue=PINEROLO,
        event=TITLE,
        date="martedì 5 dicembre 2023",
        time="7:15",
    )


# --- /presenze --------------------------------------------------------------------------------
async def test_presenze_is_for_referents_and_organisers(day: Domain) -> None:
    assert texts(await day.flows.attendance.start(ANNA)) == [day.t("it", "checkin.staff_only")]
    assert await day.conversation(ANNA) is None


async def test_a_referent_of_one_venue_is_asked_for_names(day: Domain) -> None:
    await day.register(ANNA)
    out = await day.flows.attendance.start(RITA)
    assert question(out).text == day.t(
        "it", "checkin.ask_name", venue=PINEROLO, event=TITLE, present=0, expected=1, min=2
    )
    assert await day.step(RITA) == "name"


async def test_an_organiser_chooses_the_venue_first(day: Domain) -> None:
    out = await day.flows.attendance.start(STAFF)
    assert question(out).text == day.t("it", "checkin.ask_venue")
    assert len(labels(out)) == 6  # the venues of the zone tables
    out = await day.press(STAFF, out, PINEROLO)
    assert question(out).text.startswith(f"<b>{PINEROLO}</b>")


async def test_searching_a_name_and_marking_present(day: Domain) -> None:
    anna = await day.register(ANNA)
    await day.register(BRUNO)
    await day.flows.attendance.start(RITA)
    out = await day.say(RITA, "ross")
    assert question(out).text == day.t("it", "checkin.matches", typed="ross", found=1, shown=1)
    button = CheckinButton.unpack(data_of(out, "Anna Rossi · 5 · Pinerolese"))
    assert button == CheckinButton("m", anna.id)
    marked = await day.flows.attendance.button(RITA, button)
    params = {"name": "Anna Rossi", "zone": "5 · Pinerolese", "time": "9:00"}
    assert marked.toast == day.t("it", "checkin.marked_toast") and not marked.close_keyboard
    assert texts(marked) == [day.t("it", "checkin.marked", **params)]
    assert await present(day, anna) == day.clock.now()
    again = await day.flows.attendance.button(RITA, button)
    assert again.toast == day.t("it", "checkin.was_present", **params) and again.replies == []
    out = await day.say(RITA, "anna")
    assert labels(out) == ["✅ Anna Rossi · 5 · Pinerolese"]


async def test_a_typed_name_with_the_command_searches_at_once(day: Domain) -> None:
    await day.register(ANNA)
    out = await day.flows.attendance.start(RITA, "Anna")
    assert labels(out) == ["Anna Rossi · 5 · Pinerolese"]


async def test_too_short_or_no_match(day: Domain) -> None:
    await day.register(ANNA)
    await day.flows.attendance.start(RITA)
    assert texts(await day.say(RITA, "a")) == [day.t("it", "checkin.too_short", min=MIN_QUERY)]
    assert texts(await day.say(RITA, "Zanetti")) == [
        day.t("it", "checkin.no_match", typed="Zanetti", venue=PINEROLO)
    ]
    assert await day.step(RITA) == "name"  # the conversation stays for the next name


async def test_a_forged_checkin_button_changes_nothing(day: Domain) -> None:
    elsewhere = await day.register(ANNA, zone=7)  # Ciriè, not Rita's venue
    invalid = day.t("it", "button.invalid")
    for button in (CheckinButton("m", elsewhere.id), CheckinButton("x", elsewhere.id), None):
        assert (await day.flows.attendance.button(RITA, button)).alert == invalid
    outsider = await day.flows.attendance.button(BRUNO, CheckinButton("m", elsewhere.id))
    assert outsider.alert == day.t("it", "checkin.staff_only")
    assert await present(day, elsewhere) is None


async def test_a_checkin_button_on_another_day(day: Domain) -> None:
    anna = await day.register(ANNA)
    day.clock.set(BEFORE_COPLANNING)
    assert texts(await day.flows.attendance.start(RITA)) == [day.t("it", "checkin.no_event_today")]
    out = await day.flows.attendance.button(RITA, CheckinButton("m", anna.id))
    assert out.alert == day.t("it", "checkin.not_today")
    assert await present(day, anna) is None
