"""Reminders: who gets which rule's message, planning it into the outbox, and its text.

Planning writes one outbox row per participant and reminder occurrence (dedupe key
``reminder:<registration>:<rule>:<anchor>``), only for occurrences still worth sending. The
text is rendered when the row is sent, so a name, zone or link changed in between is used.
Waitlisted participants are planned too, but only confirmed ones are sent anything: a
promotion needs no re-planning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.kernel.format import date_text, time_text
from bot.kernel.i18n import Catalog, escape
from bot.kernel.outbox import Outgoing, Prepared
from config.event import (
    AgendaItem,
    AttendanceMode,
    Audience,
    Event,
    EventConfig,
    Reminder,
    ReminderSlot,
    select_items,
)
from storage.links import LinkRepository
from storage.outbox import OutboxRepository, OutboxRow, Planned
from storage.registrations import Registration, RegistrationRepository, Status

# /link answers from the time the event's link rule sends the link for that session; a
# session no link rule is about gets it from 15 minutes before.
LINK_LEAD = dt.timedelta(minutes=15)


def applies(rule: Reminder, registration: Registration) -> bool:
    """Whether ``rule`` is meant for this participant (audience, zones, venues)."""
    if rule.audience is Audience.IN_PERSON and registration.mode != AttendanceMode.IN_PERSON:
        return False
    if rule.audience is Audience.ONLINE and registration.mode != AttendanceMode.ONLINE:
        return False
    if rule.zones and registration.zone not in rule.zones:
        return False
    return not rule.venues or registration.venue_id in rule.venues


def reminder_key(registration_id: int, rule_id: str, anchor: str) -> str:
    """Dedupe key of a reminder occurrence for a registration."""
    return f"reminder:{registration_id}:{rule_id}:{anchor}"


def link_reply_key(registration_id: int, anchor: str) -> str:
    """Dedupe key of the record of the link ``/link`` gave: one per participant and session."""
    return f"linkreply:{registration_id}:{anchor}"


def link_fix_key(registration_id: int, anchor: str, url: str) -> str:
    """Dedupe key of a link correction: one per participant, session and new link."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return f"linkfix:{registration_id}:{anchor}:{digest}"


@dataclass(frozen=True)
class Session:
    """A hybrid session: a block of consecutive hybrid agenda items, named by its first."""

    anchor: str
    item: AgendaItem
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class PersonalLink:
    """A personal link read from a file: its row, whose it is, and the URL."""

    line: int
    registration_id: int | None
    telegram_id: int | None
    url: str


def hybrid_sessions(config: EventConfig, event: Event) -> list[Session]:
    """The event's hybrid sessions, in order."""
    return [
        Session(
            event.item_id(block[0]),
            event.agenda[block[0]],
            config.starts_at(event, block[0]),
            config.ends_at(event, block[-1]),
        )
        for block in select_items(event, "hybrid_block")
    ]


def link_opens(
    config: EventConfig, event: Event, session: Session, registration: Registration
) -> tuple[dt.datetime, bool]:
    """From when ``/link`` gives this participant the link of ``session``, and whether a rule
    sends it to them automatically.

    The window opens when the first of the event's link rules (``link: true``) that applies to
    the participant sends the link for that session (a rule anchored on any agenda item of the
    session counts); without such a rule, :data:`LINK_LEAD` before the start.
    """
    due = [
        slot.due_at
        for slot in config.reminder_slots(event)
        if slot.rule.link
        and session.start <= slot.session_start < session.end
        and applies(slot.rule, registration)
    ]
    if due:
        return min(due), True
    return session.start - LINK_LEAD, False


