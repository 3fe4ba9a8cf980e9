"""Polls at the zone tables: opening, ballots, taps, closing, and their outbox messages.

- A **priority poll** offers the event file's strategies (or axes: see
  :meth:`config.event.EventConfig.poll_items`); each participant picks up to N in order of
  priority — the order of their taps, shown as 1, 2, 3 on the buttons; tapping a chosen one
  removes it — then confirms. With more than :data:`GROUP_THRESHOLD` items the buttons are
  grouped by axis (the axes first, then one axis's strategies). A **quick poll** is a
  facilitator's own question with 2 to 10 answers, single choice (a tap is the answer) or
  multiple choice (taps, then confirm).
- A poll belongs to an event, a zone and a table session of the agenda (the current one, or
  the next); it closes when the facilitator closes it or at the end of that session, checked
  by a periodic job and again on every tap, whichever notices first.
- Who gets it: the zone's **in-person** confirmed registrants for that event (the tables are
  in person; online participants follow the plenaries only). Ballots go out through the
  outbox (kind ``poll``), so they are rate limited, durable and survive restarts.
- Every tap is stored at once (``poll_ballots``); a confirmed answer replaces the
  participant's rows in ``poll_answers``. Callback data is ``p|<poll>|<action>[|<value>]``
  (at most 64 bytes) and everything in it is checked against the database: the poll exists
  and is open, the presser is a confirmed in-person registrant of that zone and event, the
  index is in range, N is not exceeded. Anything else gets a short alert and changes nothing.
- Closing tells every ballot holder (outbox kind ``poll_closed``) and, when the session end
  closed it, the facilitator who opened it (``poll_staff``).
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
from bot.kernel.i18n import Catalog, Raw, escape, language_for
from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.replies import Button, Keyboard, Message, Outcome
from bot.polls.charts import Bar, HeatRow, bar_chart, heatmap
from bot.polls.results import PollResult, Synthesis, Tally, compute_synthesis, poll_result
from config.event import AgendaItem, AgendaKind, AttendanceMode, Event, EventConfig
from storage.outbox import OutboxRow, Planned
from storage.polls import (
    PRIORITY,
    QUICK,
    Holder,
    NewPoll,
    Poll,
    PollOption,
    PollRepository,
    RawTally,
    Voter,
)
from storage.registrations import RegistrationRepository, Status
from storage.users import UserRepository

log = logging.getLogger(__name__)

DEFAULT_CHOICES = 3
MAX_CHOICES = 5
GROUP_THRESHOLD = 10  # more items than this: buttons grouped by axis
QUICK_OPTIONS = (2, 10)
QUESTION_MAX = 200
OPTION_MAX = 60
LABEL_MAX = 58  # characters of an option on a button
KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
NOTICE_VALIDITY = dt.timedelta(hours=6)
SESSION_END, BY_FACILITATOR = "session_end", "facilitator"
PREFIX = "p"
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
    """Opening, ballots, taps and closing of polls; outbox renderers; results data."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        store: PollRepository,
        registrations: RegistrationRepository,
        users: UserRepository,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.store = store
        self.registrations = registrations
        self.users = users
        self._polls: dict[int, Poll] = {}
        # (poll, user) -> (versions it was read at, voter): a room tapping does not read its
        # registrations again on every tap; any change of registrations or languages (the
        # repositories' versions) makes the next tap read them afresh.
        self._voters: dict[tuple[int, int], tuple[tuple[int, int], Voter]] = {}
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

    # --- ballots ------------------------------------------------------------------------------
    def grouped(self, poll: Poll) -> bool:
        """Whether the poll's buttons are grouped by axis."""
        axes = {o.axis for o in poll.options}
        return poll.kind == PRIORITY and len(poll.options) > GROUP_THRESHOLD and len(axes) > 1

    def _axis_order(self, poll: Poll) -> list[str]:
        return list(dict.fromkeys(o.axis or "" for o in poll.options))

    def _folder(self, poll: Poll, axis_id: str) -> list[PollOption] | None:
        """The options of an axis shown as a folder; None when the axis is an item itself."""
        options = [o for o in poll.options if (o.axis or "") == axis_id]
        if len(options) == 1 and options[0].key == axis_id:
            return None
        return options

    def _picks_text(self, poll: Poll, picks: Sequence[int], language: str) -> str:
        names = [escape(self.label(poll.kind, poll.options[p], language)) for p in picks]
        if poll.ranked:
            return "\n".join(f"{rank}. {name}" for rank, name in enumerate(names, start=1))
        return "\n".join(f"• {name}" for name in names)

    def ballot(
        self,
        poll: Poll,
        language: str,
        picks: Sequence[int],
        answer: Sequence[int] | None,
        *,
        axis: int | None = None,
    ) -> Message:
        """A participant's ballot: the question, their state, the buttons (open polls)."""
        t = self.catalog
        zone = zone_label(self.config, poll.zone)
        states = []
        if answer:
            states.append(
                t(
                    language,
                    "poll.state_answer",
                    answer=Raw(self._picks_text(poll, answer, language)),
                )
            )
        if list(picks) != list(answer or []) and picks:
            states.append(
                t(language, "poll.state_picks", picks=Raw(self._picks_text(poll, picks, language)))
            )
        if not states:
            states.append(t(language, "poll.state_empty"))
        state = Raw("\n\n".join(states))
        closes = self.local_time(poll.closes_at)
        if poll.kind == PRIORITY:
            text = t(
                language,
                "poll.ballot_priority",
                zone=zone,
                session=self.session_title(poll, language),
                count=poll.max_choices,
                max=poll.max_choices,
                closes=closes,
                state=state,
            )
        else:
            how = "poll.how_single" if poll.max_choices == 1 else "poll.how_multiple"
            text = t(
                language,
                "poll.ballot_quick",
                question=poll.question or "",
                zone=zone,
                how=t(language, how),
                closes=closes,
                state=state,
            )
        if not poll.is_open:
            return Message(Raw(text + "\n\n" + t(language, "poll.ballot_closed")))
        if axis is not None and self.grouped(poll):
            axes = self._axis_order(poll)
            if 0 <= axis < len(axes):
                text = Raw(
                    text
                    + "\n\n"
                    + t(language, "poll.axis_header", axis=self.axis_title(axes[axis], language))
                )
        return Message(text, self._ballot_buttons(poll, language, picks, axis))

    def _option_button(
        self, poll: Poll, option: PollOption, language: str, picks: Sequence[int]
    ) -> Button:
        label = self.label(poll.kind, option, language)
        if len(label) > LABEL_MAX:
            label = label[: LABEL_MAX - 1] + "…"
        if option.position in picks:
            mark = KEYCAPS[picks.index(option.position)] if poll.ranked else "✅"
            label = f"{mark} {label}"
        return Button(label, f"{PREFIX}|{poll.id}|t|{option.position}")

    def _ballot_buttons(
        self, poll: Poll, language: str, picks: Sequence[int], axis: int | None
    ) -> Keyboard:
        t = self.catalog
        rows: Keyboard = []
        if self.grouped(poll):
            axes = self._axis_order(poll)
            if axis is None or not 0 <= axis < len(axes):
                for index, axis_id in enumerate(axes):
                    folder = self._folder(poll, axis_id)
                    if folder is None:  # an axis without strategies: the item itself
                        item = next(o for o in poll.options if o.key == axis_id)
                        rows.append([self._option_button(poll, item, language, picks)])
                        continue
                    chosen = sum(1 for p in picks if poll.options[p].axis == axis_id)
                    title = self.axis_title(axis_id, language)
                    if len(title) > LABEL_MAX - 6:
                        title = title[: LABEL_MAX - 7] + "…"
                    label = f"{title} ({chosen})" if chosen else title
                    rows.append([Button(f"📂 {label}", f"{PREFIX}|{poll.id}|ax|{index}")])
            else:
                rows += [
                    [self._option_button(poll, option, language, picks)]
                    for option in poll.options
                    if (option.axis or "") == axes[axis]
                ]
                rows.append([Button(t(language, "poll.back_button"), f"{PREFIX}|{poll.id}|home")])
        else:
            rows += [[self._option_button(poll, o, language, picks)] for o in poll.options]
        if poll.kind == PRIORITY or poll.max_choices > 1:
            confirm = t(language, "poll.confirm_button", picked=len(picks), max=poll.max_choices)
            rows.append(
                [
                    Button(confirm, f"{PREFIX}|{poll.id}|ok"),
                    Button(t(language, "poll.clear_button"), f"{PREFIX}|{poll.id}|clr"),
                ]
            )
        return rows

    async def tap(self, user_id: int, telegram_language: str | None, data: str) -> Outcome:
        """A participant's button on a ballot: validate everything, store, answer.

        The language comes with the voter's row (one read for both); only refusals before
        it is known look the user up.
        """
        t = self.catalog

        async def refuse(key: str, **params: object) -> Outcome:
            user = await self.users.get(user_id)
            language = language_for(telegram_language, user.language if user else None)
            return Outcome(alert=t(language, key, **params), close_keyboard=False)

        parts = data.split("|")
        if len(parts) not in (3, 4) or parts[0] != PREFIX or not parts[1].isdigit():
            return await refuse("button.invalid")
        action, value = parts[2], parts[3] if len(parts) == 4 else None
        if (action in ("t", "ax")) != (value is not None and value.isdigit()):
            return await refuse("button.invalid")
        if action not in ("t", "ok", "clr", "ax", "home"):
            return await refuse("button.invalid")
        found = await self.poll(int(parts[1]))
        if found is None:
            return await refuse("button.invalid")
        poll = await self.fresh(found)
        voter = await self._voter(poll, user_id)
        if voter is None:
            return await refuse("poll.alert_not_registered")
        language = language_for(telegram_language, voter.language)
        if voter.zone != poll.zone:
            return Outcome(alert=t(language, "poll.alert_other_zone"), close_keyboard=False)
        if voter.status != Status.CONFIRMED or voter.mode != AttendanceMode.IN_PERSON:
            return Outcome(alert=t(language, "poll.alert_not_registered"), close_keyboard=False)
        if not poll.is_open:
            closed = self.ballot(poll, language, voter.answer or [], voter.answer)
            return Outcome(alert=t(language, "poll.alert_closed"), edit=closed)
        now = self.clock.now()
        if not voter.has_ballot:
            await self.store.add_ballot(poll.id, voter.registration_id, now)
        out, picks, answer = await self._apply_tap(poll, voter, language, action, value, now)
        if out.alert is None:  # as stored now, for the next tap
            versions = (self.registrations.version, self.users.languages_version)
            kept = replace(voter, picks=picks, answer=answer, has_ballot=True)
            self._voters[(poll.id, user_id)] = (versions, kept)
        return out

    async def _voter(self, poll: Poll, user_id: int) -> Voter | None:
        """The participant's registration and ballot in ``poll`` (cached between taps)."""
        versions = (self.registrations.version, self.users.languages_version)
        cached = self._voters.get((poll.id, user_id))
        if cached is not None and cached[0] == versions:
            return cached[1]
        voter = await self.store.voter(poll.id, poll.event_id, user_id)
        if voter is not None:
            if len(self._voters) > 50_000:
                self._voters.clear()
            self._voters[(poll.id, user_id)] = (versions, voter)
        return voter

    async def _apply_tap(
        self,
        poll: Poll,
        voter: Voter,
        language: str,
        action: str,
        value: str | None,
        now: dt.datetime,
    ) -> tuple[Outcome, list[int], list[int] | None]:
        """Carry out a valid participant's tap on an open poll: the answer, and the picks
        and confirmed answer stored."""
        t = self.catalog
        invalid = Outcome(alert=t(language, "button.invalid"), close_keyboard=False)
        picks, answer = voter.picks, voter.answer
        axis: int | None = None
        out = Outcome(close_keyboard=False)
        if action == "ax":
            axis = int(value or 0)
            axes = self._axis_order(poll)
            if not self.grouped(poll) or axis >= len(axes) or not self._folder(poll, axes[axis]):
                return invalid, voter.picks, voter.answer
        elif action == "home":
            axis = None
        elif action == "clr":
            picks = []
            await self.store.save_picks(poll.id, voter.registration_id, picks, now)
            out.toast = t(language, "poll.toast_cleared")
        elif action == "ok":
            if not picks:
                empty = Outcome(alert=t(language, "poll.alert_empty"), close_keyboard=False)
                return empty, picks, answer
            await self.store.save_answer(poll.id, voter.registration_id, picks, poll.ranked, now)
            answer = list(picks)
            out.toast = t(language, "poll.toast_saved")
        else:  # a tap on an option
            position = int(value or 0)
            if position >= len(poll.options):
                return invalid, voter.picks, voter.answer
            option = poll.options[position]
            name = self.label(poll.kind, option, language)
            if poll.kind == QUICK and poll.max_choices == 1:
                picks = [position]
                await self.store.save_answer(poll.id, voter.registration_id, picks, False, now)
                answer = list(picks)
                out.toast = t(language, "poll.toast_saved")
            else:
                changed = toggle(picks, position, poll.max_choices)
                if changed is None:
                    alert = t(
                        language,
                        "poll.alert_too_many",
                        count=poll.max_choices,
                        max=poll.max_choices,
                    )
                    return Outcome(alert=alert, close_keyboard=False), picks, answer
                picks = changed
                await self.store.save_picks(poll.id, voter.registration_id, picks, now)
                if position in picks and poll.ranked:
                    out.toast = t(language, "poll.toast_added", rank=len(picks), option=name)
                elif position in picks:
                    out.toast = t(language, "poll.toast_chosen", option=name)
                else:
                    out.toast = t(language, "poll.toast_removed", option=name)
            if self.grouped(poll) and self._folder(poll, option.axis or "") is not None:
                axis = self._axis_order(poll).index(option.axis or "")
        out.edit = self.ballot(poll, language, picks, answer, axis=axis)
        return out, picks, answer

    async def resend(self, user_id: int, language: str) -> Outcome:
        """A participant's ``/sondaggio``: the open polls of their table, as new ballots."""
        t = self.catalog
        now = self.clock.now()
        event = self.current_event(now)
        registration = (
            await self.registrations.active(event.id, user_id) if event is not None else None
        )
        out = Outcome()
        if (
            event is None
            or registration is None
            or registration.status is not Status.CONFIRMED
            or registration.mode != AttendanceMode.IN_PERSON
        ):
            return out.add(Message(t(language, "poll.participant_not_at_table")))
        polls = [await self.fresh(p) for p in await self.open_polls(event.id, registration.zone)]
        polls = [p for p in polls if p.is_open]
        if not polls:
            return out.add(Message(t(language, "poll.none_open")))
        for poll in polls:
            await self.store.add_ballot(poll.id, registration.id, now)
            picks, answer = await self.store.ballot(poll.id, registration.id)
            out.add(self.ballot(poll, language, picks, answer))
        return out

    # --- outbox renderers ---------------------------------------------------------------------
    async def _language(self, user_id: int, fallback: str) -> str:
        user = await self.users.get(user_id)
        return user.language if user is not None and user.language else fallback

    async def render_ballot(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox kind ``poll``: the ballot, as long as the poll is open and the person at
        the table."""
        poll = await self.poll(int(row.payload.get("poll", 0)))
        if poll is None:
            return Prepared(None, skip="poll_removed")
        poll = await self.fresh(poll)
        if not poll.is_open:
            return Prepared(None, skip="poll_closed")
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if (
            registration is None
            or registration.status is not Status.CONFIRMED
            or registration.zone != poll.zone
            or registration.mode != AttendanceMode.IN_PERSON
        ):
            return Prepared(None, skip="not_at_table")
        language = await self._language(row.user_id, registration.language)
        picks, answer = await self.store.ballot(poll.id, registration.id)
        message = self.ballot(poll, language, picks, answer)
        return Prepared(Outgoing(text=message.text, buttons=message.buttons))

    async def render_closed(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox kind ``poll_closed``: the poll is closed, and what the participant answered."""
        poll = await self.poll(int(row.payload.get("poll", 0)))
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if poll is None or registration is None or registration.user_id is None:
            return Prepared(None, skip="poll_removed")
        language = await self._language(row.user_id, registration.language)
        _, answer = await self.store.ballot(poll.id, registration.id)
        t = self.catalog
        yours = (
            t(
                language,
                "poll.closed_your_answer",
                answer=Raw(self._picks_text(poll, answer, language)),
            )
            if answer
            else t(language, "poll.closed_no_answer")
        )
        text = t(
            language,
            "poll.closed_notice",
            title=self.title(poll, language),
            zone=zone_label(self.config, poll.zone),
            answer=yours,
        )
        return Prepared(Outgoing(text=text))

    async def render_staff(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox kind ``poll_staff``: the opener learns the session end closed the poll."""
        poll = await self.poll(int(row.payload.get("poll", 0)))
        if poll is None:
            return Prepared(None, skip="poll_removed")
        language = await self._language(row.user_id, "it")
        tally = (await self.store.tallies([poll.id]))[poll.id]
        text = self.catalog(
            language,
            "poll.closed_at_session_end",
            title=self.title(poll, language),
            zone=zone_label(self.config, poll.zone),
            answered=tally.respondents,
            registered=tally.registered,
        )
        return Prepared(Outgoing(text=text))

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
