"""Session 2's foundation without Telegram: a zone's worksheets are made from its closed
priority poll (its top strategies, once), the facilitator adds or replaces one, and the
repository stores contributions once per confirming press and reports text by text."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from bot.kernel.clock import FakeClock
from bot.services import Services
from config.event import load_event_config
from config.settings import Settings
from storage.registrations import NewRegistration
from storage.worksheet_reports import NOTE
from storage.worksheets import NewContribution, Origin

ROME = ZoneInfo("Europe/Rome")
EVENT = "copianificazione-2023"
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)
SESSION_2 = dt.datetime(2023, 12, 5, 10, 35, tzinfo=ROME)
FACILITATOR = 9105
# Positions of the six bundled axes.
DIGITAL, GREEN, MOBILITY, SCHOOL, INCLUSION, HEALTH = range(6)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    """The domain on 5 Dec 2023 at session 1, with three participants in person at zone 5."""
    settings = Settings(
        bot_token=SecretStr("123456:TEST"),
        database=tmp_path / "sheets.sqlite3",
        organisers=[9000],
        _env_file=None,
    )
    running = await Services.start(settings, load_event_config(), FakeClock(SESSION_1))
    try:
        venue = running.config.zone(5).venue
        for user in (3001, 3002, 3003):
            new = NewRegistration(EVENT, user, "P", 5, "in_person", venue, None, None, "it")
            await running.registrations.create(new, None, SESSION_1)
        yield running
    finally:
        await running.close()


async def close_poll_with(services: Services, ballots: list[list[int]]) -> None:
    """Open zone 5's priority poll, store these answers (positions, best first), close it."""
    event = services.config.event(EVENT)
    session = services.polls.session(event, SESSION_1)
    assert session is not None
    poll = await services.polls.open(event, 5, session, opened_by=FACILITATOR, max_choices=3)
    assert poll is not None
    for user, picks in zip((3001, 3002, 3003), ballots, strict=False):
        registration = await services.registrations.active(EVENT, user)
        assert registration is not None
        await services.polls.store.save_answer(poll.id, registration.id, picks, True, SESSION_1)
    await services.polls.close(poll, "facilitator")


async def test_bundled_event_has_two_contribution_sessions_and_a_deadline(
    services: Services,
) -> None:
    event = services.config.event(EVENT)
    window = services.worksheets.window(event)
    assert window is not None
    assert (window.opens.hour, window.opens.minute) == (10, 30)
    assert (window.closes.hour, window.closes.minute) == (12, 10)
    assert not services.worksheets.is_open(event, SESSION_1)
    assert services.worksheets.is_open(event, SESSION_2)
    deadline = services.worksheets.deadline(event)
    assert deadline is not None and (deadline.hour, deadline.minute) == (12, 10)
    assert [s.id for s in services.worksheets.sections(event)] == [
        "declinazione",
        "progetti",
        "attori",
        "abilitanti",
        "precondizioni",
    ]
    lancio = services.config.event("lancio-2023")
    assert services.worksheets.window(lancio) is None


async def test_worksheets_are_the_top_strategies_of_the_closed_poll(services: Services) -> None:
    event = services.config.event(EVENT)
    assert await services.worksheets.worksheets(event, 5) == []  # no poll yet
    await close_poll_with(
        services, [[HEALTH, GREEN, DIGITAL], [HEALTH, GREEN, SCHOOL], [GREEN, MOBILITY]]
    )
    sheets = await services.worksheets.worksheets(event, 5)
    # points: green 2+2+3 = 7, health 3+3 = 6, mobility 2, digital 1, school 1
    assert [w.strategy for w in sheets] == ["2", "6", "3"]
    assert all(w.origin == Origin.POLL for w in sheets) and len(sheets) == 3
    again = await services.worksheets.worksheets(event, 5)
    assert [w.id for w in again] == [w.id for w in sheets]  # made once
    # the facilitator adds a fourth, then replaces the first
    added = await services.worksheets.add(event, 5, "5", FACILITATOR)
    assert added is not None and added.origin == Origin.FACILITATOR
    assert await services.worksheets.add(event, 5, "5", FACILITATOR) is None  # already there
    replaced = await services.worksheets.replace(sheets[0], "4", FACILITATOR)
    assert replaced is not None
    now = [w.strategy for w in await services.worksheets.worksheets(event, 5)]
    assert sheets[0].strategy not in now and "4" in now and len(now) == 4


async def test_a_contribution_is_stored_once_per_press_and_reports_text_by_text(
    services: Services,
) -> None:
    event = services.config.event(EVENT)
    await close_poll_with(services, [[HEALTH], [HEALTH], [GREEN]])
    sheet = (await services.worksheets.worksheets(event, 5))[0]
    store = services.worksheets.store
    registration = await services.registrations.active(EVENT, 3001)
    assert registration is not None
    new = NewContribution(
        sheet.id,
        "attori",
        "text",
        "Il GAL Escartons",
        Origin.PARTICIPANT,
        registration_id=registration.id,
        dedupe="3001:tok",
    )
    first = await store.add(new, SESSION_2)
    second = await store.add(new, SESSION_2)
    assert first.id == second.id and len(await store.items([sheet.id])) == 1
    assert [c.id for c in await store.by_registrations([registration.id])] == [first.id]
    report = await store.save_text(EVENT, 5, sheet.id, "attori", "GAL", FACILITATOR, SESSION_2)
    assert report.status == "draft" and report.texts == {(sheet.id, "attori"): "GAL"}
    report = await store.save_text(EVENT, 5, sheet.id, NOTE, "nota", FACILITATOR, SESSION_2)
    assert await store.submit(EVENT, 5, FACILITATOR, SESSION_2)
    assert not await store.submit(EVENT, 5, FACILITATOR, SESSION_2)
    stored = await store.report(EVENT, 5)
    assert stored is not None and stored.submitted and len(stored.texts) == 2
    counts = await store.zone_counts(EVENT)
    assert counts[5].contributions == 1 and counts[5].report == "submitted"
