"""What the running bot does for its operators (issue 14): the heartbeat for
``psm-bot status``, ``/healthz`` when ``PSM_HEALTH_PORT`` is set, the scheduled backups,
the retention check (abandoned conversations, the organisers' notice, the purge).

Built with the Application (:mod:`bot.app`), started in ``post_init`` once the services
run, stopped in ``post_shutdown`` before the database closes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from typing import TYPE_CHECKING

from telegram import Bot
from telegram.error import TelegramError

from bot.kernel.backups import ScheduledBackups
from bot.kernel.clock import Clock
from bot.kernel.faults import (
    HEARTBEAT,
    OUTBOX,
    RETENTION,
    TICK,
    Faults,
    Notice,
    fault_kind,
    fault_line,
)
from bot.kernel.health import BEAT_EVERY, Pulse, Status, beat, read_status
from bot.kernel.i18n import DEFAULT_LANGUAGE
from bot.kernel.logs import describe
from bot.kernel.retention import NOTICE, RetentionCheck
from bot.services import Services
from config.event import EventConfig
from config.settings import Settings
from handlers.context import PsmApplication, PsmContext
from handlers.health import HealthServer
from storage.ops import OpsRepository

if TYPE_CHECKING:  # aiohttp's web server is imported only when the bot's web server runs
    from handlers.web import WebServer

log = logging.getLogger(__name__)

# The retention check (abandoned conversations, the notice, the purge): a minute after the
# start, then every 6 hours (a bot restarted every day still makes it daily).
RETENTION_EVERY = dt.timedelta(hours=6)


async def organiser_language(services: Services, user_id: int) -> str:
    """An organiser's language; Italian, the default, when the database cannot say."""
    try:
        return await services.languages.of_user(user_id)
    except Exception:  # the database is what fails
        return DEFAULT_LANGUAGE


