"""Checks across fields, which pydantic cannot do field by field: a zone's venue exists, ids
are not repeated, agenda items do not overlap, reminder rules refer to items that exist and
can be sent. They run on the valid parts of an invalid file too, so that one problem does
not hide another."""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from config.event.models import (
    PLACEHOLDERS,
    AgendaItem,
    AgendaKind,
    AttendanceMode,
    Audience,
    Axis,
    Event,
    EventConfig,
    Process,
    Reminder,
    Venue,
    Zone,
)
from config.event.paths import labels, raw_labels
from config.event.values import LocalText
from config.messages import Issue, issue, listing


@dataclass
class EventParts:
    """An event for the checks across fields: its valid parts, named as in the file."""

    label: str
    event: Event
    agenda_labels: list[str]  # one per item of event.agenda
    item_ids: list[str]  # every agenda id of the file's event, for references
    reminder_labels: list[str]  # one per rule of event.reminders
    sound: bool  # the whole event is valid: its reminder times can be computed


@dataclass
class Parts:
    """What the checks across fields look at: the valid parts of a (maybe invalid) file."""

    config: EventConfig
    venues: list[tuple[str, Venue]]
    venue_ids: list[str]  # every venue id of the file, for references
    zones: list[tuple[str, Zone]]
    zone_numbers: list[int]
    axes: list[tuple[str, Axis]]
    events: list[EventParts] = field(default_factory=list)


def _item_ids(agenda: list[Any]) -> list[str]:
    """Agenda ids as reminders refer to them: the item's own, or ``item<n>``."""
    ids = []
    for index, item in enumerate(agenda):
        own = item.id if isinstance(item, AgendaItem) else None
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            own = item["id"].strip()
        ids.append(own or f"item{index + 1}")
    return ids


def _event_parts(label: str, event: Event, sound: bool) -> EventParts:
    return EventParts(
        label,
        event,
        labels([item.id for item in event.agenda]),
        _item_ids(event.agenda),
        labels([rule.id for rule in event.reminders]),
        sound,
    )


def parts_of(config: EventConfig) -> Parts:
    """A valid file, as the checks across fields see it."""
    events = [
        _event_parts(label, event, True)
        for label, event in zip(labels([e.id for e in config.events]), config.events, strict=True)
    ]
    return Parts(
        config,
        list(zip(labels([v.id for v in config.venues]), config.venues, strict=True)),
        [venue.id for venue in config.venues],
        list(zip(labels([z.number for z in config.zones]), config.zones, strict=True)),
        [zone.number for zone in config.zones],
        list(zip(labels([a.id for a in config.axes]), config.axes, strict=True)),
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
    labels = raw_labels(raw, key)
    found = []
    for label, item in zip(labels, raw, strict=True):
        valid = _valid(model, item)
        if valid is not None:
            found.append((label, valid))
    return found


def _raw_list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def partial_parts(data: dict[str, Any]) -> Parts:
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
    parts = Parts(
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
    for label, raw in zip(raw_labels(raw_events, "id"), raw_events, strict=True):
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
            EventParts(
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
    return [item.text("en") for item in semantic_issues(parts_of(config))]


def _clock(value: dt.time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def semantic_issues(parts: Parts) -> list[Issue]:
    """Every problem the checks across fields find in these parts, in file order."""
    return list(_semantic(parts))


def _semantic(parts: Parts) -> Iterator[Issue]:
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
        strategy_labels = labels([strategy.id for strategy in axis.strategies])
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
    yield from _retention_issues(parts)


def _retention_issues(parts: Parts) -> Iterator[Issue]:
    """``process.retention_until`` must come after the last event (prod-ops)."""
    until = getattr(parts.config.process, "retention_until", None)
    dates = [event_parts.event.date for event_parts in parts.events]
    if until is not None and dates and until <= max(dates):
        yield issue(
            "process.retention_until",
            "retention_before_event",
            value=until.isoformat(),
            last=max(dates).isoformat(),
        )


def _event_issues(parts: Parts, event_parts: EventParts, where: str) -> Iterator[Issue]:
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
    yield from _worksheet_issues(event_parts, where)
    yield from _question_issues(parts, event_parts, where)


def _worksheet_issues(event_parts: EventParts, where: str) -> Iterator[Issue]:
    """The contribution sessions are table sessions of the agenda; section ids are unique."""
    event = event_parts.event
    sheets = event.worksheets
    if sheets is None:
        return
    kinds = {event.item_id(i): item.kind for i, item in enumerate(event.agenda)}
    for index, session in enumerate(sheets.sessions):
        if session not in kinds:
            known = listing(dict.fromkeys(event_parts.item_ids))
            yield issue(
                f"{where}.worksheets.sessions[{index}]", "unknown_item", value=session, known=known
            )
        elif kinds[session] is not AgendaKind.TABLE_SESSION:
            yield issue(f"{where}.worksheets.sessions[{index}]", "not_table_session", value=session)
    seen: set[str] = set()
    for section in sheets.sections:
        if section.id in seen:
            yield issue(
                f"{where}.worksheets.sections[{section.id}]",
                "duplicate_id",
                value=section.id,
                first=f"sections[{section.id}]",
            )
        seen.add(section.id)


def _question_issues(parts: Parts, event_parts: EventParts, where: str) -> Iterator[Issue]:
    """Question windows: known, unique ids; their item and axis exist; inside the item."""
    event = event_parts.event
    windows = event.questions.windows
    if windows is None:
        return
    items = {event.item_id(i): item for i, item in enumerate(event.agenda)}
    axes = {axis.id: axis for _, axis in parts.axes}
    seen: set[str] = set()
    for window in windows:
        at = f"{where}.questions.windows[{window.id}]"
        if window.id in seen:
            yield issue(at, "duplicate_id", value=window.id, first=f"windows[{window.id}]")
        seen.add(window.id)
        item = items.get(window.item)
        if item is None:
            yield issue(f"{at}.item", "unknown_item", value=window.item, known=listing(items))
            continue
        if window.axis is not None and window.axis not in axes:
            yield issue(f"{at}.axis", "unknown_axis", value=window.axis, known=listing(axes))
        start, end = window.start or item.start, window.end or item.end
        if item.start < item.end and not item.start <= start < end <= item.end:
            yield issue(at, "window_outside_item", value=window.id, item=window.item)


def _reminder_issues(
    parts: Parts, event_parts: EventParts, where: str
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
    config: EventConfig, event_parts: EventParts, where: str, rules: list[Reminder]
) -> Iterator[Issue]:
    """Rules whose sending window is empty, or that match no agenda item."""
    event = event_parts.event.model_copy(update={"reminders": rules})
    slots = config.compute_slots(event)
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
