"""Session 2's worksheets: which a zone has, when contributions are open, their titles.

A zone's worksheets are made the first time anyone needs them (the session-2 notice, a
participant's ``/contributo``, the facilitator's ``/scheda``, the regia's board) once the
zone's priority poll is closed: its ``top`` strategies (event file, ``worksheets.top``), the
best first, among those somebody chose. Made once: results that change afterwards (paper
ballots counted late) do not reshuffle a table at work; the facilitator replaces or adds a
strategy instead (:meth:`WorksheetService.replace`, :meth:`WorksheetService.add`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from bot.kernel.clock import Clock
from bot.kernel.format import time_text
from bot.polls.service import PollService
from config.event import Event, EventConfig, Section, Worksheets
from storage.polls import PRIORITY
from storage.worksheets import Origin, Worksheet, WorksheetRepository

log = logging.getLogger(__name__)

TEXT_MAX = 500  # characters of a contribution (or a photo's caption)
REPORT_TEXT_MAX = 1500  # characters of one report text (a section's synthesis, the note)
MAX_WORKSHEETS = 6  # a table's worksheets, with the facilitator's additions


@dataclass(frozen=True)
class ContributionWindow:
    """When an event's contributions are open."""

    opens: dt.datetime
    closes: dt.datetime

    def is_open(self, now: dt.datetime) -> bool:
        """True between the start of the first contribution session and the end of the last."""
        return self.opens <= now < self.closes


class WorksheetService:
    """The worksheets of the events, made from the closed polls, and their texts."""

    def __init__(
        self, config: EventConfig, clock: Clock, polls: PollService, store: WorksheetRepository
    ) -> None:
        self.config = config
        self.clock = clock
        self.polls = polls
        self.store = store
        self._making = asyncio.Lock()

    # --- the event's settings -----------------------------------------------------------------
    def settings(self, event: Event) -> Worksheets | None:
        """The event's session-2 settings (None: no contributions at this event)."""
        return event.worksheets

    def window(self, event: Event) -> ContributionWindow | None:
        """When contributions are open at ``event`` (None: never)."""
        found = self.config.contribution_window(event)
        return ContributionWindow(*found) if found is not None else None

    def is_open(self, event: Event, now: dt.datetime | None = None) -> bool:
        """Contributions are open now."""
        window = self.window(event)
        return window is not None and window.is_open(now or self.clock.now())

    def deadline(self, event: Event) -> dt.datetime | None:
        """When the facilitators' reports are due."""
        return self.config.report_deadline(event)

    def current_event(self) -> Event | None:
        """The event with worksheets dated today, else the next or the latest one."""
        now = self.clock.now()
        current = self.polls.current_event(now)
        if current is not None and current.worksheets is not None:
            return current
        with_sheets = [e for e in self.config.events if e.worksheets is not None]
        if not with_sheets:
            return None
        today = now.astimezone(self.config.tz).date()
        upcoming = sorted((e for e in with_sheets if e.date >= today), key=lambda e: e.date)
        if upcoming:
            return upcoming[0]
        return max(with_sheets, key=lambda e: e.date)

    def sections(self, event: Event) -> list[Section]:
        """The sections of the event's worksheets."""
        return list(event.worksheets.sections) if event.worksheets is not None else []

    def section(self, event: Event, section_id: str) -> Section | None:
        """A section of the event's worksheets by id."""
        return event.worksheets.section(section_id) if event.worksheets is not None else None

    def local_time(self, when: dt.datetime) -> str:
        """``10:30`` in the process time zone."""
        return time_text(when.astimezone(self.config.tz).time())

    # --- titles -----------------------------------------------------------------------------
    def strategy_title(self, strategy: str, language: str) -> str:
        """A strategy's (or axis's) title."""
        return self.polls.label_for_key(strategy, language)

    def title(self, worksheet: Worksheet, language: str) -> str:
        """A worksheet's title: its strategy's."""
        return self.strategy_title(worksheet.strategy, language)

    def section_title(self, event: Event, section_id: str, language: str) -> str:
        """A section's title (its id if the event file no longer has it)."""
        section = self.section(event, section_id)
        return section.title.get(language) if section is not None else section_id

    def strategies(self) -> list[str]:
        """Every strategy (or axis) id of the event file, in the file's order."""
        return [option.key for option in self.polls.priority_options()]

    # --- the zone's worksheets ----------------------------------------------------------------
    async def worksheets(self, event: Event, zone: int) -> list[Worksheet]:
        """The zone's active worksheets, made from its closed priority poll if not yet made.

        Empty when the event has no worksheets or the zone's poll is not closed (and the
        facilitator added none).
        """
        if event.worksheets is None:
            return []
        found = await self.store.worksheets(event.id, zone)
        if found:
            return found
        async with self._making:  # two first requests at once make them once
            found = await self.store.worksheets(event.id, zone, active_only=False)
            if found:
                return [w for w in found if w.active]
            return await self._from_poll(event, zone, event.worksheets.top)

    async def _from_poll(self, event: Event, zone: int, top: int) -> list[Worksheet]:
        polls = await self.polls.polls(event.id, zone, kind=PRIORITY)
        for poll in reversed(polls):  # the latest closed poll with answers
            poll = await self.polls.fresh(poll)
            if poll.is_open:
                return []
            result = await self.polls.result(poll)
            if result.respondents_total == 0:
                continue
            chosen = [o.key for o in result.options if o.score > 0][:top]
            if not chosen:
                continue
            made = await self.store.create_worksheets(
                event.id, zone, chosen, Origin.POLL, self.clock.now(), poll_id=poll.id
            )
            log.info("worksheets made: event=%s zone=%d from poll %d", event.id, zone, poll.id)
            return made
        return []

    async def all_worksheets(self, event: Event) -> dict[int, list[Worksheet]]:
        """Every zone's worksheets (made where they can be), by zone."""
        return {
            zone.number: await self.worksheets(event, zone.number) for zone in self.config.zones
        }

    async def add(self, event: Event, zone: int, strategy: str, by: int) -> Worksheet | None:
        """Add a worksheet for ``strategy`` (None if the zone has it or has too many)."""
        current = await self.worksheets(event, zone)
        if any(w.strategy == strategy for w in current) or len(current) >= MAX_WORKSHEETS:
            return None
        if strategy not in self.strategies():
            return None
        made = await self.store.create_worksheets(
            event.id, zone, [strategy], Origin.FACILITATOR, self.clock.now(), created_by=by
        )
        return next((w for w in made if w.strategy == strategy), None)

    async def replace(self, worksheet: Worksheet, strategy: str, by: int) -> Worksheet | None:
        """Put ``strategy`` in the place of ``worksheet`` (kept, inactive, with its items)."""
        event = self.config.event(worksheet.event_id)
        current = await self.worksheets(event, worksheet.zone)
        if any(w.strategy == strategy for w in current) or strategy not in self.strategies():
            return None
        if not await self.store.deactivate(worksheet.id):
            return None
        return await self.add(event, worksheet.zone, strategy, by)
