"""The sandbox's crowd (bot/sandbox/crowd.py) with the real Application on the local server:
simulated participants register through the chat, answer the priority poll of their zone
and contribute to the session-2 worksheets; a seed gives the same crowd; stop cancels."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.crowd import FIRST_NAMES, LAST_NAMES, Crowd
from tests.harness import BEFORE_COPLANNING, ROME, BotHarness

ORGANISER = 9000
FAC5 = 9105
EVENT = "copianificazione-2023"
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)
SESSION_2 = dt.datetime(2023, 12, 5, 10, 30, tzinfo=ROME)


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=BEFORE_COPLANNING, organisers=[ORGANISER]) as harness:
        yield harness


async def eventually(check: object, seconds: float = 20.0) -> None:
    """Wait until the awaitable-returning ``check()`` is true."""
    assert callable(check)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_a_crowd_registers_votes_and_contributes(api: FakeBotApi, bot: BotHarness) -> None:
    crowd = Crowd(api, bot.services, random.Random(5))
    assert await crowd.add(5, 6) == 6
    registrations = [
        r for m in crowd.members for r in await bot.services.registrations.active_for_user(m.id)
    ]
    assert len(registrations) == 6 and {r.zone for r in registrations} == {5}
    assert {r.event_id for r in registrations} == {EVENT}
    names = [r.display_name or "" for r in registrations]
    assert all(n.split()[0] in FIRST_NAMES and n.split()[-1] in LAST_NAMES for n in names)
    in_person = [r for r in registrations if r.mode == "in_person"]
    assert in_person, "most of the crowd is at the table"
    # each got the confirmation with the calendar file, as a person would
    await bot.drain()
    assert all(any(m.document is not None for m in u.messages) for u in crowd.members)

    # Session 1: the facilitator opens the poll; the crowd at the table answers it.
    bot.clock.set(SESSION_1)
    await bot.services.roles.store.grant(FAC5, "facilitator", "5", ORGANISER, SESSION_1)
    staff = api.user(FAC5, "Facilitatore")
    await staff.send("/sondaggio")
    panel = await staff.wait_for("Iscritti in presenza")
    await staff.press("Apri il sondaggio", message=panel)
    await staff.wait_for("Sondaggio aperto")
    await bot.drain()
    poll = (await bot.services.polls.open_polls(EVENT, 5))[0]

    async def everyone_voted() -> bool:
        rows = await bot.services.polls.store.answer_rows(poll.id)
        return len({row[0] for row in rows}) == len(in_person)

    await eventually(everyone_voted)
    rows = await bot.services.polls.store.answer_rows(poll.id)
    per_person: dict[int, int] = {}
    for registration, _, _ in rows:
        per_person[registration] = per_person.get(registration, 0) + 1
    assert all(1 <= n <= 3 for n in per_person.values())

    # Session 2: the notice comes; each at the table sends one or two contributions.
    await api.settle(0.05)
    bot.clock.set(SESSION_2)
    await bot.services.tick()
    await bot.drain()
    store = bot.services.worksheets.store

    async def contributed() -> bool:
        sheets = await store.worksheets(EVENT, None, active_only=False)
        items = await store.items([s.id for s in sheets], include_withdrawn=True)
        authors = {i.registration_id for i in items}
        return len(authors) >= len(in_person)

    await eventually(contributed, 30.0)
    sheets = await store.worksheets(EVENT, None, active_only=False)
    items = await store.items([s.id for s in sheets], include_withdrawn=True)
    assert all(i.kind == "text" and i.text for i in items)
    assert len(items) <= 2 * len(registrations)

    assert len(crowd.tasks) == 6  # each still waiting for what comes next
    await crowd.stop()
    assert not crowd.tasks and not crowd.members


async def test_bad_input_and_the_seed(api: FakeBotApi, bot: BotHarness) -> None:
    crowd = Crowd(api, bot.services, random.Random(1))
    with pytest.raises(ValueError, match="zone"):
        await crowd.add(99, 3)
    with pytest.raises(ValueError, match="count"):
        await crowd.add(5, 0)
    with pytest.raises(ValueError, match="count"):
        await crowd.add(5, 10_000)
    first = [crowd._new_member().first_name for _ in range(5)]
    again = Crowd(api, bot.services, random.Random(1))
    assert [again._new_member().first_name for _ in range(5)] == first
    await crowd.stop()
    await again.stop()
