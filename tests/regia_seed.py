"""Session 2 seeded straight into storage (no chat), for the regia's tests and benchmark:
registrations in person, a zone's priority poll answered and closed (so its worksheets are
made), contributions and a facilitator's report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.services import Services
from storage.registrations import NewRegistration
from storage.worksheets import NewContribution, Origin, Worksheet

ROME = ZoneInfo("Europe/Rome")
EVENT = "copianificazione-2023"
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)
SESSION_2 = dt.datetime(2023, 12, 5, 10, 40, tzinfo=ROME)
FACILITATOR = 9105


async def people(
    services: Services, zone: int, users: Sequence[int], mode: str = "in_person"
) -> list[int]:
    """Confirmed registrations of these Telegram users at ``zone``; their ids."""
    venue = services.config.zone(zone).venue if mode == "in_person" else None
    ids = []
    for user in users:
        new = NewRegistration(EVENT, user, f"P{user}", zone, mode, venue, None, None, "it")
        created = await services.registrations.create(new, None, SESSION_1)
        ids.append(created.id)
    return ids


async def closed_poll(
    services: Services, zone: int, registrations: Sequence[int], ballots: Sequence[Sequence[int]]
) -> list[Worksheet]:
    """Zone ``zone``'s priority poll, answered (positions, best first) and closed; its sheets."""
    event = services.config.event(EVENT)
    session = services.polls.session(event, SESSION_1)
    assert session is not None
    poll = await services.polls.open(event, zone, session, opened_by=FACILITATOR, max_choices=3)
    assert poll is not None
    for registration, picks in zip(registrations, ballots, strict=False):
        await services.polls.store.save_answer(poll.id, registration, list(picks), True, SESSION_1)
    await services.polls.close(poll, "facilitator")
    return await services.worksheets.worksheets(event, zone)


async def contribute(
    services: Services,
    sheet: Worksheet,
    section: str,
    text: str,
    *,
    registration: int | None = None,
    starred: bool = False,
    kind: str = "text",
    when: dt.datetime = SESSION_2,
) -> int:
    """A contribution (a participant's with ``registration``, else the facilitator's); its id."""
    origin = Origin.PARTICIPANT if registration is not None else Origin.FACILITATOR
    new = NewContribution(
        sheet.id,
        section,
        kind,
        text,
        origin,
        photo="PHOTO-FILE-ID" if kind == "photo" else None,
        registration_id=registration,
        added_by=None if registration is not None else FACILITATOR,
        starred=starred,
    )
    return (await services.worksheets.store.add(new, when)).id


async def report(
    services: Services,
    zone: int,
    texts: dict[tuple[int, str], str],
    *,
    submit: bool = True,
    when: dt.datetime = SESSION_2,
) -> None:
    """The zone's report with these texts by (worksheet id, section), submitted or not."""
    store = services.worksheets.store
    for (sheet, section), text in texts.items():
        await store.save_text(EVENT, zone, sheet, section, text, FACILITATOR, when)
    if submit:
        await store.submit(EVENT, zone, FACILITATOR, when)
