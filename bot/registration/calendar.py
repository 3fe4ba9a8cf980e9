"""An .ics calendar file for a participant's event (icalendar, RFC 5545)."""

from __future__ import annotations

import datetime as dt

from bot.kernel.format import time_text
from config.event import AttendanceMode, Event, EventConfig, Venue


def event_ics(
    config: EventConfig,
    event: Event,
    mode: AttendanceMode,
    venue: Venue | None,
    language: str,
    uid: str,
    now: dt.datetime,
    online_label: str,
) -> bytes:
    """One VEVENT spanning the participant's agenda, with the programme as description."""
    items = config.agenda_for(event, mode)
    first = event.agenda.index(items[0])
    last = event.agenda.index(items[-1])
    import icalendar  # only when a calendar file is made (not at start-up)

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//psm-bot//PSM co-planning//IT")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    vevent = icalendar.Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", now.astimezone(dt.UTC))
    vevent.add("dtstart", config.starts_at(event, first))
    vevent.add("dtend", config.ends_at(event, last))
    vevent.add("summary", event.title.get(language))
    lines = [f"{time_text(i.start)}-{time_text(i.end)} {i.title.get(language)}" for i in items]
    vevent.add("description", "\n".join(lines))
    if venue is not None:
        vevent.add("location", f"{venue.name}, {venue.address}")
        if venue.latitude is not None and venue.longitude is not None:
            vevent.add("geo", (venue.latitude, venue.longitude))
    else:
        vevent.add("location", online_label)
    vevent.add("organizer", "MAILTO:noreply@invalid", parameters={"CN": config.process.short_name})
    calendar.add_component(vevent)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
