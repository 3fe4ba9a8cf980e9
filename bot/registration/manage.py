"""A registration once made: the overview, changing zone or mode, cancelling, erasing.

``/iscrizione`` shows each active registration with buttons (:class:`ManageButton`) to change
its zone or attendance mode or to cancel it, and the other open events to register for.
Each action is a short conversation ending with a confirmation (:class:`ChangeFlow`,
:class:`CancelFlow`, :class:`EraseFlow`); a place freed goes to the first on the waiting
list, told through the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Generic, Protocol, TypeVar

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import Clock
from bot.kernel.conversation import (
    NEXT,
    Content,
    Conversations,
    FlowButton,
    FlowData,
    Handled,
    Talk,
)
from bot.kernel.format import event_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Keyboard, Message, Outcome, Reply
from bot.registration.confirmation import Confirmations
from bot.registration.texts import Answers, RegistrationTexts
from bot.registration.wizard import CONFIRM_REGISTRATION, RegistrationFlow
from bot.registration.zones import (
    ButtonMaker,
    ZoneAnswer,
    ZoneFields,
    ZoneQuestion,
    mode_message,
)
from bot.reminders.planner import ReminderPlanner
from config.event import AttendanceMode, EventConfig
from storage.registrations import Registration, RegistrationRepository


class ManageAction(StrEnum):
    """What a button under a registration does."""

    ZONE = "zone"
    MODE = "mode"
    CANCEL = "cancel"
    NEW = "new"  # register for another open event


@dataclass(frozen=True)
class ManageButton(ButtonData, prefix="m"):
    """A button under a registration (or under the other open events)."""

    action: ManageAction
    event_id: str


class Erasure(Protocol):
    """Erasing a user's personal data everywhere (the staff capability knows the roles)."""

    def erase_question(self, user_id: int, language: str) -> Awaitable[Raw]:
        """The confirmation question (saying which roles end)."""
        ...

    def erase(self, user_id: int, language: str, out: Outcome) -> Awaitable[list[Registration]]:
        """Erase, saying so in ``out``; returns whoever was promoted into freed places."""
        ...


class ConfirmStep(StrEnum):
    """The steps of the short management conversations."""

    ZONE = "zone"
    MODE = "mode"
    CONFIRM = "confirm"


@dataclass
class ChangeData(ZoneFields, FlowData):
    """A change of zone or mode being made."""

    registration_id: int = 0
    event_id: str = ""
    what: str = "zone"
    mode: str | None = None


@dataclass
class CancelData(FlowData):
    """The registration being cancelled."""

    registration_id: int = 0
    event_id: str = ""


@dataclass
class EraseData(FlowData):
    """Nothing to remember: erasing concerns the user."""


D = TypeVar("D", bound=FlowData)


class _Confirming(Generic[D]):
    """What the three management flows share: a confirm-or-keep question."""

    name: ClassVar[str]

    def stopped(self, talk: Talk[D]) -> str:
        """``/annulla`` during a management conversation."""
        return "abort.done"

    async def on_content(self, talk: Talk[D], content: Content, who: Who) -> Handled:
        """Only buttons (and a typed comune for a zone change) are answers here."""
        return None

    def takes_any_message(self, talk: Talk[D]) -> bool:
        """Only typed answers or buttons here."""
        return False

    def confirm_buttons(self, catalog: Catalog, language: str, button: ButtonMaker) -> Keyboard:
        """Confirm or keep as it is."""
        return [
            [
                button(catalog(language, f"confirm.{self.name}.ok"), "ok", ""),
                button(catalog(language, "confirm.keep"), "no", ""),
            ]
        ]


