"""The running bot's daily look at the data it keeps (issue 14).

- Abandoned conversations: a conversation nobody answered for ``PSM_CONVERSATION_TTL_DAYS``
  (7 by default) is deleted, with what was typed so far (the flow's own shorter limits
  stay as they are: this is the floor for every flow).
- Retention: from a week before the event file's ``process.retention_until``, every
  organiser (``PSM_ORGANISERS``) is told once, through the outbox, when personal data will
  be erased; on that day (local date) the bot erases it (:func:`storage.retention.purge`)
  and logs the counts, and deletes the copies of the database made before (``backups/``,
  the databases a restore kept aside: :func:`storage.backup.copies_of`), which still hold
  what was erased. A later check that finds nothing to erase leaves the copies alone (so a
  ``psm-bot purge --keep-backups`` is respected).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

from bot.kernel.clock import Clock
from bot.kernel.i18n import Catalog
from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.people import Languages
from config.event import EventConfig
from config.settings import Settings
from storage.backup import copies_of, delete_copies
from storage.db import Database
from storage.outbox import PERSON, OutboxRepository, OutboxRow, Planned
from storage.retention import PurgeReport, forget_abandoned_conversations, purge

log = logging.getLogger(__name__)

NOTICE = "retention_notice"  # the outbox kind of the organisers' notice
NOTICE_BEFORE = dt.timedelta(days=7)


class RetentionCheck:
    """What the daily job does; :meth:`render` renders the organisers' notice."""

    def __init__(
        self,
        settings: Settings,
        config: EventConfig,
        clock: Clock,
        db: Database,
        outbox: OutboxRepository,
        languages: Languages,
        catalog: Catalog,
    ) -> None:
        self.database = Path(settings.database).expanduser().resolve()
        self.ttl = dt.timedelta(days=settings.conversation_ttl_days)
        self.organisers = list(settings.organisers)
        self.config = config
        self.clock = clock
        self.db = db
        self.outbox = outbox
        self.languages = languages
        self.catalog = catalog

    @property
    def until(self) -> dt.date | None:
        """The event file's retention date."""
        return self.config.process.retention_until

    async def daily(self) -> PurgeReport | None:
        """Forget abandoned conversations; announce or carry out the purge when it is time."""
        now = self.clock.now()
        forgotten = await forget_abandoned_conversations(self.db, now - self.ttl)
        if forgotten:
            log.info("conversations: %d abandoned for %d days forgotten", forgotten, self.ttl.days)
        until = self.until
        if until is None:
            return None
        today = now.astimezone(self.config.tz).date()
        if today >= until:
            copies = await asyncio.to_thread(copies_of, self.database)
            report = await purge(self.db, dry_run=False)
            if report.erased_anything:
                log.info(
                    "retention: personal data erased (process.retention_until %s): %s",
                    until.isoformat(),
                    ", ".join(f"{what} {count}" for what, count in report.erased if count),
                )
                await self._delete(copies)
            return report
        if today >= until - NOTICE_BEFORE and self.organisers:
            await self._announce(until, now)
        return None

    def purge_due(self) -> bool:
        """Whether today (local) is on or after the retention date."""
        until = self.until
        return until is not None and self.clock.now().astimezone(self.config.tz).date() >= until

    async def _delete(self, copies: list[Path]) -> None:
        """Delete the copies made before the purge: one line, and one per failure."""
        deleted, failed = await asyncio.to_thread(delete_copies, copies)
        if deleted:
            log.info(
                "retention: %d copies of the database made before the purge deleted "
                "(backups, kept-aside databases): they held personal data",
                len(deleted),
            )
        for path, reason in failed:
            log.error("retention: could not delete %s (%s): delete it by hand", path, reason)

    async def _announce(self, until: dt.date, now: dt.datetime) -> None:
        expires = dt.datetime.combine(until, dt.time(0, 0), tzinfo=self.config.tz)
        planned = [
            Planned(
                dedupe_key=f"{NOTICE}:{until.isoformat()}:{organiser}",
                kind=NOTICE,
                user_id=organiser,
                due_at=now,
                expires_at=expires,
                payload={"date": until.isoformat()},
                priority=PERSON,
            )
            for organiser in self.organisers
        ]
        if await self.outbox.add(planned, now):
            log.info("retention: organisers told that personal data goes on %s", until)

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """The notice, in the organiser's language, with the date as they read it."""
        language = await self.languages.of_user(row.user_id)
        date = dt.date.fromisoformat(str(row.payload.get("date")))
        shown = date.strftime("%d/%m/%Y") if language == "it" else date.isoformat()
        return Prepared(Outgoing(text=self.catalog(language, "retention.notice", date=shown)))
