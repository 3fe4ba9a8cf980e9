"""Staff by name, /aiuto for each role, /mioid (issue 10, item 19).

/staff listed facilitators as "Utente 1020"; /aiuto for staff listed only the participant
commands; there was no way to find one's own id for PSM_ORGANISERS.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.commands import FACILITATOR_COMMANDS, ORGANISER_COMMANDS, REFERENT_COMMANDS
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from storage.registrations import NewRegistration
from tests.harness import BotHarness, answer, with_button

ORGANISER = 9400
EVENT = "copianificazione-2023"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, organisers=[ORGANISER]) as harness:
        yield harness


async def invite(api: FakeBotApi, command: str, pick: str, user: FakeUser) -> None:
    """The organiser creates an invitation and ``user`` opens it."""
    organiser = api.user(ORGANISER, "Org")
    await organiser.send(command)
    await answer(organiser, "Di quale", pick)
    message = await organiser.wait_for("🔑")
    link = next(word for word in message.content.split() if "start=inv_" in word)
    await user.send(f"/start {link.split('start=')[1]}")
    await user.wait_for(lambda m: "Ora sei" in m.content or "You are now" in m.content)


async def test_staff_list_shows_names(api: FakeBotApi, bot: BotHarness) -> None:
    marta = api.user(1020, "Marta", last_name="Bellini")
    await invite(api, "/invita_facilitatore", "5 · Pinerolese", marta)
    nadia = api.user(1021, "Nadia", language_code="en")
    await invite(api, "/invita_referente", "Comune di Pinerolo", nadia)
    now = bot.clock.now()
    for user_id in (1022, 1023):  # granted without an invitation (no Telegram name kept)
        await bot.services.roles.store.grant(user_id, "facilitator", "9", ORGANISER, now)
    # the name someone registered with wins over the Telegram name
    await bot.services.registrations.create(
        NewRegistration(EVENT, 1022, "Gino Verdi", 9, "online", None, None, None, "it"), None, now
    )
    organiser = api.user(ORGANISER)
    await organiser.send("/staff")
    await organiser.wait_for(with_button("Rimuovi"))
    await organiser.settle()
    members = [m.content for m in organiser.messages if m.content.startswith("👤")]
    assert "👤 Marta Bellini (id 1020): facilitatore di 5 · Pinerolese" in members
    assert "👤 Nadia (id 1021): referente di Comune di Pinerolo" in members
    assert "👤 Gino Verdi (id 1022): facilitatore di 9 · Eporediese" in members
    assert "👤 nome non noto (id 1023): facilitatore di 9 · Eporediese" in members
    assert not any("Utente" in member for member in members)


async def test_help_shows_each_role_its_commands(api: FakeBotApi, bot: BotHarness) -> None:
    participant = api.user(1030, "Pia")
    await participant.send("/aiuto")
    text = (await participant.wait_for("cosa puoi fare")).content
    assert "/cancella_dati" in text and "/mioid" in text
    assert "/sondaggio" not in text and "Come facilitatore" not in text

    facilitator = api.user(1031, "Fabio")
    await invite(api, "/invita_facilitatore", "5 · Pinerolese", facilitator)
    await facilitator.send("/aiuto")
    text = (await facilitator.wait_for("cosa puoi fare")).content
    assert "Come facilitatore/facilitatrice (5 · Pinerolese):" in text
    for command in FACILITATOR_COMMANDS:
        assert f"/{command.italian} - " in text
    assert "/presenze" not in text and "/invita_facilitatore" not in text
    assert "/iscrizione" in text  # the participant commands first

    referent = api.user(1032, "Rita", language_code="en")
    await invite(api, "/invita_referente", "Comune di Pinerolo", referent)
    await invite(api, "/invita_facilitatore", "9 · Eporediese", referent)
    await referent.send("/help")
    text = (await referent.wait_for("what you can do")).content
    assert "As facilitator (9 · Eporediese):" in text
    assert "As venue referent (Comune di Pinerolo):\n/checkin - " in text
    assert text.count("/stats - ") == 1  # both roles have it: listed once
    assert "/myid" in text

    organiser = api.user(ORGANISER)
    await organiser.send("/aiuto")
    text = (await organiser.wait_for("cosa puoi fare")).content
    assert "Come organizzatore/organizzatrice" in text
    for command in FACILITATOR_COMMANDS + REFERENT_COMMANDS + ORGANISER_COMMANDS:
        assert f"/{command.italian} - " in text, command


async def test_my_id(api: FakeBotApi, bot: BotHarness) -> None:
    stranger = api.user(424242, "Ignazio")
    await stranger.send("/mioid")
    text = (await stranger.wait_for("id utente Telegram")).content
    assert "424242" in text and "PSM_ORGANISERS=424242" in text
    english = api.user(434343, "Ian", language_code="en")
    await english.send("/myid")
    assert "434343" in (await english.wait_for("Telegram user id")).content
    # in no menu: it is for setting the bot up
    menus = api.get_commands() + api.get_commands(language_code="en")
    assert not any(c["command"] in ("mioid", "myid") for c in menus)
    assert await bot.services.users.get(424242) is None  # nothing stored


async def test_erasing_staff_says_the_role_ends(api: FakeBotApi, bot: BotHarness) -> None:
    fabio = api.user(1041, "Fabio")
    await invite(api, "/invita_facilitatore", "5 · Pinerolese", fabio)
    assert any(
        c["command"] == "sondaggio" for c in api.get_commands({"type": "chat", "chat_id": 1041})
    )
    await fabio.send("/cancella_dati")
    question = await fabio.wait_for("Vuoi cancellare")
    assert "Finiscono anche i tuoi ruoli: facilitatore di 5 · Pinerolese" in question.content
    await fabio.press("Sì, cancella", message=question)
    done = await fabio.wait_for("I tuoi ruoli sono terminati")
    assert done is question  # the answer took the question's place
    assert await bot.services.roles.names(1041) == set()
    assert api.get_commands({"type": "chat", "chat_id": 1041}) == []  # the default menu again
    await fabio.send("/sondaggio")
    await fabio.wait_for(lambda m: "sondaggi" in m.content.lower() and m is not question)
    # a participant's question says nothing about roles
    pia = api.user(1042, "Pia")
    await pia.send("/cancella_dati")
    assert "ruoli" not in (await pia.wait_for("Vuoi cancellare")).content
