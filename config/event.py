"""Event configuration: the process, zones, venues, strategies and events of one YAML file.

The file is parsed in two passes: pydantic checks the shape of each field, then
:func:`semantic_errors` checks what ties fields together (a zone's venue exists, agenda
items do not overlap, ...). Every problem of both passes is reported at once (the checks
across fields also run on the parts whose shape is right), as an :class:`Issue` naming the
field with items by id, e.g. ``events[copianificazione-2023].agenda[sessione-1].end``, in
the organiser's language (``config/messages.py``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import string
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args
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
from pydantic_core import ErrorDetails

from config.messages import (
    DATE_FORM,
    DATETIME_FORM,
    Issue,
    Localised,
    Msg,
    issue,
    listing,
    message,
)

LANGUAGES = ("it", "en")
Language = Literal["it", "en"]
DEFAULT_LANGUAGE: Language = "it"


class Problem(ValueError):
    """A value the event file cannot have, as a message code for the organiser's language.

    ``str()`` is the English text (what pydantic and other callers see); :attr:`what` is
    rendered in Italian or English by ``check-config``.
    """

    def __init__(self, code: str, /, **params: object) -> None:
        self.what = Msg(code, params)
        super().__init__(message("en", code, **params))


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
_ITEM_ID = r"^[0-9A-Za-z][0-9A-Za-z._-]{0,15}$"  # axes and strategies: "1", "1.2"


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

    id: str = Field(pattern=_ITEM_ID)
    title: Text


class Axis(_Model):
    """An asse strategico; when it lists no strategies, the axis itself is what is voted on."""

    id: str = Field(pattern=_ITEM_ID)
    title: Text
    strategies: list[Strategy] = Field(default_factory=list)


def _clock_time(value: object) -> object:
    """A local clock time written 9:15, \"09:15\" or 9.15 (YAML may read 9:15 as 555)."""
    # YAML reads 9:15 as a sexagesimal integer (555): accept it as minutes past midnight.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)
    if isinstance(value, int) and not isinstance(value, bool):
        # pydantic would read any other number as seconds, in UTC; YAML read 24:00 as 1440
        raise Problem("bad_time", value=f"{value // 60}:{value % 60:02d}" if value > 0 else value)
    if isinstance(value, float):  # 9.15 unquoted
        raise Problem("bad_time", value=value)
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}[.:]\d{2}", value.strip()):
        hours, minutes = (int(part) for part in re.split(r"[.:]", value.strip()))
        if hours > 23 or minutes > 59:
            raise Problem("bad_time", value=value.strip())
        return dt.time(hours, minutes)
    return value


LINK_MAX = 512


def check_link(value: str) -> str:
    """An online meeting link: https, a host, no spaces, at most 512 characters."""
    value = value.strip()
    if len(value) > LINK_MAX:
        raise Problem("link_too_long", limit=LINK_MAX)
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/\S*)?", value):
        raise Problem("link_form")
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
            raise Problem("time_with_offset")
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
    raise Problem("bad_duration", value=value)


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
        raise Problem("unknown_anchor", value=value, selectors="|".join(SELECTORS))


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
            raise Problem("unknown_timezone", value=value) from exc
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
    """The event file is invalid; :attr:`issues` has one entry per problem, naming the field."""

    def __init__(self, source: str, issues: list[Issue]) -> None:
        super().__init__(f"{source}: {len(issues)} error(s)")
        self.source = source
        self.issues = issues

    @property
    def errors(self) -> list[str]:
        """``<field>: <problem>`` lines in English (for tests and logs)."""
        return self.messages("en")

    def messages(self, language: str) -> list[str]:
        """``<field>: <problem>`` lines in ``language``."""
        return [item.text(language) for item in self.issues]

    def lines(self, language: str = "it") -> list[str]:
        """``<file>: <field>: <problem>`` lines, ready to print."""
        return [f"{self.source}: {text}" for text in self.messages(language)]


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
        reason = exc.strerror or str(exc)
        raise EventConfigError(source, [issue("", "cannot_read", reason=reason)]) from exc
    except UnicodeDecodeError as exc:
        raise EventConfigError(source, [issue("", "not_utf8")]) from exc
    return parse_event_config(text, source)


