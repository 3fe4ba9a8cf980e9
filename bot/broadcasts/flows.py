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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.kernel.format import zone_label
from bot.kernel.i18n import language_for
from bot.kernel.logs import describe
from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.replies import Button, Copy, Message, Outcome, Reply
from bot.kernel.spreadsheet import Table, Value, to_csv
from config.event import AttendanceMode
from storage.broadcasts import Broadcast, Recipient
from storage.conversations import Conversation
from storage.outbox import OutboxRow, Planned

if TYPE_CHECKING:
    from bot.registration.flows import RegistrationFlows, Who
    from bot.services import Services

log = logging.getLogger(__name__)

BROADCAST = "broadcast"
CAPTURE, EVENT, AUDIENCE, ZONE, VENUE, CONFIRM, WHEN, SCHEDULED = (
    "capture",
    "event",
    "audience",
    "zone",
    "venue",
    "confirm",
    "when",
    "scheduled",
)
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

    def __init__(self, services: Services) -> None:
        self.s = services
        self._edited: dict[int, tuple[float, str]] = {}  # id -> (monotonic time, text)

    async def recipients(self, audience: dict[str, Any]) -> list[Recipient]:
        """Who an audience reaches now."""
        return await self.s.broadcasts_store.recipients(
            str(audience["event"]), **audience_filters(audience)
        )

    async def _language(self, user_id: int) -> str:
        user = await self.s.users.get(user_id)
        return language_for(None, user.language if user else None)

    def describe(self, language: str, audience: dict[str, Any]) -> str:
        """The audience in words."""
        t = self.s.catalog
        event = self.s.config.event(str(audience["event"]))
        kind = audience.get("kind", "all")
        detail = ""
        if kind == "zone":
            detail = zone_label(self.s.config, int(audience["zone"]))
        elif kind == "venue":
            detail = self.s.config.venue(str(audience["venue"])).name
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
        now = self.s.clock.now()
        for broadcast in await self.s.broadcasts_store.with_status("scheduled"):
            if broadcast.scheduled_at <= now:
                await self._start(broadcast, now)
        for broadcast in await self.s.broadcasts_store.unreported():
            await self._progress(broadcast, now)

    async def _start(self, broadcast: Broadcast, now: dt.datetime) -> None:
        if not await self.s.broadcasts_store.move(broadcast.id, ("scheduled",), "sending", now):
            return
        recipients = await self.recipients(broadcast.audience)
        await self.s.outbox.add(
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
        await self.s.broadcasts_store.set_total(broadcast.id, len(recipients))
        log.info(
            "broadcast %d started: event=%s recipients=%d",
            broadcast.id,
            broadcast.audience.get("event"),
            len(recipients),
        )
        sender = self.s.sender
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
            await self.s.broadcasts_store.set_progress_message(
                broadcast.id, broadcast.created_by, message_id
            )
            self._edited[broadcast.id] = (time.monotonic(), text)
            await sender.drain_soon()

    def _progress_message(
        self, language: str, broadcast_id: int, done: int, total: int
    ) -> tuple[str, list[list[Button]]]:
        t = self.s.catalog
        text = str(t(language, "broadcast.progress", done=done, total=total, id=broadcast_id))
        return text, [
            [Button(str(t(language, "broadcast.cancel_button")), f"b|cancel|{broadcast_id}")]
        ]

    async def _progress(self, broadcast: Broadcast, now: dt.datetime) -> None:
        counts = await self.s.outbox.broadcast_counts(broadcast.id)
        in_progress = counts.get("pending", 0) + counts.get("sending", 0)
        if in_progress == 0:
            await self.s.broadcasts_store.move(broadcast.id, ("sending",), "done", now)
            if await self.s.broadcasts_store.mark_reported(broadcast.id, now):
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
        sender = self.s.sender
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
        t = self.s.catalog
        final = await self.s.broadcasts_store.get(broadcast.id) or broadcast
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
        missing = await self.s.outbox.not_reached(broadcast.id)
        document = None
        if missing:
            document = (f"non-raggiunti-{broadcast.id}.csv", await self._missing_csv(missing))
        sender = self.s.sender
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
                await self.s.registrations.get(row.registration_id) if row.registration_id else None
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
        return to_csv(table, self.s.config.tz)

    async def cancel(self, broadcast_id: int) -> Broadcast | None:
        """Cancel a scheduled or running broadcast; sent messages stay sent."""
        now = self.s.clock.now()
        if not await self.s.broadcasts_store.move(
            broadcast_id, ("scheduled", "sending"), "cancelled", now
        ):
            return None
        await self.s.outbox.cancel_pending(broadcast_id=broadcast_id, reason="cancelled", now=now)
        await self.tick()  # reports at once unless messages are still in flight
        return await self.s.broadcasts_store.get(broadcast_id)

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox renderer: a copy of the broadcast message, unless cancelled meanwhile."""
        broadcast = (
            await self.s.broadcasts_store.get(row.broadcast_id) if row.broadcast_id else None
        )
        if broadcast is None or broadcast.status == "cancelled":
            return Prepared(None, skip="cancelled")
        registration = (
            await self.s.registrations.get(row.registration_id) if row.registration_id else None
        )
        if registration is None or not registration.active:
            return Prepared(None, skip="registration_inactive")
        return Prepared(
            Outgoing(copy_from_chat=broadcast.source_chat, copy_message_id=broadcast.source_message)
        )


class BroadcastFlows:
    """The ``/messaggio`` conversation, on the shared conversation machinery."""

    flows_handled: tuple[str, ...] = (BROADCAST,)

    def __init__(self, flows: RegistrationFlows) -> None:
        self.flows = flows
        self.s = flows.s

    async def _zones_of(self, user_id: int) -> list[int] | None:
        """None for organisers (every zone), else the facilitator's zones."""
        if self.s.roles.is_organiser(user_id):
            return None
        return sorted(await self.s.roles.facilitator_zones(user_id))

    async def start(self, who: Who) -> Outcome:
        """``/messaggio``: organisers and facilitators; ask for the message to send."""
        language = await self.flows.language(who)
        zones = await self._zones_of(who.user_id)
        if zones == []:
            return Outcome().add(Message(self.flows.t(language, "broadcast.not_allowed")))
        data: dict[str, Any] = {}
        if zones is not None:
            data["facilitator_zones"] = zones
        conversation = Conversation(who.user_id, BROADCAST, CAPTURE, "", data)
        return await self.flows.advance(conversation, language, Outcome(), who)

    async def captured(self, who: Who, chat_id: int, message_id: int, kind: str) -> Outcome:
        """The message to broadcast arrived (any supported content)."""
        language = await self.flows.language(who)
        conversation = await self.s.conversations.get(who.user_id)
        assert conversation is not None
        out = Outcome()
        if kind not in CONTENT_KINDS:
            out.add(Message(self.flows.t(language, "broadcast.unsupported")))
            return await self.flows.ask(conversation, language, out, who)
        conversation.data.update(source_chat=chat_id, source_message=message_id, content=kind)
        return await self.flows.advance(conversation, language, out, who)

    async def wants_capture(self, user_id: int) -> bool:
        """Whether the user's next message is the one to broadcast."""
        conversation = await self.s.conversations.get(user_id)
        return (
            conversation is not None
            and conversation.flow == BROADCAST
            and conversation.step == CAPTURE
        )

    def next_step(self, conversation: Conversation) -> str:
        """The first unanswered step of the broadcast conversation."""
        data = conversation.data
        if "source_message" not in data:
            return CAPTURE
        if "event" not in data:
            if len(self.s.config.events) != 1:
                return EVENT
            data["event"] = self.s.config.events[0].id
        zones = data.get("facilitator_zones")
        if "kind" not in data:
            if zones is None:
                return AUDIENCE
            data["kind"] = "zone"
        if data["kind"] == "zone" and "zone" not in data:
            if zones is not None and len(zones) == 1:
                data["zone"] = zones[0]
            else:
                return ZONE
        if data["kind"] == "venue" and "venue" not in data:
            return VENUE
        if data.get("schedule") and "scheduled_at" not in data:
            return WHEN
        if "scheduled_at" in data:
            return SCHEDULED
        return CONFIRM

    def _audience(self, data: dict[str, Any]) -> dict[str, Any]:
        return {key: data[key] for key in ("event", "kind", "zone", "venue") if key in data}

    async def question(
        self, conversation: Conversation, language: str, button: Callable[..., Button]
    ) -> Message | list[Reply]:
        """The question of the current step (with the preview before the confirmation)."""
        t = self.flows.t
        data, step = conversation.data, conversation.step
        if step == CAPTURE:
            return Message(t(language, "broadcast.ask_message"))
        if step == EVENT:
            return Message(
                t(language, "broadcast.ask_event"),
                [[button(e.title.get(language), "ev", e.id)] for e in self.s.config.events],
            )
        if step == AUDIENCE:
            return Message(
                t(language, "broadcast.ask_audience"),
                [[button(t(language, f"broadcast.kind_{kind}"), "au", kind)] for kind in AUDIENCES],
            )
        if step == ZONE:
            zones = data.get("facilitator_zones") or [z.number for z in self.s.config.zones]
            return Message(
                t(language, "broadcast.ask_zone"),
                [[button(zone_label(self.s.config, zone), "zo", str(zone))] for zone in zones],
            )
        if step == VENUE:
            return Message(
                t(language, "broadcast.ask_venue"),
                [[button(v.name, "ve", v.id)] for v in self.s.config.venues],
            )
        if step == WHEN:
            return Message(t(language, "broadcast.ask_when"))
        audience = self._audience(data)
        count = len(await self.service.recipients(audience))
        described = self.service.describe(language, audience)
        if step == SCHEDULED:
            when = dt.datetime.fromisoformat(str(data["scheduled_at"])).astimezone(self.s.config.tz)
            return Message(
                t(
                    language,
                    "broadcast.confirm_schedule",
                    audience=described,
                    count=count,
                    when=f"{when:%d/%m/%Y %H:%M}",
                ),
                [
                    [
                        button(t(language, "broadcast.schedule_ok"), "ok"),
                        button(t(language, "broadcast.stop"), "stop"),
                    ]
                ],
            )
        preview = Copy(int(data["source_chat"]), int(data["source_message"]))
        question = Message(
            t(language, "broadcast.confirm", audience=described, count=count),
            [
                [button(t(language, "broadcast.send_now"), "now")],
                [button(t(language, "broadcast.schedule"), "later")],
                [button(t(language, "broadcast.stop"), "stop")],
            ],
        )
        return [Message(t(language, "broadcast.preview")), preview, question]

    @property
    def service(self) -> BroadcastService:
        """The delivery side."""
        return self.s.broadcasts

    async def on_button(self, conversation: Conversation, action: str, value: str) -> bool:
        """Apply a button of the broadcast conversation."""
        data, step = conversation.data, conversation.step
        zones = data.get("facilitator_zones")
        if step == EVENT and action == "ev" and value in {e.id for e in self.s.config.events}:
            data["event"] = value
        elif step == AUDIENCE and action == "au" and value in AUDIENCES and zones is None:
            data["kind"] = value
        elif step == ZONE and action == "zo" and value.isdigit():
            allowed = zones if zones is not None else [z.number for z in self.s.config.zones]
            if int(value) not in allowed:
                return False
            data["zone"] = int(value)
        elif step == VENUE and action == "ve" and value in {v.id for v in self.s.config.venues}:
            data["venue"] = value
        elif step == CONFIRM and action == "later":
            data["schedule"] = True
        elif step in (CONFIRM, SCHEDULED) and action in ("now", "ok", "stop"):
            data["decision"] = action
        else:
            return False
        return True

    async def on_text(
        self, conversation: Conversation, language: str, text: str, out: Outcome, who: Who
    ) -> Outcome:
        """The date and time of a scheduled broadcast (other steps want buttons)."""
        t = self.flows.t
        if conversation.step != WHEN:
            out.add(Message(t(language, "flow.use_buttons")))
            return await self.flows.ask(conversation, language, out, who)
        now = self.s.clock.now()
        when = parse_when(text, now, self.s.config.tz)
        if when is None or when <= now:
            out.add(Message(t(language, "broadcast.bad_when")))
            return await self.flows.ask(conversation, language, out, who)
        conversation.data["scheduled_at"] = when.isoformat()
        return await self.flows.advance(conversation, language, out, who)

    async def finish(self, conversation: Conversation, language: str, who: Who) -> Outcome | None:
        """After a button: send now, schedule, or stop; None to continue the conversation."""
        decision = conversation.data.get("decision")
        if decision is None:
            return None
        t = self.flows.t
        await self.s.conversations.delete(who.user_id)
        out = Outcome()
        if decision == "stop":
            return out.add(Message(t(language, "broadcast.stopped")))
        zones = await self._zones_of(who.user_id)  # roles may have changed meanwhile
        data = conversation.data
        if zones == [] or (zones is not None and int(data.get("zone", -1)) not in zones):
            return out.add(Message(t(language, "broadcast.not_allowed")))
        now = self.s.clock.now()
        when = (
            dt.datetime.fromisoformat(str(data["scheduled_at"])) if "scheduled_at" in data else now
        )
        broadcast = await self.s.broadcasts_store.create(
            created_by=who.user_id,
            source_chat=int(data["source_chat"]),
            source_message=int(data["source_message"]),
            content=str(data["content"]),
            audience=self._audience(data),
            scheduled_at=when,
            now=now,
        )
        if decision == "ok":
            local = when.astimezone(self.s.config.tz)
            return out.add(
                Message(
                    t(
                        language,
                        "broadcast.scheduled",
                        id=broadcast.id,
                        when=f"{local:%d/%m/%Y %H:%M}",
                    ),
                    [[Button(t(language, "broadcast.cancel_button"), f"b|cancel|{broadcast.id}")]],
                )
            )
        await self.service.tick()
        return out.add(Message(t(language, "broadcast.started", id=broadcast.id)))

    async def cancel_button(self, who: Who, data: str) -> Outcome:
        """``b|cancel|<id>``: the creator or an organiser cancels a broadcast."""
        language = await self.flows.language(who)
        t = self.flows.t
        parts = data.split("|")
        if len(parts) != 3 or parts[1] != "cancel" or not parts[2].isdigit():
            return Outcome(alert=t(language, "button.invalid"))
        broadcast = await self.s.broadcasts_store.get(int(parts[2]))
        allowed = broadcast is not None and (
            broadcast.created_by == who.user_id or self.s.roles.is_organiser(who.user_id)
        )
        if broadcast is None or not allowed:
            return Outcome(alert=t(language, "button.invalid"))
        cancelled = await self.service.cancel(broadcast.id)
        if cancelled is None:
            return Outcome(alert=t(language, "broadcast.not_cancellable"), close_keyboard=False)
        return Outcome(toast=t(language, "broadcast.cancelled_toast"))

    async def list_active(self, who: Who) -> Outcome:
        """``/messaggi``: scheduled and running broadcasts, each with a cancel button."""
        language = await self.flows.language(who)
        t = self.flows.t
        if not self.s.roles.is_organiser(who.user_id):
            return Outcome().add(Message(t(language, "roles.organisers_only")))
        out = Outcome()
        active = await self.s.broadcasts_store.with_status("scheduled", "sending")
        if not active:
            return out.add(Message(t(language, "broadcast.none_active")))
        for broadcast in active:
            local = broadcast.scheduled_at.astimezone(self.s.config.tz)
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
                    [[Button(t(language, "broadcast.cancel_button"), f"b|cancel|{broadcast.id}")]],
                )
            )
        return out


__all__ = ["AttendanceMode", "BroadcastFlows", "BroadcastService", "parse_when"]
