"""What the tests (and the benchmarks) share, in one place.

- the bot under test: :func:`bot_api_server` is the fake Bot API it talks to,
  :class:`BotHarness` runs the real Application against the fake Bot API
  with an injected clock, and :func:`register` goes through the chat registration;
- times: :func:`at` (a local time of December 2023), :func:`minutes_from`;
- settings and the environment: :func:`settings_for`, :func:`cli_environment` (what the
  ``psm-bot`` commands see), :func:`environ_without_psm`, :func:`run_process`;
- the database from outside the bot: :func:`with_db`, :func:`migrated`, :func:`stored_comuni`;
- registrations stored directly (the chat path has its own tests): :func:`new_registration`,
  :func:`register_directly`;
- event files: :func:`bundled_event_data`, :func:`config_from`, :func:`config_with`,
  :func:`write_yaml`, :func:`broken`, :func:`only_error`; files: :func:`write_text`,
  :func:`write_csv`.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import functools
import os
import socket
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypedDict, TypeVar, Unpack
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.app import build_application, running
from bot.kernel.clock import FakeClock
from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from bot.services import Services
from config.event import (
    EventConfig,
    EventConfigError,
    bundled_event_file,
    load_event_config,
    parse_event_config,
)
from config.settings import Settings
from handlers.context import PsmApplication
from storage.comuni import ComuneRow, ComuniRepository
from storage.db import Database
from storage.registrations import NewRegistration, Registration

T = TypeVar("T")

ROME = ZoneInfo("Europe/Rome")
CO_PLANNING = "copianificazione-2023"  # the bundled co-planning day, 5 Dec 2023
LAUNCH = "lancio-2023"  # the bundled launch event, 27 Sep 2023
# Two weeks before the co-planning day: both 2023 events are open... but the launch (27 Sep)
# is past, so only the 5 Dec event is open at this time.
BEFORE_COPLANNING = dt.datetime(2023, 11, 20, 10, 0, tzinfo=ROME)
# Before the launch event: both events are open.
BEFORE_LAUNCH = dt.datetime(2023, 9, 20, 10, 0, tzinfo=ROME)
# A YAML dumper as fast as this machine has (the C one when PyYAML was built with it).
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# psm-bot sets PTB's Defaults(parse_mode=HTML) (bot/app.py): PTB then sends parse_mode with
# every message method, those that take none too (sendVenue, editMessageReplyMarkup), and
# Telegram ignores it there. The fake server psm-bot talks to does the same (with a warning
# in ``api.warnings``), for that parameter only: any other unknown parameter is an error.
PTB_DEFAULTS_SENT = ("parse_mode",)


def bot_api_server(**options: Any) -> FakeBotApi:
    """A fake Bot API server for psm-bot (``options`` as for :class:`FakeBotApi`)."""
    return FakeBotApi(tolerated_unknown_params=PTB_DEFAULTS_SENT, **options)


class BotHarness:
    """The bot under test: start, stop and restart it on the same database."""

    def __init__(
        self,
        api: FakeBotApi,
        tmp_path: Path,
        *,
        now: dt.datetime = BEFORE_COPLANNING,
        config: EventConfig | None = None,
        organisers: list[int] | None = None,
    ) -> None:
        self.api = api
        self.database = tmp_path / "psm-test.sqlite3"
        self.clock = FakeClock(now)
        self.config = config or load_event_config()
        self.organisers = organisers or []
        self.app: PsmApplication | None = None
        self._running: AbstractAsyncContextManager[Any] | None = None

    def settings(self) -> Settings:
        """Settings pointing at the fake server and the test database."""
        return settings_for(
            self.database,
            token=self.api.token,
            api_base_url=self.api.url,
            organisers=self.organisers,
            # Simulated users tap far faster than people: let each chat take 50 messages a
            # second so tests are quick (the per-chat pacing has its own unit test).
            chat_rate=50.0,
        )

    async def start(self) -> BotHarness:
        """Build and start the Application (post_init included), polling the fake server."""
        self.app = build_application(self.settings(), self.config, self.clock)
        self._running = running(self.app, poll_timeout=1, poll_interval=0)
        await self._running.__aenter__()
        return self

    async def __aenter__(self) -> BotHarness:
        """``async with BotHarness(...) as bot``: started, and stopped at the end."""
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the bot, whatever happened inside the block."""
        await self.stop()

    async def stop(self) -> None:
        """Stop polling and shut down (post_shutdown closes the database)."""
        if self._running is not None:
            running_cm, self._running = self._running, None
            await running_cm.__aexit__(None, None, None)
        self.app = None

    async def restart(self) -> None:
        """Stop and start again on the same database, as after a crash or a deploy."""
        await self.stop()
        await self.start()

    async def drain(self) -> None:
        """Deliver what is due at the clock's current time, as the periodic job would."""
        sender = self.services.sender
        assert sender is not None
        await self.services.broadcasts.tick()
        await sender.drain()
        await self.services.broadcasts.tick()
        await self.api.settle(0.05)

    async def at(self, when: dt.datetime) -> None:
        """Let the bot finish what it is doing, move the clock to ``when``, deliver what is due."""
        await self.api.settle(0.05)
        self.clock.set(when)
        await self.drain()

    @property
    def services(self) -> Services:
        """The running bot's services."""
        assert self.app is not None and self.app.bot_data.services is not None
        return self.app.bot_data.services


