"""What the running bot does for its operators (issue 14): the heartbeat for
``psm-bot status``, ``/healthz`` when ``PSM_HEALTH_PORT`` is set, the scheduled backups,
the retention check (abandoned conversations, the organisers' notice, the purge).

Built with the Application (:mod:`bot.app`), started in ``post_init`` once the services
run, stopped in ``post_shutdown`` before the database closes.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import sqlite3
from pathlib import Path

from bot.kernel.backups import ScheduledBackups
from bot.kernel.clock import Clock
from bot.kernel.health import BEAT_EVERY, Pulse, Status, beat, read_status
from bot.kernel.logs import describe
from bot.kernel.retention import NOTICE, RetentionCheck
from bot.services import Services
from config.event import EventConfig
from config.settings import Settings
from handlers.context import PsmApplication, PsmContext
from handlers.health import HealthServer
from handlers.web import WebServer
from storage.errors import database_error
from storage.ops import OpsRepository

log = logging.getLogger(__name__)

# The retention check (abandoned conversations, the notice, the purge): a minute after the
# start, then every 6 hours (a bot restarted every day still makes it daily).
RETENTION_EVERY = dt.timedelta(hours=6)


# A database fault is told to the organisers at most this often (per kind of fault).
ALERT_EVERY = dt.timedelta(minutes=10)


def database_fault(error: BaseException | None, database: Path) -> str | None:
    """The one line for a database fault behind ``error`` (a full disk, a read-only file,
    an I/O error, a lock held by another program...), or None when it is not one."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sqlite3.Error):
            return str(database_error(database, error))
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EROFS, errno.EIO):
            return str(database_error(database, error))
        error = error.__cause__ or error.__context__
    return None


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
        self._alerted: dict[str, dt.datetime] = {}  # fault line -> when organisers were told

    async def status(self) -> Status:
        """The status now, with this bot's live pulse."""
        assert self.ops is not None
        return await read_status(self.ops, self.settings.database, self.clock.now(), self.pulse)

    async def start(self, application: PsmApplication, services: Services) -> None:
        """Record the start, schedule the jobs, open /healthz."""
        self.ops = OpsRepository(services.db)
        await self.ops.started(os.getpid(), self.clock.now())
        jobs = application.job_queue
        assert jobs is not None
        jobs.run_repeating(
            self._beat, interval=BEAT_EVERY.total_seconds(), first=5, name="heartbeat"
        )
        backups = ScheduledBackups(self.settings, self.config, self.clock)
        if backups.enabled:

            async def backup_job(context: PsmContext) -> None:
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
        self.web = WebServer(self.settings.web_host, self.settings.web_port)
        self.web.add_healthz(HealthServer(self.status, "", 0).healthz)
        self.web.add_projector(lambda: services.projector_site)
        await self.web.start()

    # --- end of part C's block ---

    def should_alert(self, line: str) -> bool:
        """Whether to tell the organisers about this fault now (at most every 10 minutes)."""
        now = self.clock.now()
        last = self._alerted.get(line)
        if last is not None and now - last < ALERT_EVERY:
            return False
        self._alerted[line] = now
        return True

    async def _daily(self, context: PsmContext) -> None:
        if self.retention is None:
            return
        try:
            await self.retention.daily()
        except Exception as exc:
            log.error("the daily retention check failed: %s", describe(exc))

    async def _beat(self, context: PsmContext) -> None:
        assert self.ops is not None
        try:
            await beat(self.ops, self.pulse)
        except Exception as exc:  # a full disk: said once per beat, the bot goes on
            log.error("heartbeat not written: %s", describe(exc))

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
