"""Who may ask and support questions now, and the polite refusals when not.

An asker is someone with a **confirmed** registration for an event whose question window
is open now (:func:`bot.questions.policy.open_window`), in person or online alike (the
plenaries are hybrid: the people online are the ones who have no microphone). A waiting-list
registration is refused with its own words (not at the event yet), a cancelled one too, and
no registration says how to register.

Outside every window the refusal says when the next one opens (today: "today at 17:00",
another day: its date) with its title; after the last window of the day it says the day's
questions are closed and that the list of questions and what became of them will follow
(part D sends it); with no window left at all, that there is none planned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.kernel.clock import Clock
from bot.kernel.format import date_text
from bot.kernel.i18n import Catalog, Raw
from bot.questions.policy import open_window
from config.event import Event, EventConfig, QuestionSlot
from storage.question_reads import QuestionReads
from storage.registrations import Registration, RegistrationRepository, Status

KEPT = 20_000  # registrations kept between presses (then forgotten, read again)


@dataclass(frozen=True)
class Asker:
    """A participant who may ask and support now: the event, the open window, the
    registration."""

    event: Event
    slot: QuestionSlot
    registration: Registration


class Refusal(Raw):
    """Why someone cannot ask or support now (the message, HTML)."""

    __slots__ = ()


class QuestionGate:
    """Checks the time and the participant before anything is asked or stored."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        registrations: RegistrationRepository,
        reads: QuestionReads,
    ) -> None:
        self.config = config
        self.t = catalog
        self.clock = clock
        self.registrations = registrations
        self.reads = reads
        # (event, user) -> (the registrations' version it was read at, the registration):
        # a room pressing support buttons does not read its registrations on every press;
        # any change of a registration (the repository's version) makes the next read fresh.
        self._confirmed: dict[tuple[str, int], tuple[int, Registration]] = {}

    def now(self) -> dt.datetime:
        """The clock's time."""
        return self.clock.now()

    def local_time(self, moment: dt.datetime) -> str:
        """``17:10``: a moment in the events' time zone."""
        local = moment.astimezone(self.config.tz)
        return f"{local.hour}:{local.minute:02d}"

    def open_now(self) -> tuple[Event, QuestionSlot] | None:
        """The event and window open now, if any (the first event in the file's order; the
        window by :func:`~bot.questions.policy.open_window`)."""
        now = self.now()
        for event in self.config.events:
            slot = open_window(self.config, event, now)
            if slot is not None:
                return event, slot
        return None

    def slot(self, event_id: str, window_id: str) -> QuestionSlot | None:
        """A window by its event and id, if it is open now."""
        found = self.open_now()
        if found is None or found[0].id != event_id or found[1].id != window_id:
            return None
        return found[1]

    async def asker(self, user_id: int, language: str) -> Asker | Refusal:
        """The participant, if they may ask now (else why not)."""
        found = self.open_now()
        if found is None:  # the next window of the events they are registered for
            mine = {r.event_id for r in await self.registrations.active_for_user(user_id)}
            return self.closed(language, mine or None)
        event, slot = found
        registration = await self.registration(event, user_id, language)
        if isinstance(registration, Refusal):
            return registration
        return Asker(event, slot, registration)

    async def registration(
        self, event: Event, user_id: int, language: str
    ) -> Registration | Refusal:
        """The user's confirmed registration for ``event``, or why they cannot take part."""
        version = self.registrations.version
        cached = self._confirmed.get((event.id, user_id))
        if cached is not None and cached[0] == version:
            return cached[1]
        title = event.title.get(language)
        registration = await self.registrations.active(event.id, user_id)
        if registration is None:
            latest = await self.reads.latest_registration(event.id, user_id)
            if latest is not None and latest.status is Status.CANCELLED:
                return Refusal(self.t(language, "questions.registration_cancelled", event=title))
            return Refusal(self.t(language, "questions.not_registered", event=title))
        if registration.status is not Status.CONFIRMED:
            return Refusal(self.t(language, "questions.waitlisted", event=title))
        if len(self._confirmed) > KEPT:
            self._confirmed.clear()
        self._confirmed[(event.id, user_id)] = (version, registration)
        return registration

    def title(self, slot: QuestionSlot, language: str) -> str:
        """A window's title in ``language``."""
        return slot.title.get(language)

    def closed(self, language: str, events: set[str] | None = None) -> Refusal:
        """No window is open: when the next opens, or that the day's (or all) are over; of
        ``events`` only (those the person is registered for), or of every event."""
        now = self.now()
        today = now.astimezone(self.config.tz).date()
        slots = [
            (event, slot)
            for event in self.config.events
            if events is None or event.id in events
            for slot in self.config.question_windows(event)
        ]
        later = sorted(((s.start, e, s) for e, s in slots if s.start > now), key=lambda x: x[0])
        ended_today = [s for e, s in slots if e.date == today and s.end <= now]
        parts: list[str] = []
        if ended_today and not any(
            start.astimezone(self.config.tz).date() == today for start, _, _ in later
        ):
            last = max(s.end for s in ended_today)
            parts.append(self.t(language, "questions.day_over", time=self.local_time(last)))
        if later:
            start, _, slot = later[0]
            day = start.astimezone(self.config.tz).date()
            key = "questions.next_today" if day == today else "questions.next_later"
            parts.append(
                self.t(
                    language,
                    key,
                    title=self.title(slot, language),
                    time=self.local_time(start),
                    date=date_text(self.t, language, day),
                )
            )
        elif not ended_today:
            parts.append(self.t(language, "questions.none_planned"))
        return Refusal("\n\n".join(parts))