class Operations:
    """The heartbeat job, the health server and the backup job of one running bot."""

    def __init__(self, settings: Settings, config: EventConfig, clock: Clock) -> None:
        self.settings = settings
        self.config = config
        self.clock = clock
        self.pulse = Pulse(clock)
        self.ops: OpsRepository | None = None
        self.health: HealthServer | None = None
        self.web: WebServer | None = None  # issue 15, part C: the projector and /healthz
        self._services: Services | None = None
        self.retention: RetentionCheck | None = None
        # database faults of the background work (and the throttle of the organisers' alerts)
        self.faults = Faults(settings.database, clock)
        self._bot: Bot | None = None
        # a scheduled backup and the retention check never run at once (a copy taken while
        # the purge deletes the older ones would keep what it erases)
        self._one_at_a_time = asyncio.Lock()

    async def status(self) -> Status:
        """The status now, with this bot's live pulse; a database fault going on in the
        background work is a problem too (``/healthz`` answers 503 while it lasts)."""
        assert self.ops is not None
        status = await read_status(self.ops, self.settings.database, self.clock.now(), self.pulse)
        status.problems.extend(f"database fault: {line}" for line in self.faults.active)
        return status

    async def start(self, application: PsmApplication, services: Services) -> None:
        """Record the start, schedule the jobs, open /healthz."""
        self.ops = OpsRepository(services.db)
        await self.ops.started(os.getpid(), self.clock.now())
        self._bot, self._services = application.bot, services
        self.faults.listeners.append(self._tell_organisers)
        services.tick_done = self.faults.task_done(TICK)
        if services.sender is not None:
            services.sender.drain_done = self.faults.task_done(OUTBOX)
        jobs = application.job_queue
        assert jobs is not None
        jobs.run_repeating(
            self._beat, interval=BEAT_EVERY.total_seconds(), first=5, name="heartbeat"
        )
        backups = ScheduledBackups(self.settings, self.config, self.clock, self.faults)
        if backups.enabled:

            async def backup_job(context: PsmContext) -> None:
                async with self._one_at_a_time:
                    # past the retention date a copy never holds what should be erased
                    if self.retention is not None and self.retention.purge_due():
                        await self._retention_check()
                    await backups.run()

            seconds = backups.interval.total_seconds()
            jobs.run_repeating(backup_job, interval=seconds, first=seconds, name="backup")
        self.retention = RetentionCheck(
            self.settings,
            self.config,
            self.clock,
            services.db,
            services.outbox,
            services.languages,
            services.catalog,
        )
        if services.sender is not None:
            services.sender.register(NOTICE, self.retention.render)
        jobs.run_repeating(
            self._daily, interval=RETENTION_EVERY.total_seconds(), first=60, name="retention"
        )
        await self._start_web(application, services)
        if self.settings.health_port is not None and not self._health_on_web():
            self.health = HealthServer(
                self.status, self.settings.health_host, self.settings.health_port
            )
            await self.health.start()

    def alert_for(self, error: BaseException | None) -> str | None:
        """The fault line to tell the organisers now about ``error`` (an update's), or None:
        not a database fault, or this kind was told less than 10 minutes ago."""
        line = fault_line(error, self.settings.database)
        if line is None or not self.faults.should_alert(fault_kind(error, line)):
            return None
        return line

    async def _tell_organisers(self, notice: Notice) -> None:
        """A background fault began or is over: each organiser told in their language,
        directly (the outbox lives in the database that fails)."""
        if self._bot is None or self._services is None:
            return
        services = self._services
        key = "operations.database_back" if notice.cleared else "operations.background_fault"
        for organiser in services.settings.organisers:
            language = await organiser_language(services, organiser)
            work = services.catalog(language, f"operations.work.{notice.work}")
            text = services.catalog(language, key, reason=notice.line, work=work)
            try:
                await self._bot.send_message(organiser, text)
            except TelegramError as exc:
                log.warning("could not tell an organiser about the fault: %s", describe(exc))

    # --- issue 15, part C: the bot's web server (handlers/web.py) ---
    def _health_on_web(self) -> bool:
        """``PSM_HEALTH_PORT`` names the web server's own address: one server for both."""
        settings = self.settings
        return (
            self.web is not None
            and settings.health_port == settings.web_port
            and settings.health_host == settings.web_host
        )

    async def _start_web(self, application: PsmApplication, services: Services) -> None:
        """The projector and /healthz on ``PSM_WEB_HOST:PSM_WEB_PORT``, when set."""
        services.bot_username = application.bot.username or services.bot_username
        self._services = services
        if self.settings.web_port is None:
            return
        from handlers.web import WebServer  # aiohttp's web server: only when it runs

        self.web = WebServer(self.settings.web_host, self.settings.web_port)
        self.web.add_healthz(HealthServer(self.status, "", 0).healthz)
        self.web.add_projector(lambda: services.projector_site)
        await self.web.start()

    # --- end of part C's block ---

    async def _daily(self, context: PsmContext) -> None:
        async with self._one_at_a_time:
            await self._retention_check()

    async def _retention_check(self) -> None:
        if self.retention is None:
            return
        try:
            await self.retention.daily()
        except Exception as exc:
            if not self.faults.failed(RETENTION, exc):
                log.error("the daily retention check failed: %s", describe(exc))
        else:
            self.faults.succeeded(RETENTION)

    async def _beat(self, context: PsmContext) -> None:
        assert self.ops is not None
        try:
            await beat(self.ops, self.pulse)
        except Exception as exc:  # a full disk: said once (Faults), the bot goes on
            if not self.faults.failed(HEARTBEAT, exc):
                log.error("heartbeat not written: %s", describe(exc))
        else:
            self.faults.succeeded(HEARTBEAT)

    async def stop(self) -> None:
        """Close /healthz; record the clean stop (with the last pulse)."""
        if self.web is not None:  # part C: the projector's streams end, then the server
            await self.web.stop()
            self.web = None
        if self._services is not None:
            services, self._services = self._services, None
            await services.projector_site.live.close()
        if self.health is not None:
            await self.health.stop()
            self.health = None
        if self.ops is not None:
            ops, self.ops = self.ops, None
            try:
                await beat(ops, self.pulse)
                await ops.stopped(self.clock.now())
            except Exception as exc:
                log.error("the stop could not be recorded: %s", describe(exc))