class Links:
    """Resolves the online link a participant should get for a session.

    Order: the participant's personal link; the link set from the chat for that session; the
    one set from the chat for every session; the session's link in the event file; the
    event's link in the event file.
    """

    def __init__(
        self,
        config: EventConfig,
        store: LinkRepository,
        registrations: RegistrationRepository,
        outbox: OutboxRepository,
    ) -> None:
        self.config = config
        self.store = store
        self.registrations = registrations
        self.outbox = outbox

    async def shared(self, event: Event, anchor: str) -> str | None:
        """The shared link of a session (anchor = first agenda item id of its block)."""
        chat = await self.store.shared(event.id)
        in_file = next(
            (
                item.online_link
                for index, item in enumerate(event.agenda)
                if event.item_id(index) == anchor
            ),
            None,
        )
        return chat.get(anchor) or chat.get("") or in_file or event.online_link

    async def for_registration(self, event: Event, anchor: str, registration_id: int) -> str | None:
        """The link this registrant should use for the session."""
        return await self.store.personal(registration_id) or await self.shared(event, anchor)

    async def store_personal(
        self, event: Event, rows: Sequence[PersonalLink], now: dt.datetime
    ) -> tuple[int, list[str]]:
        """Store personal links for registrations of ``event``; returns (stored, unknown)."""
        registrations = await self.registrations.for_event(event.id)
        by_id = {r.id: r for r in registrations}
        by_user = {r.user_id: r for r in registrations if r.user_id is not None}
        links: dict[int, str] = {}
        unknown: list[str] = []
        for row in rows:
            if row.registration_id is not None:
                registration = by_id.get(row.registration_id)
            else:
                registration = by_user.get(row.telegram_id) if row.telegram_id else None
            if registration is None:
                unknown.append(f"row {row.line}")
                continue
            links[registration.id] = row.url
        await self.store.set_personal(links, now)
        return len(links), unknown

    async def given(
        self, registration: Registration, anchor: str, url: str, now: dt.datetime
    ) -> None:
        """Record that ``/link`` gave this participant ``url`` for a session (anchor), so a
        later change of the link reaches them too."""
        if registration.user_id is None:
            return
        await self.outbox.record_sent(
            Planned(
                dedupe_key=link_reply_key(registration.id, anchor),
                kind="link_reply",
                user_id=registration.user_id,
                due_at=now,
                registration_id=registration.id,
                event_id=registration.event_id,
                anchor=anchor,
            ),
            url,
            now,
        )

    async def corrections(self, event: Event, now: dt.datetime) -> int:
        """Queue the corrected link for whoever got another one for a session not yet over:
        by a reminder, a correction or the answer to ``/link``.

        Only the last link each participant received for a session counts; returns how many
        corrections were queued.
        """
        sessions = {s.anchor: s for s in hybrid_sessions(self.config, event) if s.end > now}
        latest: dict[tuple[int, str], OutboxRow] = {}  # the last link each one received
        rows = await self.outbox.sent_links(event.id, list(sessions))
        for row in sorted(rows, key=lambda r: (r.sent_at or r.due_at, r.id)):
            if row.registration_id is not None:
                latest[(row.registration_id, row.anchor)] = row
        planned: list[Planned] = []
        for (registration_id, anchor), row in latest.items():
            current = await self.for_registration(event, anchor, registration_id)
            if current is None or current == row.sent_link:
                continue
            planned.append(
                Planned(
                    dedupe_key=link_fix_key(registration_id, anchor, current),
                    kind="link_fix",
                    user_id=row.user_id,
                    due_at=now,
                    expires_at=sessions[anchor].end,
                    registration_id=registration_id,
                    event_id=event.id,
                    anchor=anchor,
                )
            )
        return await self.outbox.add(planned, now)


