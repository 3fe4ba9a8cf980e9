"""Polls at the zone tables: the rules, opening and closing, results data and charts.

- A **priority poll** offers the event file's strategies (or axes: see
  :meth:`config.event.EventConfig.poll_items`); each participant picks up to N in order of
  priority, then confirms (the ballots and taps: :mod:`bot.polls.ballots`). A **quick
  poll** is a facilitator's own question with 2 to 10 answers (:func:`parse_quick`), single
  choice (a tap is the answer) or multiple choice (taps, then confirm).
- A poll belongs to an event, a zone and a table session of the agenda (the current one, or
  the next); it closes when the facilitator closes it or at the end of that session, checked
  by a periodic job and again on every tap, whichever notices first.
- Who gets it: the zone's **in-person** confirmed registrants for that event (the tables are
  in person; online participants follow the plenaries only). Opening queues a ballot for
  each through the outbox (kind ``poll``, rendered by :mod:`bot.polls.notices`); closing
  queues "the poll is closed" for every ballot holder (``poll_closed``) and, when the
  session end closed it, a notice to the facilitator who opened it (``poll_staff``).
- Results: the tallies as the results maths sees them, per zone and across zones
  (:mod:`bot.polls.results`), and their charts (drawn once, cached).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.kernel.clock import Clock
from bot.kernel.format import date_text, time_text, zone_label
from bot.kernel.i18n import Catalog
from bot.polls.charts import Bar, HeatRow, bar_chart, heatmap
from bot.polls.results import PollResult, Synthesis, Tally, compute_synthesis, poll_result
from config.event import AgendaItem, AgendaKind, AttendanceMode, Event, EventConfig
from storage.outbox import Planned
from storage.poll_results import RawTally
from storage.polls import (
    PRIORITY,
    QUICK,
    Holder,
    NewPoll,
    Poll,
    PollOption,
    PollRepository,
)

log = logging.getLogger(__name__)

DEFAULT_CHOICES = 3
MAX_CHOICES = 5
GROUP_THRESHOLD = 10  # more items than this: buttons grouped by axis
QUICK_OPTIONS = (2, 10)
QUESTION_MAX = 200
OPTION_MAX = 60
NOTICE_VALIDITY = dt.timedelta(hours=6)
SESSION_END, BY_FACILITATOR = "session_end", "facilitator"
CAPTION_MAX = 1000  # Telegram allows 1024 characters in a caption


@dataclass(frozen=True)
class Session:
    """A table session of the agenda."""

    index: int
    item: AgendaItem
    start: dt.datetime
    end: dt.datetime

    @property
    def item_id(self) -> str:
        """The agenda item's id (its own, or its position)."""
        return self.item.id or f"item{self.index + 1}"


