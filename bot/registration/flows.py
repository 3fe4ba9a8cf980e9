"""Registration as a participant lives it: consent, event, name, zone, mode, details, summary.

Pure domain logic: it reads and writes storage and answers with :mod:`bot.replies`, never
touching Telegram objects. Each user has at most one open conversation, stored in SQLite at
every step, so a restart resumes it where it was. Every question carries a fresh random token
in its buttons' callback data (``r|<token>|<action>|<value>``): a button from an older message,
or forged data, is answered with an alert and the current question is asked again.

Nothing personal is stored before the privacy notice is accepted: until then the only row is
the conversation step keyed by the Telegram user id, which is needed to continue at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.attendance.flows import CHECKIN_PREFIX, AttendanceFlows
from bot.broadcasts.flows import BroadcastFlows
from bot.kernel.format import (
    agenda_block,
    date_text,
    event_label,
    venue_text,
    zone_label,
)
from bot.kernel.i18n import Raw, language_for
from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.replies import Button, Document, Keyboard, Message, Outcome, Reply
from bot.registration.calendar import event_ics
from bot.registration.comuni import OutOfRange, describe_numbers, parse_zone_answer
from bot.reminders.links import LinkFlows
from bot.services import Services
from bot.staff.flows import INVITE_PREFIX, StaffFlows
from config.event import AttendanceMode, Event
from storage.conversations import Conversation
from storage.outbox import PERSON, OutboxRow, Planned
from storage.registrations import (
    AlreadyRegisteredError,
    NewRegistration,
    Registration,
    Status,
)

log = logging.getLogger(__name__)

NAME_MAX = 80
ORGANISATION_MAX = 120
CATEGORIES = ("comune", "ente_pubblico", "impresa", "associazione", "universita", "cittadino")

# Flows and steps (stored as text in ``conversations``).
REGISTER, CHANGE, CANCEL, ERASE = "register", "change", "cancel", "erase"
CONSENT, EVENT, NAME, ZONE, MODE, ORGANISATION, CATEGORY, SUMMARY = (
    "consent",
    "event",
    "name",
    "zone",
    "mode",
    "organisation",
    "category",
    "summary",
)
CONFIRM = "confirm"
CONFIRM_REGISTRATION = "reg"  # the summary's confirm action (a stale press re-sends the result)
_REGISTER_ORDER = (CONSENT, EVENT, NAME, ZONE, MODE, ORGANISATION, CATEGORY, SUMMARY)
_TEXT_STEPS = (NAME, ZONE, ORGANISATION)

# Outbox kinds of what a participant waits for: sent before bulk traffic, and by the
# handler at once (a crash before that leaves them for the next drain, so nothing is lost).
CONFIRMATION, CALENDAR, PROMOTION = "confirmation", "calendar", "promotion"
OUTBOX_KINDS = (CONFIRMATION, CALENDAR, PROMOTION)
MESSAGE_VALIDITY = dt.timedelta(days=2)  # Telegram lets the bot edit a message for 48 hours

_ZONE_PAYLOAD = re.compile(r"^(?:zona|zone|z)[_-]?(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Who:
    """The Telegram user behind an update, as the domain needs them."""

    user_id: int
    first_name: str
    last_name: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        """First and last name as Telegram shows them."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


# Letters that show nothing (Hangul fillers) and a blank that looks like a letter (Braille).
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Format characters that belong in words of some scripts: zero-width (non-)joiner.
_JOINERS = frozenset("\u200c\u200d")


def strip_invisible(value: str) -> str:
    """``value`` without invisible and direction-changing characters.

    Removed: format characters (zero-width space, BOM, word joiner, soft hyphen, and the bidi
    embeddings, overrides and isolates such as U+202E, which would flip the rest of an
    export row), except the zero-width joiners some scripts need, and the blank "letters"
    (Hangul fillers, the blank Braille pattern) that make a name look empty.
    """
    return "".join(
        char
        for char in value
        if char in _JOINERS or (unicodedata.category(char) != "Cf" and char not in _FILLERS)
    )


def has_visible(value: str) -> bool:
    """Whether ``value`` has at least one visible letter or digit."""
    return any(unicodedata.category(char)[0] in "LN" and char not in _FILLERS for char in value)


def clean_text(value: str, limit: int) -> str | None:
    """Trimmed single-line text of 1..limit characters with a visible letter or digit and
    no control, invisible or direction-changing characters (those are removed), or None."""
    text = " ".join(strip_invisible(value).split())
    if not 1 <= len(text) <= limit or not has_visible(text):
        return None
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text):
        return None
    return text


def parse_start_payload(payload: str | None) -> int | None:
    """The zone a ``/start zona5`` deep link preselects, if any."""
    if not payload:
        return None
    match = _ZONE_PAYLOAD.match(payload.strip())
    return int(match.group(1)) if match else None


