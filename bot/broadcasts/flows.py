"""Broadcasts: an organiser (or a facilitator, to their own zone) sends a message to many.

The conversation (``/messaggio``): the message to send — any text, photo, document, video or
audio, later copied exactly as sent with copyMessage — → the event → the audience (everyone
registered, a zone, a venue, in person, online, checked in or not) → how many it will reach
and a preview → send now, schedule for a date and time, or cancel. Delivery:
:mod:`bot.broadcasts.service`.

:class:`RegistrantsSending` (at the end) is what the conversations that send one thing to
every confirmed registrant of an event share: the final synthesis (``/invia_sintesi``,
:mod:`bot.worksheets.final`: a file the regia edited) and the list of questions
(``/invia_domande``, :mod:`bot.questions.sending`: written for each recipient at delivery).
Both ask for the event when there are several, and both send through a broadcast with the
fixed audience "every confirmed registrant of the event" (in person and online; not the
waiting list), so that the delivery, its progress message, cancel button and final report
are this capability's, not theirs; each flow keeps its own questions and texts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from bot.broadcasts.service import (
    AUDIENCES,
    CONTENT_KINDS,
    REGISTRANTS,
    BroadcastButton,
    BroadcastService,
    parse_when,
)
from bot.kernel.clock import Clock
from bot.kernel.conversation import NEXT, Content, Conversations, FlowData, Handled, Talk
from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Copy, Message, Outcome, Reply
from bot.staff.roles import Roles
from config.event import EventConfig
from storage.broadcasts import BroadcastRepository

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


class RegistrantsSending:
    """The steps shared by the conversations that send one thing to every confirmed
    registrant of an event (see the module doc); a flow says which events it serves
    (:meth:`events`)."""

    def __init__(
        self,
        conversations: Conversations,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        service: BroadcastService,
        store: BroadcastRepository,
    ) -> None:
        self.conversations = conversations
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.service = service
        self.store = store

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    def events(self) -> list[str]:
        """The events this conversation sends for, in the file's order."""
        raise NotImplementedError

    def audience(self, event: str) -> dict[str, str]:
        """Every confirmed registrant of the event."""
        return {"event": event, "kind": REGISTRANTS}

    def refused(self, who: Who, language: str) -> Message | None:
        """The polite refusal for someone who is not an organiser, if so."""
        if self.roles.is_organiser(who.user_id):
            return None
        return Message(self.t(language, "roles.organisers_only"))

    def ask_event(self, talk: Talk[Any], key: str) -> Message:
        """The question ``key`` with one button per event (action ``ev``)."""
        language = talk.language
        buttons = [
            [talk.button(self.config.event(e).title.get(language), "ev", e)] for e in self.events()
        ]
        return Message(self.t(language, key), buttons)

    async def decide(
        self,
        talk: Talk[Any],
        action: str,
        who: Who,
        *,
        event: str | None,
        content: str,
        source: tuple[int, int],
        stopped: str,
        started: str,
    ) -> Outcome:
        """ "send" or "cancel" pressed: the conversation ends; on "send" (an organiser's) the
        broadcast of ``content`` (copied from the ``source`` chat and message, or written at
        delivery for its content kind) starts at once and the organiser is told its number."""
        language, out = talk.language, talk.out
        await self.conversations.end(who.user_id)
        if action == "stop":
            return out.add(Message(self.t(language, stopped)))
        refusal = self.refused(who, language)
        if refusal is not None:
            return out.add(refusal)
        assert event is not None
        now = self.clock.now()
        broadcast = await self.store.create(
            created_by=who.user_id,
            source_chat=source[0],
            source_message=source[1],
            content=content,
            audience=self.audience(event),
            scheduled_at=now,
            now=now,
        )
        await self.service.tick()  # starts it: the progress message follows
        return out.add(Message(self.t(language, started, id=broadcast.id)))
