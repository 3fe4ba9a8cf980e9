"""Attendance check-in: participants at the desk, and referents marking people present.

**At the desk.** Each venue has a check-in deep link, ``t.me/<bot>?start=ci_<venue id>``,
printed as a QR code (``psm-bot qr``). A participant who opens it is marked present when:

- an event takes place at that venue today (process time zone; an event's venues are its
  single ``venue``, or else the venues of all its zones; online-only events have no desk),
- the check-in window is open: from :data:`CHECKIN_LEAD` (2 hours) before the first agenda
  item until the end of the last one,
- they have a confirmed, in-person registration for that event at that venue.

Otherwise they get one clear answer: wrong day (with the day and time check-in opens), too
early today, event over, not registered, registered online, registered at another venue
("you are registered at X; this desk is Y"), on the waiting list (ask the desk). Checking in
twice is harmless: the answer repeats the time of the first check-in.

The QR code proves nothing but being registered: it only lets people check themselves in
quickly; the desk staff remain the judge of who is in the room.

**Referents.** ``/presenze`` (``/checkin``): a venue referent (their venues) or an organiser
(any venue: they pick it) types part of a name and gets buttons for up to 10 matching
in-person registrations of today's event at that venue (zone shown; ✅ already present,
⏳ waiting list); pressing one marks the person present. The conversation stays open for the
next name until ``/annulla``. Buttons carry ``ci|m|<registration id>`` and no secret: every
press re-checks the presser's role, the registration's venue and the day, so forged data
changes nothing. Staff can mark people present during the whole event day, waiting-list
registrations included (the desk decides who gets in).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import Clock
from bot.kernel.conversation import NEXT, Content, Conversations, FlowData, Handled, Talk
from bot.kernel.format import date_text, time_text, zone_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Keyboard, Message, Outcome, Reply
from bot.registration.comuni import normalise
from bot.staff.roles import Roles
from config.event import AttendanceMode, Event, EventConfig
from storage.attendance import AttendanceRepository, Attendee
from storage.registrations import RegistrationRepository, Status

log = logging.getLogger(__name__)

CHECKIN_PREFIX = "ci_"
CHECKIN_LEAD = dt.timedelta(hours=2)
CHECKIN = "checkin"  # the conversation of /presenze
MAX_MATCHES = 10
MIN_QUERY = 2


class CheckinStep(StrEnum):
    """The steps of ``/presenze``."""

    VENUE = "venue"
    NAME = "name"


@dataclass
class CheckinData(FlowData):
    """The venues the staff member may work at, and the one chosen."""

    venues: list[str] = field(default_factory=list)
    venue_id: str | None = None


@dataclass(frozen=True)
class CheckinButton(ButtonData, prefix="ci"):
    """A name found by ``/presenze``: mark that registration present."""

    action: str  # "m"
    registration_id: int


# --- links and days -----------------------------------------------------------------------
def checkin_payload(venue_id: str) -> str:
    """The ``/start`` payload of a venue's check-in link (at most 35 of the 64 characters)."""
    return f"{CHECKIN_PREFIX}{venue_id}"


def checkin_link(bot_username: str, venue_id: str) -> str:
    """The check-in deep link of a venue."""
    return f"https://t.me/{bot_username}?start={checkin_payload(venue_id)}"


def zone_link(bot_username: str, zone: int) -> str:
    """The registration deep link that preselects a zone."""
    return f"https://t.me/{bot_username}?start=zona{zone}"


def event_venues(config: EventConfig, event: Event) -> list[str]:
    """The venues with a check-in desk for ``event`` (none when it is online only)."""
    if AttendanceMode.IN_PERSON not in event.modes:
        return []
    if event.venue is not None:
        return [event.venue]
    return list(dict.fromkeys(zone.venue for zone in config.zones))


def checkin_window(config: EventConfig, event: Event) -> tuple[dt.datetime, dt.datetime]:
    """When participants can check themselves in: (opens, closes), aware."""
    return config.starts_at(event) - CHECKIN_LEAD, config.ends_at(event)