class FlowExtension(Protocol):
    """A feature whose multi-step conversation runs on :class:`RegistrationFlows`."""

    flows_handled: tuple[str, ...]

    def next_step(self, conversation: Conversation) -> str:
        """The first unanswered step (filling in what needs no question)."""
        ...

    async def question(
        self, conversation: Conversation, language: str, button: Callable[..., Button]
    ) -> Message | list[Reply]:
        """The question of the current step; ``button(label, action, value)``."""
        ...

    async def on_button(self, conversation: Conversation, action: str, value: str) -> bool:
        """Apply a button; False when it makes no sense at this step."""
        ...

    async def on_text(
        self, conversation: Conversation, language: str, text: str, out: Outcome, who: Who
    ) -> Outcome:
        """Apply a text answer."""
        ...

    async def finish(self, conversation: Conversation, language: str, who: Who) -> Outcome | None:
        """After a button: the final outcome if the conversation is over, else None."""
        ...


class RegistrationFlows:
    """Every participant action about registration, answered as an :class:`Outcome`."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.links = LinkFlows(self)
        self.staff = StaffFlows(self)
        self.broadcasts = BroadcastFlows(self)
        self.attendance = AttendanceFlows(self)
        # Conversations of other features, run by the same machinery (token buttons, steps
        # stored in SQLite): flow name -> the feature that asks and answers its steps.
        self.extensions: dict[str, FlowExtension] = {
            flow: feature
            for feature in (self.links, self.broadcasts, self.attendance)
            for flow in feature.flows_handled
        }

    def is_organiser(self, user_id: int) -> bool:
        """Whether ``user_id`` is one of the organisers (PSM_ORGANISERS)."""
        return self.s.roles.is_organiser(user_id)

    # --- helpers ------------------------------------------------------------------------
    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.s.catalog(language, key, **params)

    async def language(self, who: Who) -> str:
        """The language to answer ``who`` in."""
        user = await self.s.users.get(who.user_id)
        return language_for(who.language_code, user.language if user else None)

    def _now(self) -> Any:
        return self.s.clock.now()

    def _event(self, event_id: object) -> Event | None:
        try:
            return self.s.config.event(str(event_id))
        except KeyError:
            return None

    async def _candidates(self, user_id: int) -> list[Event]:
        """Open events the user is not registered for yet."""
        registered = {r.event_id for r in await self.s.registrations.active_for_user(user_id)}
        return [e for e in self.s.config.open_events(self._now()) if e.id not in registered]

    async def _save(self, conversation: Conversation) -> None:
        await self.s.conversations.save(conversation, self._now())

    # --- entry points -------------------------------------------------------------------
    async def start(self, who: Who, payload: str | None = None) -> Outcome:
        """``/start`` and ``/iscrizione``: register, or show the registration to manage it."""
        if payload and payload.startswith(INVITE_PREFIX):
            return await self.staff.redeem(who, payload.removeprefix(INVITE_PREFIX))
        if payload and payload.startswith(CHECKIN_PREFIX):
            return await self.attendance.desk(who, payload.removeprefix(CHECKIN_PREFIX))
        language = await self.language(who)
        out = Outcome()
        conversation = await self.s.conversations.get(who.user_id)
        if conversation is not None:
            out.add(Message(self.t(language, "flow.resume")))
            return await self.ask(conversation, language, out)
        zone = parse_start_payload(payload)
        if zone is not None and not self.s.config.has_zone(zone):
            out.add(Message(self.t(language, "start.unknown_zone_link", zone=zone)))
            zone = None
        registrations = await self.s.registrations.active_for_user(who.user_id)
        candidates = await self._candidates(who.user_id)
        if registrations:
            return await self._overview(who, language, registrations, candidates, out)
        if not candidates:
            return out.add(Message(self.t(language, "start.no_open_events")))
        data: dict[str, Any] = {}
        if zone is not None:
            data["preset_zone"] = zone
        user = await self.s.users.get(who.user_id)
        out.add(Message(self._welcome(language)))
        if user is not None and user.consent_at is not None:
            data["consented"] = True
        conversation = Conversation(who.user_id, REGISTER, CONSENT, "", data)
        return await self.advance(conversation, language, out, who)

    def _welcome(self, language: str) -> Raw:
        process = self.s.config.process
        text = process.welcome.get(language) if process.welcome else ""
        return self.t(language, "start.welcome", process=process.name.get(language), text=text)

    async def show(self, who: Who) -> Outcome:
        """``/iscrizione`` for someone already registered: same as ``/start``."""
        return await self.start(who)

    async def text(self, who: Who, text: str) -> Outcome:
        """A plain text message: the answer to the current question, if it expects text."""
        language = await self.language(who)
        conversation = await self.s.conversations.get(who.user_id)
        out = Outcome()
        if conversation is None:
            return out.add(Message(self.t(language, "fallback.no_conversation")))
        extension = self.extensions.get(conversation.flow)
        if extension is not None:
            return await extension.on_text(conversation, language, text, out, who)
        if conversation.step not in _TEXT_STEPS:
            out.add(Message(self.t(language, "flow.use_buttons")))
            return await self.ask(conversation, language, out)
        if conversation.step == NAME:
            name = clean_text(text, NAME_MAX)
            if name is None:
                out.add(Message(self.t(language, "name.invalid", max=NAME_MAX)))
                return await self.ask(conversation, language, out, who)
            conversation.data["name"] = name
            return await self.advance(conversation, language, out, who)
        if conversation.step == ORGANISATION:
            organisation = clean_text(text, ORGANISATION_MAX)
            if organisation is None:
                out.add(Message(self.t(language, "organisation.invalid", max=ORGANISATION_MAX)))
                return await self.ask(conversation, language, out)
            conversation.data["organisation"] = organisation
            return await self.advance(conversation, language, out, who)
        return await self._zone_text(conversation, language, text, out, who)

    async def other_content(self, who: Who) -> Outcome:
        """A sticker, photo, location...: politely asked for what the step needs."""
        language = await self.language(who)
        conversation = await self.s.conversations.get(who.user_id)
        out = Outcome()
        if conversation is None:
            return out.add(Message(self.t(language, "fallback.unsupported")))
        key = "flow.expect_text" if conversation.step in _TEXT_STEPS else "flow.use_buttons"
        out.add(Message(self.t(language, key)))
        return await self.ask(conversation, language, out, who)

    async def unknown_command(self, who: Who) -> Outcome:
        """A command the bot does not know: a short note, then the current question."""
        language = await self.language(who)
        out = Outcome().add(Message(self.t(language, "fallback.unknown_command")))
        conversation = await self.s.conversations.get(who.user_id)
        if conversation is not None:
            await self.ask(conversation, language, out, who)
        return out

    async def abort(self, who: Who) -> Outcome:
        """``/annulla``: stop the open conversation, or offer to cancel a registration."""
        language = await self.language(who)
        out = Outcome()
        conversation = await self.s.conversations.get(who.user_id)
        if conversation is not None:
            await self.s.conversations.delete(who.user_id)
            key = "abort.registration" if conversation.flow == REGISTER else "abort.done"
            return out.add(Message(self.t(language, key)))
        registrations = await self.s.registrations.active_for_user(who.user_id)
        if not registrations:
            return out.add(Message(self.t(language, "abort.nothing")))
        if len(registrations) == 1:
            return await self._begin_cancel(who, language, registrations[0], out)
        buttons = [
            [Button(self._event_title(language, r.event_id), f"m|cancel|{r.event_id}")]
            for r in registrations
        ]
        return out.add(Message(self.t(language, "abort.which"), buttons))

    async def erase(self, who: Who) -> Outcome:
        """``/cancella_dati``: ask to confirm the erasure of all personal data."""
        language = await self.language(who)
        conversation = Conversation(who.user_id, ERASE, CONFIRM, "", {})
        return await self.ask(conversation, language, Outcome())

    # --- buttons ------------------------------------------------------------------------
    async def button(self, who: Who, data: str, message_id: int | None = None) -> Outcome:
        """A button press on message ``message_id``: routed by the prefix of its data."""
        parts = data.split("|")
        if parts[0] == "r" and len(parts) == 4:
            return await self._flow_button(who, parts[1], parts[2], parts[3], message_id)
        if parts[0] == "m" and len(parts) == 3:
            return await self._manage_button(who, parts[1], parts[2])
        return await self._invalid(who, "button.invalid")

    async def _invalid(self, who: Who, key: str) -> Outcome:
        """An alert for a button that does not (or no longer) belong here; re-ask the step."""
        language = await self.language(who)
        out = Outcome(alert=self.t(language, key))
        conversation = await self.s.conversations.get(who.user_id)
        if conversation is not None:
            await self.ask(conversation, language, out, who)
        return out

    async def _flow_button(
        self, who: Who, token: str, action: str, value: str, message_id: int | None
    ) -> Outcome:
        conversation = await self.s.conversations.get(who.user_id)
        if conversation is None and action == CONFIRM_REGISTRATION:
            return await self._already_registered(who)
        if conversation is None or token != conversation.token:
            return await self._invalid(who, "button.stale")
        language = await self.language(who)
        out = Outcome()
        handled = await self._apply_button(
            conversation, language, action, value, out, who, message_id
        )
        if handled is None:
            out.alert = self.t(language, "button.invalid")
            return await self.ask(conversation, language, out, who)
        # the next question (or the result) takes the place of the one just answered
        handled.in_place = True
        return handled

    async def _apply_button(
        self,
        conversation: Conversation,
        language: str,
        action: str,
        value: str,
        out: Outcome,
        who: Who,
        message_id: int | None = None,
    ) -> Outcome | None:
        """Apply a valid-token button to the conversation; None when it makes no sense here."""
        step, data = conversation.step, conversation.data
        extension = self.extensions.get(conversation.flow)
        if extension is not None:
            if not await extension.on_button(conversation, action, value):
                return None
            finished = await extension.finish(conversation, language, who)
            if finished is not None:
                return finished
            return await self.advance(conversation, language, out, who)
        if step == CONSENT and action in ("yes", "no"):
            if action == "no":
                await self.s.conversations.delete(who.user_id)
                return out.add(Message(self.t(language, "consent.declined")))
            await self.s.users.record_consent(who.user_id, self._now())
            data["consented"] = True
        elif step == EVENT and action == "ev":
            if value not in {e.id for e in await self._candidates(who.user_id)}:
                return None
            data["event_id"] = value
        elif step == NAME and action == "tg":
            name = clean_text(who.full_name, NAME_MAX)
            if name is None:
                return None
            data["name"] = name
        elif step == ZONE and action == "z":
            if not value.isdigit() or not self.s.config.has_zone(int(value)):
                return None
            data["zone"] = int(value)
            data.pop("zone_only", None)
        elif step == ZONE and action == "za":  # every zone, not just an unverified comune's
            data.pop("zone_only", None)
            return await self.ask(conversation, language, out, who)
        elif step == ZONE and action == "cm":
            comune = self.s.comuni.by_istat(value)
            if comune is None:
                return None
            return await self._zone_text(conversation, language, comune, out, who)
        elif step == MODE and action == "md":
            event = self._event(data.get("event_id"))
            if event is None or value not in {m.value for m in event.modes}:
                return None
            data["mode"] = value
        elif step == ORGANISATION and action == "skip":
            data["organisation"] = None
        elif step == CATEGORY and action in ("cat", "skip"):
            if action == "cat" and value not in CATEGORIES:
                return None
            data["category"] = value if action == "cat" else None
        elif step == SUMMARY and action in (CONFIRM_REGISTRATION, "edit", "stop"):
            if action == CONFIRM_REGISTRATION:
                return await self._complete(conversation, language, out, who, message_id)
            if action == "stop":
                await self.s.conversations.delete(who.user_id)
                return out.add(Message(self.t(language, "abort.registration")))
            for key in ("name", "zone", "preset_zone", "mode", "organisation", "category"):
                data.pop(key, None)
        elif step == CONFIRM and action in ("ok", "no"):
            if action == "no":
                await self.s.conversations.delete(who.user_id)
                return out.add(Message(self.t(language, "abort.done")))
            return await self._confirm(conversation, language, out, who)
        else:
            return None
        return await self.advance(conversation, language, out, who)

    # --- asking -------------------------------------------------------------------------
    async def advance(
        self, conversation: Conversation, language: str, out: Outcome, who: Who
    ) -> Outcome:
        """Fill in what needs no question, then ask the first unanswered step."""
        conversation.step = await self._next_step(conversation, who)
        return await self.ask(conversation, language, out, who)

    async def _next_step(self, conversation: Conversation, who: Who) -> str:
        data = conversation.data
        extension = self.extensions.get(conversation.flow)
        if extension is not None:
            return extension.next_step(conversation)
        if conversation.flow != REGISTER:
            what = data.get("what")
            if what == ZONE and "zone" not in data:
                return ZONE
            if what == MODE and "mode" not in data:
                return MODE
            return CONFIRM
        if not data.get("consented"):
            return CONSENT
        if "event_id" not in data:
            candidates = await self._candidates(who.user_id)
            if len(candidates) != 1:
                return EVENT
            data["event_id"] = candidates[0].id
        event = self._event(data["event_id"])
        if "name" not in data:
            return NAME
        if "zone" not in data:
            preset = data.get("preset_zone")
            if preset is None or not self.s.config.has_zone(preset):
                return ZONE
            data["zone"] = preset
        if "mode" not in data:
            if event is None or len(event.modes) != 1:
                return MODE
            data["mode"] = event.modes[0].value
        if "organisation" not in data:
            return ORGANISATION
        if "category" not in data:
            return CATEGORY
        return SUMMARY

    async def ask(
        self,
        conversation: Conversation,
        language: str,
        out: Outcome,
        who: Who | None = None,
        *,
        extra: list[tuple[str, str, str]] | None = None,
        lead: Raw | None = None,
    ) -> Outcome:
        """Send the question of the current step, with buttons under a fresh token."""
        conversation.token = secrets.token_urlsafe(6)[:8]
        await self._save(conversation)
        token, data = conversation.token, conversation.data

        def button(label: str, action: str, value: str = "") -> Button:
            return Button(label, f"r|{token}|{action}|{value}")

        extension = self.extensions.get(conversation.flow)
        if extension is not None:
            question = await extension.question(conversation, language, button)
            return out.add(*question) if isinstance(question, list) else out.add(question)
        t = self.t
        step = conversation.step
        event = self._event(data.get("event_id"))
        text: Raw
        buttons: Keyboard = []
        if step == CONSENT:
            text = t(language, "consent.ask", notice=self._privacy(language))
            buttons = [
                [button(t(language, "consent.accept"), "yes")],
                [button(t(language, "consent.decline"), "no")],
            ]
        elif step == EVENT:
            text = t(language, "event.ask")
            buttons = [
                [button(event_label(self.s.catalog, language, self.s.config, e), "ev", e.id)]
                for e in (await self._candidates(conversation.user_id))
            ]
        elif step == NAME:
            text = t(language, "name.ask", max=NAME_MAX)
            suggested = clean_text(who.full_name, NAME_MAX) if who else None
            if suggested and len(suggested) <= 40:
                buttons = [[button(t(language, "name.use_telegram", name=suggested), "tg")]]
        elif step == ZONE:
            text = lead or t(language, "zone.ask")
            only = data.get("zone_only") or [z.number for z in self.s.config.zones]
            buttons = [[button(*choice)] for choice in extra or []] + [
                [button(zone_label(self.s.config, z.number), "z", str(z.number))]
                for z in self.s.config.zones
                if z.number in only
            ]
            if len(only) < len(self.s.config.zones):
                buttons.append([button(t(language, "zone.show_all"), "za")])
        elif step == MODE:
            text, buttons = self._mode_question(language, data, button)
        elif step == ORGANISATION:
            text = t(language, "organisation.ask", max=ORGANISATION_MAX)
            buttons = [[button(t(language, "common.skip"), "skip")]]
        elif step == CATEGORY:
            text = t(language, "category.ask")
            buttons = [[button(t(language, f"category.{c}"), "cat", c)] for c in CATEGORIES] + [
                [button(t(language, "common.skip"), "skip")]
            ]
        elif step == SUMMARY:
            assert event is not None
            text = t(language, "summary.ask", details=self._details(language, event, data))
            buttons = [
                [button(t(language, "summary.confirm"), CONFIRM_REGISTRATION)],
                [
                    button(t(language, "summary.edit"), "edit"),
                    button(t(language, "summary.stop"), "stop"),
                ],
            ]
        else:  # CONFIRM of change / cancel / erase
            text = await self._confirm_question(conversation, language)
            buttons = [
                [
                    button(t(language, f"confirm.{conversation.flow}.ok"), "ok"),
                    button(t(language, "confirm.keep"), "no"),
                ]
            ]
        return out.add(Message(text, buttons))

    def _mode_question(
        self, language: str, data: dict[str, Any], button: Any
    ) -> tuple[Raw, Keyboard]:
        event = self._event(data.get("event_id"))
        assert event is not None
        venue = self.s.config.venue_for(event, int(data["zone"]))
        buttons: Keyboard = []
        for mode in event.modes:
            if mode is AttendanceMode.IN_PERSON:
                label = self.t(language, "mode.in_person", venue=venue.name)
            else:
                label = self.t(language, "mode.online")
            buttons.append([button(label, "md", mode.value)])
        text = self.t(language, "mode.ask", venue=venue_text(venue))
        return text, buttons

    def _privacy(self, language: str) -> str:
        return self.s.config.process.privacy_notice.get(language)

    def _event_title(self, language: str, event_id: str) -> str:
        event = self._event(event_id)
        return event.title.get(language) if event else event_id

    def _details(self, language: str, event: Event, data: dict[str, Any]) -> Raw:
        """The answers so far, as the summary lists them."""
        t = self.t
        zone = int(data["zone"])
        mode = AttendanceMode(data["mode"])
        where: Raw
        if mode is AttendanceMode.IN_PERSON:
            where = t(
                language,
                "summary.in_person",
                venue=venue_text(self.s.config.venue_for(event, zone)),
            )
        else:
            where = t(language, "summary.online")
        category = data.get("category")
        return t(
            language,
            "summary.details",
            event=event.title.get(language),
            date=date_text(self.s.catalog, language, event.date),
            name=data.get("name", ""),
            zone=zone_label(self.s.config, zone),
            where=where,
            organisation=data.get("organisation") or t(language, "common.none"),
            category=t(language, f"category.{category}")
            if category
            else t(language, "common.none"),
        )

    # --- zone by comune -----------------------------------------------------------------
    async def _zone_text(
        self,
        conversation: Conversation,
        language: str,
        typed: Any,
        out: Outcome,
        who: Who,
    ) -> Outcome:
        """Zone step answered with text: a comune to look up, or a zone (``5``, ``Zona V``,
        ``Pinerolese``: :func:`bot.comuni.parse_zone_answer`)."""
        t = self.t
        conversation.data.pop("zone_only", None)
        if isinstance(typed, str):
            comune = self.s.comuni.lookup(typed) if len(typed) <= 60 else None
            names = {z.number: z.name for z in self.s.config.zones}
            answer = parse_zone_answer(typed, names) if comune is None else None
            if isinstance(answer, OutOfRange):
                zones = describe_numbers(answer.zones, dash="–")
                lead = t(language, "zone.out_of_range", number=answer.number, zones=zones)
                return await self.ask(conversation, language, out, who, lead=lead)
            if answer is not None:
                conversation.data["zone"] = answer
                return await self.advance(conversation, language, out, who)
        else:
            comune = typed
        extra: list[tuple[str, str, str]] = []
        candidates = (
            [z for z in comune.candidate_zones if self.s.config.has_zone(z)] if comune else []
        )
        if comune is not None and comune.zone is not None and self.s.config.has_zone(comune.zone):
            zone = zone_label(self.s.config, comune.zone)
            lead = t(language, "zone.comune_found", comune=comune.name, zone=zone)
            extra = [(t(language, "zone.pick_found", zone=zone), "z", str(comune.zone))]
        elif comune is not None and candidates:  # unverified: only the zones it can be in
            conversation.data["zone_only"] = candidates
            lead = t(language, "zone.comune_candidates", comune=comune.name)
        elif comune is not None:
            lead = t(language, "zone.comune_unmapped", comune=comune.name)
        else:
            suggestions = self.s.comuni.suggest(typed[:60]) if isinstance(typed, str) else []
            suggestions = [c for c in suggestions if c.istat]
            if suggestions:
                lead = t(language, "zone.comune_suggest", typed=typed[:60])
                extra = [(c.name, "cm", c.istat or "") for c in suggestions]
            else:
                lead = t(language, "zone.comune_unknown", typed=str(typed)[:60])
        return await self.ask(conversation, language, out, who, extra=extra, lead=lead)

    # --- completing ---------------------------------------------------------------------
    async def _complete(
        self,
        conversation: Conversation,
        language: str,
        out: Outcome,
        who: Who,
        message_id: int | None,
    ) -> Outcome:
        """Store the registration and its confirmation (through the outbox, durably).

        The registration, the end of the conversation and the confirmation messages (the
        summary turned into the confirmation with the programme, then the calendar file) are
        written in one transaction; the handler delivers them at once. Should the bot stop
        in between, the outbox sends them after the restart.
        """
        data = conversation.data
        event = self._event(data.get("event_id"))
        if event is None or event not in self.s.config.open_events(self._now()):
            await self.s.conversations.delete(who.user_id)
            return out.add(Message(self.t(language, "summary.closed")))
        zone = int(data["zone"])
        mode = AttendanceMode(data["mode"])
        venue = self.s.config.venue_for(event, zone) if mode is AttendanceMode.IN_PERSON else None
        new = NewRegistration(
            event_id=event.id,
            user_id=who.user_id,
            display_name=str(data["name"]),
            zone=zone,
            mode=mode.value,
            venue_id=venue.id if venue else None,
            organisation=data.get("organisation"),
            category=data.get("category"),
            language=language,
        )
        now = self._now()
        try:
            async with self.s.db.transaction():
                registration = await self.s.registrations.create(
                    new, venue.capacity if venue else None, now
                )
                await self.s.conversations.delete(who.user_id)
                keys = await self._plan_confirmation(registration, CONFIRMATION, message_id)
        except AlreadyRegisteredError:
            await self.s.conversations.delete(who.user_id)
            out.add(Message(self.t(language, "summary.already")))
            return await self.start(who)
        log.info(
            "registration %s: event=%s zone=%d mode=%s",
            registration.status.value,
            event.id,
            zone,
            mode.value,
        )
        await self.s.planner.plan(registration, now)
        out.toast = self.t(language, "summary.done_toast")
        out.close_keyboard = False  # the confirmation replaces the summary, buttons and all
        out.deliver.extend(keys)
        return out

    async def _plan_confirmation(
        self, registration: Registration, kind: str, message_id: int | None = None
    ) -> list[str]:
        """Put a registration's confirmation (or promotion notice) and calendar file in the
        outbox, for the participant; returns their keys, in the order to send them."""
        assert registration.user_id is not None
        now = self._now()
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
        await self.s.outbox.add(rows, now)
        return [row.dedupe_key for row in rows]

    async def render_outbox(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """An outbox row of :data:`OUTBOX_KINDS`, as it is when sent (the registration's
        current state and language)."""
        registration = (
            await self.s.registrations.get(row.registration_id) if row.registration_id else None
        )
        if registration is None or not registration.active:
            return Prepared(None, skip="registration_inactive")
        language = registration.language
        if row.kind == CALENDAR:
            document = self.calendar_file(registration, language)
            return Prepared(
                Outgoing(text=document.caption, document=(document.filename, document.content))
            )
        text = await self.confirmation_text(registration, language)
        if row.kind == PROMOTION:
            event = self._event(registration.event_id)
            venue = self.s.config.venue(registration.venue_id or "")
            title = event.title.get(language) if event else registration.event_id
            promoted = self.t(language, "waitlist.promoted", event=title, venue=venue_text(venue))
            text = Raw(f"{promoted}\n\n{text}")
        edit = row.payload.get("edit")
        return Prepared(Outgoing(text=text, edit_message_id=int(edit) if edit else None))

    async def _already_registered(self, who: Who) -> Outcome:
        """A press on the summary of a registration already confirmed: say so, and send the
        confirmation again (the first one may never have arrived)."""
        language = await self.language(who)
        out = Outcome(alert=self.t(language, "summary.already"))
        registrations = await self.s.registrations.active_for_user(who.user_id)
        if not registrations:
            return await self._invalid(who, "button.stale")
        latest = max(registrations, key=lambda r: r.created_at)
        out.replies.extend(await self.confirmation(latest, language))
        out.in_place = True
        return out

    async def confirmation(self, registration: Registration, language: str) -> list[Reply]:
        """What a participant receives once registered: the status with the venue and the
        programme in one message, then the calendar file."""
        text = await self.confirmation_text(registration, language)
        return [Message(text), self.calendar_file(registration, language)]

    async def confirmation_text(self, registration: Registration, language: str) -> Raw:
        """The status, the venue (with a map link when it has coordinates), the programme."""
        event = self._event(registration.event_id)
        assert event is not None
        mode = AttendanceMode(registration.mode)
        venue = self.s.config.venue(registration.venue_id) if registration.venue_id else None
        parts = [await self._status_text(registration, language)]
        if venue is not None and venue.latitude is not None and venue.longitude is not None:
            url = f"https://www.google.com/maps/search/?api=1&query={venue.latitude},{venue.longitude}"
            parts.append(self.t(language, "registration.map", url=url, venue=venue.name))
        parts.append(agenda_block(self.s.catalog, language, self.s.config, event, mode))
        return Raw("\n\n".join(parts))

    def calendar_file(self, registration: Registration, language: str) -> Document:
        """The registration's ``.ics`` file (its sessions, at its venue or online)."""
        event = self._event(registration.event_id)
        assert event is not None
        mode = AttendanceMode(registration.mode)
        venue = self.s.config.venue(registration.venue_id) if registration.venue_id else None
        ics = event_ics(
            self.s.config,
            event,
            mode,
            venue,
            language,
            uid=f"{event.id}-{registration.id}@psm-bot",
            now=self._now(),
            online_label=self.t(language, "calendar.online"),
        )
        return Document(f"{event.id}.ics", ics, self.t(language, "calendar.caption"))

    async def _status_text(
        self, registration: Registration, language: str, *, overview: bool = False
    ) -> Raw:
        event = self._event(registration.event_id)
        assert event is not None
        data = {
            "name": registration.display_name,
            "zone": registration.zone,
            "mode": registration.mode,
            "organisation": registration.organisation,
            "category": registration.category,
        }
        details = self._details(language, event, data)
        if registration.status is Status.WAITLISTED:
            position = await self.s.registrations.waitlist_position(registration)
            venue = self.s.config.venue(registration.venue_id or "")
            key = "registration.current_waitlisted" if overview else "registration.waitlisted"
            return self.t(language, key, details=details, position=position or 1, venue=venue.name)
        key = "registration.current" if overview else "registration.confirmed"
        return self.t(language, key, details=details)

    # --- registered participants ----------------------------------------------------------
    async def _overview(
        self,
        who: Who,
        language: str,
        registrations: list[Registration],
        candidates: list[Event],
        out: Outcome,
    ) -> Outcome:
        """Each active registration with buttons to change or cancel it."""
        t = self.t
        for registration in registrations:
            event = self._event(registration.event_id)
            if event is None:
                continue
            buttons: Keyboard = [[Button(t(language, "manage.change_zone"), f"m|zone|{event.id}")]]
            if len(event.modes) > 1:
                buttons.append([Button(t(language, "manage.change_mode"), f"m|mode|{event.id}")])
            buttons.append([Button(t(language, "manage.cancel"), f"m|cancel|{event.id}")])
            text = await self._status_text(registration, language, overview=True)
            out.add(Message(text, buttons))
        if candidates:
            out.add(
                Message(
                    t(language, "manage.other_events"),
                    [
                        [
                            Button(
                                event_label(self.s.catalog, language, self.s.config, e),
                                f"m|new|{e.id}",
                            )
                        ]
                        for e in candidates
                    ],
                )
            )
        return out

    async def _manage_button(self, who: Who, action: str, event_id: str) -> Outcome:
        """Buttons under a registration: change zone/mode, cancel, register for another event.

        Not while another conversation is open (an old "register for another event" button
        pressed mid-registration): that is refused politely and the current step stays.
        """
        if await self.s.conversations.get(who.user_id) is not None:
            return await self._invalid(who, "manage.busy")
        outcome = await self._manage(who, action, event_id)
        outcome.in_place = outcome.alert is None
        return outcome

    async def _manage(self, who: Who, action: str, event_id: str) -> Outcome:
        language = await self.language(who)
        out = Outcome()
        if action == "new":
            if event_id not in {e.id for e in await self._candidates(who.user_id)}:
                return await self._invalid(who, "button.stale")
            user = await self.s.users.get(who.user_id)
            data: dict[str, Any] = {"event_id": event_id}
            if user is not None and user.consent_at is not None:
                data["consented"] = True
            return await self.advance(
                Conversation(who.user_id, REGISTER, CONSENT, "", data), language, out, who
            )
        registration = await self.s.registrations.active(event_id, who.user_id)
        event = self._event(event_id)
        if registration is None or event is None or action not in ("zone", "mode", "cancel"):
            return await self._invalid(who, "button.stale")
        if action == "cancel":
            return await self._begin_cancel(who, language, registration, out)
        if action == "mode" and len(event.modes) < 2:
            return await self._invalid(who, "button.invalid")
        data = {
            "registration_id": registration.id,
            "event_id": event_id,
            "what": action,
            "zone": registration.zone,
        }
        if action == ZONE:
            data.pop("zone")
        conversation = Conversation(who.user_id, CHANGE, action, "", data)
        return await self.advance(conversation, language, out, who)

    async def _begin_cancel(
        self, who: Who, language: str, registration: Registration, out: Outcome
    ) -> Outcome:
        conversation = Conversation(
            who.user_id,
            CANCEL,
            CONFIRM,
            "",
            {"registration_id": registration.id, "event_id": registration.event_id},
        )
        return await self.ask(conversation, language, out)

    async def _confirm_question(self, conversation: Conversation, language: str) -> Raw:
        data = conversation.data
        if conversation.flow == ERASE:
            return await self.staff.erase_question(conversation.user_id, language)
        event = self._event(data.get("event_id"))
        assert event is not None
        title = event.title.get(language)
        if conversation.flow == CANCEL:
            return self.t(language, "cancel.ask", event=title)
        registration = await self.s.registrations.get(int(data["registration_id"]))
        assert registration is not None
        zone = int(data.get("zone", registration.zone))
        mode = AttendanceMode(data.get("mode", registration.mode))
        proposed = {
            **data,
            "name": registration.display_name,
            "zone": zone,
            "mode": mode.value,
            "organisation": registration.organisation,
            "category": registration.category,
        }
        text = self.t(language, "change.ask", details=self._details(language, event, proposed))
        if mode is AttendanceMode.IN_PERSON:
            venue = self.s.config.venue_for(event, zone)
            moving = registration.venue_id != venue.id or registration.mode != mode.value
            taken = await self.s.registrations.confirmed_in_person(event.id, venue.id)
            if moving and venue.capacity is not None and taken >= venue.capacity:
                text = Raw(
                    text + "\n\n" + self.t(language, "change.full_warning", venue=venue.name)
                )
        return text

    async def _confirm(
        self, conversation: Conversation, language: str, out: Outcome, who: Who
    ) -> Outcome:
        """Carry out a confirmed change, cancellation or erasure."""
        await self.s.conversations.delete(who.user_id)
        now = self._now()
        if conversation.flow == ERASE:  # everything identifying goes; staff roles end
            promoted = await self.staff.erase(who.user_id, language, out)
            out.deliver.extend(await self._plan_promotions(promoted))
            return out
        registration = await self.s.registrations.get(int(conversation.data["registration_id"]))
        event = self._event(conversation.data.get("event_id"))
        if registration is None or not registration.active or event is None:
            return out.add(Message(self.t(language, "button.stale")))
        old_venue = self.s.config.venue(registration.venue_id) if registration.venue_id else None
        if conversation.flow == CANCEL:
            promoted = await self.s.registrations.cancel(
                registration.id, old_venue.capacity if old_venue else None, now
            )
            await self.s.planner.unplan(registration, "registration_cancelled", now)
            out.deliver.extend(await self._plan_promotions(promoted))
            return out.add(
                Message(self.t(language, "cancel.done", event=event.title.get(language)))
            )
        zone = int(conversation.data.get("zone", registration.zone))
        mode = AttendanceMode(conversation.data.get("mode", registration.mode))
        venue = self.s.config.venue_for(event, zone) if mode is AttendanceMode.IN_PERSON else None
        placement = await self.s.registrations.move(
            registration.id,
            zone=zone,
            mode=mode.value,
            venue_id=venue.id if venue else None,
            capacity=venue.capacity if venue else None,
            old_capacity=old_venue.capacity if old_venue else None,
            now=now,
        )
        await self.s.planner.plan(placement.registration, now)
        out.deliver.extend(await self._plan_promotions(placement.promoted))
        out.add(Message(self.t(language, "change.done")))
        out.replies.extend(await self.confirmation(placement.registration, language))
        return out

    async def _plan_promotions(self, promoted: list[Registration]) -> list[str]:
        """Tell those promoted from a waiting list, through the outbox (durably): their
        confirmation and calendar file. Returns the rows to deliver at once."""
        keys: list[str] = []
        for registration in promoted:
            if registration.user_id is not None and self._event(registration.event_id):
                keys += await self._plan_confirmation(registration, PROMOTION)
        return keys

    # --- simple commands ------------------------------------------------------------------
    async def agenda(self, who: Who) -> Outcome:
        """``/programma``: the participant's own agenda, or the open events' programmes."""
        language = await self.language(who)
        out = Outcome()
        registrations = await self.s.registrations.active_for_user(who.user_id)
        for registration in registrations:
            event = self._event(registration.event_id)
            if event is not None:
                mode = AttendanceMode(registration.mode)
                out.add(Message(agenda_block(self.s.catalog, language, self.s.config, event, mode)))
        if not registrations:
            events = self.s.config.open_events(self._now())
            for event in events:
                out.add(Message(agenda_block(self.s.catalog, language, self.s.config, event, None)))
            out.add(
                Message(
                    self.t(language, "agenda.not_registered" if events else "start.no_open_events")
                )
            )
        return out

    async def privacy(self, who: Who) -> Outcome:
        """``/privacy``: the privacy notice."""
        language = await self.language(who)
        return Outcome().add(
            Message(self.t(language, "privacy.text", notice=self._privacy(language)))
        )

    async def help(self, who: Who) -> Outcome:
        """``/aiuto``: what a participant can do, then what each of the user's roles can do."""
        language = await self.language(who)
        text = self.t(language, "help.text", process=self.s.config.process.short_name)
        roles = await self.staff.help_sections(who.user_id, language)
        return Outcome().add(Message(Raw(text + roles)))

    async def choose_language(self, who: Who) -> Outcome:
        """``/lingua``: buttons to pick Italian or English."""
        language = await self.language(who)
        buttons = [[Button("🇮🇹 Italiano", "l|it"), Button("🇬🇧 English", "l|en")]]
        return Outcome().add(Message(self.t(language, "language.ask"), buttons))

    async def set_language(self, who: Who, choice: str) -> Outcome:
        """A language button: remember the choice and continue in that language."""
        if choice not in ("it", "en"):
            return await self._invalid(who, "button.invalid")
        await self.s.users.set_language(who.user_id, choice, self._now())
        out = Outcome(toast=self.t(choice, "language.set"), refresh_menus=[who.user_id])
        out.add(Message(self.t(choice, "language.set")))
        conversation = await self.s.conversations.get(who.user_id)
        if conversation is not None:
            await self.ask(conversation, choice, out, who)
        return out
