"""Broadcasts: an organiser (or a facilitator, to their own zone) sends a message to many.

The conversation (``/messaggio``): the message to send — any text, photo, document, video or
audio, later copied exactly as sent with copyMessage — → the event → the audience (everyone
registered, a zone, a venue, in person, online, checked in or not) → how many it will reach
and a preview → send now, schedule for a date and time, or cancel.

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
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import Clock
from bot.kernel.conversation import NEXT, Content, Conversations, FlowData, Handled, Talk
from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog, Raw, language_for
from bot.kernel.outbox import OutboxSender, Outgoing, Prepared
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Copy, Message, Outcome, Reply
from bot.kernel.spreadsheet import Table, Value, to_csv
from bot.staff.roles import Roles
from config.event import EventConfig
from storage.broadcasts import Broadcast, BroadcastRepository, Recipient
from storage.outbox import OutboxRepository, OutboxRow, Planned
from storage.registrations import RegistrationRepository
from storage.users import UserRepository

log = logging.getLogger(__name__)

BROADCAST = "broadcast"


class Step(StrEnum):
    """The steps of composing a broadcast."""

    CAPTURE = "capture"  # the message to copy
    EVENT = "event"
    AUDIENCE = "audience"
    ZONE = "zone"
    VENUE = "venue"
    CONFIRM = "confirm"
    WHEN = "when"
    SCHEDULED = "scheduled"


@dataclass
class BroadcastData(FlowData):
    """The broadcast being composed."""

    facilitator_zones: list[int] | None = None  # None: an organiser (every zone)
    source_chat: int | None = None
    source_message: int | None = None
    content: str | None = None
    event: str | None = None
    kind: str | None = None
    zone: int | None = None
    venue: str | None = None
    schedule: bool = False
    scheduled_at: str | None = None
    decision: str | None = None

    def audience(self) -> dict[str, Any]:
        """Who it goes to, as stored with the broadcast."""
        found = {"event": self.event, "kind": self.kind, "zone": self.zone, "venue": self.venue}
        return {key: value for key, value in found.items() if value is not None}


@dataclass(frozen=True)
class BroadcastButton(ButtonData, prefix="b"):
    """The cancel button of a broadcast."""

    action: str  # "cancel"
    broadcast_id: int


AUDIENCES = ("all", "zone", "venue", "in_person", "online", "present", "absent")
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
    }


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
        users: UserRepository,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.broadcasts_store = broadcasts_store
        self.outbox = outbox
        self.registrations = registrations
        self.users = users
        self.sender: OutboxSender | None = None  # set once the outbox sender runs
        self._edited: dict[int, tuple[float, str]] = {}  # id -> (monotonic time, text)

    async def recipients(self, audience: dict[str, Any]) -> list[Recipient]:
        """Who an audience reaches now."""
        return await self.broadcasts_store.recipients(
            str(audience["event"]), **audience_filters(audience)
        )

    async def _language(self, user_id: int) -> str:
        user = await self.users.get(user_id)
        return language_for(None, user.language if user else None)

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
        await self.outbox.add(
            [
                Planned(
                    dedupe_key=f"broadcast:{broadcast.id}:{r.registration_id}",
                    kind="broadcast",
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
            except Exception:  # the broadcast goes on without a progress message
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
            [Button(str(t(language, "broadcast.cancel_button")), f"b|cancel|{broadcast_id}")]
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
        except Exception:  # progress is a courtesy: never stop a broadcast for it
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
        except Exception:
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


class BroadcastFlow:
    """The ``/messaggio`` conversation."""

    name: ClassVar[str] = BROADCAST
    data_type = BroadcastData
    text_steps: frozenset[str] = frozenset({Step.WHEN})

    def __init__(self, broadcasts: BroadcastFlows) -> None:
        self.b = broadcasts

    def stopped(self, talk: Talk[BroadcastData]) -> str:
        """``/annulla`` while composing."""
        return "abort.done"

    def takes_any_message(self, talk: Talk[BroadcastData]) -> bool:
        """The first step takes the message to broadcast, whatever it is."""
        return talk.step == Step.CAPTURE

    async def next_step(self, talk: Talk[BroadcastData], who: Who | None) -> str:
        """The first unanswered step of the broadcast conversation."""
        data, config = talk.data, self.b.config
        if data.source_message is None:
            return Step.CAPTURE
        if data.event is None:
            if len(config.events) != 1:
                return Step.EVENT
            data.event = config.events[0].id
        zones = data.facilitator_zones
        if data.kind is None:
            if zones is None:
                return Step.AUDIENCE
            data.kind = "zone"
        if data.kind == "zone" and data.zone is None:
            if zones is not None and len(zones) == 1:
                data.zone = zones[0]
            else:
                return Step.ZONE
        if data.kind == "venue" and data.venue is None:
            return Step.VENUE
        if data.schedule and data.scheduled_at is None:
            return Step.WHEN
        if data.scheduled_at is not None:
            return Step.SCHEDULED
        return Step.CONFIRM

    async def question(self, talk: Talk[BroadcastData], who: Who | None) -> list[Reply]:
        """The question of the current step (with the preview before the confirmation)."""
        t, language, data, button = self.b.t, talk.language, talk.data, talk.button
        config, step = self.b.config, talk.step
        if step == Step.CAPTURE:
            return [Message(t(language, "broadcast.ask_message"))]
        if step == Step.EVENT:
            buttons = [[button(e.title.get(language), "ev", e.id)] for e in config.events]
            return [Message(t(language, "broadcast.ask_event"), buttons)]
        if step == Step.AUDIENCE:
            buttons = [
                [button(t(language, f"broadcast.kind_{kind}"), "au", kind)] for kind in AUDIENCES
            ]
            return [Message(t(language, "broadcast.ask_audience"), buttons)]
        if step == Step.ZONE:
            zones = data.facilitator_zones or [z.number for z in config.zones]
            buttons = [[button(zone_label(config, zone), "zo", str(zone))] for zone in zones]
            return [Message(t(language, "broadcast.ask_zone"), buttons)]
        if step == Step.VENUE:
            buttons = [[button(v.name, "ve", v.id)] for v in config.venues]
            return [Message(t(language, "broadcast.ask_venue"), buttons)]
        if step == Step.WHEN:
            return [Message(t(language, "broadcast.ask_when"))]
        audience = data.audience()
        count = len(await self.b.service.recipients(audience))
        described = self.b.service.describe(language, audience)
        if step == Step.SCHEDULED:
            assert data.scheduled_at is not None
            when = dt.datetime.fromisoformat(data.scheduled_at).astimezone(config.tz)
            text = t(
                language,
                "broadcast.confirm_schedule",
                audience=described,
                count=count,
                when=f"{when:%d/%m/%Y %H:%M}",
            )
            buttons = [
                [
                    button(t(language, "broadcast.schedule_ok"), "ok"),
                    button(t(language, "broadcast.stop"), "stop"),
                ]
            ]
            return [Message(text, buttons)]
        assert data.source_chat is not None and data.source_message is not None
        preview = Copy(data.source_chat, data.source_message)
        question = Message(
            t(language, "broadcast.confirm", audience=described, count=count),
            [
                [button(t(language, "broadcast.send_now"), "now")],
                [button(t(language, "broadcast.schedule"), "later")],
                [button(t(language, "broadcast.stop"), "stop")],
            ],
        )
        return [Message(t(language, "broadcast.preview")), preview, question]

    async def on_button(
        self, talk: Talk[BroadcastData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """Apply a button of the broadcast conversation."""
        data, step, config = talk.data, talk.step, self.b.config
        zones = data.facilitator_zones
        if step == Step.EVENT and action == "ev" and value in {e.id for e in config.events}:
            data.event = value
        elif step == Step.AUDIENCE and action == "au" and value in AUDIENCES and zones is None:
            data.kind = value
        elif step == Step.ZONE and action == "zo" and value.isdigit():
            allowed = zones if zones is not None else [z.number for z in config.zones]
            if int(value) not in allowed:
                return None
            data.zone = int(value)
        elif step == Step.VENUE and action == "ve" and value in {v.id for v in config.venues}:
            data.venue = value
        elif step == Step.CONFIRM and action == "later":
            data.schedule = True
        elif step in (Step.CONFIRM, Step.SCHEDULED) and action in ("now", "ok", "stop"):
            return await self.b.decide(talk, action, who)
        else:
            return None
        return NEXT

    async def on_text(self, talk: Talk[BroadcastData], text: str, who: Who) -> Handled:
        """The date and time of a scheduled broadcast (other steps want buttons)."""
        if talk.step != Step.WHEN:
            return None
        now = self.b.clock.now()
        when = parse_when(text, now, self.b.config.tz)
        if when is None or when <= now:
            talk.say(self.b.t(talk.language, "broadcast.bad_when"))
            return await self.b.conversations.ask(talk, who)
        talk.data.scheduled_at = when.isoformat()
        return NEXT

    async def on_content(self, talk: Talk[BroadcastData], content: Content, who: Who) -> Handled:
        """The message to broadcast (any supported content), at the first step."""
        if talk.step != Step.CAPTURE or content.chat_id is None:
            return None
        if content.kind not in CONTENT_KINDS:
            talk.say(self.b.t(talk.language, "broadcast.unsupported"))
            return await self.b.conversations.ask(talk, who)
        talk.data.source_chat, talk.data.source_message = content.chat_id, content.message_id
        talk.data.content = content.kind
        return NEXT


class BroadcastFlows:
    """Organisers' and facilitators' broadcasts from the chat: compose, list, cancel."""

    def __init__(
        self,
        conversations: Conversations,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        service: BroadcastService,
        broadcasts_store: BroadcastRepository,
    ) -> None:
        self.conversations = conversations
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.service = service
        self.broadcasts_store = broadcasts_store
        self.flow = BroadcastFlow(self)
        conversations.add(self.flow)

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    async def _zones_of(self, user_id: int) -> list[int] | None:
        """None for organisers (every zone), else the facilitator's zones."""
        if self.roles.is_organiser(user_id):
            return None
        return sorted(await self.roles.facilitator_zones(user_id))

    async def start(self, who: Who) -> Outcome:
        """``/messaggio``: organisers and facilitators; ask for the message to send."""
        language = await self.languages.of(who)
        zones = await self._zones_of(who.user_id)
        if zones == []:
            return Outcome().add(Message(self.t(language, "broadcast.not_allowed")))
        data = BroadcastData(facilitator_zones=zones)
        return await self.conversations.begin(who, self.flow, data, language=language)

    async def decide(self, talk: Talk[BroadcastData], decision: str, who: Who) -> Outcome:
        """Send now, schedule, or stop."""
        t, language, out = self.t, talk.language, talk.out
        await self.conversations.end(who.user_id)
        if decision == "stop":
            return out.add(Message(t(language, "broadcast.stopped")))
        zones = await self._zones_of(who.user_id)  # roles may have changed meanwhile
        data = talk.data
        if zones == [] or (
            zones is not None and (data.zone if data.zone is not None else -1) not in zones
        ):
            return out.add(Message(t(language, "broadcast.not_allowed")))
        now = self.clock.now()
        when = dt.datetime.fromisoformat(data.scheduled_at) if data.scheduled_at else now
        assert data.source_chat is not None and data.source_message is not None
        broadcast = await self.broadcasts_store.create(
            created_by=who.user_id,
            source_chat=data.source_chat,
            source_message=data.source_message,
            content=str(data.content),
            audience=data.audience(),
            scheduled_at=when,
            now=now,
        )
        if decision == "ok":
            local = when.astimezone(self.config.tz)
            return out.add(
                Message(
                    t(
                        language,
                        "broadcast.scheduled",
                        id=broadcast.id,
                        when=f"{local:%d/%m/%Y %H:%M}",
                    ),
                    [
                        [
                            Button(
                                t(language, "broadcast.cancel_button"),
                                BroadcastButton("cancel", broadcast.id).pack(),
                            )
                        ]
                    ],
                )
            )
        await self.service.tick()
        return out.add(Message(t(language, "broadcast.started", id=broadcast.id)))

    async def cancel_button(self, who: Who, button: BroadcastButton | None) -> Outcome:
        """A broadcast's cancel button: its creator or an organiser cancels it."""
        language = await self.languages.of(who)
        t = self.t
        if button is None or button.action != "cancel":
            return Outcome(alert=t(language, "button.invalid"))
        broadcast = await self.broadcasts_store.get(button.broadcast_id)
        allowed = broadcast is not None and (
            broadcast.created_by == who.user_id or self.roles.is_organiser(who.user_id)
        )
        if broadcast is None or not allowed:
            return Outcome(alert=t(language, "button.invalid"))
        cancelled = await self.service.cancel(broadcast.id)
        if cancelled is None:
            return Outcome(alert=t(language, "broadcast.not_cancellable"), close_keyboard=False)
        return Outcome(toast=t(language, "broadcast.cancelled_toast"))

    async def list_active(self, who: Who) -> Outcome:
        """``/messaggi``: scheduled and running broadcasts, each with a cancel button."""
        language = await self.languages.of(who)
        t = self.t
        if not self.roles.is_organiser(who.user_id):
            return Outcome().add(Message(t(language, "roles.organisers_only")))
        out = Outcome()
        active = await self.broadcasts_store.with_status("scheduled", "sending")
        if not active:
            return out.add(Message(t(language, "broadcast.none_active")))
        for broadcast in active:
            local = broadcast.scheduled_at.astimezone(self.config.tz)
            out.add(
                Message(
                    t(
                        language,
                        f"broadcast.active_{broadcast.status}",
                        id=broadcast.id,
                        audience=self.service.describe(language, broadcast.audience),
                        when=f"{local:%d/%m/%Y %H:%M}",
                        count=broadcast.total,
                    ),
                    [
                        [
                            Button(
                                t(language, "broadcast.cancel_button"),
                                BroadcastButton("cancel", broadcast.id).pack(),
                            )
                        ]
                    ],
                )
            )
        return out
