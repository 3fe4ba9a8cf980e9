"""The sections of an event file as models: process, venues, zones, axes and strategies,
events with their agenda and reminder rules, and :class:`EventConfig`, the whole file with
its look-ups (an event's times, a zone's venue, every occurrence of a reminder rule)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, field_validator

from config.event.questions import Questions
from config.event.values import (
    SLUG,
    Duration,
    LocalText,
    Model,
    Problem,
    Text,
    check_link,
    clock_time,
    parse_duration,
)
from config.event.worksheets import Worksheets


class AttendanceMode(StrEnum):
    """How a participant attends an event."""

    IN_PERSON = "in_person"
    ONLINE = "online"


class AgendaKind(StrEnum):
    """What an agenda item is; ``transfer`` is the move from the plenary to the tables."""

    ARRIVAL = "arrival"
    PLENARY = "plenary"
    TABLE_SESSION = "table_session"
    TRANSFER = "transfer"
    BREAK = "break"


ITEM_ID = r"^[0-9A-Za-z][0-9A-Za-z._-]{0,15}$"  # axes and strategies: "1", "1.2"


class Venue(Model):
    """A sede: where tables (or a whole event) take place."""

    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=120)
    address: str = Field(min_length=1, max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    capacity: int | None = Field(default=None, gt=0, description="In-person places; none = no cap")
    referent: str | None = None

    @property
    def has_coordinates(self) -> bool:
        """True when both latitude and longitude are known (a map pin can be sent)."""
        return self.latitude is not None and self.longitude is not None


class Zone(Model):
    """A Zona omogenea and the venue of its table."""

    number: int = Field(ge=1, le=99)
    name: str = Field(min_length=1, max_length=60)
    venue: str


class Strategy(Model):
    """One strategy of an axis."""

    id: str = Field(pattern=ITEM_ID)
    title: Text


class Axis(Model):
    """An asse strategico; when it lists no strategies, the axis itself is what is voted on."""

    id: str = Field(pattern=ITEM_ID)
    title: Text
    strategies: list[Strategy] = Field(default_factory=list)


class AgendaItem(Model):
    """One line of an event's programme, in the event's local time."""

    id: str | None = Field(default=None, pattern=SLUG)
    start: dt.time
    end: dt.time
    title: Text
    kind: AgendaKind
    hybrid: bool = False
    detail: Text | None = None
    online_link: str | None = None

    @field_validator("online_link")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        return check_link(value) if value is not None else None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse_time(cls, value: object) -> object:
        return clock_time(value)

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:  # "09:15Z": the agenda is in process.timezone
            raise Problem("time_with_offset")
        return value


# What a reminder can be anchored to; "each:<selector>" repeats it for matching agenda items.
ANCHORS = ("event_start", "event_end")
SELECTORS = (
    "hybrid_block",
    "hybrid",
    "plenary",
    "hybrid_plenary",
    "table_session",
    "break",
    "arrival",
)


class ReminderWhen(Model):
    """When a reminder is due: an absolute local time, or an offset from an anchor.

    ``relative_to`` is ``event_start``, ``event_end``, ``item:<agenda id>`` or
    ``each:<selector>`` (one reminder per matching agenda item; ``hybrid_block`` is each run of
    consecutive hybrid items, so two back-to-back plenaries get one link). ``offset`` moves the
    anchor (``-15m``, ``-1d``); ``time`` then sets the clock time on that day ("the day before
    at 18:00" is ``offset: -1d`` and ``time: "18:00"``).
    """

    at: dt.datetime | None = None
    relative_to: str = "event_start"
    offset: Duration = dt.timedelta(0)
    time: dt.time | None = None

    @field_validator("time", mode="before")
    @classmethod
    def _parse_clock(cls, value: object) -> object:
        return clock_time(value)

    @field_validator("relative_to")
    @classmethod
    def _known_anchor(cls, value: str) -> str:
        if value in ANCHORS or value.startswith("item:"):
            return value
        if value.startswith("each:") and value.removeprefix("each:") in SELECTORS:
            return value
        raise Problem("unknown_anchor", value=value, selectors="|".join(SELECTORS))


class Audience(StrEnum):
    """Who a reminder goes to."""

    EVERYONE = "everyone"
    IN_PERSON = "in_person"
    ONLINE = "online"


PLACEHOLDERS = ("name", "event", "date", "venue", "address", "time", "session", "arrival", "link")


class Reminder(Model):
    """A reminder rule: when, for whom, what it says, and until when it is still worth sending.

    Placeholders in ``text``: {name} {event} {date} {venue} {address} {time} {session}
    {arrival} {link}. ``link: true`` marks a message carrying the online link of the session
    it is anchored to (only for ``audience: online``); it waits for the link to be set, up
    to ``valid_for``. ``valid_for`` is a duration after the due time, or ``until_start`` /
    ``until_end`` of the session it is about (``about``, else the anchor item, else the
    event); past it the reminder is skipped, and the skip recorded.
    """

    id: str = Field(pattern=SLUG)
    when: ReminderWhen
    audience: Audience = Audience.EVERYONE
    zones: list[int] = Field(default_factory=list, description="Only these zones (all if empty)")
    venues: list[str] = Field(default_factory=list, description="Only these venues (all if empty)")
    text: Text
    link: bool = False
    about: str | None = Field(
        default=None,
        description="Agenda item the message is about (its link, {session}, {time}); "
        "by default the item it is anchored to",
    )
    valid_for: str = "until_start"

    @field_validator("valid_for", mode="before")
    @classmethod
    def _valid_for(cls, value: object) -> str:
        if value in ("until_start", "until_end"):
            return str(value)
        try:
            parse_duration(value)
        except Problem as exc:
            raise Problem("bad_valid_for", value=value) from exc
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value}m"  # a number of minutes: kept in a form parse_duration reads back
        return str(value)

    def valid_duration(self) -> dt.timedelta | None:
        """``valid_for`` as a duration, or None when it is relative to the anchor."""
        if self.valid_for in ("until_start", "until_end"):
            return None
        return parse_duration(self.valid_for)


class Event(Model):
    """One event of the process (a day with an agenda)."""

    id: str = Field(pattern=SLUG)
    title: Text
    date: dt.date
    modes: list[AttendanceMode] = Field(min_length=1)
    venue: str | None = Field(
        default=None,
        description="One venue for everyone in person; when omitted each zone's table venue.",
    )
    description: Text | None = None
    registration_open: bool = True
    registration_closes: dt.datetime | None = Field(
        default=None, description="Local date-time; by default the end of the event."
    )
    online_link: str | None = Field(
        default=None, description="Default link of the hybrid sessions (organisers can set it)"
    )
    agenda: list[AgendaItem] = Field(min_length=1)
    reminders: list[Reminder] = Field(default_factory=list)
    worksheets: Worksheets | None = Field(
        default=None, description="Session 2 at the tables (contributions and reports)"
    )
    questions: Questions = Field(
        default_factory=Questions, description="The plenaries' questions (/domanda)"
    )

    @field_validator("online_link")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        return check_link(value) if value is not None else None

    @property
    def tables_by_zone(self) -> bool:
        """True when participants sit at their zone's table at the zone's venue."""
        return self.venue is None

    def item_id(self, index: int) -> str:
        """Stable id of an agenda item: its own, or its position (``item1``...)."""
        return self.agenda[index].id or f"item{index + 1}"


class Process(Model):
    """The participatory process the events belong to."""

    name: Text
    short_name: str = Field(min_length=1, max_length=60)
    organiser: Text
    timezone: str = "Europe/Rome"
    privacy_notice: Text
    welcome: Text | None = None
    contact: str | None = None
    # prod-ops: when the process ends, personal data is erased (psm-bot purge, the daily
    # check of the running bot); a date after the last event (check-config says so)
    retention_until: dt.date | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise Problem("unknown_timezone", value=value) from exc
        return value


class EventConfig(Model):
    """The whole event file."""

    process: Process
    venues: list[Venue] = Field(min_length=1)
    zones: list[Zone] = Field(min_length=1)
    axes: list[Axis] = Field(default_factory=list)
    events: list[Event] = Field(min_length=1)
    _slots: dict[int, list[ReminderSlot]] = PrivateAttr(default_factory=dict)
    _windows: dict[int, list[QuestionSlot]] = PrivateAttr(default_factory=dict)

    # --- look-ups -------------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        """The process time zone."""
        return ZoneInfo(self.process.timezone)

    def venue(self, venue_id: str) -> Venue:
        """The venue with this id (KeyError if unknown)."""
        for venue in self.venues:
            if venue.id == venue_id:
                return venue
        raise KeyError(venue_id)

    def zone(self, number: int) -> Zone:
        """The zone with this number (KeyError if unknown)."""
        for zone in self.zones:
            if zone.number == number:
                return zone
        raise KeyError(number)

    def has_zone(self, number: int) -> bool:
        """True when the zone exists."""
        return any(zone.number == number for zone in self.zones)

    def event(self, event_id: str) -> Event:
        """The event with this id (KeyError if unknown)."""
        for event in self.events:
            if event.id == event_id:
                return event
        raise KeyError(event_id)

    def venue_for(self, event: Event, zone: int) -> Venue:
        """Where a participant of ``zone`` attends ``event`` in person."""
        return self.venue(event.venue or self.zone(zone).venue)

    def starts_at(self, event: Event, index: int = 0) -> dt.datetime:
        """Aware start of agenda item ``index``."""
        return dt.datetime.combine(event.date, event.agenda[index].start, tzinfo=self.tz)

    def ends_at(self, event: Event, index: int = -1) -> dt.datetime:
        """Aware end of agenda item ``index`` (the last by default)."""
        return dt.datetime.combine(event.date, event.agenda[index].end, tzinfo=self.tz)

    def registration_closes_at(self, event: Event) -> dt.datetime:
        """When registration for ``event`` closes (aware)."""
        if event.registration_closes is not None:
            closes = event.registration_closes
            return closes if closes.tzinfo else closes.replace(tzinfo=self.tz)
        return self.ends_at(event)

    def open_events(self, now: dt.datetime) -> list[Event]:
        """Events a participant can register for at ``now``, soonest first."""
        return sorted(
            (
                event
                for event in self.events
                if event.registration_open and now < self.registration_closes_at(event)
            ),
            key=lambda event: self.starts_at(event),
        )

    def agenda_for(self, event: Event, mode: AttendanceMode) -> list[AgendaItem]:
        """The agenda items a participant attending in ``mode`` takes part in."""
        if mode is AttendanceMode.ONLINE:
            return [item for item in event.agenda if item.hybrid]
        return list(event.agenda)

    def reminder_slots(self, event: Event) -> list[ReminderSlot]:
        """Every occurrence of every reminder rule of ``event``, by due time (computed once)."""
        cached = self._slots.get(id(event))  # the event objects live as long as the config
        if cached is None:
            cached = self._slots[id(event)] = self.compute_slots(event)
        return list(cached)

    def compute_slots(self, event: Event) -> list[ReminderSlot]:
        """The occurrences of ``event``'s reminder rules, computed now (not kept: the checks
        compute them for a copy of an event with only its sound rules)."""
        tz = self.tz
        slots = []
        event_start, event_end = self.starts_at(event), self.ends_at(event)
        for rule in event.reminders:
            when = rule.when
            groups: list[tuple[str, dt.datetime, dt.datetime, AgendaItem | None]] = []
            if when.at is not None or when.relative_to == "event_start":
                groups.append(("", event_start, event_end, None))
            elif when.relative_to == "event_end":
                groups.append(("", event_end, event_end, None))
            else:
                if when.relative_to.startswith("item:"):
                    ids = [event.item_id(i) for i in range(len(event.agenda))]
                    indexes = [[ids.index(when.relative_to.removeprefix("item:"))]]
                else:
                    indexes = select_items(event, when.relative_to.removeprefix("each:"))
                for block in indexes:
                    groups.append(
                        (
                            event.item_id(block[0]),
                            self.starts_at(event, block[0]),
                            self.ends_at(event, block[-1]),
                            event.agenda[block[0]],
                        )
                    )
            ids = [event.item_id(i) for i in range(len(event.agenda))]
            for anchor, start, end, item in groups:
                due = start + when.offset
                if when.at is not None:  # an absolute time; the message is about the event
                    due = when.at if when.at.tzinfo else when.at.replace(tzinfo=tz)
                if rule.about is not None:
                    index = ids.index(rule.about)
                    anchor, item = rule.about, event.agenda[index]
                    start, end = self.starts_at(event, index), self.ends_at(event, index)
                if when.time is not None:
                    due = dt.datetime.combine(due.astimezone(tz).date(), when.time, tzinfo=tz)
                duration = rule.valid_duration()
                if duration is not None:
                    expires = due + duration
                else:
                    expires = start if rule.valid_for == "until_start" else end
                slots.append(ReminderSlot(rule, anchor, due, expires, start, end, item))
        return sorted(slots, key=lambda slot: (slot.due_at, slot.rule.id))

    def contribution_window(self, event: Event) -> tuple[dt.datetime, dt.datetime] | None:
        """When contributions are open (start of the first session to end of the last)."""
        if event.worksheets is None:
            return None
        ids = [event.item_id(i) for i in range(len(event.agenda))]
        indexes = [ids.index(s) for s in event.worksheets.sessions if s in ids]
        if not indexes:
            return None
        return self.starts_at(event, min(indexes)), self.ends_at(event, max(indexes))

    def report_deadline(self, event: Event) -> dt.datetime | None:
        """When facilitators' reports are due (aware); None without worksheets."""
        window = self.contribution_window(event)
        if event.worksheets is None or window is None:
            return None
        if event.worksheets.report_deadline is None:
            return window[1]
        return dt.datetime.combine(event.date, event.worksheets.report_deadline, tzinfo=self.tz)

    def question_windows(self, event: Event) -> list[QuestionSlot]:
        """When questions are taken at ``event``, in time order (none when disabled).

        By default one window per hybrid plenary (the item's id, times and title); the event
        file's ``questions.windows`` replace them (each within its agenda item). Resolved
        once per event, like :meth:`reminder_slots` (every support press asks).
        """
        cached = self._windows.get(id(event))  # the event objects live as long as the config
        if cached is None:
            cached = self._windows[id(event)] = self._resolve_windows(event)
        return list(cached)

    def _resolve_windows(self, event: Event) -> list[QuestionSlot]:
        if not event.questions.enabled:
            return []
        ids = [event.item_id(i) for i in range(len(event.agenda))]
        slots: list[QuestionSlot] = []
        if event.questions.windows is None:
            for index, item in enumerate(event.agenda):
                if item.kind is AgendaKind.PLENARY and item.hybrid:
                    start, end = self.starts_at(event, index), self.ends_at(event, index)
                    slots.append(QuestionSlot(ids[index], ids[index], start, end, None, item.title))
            return slots
        axes = {axis.id: axis for axis in self.axes}
        for window in event.questions.windows:
            if window.item not in ids:
                continue  # check-config reports it
            index = ids.index(window.item)
            item = event.agenda[index]
            start = dt.datetime.combine(event.date, window.start or item.start, tzinfo=self.tz)
            end = dt.datetime.combine(event.date, window.end or item.end, tzinfo=self.tz)
            axis = axes.get(window.axis) if window.axis else None
            title = window.title or (axis.title if axis is not None else item.title)
            slots.append(QuestionSlot(window.id, window.item, start, end, axis, title))
        return sorted(slots, key=lambda slot: (slot.start, slot.id))

    def poll_items(self) -> list[tuple[Axis, Strategy | None]]:
        """What a priority poll offers: each strategy, or the axis itself when it has none."""
        items: list[tuple[Axis, Strategy | None]] = []
        for axis in self.axes:
            if axis.strategies:
                items.extend((axis, strategy) for strategy in axis.strategies)
            else:
                items.append((axis, None))
        return items


