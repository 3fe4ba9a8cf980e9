"""Event configuration: the process, zones, venues, strategies and events of one YAML file.

The file is parsed in two passes: pydantic checks the shape of each field, then
:func:`semantic_errors` checks what ties fields together (a zone's venue exists, agenda
items do not overlap, ...). Both passes report every problem as one line naming the field,
e.g. ``events[1].agenda[3].end: 09:30 is not after start 09:40``.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

LANGUAGES = ("it", "en")
Language = Literal["it", "en"]
DEFAULT_LANGUAGE: Language = "it"


def _localised(value: object) -> object:
    """A plain string stands for the same text in every language."""
    if isinstance(value, str):
        return {"it": value}
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LocalText(_Model):
    """A text in Italian and, optionally, English (Italian is used where English is missing)."""

    it: str = Field(min_length=1)
    en: str | None = None

    def get(self, language: str) -> str:
        """The text in ``language``, falling back to Italian."""
        if language == "en" and self.en:
            return self.en
        return self.it


Text = Annotated[LocalText, BeforeValidator(_localised)]


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


_SLUG = r"^[a-z0-9][a-z0-9_-]{0,31}$"


class Venue(_Model):
    """A sede: where tables (or a whole event) take place."""

    id: str = Field(pattern=_SLUG)
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


class Zone(_Model):
    """A Zona omogenea and the venue of its table."""

    number: int = Field(ge=1, le=99)
    name: str = Field(min_length=1, max_length=60)
    venue: str


class Strategy(_Model):
    """One strategy of an axis."""

    id: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,15}$")
    title: Text


class Axis(_Model):
    """An asse strategico; when it lists no strategies, the axis itself is what is voted on."""

    id: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,15}$")
    title: Text
    strategies: list[Strategy] = Field(default_factory=list)


def _clock_time(value: object) -> object:
    """A local clock time written 9:15, \"09:15\" or 9.15 (YAML may read 9:15 as 555)."""
    # YAML reads 9:15 as a sexagesimal integer (555): accept it as minutes past midnight.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # pydantic would read any other number (24:00 or 9.15 unquoted) as seconds, in UTC
        raise ValueError(f'{value!r} is not a time of day: write it as "9:15" (0:00-23:59)')
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}[.:]\d{2}", value.strip()):
        hours, minutes = re.split(r"[.:]", value.strip())
        return dt.time(int(hours), int(minutes))
    return value


LINK_MAX = 512


def check_link(value: str) -> str:
    """An online meeting link: https, a host, no spaces, at most 512 characters."""
    value = value.strip()
    if len(value) > LINK_MAX:
        raise ValueError(f"the link is longer than {LINK_MAX} characters")
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/\S*)?", value):
        raise ValueError("the link must be a https:// address with a host name and no spaces")
    return value


class AgendaItem(_Model):
    """One line of an event's programme, in the event's local time."""

    id: str | None = Field(default=None, pattern=_SLUG)
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
        return _clock_time(value)

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:  # "09:15Z": the agenda is in process.timezone
            raise ValueError("write the local time without a UTC offset, e.g. 9:15")
        return value