class ChangeFlow(_Confirming[ChangeData]):
    """Change a registration's zone or attendance mode."""

    name: ClassVar[str] = "change"
    data_type = ChangeData
    text_steps: frozenset[str] = frozenset({ConfirmStep.ZONE})

    def __init__(self, manage: Manage) -> None:
        self.m = manage

    async def next_step(self, talk: Talk[ChangeData], who: Who | None) -> str:
        """The zone or the mode, then the confirmation."""
        data = talk.data
        if data.what == ConfirmStep.ZONE and data.zone is None:
            return ConfirmStep.ZONE
        if data.what == ConfirmStep.MODE and data.mode is None:
            return ConfirmStep.MODE
        return ConfirmStep.CONFIRM

    async def question(self, talk: Talk[ChangeData], who: Who | None) -> list[Reply]:
        """The zone, the mode, or the new details to confirm."""
        m, data, language = self.m, talk.data, talk.language
        registration = await m.registrations.get(data.registration_id)
        event = m.texts.event(data.event_id)
        assert registration is not None and event is not None
        if talk.step == ConfirmStep.ZONE:
            return [m.zones.message(data, language, talk.button)]
        if talk.step == ConfirmStep.MODE:
            zone = data.zone if data.zone is not None else registration.zone
            return [mode_message(m.config, m.catalog, event, zone, language, talk.button)]
        zone = data.zone if data.zone is not None else registration.zone
        mode = AttendanceMode(data.mode or registration.mode)
        answers = Answers(
            registration.display_name or "",
            zone,
            mode,
            registration.organisation,
            registration.category,
        )
        text = m.catalog(language, "change.ask", details=m.texts.details(language, event, answers))
        if mode is AttendanceMode.IN_PERSON:
            venue = m.config.venue_for(event, zone)
            moving = registration.venue_id != venue.id or registration.mode != mode.value
            taken = await m.registrations.confirmed_in_person(event.id, venue.id)
            if moving and venue.capacity is not None and taken >= venue.capacity:
                warning = m.catalog(language, "change.full_warning", venue=venue.name)
                text = Raw(f"{text}\n\n{warning}")
        return [Message(text, self.confirm_buttons(m.catalog, language, talk.button))]

    async def on_button(
        self, talk: Talk[ChangeData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """A zone, a mode, or the confirmation."""
        m, data = self.m, talk.data
        if talk.step == ConfirmStep.ZONE:
            answer = m.zones.on_button(data, action, value, talk.language)
            if answer is ZoneAnswer.ASK_AGAIN:
                return await m.conversations.ask(talk, who)
            return None if answer is None else NEXT
        if talk.step == ConfirmStep.MODE and action == "md":
            event = m.texts.event(data.event_id)
            if event is None or value not in {mode.value for mode in event.modes}:
                return None
            data.mode = value
            return NEXT
        if talk.step == ConfirmStep.CONFIRM and action in ("ok", "no"):
            await m.conversations.end(who.user_id)
            if action == "no":
                return talk.out.add(Message(m.catalog(talk.language, "abort.done")))
            return await m.change(talk, who)
        return None

    async def on_text(self, talk: Talk[ChangeData], text: str, who: Who) -> Handled:
        """A typed comune or zone, when the zone is being changed."""
        if talk.step != ConfirmStep.ZONE:
            return None
        if self.m.zones.on_text(talk.data, text, talk.language) is ZoneAnswer.TAKEN:
            return NEXT
        return await self.m.conversations.ask(talk, who)


class _ConfirmOnly(_Confirming[D]):
    """A flow of one question: confirm (``confirmed``) or keep as it is."""

    text_steps: frozenset[str] = frozenset()

    def __init__(self, manage: Manage) -> None:
        self.m = manage

    async def next_step(self, talk: Talk[D], who: Who | None) -> str:
        """Only the confirmation."""
        return ConfirmStep.CONFIRM

    async def on_button(
        self, talk: Talk[D], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """Confirmed, or kept."""
        if action not in ("ok", "no"):
            return None
        await self.m.conversations.end(who.user_id)
        if action == "no":
            return talk.out.add(Message(self.m.catalog(talk.language, "abort.done")))
        return await self.confirmed(talk, who)

    async def confirmed(self, talk: Talk[D], who: Who) -> Handled:
        """Do it (the conversation has ended)."""
        raise NotImplementedError

    async def on_text(self, talk: Talk[D], text: str, who: Who) -> Handled:
        """Only the buttons answer."""
        return None


class CancelFlow(_ConfirmOnly[CancelData]):
    """Cancel a registration."""

    name: ClassVar[str] = "cancel"
    data_type = CancelData

    async def question(self, talk: Talk[CancelData], who: Who | None) -> list[Reply]:
        """Really cancel?"""
        title = self.m.texts.event_title(talk.language, talk.data.event_id)
        text = self.m.catalog(talk.language, "cancel.ask", event=title)
        return [Message(text, self.confirm_buttons(self.m.catalog, talk.language, talk.button))]

    async def confirmed(self, talk: Talk[CancelData], who: Who) -> Handled:
        """The registration is cancelled (and a waiting-list place promoted)."""
        return await self.m.cancel(talk, who)


class EraseFlow(_ConfirmOnly[EraseData]):
    """Erase all of one's personal data (and staff roles)."""

    name: ClassVar[str] = "erase"
    data_type = EraseData

    async def question(self, talk: Talk[EraseData], who: Who | None) -> list[Reply]:
        """What goes (and which roles end); really erase?"""
        text = await self.m.erasure.erase_question(talk.user_id, talk.language)
        return [Message(text, self.confirm_buttons(self.m.catalog, talk.language, talk.button))]

    async def confirmed(self, talk: Talk[EraseData], who: Who) -> Handled:
        """Everything personal goes; promoted waiting-list people are told."""
        promoted = await self.m.erasure.erase(who.user_id, talk.language, talk.out)
        talk.out.deliver.extend(await self.m.confirmations.promotions(promoted))
        return talk.out


class Manage:
    """Seeing, changing, cancelling and erasing one's registration."""

    def __init__(
        self,
        conversations: Conversations,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        texts: RegistrationTexts,
        zones: ZoneQuestion,
        confirmations: Confirmations,
        registrations: RegistrationRepository,
        planner: ReminderPlanner,
        wizard: RegistrationFlow,
        erasure: Erasure,
    ) -> None:
        self.conversations = conversations
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.texts = texts
        self.zones = zones
        self.confirmations = confirmations
        self.registrations = registrations
        self.planner = planner
        self.wizard = wizard
        self.erasure = erasure
        self.change_flow = ChangeFlow(self)
        self.cancel_flow = CancelFlow(self)
        self.erase_flow = EraseFlow(self)
        for flow in (self.change_flow, self.cancel_flow, self.erase_flow):
            conversations.add(flow)
        conversations.on_stale(self.already_registered)

    # --- the overview --------------------------------------------------------------------
    async def overview(
        self, who: Who, language: str, out: Outcome, registrations: list[Registration]
    ) -> Outcome:
        """Each active registration with buttons to change or cancel it, and the other open
        events to register for."""
        t = self.catalog
        for registration in registrations:
            event = self.texts.event(registration.event_id)
            if event is None:
                continue
            buttons: Keyboard = [
                [self._button(language, "manage.change_zone", ManageAction.ZONE, event.id)]
            ]
            if len(event.modes) > 1:
                buttons.append(
                    [self._button(language, "manage.change_mode", ManageAction.MODE, event.id)]
                )
            buttons.append([self._button(language, "manage.cancel", ManageAction.CANCEL, event.id)])
            text = await self.texts.status(registration, language, overview=True)
            out.add(Message(text, buttons))
        candidates = await self.wizard.candidates(who.user_id)
        if candidates:
            out.add(
                Message(
                    t(language, "manage.other_events"),
                    [
                        [
                            Button(
                                event_label(self.catalog, language, self.config, e),
                                ManageButton(ManageAction.NEW, e.id).pack(),
                            )
                        ]
                        for e in candidates
                    ],
                )
            )
        return out

    def _button(self, language: str, key: str, action: ManageAction, event_id: str) -> Button:
        return Button(self.catalog(language, key), ManageButton(action, event_id).pack())

    # --- its buttons ---------------------------------------------------------------------
    async def press(self, who: Who, button: ManageButton) -> Outcome:
        """A button under a registration: change zone/mode, cancel, register for another event.

        Not while another conversation is open (an old "register for another event" button
        pressed mid-registration): that is refused politely and the current step stays.
        """
        if await self.conversations.is_open(who.user_id):
            return await self.conversations.invalid(who, "manage.busy")
        outcome = await self._press(who, button)
        outcome.in_place = outcome.alert is None
        return outcome

    async def _press(self, who: Who, button: ManageButton) -> Outcome:
        language = await self.languages.of(who)
        out = Outcome()
        if button.action is ManageAction.NEW:
            if button.event_id not in {e.id for e in await self.wizard.candidates(who.user_id)}:
                return await self.conversations.invalid(who, "button.stale")
            return await self.wizard.begin(who, language, out, event_id=button.event_id)
        registration = await self.registrations.active(button.event_id, who.user_id)
        event = self.texts.event(button.event_id)
        if registration is None or event is None:
            return await self.conversations.invalid(who, "button.stale")
        if button.action is ManageAction.CANCEL:
            return await self.begin_cancel(who, language, registration, out)
        if button.action is ManageAction.MODE and len(event.modes) < 2:
            return await self.conversations.invalid(who, "button.invalid")
        data = ChangeData(
            registration_id=registration.id,
            event_id=event.id,
            what=button.action.value,
            zone=None if button.action is ManageAction.ZONE else registration.zone,
        )
        return await self.conversations.begin(
            who, self.change_flow, data, language=language, out=out
        )

    async def begin_cancel(
        self, who: Who, language: str, registration: Registration, out: Outcome
    ) -> Outcome:
        """Ask to confirm cancelling ``registration``."""
        data = CancelData(registration.id, registration.event_id)
        return await self.conversations.begin(
            who, self.cancel_flow, data, language=language, out=out
        )

    async def offer_cancel(self, who: Who, language: str) -> Outcome:
        """``/annulla`` with no conversation open: cancel the registration (which one?)."""
        out = Outcome()
        registrations = await self.registrations.active_for_user(who.user_id)
        if not registrations:
            return out.add(Message(self.catalog(language, "abort.nothing")))
        if len(registrations) == 1:
            return await self.begin_cancel(who, language, registrations[0], out)
        buttons = [
            [
                Button(
                    self.texts.event_title(language, r.event_id),
                    ManageButton(ManageAction.CANCEL, r.event_id).pack(),
                )
            ]
            for r in registrations
        ]
        return out.add(Message(self.catalog(language, "abort.which"), buttons))

    async def erase(self, who: Who) -> Outcome:
        """``/cancella_dati``: ask to confirm the erasure of all personal data."""
        return await self.conversations.begin(who, self.erase_flow, EraseData())

    async def already_registered(self, who: Who, button: FlowButton) -> Outcome | None:
        """A press on the summary of a registration already confirmed: say so, and send the
        confirmation again (the first one may never have arrived)."""
        if button.action != CONFIRM_REGISTRATION or await self.conversations.is_open(who.user_id):
            return None
        registrations = await self.registrations.active_for_user(who.user_id)
        if not registrations:
            return None
        language = await self.languages.of(who)
        out = Outcome(alert=self.catalog(language, "summary.already"))
        latest = max(registrations, key=lambda r: r.created_at)
        out.replies.extend(await self.confirmations.replies(latest, language))
        out.in_place = True
        return out

    # --- carrying out ---------------------------------------------------------------------
    async def cancel(self, talk: Talk[CancelData], who: Who) -> Outcome:
        """Cancel, free the place (the first on the waiting list gets it), drop reminders."""
        out, language, now = talk.out, talk.language, self.clock.now()
        registration = await self.registrations.get(talk.data.registration_id)
        event = self.texts.event(talk.data.event_id)
        if registration is None or not registration.active or event is None:
            return out.add(Message(self.catalog(language, "button.stale")))
        old_venue = self.config.venue(registration.venue_id) if registration.venue_id else None
        promoted = await self.registrations.cancel(
            registration.id, old_venue.capacity if old_venue else None, now
        )
        await self.planner.unplan(registration, "registration_cancelled", now)
        out.deliver.extend(await self.confirmations.promotions(promoted))
        return out.add(
            Message(self.catalog(language, "cancel.done", event=event.title.get(language)))
        )

    async def change(self, talk: Talk[ChangeData], who: Who) -> Outcome:
        """Move the registration (to a waiting list when the new venue is full), re-plan its
        reminders, and send the confirmation again."""
        out, language, now = talk.out, talk.language, self.clock.now()
        registration = await self.registrations.get(talk.data.registration_id)
        event = self.texts.event(talk.data.event_id)
        if registration is None or not registration.active or event is None:
            return out.add(Message(self.catalog(language, "button.stale")))
        old_venue = self.config.venue(registration.venue_id) if registration.venue_id else None
        zone = talk.data.zone if talk.data.zone is not None else registration.zone
        mode = AttendanceMode(talk.data.mode or registration.mode)
        venue = self.config.venue_for(event, zone) if mode is AttendanceMode.IN_PERSON else None
        placement = await self.registrations.move(
            registration.id,
            zone=zone,
            mode=mode.value,
            venue_id=venue.id if venue else None,
            capacity=venue.capacity if venue else None,
            old_capacity=old_venue.capacity if old_venue else None,
            now=now,
        )
        await self.planner.plan(placement.registration, now)
        out.deliver.extend(await self.confirmations.promotions(placement.promoted))
        out.add(Message(self.catalog(language, "change.done")))
        out.replies.extend(await self.confirmations.replies(placement.registration, language))
        return out
