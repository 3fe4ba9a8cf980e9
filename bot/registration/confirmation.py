"""A registration's confirmation and calendar file, through the durable outbox.

The confirmation (status, venue with a map link, programme) takes the place of the summary;
the ``.ics`` file follows. Both are outbox rows a person waits for (``PERSON`` priority):
the handler delivers them at once, and should the bot stop first, the next drain does.
Waiting-list promotions are told the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.kernel.clock import Clock
from bot.kernel.format import agenda_block, venue_text
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.replies import Document, Message, Reply
from bot.registration.calendar import event_ics
from bot.registration.texts import RegistrationTexts
from config.event import AttendanceMode, EventConfig
from storage.outbox import PERSON, OutboxRepository, OutboxRow, Planned
from storage.registrations import Registration, RegistrationRepository

CONFIRMATION, CALENDAR, PROMOTION = "confirmation", "calendar", "promotion"
OUTBOX_KINDS = (CONFIRMATION, CALENDAR, PROMOTION)
MESSAGE_VALIDITY = dt.timedelta(days=2)  # Telegram lets the bot edit a message for 48 hours


class Confirmations:
    """What a participant receives once registered (or promoted), and its outbox rows."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        texts: RegistrationTexts,
        registrations: RegistrationRepository,
        outbox: OutboxRepository,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.texts = texts
        self.registrations = registrations
        self.outbox = outbox

    async def replies(self, registration: Registration, language: str) -> list[Reply]:
        """The confirmation in one message, then the calendar file."""
        text = await self.text(registration, language)
        return [Message(text), self.calendar_file(registration, language)]

    async def text(self, registration: Registration, language: str) -> Raw:
        """The status, the venue (with a map link when it has coordinates), the programme."""
        event = self.texts.event(registration.event_id)
        assert event is not None
        mode = AttendanceMode(registration.mode)
        venue = self.config.venue(registration.venue_id) if registration.venue_id else None
        parts = [await self.texts.status(registration, language)]
        if venue is not None and venue.latitude is not None and venue.longitude is not None:
            url = (
                "https://www.google.com/maps/search/?api=1"
                f"&query={venue.latitude},{venue.longitude}"
            )
            parts.append(self.catalog(language, "registration.map", url=url, venue=venue.name))
        parts.append(agenda_block(self.catalog, language, self.config, event, mode))
        return Raw("\n\n".join(parts))

    def calendar_file(self, registration: Registration, language: str) -> Document:
        """The registration's ``.ics`` file (its sessions, at its venue or online)."""
        event = self.texts.event(registration.event_id)
        assert event is not None
        mode = AttendanceMode(registration.mode)
        venue = self.config.venue(registration.venue_id) if registration.venue_id else None
        ics = event_ics(
            self.config,
            event,
            mode,
            venue,
            language,
            uid=f"{event.id}-{registration.id}@psm-bot",
            now=self.clock.now(),
            online_label=self.catalog(language, "calendar.online"),
        )
        return Document(f"{event.id}.ics", ics, self.catalog(language, "calendar.caption"))

    async def plan(
        self, registration: Registration, kind: str = CONFIRMATION, message_id: int | None = None
    ) -> list[str]:
        """Put a registration's confirmation (or promotion notice, ``kind``) and calendar
        file in the outbox; returns their keys, in the order to send them. ``message_id``:
        the summary the confirmation takes the place of."""
        assert registration.user_id is not None
        now = self.clock.now()
        stamp = f"{registration.id}:{now.timestamp():.0f}"
        payload: dict[str, Any] = {"edit": message_id} if message_id else {}
        rows = [
            Planned(
                dedupe_key=f"{what}:{stamp}",
                kind=what,
                user_id=registration.user_id,
                due_at=now,
                expires_at=now + MESSAGE_VALIDITY,
                registration_id=registration.id,
                event_id=registration.event_id,
                payload=payload if what == kind else {},
                priority=PERSON,
            )
            for what in (kind, CALENDAR)
        ]
        await self.outbox.add(rows, now)
        return [row.dedupe_key for row in rows]

    async def promotions(self, promoted: list[Registration]) -> list[str]:
        """Tell those promoted from a waiting list, through the outbox: their confirmation
        and calendar file. Returns the rows to deliver at once."""
        keys: list[str] = []
        for registration in promoted:
            if registration.user_id is not None and self.texts.event(registration.event_id):
                keys += await self.plan(registration, PROMOTION)
        return keys

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """An outbox row of :data:`OUTBOX_KINDS`, as it is when sent (the registration's
        current state and language)."""
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if registration is None or not registration.active:
            return Prepared(None, skip="registration_inactive")
        language = registration.language
        if row.kind == CALENDAR:
            document = self.calendar_file(registration, language)
            return Prepared(
                Outgoing(text=document.caption, document=(document.filename, document.content))
            )
        text = await self.text(registration, language)
        if row.kind == PROMOTION:
            venue = self.config.venue(registration.venue_id or "")
            title = self.texts.event_title(language, registration.event_id)
            promoted = self.catalog(
                language, "waitlist.promoted", event=title, venue=venue_text(venue)
            )
            text = Raw(f"{promoted}\n\n{text}")
        edit = row.payload.get("edit")
        return Prepared(Outgoing(text=text, edit_message_id=int(edit) if edit else None))