_DURATION = re.compile(r"^\s*([+-])?\s*((?:\d+\s*[dhms]\s*)+)$")
_DURATION_PART = re.compile(r"(\d+)\s*([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: object) -> dt.timedelta:
    """``"-15m"``, ``"1d"``, ``"+2h30m"``, or a number of minutes -> timedelta."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.timedelta(minutes=value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            seconds = sum(
                int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(match.group(2))
            )
            return dt.timedelta(seconds=-seconds if match.group(1) == "-" else seconds)
    raise ValueError(f"{value!r} is not a duration: write e.g. -15m, 1d, 2h30m")


Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration)]

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


class ReminderWhen(_Model):
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
        return _clock_time(value)

    @field_validator("relative_to")
    @classmethod
    def _known_anchor(cls, value: str) -> str:
        if value in ANCHORS or value.startswith("item:"):
            return value
        if value.startswith("each:") and value.removeprefix("each:") in SELECTORS:
            return value
        raise ValueError(
            f"unknown anchor {value!r}: use event_start, event_end, item:<agenda id> or "
            f"each:<{'|'.join(SELECTORS)}>"
        )


class Audience(StrEnum):
    """Who a reminder goes to."""

    EVERYONE = "everyone"
    IN_PERSON = "in_person"
    ONLINE = "online"


PLACEHOLDERS = ("name", "event", "date", "venue", "address", "time", "session", "arrival", "link")


class Reminder(_Model):
    """A reminder rule: when, for whom, what it says, and until when it is still worth sending.

    Placeholders in ``text``: {name} {event} {date} {venue} {address} {time} {session}
    {arrival} {link}. ``link: true`` marks a message carrying the online link of the session
    it is anchored to (only for ``audience: online``); it waits for the link to be set, up
    to ``valid_for``. ``valid_for`` is a duration after the due time, or ``until_start`` /
    ``until_end`` of the session it is about (``about``, else the anchor item, else the
    event); past it the reminder is skipped, and the skip recorded.
    """

    id: str = Field(pattern=_SLUG)
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
        parse_duration(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value}m"  # a number of minutes: kept in a form parse_duration reads back
        return str(value)

    def valid_duration(self) -> dt.timedelta | None:
        """``valid_for`` as a duration, or None when it is relative to the anchor."""
        if self.valid_for in ("until_start", "until_end"):
            return None
        return parse_duration(self.valid_for)


class Event(_Model):
    """One event of the process (a day with an agenda)."""

    id: str = Field(pattern=_SLUG)
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


class Process(_Model):
    """The participatory process the events belong to."""

    name: Text
    short_name: str = Field(min_length=1, max_length=60)
    organiser: Text
    timezone: str = "Europe/Rome"
    privacy_notice: Text
    welcome: Text | None = None
    contact: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use e.g. Europe/Rome)") from exc
        return value


class EventConfig(_Model):
    """The whole event file."""

    process: Process
    venues: list[Venue] = Field(min_length=1)
    zones: list[Zone] = Field(min_length=1)
    axes: list[Axis] = Field(default_factory=list)
    events: list[Event] = Field(min_length=1)
    _slots: dict[int, list[ReminderSlot]] = PrivateAttr(default_factory=dict)

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
            cached = self._slots[id(event)] = self._compute_slots(event)
        return list(cached)

    def _compute_slots(self, event: Event) -> list[ReminderSlot]:
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


# --- loading and errors -------------------------------------------------------------------


class EventConfigError(Exception):
    """The event file is invalid; ``errors`` has one line per problem, naming the field."""

    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(f"{source}: {len(errors)} error(s)")
        self.source = source
        self.errors = errors

    def lines(self) -> list[str]:
        """``<file>: <field>: <problem>`` lines, ready to print."""
        return [f"{self.source}: {error}" for error in self.errors]


def bundled_event_file() -> Path:
    """Path of the default event file shipped with the package."""
    return Path(str(resources.files("config").joinpath("default_event.yaml")))


def load_event_config(path: Path | None = None) -> EventConfig:
    """Read and validate an event file (the bundled one when ``path`` is None)."""
    path = path or bundled_event_file()
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EventConfigError(source, [f"cannot read the file: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise EventConfigError(source, ["the file is not UTF-8 text"]) from exc
    return parse_event_config(text, source)


def parse_event_config(text: str, source: str = "<event file>") -> EventConfig:
    """Validate YAML text; raises :class:`EventConfigError` listing every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise EventConfigError(source, [f"{where}not valid YAML ({problem})"]) from exc
    if not isinstance(data, dict):
        raise EventConfigError(source, ["the file must be a YAML mapping (process, venues, ...)"])
    try:
        config = EventConfig.model_validate(data)
    except ValidationError as exc:
        raise EventConfigError(source, _format_validation(exc, data)) from exc
    errors = semantic_errors(config)
    if errors:
        raise EventConfigError(source, errors)
    return config


def _format_validation(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    lines = []
    for error in exc.errors():
        loc = [
            part
            for part in error["loc"]
            if part not in ("function-before[_localised(), LocalText]",)
        ]
        path = _path(loc)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        elif error["type"] == "missing":
            message = "required field is missing"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        lines.append(f"{path}: {message}" if path else message)
    return lines


def _path(loc: list[Any]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and not part.startswith("function-"):
            text += f".{part}" if text else part
    return text


def semantic_errors(config: EventConfig) -> list[str]:
    """Cross-field checks pydantic cannot do field by field; one line per problem."""
    return list(_semantic_errors(config))


def _duplicates(values: list[Any]) -> set[Any]:
    seen: set[Any] = set()
    return {value for value in values if value in seen or seen.add(value)}  # type: ignore[func-returns-value]


def _semantic_errors(config: EventConfig) -> Iterator[str]:
    venue_ids = [venue.id for venue in config.venues]
    for index, venue in enumerate(config.venues):
        if venue.id in _duplicates(venue_ids) and venue_ids.index(venue.id) != index:
            yield f"venues[{index}].id: duplicate venue id {venue.id!r}"
        if (venue.latitude is None) != (venue.longitude is None):
            yield f"venues[{index}]: give both latitude and longitude, or neither"
    numbers = [zone.number for zone in config.zones]
    names = [zone.name.casefold() for zone in config.zones]
    for index, zone in enumerate(config.zones):
        if numbers.index(zone.number) != index:
            yield f"zones[{index}].number: duplicate zone {zone.number}"
        if names.index(zone.name.casefold()) != index:
            yield f"zones[{index}].name: duplicate zone name {zone.name!r}"
        if zone.venue not in venue_ids:
            known = ", ".join(venue_ids)
            yield f"zones[{index}].venue: unknown venue {zone.venue!r} (known: {known})"
    poll_ids = [axis.id for axis in config.axes] + [
        strategy.id for axis in config.axes for strategy in axis.strategies
    ]
    for index, axis in enumerate(config.axes):
        if poll_ids.index(axis.id) != index:
            yield f"axes[{index}].id: duplicate id {axis.id!r}"
        for s_index, strategy in enumerate(axis.strategies):
            if poll_ids.count(strategy.id) > 1:
                yield f"axes[{index}].strategies[{s_index}].id: duplicate id {strategy.id!r}"
    event_ids = [event.id for event in config.events]
    for e_index, event in enumerate(config.events):
        where = f"events[{e_index}]"
        if event_ids.index(event.id) != e_index:
            yield f"{where}.id: duplicate event id {event.id!r}"
        event_errors = list(_event_errors(event, where, venue_ids))
        item_ids = [event.item_id(i) for i in range(len(event.agenda))]
        event_errors += _reminder_errors(config, event, where, item_ids, venue_ids)
        yield from event_errors
        if not event_errors:  # the times below only make sense on an otherwise valid event
            yield from _slot_errors(config, event, where)


def _event_errors(event: Event, where: str, venue_ids: list[str]) -> Iterator[str]:
    if len(set(event.modes)) != len(event.modes):
        yield f"{where}.modes: a mode is listed twice"
    if event.venue is not None and event.venue not in venue_ids:
        yield f"{where}.venue: unknown venue {event.venue!r} (known: {', '.join(venue_ids)})"
    if AttendanceMode.ONLINE in event.modes and not any(item.hybrid for item in event.agenda):
        yield f"{where}.modes: online attendance needs at least one hybrid agenda item"
    item_ids = [event.item_id(i) for i in range(len(event.agenda))]
    previous_end: dt.time | None = None
    for i_index, item in enumerate(event.agenda):
        item_where = f"{where}.agenda[{i_index}]"
        if item_ids.index(item_ids[i_index]) != i_index:
            yield f"{item_where}.id: duplicate agenda id {item_ids[i_index]!r}"
        if item.end <= item.start:
            yield f"{item_where}.end: {item.end:%H:%M} is not after start {item.start:%H:%M}"
        if previous_end is not None and item.start < previous_end:
            yield (
                f"{item_where}.start: {item.start:%H:%M} overlaps the previous item, "
                f"which ends at {previous_end:%H:%M}"
            )
        previous_end = max(previous_end or item.end, item.end)


def _slot_errors(config: EventConfig, event: Event, where: str) -> Iterator[str]:
    """Rules whose sending window is empty, or that match no agenda item."""
    slots = config.reminder_slots(event)
    for r_index, rule in enumerate(event.reminders):
        mine = [slot for slot in slots if slot.rule is rule]
        if not mine:
            yield f"{where}.reminders[{r_index}].when: {rule.when.relative_to} matches no item"
        for slot in mine:
            if slot.expires_at <= slot.due_at:
                yield (
                    f"{where}.reminders[{r_index}].valid_for: {rule.valid_for} ends before the "
                    f"reminder is due ({slot.due_at.astimezone(config.tz):%d/%m %H:%M}): "
                    "it would never be sent"
                )
                break


def _reminder_errors(
    config: EventConfig, event: Event, where: str, item_ids: list[str], venue_ids: list[str]
) -> Iterator[str]:
    rule_ids = [rule.id for rule in event.reminders]
    for r_index, rule in enumerate(event.reminders):
        rule_where = f"{where}.reminders[{r_index}]"
        if rule_ids.index(rule.id) != r_index:
            yield f"{rule_where}.id: duplicate reminder id {rule.id!r}"
        anchor = rule.when.relative_to
        anchor_item = anchor.removeprefix("item:")
        if rule.when.at is None and anchor.startswith("item:") and anchor_item not in item_ids:
            known = ", ".join(item_ids)
            yield f"{rule_where}.when.relative_to: unknown agenda item {anchor!r} ({known})"
        if rule.about is not None and rule.about not in item_ids:
            yield f"{rule_where}.about: unknown agenda item {rule.about!r}"
        if rule.link and rule.audience is not Audience.ONLINE:
            yield f"{rule_where}.audience: a message with the online link must be for online"
        if rule.audience is Audience.ONLINE and AttendanceMode.ONLINE not in event.modes:
            yield f"{rule_where}.audience: the event has no online attendance"
        for zone in rule.zones:
            if not config.has_zone(zone):
                yield f"{rule_where}.zones: unknown zone {zone}"
        for venue in rule.venues:
            if venue not in venue_ids:
                yield f"{rule_where}.venues: unknown venue {venue!r}"
        for language, text in (("it", rule.text.it), ("en", rule.text.en)):
            if not text:  # no English text: the Italian one, checked once, is used
                continue
            try:
                fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            except ValueError as exc:
                yield f"{rule_where}.text.{language}: {exc} (write {{{{ and }}}} for braces)"
                continue
            unknown = sorted(fields - set(PLACEHOLDERS))
            if unknown:
                yield (
                    f"{rule_where}.text.{language}: unknown placeholder(s) "
                    f"{', '.join('{' + u + '}' for u in unknown)} (known: "
                    f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)})"
                )
            if rule.link and "link" not in fields:
                yield f"{rule_where}.text.{language}: a link message must contain {{link}}"