def parse_quick(text: str) -> tuple[str, list[str]] | None:
    """A quick poll typed as "question, then one answer per line"; None if not valid."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line.lstrip("-•*·").strip() for line in lines]
    lines = [line for line in lines if line]
    if len(lines) < 1 + QUICK_OPTIONS[0] or len(lines) > 1 + QUICK_OPTIONS[1]:
        return None
    question, options = lines[0], lines[1:]
    if len(question) > QUESTION_MAX or any(len(o) > OPTION_MAX for o in options):
        return None
    if len({o.casefold() for o in options}) != len(options):
        return None
    return question, options


def toggle(picks: Sequence[int], position: int, limit: int) -> list[int] | None:
    """Picks after tapping ``position``: removed if chosen, else appended; None if over limit."""
    if position in picks:
        return [p for p in picks if p != position]
    if len(picks) >= limit:
        return None
    return [*picks, position]


class PollService:
    """The polls of the event: the items, opening and closing, results data, charts."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        store: PollRepository,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.store = store
        self._polls: dict[int, Poll] = {}
        self._charts: dict[str, bytes] = {}
        self._close_lock = asyncio.Lock()
        self._titles = {
            (strategy or axis).id: ((strategy or axis).title, axis.id)
            for axis, strategy in config.poll_items()
        }
        self._axes = {axis.id: axis for axis in config.axes}

    # --- the event, the session, the items --------------------------------------------------
    def current_event(self, now: dt.datetime) -> Event | None:
        """The event dated today (process time zone), else the next open one."""
        today = now.astimezone(self.config.tz).date()
        for event in self.config.events:
            if event.date == today:
                return event
        upcoming = [e for e in self.config.open_events(now) if e.date > today]
        return upcoming[0] if upcoming else None

    def session(self, event: Event, now: dt.datetime) -> Session | None:
        """The table session going on at ``now``, else the next one of the event."""
        for index, item in enumerate(event.agenda):
            if item.kind is AgendaKind.TABLE_SESSION:
                end = self.config.ends_at(event, index)
                if end > now:
                    return Session(index, item, self.config.starts_at(event, index), end)
        return None

    def session_title(self, poll: Poll, language: str) -> str:
        """The title of the agenda item a poll belongs to."""
        try:
            event = self.config.event(poll.event_id)
        except KeyError:
            return poll.item_id
        for index, item in enumerate(event.agenda):
            if event.item_id(index) == poll.item_id:
                return item.title.get(language)
        return poll.item_id

    def priority_options(self) -> list[PollOption]:
        """The strategies (or axes) of the event file, as poll options."""
        return [
            PollOption(position, (strategy or axis).id, axis.id, (strategy or axis).title.it)
            for position, (axis, strategy) in enumerate(self.config.poll_items())
        ]

    def label(self, poll_kind: str, option: PollOption, language: str) -> str:
        """An option's text in ``language`` (the event file's title for strategies)."""
        if poll_kind == PRIORITY and option.key in self._titles:
            return self._titles[option.key][0].get(language)
        return option.label

    def label_for_key(self, key: str, language: str, fallback: str = "") -> str:
        """A strategy's (or axis's) title by id."""
        found = self._titles.get(key)
        return found[0].get(language) if found else (fallback or key)

    def axis_title(self, axis_id: str | None, language: str) -> str:
        """An axis's title."""
        axis = self._axes.get(axis_id or "")
        return axis.title.get(language) if axis else (axis_id or "")

    def title(self, poll: Poll, language: str) -> str:
        """A poll's name as shown to staff: its question, or "strategy priorities"."""
        if poll.kind == QUICK and poll.question:
            return poll.question
        return str(self.catalog(language, "poll.priority_title"))

    def local_time(self, when: dt.datetime) -> str:
        """``10:30`` in the process time zone."""
        return time_text(when.astimezone(self.config.tz).time())

    # --- polls ------------------------------------------------------------------------------
    async def poll(self, poll_id: int) -> Poll | None:
        """A poll (cached: only this service changes a poll once it is open)."""
        cached = self._polls.get(poll_id)
        if cached is not None:
            return cached
        poll = await self.store.get(poll_id)
        if poll is not None:
            self._polls[poll_id] = poll
        return poll

    async def polls(
        self, event_id: str, zone: int | None = None, *, kind: str | None = None
    ) -> list[Poll]:
        """The polls of an event (and zone), oldest first."""
        found = await self.store.find(event_id, zone, kind=kind)
        for poll in found:
            self._polls[poll.id] = poll
        return found

    async def open_polls(self, event_id: str, zone: int) -> list[Poll]:
        """The zone's polls still open."""
        return [p for p in await self.polls(event_id, zone) if p.is_open]

    async def open(
        self,
        event: Event,
        zone: int,
        session: Session,
        *,
        opened_by: int,
        kind: str = PRIORITY,
        max_choices: int = DEFAULT_CHOICES,
        question: str | None = None,
        answers: Sequence[str] = (),
    ) -> Poll | None:
        """Open a poll and queue a ballot for each in-person participant of the zone.

        None when a priority poll is already open in the zone.
        """
        now = self.clock.now()
        if kind == PRIORITY:
            options = self.priority_options()
            max_choices = max(1, min(max_choices, MAX_CHOICES, len(options)))
            ranked = True
        else:
            options = [PollOption(i, str(i + 1), None, text) for i, text in enumerate(answers)]
            max_choices = max(1, min(max_choices, len(options)))
            ranked = False
        recipients = await self.store.recipients(
            event.id, [zone], mode=AttendanceMode.IN_PERSON.value
        )
        users = {r.registration_id: r.user_id for r in recipients}

        def plan(poll_id: int, registration_id: int) -> Planned:
            return Planned(
                dedupe_key=f"poll:{poll_id}:{registration_id}",
                kind="poll",
                user_id=users[registration_id],
                due_at=now,
                expires_at=session.end,
                registration_id=registration_id,
                event_id=event.id,
                payload={"poll": poll_id},
            )

        new = NewPoll(
            kind=kind,
            event_id=event.id,
            zone=zone,
            item_id=session.item_id,
            max_choices=max_choices,
            ranked=ranked,
            opened_by=opened_by,
            closes_at=session.end,
            options=options,
            question=question,
        )
        poll = await self.store.create(new, list(users), plan, now)
        if poll is not None:
            self._polls[poll.id] = poll
            log.info(
                "poll %d opened: event=%s zone=%d kind=%s options=%d recipients=%d",
                poll.id,
                event.id,
                zone,
                kind,
                len(options),
                len(users),
            )
        return poll

    async def close(self, poll: Poll, reason: str) -> list[Holder] | None:
        """Close a poll and tell its ballot holders (and, at session end, its opener)."""
        now = self.clock.now()

        def plan(holder: Holder) -> Planned | None:
            if holder.user_id is None:
                return None
            return Planned(
                dedupe_key=f"pollclosed:{poll.id}:{holder.registration_id}",
                kind="poll_closed",
                user_id=holder.user_id,
                due_at=now,
                expires_at=now + NOTICE_VALIDITY,
                registration_id=holder.registration_id,
                event_id=poll.event_id,
                payload={"poll": poll.id},
            )

        async with self._close_lock:
            holders = await self.store.close(poll.id, reason, now, plan)
            fresh = await self.store.get(poll.id)
            if fresh is not None:
                self._polls[poll.id] = fresh
        if holders is not None:
            log.info(
                "poll %d closed (%s): event=%s zone=%d ballots=%d",
                poll.id,
                reason,
                poll.event_id,
                poll.zone,
                len(holders),
            )
        if holders is not None and reason == SESSION_END and poll.opened_by is not None:
            await self.store.queue(
                [
                    Planned(
                        dedupe_key=f"pollstaff:{poll.id}",
                        kind="poll_staff",
                        user_id=poll.opened_by,
                        due_at=now,
                        expires_at=now + NOTICE_VALIDITY,
                        event_id=poll.event_id,
                        payload={"poll": poll.id},
                    )
                ],
                now,
            )
        return holders

    async def close_due(self) -> list[Poll]:
        """Close the polls whose session has ended (the periodic job); returns them."""
        closed = []
        for poll_id in await self.store.due_to_close(self.clock.now()):
            poll = await self.poll(poll_id)
            if poll is not None and await self.close(poll, SESSION_END) is not None:
                closed.append(poll)
        return closed

    async def fresh(self, poll: Poll) -> Poll:
        """The poll, closed first if its session is over (the lazy check on every tap)."""
        if poll.is_open and self.clock.now() >= poll.closes_at:
            await self.close(poll, SESSION_END)
            return await self.poll(poll.id) or poll
        return poll

    async def set_manual_respondents(self, poll: Poll, count: int | None) -> None:
        """Store how many people answered by hand."""
        await self.store.set_manual_respondents(poll.id, count)
        self._polls[poll.id] = replace(poll, manual_respondents=count)

    # --- results data -------------------------------------------------------------------------
    def tally(self, poll: Poll, raw: RawTally) -> Tally:
        """The results-maths view of a poll's aggregates."""
        return Tally(
            options=[o.key for o in poll.options],
            max_choices=poll.max_choices,
            ranked=poll.ranked,
            telegram=raw.telegram,
            respondents=raw.respondents,
            registered=raw.registered,
            manual=raw.manual,
            manual_respondents=poll.manual_respondents,
        )

    async def result(self, poll: Poll) -> PollResult:
        """A poll's results."""
        raw = (await self.store.tallies([poll.id]))[poll.id]
        return poll_result(self.tally(poll, raw))

    async def zone_results(self, event_id: str) -> dict[int, tuple[Poll, PollResult]]:
        """Per zone, the latest priority poll with respondents (else the latest), results."""
        polls = await self.store.find(event_id, kind=PRIORITY)
        raws = await self.store.tallies([p.id for p in polls])
        chosen: dict[int, tuple[Poll, PollResult]] = {}
        for poll in polls:  # oldest first: later polls replace earlier ones
            self._polls[poll.id] = poll
            result = poll_result(self.tally(poll, raws[poll.id]))
            previous = chosen.get(poll.zone)
            if (
                previous is None
                or result.respondents_total > 0
                or (previous[1].respondents_total == 0)
            ):
                chosen[poll.zone] = (poll, result)
        return chosen

    async def synthesis(
        self, event_id: str
    ) -> tuple[Synthesis, dict[int, tuple[Poll, PollResult]]]:
        """The cross-zone synthesis of an event."""
        zones = await self.zone_results(event_id)
        keys = [option.key for option in self.priority_options()]
        synthesis = compute_synthesis({z: r for z, (_, r) in zones.items()}, keys)
        return synthesis, zones

    async def results_event(self) -> Event | None:
        """The event to show results of: today's (or the next) if it has polls, else the
        most recent one that has."""
        now = self.clock.now()
        current = self.current_event(now)
        today = now.astimezone(self.config.tz).date()
        past = sorted(
            (e for e in self.config.events if e.date <= today and e is not current),
            key=lambda e: e.date,
            reverse=True,
        )
        for event in [*([current] if current else []), *past]:
            if await self.store.find(event.id):
                return event
        return current

    # --- charts ---------------------------------------------------------------------------
    async def _cached_chart(self, key: str, draw: object, *args: object, **kwargs: object) -> bytes:
        digest = hashlib.sha256(key.encode()).hexdigest()
        found = self._charts.get(digest)
        if found is None:
            assert callable(draw)
            found = await asyncio.to_thread(draw, *args, **kwargs)
            assert isinstance(found, bytes)
            if len(self._charts) > 256:
                self._charts.clear()
            self._charts[digest] = found
        return found

    async def bar_chart(
        self, title: str, result: PollResult, language: str, labels: dict[str, str], subtitle: str
    ) -> bytes:
        """The ranking as bars (points; the part counted by hand apart)."""
        t = self.catalog
        bars = [Bar(labels.get(o.key, o.key), o.score, o.score_manual) for o in result.options]
        key = repr(("bar", title, subtitle, language, bars))
        return await self._cached_chart(
            key,
            bar_chart,
            title,
            bars,
            axis_label=str(
                t(language, "results.chart_axis" if result.ranked else "results.chart_axis_quick")
            ),
            telegram_label="Telegram",
            manual_label=str(t(language, "results.chart_manual")),
            subtitle=subtitle,
            language=language,
        )

    async def heatmap(
        self, synthesis: Synthesis, language: str, title: str, subtitle: str
    ) -> bytes:
        """The strategy x zone heatmap of normalised scores, with the mean of all zones last."""
        columns = [
            zone_label(self.config, z) if self.config.has_zone(z) else str(z)
            for z in synthesis.zones
        ]
        columns.append(html.unescape(self.catalog(language, "results.heatmap_overall")))
        overall = dict(synthesis.overall)
        rows = [HeatRow(k, self.label_for_key(k, language)) for k in synthesis.keys]
        matrix = [
            [*(zone[i] for zone in synthesis.matrix), overall.get(k, 0.0)]
            for i, k in enumerate(synthesis.keys)
        ]
        key = repr(("heat", title, subtitle, language, rows, columns, matrix))
        return await self._cached_chart(
            key,
            heatmap,
            title,
            rows,
            columns,
            matrix,
            subtitle=subtitle,
            separate_last=True,
            language=language,
        )

    def event_date(self, event: Event, language: str) -> str:
        """The event's date in words."""
        return date_text(self.catalog, language, event.date)
