"""Turning configuration and registrations into localised text (HTML)."""

from __future__ import annotations

import datetime as dt

from bot.kernel.i18n import Catalog, Raw, escape
from config.event import AgendaItem, AttendanceMode, Event, EventConfig, Venue


def ellipsis(text: str, limit: int) -> str:
    """``text`` on one line, cut with "…" beyond ``limit`` characters (for a button, a slide)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def date_text(catalog: Catalog, language: str, day: dt.date) -> str:
    """``martedì 5 dicembre 2023`` / ``Tuesday 5 December 2023``."""
    weekdays = catalog.raw(language, "date.weekdays")
    months = catalog.raw(language, "date.months")
    return f"{weekdays[day.weekday()]} {day.day} {months[day.month - 1]} {day.year}"


def time_text(value: dt.time) -> str:
    """``9:15``."""
    return f"{value.hour}:{value.minute:02d}"


def zone_label(config: EventConfig, zone: int) -> str:
    """``5 · Pinerolese``."""
    return f"{zone} · {config.zone(zone).name}"


def event_label(catalog: Catalog, language: str, config: EventConfig, event: Event) -> str:
    """Title and date of an event, plain text."""
    return f"{event.title.get(language)} ({date_text(catalog, language, event.date)})"


def venue_text(venue: Venue) -> Raw:
    """Venue name and address, HTML."""
    return Raw(f"<b>{escape(venue.name)}</b>, {escape(venue.address)}")


def agenda_lines(
    catalog: Catalog, language: str, config: EventConfig, event: Event, mode: AttendanceMode | None
) -> Raw:
    """The programme, one line per item: everything in person, hybrid items online.

    ``mode`` None shows the whole programme, marking the hybrid items.
    """
    items: list[AgendaItem] = (
        config.agenda_for(event, mode) if mode is not None else list(event.agenda)
    )
    lines = []
    for item in items:
        line = (
            f"<b>{time_text(item.start)}–{time_text(item.end)}</b> "
            f"{escape(item.title.get(language))}"
        )
        if item.hybrid and mode is not AttendanceMode.ONLINE:
            line += " " + catalog(language, "agenda.hybrid_tag")
        lines.append(line)
    if mode is AttendanceMode.ONLINE and len(items) < len(event.agenda):
        lines.append(catalog(language, "agenda.online_note"))
    return Raw("\n".join(lines))


def agenda_block(
    catalog: Catalog, language: str, config: EventConfig, event: Event, mode: AttendanceMode | None
) -> Raw:
    """Heading (event and date) followed by the programme."""
    return catalog(
        language,
        "agenda.block",
        title=event.title.get(language),
        date=date_text(catalog, language, event.date),
        lines=agenda_lines(catalog, language, config, event, mode),
    )
