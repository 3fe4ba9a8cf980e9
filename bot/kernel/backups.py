"""Scheduled backups while an event is running (the running bot's job calls :meth:`run`).

On the days an event of the event file takes place (the local date in the process time
zone), or every day with ``PSM_BACKUP_EVERY_DAY=true``, every ``PSM_BACKUP_INTERVAL`` the
bot copies its database into ``backups/`` next to it (``<name>-auto-<UTC time>.sqlite3``,
verified) and keeps the ``PSM_BACKUP_KEEP`` newest of those; manual and pre-migration
backups are never deleted. ``PSM_BACKUP_INTERVAL=0`` turns the schedule off. Outside event
days nothing changes in the database that an operator could not back up by hand
(``psm-bot backup``, or the server's own nightly copy of ``backups/``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

from bot.kernel.clock import Clock
from bot.kernel.faults import BACKUP, Faults
from bot.kernel.logs import describe
from config.event import EventConfig
from config.settings import Settings
from storage.backup import (
    AUTO,
    BackupResult,
    backup_database,
    backups_folder,
    default_backup_path,
    prune_backups,
)
from storage.errors import DatabaseError

log = logging.getLogger(__name__)


class ScheduledBackups:
    """Decides whether a scheduled backup is due today and makes it (off the event loop)."""

    def __init__(
        self, settings: Settings, config: EventConfig, clock: Clock, faults: Faults | None = None
    ) -> None:
        self.faults = faults  # the running bot's: a failure told once, its end too
        self.database = Path(settings.database).expanduser().resolve()
        self.interval = settings.backup_interval
        self.keep = settings.backup_keep
        self.every_day = settings.backup_every_day
        self.config = config
        self.clock = clock

    @property
    def enabled(self) -> bool:
        """Whether the schedule runs at all (``PSM_BACKUP_INTERVAL`` not 0)."""
        return self.interval > dt.timedelta(0)

    def due_today(self) -> bool:
        """Today (local) is an event day, or every day is asked for."""
        if self.every_day:
            return True
        today = self.clock.now().astimezone(self.config.tz).date()
        return any(event.date == today for event in self.config.events)

    async def run(self) -> BackupResult | None:
        """Make a scheduled backup now if today is a backup day; never raises (logged)."""
        if not self.enabled or not self.due_today():
            return None
        target = default_backup_path(self.database, self.clock.now(), kind=AUTO)
        try:
            made = await asyncio.to_thread(backup_database, self.database, target)
            pruned = await asyncio.to_thread(
                prune_backups, backups_folder(self.database), self.database.stem, self.keep
            )
        except Exception as exc:  # a background job must not stop the bot
            if self.faults is None or not self.faults.failed(BACKUP, exc):
                reason = str(exc) if isinstance(exc, DatabaseError) else describe(exc)
                log.error("scheduled backup failed: %s", reason)
            return None
        if self.faults is not None:
            self.faults.succeeded(BACKUP)
        log.info(
            "scheduled backup: %s (%d bytes, %.2f s), %d old ones removed",
            made.path.name,
            made.size,
            made.seconds,
            len(pruned),
        )
        return made