class ReminderPlanner:
    """Keeps each registration's reminders in the outbox in step with the rules."""

    def __init__(
        self,
        config: EventConfig,
        outbox: OutboxRepository,
        registrations: RegistrationRepository,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.registrations = registrations

    def planned_for(self, registration: Registration, now: dt.datetime) -> list[Planned]:
        """The reminder occurrences still worth sending to this registration."""
        if registration.user_id is None or not registration.active:
            return []
        try:
            event = self.config.event(registration.event_id)
        except KeyError:
            return []
        return [
            Planned(
                dedupe_key=reminder_key(registration.id, slot.rule.id, slot.anchor),
                kind="reminder",
                user_id=registration.user_id,
                due_at=slot.due_at,
                expires_at=slot.expires_at,
                registration_id=registration.id,
                event_id=event.id,
                rule_id=slot.rule.id,
                anchor=slot.anchor,
            )
            for slot in self.config.reminder_slots(event)
            if slot.expires_at > now and applies(slot.rule, registration)
        ]

    async def plan(self, registration: Registration, now: dt.datetime) -> None:
        """(Re)plan one registration: pending reminders replaced, sent ones kept."""
        await self.outbox.replan(registration.id, self.planned_for(registration, now), now)

    async def unplan(self, registration: Registration, reason: str, now: dt.datetime) -> None:
        """Cancel a registration's pending messages."""
        await self.outbox.cancel_pending(registration_id=registration.id, reason=reason, now=now)

    async def plan_all(self, now: dt.datetime) -> int:
        """Plan every active registration (at start-up: picks up new rules); returns new rows."""
        added = 0
        for event in self.config.events:
            planned: list[Planned] = []
            for registration in await self.registrations.for_event(event.id):
                planned.extend(self.planned_for(registration, now))
            added += await self.outbox.add(planned, now)
        return added


class ReminderRenderer:
    """Builds the text of an outbox row at the moment it is sent."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        links: Links,
        registrations: RegistrationRepository,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.links = links
        self.registrations = registrations

    def _slot(self, event: Event, row: OutboxRow) -> ReminderSlot | None:
        for slot in self.config.reminder_slots(event):
            if slot.rule.id == row.rule_id and slot.anchor == row.anchor:
                return slot
        return None

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """The text for ``row``, or why it is skipped (late, no longer applies...)."""
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if registration is None or not registration.active:
            return Prepared(None, skip="registration_inactive")
        if registration.status is not Status.CONFIRMED:
            return Prepared(None, skip="waitlisted")
        try:
            event = self.config.event(registration.event_id)
        except KeyError:
            return Prepared(None, skip="event_removed")
        if row.kind == "link_fix":
            return await self._link_fix(event, registration, row)
        slot = self._slot(event, row)
        if slot is None:
            return Prepared(None, skip="rule_removed")
        if not applies(slot.rule, registration):
            return Prepared(None, skip="not_applicable")
        link = None
        if slot.rule.link:
            link = await self.links.for_registration(event, slot.anchor, registration.id)
            if link is None:
                return Prepared(None, wait=True, skip="no_link")
        language = registration.language
        text = slot.rule.text.get(language)
        values = self._values(event, registration, slot, language, link)
        return Prepared(Outgoing(text=escape(text.format_map(values))), link=link)

    def _values(
        self,
        event: Event,
        registration: Registration,
        slot: ReminderSlot,
        language: str,
        link: str | None,
    ) -> dict[str, str]:
        tz = self.config.tz
        venue = self.config.venue(registration.venue_id) if registration.venue_id else None
        session = slot.session
        return {
            "name": registration.display_name or "",
            "event": event.title.get(language),
            "date": date_text(self.catalog, language, event.date),
            "venue": venue.name if venue else self.catalog(language, "calendar.online"),
            "address": venue.address if venue else "",
            "time": time_text(slot.session_start.astimezone(tz).time()),
            "session": session.title.get(language) if session else event.title.get(language),
            "arrival": time_text(event.agenda[0].start),
            "link": link or "",
        }

    async def _link_fix(self, event: Event, registration: Registration, row: OutboxRow) -> Prepared:
        link = await self.links.for_registration(event, row.anchor, registration.id)
        if link is None:
            return Prepared(None, skip="no_link")
        language = registration.language
        title = event.title.get(language)
        for index, item in enumerate(event.agenda):
            if event.item_id(index) == row.anchor:
                title = item.title.get(language)
        text = self.catalog(language, "link.corrected", session=title, link=link)
        return Prepared(Outgoing(text=str(text)), link=link)


@dataclass(frozen=True)
class TimelineEntry:
    """One reminder occurrence as ``psm-bot schedule`` shows it."""

    event: Event
    slot: ReminderSlot
    recipients: int  # current confirmed registrations it applies to
    statuses: dict[str, int]  # outbox rows by status, if already planned
    link_ready: bool | None  # for link messages: is a shared link set?
    # rows by status and reason: {"skipped": {"late": 2}}
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)

    def past(self, now: dt.datetime) -> bool:
        """Its time is over: no longer worth sending (the sender skips what is left)."""
        return self.slot.expires_at <= now

    def due(self, now: dt.datetime) -> bool:
        """Due and still worth sending: being sent by a running bot."""
        return self.slot.due_at <= now < self.slot.expires_at


async def timeline(
    config: EventConfig,
    registrations: RegistrationRepository,
    outbox: OutboxRepository,
    links: Links,
) -> list[TimelineEntry]:
    """Every reminder occurrence of every event, with how many it would reach now."""
    entries = []
    for event in config.events:
        current = [
            r for r in await registrations.for_event(event.id) if r.status is Status.CONFIRMED
        ]
        counts = await outbox.reminder_counts(event.id)
        reasons = await outbox.reminder_reasons(event.id)
        for slot in config.reminder_slots(event):
            link_ready = (
                await links.shared(event, slot.anchor) is not None if slot.rule.link else None
            )
            entries.append(
                TimelineEntry(
                    event=event,
                    slot=slot,
                    recipients=sum(1 for r in current if applies(slot.rule, r)),
                    statuses=counts.get((slot.rule.id, slot.anchor), {}),
                    link_ready=link_ready,
                    reasons=reasons.get((slot.rule.id, slot.anchor), {}),
                )
            )
    return entries