def parse_event_config(text: str, source: str = "<event file>") -> EventConfig:
    """Validate YAML text; raises :class:`EventConfigError` listing every problem."""
    data, issues = _read_yaml(text)
    if data is None:
        raise EventConfigError(source, issues)
    if not isinstance(data, dict):
        raise EventConfigError(source, [issue("", "not_a_mapping")])
    try:
        config = EventConfig.model_validate(data)
    except ValidationError as exc:
        issues += [_shape_issue(error, data) for error in exc.errors()]
        issues += _semantic_issues(_partial_parts(data))
        raise EventConfigError(source, issues) from exc
    issues += _semantic_issues(_parts(config))
    if issues:
        raise EventConfigError(source, issues)
    return config


# --- YAML ----------------------------------------------------------------------------------

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe YAML, but dates stay text (pydantic checks them and names the field: YAML's own
    date reader stops the whole file at ``2023-02-30``), and a key written twice in the same
    section is noted (YAML would silently keep the last one)."""

    duplicates: list[tuple[int, str]]


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str | int) and key in seen:
            loader.duplicates.append((key_node.start_mark.line + 1, str(key)))
        seen.add(key)
    mapping: dict[Any, Any] = loader.construct_mapping(node)
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def _read_yaml(text: str) -> tuple[object | None, list[Issue]]:
    """The YAML data (None when it cannot be read) and the problems found reading it."""
    loader = _Loader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            Msg("yaml_where", {"line": mark.line + 1, "column": mark.column + 1}) if mark else ""
        )
        problem = getattr(exc, "problem", None) or str(exc)
        lines = text.splitlines()
        line = lines[mark.line] if mark and mark.line < len(lines) else ""
        tab = "\t" in line[: (mark.column + 1) if mark else 0] or "\\t" in problem
        hint: object = Msg("yaml_tab_hint") if tab else ""
        return None, [issue("", "yaml_invalid", where=where, problem=problem, hint=hint)]
    finally:
        loader.dispose()
    issues = [
        issue("", "yaml_duplicate_key", line=line, key=key) for line, key in loader.duplicates
    ]
    return data, issues


# --- shape errors (pydantic) ---------------------------------------------------------------

# In a list under these keys, an item is named by this field (zones by number), else by
# its position from 1: ``venues[pinerolo]``, ``zones[5]``, ``agenda[#3]``.
_ITEM_KEYS = {
    "venues": "id",
    "zones": "number",
    "axes": "id",
    "strategies": "id",
    "events": "id",
    "agenda": "id",
    "reminders": "id",
}


def _labels(values: list[object]) -> list[str]:
    """How items are named in a path: their id when it is there and unique, else ``#n``."""
    names = [
        str(value).strip()
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip()
        else None
        for value in values
    ]
    return [
        name if name is not None and names.count(name) == 1 else f"#{index + 1}"
        for index, name in enumerate(names)
    ]


def item_names(values: list[object]) -> list[str]:
    """How ``check-config`` names the items of a list, from their ids (``#n`` when missing
    or repeated)."""
    return _labels(values)


def _raw_labels(items: list[Any], key: str | None) -> list[str]:
    if key is None or not all(isinstance(item, dict) for item in items):
        return [f"#{index + 1}" for index in range(len(items))]
    return _labels([item.get(key) for item in items])


