"""``psm-bot schedule`` (the timeline of reminders and what happened to those past) and
``psm-bot import-links`` (personal online links from a CSV, with their corrections)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.cli.common import EXIT_INVALID, load_config, open_database, services_on
from bot.reminders.links import LinkFileError, parse_links_csv
from bot.reminders.planner import PersonalLink, TimelineEntry, timeline
from bot.services import Services
from config.event import AttendanceMode, Event, EventConfig
from config.settings import Settings


def schedule(settings: Settings, path: Path | None) -> int:
    """Print what will be sent, when, and to how many of the current registrants; what is
    already past is marked with what happened (sent, skipped, never sent)."""
    config = load_config(path)
    if config is None:
        return EXIT_INVALID
    database = open_database(settings)
    if database is None:
        return EXIT_INVALID
    return asyncio.run(_schedule(settings, config, database))


async def _schedule(settings: Settings, config: EventConfig, database: Path) -> int:
    async with services_on(settings, config, database) as services:
        entries = await timeline(config, services.registrations, services.outbox, services.links)
        now = services.clock.now()
    tz = config.tz
    print(
        f"Reminders ({config.process.timezone}), now {now.astimezone(tz):%a %d/%m/%Y %H:%M}; "
        "recipients = current confirmed registrations"
    )
    current = None
    for entry in entries:
        if entry.event.id != current:
            current = entry.event.id
            print(f"\n{entry.event.id}: {entry.event.title.get('it')} ({entry.event.date})")
        slot = entry.slot
        audience = slot.rule.audience.value.replace("_", " ")
        print(
            f"  {slot.due_at.astimezone(tz):%a %d/%m %H:%M}  {slot.rule.id:<18} "
            f"{audience:<9} {entry.recipients:>5} recipient(s)  "
            f"until {slot.expires_at.astimezone(tz):%d/%m %H:%M}{_state(entry, now)}"
        )
    return 0


_OUTCOME_ORDER = ("sent", "skipped", "failed", "cancelled", "sending", "pending")


def _state(entry: TimelineEntry, now: dt.datetime) -> str:
    """The end of a ``schedule`` line: link status and rows so far, or what happened."""
    if not entry.past(now):
        link = ""
        if entry.link_ready is not None:
            link = "  link set" if entry.link_ready else "  LINK NOT SET"
        done = ", ".join(f"{k} {v}" for k, v in sorted(entry.statuses.items()))
        return ("  DUE NOW" if entry.due(now) else "") + link + (f"  [{done}]" if done else "")
    parts = []
    for status in _OUTCOME_ORDER:
        count = entry.statuses.get(status, 0)
        if not count:
            continue
        reasons = entry.reasons.get(status, {})
        detail = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
        label = {"pending": "not sent (expired)", "sending": "being sent"}.get(status, status)
        parts.append(f"{label} {count}" + (f" ({detail})" if detail else ""))
    return "  past: " + (", ".join(parts) if parts else "never sent")


def import_links(settings: Settings, path: Path, event_id: str | None) -> int:
    """Store personal online links from a CSV; corrections are queued for the running bot.

    Without ``--event``: the upcoming event (not over) that has online registrants, when
    there is one; when there are several, the one whose registrants the file names, if the
    file names registrants of only one of them; otherwise ``--event`` is asked for.
    """
    config = load_config(settings.event_file)
    if config is None:
        return EXIT_INVALID
    try:
        rows = parse_links_csv(path.read_bytes())
    except OSError as exc:
        print(f"{path}: cannot read the file: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    except LinkFileError as exc:
        for error in exc.errors:
            print(f"{path}: {error}", file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return EXIT_INVALID
    online = [e for e in config.events if AttendanceMode.ONLINE in e.modes]
    if event_id is not None and event_id not in {e.id for e in online}:
        known = ", ".join(e.id for e in online)
        print(
            f"--event: {event_id!r} is not an event with online attendance ({known})",
            file=sys.stderr,
        )
        return EXIT_INVALID
    database = open_database(settings)  # no database, no registrants to give links to
    if database is None:
        return EXIT_INVALID
    return asyncio.run(_import_links(settings, config, database, event_id, rows))


@dataclass(frozen=True)
class _LinksCandidate:
    """An upcoming event with online registrants, and how many rows of the file name them."""

    event: Event
    online: int
    named: int


async def _links_candidates(
    services: Services, config: EventConfig, rows: list[PersonalLink], now: dt.datetime
) -> list[_LinksCandidate]:
    """Events with online attendance, not over, with active online registrants; soonest first."""
    candidates = []
    events = [e for e in config.events if AttendanceMode.ONLINE in e.modes]
    for event in sorted(events, key=lambda e: config.starts_at(e)):
        if config.ends_at(event) <= now:
            continue
        registrants = [
            r
            for r in await services.registrations.for_event(event.id)
            if r.mode == AttendanceMode.ONLINE and r.active
        ]
        if not registrants:
            continue
        ids = {r.id for r in registrants}
        users = {r.user_id for r in registrants if r.user_id is not None}
        named = sum(
            1
            for row in rows
            if (
                row.registration_id in ids
                if row.registration_id is not None
                else row.telegram_id in users
            )
        )
        candidates.append(_LinksCandidate(event, len(registrants), named))
    return candidates


def _choose_links_event(candidates: list[_LinksCandidate]) -> tuple[Event | None, str]:
    """The event the links are for, and why; or ``None`` and the line asking for --event."""
    if len(candidates) == 1:
        return candidates[0].event, "the upcoming event with online registrants"
    named = [c for c in candidates if c.named]
    if len(named) == 1:
        return named[0].event, "the upcoming event whose online registrants the file names"
    if not candidates:
        return None, "no upcoming event has online registrants: give --event ID"
    listed = "; ".join(
        f"{c.event.id} ({c.event.date}, {c.online} online, {c.named} row(s) of the file)"
        for c in candidates
    )
    return None, f"several upcoming events have online registrants: {listed}; give --event ID"


async def _import_links(
    settings: Settings,
    config: EventConfig,
    database: Path,
    event_id: str | None,
    rows: list[PersonalLink],
) -> int:
    async with services_on(settings, config, database) as services:
        now = services.clock.now()
        if event_id is None:
            event, why = _choose_links_event(await _links_candidates(services, config, rows, now))
            if event is None:
                print(f"--event: {why}", file=sys.stderr)
                print("nothing was imported", file=sys.stderr)
                return EXIT_INVALID
            print(f"event: {event.id} ({event.title.get('it')}, {event.date}): {why}")
        else:
            event = config.event(event_id)
        stored, unknown = await services.links.store_personal(event, rows, now)
        fixes = await services.links.corrections(event, now)
    print(f"{event.id}: {stored} personal link(s) stored")
    if unknown:
        print(f"no registration for: {', '.join(unknown)}")
    print(f"{fixes} correction(s) queued for participants who already had another link")
    return 0
