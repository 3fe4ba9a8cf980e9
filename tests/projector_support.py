"""What the projector's tests share: the bot with its web server on a free port, questions
stored directly (the chat path is part A's), the link of an event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Self

import aiohttp

from bot.kernel.clock import FakeClock
from bot.questions.projector_flows import projector_path
from bot.questions.tokens import valid_until
from bot.sandbox.botapi.server import FakeBotApi
from config.settings import Settings
from handlers.operations import Operations
from storage.questions import NewQuestion, Question, QuestionRepository, QuestionStatus
from tests.harness import ROME, BotHarness, register_directly, settings_for

EVENT = "copianificazione-2023"
OPENING = "plenaria-apertura"  # the 5 December window, 9:30-9:40
DURING = dt.datetime(2023, 12, 5, 9, 32, tzinfo=ROME)
ORGANISER = 9000
PUBLIC_URL = "https://proiettore.example.org/psm"


class ProjectorBot(BotHarness):
    """The bot under test with its web server (``PSM_WEB_PORT=0``) and a public address."""

    def __init__(self, api: FakeBotApi, tmp_path: Path, **kwargs: Any) -> None:
        kwargs.setdefault("now", DURING)
        kwargs.setdefault("organisers", [ORGANISER])
        super().__init__(api, tmp_path, **kwargs)
        self.web_secret: str | None = None
        self.web_port = 0  # a free one; a fixed one keeps the address across a restart

    async def __aenter__(self) -> Self:
        """``async with ProjectorBot(...) as bot``: started (its web server too)."""
        await self.start()
        return self

    def settings(self) -> Settings:
        """As the harness's, with the web server on a free port and a public address."""
        return settings_for(
            self.database,
            token=self.api.token,
            api_base_url=self.api.url,
            organisers=self.organisers,
            chat_rate=50.0,
            web_port=self.web_port,
            public_url=PUBLIC_URL,
            web_secret=self.web_secret,
        )

    @property
    def web(self) -> str:
        """The web server's local address, ``http://127.0.0.1:<port>``."""
        assert self.app is not None
        operations = self.app.bot_data.operations
        assert isinstance(operations, Operations)
        web = operations.web
        assert web is not None
        return f"http://127.0.0.1:{web.port}"

    def token(self, event_id: str = EVENT) -> str:
        """A genuine token for the event (as /proiettore makes it)."""
        flows = self.services.flows.projector
        event = self.config.event(event_id)
        return flows.tokens.issue(event_id, valid_until(self.config, event))

    def page(self, token: str | None = None) -> str:
        """The page's local address for a token (a genuine one by default)."""
        return self.web + projector_path(token or self.token())

    @property
    def questions(self) -> QuestionRepository:
        """The questions' storage."""
        return QuestionRepository(self.services.db)

    @property
    def fake_clock(self) -> FakeClock:
        """The injected clock."""
        return self.clock


async def people(bot: BotHarness, count: int, first: int = 4001) -> list[int]:
    """``count`` participants registered directly; their registration ids."""
    ids = []
    for user_id in range(first, first + count):
        registration = await register_directly(bot.services, user_id, f"Persona {user_id}", zone=5)
        ids.append(registration.id)
    return ids


async def ask(
    bot: ProjectorBot,
    registration_id: int,
    text: str,
    *,
    status: QuestionStatus = QuestionStatus.PUBLISHED,
    name: str | None = None,
    axis: str | None = None,
    window: str = OPENING,
) -> Question:
    """A question stored as a confirmed one is (then moved to ``status`` if need be)."""
    new = NewQuestion(
        EVENT,
        window,
        text,
        registration_id,
        "in_person",
        "it",
        named=name is not None,
        shown_name=name,
        axis=axis,
        status=QuestionStatus.PUBLISHED if status is not QuestionStatus.PENDING else status,
        dedupe=f"test-{registration_id}-{text}",
    )
    question, _ = await bot.questions.add(new, bot.clock.now())
    return question


async def get_json(session: aiohttp.ClientSession, url: str, status: int = 200) -> Any:
    """GET a JSON answer with this status."""
    async with session.get(url) as response:
        assert response.status == status, await response.text()
        return await response.json()


async def get_text(session: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    """GET: status, content type, text (redirects not followed)."""
    async with session.get(url, allow_redirects=False) as response:
        return response.status, response.content_type, await response.text()


SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)


async def priority_polls(bot: BotHarness, votes: dict[int, list[list[int]]]) -> list[int]:
    """Each zone's priority poll opened (session 1) and answered: per zone, one list of
    picked positions per participant (registered in person at that zone). The poll ids."""
    services = bot.services
    event = bot.config.event(EVENT)
    session = services.polls.session(event, bot.clock.now())
    assert session is not None
    ids = []
    first = 5001
    for zone, answers in votes.items():
        registrations = []
        for offset in range(len(answers)):
            registration = await register_directly(
                services, first + offset, f"Votante {first + offset}", zone=zone
            )
            registrations.append(registration.id)
        first += 100
        poll = await services.polls.open(event, zone, session, opened_by=ORGANISER)
        assert poll is not None
        for registration_id, picks in zip(registrations, answers, strict=True):
            await services.polls.store.save_answer(
                poll.id, registration_id, picks, True, bot.clock.now()
            )
        ids.append(poll.id)
    return ids
