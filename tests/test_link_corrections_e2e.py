"""Every link the bot gives is corrected when it changes; /link's window follows the rules.

Issue 10, item 14: a participant who registered online late and asked /link during the
plenary got the link; when the organiser changed it, only the one who had it by reminder
got the new one ("corrections sent: 1"). And /link said "15 minutes before" whatever the
event's rules said.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from config.event import EventConfig
from tests.harness import BotHarness, answer, at, bundled_event_data, config_from, register

ORGANISER = 9300
LINK = "https://meet.example.org/psm-5-dicembre"
NEW_LINK = "https://meet.example.org/psm-5-dicembre-bis"
THIRD_LINK = "https://meet.example.org/psm-5-dicembre-ter"
EVENT = "copianificazione-2023"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, organisers=[ORGANISER]) as harness:
        yield harness


async def set_link(api: FakeBotApi, url: str) -> str:
    """The organiser sets the link of every session from the chat; returns the bot's answer."""
    organiser = api.user(ORGANISER, "Org", language_code="it")
    await organiser.send("/imposta_link")
    await answer(organiser, "Per quale incontro", "Dalle strategie")
    await answer(organiser, "per quale sessione", "Tutte le sessioni")
    await organiser.wait_for("Mandami il link")
    await organiser.send(url)
    return (await organiser.wait_for("Link salvato")).content


def corrections(user: FakeUser, url: str) -> list[str]:
    return [m.content for m in user.messages if "è cambiato" in m.content and url in m.content]


async def test_a_link_given_by_link_command_is_corrected_too(
    api: FakeBotApi, bot: BotHarness
) -> None:
    early = api.user(3401, "Carla")  # registered online a week before: gets the reminder
    await register(early, zone="1 · Torino Città", mode="Online")
    await set_link(api, LINK)
    await bot.at(at(5, 9, 15))
    assert LINK in early.messages[-1].content

    # Luca registers online during the opening plenary and asks for the link
    await bot.at(at(5, 9, 35))
    late = api.user(3402, "Luca")
    await register(late, zone="11 · Chierese", mode="Online")
    await late.send("/link")
    given = await late.wait_for(LINK)
    assert ("Apri il link", LINK) in given.buttons

    # the organiser changes the link: both get the correction
    bot.clock.set(at(5, 9, 40))
    saved = await set_link(api, NEW_LINK)
    assert "Correzioni inviate a chi aveva già il link precedente: 2." in saved
    assert "per ora <b>2</b> persone" in (api.user(ORGANISER).messages[-1].text or "")
    await bot.drain()
    assert len(corrections(early, NEW_LINK)) == 1
    assert len(corrections(late, NEW_LINK)) == 1

    # asking again gives the new link; the next change corrects that one, once each
    await late.send("/link")
    await late.wait_for(lambda m: NEW_LINK in m.content and "Collegati" in m.content)
    bot.clock.set(at(5, 9, 45))
    saved = await set_link(api, THIRD_LINK)
    assert "Correzioni inviate a chi aveva già il link precedente: 2." in saved
    await bot.drain()
    assert len(corrections(early, THIRD_LINK)) == len(corrections(late, THIRD_LINK)) == 1
    await bot.drain()  # nothing twice
    assert len(corrections(late, THIRD_LINK)) == 1
    rows = await bot.services.outbox.rows(user_id=3402, kind="link_reply")
    assert [(row.status, row.sent_link) for row in rows] == [("sent", NEW_LINK)]


async def test_link_setting_tells_one_person_in_the_singular(
    api: FakeBotApi, bot: BotHarness
) -> None:
    await register(api.user(3411, "Olga"), zone="4 · AMT Nord", mode="Online")
    await set_link(api, LINK)
    text = api.user(ORGANISER).messages[-1].text or ""
    assert "per ora <b>1</b> persona." in text and "i 1 partecipanti" not in text


def config_with_link_offset(offset: str | None) -> EventConfig:
    """The bundled file with the co-planning day's link rule moved (or removed: None)."""
    data = bundled_event_data()
    event = next(e for e in data["events"] if e["id"] == EVENT)
    rules = event["reminders"]
    if offset is None:
        event["reminders"] = [r for r in rules if not r.get("link")]
        for rule in event["reminders"]:  # their texts promised the link
            rule.pop("about", None)
    else:
        link_rule = next(r for r in rules if r["id"] == "link")
        link_rule["when"]["offset"] = offset
        link_rule["text"] = {"it": "Alle {time}: {link}", "en": "At {time}: {link}"}
    return config_from(data)


async def test_link_window_follows_the_event_rule(api: FakeBotApi, tmp_path: Path) -> None:
    harness = BotHarness(
        api,
        tmp_path,
        organisers=[ORGANISER],
        config=config_with_link_offset("-45m"),
        now=at(5, 8, 0),
    )
    await harness.start()
    try:
        online = api.user(3421, "Olga")
        await register(online, zone="4 · AMT Nord", mode="Online")
        await set_link(api, LINK)
        await online.send("/link")
        later = await online.wait_for("disponibile")
        # 45 minutes before the 9:30 plenary, as the rule says, not "15 minutes before"
        assert "dalle 8:45" in later.content and "inizia alle 9:30" in later.content
        assert "15 minuti" not in later.content and "in automatico" in later.content
        harness.clock.set(at(5, 8, 50))
        await online.send("/link")
        await online.wait_for(LINK)
        # the closing plenary: the earliest of its two link rules (12:20 - 45' = 11:35)
        harness.clock.set(at(5, 10, 5))
        await online.send("/link")
        assert "dalle 11:35" in (await online.wait_for("disponibile")).content
    finally:
        await harness.stop()


async def test_without_a_link_rule_link_opens_15_minutes_before(
    api: FakeBotApi, tmp_path: Path
) -> None:
    harness = BotHarness(
        api, tmp_path, organisers=[ORGANISER], config=config_with_link_offset(None), now=at(5, 8)
    )
    await harness.start()
    try:
        online = api.user(3431, "Olga", language_code="en")
        await register(online, zone="4 · AMT Nord", mode="Online", english=True)
        await online.send("/link")
        later = await online.wait_for("available")
        assert "from 9:15" in later.content and "ask me with /link" in later.content
        assert "automatically" not in later.content
    finally:
        await harness.stop()