def _inner_model(annotation: object) -> type[BaseModel] | None:
    """The model a field holds (through list, Optional and Annotated), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _inner_model(argument)
        if found is not None:
            return found
    return None


def _shape_issue(error: ErrorDetails, data: dict[str, Any]) -> Issue:
    """A pydantic error as an issue: the path named by ids, the message by error type."""
    node: Any = data
    model: type[BaseModel] | None = EventConfig
    parent: type[BaseModel] | None = None
    key: str | None = None
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            if isinstance(node, list) and 0 <= part < len(node):
                path += f"[{_raw_labels(node, _ITEM_KEYS.get(key or ''))[part]}]"
                node = node[part]
            else:
                path += f"[#{part + 1}]"
                node = None
            continue
        if model is not None and part in model.model_fields:
            parent, key = model, part
            model = _inner_model(model.model_fields[part].annotation)
        elif isinstance(node, dict) and part in node:  # a field the model does not have
            parent, key, model = model, part, None
        else:
            continue  # pydantic's own step (a validator function, a union member)
        path += f".{part}" if path else part
        node = node.get(part) if isinstance(node, dict) else None
    return Issue(path, _shape_message(error, model, parent, key))


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _shape_message(
    error: ErrorDetails,
    model: type[BaseModel] | None,
    parent: type[BaseModel] | None,
    key: str | None,
) -> Msg:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = _shown(error.get("input"))
    if kind == "value_error" and isinstance(ctx.get("error"), Problem):
        problem: Problem = ctx["error"]
        return problem.what
    if kind == "missing":
        return Msg("missing")
    if kind == "extra_forbidden":
        allowed = list(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(key or "", allowed, n=1, cutoff=0.6)
        suggestion: object = Msg("did_you_mean", {"name": close[0]}) if close else ""
        return Msg(
            "unknown_field", {"name": key, "suggestion": suggestion, "allowed": listing(allowed)}
        )
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return Msg("not_local_text" if model is LocalText else "not_section")
    if kind.startswith("date_"):
        return Msg("bad_date", {"value": value, "form": Localised(DATE_FORM)})
    if kind.startswith("datetime_"):
        return Msg("bad_datetime", {"value": value, "form": Localised(DATETIME_FORM)})
    if kind.startswith("time_"):
        return Msg("bad_time", {"value": value})
    if kind in ("enum", "literal_error"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return Msg("bad_choice", {"value": value, "choices": listing(choices)})
    if kind == "string_pattern_mismatch":
        patterns = {_SLUG: "bad_slug", _ITEM_ID: "bad_item_id"}
        code = patterns.get(str(ctx.get("pattern")), "bad_pattern")
        return Msg(code, {"value": value})
    limits = {
        "greater_than": ("greater_than", "gt"),
        "greater_than_equal": ("greater_equal", "ge"),
        "less_than": ("less_than", "lt"),
        "less_than_equal": ("less_equal", "le"),
    }
    if kind in limits:
        code, name = limits[kind]
        return Msg(code, {"value": value, "limit": ctx.get(name)})
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return Msg("empty_text")
        return Msg("text_too_short", {"limit": ctx.get("min_length")})
    if kind == "string_too_long":
        length = len(error["input"]) if isinstance(error.get("input"), str) else "?"
        return Msg("text_too_long", {"length": length, "limit": ctx.get("max_length")})
    if kind == "too_short":
        return Msg("list_too_short", {"limit": ctx.get("min_length")})
    if kind == "too_long":
        return Msg("list_too_long", {"limit": ctx.get("max_length")})
    simple = {
        "int_parsing": "not_integer",
        "int_type": "not_integer",
        "int_from_float": "not_integer",
        "float_parsing": "not_number",
        "float_type": "not_number",
        "bool_parsing": "not_bool",
        "bool_type": "not_bool",
        "string_type": "not_text",
        "list_type": "not_list",
    }
    if kind in simple:
        return Msg(simple[kind], {"value": value})
    detail = str(error["msg"]).removeprefix("Value error, ")
    return Msg("invalid", {"detail": detail})


# --- checks across fields ------------------------------------------------------------------


@dataclass
class _EventParts:
    """An event for the checks across fields: its valid parts, named as in the file."""

    label: str
    event: Event
    agenda_labels: list[str]  # one per item of event.agenda
    item_ids: list[str]  # every agenda id of the file's event, for references
    reminder_labels: list[str]  # one per rule of event.reminders
    sound: bool  # the whole event is valid: its reminder times can be computed


@dataclass
class _Parts:
    """What the checks across fields look at: the valid parts of a (maybe invalid) file."""

    config: EventConfig
    venues: list[tuple[str, Venue]]
    venue_ids: list[str]  # every venue id of the file, for references
    zones: list[tuple[str, Zone]]
    zone_numbers: list[int]
    axes: list[tuple[str, Axis]]
    events: list[_EventParts] = field(default_factory=list)


def _item_ids(agenda: list[Any]) -> list[str]:
    """Agenda ids as reminders refer to them: the item's own, or ``item<n>``."""
    ids = []
    for index, item in enumerate(agenda):
        own = item.id if isinstance(item, AgendaItem) else None
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            own = item["id"].strip()
        ids.append(own or f"item{index + 1}")
    return ids