@dataclass(frozen=True)
class QuestionSlot:
    """A question window of an event, resolved: aware times, the axis, the title."""

    id: str  # the window's id (the agenda item's id by default)
    item_id: str  # the agenda item it belongs to
    start: dt.datetime
    end: dt.datetime
    axis: Axis | None
    title: LocalText

    def open_at(self, now: dt.datetime) -> bool:
        """True while questions are taken (from start, before end)."""
        return self.start <= now < self.end


@dataclass(frozen=True)
class ReminderSlot:
    """One occurrence of a reminder rule: when it is due and until when it is worth sending.

    ``anchor`` is the agenda item id it is about ('' for the event as a whole);
    ``session_start``/``session_end`` are the anchor's times (the event's for event anchors).
    """

    rule: Reminder
    anchor: str
    due_at: dt.datetime
    expires_at: dt.datetime
    session_start: dt.datetime
    session_end: dt.datetime
    session: AgendaItem | None


def select_items(event: Event, selector: str) -> list[list[int]]:
    """Agenda item indexes per occurrence of ``each:<selector>``."""
    items = event.agenda
    if selector == "hybrid_block":
        blocks: list[list[int]] = []
        for index, item in enumerate(items):
            if not item.hybrid:
                continue
            if blocks and blocks[-1][-1] == index - 1 and items[index - 1].end == item.start:
                blocks[-1].append(index)
            else:
                blocks.append([index])
        return blocks
    matches: Callable[[AgendaItem], bool] = {
        "hybrid": lambda i: i.hybrid,
        "plenary": lambda i: i.kind is AgendaKind.PLENARY,
        "hybrid_plenary": lambda i: i.kind is AgendaKind.PLENARY and i.hybrid,
        "table_session": lambda i: i.kind is AgendaKind.TABLE_SESSION,
        "break": lambda i: i.kind is AgendaKind.BREAK,
        "arrival": lambda i: i.kind is AgendaKind.ARRIVAL,
    }[selector]
    return [[index] for index, item in enumerate(items) if matches(item)]