def events_today(config: EventConfig, venue_id: str, now: dt.datetime) -> list[Event]:
    """Events at ``venue_id`` on the local date of ``now``, soonest first."""
    today = now.astimezone(config.tz).date()
    return sorted(
        (
            event
            for event in config.events
            if event.date == today and venue_id in event_venues(config, event)
        ),
        key=config.starts_at,
    )


def event_today(config: EventConfig, venue_id: str, now: dt.datetime) -> Event | None:
    """Today's event at a venue: the one whose window is open, else the next one today."""
    events = events_today(config, venue_id, now)
    for event in events:
        if now < checkin_window(config, event)[1]:
            return event
    return events[-1] if events else None


def next_event(config: EventConfig, venue_id: str, now: dt.datetime) -> Event | None:
    """The next event at a venue whose check-in has not closed yet."""
    upcoming = [
        event
        for event in config.events
        if venue_id in event_venues(config, event) and now < checkin_window(config, event)[1]
    ]
    return min(upcoming, key=config.starts_at, default=None)


def name_matches(query: str, name: str | None) -> bool:
    """Every word typed appears in the name (case, accents and punctuation ignored)."""
    if not name:
        return False
    target = normalise(name)
    return all(word in target for word in normalise(query).split())


class CheckinFlow:
    """``/presenze``: the venue (when there is a choice), then names to search."""

    name: ClassVar[str] = CHECKIN
    data_type = CheckinData
    text_steps: frozenset[str] = frozenset({CheckinStep.NAME})

    def __init__(self, attendance: AttendanceFlows) -> None:
        self.a = attendance

    def stopped(self, talk: Talk[CheckinData]) -> str:
        """``/annulla`` ends the search."""
        return "abort.done"

    async def next_step(self, talk: Talk[CheckinData], who: Who | None) -> str:
        """Venue first (when there is a choice), then names."""
        return CheckinStep.NAME if talk.data.venue_id else CheckinStep.VENUE

    async def question(self, talk: Talk[CheckinData], who: Who | None) -> list[Reply]:
        """Which venue, or: type a name (with how many are present so far)."""
        return [await self.a.question(talk)]

    async def on_button(
        self, talk: Talk[CheckinData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """The venue button."""
        if talk.step == CheckinStep.VENUE and action == "v" and value in talk.data.venues:
            talk.data.venue_id = value
            return NEXT
        return None

    async def on_text(self, talk: Talk[CheckinData], text: str, who: Who) -> Handled:
        """A name (or part of it): buttons for the matching registrations."""
        if talk.step != CheckinStep.NAME:
            return None
        return await self.a.search(talk, text, who)

    async def on_content(self, talk: Talk[CheckinData], content: Content, who: Who) -> Handled:
        """Names are typed."""
        return None

    def takes_any_message(self, talk: Talk[CheckinData]) -> bool:
        """Only typed answers or buttons here."""
        return False


class AttendanceFlows:
    """Self check-in at the desk and ``/presenze`` for referents and organisers."""

    def __init__(
        self,
        conversations: Conversations,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        store: AttendanceRepository,
        registrations: RegistrationRepository,
    ) -> None:
        self.conversations = conversations
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.store = store
        self.registrations = registrations
        self.flow = CheckinFlow(self)
        conversations.add(self.flow)

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    def _local(self, when: dt.datetime) -> str:
        return time_text(when.astimezone(self.config.tz).time())

    def _venue_name(self, venue_id: str | None) -> str:
        try:
            return self.config.venue(venue_id or "").name
        except KeyError:
            return venue_id or "?"

    # --- participants at the desk ---------------------------------------------------------
    async def desk(self, who: Who, venue_id: str) -> Outcome:
        """``/start ci_<venue>``: mark the participant present, or say clearly why not."""
        language = await self.languages.of(who)
        t = self.t
        out = Outcome()
        config = self.config
        if venue_id not in {venue.id for venue in config.venues}:
            return out.add(Message(t(language, "checkin.unknown_link")))
        venue = config.venue(venue_id)
        now = self.clock.now()
        event = event_today(config, venue_id, now)
        if event is None:
            upcoming = next_event(config, venue_id, now)
            if upcoming is None:
                return out.add(Message(t(language, "checkin.no_event", venue=venue.name)))
            opens = checkin_window(config, upcoming)[0].astimezone(config.tz)
            return out.add(
                Message(
                    t(
                        language,
                        "checkin.wrong_day",
                        venue=venue.name,
                        event=upcoming.title.get(language),
                        date=date_text(self.catalog, language, opens.date()),
                        time=time_text(opens.time()),
                    )
                )
            )
        title = event.title.get(language)
        opens, closes = checkin_window(config, event)
        if now < opens:
            return out.add(
                Message(
                    t(
                        language,
                        "checkin.too_early",
                        event=title,
                        venue=venue.name,
                        time=self._local(opens),
                    )
                )
            )
        if now >= closes:
            return out.add(Message(t(language, "checkin.closed", event=title, venue=venue.name)))
        registration = await self.registrations.active(event.id, who.user_id)
        if registration is None:
            return out.add(Message(t(language, "checkin.not_registered", event=title)))
        if registration.mode != AttendanceMode.IN_PERSON.value:
            return out.add(Message(t(language, "checkin.online", event=title)))
        if registration.venue_id != venue_id:
            return out.add(
                Message(
                    t(
                        language,
                        "checkin.wrong_venue",
                        registered=self._venue_name(registration.venue_id),
                        venue=venue.name,
                    )
                )
            )
        if registration.status is Status.WAITLISTED:
            position = await self.registrations.waitlist_position(registration)
            return out.add(
                Message(
                    t(
                        language,
                        "checkin.waitlisted",
                        venue=venue.name,
                        position=position or 1,
                    )
                )
            )
        done = await self.store.check_in(registration.id, who.user_id, now)
        if done is None:  # cancelled in the meantime
            return out.add(Message(t(language, "checkin.not_registered", event=title)))
        assert done.attendee.checked_in_at is not None
        when = self._local(done.attendee.checked_in_at)
        if not done.new:
            return out.add(Message(t(language, "checkin.already", time=when)))
        log.info(
            "check-in: event=%s venue=%s zone=%d by=self",
            registration.event_id,
            venue_id,
            registration.zone,
        )
        return out.add(
            Message(
                t(
                    language,
                    "checkin.done",
                    name=registration.display_name or "",
                    venue=venue.name,
                    time=when,
                    zone=zone_label(config, registration.zone),
                )
            )
        )

    # --- staff: /presenze ------------------------------------------------------------------
    async def _allowed_venues(self, user_id: int) -> set[str] | None:
        """Venues the user may mark people present at (None: not allowed at all)."""
        if self.roles.is_organiser(user_id):
            return {venue.id for venue in self.config.venues}
        venues = await self.roles.referent_venues(user_id)
        return venues or None

    async def start(self, who: Who, typed: str | None = None) -> Outcome:
        """``/presenze [name]``: pick the venue if needed, then search names to mark present."""
        language = await self.languages.of(who)
        t = self.t
        allowed = await self._allowed_venues(who.user_id)
        if allowed is None:
            return Outcome().add(Message(t(language, "checkin.staff_only")))
        now = self.clock.now()
        venues = [
            venue.id
            for venue in self.config.venues
            if venue.id in allowed and event_today(self.config, venue.id, now) is not None
        ]
        if not venues:
            return Outcome().add(Message(t(language, "checkin.no_event_today")))
        data = CheckinData(venues=venues, venue_id=venues[0] if len(venues) == 1 else None)
        out = await self.conversations.begin(who, self.flow, data, language=language)
        if typed and data.venue_id is not None:
            talk = await self.conversations.open(who, language=language, out=out)
            if talk is not None:
                return await self.search(talk, typed, who)
        return out

    async def question(self, talk: Talk[CheckinData]) -> Message:
        """Which venue, or: type a name (with how many are present so far)."""
        t, language = self.t, talk.language
        if talk.step == CheckinStep.VENUE:
            venues = [self.config.venue(v) for v in talk.data.venues]
            return Message(
                t(language, "checkin.ask_venue"),
                [[talk.button(venue.name, "v", venue.id)] for venue in venues],
            )
        venue_id = str(talk.data.venue_id)
        event = event_today(self.config, venue_id, self.clock.now())
        if event is None:
            return Message(t(language, "checkin.no_event_today"))
        expected = await self.store.at_venue(event.id, venue_id)
        present = sum(1 for attendee in expected if attendee.present)
        return Message(
            t(
                language,
                "checkin.ask_name",
                venue=self._venue_name(venue_id),
                event=event.title.get(language),
                present=present,
                expected=sum(1 for a in expected if a.status is Status.CONFIRMED),
                min=MIN_QUERY,
            )
        )

    async def search(self, talk: Talk[CheckinData], text: str, who: Who) -> Outcome:
        """A name (or part of it): buttons for the matching registrations."""
        t, language, out = self.t, talk.language, talk.out
        venue_id = str(talk.data.venue_id)
        allowed = await self._allowed_venues(who.user_id)
        if allowed is None or venue_id not in allowed:  # the role was removed meanwhile
            await self.conversations.end(who.user_id)
            return out.add(Message(t(language, "checkin.staff_only")))
        event = event_today(self.config, venue_id, self.clock.now())
        if event is None:  # the day is over
            await self.conversations.end(who.user_id)
            return out.add(Message(t(language, "checkin.no_event_today")))
        query = " ".join(text.split())[:60]
        if len(normalise(query).replace(" ", "")) < MIN_QUERY:
            return out.add(Message(t(language, "checkin.too_short", min=MIN_QUERY)))
        found = [a for a in await self.store.at_venue(event.id, venue_id) if a.display_name]
        matches = [a for a in found if name_matches(query, a.display_name)]
        venue = self._venue_name(venue_id)
        if not matches:
            return out.add(Message(t(language, "checkin.no_match", typed=query, venue=venue)))
        key = normalise(query)
        matches.sort(key=lambda a: (not normalise(a.display_name or "").startswith(key),))
        shown = matches[:MAX_MATCHES]
        buttons: Keyboard = [
            [Button(self._label(a), CheckinButton("m", a.id).pack())] for a in shown
        ]
        text_key = "checkin.matches" if len(matches) <= MAX_MATCHES else "checkin.too_many"
        return out.add(
            Message(
                t(language, text_key, typed=query, found=len(matches), shown=len(shown)),
                buttons,
            )
        )

    def _label(self, attendee: Attendee) -> str:
        mark = "✅ " if attendee.present else "⏳ " if attendee.status is Status.WAITLISTED else ""
        name = (attendee.display_name or "")[:40]
        return f"{mark}{name} · {zone_label(self.config, attendee.zone)}"[:64]

    async def button(self, who: Who, button: CheckinButton | None) -> Outcome:
        """A name's button: mark present, re-checking role, venue and day."""
        language = await self.languages.of(who)
        t = self.t
        allowed = await self._allowed_venues(who.user_id)
        if allowed is None:
            return Outcome(alert=t(language, "checkin.staff_only"), close_keyboard=False)
        if button is None or button.action != "m":
            return Outcome(alert=t(language, "button.invalid"), close_keyboard=False)
        attendee = await self.store.get(button.registration_id)
        if (
            attendee is None
            or attendee.venue_id not in allowed
            or attendee.mode != AttendanceMode.IN_PERSON.value
            or attendee.status not in (Status.CONFIRMED, Status.WAITLISTED)
        ):
            return Outcome(alert=t(language, "button.invalid"), close_keyboard=False)
        now = self.clock.now()
        event = event_today(self.config, attendee.venue_id or "", now)
        if event is None or event.id != attendee.event_id:
            return Outcome(alert=t(language, "checkin.not_today"), close_keyboard=False)
        done = await self.store.check_in(attendee.id, who.user_id, now)
        if done is None:
            return Outcome(alert=t(language, "button.stale"), close_keyboard=False)
        marked = done.attendee
        assert marked.checked_in_at is not None
        params = {
            "name": marked.display_name or "",
            "zone": zone_label(self.config, marked.zone),
            "time": self._local(marked.checked_in_at),
        }
        if not done.new:
            return Outcome(toast=t(language, "checkin.was_present", **params), close_keyboard=False)
        log.info(
            "check-in: event=%s venue=%s zone=%d by=staff",
            attendee.event_id,
            attendee.venue_id,
            attendee.zone,
        )
        out = Outcome(toast=t(language, "checkin.marked_toast"), close_keyboard=False)
        return out.add(Message(t(language, "checkin.marked", **params)))