def _event_parts(label: str, event: Event, sound: bool) -> _EventParts:
    return _EventParts(
        label,
        event,
        _labels([item.id for item in event.agenda]),
        _item_ids(event.agenda),
        _labels([rule.id for rule in event.reminders]),
        sound,
    )


def _parts(config: EventConfig) -> _Parts:
    """A valid file, as the checks across fields see it."""
    events = [
        _event_parts(label, event, True)
        for label, event in zip(_labels([e.id for e in config.events]), config.events, strict=True)
    ]
    return _Parts(
        config,
        list(zip(_labels([v.id for v in config.venues]), config.venues, strict=True)),
        [venue.id for venue in config.venues],
        list(zip(_labels([z.number for z in config.zones]), config.zones, strict=True)),
        [zone.number for zone in config.zones],
        list(zip(_labels([a.id for a in config.axes]), config.axes, strict=True)),
        events,
    )


_M = TypeVar("_M", bound=BaseModel)


def _valid(model: type[_M], raw: object) -> _M | None:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _valid_items(model: type[_M], raw: object, key: str) -> list[tuple[str, _M]]:
    """The items of a raw list that are valid on their own, with their names."""
    if not isinstance(raw, list):
        return []
    labels = _raw_labels(raw, key)
    found = []
    for label, item in zip(labels, raw, strict=True):
        valid = _valid(model, item)
        if valid is not None:
            found.append((label, valid))
    return found


def _raw_list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _partial_parts(data: dict[str, Any]) -> _Parts:
    """An invalid file's valid parts, so that one problem does not hide the others."""
    process = _valid(Process, data.get("process"))
    if process is None:  # only the time zone is used below, for sound events
        raw = data.get("process")
        timezone = raw.get("timezone") if isinstance(raw, dict) else None
        process = Process.model_construct(
            name=_UNKNOWN_TEXT,
            short_name="?",
            organiser=_UNKNOWN_TEXT,
            privacy_notice=_UNKNOWN_TEXT,
            timezone=timezone
            if isinstance(timezone, str) and _valid_zone(timezone)
            else "Europe/Rome",
        )
    venues = _valid_items(Venue, data.get("venues"), "id")
    zones = _valid_items(Zone, data.get("zones"), "number")
    axes = _valid_items(Axis, data.get("axes"), "id")
    raw_venues = _raw_list(data, "venues")
    raw_zones = _raw_list(data, "zones")
    config = EventConfig.model_construct(
        process=process,
        venues=[venue for _, venue in venues],
        zones=[zone for _, zone in zones],
        axes=[axis for _, axis in axes],
        events=[],
    )
    parts = _Parts(
        config,
        venues,
        [str(v.get("id")).strip() for v in raw_venues if isinstance(v, dict) and "id" in v],
        zones,
        [
            z["number"]
            for z in raw_zones
            if isinstance(z, dict) and isinstance(z.get("number"), int)
        ],
        axes,
    )
    raw_events = _raw_list(data, "events")
    for label, raw in zip(_raw_labels(raw_events, "id"), raw_events, strict=True):
        if not isinstance(raw, dict):
            continue
        event = _valid(Event, raw)
        if event is not None:
            parts.events.append(_event_parts(label, event, True))
            continue
        agenda = _valid_items(AgendaItem, raw.get("agenda"), "id")
        reminders = _valid_items(Reminder, raw.get("reminders"), "id")
        modes = _raw_list(raw, "modes")
        venue = raw.get("venue")
        raw_id = raw.get("id")
        partial = Event.model_construct(  # not sound: its title and date are never read
            id=raw_id.strip() if isinstance(raw_id, str) else "",
            title=_UNKNOWN_TEXT,
            date=dt.date.min,
            modes=[AttendanceMode(m) for m in modes if isinstance(m, str) and m in _MODES],
            venue=venue if isinstance(venue, str) else None,
            agenda=[item for _, item in agenda],
            reminders=[rule for _, rule in reminders],
        )
        parts.events.append(
            _EventParts(
                label,
                partial,
                [name for name, _ in agenda],
                _item_ids(_raw_list(raw, "agenda")),
                [name for name, _ in reminders],
                False,
            )
        )
    return parts


