"""The services a running bot shares: settings, event configuration, storage, clock, texts.

Created in the Application's ``post_init`` (see :mod:`bot.app`) and closed in
``post_shutdown``; handlers reach them through the typed context, never by string key.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from bot.broadcasts.flows import BroadcastService
from bot.kernel.clock import Clock
from bot.kernel.i18n import Catalog
from bot.kernel.logs import log_task_failure
from bot.kernel.outbox import OutboxSender, Transport
from bot.polls.service import PollService
from bot.polls.texts import ResultsPresenter
from bot.registration.comuni import (
    Comune,
    ComuneIndex,
    bundled_comuni,
    normalise,
    refresh_from_bundled,
)
from bot.reminders.planner import Links, ReminderPlanner, ReminderRenderer
from bot.staff.roles import Roles
from config.event import EventConfig
from config.settings import Settings
from storage.broadcasts import BroadcastRepository
from storage.comuni import ComuneRow, ComuniRepository
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.links import LinkRepository
from storage.outbox import OutboxRepository
from storage.polls import PollRepository
from storage.registrations import RegistrationRepository
from storage.roles import RoleRepository
from storage.users import UserRepository


@dataclass
class Services:
    """Everything a handler needs, created once per running bot."""

    settings: Settings
    config: EventConfig
    clock: Clock
    db: Database
    catalog: Catalog
    users: UserRepository
    conversations: ConversationRepository
    registrations: RegistrationRepository
    comuni_store: ComuniRepository
    outbox: OutboxRepository
    links: Links
    planner: ReminderPlanner
    reminders: ReminderRenderer
    roles: Roles
    broadcasts_store: BroadcastRepository
    comuni: ComuneIndex = field(default_factory=lambda: ComuneIndex([]))
    sender: OutboxSender | None = None
    broadcasts: BroadcastService = field(init=False)
    polls: PollService = field(init=False)  # polls at the zone tables (bot/polls.py)
    poll_texts: ResultsPresenter = field(init=False)  # their results, texts and charts
    _tick_task: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.broadcasts = BroadcastService(self)
        self.polls = PollService(
            self.config,
            self.catalog,
            self.clock,
            PollRepository(self.db),
            self.registrations,
            self.users,
        )
        self.poll_texts = ResultsPresenter(self.polls)

    @classmethod
    async def start(cls, settings: Settings, config: EventConfig, clock: Clock) -> Services:
        """Open the database (migrating it), seed the comuni mapping, load the catalogs."""
        db = await Database.open(settings.database)
        try:
            return await cls._start(settings, config, clock, db)
        except BaseException:
            await db.close()  # e.g. the disk filled up while seeding the comuni
            raise

    @classmethod
    async def _start(
        cls, settings: Settings, config: EventConfig, clock: Clock, db: Database
    ) -> Services:
        catalog = Catalog.load()
        registrations = RegistrationRepository(db)
        outbox = OutboxRepository(db)
        links = Links(config, LinkRepository(db), registrations, outbox)
        services = cls(
            settings=settings,
            config=config,
            clock=clock,
            db=db,
            catalog=catalog,
            users=UserRepository(db),
            conversations=ConversationRepository(db),
            registrations=registrations,
            comuni_store=ComuniRepository(db),
            outbox=outbox,
            links=links,
            planner=ReminderPlanner(config, outbox, registrations),
            reminders=ReminderRenderer(config, catalog, links, registrations),
            roles=Roles(settings.organisers, RoleRepository(db)),
            broadcasts_store=BroadcastRepository(db),
        )
        await services.reload_comuni()
        return services

    async def start_sender(self, transport: Transport) -> OutboxSender:
        """Create the outbox sender, recover rows left in flight, plan new reminders."""
        sender = OutboxSender(self.outbox, self.users, transport, self.clock)
        sender.register("reminder", self.reminders.render)
        sender.register("link_fix", self.reminders.render)
        sender.register("broadcast", self.broadcasts.render)
        sender.register("poll", self.polls.render_ballot)
        sender.register("poll_closed", self.polls.render_closed)
        sender.register("poll_staff", self.polls.render_staff)
        sender.register("results", self.poll_texts.render)
        await sender.recover()
        await self.planner.plan_all(self.clock.now())
        self.sender = sender
        return sender

    async def tick(self) -> None:
        """Periodic work: start due broadcasts, show progress, deliver due messages."""
        await self.broadcasts.tick()
        await self.polls.close_due()  # polls whose table session has ended
        if self.sender is not None:
            await self.sender.drain_soon()

    def tick_soon(self) -> None:
        """Run :meth:`tick` in the background unless the previous one is still running."""
        if self._tick_task is None or self._tick_task.done():
            self._tick_task = asyncio.create_task(self.tick(), name="periodic tick")
            self._tick_task.add_done_callback(log_task_failure)

    async def stop_ticking(self) -> None:
        """Stop the background tick and the sender (rows in flight are resent at start-up)."""
        if self._tick_task is not None and not self._tick_task.done():
            self._tick_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick_task
        if self.sender is not None:
            await self.sender.stop()

    async def reload_comuni(self) -> None:
        """Build the comune index from the database, seeding it from the bundled file.

        A database seeded from an older bundled file takes the newer file's zones for the
        comuni that are still the file's (:func:`bot.comuni.refresh_from_bundled`); what an
        organiser imported is kept.
        """
        if await self.comuni_store.count() == 0:
            await self.comuni_store.replace_all([to_row(c) for c in bundled_comuni()])
        else:
            stored = [from_row(row) for row in await self.comuni_store.all()]
            newer = refresh_from_bundled(stored, bundled_comuni())
            await self.comuni_store.upsert([to_row(c) for c in newer])
        self.comuni = ComuneIndex([from_row(row) for row in await self.comuni_store.all()])

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()


def to_row(comune: Comune) -> ComuneRow:
    """A domain comune as a storage row."""
    return ComuneRow(normalise(comune.name), comune.name, comune.istat, comune.zone, comune.source)


def from_row(row: ComuneRow) -> Comune:
    """A storage row as a domain comune."""
    return Comune(name=row.name, zone=row.zone, istat=row.istat, source=row.source)
