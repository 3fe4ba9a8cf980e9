"""Issue 15 in the sandbox: the moderator persona, the clock's question moments, and the
crowd asking and supporting questions while a plenary's question window is open."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.crowd import QUESTIONS, Crowd
from bot.sandbox.rehearsal import moments, rehearsed_event, shift_events
from bot.staff.roles import MODERATOR
from storage.questions import PUBLIC, QuestionAction, QuestionStatus
from tests.harness import BEFORE_COPLANNING, ROME, BotHarness
from tests.sandbox_support import TODAY, containing, running_sandbox

ORGANISER = 9000
EVENT = "copianificazione-2023"
OPENING = dt.datetime(2023, 12, 5, 9, 31, tzinfo=ROME)  # the opening plenary's window


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    """Wait until ``check()`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


def test_the_question_moments_of_the_bundled_file() -> None:
    config = shift_events(None, TODAY)
    event = rehearsed_event(config)
    windows = config.question_windows(event)
    found = {m.id: m for m in moments(config)}
    assert found["questions_opening"].when == windows[0].start
    assert found["questions_closing"].when == windows[-1].start
    local = {
        k: found[k].when.astimezone(config.tz) for k in ("questions_opening", "questions_closing")
    }
    day = TODAY + dt.timedelta(days=8)
    assert {k: (v.date(), v.time()) for k, v in local.items()} == {
        "questions_opening": (day, dt.time(9, 30)),  # the opening plenary (hybrid)
        "questions_closing": (day, dt.time(12, 20)),  # the closing plenary (hybrid)
    }
    labels = {m.id: (m.as_json("it")["label"], m.as_json("en")["label"]) for m in moments(config)}
    assert labels["questions_opening"] == (
        "Plenaria di apertura: domande",
        "Opening plenary: questions",
    )
    assert labels["questions_closing"][1] == "Closing plenary: questions"
    assert [m.when for m in moments(config)] == sorted(m.when for m in moments(config))


async def test_the_moderator_persona_and_the_crowd_at_the_opening_plenary(
    tmp_path: Path,
) -> None:
    async with running_sandbox(tmp_path) as client:
        services = client.sandbox.services
        event = rehearsed_event(services.config)
        moderator = await client.persona("moderator")
        assert moderator["role"] == "moderator" and moderator["name"] == "Marta Bellini"
        grants = await services.roles.store.grants(moderator["user_id"], MODERATOR)
        assert [g.scope for g in grants] == [event.id]
        assert await services.registrations.active_for_user(moderator["user_id"]) == []
        await client.wait_message(moderator["user_id"], lambda m: m["from"] == "bot")
        chat = await client.get(f"/api/chats/{moderator['user_id']}")
        menu = {c["command"] for c in chat["commands"]}
        assert {"moderazione", "proiettore", "domanda"} <= menu
        assert "regia" not in menu and "invita_moderatore" not in menu
        state = await client.get("/api/state?lang=en")
        assert {"id": "moderator", "label": "Questions moderator"} in state["templates"]

        # the crowd, then the clock to the opening plenary: the crowd asks, the moderator
        # persona's feed shows each question
        assert (await client.post("/api/crowd", {"zone": 5, "count": 4}))["added"] == 4
        await client.post("/api/clock", {"moment": "questions_opening"})

        async def asked() -> bool:
            return await services.questions.count(event.id, list(QuestionStatus)) >= 1

        await eventually(asked)
        card = await client.wait_message(moderator["user_id"], containing("Nuova domanda"))
        assert any(text in card["html"] for text in QUESTIONS)
        crowd = client.sandbox.crowd

        async def quiet() -> bool:  # the crowd's round over (its supports answered)
            return not crowd._round.locked()

        await eventually(quiet)
        await client.sandbox.api.settle(0.8)


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=BEFORE_COPLANNING, organisers=[ORGANISER]) as harness:
        yield harness


async def test_the_crowd_asks_named_and_anonymous_and_supports_others(
    api: FakeBotApi, bot: BotHarness
) -> None:
    crowd = Crowd(api, bot.services, random.Random(7), plenary_look=None)
    assert await crowd.add(5, 8) == 8
    assert await crowd.plenary_round() == (0, 0), "no window open before the event"

    bot.clock.set(OPENING)
    asked, supported = await crowd.plenary_round()
    questions = bot.services.questions
    stored = await questions.listing(EVENT, list(QuestionStatus), by_support=False)
    assert asked == len(stored) == 2  # one in three of 8, one named and one anonymous
    assert {q.window_id for q in stored} == {"plenaria-apertura"}
    assert all(q.text in QUESTIONS for q in stored)
    named = [q for q in stored if q.named]
    anonymous = [q for q in stored if not q.named]
    assert len(named) == len(anonymous) == 1
    assert named[0].status is QuestionStatus.PUBLISHED  # post-moderation for named ones
    assert anonymous[0].status is QuestionStatus.PENDING  # a moderator reads it first
    assert named[0].shown_name and named[0].shown_name.split()[0] in {
        m.first_name for m in crowd.members
    }
    # supports: only public ones, never one's own, at most once each (nothing withdrawn)
    assert supported == 7  # everyone but its asker supports the one public question
    await bot.drain()

    async def counted() -> bool:
        question = await questions.get(named[0].id)
        return question is not None and question.supports == 7

    await eventually(counted, 10.0)

    # a moderator publishes the anonymous one: the next look supports it too
    await questions.change(
        anonymous[0].id,
        QuestionStatus.PUBLISHED,
        QuestionAction.PUBLISHED,
        ORGANISER,
        OPENING,
        expected=[QuestionStatus.PENDING],
    )
    asked, supported = await crowd.plenary_round()
    assert asked == 0, "the crowd asks once per window"
    assert 1 <= supported <= 7
    await bot.drain()
    public = {q.id: q for q in await questions.listing(EVENT, PUBLIC)}
    assert public[anonymous[0].id].supports == supported
    assert public[named[0].id].supports == 7
    for (_, user_id), given in crowd._supported.items():
        own = {q.id for q in stored if crowd._registrations[user_id] == q.registration_id}
        assert not given & own
    # another look finds nothing new: nothing sent
    sent = sum(len(m.chat.all_messages) for m in crowd.members)
    assert await crowd.plenary_round() == (0, 0)
    assert sum(len(m.chat.all_messages) for m in crowd.members) == sent
    await crowd.stop()
    assert crowd._plenary is None and not crowd.tasks
