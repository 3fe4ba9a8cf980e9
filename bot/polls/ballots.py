"""Ballots: what a participant sees of a poll, and their taps on it (the hot path).

- A **priority poll**'s ballot offers the event file's strategies (or axes); each tap adds
  the option at the next rank (1, 2, 3 on the buttons) or removes it, then "Confirm" stores
  the answer. With more than :data:`~bot.polls.service.GROUP_THRESHOLD` items the buttons
  are grouped by axis (the axes first, then one axis's strategies). A **quick poll** with a
  single choice takes a tap as the answer; with several, taps then confirm.
- Every tap is stored at once (``poll_ballots``); a confirmed answer replaces the
  participant's rows in ``poll_answers``. Everything a :class:`BallotButton` carries is
  checked against the database: the poll exists and is open, the presser is a confirmed
  in-person registrant of that zone and event, the index is in range, N is not exceeded.
  Anything else gets a short alert and changes nothing.
- A room taps at once: the voter's registration and ballot are read once and then kept
  between taps, until the registrations or languages change (their repositories' versions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from bot.kernel.clock import Clock
from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog, Raw, escape, language_for
from bot.kernel.replies import Button, Keyboard, Message, Outcome
from bot.polls.buttons import BallotAction, BallotButton
from bot.polls.service import GROUP_THRESHOLD, PollService, toggle
from config.event import AttendanceMode, EventConfig
from storage.poll_ballots import Voter
from storage.polls import PRIORITY, QUICK, Poll, PollOption, PollRepository
from storage.registrations import RegistrationRepository, Status
from storage.users import UserRepository

LABEL_MAX = 58  # characters of an option on a button
KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
VOTERS_KEPT = 50_000  # voters kept between taps, at most (then the cache starts again)
PACKED_KEPT = 10_000  # ballot buttons' data kept, at most


class Ballots:
    """Participants' ballots: the message, the taps, ``/sondaggio`` again."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        polls: PollService,
        store: PollRepository,
        registrations: RegistrationRepository,
        users: UserRepository,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.polls = polls
        self.store = store
        self.registrations = registrations
        self.users = users
        # (poll, user) -> (versions it was read at, voter): a room tapping does not read its
        # registrations again on every tap; any change of registrations or languages (the
        # repositories' versions) makes the next tap read them afresh.
        self._voters: dict[tuple[int, int], tuple[tuple[int, int], Voter]] = {}
        # Every tap shows the ballot again, and a poll's buttons always carry the same data:
        # each is packed once.
        self._packed: dict[tuple[int, BallotAction, int | None], str] = {}

    # --- the message --------------------------------------------------------------------------
    def data(self, poll: Poll, action: BallotAction, value: int | None = None) -> str:
        """The callback data of a ballot button (:class:`BallotButton`, packed once)."""
        key = (poll.id, action, value)
        found = self._packed.get(key)
        if found is None:
            if len(self._packed) > PACKED_KEPT:
                self._packed.clear()
            found = self._packed[key] = BallotButton(poll.id, action, value).pack()
        return found

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

    def picks_text(self, poll: Poll, picks: Sequence[int], language: str) -> str:
        """Chosen options, one a line: numbered when the order counts."""
        names = [escape(self.polls.label(poll.kind, poll.options[p], language)) for p in picks]
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
                    answer=Raw(self.picks_text(poll, answer, language)),
                )
            )
        if list(picks) != list(answer or []) and picks:
            states.append(
                t(language, "poll.state_picks", picks=Raw(self.picks_text(poll, picks, language)))
            )
        if not states:
            states.append(t(language, "poll.state_empty"))
        state = Raw("\n\n".join(states))
        closes = self.polls.local_time(poll.closes_at)
        if poll.kind == PRIORITY:
            text = t(
                language,
                "poll.ballot_priority",
                zone=zone,
                session=self.polls.session_title(poll, language),
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
                title = self.polls.axis_title(axes[axis], language)
                text = Raw(text + "\n\n" + t(language, "poll.axis_header", axis=title))
        return Message(text, self._buttons(poll, language, picks, axis))

    def _option_button(
        self, poll: Poll, option: PollOption, language: str, picks: Sequence[int]
    ) -> Button:
        label = self.polls.label(poll.kind, option, language)
        if len(label) > LABEL_MAX:
            label = label[: LABEL_MAX - 1] + "…"
        if option.position in picks:
            mark = KEYCAPS[picks.index(option.position)] if poll.ranked else "✅"
            label = f"{mark} {label}"
        return Button(label, self.data(poll, BallotAction.TAP, option.position))

    def _buttons(
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
                    title = self.polls.axis_title(axis_id, language)
                    if len(title) > LABEL_MAX - 6:
                        title = title[: LABEL_MAX - 7] + "…"
                    label = f"{title} ({chosen})" if chosen else title
                    data = self.data(poll, BallotAction.AXIS, index)
                    rows.append([Button(f"📂 {label}", data)])
            else:
                rows += [
                    [self._option_button(poll, option, language, picks)]
                    for option in poll.options
                    if (option.axis or "") == axes[axis]
                ]
                home = self.data(poll, BallotAction.HOME)
                rows.append([Button(t(language, "poll.back_button"), home)])
        else:
            rows += [[self._option_button(poll, o, language, picks)] for o in poll.options]
        if poll.kind == PRIORITY or poll.max_choices > 1:
            confirm = t(language, "poll.confirm_button", picked=len(picks), max=poll.max_choices)
            rows.append(
                [
                    Button(confirm, self.data(poll, BallotAction.CONFIRM)),
                    Button(t(language, "poll.clear_button"), self.data(poll, BallotAction.CLEAR)),
                ]
            )
        return rows

    # --- taps ---------------------------------------------------------------------------------
    async def tap(
        self, user_id: int, telegram_language: str | None, button: BallotButton | None
    ) -> Outcome:
        """A participant's button on a ballot (None: not a ballot button): validate
        everything, store, answer.

        The language comes with the voter's row (one read for both); only refusals before
        it is known look the user up.
        """
        t = self.catalog

        async def refuse(key: str, **params: object) -> Outcome:
            user = await self.users.get(user_id)
            language = language_for(telegram_language, user.language if user else None)
            return Outcome(alert=t(language, key, **params), close_keyboard=False)

        if button is None or not button.well_formed:
            return await refuse("button.invalid")
        found = await self.polls.poll(button.poll)
        if found is None:
            return await refuse("button.invalid")
        poll = await self.polls.fresh(found)
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
        out, picks, answer = await self._apply(poll, voter, language, button, now)
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
            if len(self._voters) > VOTERS_KEPT:
                self._voters.clear()
            self._voters[(poll.id, user_id)] = (versions, voter)
        return voter

    async def _apply(
        self,
        poll: Poll,
        voter: Voter,
        language: str,
        button: BallotButton,
        now: dt.datetime,
    ) -> tuple[Outcome, list[int], list[int] | None]:
        """Carry out a valid participant's tap on an open poll: the answer, and the picks
        and confirmed answer stored."""
        t = self.catalog
        invalid = Outcome(alert=t(language, "button.invalid"), close_keyboard=False)
        picks, answer = voter.picks, voter.answer
        axis: int | None = None
        out = Outcome(close_keyboard=False)
        action, value = button.action, button.value or 0
        if action is BallotAction.AXIS:
            axis = value
            axes = self._axis_order(poll)
            if not self.grouped(poll) or axis >= len(axes) or not self._folder(poll, axes[axis]):
                return invalid, voter.picks, voter.answer
        elif action is BallotAction.HOME:
            axis = None
        elif action is BallotAction.CLEAR:
            picks = []
            await self.store.save_picks(poll.id, voter.registration_id, picks, now)
            out.toast = t(language, "poll.toast_cleared")
        elif action is BallotAction.CONFIRM:
            if not picks:
                empty = Outcome(alert=t(language, "poll.alert_empty"), close_keyboard=False)
                return empty, picks, answer
            await self.store.save_answer(poll.id, voter.registration_id, picks, poll.ranked, now)
            answer = list(picks)
            out.toast = t(language, "poll.toast_saved")
        else:  # a tap on an option
            position = value
            if position >= len(poll.options):
                return invalid, voter.picks, voter.answer
            option = poll.options[position]
            name = self.polls.label(poll.kind, option, language)
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

    # --- /sondaggio for a participant ---------------------------------------------------------
    async def resend(self, user_id: int, language: str) -> Outcome:
        """A participant's ``/sondaggio``: the open polls of their table, as new ballots."""
        t = self.catalog
        now = self.clock.now()
        event = self.polls.current_event(now)
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
        polls = [
            await self.polls.fresh(p)
            for p in await self.polls.open_polls(event.id, registration.zone)
        ]
        polls = [p for p in polls if p.is_open]
        if not polls:
            return out.add(Message(t(language, "poll.none_open")))
        for poll in polls:
            await self.store.add_ballot(poll.id, registration.id, now)
            picks, answer = await self.store.ballot(poll.id, registration.id)
            out.add(self.ballot(poll, language, picks, answer))
        return out
