"""``/statistiche`` (``/stats``): registration figures per event, zone, venue and mode.

Who sees what (only counts, never names):

- **organisers**: every event, with totals (confirmed, waiting lists, cancelled — erased
  registrations count as cancelled), in person / online, checked in, unreachable (active
  registrants who blocked the bot), then one line per zone and one per venue;
- **facilitators**: the lines of their zone(s), for every event;
- **venue referents**: the lines of their venue(s), for every event at that venue.

Definitions: *in person* / *online* count confirmed registrations; *waiting* counts the
waiting lists (in person only); *checked in* counts active registrations marked present;
a venue's *places taken* are its confirmed in-person registrations, against its capacity
(``∞`` when the event file sets none). One message per event, split further if it would
exceed Telegram's 4096 characters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot.attendance.flows import event_venues
from bot.kernel.clock import Clock
from bot.kernel.format import date_text, zone_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Message, Outcome
from bot.staff.roles import Roles
from config.event import AttendanceMode, Event, EventConfig
from storage.registrations import Status
from storage.stats import CountRow, StatsRepository

MESSAGE_LIMIT = 4000  # Telegram allows 4096 characters; keep a margin for entities


@dataclass
class ZoneCounts:
    """One zone's figures for one event."""

    in_person: int = 0
    online: int = 0
    waitlisted: int = 0
    present: int = 0


@dataclass
class VenueCounts:
    """One venue's figures for one event."""

    taken: int = 0
    waitlisted: int = 0
    present: int = 0


@dataclass
class EventStats:
    """Every figure of one event."""

    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    in_person: int = 0
    online: int = 0
    present: int = 0
    unreachable: int = 0
    zones: dict[int, ZoneCounts] = field(default_factory=lambda: defaultdict(ZoneCounts))
    venues: dict[str, VenueCounts] = field(default_factory=lambda: defaultdict(VenueCounts))

    @property
    def active(self) -> int:
        """Confirmed plus waitlisted."""
        return self.confirmed + self.waitlisted


def compute(rows: list[CountRow]) -> dict[str, EventStats]:
    """Figures per event id from the grouped counts of :meth:`StatsRepository.counts`."""
    stats: dict[str, EventStats] = defaultdict(EventStats)
    for row in rows:
        event = stats[row.event_id]
        n = row.count
        if row.status in (Status.CANCELLED, Status.ERASED):
            event.cancelled += n
            continue
        zone = event.zones[row.zone]
        venue = event.venues[row.venue_id] if row.venue_id else None
        if not row.reachable:
            event.unreachable += n
        if row.present:
            event.present += n
            zone.present += n
            if venue is not None:
                venue.present += n
        if row.status is Status.WAITLISTED:
            event.waitlisted += n
            zone.waitlisted += n
            if venue is not None:
                venue.waitlisted += n
            continue
        event.confirmed += n
        if row.mode == AttendanceMode.ONLINE.value:
            event.online += n
            zone.online += n
        else:
            event.in_person += n
            zone.in_person += n
            if venue is not None:
                venue.taken += n
    return dict(stats)


def split_messages(blocks: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join blocks (paragraphs) into as few messages as fit, splitting long ones by line."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for line in _fit(block, limit):
            candidate = f"{current}\n\n{line}" if current else line
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = line
    if current:
        messages.append(current)
    return messages


def _fit(block: str, limit: int) -> list[str]:
    """A block as is, or its lines grouped into pieces of at most ``limit`` characters."""
    if len(block) <= limit:
        return [block]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        line = line[:limit]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces


class StatsFlows:
    """The figures, scoped to the asker's role."""

    def __init__(
        self,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        store: StatsRepository,
    ) -> None:
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.store = store

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    async def overview(self, who: Who) -> Outcome:
        """``/statistiche``: one message per event (or more when long), for staff only."""
        language = await self.languages.of(who)
        t = self.t
        organiser = self.roles.is_organiser(who.user_id)
        zones = await self.roles.facilitator_zones(who.user_id)
        venues = await self.roles.referent_venues(who.user_id)
        if not (organiser or zones or venues):
            return Outcome().add(Message(t(language, "stats.staff_only")))
        stats = compute(await self.store.counts())
        config = self.config
        out = Outcome()
        for event in sorted(config.events, key=config.starts_at):
            figures = stats.get(event.id, EventStats())
            if organiser:
                blocks = self._full(language, event, figures)
            else:
                blocks = self._scoped(language, event, figures, zones, venues)
            if blocks:
                for text in split_messages(blocks):
                    out.add(Message(Raw(text)))
        if not out.replies:
            out.add(Message(t(language, "stats.nothing")))
        return out

    def _header(self, language: str, event: Event) -> str:
        return self.t(
            language,
            "stats.event",
            event=event.title.get(language),
            date=date_text(self.catalog, language, event.date),
        )

    def _zone_lines(self, language: str, figures: EventStats, zones: list[int]) -> str:
        t = self.t
        lines = [t(language, "stats.zones")]
        for number in zones:
            counts = figures.zones.get(number, ZoneCounts())
            lines.append(
                t(
                    language,
                    "stats.zone_line",
                    zone=zone_label(self.config, number),
                    in_person=counts.in_person,
                    online=counts.online,
                    waitlisted=counts.waitlisted,
                    present=counts.present,
                )
            )
        return "\n".join(lines)

    def _venue_lines(self, language: str, figures: EventStats, venues: list[str]) -> str:
        t = self.t
        lines = [t(language, "stats.venues")]
        for venue_id in venues:
            venue = self.config.venue(venue_id)
            counts = figures.venues.get(venue_id, VenueCounts())
            lines.append(
                t(
                    language,
                    "stats.venue_line",
                    venue=venue.name,
                    taken=counts.taken,
                    capacity=venue.capacity if venue.capacity is not None else "∞",
                    waitlisted=counts.waitlisted,
                    present=counts.present,
                )
            )
        return "\n".join(lines)

    def _full(self, language: str, event: Event, figures: EventStats) -> list[str]:
        totals = self.t(
            language,
            "stats.totals",
            active=figures.active,
            confirmed=figures.confirmed,
            waitlisted=figures.waitlisted,
            cancelled=figures.cancelled,
            in_person=figures.in_person,
            online=figures.online,
            present=figures.present,
            unreachable=figures.unreachable,
        )
        blocks = [f"{self._header(language, event)}\n{totals}"]
        blocks.append(self._zone_lines(language, figures, [z.number for z in self.config.zones]))
        desks = event_venues(self.config, event)
        if desks:
            blocks.append(self._venue_lines(language, figures, desks))
        return blocks

    def _scoped(
        self,
        language: str,
        event: Event,
        figures: EventStats,
        zones: set[int],
        venues: set[str],
    ) -> list[str]:
        mine_zones = [z.number for z in self.config.zones if z.number in zones]
        mine_venues = [v for v in event_venues(self.config, event) if v in venues]
        if not mine_zones and not mine_venues:
            return []
        blocks = [self._header(language, event)]
        if mine_zones:
            blocks.append(self._zone_lines(language, figures, mine_zones))
        if mine_venues:
            blocks.append(self._venue_lines(language, figures, mine_venues))
        return ["\n".join(blocks)]
