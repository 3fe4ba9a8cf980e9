"""The session-2 scene of the board and report tests: zones 5 and 9 after session 1.

Facilitators of zones 5 and 9, a referent of the Strambino venue (zones 9 and 10), two
organisers; three participants in person at zone 5 and one at zone 9; both zones' priority
polls answered and closed at session 1, so each zone has its worksheets; then the clock is
at session 2 (10:35).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

from pydantic import SecretStr

from bot.kernel.clock import FakeClock
from bot.kernel.people import Who
from bot.kernel.replies import Button, Message, Outcome
from bot.services import Services
from bot.worksheets.board_buttons import BoardAction, BoardButton
from config.event import load_event_config
from config.settings import Settings
from storage.registrations import NewRegistration
from storage.worksheets import Contribution, NewContribution, Origin, Worksheet
from tests.harness import ROME

EVENT = "copianificazione-2023"
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)
SESSION_2 = dt.datetime(2023, 12, 5, 10, 35, tzinfo=ROME)
ORGANISERS = (9000, 9001)
OLGA = Who(9000, "Olga")
FAC5 = Who(9105, "Fabio")
FAC9 = Who(9109, "Franca")
REFERENT = Who(9201, "Rita")  # referent of the Strambino venue: zones 9 and 10
STRANGER = Who(3999, "Zeno")
PEOPLE = {3001: 5, 3002: 5, 3003: 5, 3011: 9}
# Positions of the six bundled axes.
DIGITAL, GREEN, MOBILITY, SCHOOL, INCLUSION, HEALTH = range(6)


def settings_for(tmp_path: Path) -> Settings:
    """The scene's settings (one database file per test)."""
    return Settings(
        bot_token=SecretStr("123456:TEST"),
        database=tmp_path / "board.sqlite3",
        organisers=list(ORGANISERS),
        _env_file=None,
    )


async def start(tmp_path: Path, clock: FakeClock) -> Services:
    """The domain on the scene's database (again after a restart)."""
    return await Services.start(settings_for(tmp_path), load_event_config(), clock)


async def set_scene(services: Services, clock: FakeClock) -> None:
    """Roles, participants, both zones' polls closed; the clock at session 2."""
    for who, zone in ((FAC5, 5), (FAC9, 9)):
        await services.roles.store.grant(who.user_id, "facilitator", str(zone), 9000, SESSION_1)
    await services.roles.store.grant(REFERENT.user_id, "referent", "strambino", 9000, SESSION_1)
    for user, zone in PEOPLE.items():
        venue = services.config.zone(zone).venue
        new = NewRegistration(EVENT, user, f"P{user}", zone, "in_person", venue, None, None, "it")
        await services.registrations.create(new, None, SESSION_1)
    event = services.config.event(EVENT)
    session = services.polls.session(event, SESSION_1)
    assert session is not None
    ballots = {5: [[HEALTH, GREEN], [HEALTH, GREEN], [GREEN, MOBILITY]], 9: [[DIGITAL, SCHOOL]]}
    for zone, picks_of in ballots.items():
        poll = await services.polls.open(event, zone, session, opened_by=9000, max_choices=3)
        assert poll is not None
        users = [u for u, z in PEOPLE.items() if z == zone]
        for user, picks in zip(users, picks_of, strict=False):
            registration = await services.registrations.active(EVENT, user)
            assert registration is not None
            await services.polls.store.save_answer(poll.id, registration.id, picks, True, SESSION_1)
        await services.polls.close(poll, "facilitator")
    clock.set(SESSION_2)


async def sheets(services: Services, zone: int) -> list[Worksheet]:
    """The zone's worksheets (made from its poll)."""
    return await services.worksheets.worksheets(services.config.event(EVENT), zone)


async def contribute(
    services: Services, sheet: Worksheet, section: str, text: str, user: int = 3001, **extra: object
) -> Contribution:
    """A participant's contribution, stored straight (part A's flow has its own tests)."""
    registration = await services.registrations.active(EVENT, user)
    assert registration is not None
    kind = "photo" if extra.get("photo") else "text"
    new = NewContribution(
        sheet.id,
        section,
        kind,
        text,
        Origin.PARTICIPANT,
        registration_id=registration.id,
        photo=str(extra["photo"]) if extra.get("photo") else None,
    )
    return await services.worksheets.store.add(new, services.clock.now())


def press(action: BoardAction, a: int, b: int = 0, c: int = 0) -> BoardButton:
    """A board button, as a press carries it."""
    return BoardButton(action, a, b, c)


def plain(text: str) -> str:
    """A message's text as the user reads it."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def shown(outcome: Outcome) -> list[Message]:
    """The outcome's messages (its in-place edit first)."""
    found = [outcome.edit] if outcome.edit is not None else []
    return found + [r for r in outcome.replies if isinstance(r, Message)]


def text(outcome: Outcome) -> str:
    """Everything the outcome says, as read (alert included)."""
    parts = [plain(m.text) for m in shown(outcome)]
    if outcome.alert:
        parts.append(plain(outcome.alert))
    return "\n".join(parts)


def all_buttons(outcome: Outcome) -> list[Button]:
    """Every button of the outcome's messages."""
    return [b for m in shown(outcome) for row in m.buttons for b in row]


def board(outcome: Outcome, label: str) -> BoardButton:
    """The one board button whose label contains ``label``."""
    found = [b for b in all_buttons(outcome) if label in b.label]
    assert len(found) == 1, f"{label!r} in {[b.label for b in all_buttons(outcome)]}"
    button = BoardButton.unpack(found[0].data)
    assert button is not None
    return button
