"""The rehearsal: the event file's events moved to the coming days, and a clock to jump.

Shifting (:func:`shift_events`): the first event (by date) becomes tomorrow; every later
event keeps its order and its distance from the one before, except that a distance longer
than a week becomes a week (the bundled file: the launch tomorrow, the co-planning day in a
week). Everything dated moves with its event by whole days: the date, ``registration_closes``,
reminders at a fixed ``at``; times of day (agenda, report deadline) stay as they are.

:class:`RehearsalClock` follows the real time from a point that can be set: a jump moves
it, and it goes on ticking from there. Jumping back is allowed: nothing already sent is
unsent, reminders already sent are not sent again (the outbox remembers them), and what
falls due again after the jump is sent when the clock reaches it.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from config.event import EventConfig, bundled_event_file, load_event_config, parse_event_config
from config.event.models import AgendaKind, Event

MAX_GAP = dt.timedelta(days=7)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class RehearsalClock:
    """A clock that follows real time from a settable point (aware, UTC)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._anchor = (start or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        self._since = time.monotonic()

    def now(self) -> dt.datetime:
        """The rehearsal's current instant."""
        return self._anchor + dt.timedelta(seconds=time.monotonic() - self._since)

    def set(self, when: dt.datetime) -> None:
        """Jump to ``when`` (forward or back); the clock goes on from there."""
        if when.tzinfo is None:
            raise ValueError("the rehearsal clock needs an aware datetime")
        self._anchor = when.astimezone(dt.UTC)
        self._since = time.monotonic()


def day_shifts(config: EventConfig, today: dt.date) -> dict[str, dt.timedelta]:
    """How many days each event moves: the first to tomorrow, gaps kept (a week at most)."""
    events = sorted(config.events, key=lambda e: e.date)
    shifts: dict[str, dt.timedelta] = {}
    previous_old: dt.date | None = None
    previous_new = today
    for event in events:
        gap = dt.timedelta(days=1) if previous_old is None else event.date - previous_old
        new_date = previous_new + min(gap, MAX_GAP)
        shifts[event.id] = new_date - event.date
        previous_old, previous_new = event.date, new_date
    return shifts


def _shift_value(value: Any, delta: dt.timedelta) -> Any:
    if isinstance(value, dt.datetime):
        return (value + delta).isoformat()
    if isinstance(value, dt.date):
        return (value + delta).isoformat()
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return (parsed + delta).isoformat()
    return value


def shift_events(path: Path | None, today: dt.date | None = None) -> EventConfig:
    """The event file (the bundled one by default) with its events in the coming days
    (``today``: the date in the event's time zone by default)."""
    config = load_event_config(path)
    today = today or dt.datetime.now(config.tz).date()
    shifts = day_shifts(config, today)
    source = path or bundled_event_file()
    data: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    for event in data.get("events", []):
        delta = shifts.get(str(event.get("id")))
        if delta is None:
            continue
        event["date"] = _shift_value(event["date"], delta)
        if event.get("registration_closes") is not None:
            event["registration_closes"] = _shift_value(event["registration_closes"], delta)
        for reminder in event.get("reminders") or []:
            when = reminder.get("when") or {}
            if when.get("at") is not None:
                when["at"] = _shift_value(when["at"], delta)
    text = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
    return parse_event_config(text, str(source))


@dataclass(frozen=True)
class Moment:
    """A moment of the rehearsed event the clock can jump to."""

    id: str
    label: dict[str, str]
    when: dt.datetime

    def as_json(self, language: str = "it") -> dict[str, str]:
        """``{"id", "label", "when"}`` for the page."""
        return {
            "id": self.id,
            "label": self.label.get(language, self.label["en"]),
            "when": self.when.isoformat(),
        }


def rehearsed_event(config: EventConfig) -> Event:
    """The event the moments are of: the first with table sessions, else the first."""
    events = sorted(config.events, key=lambda e: e.date)
    for event in events:
        if any(item.kind is AgendaKind.TABLE_SESSION for item in event.agenda):
            return event
    return events[0]


def _local(config: EventConfig, day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=config.tz)


def _sessions(event: Event) -> list[int]:
    """The agenda indexes of session 1 (the first table session that is not a worksheets
    session: the priority poll) and session 2 (the first worksheets session)."""
    tables = [i for i, item in enumerate(event.agenda) if item.kind is AgendaKind.TABLE_SESSION]
    worksheets = set(event.worksheets.sessions) if event.worksheets else set()
    first = [i for i in tables if event.agenda[i].id not in worksheets]
    second = [i for i in tables if event.agenda[i].id in worksheets]
    if not worksheets:
        return tables[:2]
    return first[:1] + second[:1]


def question_moments(config: EventConfig, event: Event) -> list[Moment]:
    """Issue 15: the start of the event's first question window (the opening plenary) and
    of its last (the closing plenary): the crowd asks there, the moderators moderate."""
    windows = config.question_windows(event)
    if not windows:
        return []
    first, last = windows[0], windows[-1]
    out = [
        Moment(
            "questions_opening",
            {"it": "Plenaria di apertura: domande", "en": "Opening plenary: questions"},
            first.start,
        )
    ]
    if last.start > first.start:
        out.append(
            Moment(
                "questions_closing",
                {"it": "Plenaria di chiusura: domande", "en": "Closing plenary: questions"},
                last.start,
            )
        )
    return out


def moments(config: EventConfig) -> list[Moment]:
    """The moments that matter, computed from the (shifted) event file, in time order."""
    event = rehearsed_event(config)
    out: list[Moment] = []
    eve = [
        s.due_at
        for s in config.reminder_slots(event)
        if s.due_at.astimezone(config.tz).date() < event.date
    ]
    eve_at = eve[-1] if eve else _local(config, event.date - dt.timedelta(days=1), dt.time(18, 0))
    out.append(
        Moment(
            "eve",
            {"it": "La sera prima (promemoria)", "en": "The evening before (reminder)"},
            eve_at,
        )
    )
    out.append(
        Moment(
            "day",
            {"it": "Il giorno, ore 9:15", "en": "The day, 9:15"},
            _local(config, event.date, dt.time(9, 15)),
        )
    )
    items = list(enumerate(event.agenda))
    plenaries = [i for i, item in items if item.kind is AgendaKind.PLENARY]
    hybrid = [i for i in plenaries if event.agenda[i].hybrid] or plenaries
    if hybrid:
        start = config.starts_at(event, hybrid[0])
        out.append(
            Moment(
                "plenary",
                {"it": "15 minuti prima della plenaria", "en": "15 minutes before the plenary"},
                start - dt.timedelta(minutes=15),
            )
        )
    for number, index in enumerate(_sessions(event), start=1):
        label = {"it": f"Sessione {number} ai tavoli", "en": f"Session {number} at the tables"}
        out.append(Moment(f"session{number}", label, config.starts_at(event, index)))
    out.extend(question_moments(config, event))
    deadline = config.report_deadline(event)
    if deadline is not None:
        out.append(
            Moment(
                "report_deadline",
                {"it": "Scadenza dei resoconti", "en": "The report deadline"},
                deadline,
            )
        )
    end = config.ends_at(event)
    out.append(
        Moment(
            "after",
            {"it": "Dopo l'evento", "en": "After the event"},
            end + dt.timedelta(minutes=30),
        )
    )
    return sorted(out, key=lambda m: m.when)