def config_with(**capacities: int) -> EventConfig:
    """The bundled configuration with other venue capacities."""
    data = bundled_event_data()
    for venue in data["venues"]:
        if venue["id"] in capacities:
            venue["capacity"] = capacities[venue["id"]]
    return config_from(data)


def with_button(label: str) -> Any:
    """A matcher for a message that has a button containing ``label``."""
    return lambda m: any(label in text for text in m.button_texts)


async def answer(user: FakeUser, question: str, button: str) -> SentMessage:
    """Wait for a question, press one of its buttons, return the question."""
    message = await user.wait_for(question)
    await user.press(button, message=message)
    return message


async def register(
    user: FakeUser,
    *,
    zone: str = "5 · Pinerolese",
    mode: str = "presenza",
    organisation: str | None = "Comune di Pinerolo",
    start: str = "/start",
    english: bool = False,
) -> list[SentMessage]:
    """Go through the whole Italian (or English) registration; returns what came after."""
    await user.send(start)
    await answer(user, "rivacy", "I accept" if english else "Accetto e continuo")
    await answer(user, "name" if english else "nome", "Use" if english else "Usa")
    if not start.startswith("/start zona"):
        await answer(user, "Choose your" if english else "Scegli la tua", zone)
    await answer(user, "attend" if english else "Come parteciperai", mode)
    question = await user.wait_for("organisation" if english else "ente")
    if organisation:
        await user.send(organisation)
    else:
        await user.press("Skip" if english else "Salta", message=question)
    await answer(user, "category" if english else "categoria", "Skip" if english else "Salta")
    await answer(user, "check" if english else "Controlla", "Confirm" if english else "Conferma")
    confirmed = await user.wait_for(
        lambda m: any(k in m.content for k in ("confermata", "confirmed", "attesa", "waiting"))
    )
    document = await user.wait_for(lambda m: m.document is not None)
    return [confirmed, document]


# --- times ---------------------------------------------------------------------------------


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local (Rome) time in December 2023, the month of the co-planning day (5 Dec)."""
    return dt.datetime(2023, 12, day, hour, minute, tzinfo=ROME)


def minutes_from(start: dt.datetime) -> Callable[[float], dt.datetime]:
    """``at(m)``: ``m`` minutes after ``start``, for distinct and ordered instants."""

    def at_minute(minutes: float) -> dt.datetime:
        return start + dt.timedelta(minutes=minutes)

    return at_minute


# --- settings, the environment, processes --------------------------------------------------


def settings_for(
    database: Path, *, token: str = "1:x", api_base_url: str | None = None, **overrides: Any
) -> Settings:
    """Settings for a bot under test or benchmark: no ``.env`` file read, ``overrides`` set."""
    return Settings(
        bot_token=token, api_base_url=api_base_url, database=database, _env_file=None, **overrides
    )


def clean_environment(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> None:
    """No ``PSM_*`` variable, and ``workdir`` (without a ``.env`` file) as working directory."""
    for name in list(os.environ):
        if name.upper().startswith("PSM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(workdir)


def cli_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """What a ``psm-bot`` command run by a test sees: a clean environment in ``tmp_path`` and
    ``PSM_DATABASE`` naming ``tmp_path/psm.sqlite3`` (not created); returns that path."""
    clean_environment(monkeypatch, tmp_path)
    database = tmp_path / "psm.sqlite3"
    monkeypatch.setenv("PSM_DATABASE", str(database))
    return database


def environ_without_psm(**variables: str) -> dict[str, str]:
    """This process's environment without its ``PSM_*`` variables, plus ``variables``."""
    kept = {key: value for key, value in os.environ.items() if not key.startswith("PSM_")}
    return kept | variables


