"""``/proiettore`` at the flow level (no Telegram): who gets a link, for which events, the
event buttons (genuine, stale, forged), without a public address."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.questions.projector_flows import ProjectorButton
from bot.questions.tokens import Grant
from tests.flows.helpers import ANNA, EMMA, STAFF, Domain, buttons, person, started, texts
from tests.harness import ROME

BEFORE_LAUNCH = dt.datetime(2023, 9, 20, 10, 0, tzinfo=ROME)  # both 2023 events ahead
PUBLIC = "https://bot.example.org/psm"
MODERATOR = person(700, "Marta", "Moderatrice")


@pytest.fixture
async def domain(tmp_path: Path) -> AsyncIterator[Domain]:
    async with started(tmp_path, now=BEFORE_LAUNCH) as running:
        running.services.public_url = PUBLIC
        yield running


def link(domain: Domain, outcome_buttons: list[str | None]) -> str:
    found = [url for url in outcome_buttons if url and url.startswith(PUBLIC + "/projector/")]
    assert len(found) == 1, outcome_buttons
    return found[0]


async def test_an_organiser_chooses_the_event_then_gets_its_link(domain: Domain) -> None:
    flows = domain.flows.projector
    asked = await flows.command(STAFF)
    assert texts(asked) == ["📽 Per quale incontro vuoi il link del proiettore?"]
    choices = [ProjectorButton.unpack(b.data) for b in buttons(asked)]
    assert [c.event for c in choices if c] == ["lancio-2023", "copianificazione-2023"]
    chosen = await flows.button(STAFF, choices[1])
    assert chosen.edit is not None
    url = link(domain, [b.url for row in chosen.edit.buttons for b in row])
    assert url in chosen.edit.text and url.endswith("/")
    token = url.removeprefix(PUBLIC + "/projector/").rstrip("/")
    checked = flows.tokens.check(token, domain.clock.now())
    assert isinstance(checked, Grant) and checked.event_id == "copianificazione-2023"


async def test_stale_and_forged_buttons_change_nothing(domain: Domain) -> None:
    flows = domain.flows.projector
    forged = await flows.button(STAFF, ProjectorButton("non-esiste"))
    assert forged.alert and "non è più valido" in forged.alert and not forged.replies
    assert (await flows.button(STAFF, None)).alert
    domain.clock.set(dt.datetime(2023, 9, 28, 9, 0, tzinfo=ROME))  # the launch is over
    stale = await flows.button(STAFF, ProjectorButton("lancio-2023"))
    assert stale.alert and not stale.edit
    # only the co-planning day is left: its link at once
    assert len(texts(await flows.command(STAFF))) == 1
    participant = await flows.button(ANNA, ProjectorButton("copianificazione-2023"))
    assert participant.alert and "organizzatori e ai moderatori" in participant.alert


async def test_a_moderator_gets_the_events_they_moderate(domain: Domain) -> None:
    flows = domain.flows.projector
    refused = await flows.command(MODERATOR)
    assert "riservato" in texts(refused)[0] and not buttons(refused)
    store = domain.services.roles.store
    await store.grant(MODERATOR.user_id, "moderator", "copianificazione-2023", None, BEFORE_LAUNCH)
    only = await flows.command(MODERATOR)  # one event moderated: its link at once
    url = link(domain, [b.url for b in buttons(only)])
    assert "copianificazione-2023." in url and "Proiettore" in texts(only)[0]
    other = await flows.button(MODERATOR, ProjectorButton("lancio-2023"))
    assert other.alert  # not theirs
    await store.grant(MODERATOR.user_id, "moderator", "*", None, BEFORE_LAUNCH)
    assert len(buttons(await flows.command(MODERATOR))) == 2  # every event: choose


async def test_english_and_without_a_public_address(domain: Domain) -> None:
    flows = domain.flows.projector
    english = await flows.command(person(STAFF.user_id, "Olga", language="en"))
    assert texts(english) == ["📽 Which meeting do you want the projector link for?"]
    domain.services.public_url = None
    plain = await flows.command(STAFF)
    assert "PSM_PUBLIC_URL" in texts(plain)[0] and not buttons(plain)
    assert "PSM_WEB_PORT" in texts(plain)[0]
    # a participant is refused before anything else, in their language
    assert texts(await flows.command(EMMA)) == [
        "The projector link is for organisers and moderators only."
    ]
