"""Broadcast delivery: starting due broadcasts, progress, reports, cancelling, outbox rows.

Delivery goes through the same durable outbox and rate-limited sender as reminders: one row
per recipient (``broadcast:<id>:<registration>``). Recipients are resolved when the broadcast
starts (so a scheduled one reaches whoever is registered by then). The creator gets a
progress message ("inviati 152/312") edited at most every few seconds, with a button to
cancel, then a report (delivered, blocked, failed) with a CSV of those not reached. A
scheduled or running broadcast can be cancelled; what was sent stays sent. After a crash or
restart the broadcast resumes from the outbox: nobody is missed, and only messages that were
in flight at the crash can arrive twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import Clock
from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog
from bot.kernel.logs import describe
from bot.kernel.outbox import OutboxSender, Outgoing, Prepared
from bot.kernel.people import Languages
from bot.kernel.replies import Button
from bot.kernel.spreadsheet import Table, Value, to_csv
from config.event import EventConfig
from storage.broadcasts import Broadcast, BroadcastRepository
from storage.outbox import OutboxRepository, OutboxRow, Planned
from storage.recipients import Recipient
from storage.registrations import RegistrationRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BroadcastButton(ButtonData, prefix="b"):
    """The cancel button of a broadcast."""

    action: str  # "cancel"
    broadcast_id: int


AUDIENCES = ("all", "zone", "venue", "in_person", "online", "present", "absent")
#: not offered by /messaggio: every confirmed registrant, both modes (the final synthesis)
REGISTRANTS = "registrants"
CONTENT_KINDS = ("text", "photo", "document", "video", "audio", "voice", "animation")
MISSING_COLUMNS = ("registration_id", "name", "zone", "mode", "status", "reason")
PROGRESS_EVERY = 3.0  # seconds between two edits of a progress message
_WHEN = re.compile(
    r"^\s*(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})/(\d{1,2})(?:/(\d{4}))?)"
    r"\s+(\d{1,2})[:.](\d{2})\s*$"
)


def parse_when(text: str, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """``04/12 18:00``, ``04/12/2023 18:00`` or ``2023-12-04 18:00`` (local) -> aware time."""
    match = _WHEN.match(text)
    if not match:
        return None
    iso_y, iso_m, iso_d, day, month, year, hour, minute = match.groups()
    local_now = now.astimezone(tz)
    try:
        if iso_y:
            when = dt.datetime(int(iso_y), int(iso_m), int(iso_d), int(hour), int(minute))
        else:
            when = dt.datetime(
                int(year or local_now.year), int(month), int(day), int(hour), int(minute)
            )
    except ValueError:
        return None
    return when.replace(tzinfo=tz)


def audience_filters(audience: dict[str, Any]) -> dict[str, Any]:
    """Repository filters for an audience description."""
    kind = audience.get("kind", "all")
    return {
        "zones": [int(audience["zone"])] if kind == "zone" else None,
        "venue": audience.get("venue") if kind == "venue" else None,
        "mode": kind if kind in ("in_person", "online") else None,
        "checked_in": {"present": True, "absent": False}.get(kind),
        "confirmed_only": kind == REGISTRANTS,
    }


@dataclass(frozen=True)
class ContentKind:
    """A broadcast content that is written for each recipient when delivered (its outbox
    kind's renderer does it) instead of copied; ``reached``: the registrations that already
    received it (left out when it starts), for a content that goes once per person."""

    outbox_kind: str
    reached: Callable[[Broadcast], Awaitable[set[int]]] | None = None


class BroadcastService:
    """Starts due broadcasts, shows their progress, reports, cancels; renders outbox rows."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        broadcasts_store: BroadcastRepository,
        outbox: OutboxRepository,
        registrations: RegistrationRepository,
        languages: Languages,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.broadcasts_store = broadcasts_store
        self.outbox = outbox
        self.registrations = registrations
        self.languages = languages
        self.sender: OutboxSender | None = None  # set once the outbox sender runs
        # broadcasts written per recipient at delivery instead of copied (e.g. the list of
        # the plenary's questions): content kind -> how (see ContentKind)
        self.contents: dict[str, ContentKind] = {}
        self._edited: dict[int, tuple[float, str]] = {}  # id -> (monotonic time, text)

    async def recipients(self, audience: dict[str, Any]) -> list[Recipient]:
        """Who an audience reaches now."""
        return await self.broadcasts_store.recipients(
            str(audience["event"]), **audience_filters(audience)
        )

    async def _language(self, user_id: int) -> str:
        return await self.languages.of_user(user_id)

    def describe(self, language: str, audience: dict[str, Any]) -> str:
        """The audience in words."""
        t = self.catalog
        event = self.config.event(str(audience["event"]))
        kind = audience.get("kind", "all")
        detail = ""
        if kind == "zone":
            detail = zone_label(self.config, int(audience["zone"]))
        elif kind == "venue":
            detail = self.config.venue(str(audience["venue"])).name
        return str(
            t(
                language,
                f"broadcast.audience_{kind}",
                detail=detail,
                event=event.title.get(language),
            )
        )

    async def tick(self) -> None:
        """Start the broadcasts that are due, update progress, finish the completed ones."""
        now = self.clock.now()
        for broadcast in await self.broadcasts_store.with_status("scheduled"):
            if broadcast.scheduled_at <= now:
                await self._start(broadcast, now)
        for broadcast in await self.broadcasts_store.unreported():
            await self._progress(broadcast, now)

    async def _start(self, broadcast: Broadcast, now: dt.datetime) -> None:
        if not await self.broadcasts_store.move(broadcast.id, ("scheduled",), "sending", now):
            return
        recipients = await self.recipients(broadcast.audience)
        special = self.contents.get(broadcast.content)
        if special is not None and special.reached is not None:  # once per person
            reached = await special.reached(broadcast)
            recipients = [r for r in recipients if r.registration_id not in reached]
        kind = special.outbox_kind if special is not None else "broadcast"
        await self.outbox.add(
            [
                Planned(
                    dedupe_key=f"broadcast:{broadcast.id}:{r.registration_id}",
                    kind=kind,
                    user_id=r.user_id,
                    due_at=now,
                    registration_id=r.registration_id,
                    event_id=str(broadcast.audience["event"]),
                    broadcast_id=broadcast.id,
                )
                for r in recipients
            ],
            now,
        )
        await self.broadcasts_store.set_total(broadcast.id, len(recipients))
        log.info(
            "broadcast %d started: event=%s recipients=%d",
            broadcast.id,
            broadcast.audience.get("event"),
            len(recipients),
        )
        sender = self.sender
        if sender is not None:
            language = await self._language(broadcast.created_by)
            text, buttons = self._progress_message(language, broadcast.id, 0, len(recipients))
            try:
                message_id = await sender.transport.deliver(
                    broadcast.created_by, Outgoing(text=text, buttons=buttons)
                )
            except Exception as exc:  # the broadcast goes on without a progress message
                log.warning(
                    "broadcast %d: the progress message could not be sent: %s",
                    broadcast.id,
                    describe(exc),
                )
                return
            await self.broadcasts_store.set_progress_message(
                broadcast.id, broadcast.created_by, message_id
            )
            self._edited[broadcast.id] = (time.monotonic(), text)
            await sender.drain_soon()

    def _progress_message(
        self, language: str, broadcast_id: int, done: int, total: int
    ) -> tuple[str, list[list[Button]]]:
        t = self.catalog
        text = str(t(language, "broadcast.progress", done=done, total=total, id=broadcast_id))
        return text, [
            [
                Button(
                    t(language, "broadcast.cancel_button"),
                    BroadcastButton("cancel", broadcast_id).pack(),
                )
            ]
        ]

    async def _progress(self, broadcast: Broadcast, now: dt.datetime) -> None:
        counts = await self.outbox.broadcast_counts(broadcast.id)
        in_progress = counts.get("pending", 0) + counts.get("sending", 0)
        if in_progress == 0:
            await self.broadcasts_store.move(broadcast.id, ("sending",), "done", now)
            if await self.broadcasts_store.mark_reported(broadcast.id, now):
                await self._report(broadcast, counts)
            return
        if broadcast.status == "cancelled":
            return  # the last ones in flight: the report follows
        handled = sum(counts.values()) - in_progress
        language = await self._language(broadcast.created_by)
        text, buttons = self._progress_message(language, broadcast.id, handled, broadcast.total)
        last_time, last_text = self._edited.get(broadcast.id, (0.0, ""))
        if text != last_text and time.monotonic() - last_time >= PROGRESS_EVERY:
            await self._edit_progress(broadcast, text, buttons)

    async def _edit_progress(
        self, broadcast: Broadcast, text: str, buttons: list[list[Button]]
    ) -> None:
        sender = self.sender
        if sender is None or broadcast.progress_chat is None or broadcast.progress_message is None:
            return
        self._edited[broadcast.id] = (time.monotonic(), text)
        try:
            await sender.transport.edit(
                broadcast.progress_chat,
                broadcast.progress_message,
                Outgoing(text=text, buttons=buttons),
            )
        except Exception as exc:  # progress is a courtesy: never stop a broadcast for it
            log.warning(
                "broadcast %d: the progress message could not be updated: %s",
                broadcast.id,
                describe(exc),
            )
            return

    async def _report(self, broadcast: Broadcast, counts: dict[str, int]) -> None:
        language = await self._language(broadcast.created_by)
        t = self.catalog
        final = await self.broadcasts_store.get(broadcast.id) or broadcast
        key = "broadcast.cancelled_report" if final.status == "cancelled" else "broadcast.report"
        log.info(
            "broadcast %d %s: recipients=%d delivered=%d blocked=%d failed=%d skipped=%d "
            "cancelled=%d",
            broadcast.id,
            "cancelled" if final.status == "cancelled" else "finished",
            broadcast.total,
            counts.get("sent", 0),
            counts.get("blocked", 0),
            counts.get("failed", 0),
            counts.get("skipped", 0),
            counts.get("cancelled", 0),
        )
        text = str(
            t(
                language,
                key,
                id=broadcast.id,
                total=broadcast.total,
                delivered=counts.get("sent", 0),
                blocked=counts.get("blocked", 0),
                failed=counts.get("failed", 0) + counts.get("skipped", 0),
                cancelled=counts.get("cancelled", 0),
            )
        )
        await self._edit_progress(broadcast, text, [])
        missing = await self.outbox.not_reached(broadcast.id)
        document = None
        if missing:
            document = (f"non-raggiunti-{broadcast.id}.csv", await self._missing_csv(missing))
        sender = self.sender
        if sender is None:
            return
        try:
            await sender.transport.deliver(
                broadcast.created_by, Outgoing(text=text, document=document)
            )
        except Exception as exc:  # the broadcast is over either way
            log.warning(
                "broadcast %d: the report could not be sent: %s", broadcast.id, describe(exc)
            )
            return

    async def _missing_csv(self, rows: list[OutboxRow]) -> bytes:
        """Those not reached, through the one spreadsheet writer (names stay text)."""
        cells: list[list[Value]] = []
        for row in rows:
            registration = (
                await self.registrations.get(row.registration_id) if row.registration_id else None
            )
            cells.append(
                [
                    row.registration_id,
                    registration.display_name if registration else None,
                    registration.zone if registration else None,
                    registration.mode if registration else None,
                    row.status,
                    row.reason,
                ]
            )
        table = Table("non-raggiunti", MISSING_COLUMNS, cells)
        return to_csv(table, self.config.tz)

    async def cancel(self, broadcast_id: int) -> Broadcast | None:
        """Cancel a scheduled or running broadcast; sent messages stay sent."""
        now = self.clock.now()
        if not await self.broadcasts_store.move(
            broadcast_id, ("scheduled", "sending"), "cancelled", now
        ):
            return None
        await self.outbox.cancel_pending(broadcast_id=broadcast_id, reason="cancelled", now=now)
        await self.tick()  # reports at once unless messages are still in flight
        return await self.broadcasts_store.get(broadcast_id)

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox renderer: a copy of the broadcast message, unless cancelled meanwhile."""
        broadcast = await self.broadcasts_store.get(row.broadcast_id) if row.broadcast_id else None
        if broadcast is None or broadcast.status == "cancelled":
            return Prepared(None, skip="cancelled")
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if registration is None or not registration.active:
            return Prepared(None, skip="registration_inactive")
        return Prepared(
            Outgoing(copy_from_chat=broadcast.source_chat, copy_message_id=broadcast.source_message)
        )