def run_process(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run a command to its end and return what it printed (text) and its exit code."""
    return subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


# --- the database, from outside the bot ----------------------------------------------------


def with_db(database: Path, action: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``action`` on the database through a connection of its own (opened and closed)."""

    async def run() -> T:
        db = await Database.open(database)
        try:
            return await action(db)
        finally:
            await db.close()

    return asyncio.run(run())


def migrated(database: Path) -> Path:
    """Create (or open) the bot's database at ``database`` and migrate it; returns the path."""

    async def noop(db: Database) -> None:
        return None

    with_db(database, noop)
    return database


def stored_comuni(database: Path) -> dict[str, ComuneRow]:
    """The comuni stored in ``database``, by name, read through a new connection."""
    rows = with_db(database, lambda db: ComuniRepository(db).all())
    return {row.name: row for row in rows}


# --- registrations stored directly ---------------------------------------------------------


class Answers(TypedDict, total=False):
    """What a participant answered, besides their name: as :func:`new_registration` takes it."""

    event: str
    zone: int
    mode: str
    organisation: str | None
    category: str | None
    language: str


def new_registration(
    config: EventConfig, user_id: int, name: str | None = None, **answers: Unpack[Answers]
) -> NewRegistration:
    """A participant's answers: ``name`` "Persona <id>", the co-planning day, zone 5, in
    person (at the venue of their zone for that event), Italian, unless given."""
    event = answers.get("event", CO_PLANNING)
    zone = answers.get("zone", 5)
    mode = answers.get("mode", "in_person")
    venue = config.venue_for(config.event(event), zone).id if mode == "in_person" else None
    return NewRegistration(
        event_id=event,
        user_id=user_id,
        display_name=name or f"Persona {user_id}",
        zone=zone,
        mode=mode,
        venue_id=venue,
        organisation=answers.get("organisation"),
        category=answers.get("category"),
        language=answers.get("language", "it"),
    )


async def register_directly(
    services: Services,
    user_id: int,
    name: str | None = None,
    *,
    waitlist: bool = False,
    now: dt.datetime | None = None,
    **answers: Unpack[Answers],
) -> Registration:
    """A participant registered straight into storage (the chat path has its own tests).

    ``waitlist``: the venue's capacity applies, so a full venue puts them on its waiting
    list; otherwise everyone is confirmed. ``now``: the services' clock by default.
    """
    config = services.config
    new = new_registration(config, user_id, name, **answers)
    capacity = None
    if waitlist and new.venue_id is not None:
        capacity = config.venue(new.venue_id).capacity
    return await services.registrations.create(new, capacity, now or services.clock.now())


# --- event files and other files ------------------------------------------------------------


@functools.cache
def _bundled_yaml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(bundled_event_file().read_text(encoding="utf-8"))
    return data


def bundled_event_data() -> dict[str, Any]:
    """The bundled event file as YAML data, a fresh copy each time (read once)."""
    return copy.deepcopy(_bundled_yaml())


def config_from(data: dict[str, Any]) -> EventConfig:
    """An event configuration from YAML data, through YAML text as an organiser writes it."""
    return parse_event_config(yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False))


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    """Write YAML data to an event file at ``path``, keys in their order; returns ``path``."""
    text = yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    return write_text(path, text)


def write_text(path: Path, text: str) -> Path:
    """Write a UTF-8 file; returns ``path``."""
    path.write_text(text, encoding="utf-8")
    return path


def write_csv(path: Path, text: str) -> Path:
    """Write a CSV file as Excel saves it in UTF-8, with a byte order mark; returns ``path``."""
    return write_text(path, "\ufeff" + text)


def broken(data: dict[str, Any], mutate: Callable[[dict[str, Any]], object]) -> list[str]:
    """Mutate a copy of event-file data, dump it, parse it: the error lines (it must fail)."""
    copied = copy.deepcopy(data)
    mutate(copied)
    text = yaml.dump(copied, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    with pytest.raises(EventConfigError) as info:
        parse_event_config(text, "broken.yaml")
    assert info.value.source == "broken.yaml"
    assert info.value.lines("en") == [f"broken.yaml: {error}" for error in info.value.errors]
    return info.value.errors


def only_error(errors: list[str], field: str) -> str:
    """The single error line, which must start with the field path."""
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{field}: "), errors
    return errors[0]


def free_port() -> int:
    """A port nothing listens on (closed again at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def fill_the_disk(db: Database) -> None:
    """From now on every write of ``db`` fails as on a full disk (SQLite's own error)."""

    def full(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    @asynccontextmanager
    async def full_transaction() -> AsyncIterator[Any]:
        full()
        yield None

    db.write = full  # type: ignore[method-assign]
    db.transaction = full_transaction  # type: ignore[method-assign]