_MODES = {mode.value for mode in AttendanceMode}
_UNKNOWN_TEXT = LocalText(it="?")


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def semantic_errors(config: EventConfig) -> list[str]:
    """Cross-field checks pydantic cannot do field by field; one English line per problem."""
    return [item.text("en") for item in _semantic_issues(_parts(config))]


def _clock(value: dt.time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def _semantic_issues(parts: _Parts) -> list[Issue]:
    return list(_semantic(parts))


def _semantic(parts: _Parts) -> Iterator[Issue]:
    seen_venues: dict[str, str] = {}
    for label, venue in parts.venues:
        where = f"venues[{label}]"
        if venue.id in seen_venues:
            yield issue(f"{where}.id", "duplicate_id", value=venue.id, first=seen_venues[venue.id])
        seen_venues.setdefault(venue.id, where)
        if (venue.latitude is None) != (venue.longitude is None):
            yield issue(where, "coordinates_pair")
    known_venues = listing(dict.fromkeys(parts.venue_ids))
    seen_numbers: set[int] = set()
    seen_names: dict[str, str] = {}
    for label, zone in parts.zones:
        where = f"zones[{label}]"
        if zone.number in seen_numbers:
            yield issue(f"{where}.number", "duplicate_zone", value=zone.number)
        seen_numbers.add(zone.number)
        name = zone.name.casefold()
        if name in seen_names:
            yield issue(
                f"{where}.name", "duplicate_zone_name", value=zone.name, first=seen_names[name]
            )
        seen_names.setdefault(name, str(zone.number))
        if zone.venue not in parts.venue_ids:
            yield issue(f"{where}.venue", "unknown_venue", value=zone.venue, known=known_venues)
    seen_items: dict[str, str] = {}
    for label, axis in parts.axes:
        where = f"axes[{label}]"
        if axis.id in seen_items:
            yield issue(f"{where}.id", "duplicate_id", value=axis.id, first=seen_items[axis.id])
        seen_items.setdefault(axis.id, where)
        strategy_labels = _labels([strategy.id for strategy in axis.strategies])
        for s_label, strategy in zip(strategy_labels, axis.strategies, strict=True):
            s_where = f"{where}.strategies[{s_label}]"
            if strategy.id in seen_items:
                first = seen_items[strategy.id]
                yield issue(f"{s_where}.id", "duplicate_id", value=strategy.id, first=first)
            seen_items.setdefault(strategy.id, s_where)
    seen_events: dict[str, str] = {}
    for event_parts in parts.events:
        event = event_parts.event
        where = f"events[{event_parts.label}]"
        if event.id and event.id in seen_events:
            yield issue(f"{where}.id", "duplicate_id", value=event.id, first=seen_events[event.id])
        seen_events.setdefault(event.id, where)
        agenda_issues = list(_event_issues(parts, event_parts, where))
        yield from agenda_issues
        sound_rules = yield from _reminder_issues(parts, event_parts, where)
        if event_parts.sound and not agenda_issues:  # times make sense: when is each reminder
            yield from _slot_issues(parts.config, event_parts, where, sound_rules)


def _event_issues(parts: _Parts, event_parts: _EventParts, where: str) -> Iterator[Issue]:
    """The event's modes, venue and the order of its agenda."""
    event = event_parts.event
    if len(set(event.modes)) != len(event.modes):
        yield issue(f"{where}.modes", "mode_twice")
    if event.venue is not None and event.venue not in parts.venue_ids:
        known = listing(dict.fromkeys(parts.venue_ids))
        yield issue(f"{where}.venue", "unknown_venue", value=event.venue, known=known)
    if (
        event_parts.sound
        and AttendanceMode.ONLINE in event.modes
        and not any(item.hybrid for item in event.agenda)
    ):
        yield issue(f"{where}.modes", "online_needs_hybrid")
    seen: dict[str, str] = {}
    previous_end: dt.time | None = None
    for label, item in zip(event_parts.agenda_labels, event.agenda, strict=True):
        item_where = f"{where}.agenda[{label}]"
        if item.id is not None:
            if item.id in seen:
                yield issue(f"{item_where}.id", "duplicate_id", value=item.id, first=seen[item.id])
            seen.setdefault(item.id, f"agenda[{label}]")
        if item.end <= item.start:
            yield issue(
                f"{item_where}.end",
                "end_not_after_start",
                end=_clock(item.end),
                start=_clock(item.start),
            )
        if previous_end is not None and item.start < previous_end:
            yield issue(
                f"{item_where}.start",
                "overlaps",
                start=_clock(item.start),
                end=_clock(previous_end),
            )
        previous_end = max(previous_end or item.end, item.end)


def _reminder_issues(
    parts: _Parts, event_parts: _EventParts, where: str
) -> Generator[Issue, None, list[Reminder]]:
    """Each rule's references and texts; returns the rules whose times can be computed."""
    event = event_parts.event
    item_ids = event_parts.item_ids
    sound: list[Reminder] = []
    seen: dict[str, str] = {}
    for label, rule in zip(event_parts.reminder_labels, event.reminders, strict=True):
        rule_where = f"{where}.reminders[{label}]"
        if rule.id in seen:
            yield issue(f"{rule_where}.id", "duplicate_id", value=rule.id, first=seen[rule.id])
        seen.setdefault(rule.id, f"reminders[{label}]")
        anchor = rule.when.relative_to
        references_ok = True
        anchor_item = anchor.removeprefix("item:")
        if rule.when.at is None and anchor.startswith("item:") and anchor_item not in item_ids:
            references_ok = False
            yield issue(
                f"{rule_where}.when.relative_to",
                "unknown_item",
                value=anchor,
                known=listing(item_ids),
            )
        if rule.about is not None and rule.about not in item_ids:
            references_ok = False
            yield issue(
                f"{rule_where}.about", "unknown_item", value=rule.about, known=listing(item_ids)
            )
        if rule.link and rule.audience is not Audience.ONLINE:
            yield issue(f"{rule_where}.audience", "link_needs_online")
        online = AttendanceMode.ONLINE in event.modes
        modes_known = event_parts.sound or bool(event.modes)
        if rule.audience is Audience.ONLINE and not online and modes_known:
            yield issue(f"{rule_where}.audience", "no_online_mode")
        for zone in rule.zones:
            if zone not in parts.zone_numbers:
                yield issue(
                    f"{rule_where}.zones",
                    "unknown_zone",
                    value=zone,
                    known=listing(parts.zone_numbers),
                )
        for venue in rule.venues:
            if venue not in parts.venue_ids:
                known = listing(dict.fromkeys(parts.venue_ids))
                yield issue(f"{rule_where}.venues", "unknown_venue", value=venue, known=known)
        yield from _text_issues(rule, rule_where)
        if references_ok:
            sound.append(rule)
    return sound


def _text_issues(rule: Reminder, rule_where: str) -> Iterator[Issue]:
    for language, text in (("it", rule.text.it), ("en", rule.text.en)):
        if not text:  # no English text: the Italian one, checked once, is used
            continue
        where = f"{rule_where}.text.{language}"
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            yield issue(where, "bad_braces", detail=str(exc))
            continue
        unknown = sorted(fields - set(PLACEHOLDERS))
        if unknown:
            yield issue(
                where,
                "unknown_placeholders",
                unknown=listing("{" + name + "}" for name in unknown),
                known=listing("{" + name + "}" for name in PLACEHOLDERS),
            )
        if rule.link and "link" not in fields:
            yield issue(where, "link_placeholder")


def _slot_issues(
    config: EventConfig, event_parts: _EventParts, where: str, rules: list[Reminder]
) -> Iterator[Issue]:
    """Rules whose sending window is empty, or that match no agenda item."""
    event = event_parts.event.model_copy(update={"reminders": rules})
    slots = config._compute_slots(event)
    reminders = event_parts.event.reminders
    labels = {id(r): label for r, label in zip(reminders, event_parts.reminder_labels, strict=True)}
    for rule in rules:
        rule_where = f"{where}.reminders[{labels[id(rule)]}]"
        mine = [slot for slot in slots if slot.rule is rule]
        if not mine:
            yield issue(f"{rule_where}.when", "matches_no_item", value=rule.when.relative_to)
        for slot in mine:
            if slot.expires_at <= slot.due_at:
                due = f"{slot.due_at.astimezone(config.tz):%d/%m %H:%M}"
                yield issue(f"{rule_where}.valid_for", "never_sent", value=rule.valid_for, due=due)
                break
