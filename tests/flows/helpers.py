"""Shared builders of the flow-level tests: the domain without Telegram, and readers of what
it answers.

The flow tests call the Telegram-free flows directly — a :class:`~bot.kernel.people.Who` and
data in, an :class:`~bot.kernel.replies.Outcome` out, no server. :func:`started` builds the
whole domain with its composition root (:meth:`bot.services.Services.start`) on a temporary
database, at a :class:`~bot.kernel.clock.FakeClock` time; :class:`Domain` is what a test
holds: the services, the clock, the flows, the catalog, and the few moves a user makes
(pressing a conversation button, typing, sending a file).

Reading an outcome: :func:`texts` (the messages' texts), :func:`labels` (every button),
:func:`data_of` (the callback data of the one button whose label contains a text) and
:func:`flow_button` (the same, decoded as a conversation button).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from bot.kernel.clock import FakeClock
from bot.kernel.conversation import Content, FlowButton
from bot.kernel.i18n import language_for
from bot.kernel.people import Who
from bot.kernel.replies import Button, Document, Message, Outcome, Photo, Reply
from bot.services import Flows, Services
from config.event import AttendanceMode, EventConfig, load_event_config
from config.settings import Settings
from storage.conversations import Conversation
from storage.outbox import OutboxRow
from storage.registrations import NewRegistration, Registration
from tests.harness import BEFORE_COPLANNING, ROME

CO_PLANNING = "copianificazione-2023"  # 5 Dec 2023: eleven zone tables at six venues
LAUNCH = "lancio-2023"  # 27 Sep 2023: one venue (the auditorium) and online
ORGANISER = 9000
BOT_USERNAME = "psm_test_bot"
# The co-planning day at 9:00: the check-in desks are open (from 7:15), the first plenary
# (9:30) is about to start, the tables follow.
EVENT_DAY = dt.datetime(2023, 12, 5, 9, 0, tzinfo=ROME)


def person(
    user_id: int, first_name: str, last_name: str | None = None, language: str = "it"
) -> Who:
    """A Telegram user as the domain sees them (``language``: their client's language)."""
    return Who(user_id, first_name, last_name, language)


ANNA = person(101, "Anna", "Rossi")
BRUNO = person(102, "Bruno", "Bianchi")
CARLA = person(103, "Carla", "Verdi")
EMMA = person(104, "Emma", "Brown", language="en")
STAFF = person(ORGANISER, "Olga", "Organizzatrice")


@dataclass
class Domain:
    """The running domain of a test: services, clock and flows (see the module doc)."""

    services: Services
    clock: FakeClock
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    @property
    def flows(self) -> Flows:
        """Every capability's entry points, as the handlers call them."""
        return self.services.flows

    @property
    def config(self) -> EventConfig:
        """The event file in use."""
        return self.services.config

    def t(self, language: str, key: str, /, **params: object) -> str:
        """A catalog message, as the user reads it."""
        return str(self.services.catalog(language, key, **params))

    def next_message_id(self) -> int:
        """A fresh id for a message the user sends."""
        return next(self._message_ids)

    # --- what a user does ----------------------------------------------------------------
    async def press(
        self, who: Who, outcome: Outcome, label: str, *, message_id: int | None = None
    ) -> Outcome:
        """Press the conversation button labelled ``label`` in ``outcome``."""
        button = flow_button(outcome, label)
        return await self.flows.conversations.press(who, button, message_id)

    async def say(self, who: Who, text: str) -> Outcome:
        """Type ``text`` in the private chat (a plain message, not a command)."""
        message = Content("text", self.next_message_id(), caption=text, chat_id=who.user_id)
        return await self.flows.participant.text(who, text, message)

    async def send(self, who: Who, content: Content) -> Outcome:
        """Send a photo, a file, a sticker... in the private chat."""
        return await self.flows.participant.content(who, content)

    # --- what is stored ------------------------------------------------------------------
    async def conversation(self, who: Who) -> Conversation | None:
        """The user's open conversation, as stored."""
        return await self.services.conversations.get(who.user_id)

    async def step(self, who: Who) -> str | None:
        """The step the user's open conversation is at (None: no conversation)."""
        conversation = await self.conversation(who)
        return conversation.step if conversation else None

    async def outbox(self, who: Who | None = None, kind: str | None = None) -> list[OutboxRow]:
        """The outbox rows (of one user, of one kind)."""
        return await self.services.outbox.rows(user_id=who.user_id if who else None, kind=kind)

    async def register(
        self,
        who: Who,
        *,
        event: str = CO_PLANNING,
        zone: int = 5,
        mode: AttendanceMode = AttendanceMode.IN_PERSON,
        organisation: str | None = None,
    ) -> Registration:
        """``who`` registered straight into storage, consent given (the wizard has its own
        tests): in person at their zone's venue, confirmed or on its waiting list."""
        config, now = self.config, self.clock.now()
        in_person = mode is AttendanceMode.IN_PERSON
        venue = config.venue_for(config.event(event), zone) if in_person else None
        await self.services.users.record_consent(who.user_id, now)
        new = NewRegistration(
            event_id=event,
            user_id=who.user_id,
            display_name=who.full_name,
            zone=zone,
            mode=mode.value,
            venue_id=venue.id if venue else None,
            organisation=organisation,
            category=None,
            language=language_for(who.language_code),
        )
        return await self.services.registrations.create(new, venue.capacity if venue else None, now)

    async def to_summary(self, who: Who, *, zone: str = "5 · Pinerolese") -> Outcome:
        """Go through the wizard from ``/start`` to the summary (Italian labels): consent,
        the Telegram name, ``zone`` by its button, in person, no organisation or category."""
        out = await self.flows.participant.start(who)
        out = await self.press(who, out, "Accetto e continuo")
        out = await self.press(who, out, "Usa «")
        out = await self.press(who, out, zone)
        out = await self.press(who, out, "In presenza")
        out = await self.press(who, out, "Salta")
        return await self.press(who, out, "Salta")

    async def registration(self, registration_id: int) -> Registration:
        """A registration as stored now."""
        found = await self.services.registrations.get(registration_id)
        assert found is not None
        return found


def settings_for(tmp_path: Path, organisers: Iterable[int]) -> Settings:
    """Settings of a test: a temporary database, the given organisers, no ``.env``."""
    return Settings(
        bot_token=SecretStr("123456:TEST"),
        database=tmp_path / "flows.sqlite3",
        organisers=list(organisers),
        _env_file=None,
    )


@asynccontextmanager
async def started(
    tmp_path: Path,
    *,
    now: dt.datetime = BEFORE_COPLANNING,
    config: EventConfig | None = None,
    organisers: Iterable[int] = (ORGANISER,),
) -> AsyncIterator[Domain]:
    """The domain built by its composition root at ``now`` (the bundled event file unless
    ``config``), closed afterwards."""
    clock = FakeClock(now)
    services = await Services.start(
        settings_for(tmp_path, organisers), config or load_event_config(), clock
    )
    try:
        yield Domain(services, clock)
    finally:
        await services.close()


# --- reading an outcome ----------------------------------------------------------------------
def messages(outcome: Outcome) -> list[Message]:
    """The outcome's text messages, in order."""
    return [reply for reply in outcome.replies if isinstance(reply, Message)]


def texts(outcome: Outcome) -> list[str]:
    """The texts of the outcome's messages, in order."""
    return [str(message.text) for message in messages(outcome)]


def question(outcome: Outcome) -> Message:
    """The outcome's last message: the question asked (or the final answer)."""
    found = messages(outcome)
    assert found, f"no message in {outcome}"
    return found[-1]


def _keyboard(reply: Reply) -> list[list[Button]]:
    if isinstance(reply, Message | Document | Photo):
        return reply.buttons
    return []


def buttons(outcome: Outcome) -> list[Button]:
    """Every button of the outcome's replies, row by row."""
    return [button for reply in outcome.replies for row in _keyboard(reply) for button in row]


def labels(outcome: Outcome) -> list[str]:
    """The labels of every button of the outcome, in order."""
    return [str(button.label) for button in buttons(outcome)]


def data_of(outcome: Outcome, label: str) -> str:
    """The callback data of the one button whose label contains ``label``."""
    found = [b for b in buttons(outcome) if label in b.label and b.data is not None]
    assert len(found) == 1, f"{len(found)} buttons match {label!r} in {labels(outcome)}"
    data = found[0].data
    assert data is not None
    return data


def flow_button(outcome: Outcome, label: str) -> FlowButton:
    """The conversation button labelled ``label``, decoded."""
    button = FlowButton.unpack(data_of(outcome, label))
    assert button is not None, f"{label!r} is not a conversation button"
    return button


def document(outcome: Outcome) -> Document:
    """The one file the outcome sends."""
    found = [reply for reply in outcome.replies if isinstance(reply, Document)]
    assert len(found) == 1, f"{len(found)} documents in {outcome}"
    return found[0]


def csv_file(content: bytes) -> Callable[[], Awaitable[bytes]]:
    """A file's download, as a document message carries it."""

    async def download() -> bytes:
        return content

    return download
