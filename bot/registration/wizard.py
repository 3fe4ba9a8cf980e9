"""Registering, step by step: consent, event, name, zone, mode, details, summary, confirm.

Nothing personal is stored before the privacy notice is accepted: until then the only row is
the conversation step keyed by the Telegram user id, which is needed to continue at all.
Confirming stores the registration, ends the conversation and puts the confirmation in the
outbox in one transaction (:mod:`bot.registration.confirmation`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.kernel.clock import Clock
from bot.kernel.conversation import NEXT, Content, Conversations, FlowData, Handled, Talk
from bot.kernel.format import event_label
from bot.kernel.i18n import Catalog
from bot.kernel.people import NAME_MAX, Who, clean_text
from bot.kernel.replies import Keyboard, Message, Outcome, Reply
from bot.registration.confirmation import Confirmations
from bot.registration.texts import Answers, RegistrationTexts
from bot.registration.zones import ZoneAnswer, ZoneFields, ZoneQuestion, mode_message
from bot.reminders.planner import ReminderPlanner
from config.event import AttendanceMode, Event, EventConfig
from storage.db import Database
from storage.registrations import AlreadyRegisteredError, NewRegistration, RegistrationRepository
from storage.users import UserRepository

log = logging.getLogger(__name__)

ORGANISATION_MAX = 120
CATEGORIES = ("comune", "ente_pubblico", "impresa", "associazione", "universita", "cittadino")
CONFIRM_REGISTRATION = "reg"  # the summary's confirm action (a stale press re-sends the result)

_ZONE_PAYLOAD = re.compile(r"^(?:zona|zone|z)[_-]?(\d{1,2})$", re.IGNORECASE)


def parse_start_payload(payload: str | None) -> int | None:
    """The zone a ``/start zona5`` deep link preselects, if any."""
    if not payload:
        return None
    match = _ZONE_PAYLOAD.match(payload.strip())
    return int(match.group(1)) if match else None


class Step(StrEnum):
    """The steps of registering, in order."""

    CONSENT = "consent"
    EVENT = "event"
    NAME = "name"
    ZONE = "zone"
    MODE = "mode"
    ORGANISATION = "organisation"
    CATEGORY = "category"
    SUMMARY = "summary"


@dataclass
class RegistrationData(ZoneFields, FlowData):
    """The answers so far."""

    consented: bool = False
    event_id: str | None = None
    name: str | None = None
    preset_zone: int | None = None  # from a zonaN deep link
    mode: str | None = None
    organisation: str | None = None
    organisation_done: bool = False  # answered or skipped
    category: str | None = None
    category_done: bool = False

    def answers(self) -> Answers:
        """The answers, once every one is given."""
        assert self.zone is not None and self.mode is not None
        return Answers(
            self.name or "", self.zone, AttendanceMode(self.mode), self.organisation, self.category
        )


class RegistrationFlow:
    """The registration conversation."""

    name: ClassVar[str] = "register"
    data_type = RegistrationData
    text_steps: frozenset[str] = frozenset({Step.NAME, Step.ZONE, Step.ORGANISATION})

    def __init__(
        self,
        conversations: Conversations,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        texts: RegistrationTexts,
        zones: ZoneQuestion,
        confirmations: Confirmations,
        db: Database,
        registrations: RegistrationRepository,
        users: UserRepository,
        planner: ReminderPlanner,
    ) -> None:
        self.conversations = conversations
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.texts = texts
        self.zones = zones
        self.confirmations = confirmations
        self.db = db
        self.registrations = registrations
        self.users = users
        self.planner = planner

    # --- starting --------------------------------------------------------------------------
    async def candidates(self, user_id: int) -> list[Event]:
        """Open events the user is not registered for yet."""
        registered = {r.event_id for r in await self.registrations.active_for_user(user_id)}
        return [e for e in self.config.open_events(self.clock.now()) if e.id not in registered]

    async def begin(
        self,
        who: Who,
        language: str,
        out: Outcome,
        *,
        event_id: str | None = None,
        preset_zone: int | None = None,
    ) -> Outcome:
        """Start registering (for ``event_id``, or the open event, or a choice)."""
        user = await self.users.get(who.user_id)
        data = RegistrationData(
            consented=user is not None and user.consent_at is not None,
            event_id=event_id,
            preset_zone=preset_zone,
        )
        return await self.conversations.begin(who, self, data, language=language, out=out)

    # --- the flow ----------------------------------------------------------------------------
    def stopped(self, talk: Talk[RegistrationData]) -> str:
        """``/annulla`` during registration."""
        return "abort.registration"

    async def next_step(self, talk: Talk[RegistrationData], who: Who | None) -> str:
        """The first unanswered step (the only event, a deep link's zone, the only mode)."""
        data = talk.data
        if not data.consented:
            return Step.CONSENT
        if data.event_id is None:
            candidates = await self.candidates(talk.user_id)
            if len(candidates) != 1:
                return Step.EVENT
            data.event_id = candidates[0].id
        event = self.texts.event(data.event_id)
        if data.name is None:
            return Step.NAME
        if data.zone is None:
            if data.preset_zone is None or not self.config.has_zone(data.preset_zone):
                return Step.ZONE
            data.zone = data.preset_zone
        if data.mode is None:
            if event is None or len(event.modes) != 1:
                return Step.MODE
            data.mode = event.modes[0].value
        if not data.organisation_done:
            return Step.ORGANISATION
        if not data.category_done:
            return Step.CATEGORY
        return Step.SUMMARY

    async def question(self, talk: Talk[RegistrationData], who: Who | None) -> list[Reply]:
        """The question of the current step."""
        t, language, data, button = self.catalog, talk.language, talk.data, talk.button
        step = talk.step
        buttons: Keyboard = []
        if step == Step.CONSENT:
            text = t(language, "consent.ask", notice=self.texts.privacy(language))
            buttons = [
                [button(t(language, "consent.accept"), "yes")],
                [button(t(language, "consent.decline"), "no")],
            ]
        elif step == Step.EVENT:
            text = t(language, "event.ask")
            buttons = [
                [button(event_label(self.catalog, language, self.config, e), "ev", e.id)]
                for e in await self.candidates(talk.user_id)
            ]
        elif step == Step.NAME:
            text = t(language, "name.ask", max=NAME_MAX)
            suggested = clean_text(who.full_name, NAME_MAX) if who else None
            if suggested and len(suggested) <= 40:
                buttons = [[button(t(language, "name.use_telegram", name=suggested), "tg")]]
        elif step == Step.ZONE:
            return [self.zones.message(data, language, button)]
        elif step == Step.MODE:
            event = self.texts.event(data.event_id)
            assert event is not None and data.zone is not None
            return [mode_message(self.config, t, event, data.zone, language, button)]
        elif step == Step.ORGANISATION:
            text = t(language, "organisation.ask", max=ORGANISATION_MAX)
            buttons = [[button(t(language, "common.skip"), "skip")]]
        elif step == Step.CATEGORY:
            text = t(language, "category.ask")
            buttons = [[button(t(language, f"category.{c}"), "cat", c)] for c in CATEGORIES]
            buttons.append([button(t(language, "common.skip"), "skip")])
        else:  # the summary
            event = self.texts.event(data.event_id)
            assert event is not None
            details = self.texts.details(language, event, data.answers())
            text = t(language, "summary.ask", details=details)
            buttons = [
                [button(t(language, "summary.confirm"), CONFIRM_REGISTRATION)],
                [
                    button(t(language, "summary.edit"), "edit"),
                    button(t(language, "summary.stop"), "stop"),
                ],
            ]
        return [Message(text, buttons)]

    async def on_button(
        self,
        talk: Talk[RegistrationData],
        action: str,
        value: str,
        who: Who,
        pressed: int | None,
    ) -> Handled:
        """A button of the current step."""
        if talk.step == Step.ZONE:
            answer = self.zones.on_button(talk.data, action, value, talk.language)
            if answer is ZoneAnswer.ASK_AGAIN:
                return await self.conversations.ask(talk, who)
            return None if answer is None else NEXT
        if talk.step == Step.SUMMARY:
            return await self._summary_button(talk, action, who, pressed)
        if talk.step == Step.CONSENT and action in ("yes", "no"):
            return await self._consent(talk, action == "yes", who)
        return await self._answer(talk, action, value, who)

    async def _consent(self, talk: Talk[RegistrationData], accepted: bool, who: Who) -> Handled:
        if not accepted:
            await self.conversations.end(who.user_id)
            talk.say(self.catalog(talk.language, "consent.declined"))
            return talk.out
        await self.users.record_consent(who.user_id, self.clock.now())
        talk.data.consented = True
        return NEXT

    async def _answer(
        self, talk: Talk[RegistrationData], action: str, value: str, who: Who
    ) -> Handled:
        """The event, the Telegram name, the mode, the organisation skipped, the category."""
        step, data = talk.step, talk.data
        if step == Step.EVENT and action == "ev":
            if value not in {e.id for e in await self.candidates(who.user_id)}:
                return None
            data.event_id = value
        elif step == Step.NAME and action == "tg":
            data.name = clean_text(who.full_name, NAME_MAX)
            if data.name is None:
                return None
        elif step == Step.MODE and action == "md":
            event = self.texts.event(data.event_id)
            if event is None or value not in {m.value for m in event.modes}:
                return None
            data.mode = value
        elif step == Step.ORGANISATION and action == "skip":
            data.organisation, data.organisation_done = None, True
        elif step == Step.CATEGORY and action in ("cat", "skip"):
            if action == "cat" and value not in CATEGORIES:
                return None
            data.category = value if action == "cat" else None
            data.category_done = True
        else:
            return None
        return NEXT

    async def _summary_button(
        self, talk: Talk[RegistrationData], action: str, who: Who, pressed: int | None
    ) -> Handled:
        """Confirm, edit (from the name on), or stop."""
        if action == CONFIRM_REGISTRATION:
            return await self._complete(talk, who, pressed)
        if action == "stop":
            await self.conversations.end(who.user_id)
            talk.say(self.catalog(talk.language, "abort.registration"))
            return talk.out
        if action == "edit":
            talk.data = RegistrationData(consented=True, event_id=talk.data.event_id)
            return NEXT
        return None

    async def on_text(self, talk: Talk[RegistrationData], text: str, who: Who) -> Handled:
        """A typed name, zone (or comune) or organisation."""
        t, language, data = self.catalog, talk.language, talk.data
        if talk.step == Step.NAME:
            name = clean_text(text, NAME_MAX)
            if name is None:
                talk.say(t(language, "name.invalid", max=NAME_MAX))
                return await self.conversations.ask(talk, who)
            data.name = name
            return NEXT
        if talk.step == Step.ORGANISATION:
            organisation = clean_text(text, ORGANISATION_MAX)
            if organisation is None:
                talk.say(t(language, "organisation.invalid", max=ORGANISATION_MAX))
                return await self.conversations.ask(talk, who)
            data.organisation, data.organisation_done = organisation, True
            return NEXT
        if talk.step == Step.ZONE:
            if self.zones.on_text(data, text, language) is ZoneAnswer.TAKEN:
                return NEXT
            return await self.conversations.ask(talk, who)
        return None

    async def on_content(self, talk: Talk[RegistrationData], content: Content, who: Who) -> Handled:
        """Registration wants text or buttons, never files or stickers."""
        return None

    def takes_any_message(self, talk: Talk[RegistrationData]) -> bool:
        """Only typed answers or buttons here."""
        return False

    # --- confirming --------------------------------------------------------------------------
    async def _complete(
        self, talk: Talk[RegistrationData], who: Who, pressed: int | None
    ) -> Outcome:
        """Store the registration and its confirmation (through the outbox, durably).

        The registration, the end of the conversation and the confirmation messages (the
        summary turned into the confirmation with the programme, then the calendar file) are
        written in one transaction; the handler delivers them at once. Should the bot stop
        in between, the outbox sends them after the restart.
        """
        data, language, out = talk.data, talk.language, talk.out
        event = self.texts.event(data.event_id)
        now = self.clock.now()
        if event is None or event not in self.config.open_events(now):
            await self.conversations.end(who.user_id)
            return out.add(Message(self.catalog(language, "summary.closed")))
        answers = data.answers()
        venue = (
            self.config.venue_for(event, answers.zone)
            if answers.mode is AttendanceMode.IN_PERSON
            else None
        )
        new = NewRegistration(
            event_id=event.id,
            user_id=who.user_id,
            display_name=answers.name,
            zone=answers.zone,
            mode=answers.mode.value,
            venue_id=venue.id if venue else None,
            organisation=answers.organisation,
            category=answers.category,
            language=language,
        )
        try:
            async with self.db.transaction():
                registration = await self.registrations.create(
                    new, venue.capacity if venue else None, now
                )
                await self.conversations.end(who.user_id)
                keys = await self.confirmations.plan(registration, message_id=pressed)
        except AlreadyRegisteredError:
            await self.conversations.end(who.user_id)
            out.add(Message(self.catalog(language, "summary.already")))
            return out
        log.info(
            "registration %s: event=%s zone=%d mode=%s",
            registration.status.value,
            event.id,
            answers.zone,
            answers.mode.value,
        )
        await self.planner.plan(registration, now)
        out.toast = self.catalog(language, "summary.done_toast")
        out.close_keyboard = False  # the confirmation replaces the summary, buttons and all
        out.deliver.extend(keys)
        return out
