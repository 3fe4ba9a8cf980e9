"""Manual counts (``/conteggi``, ``/counts``): answers of people without Telegram.

A show of hands or paper: the facilitator picks the poll (when the zone has several), an
option, the rank (or "order unknown"; a quick poll has no ranks), then types the number;
and, apart, how many people answered by hand. The counts are stored apart from the Telegram
answers and shown as such.

Typing a number is a conversation on the kernel's engine (:class:`CountsFlow`, steps
:class:`CountStep`): the engine stores it, gives its "cancel" button a fresh token and
routes ``/annulla`` to it; a count left untyped for :data:`~bot.polls.desk.SETUP_TTL` is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.kernel.conversation import Content, Conversations, FlowData, Handled, Talk
from bot.kernel.i18n import Raw, escape
from bot.kernel.people import Who
from bot.kernel.replies import Button, Keyboard, Message, Outcome, Reply
from bot.polls.buttons import CountAction, CountButton, PollAction, PollButton, ZoneCommand
from bot.polls.desk import CANCEL, StaffDesk, short
from bot.polls.results import manual_respondents
from bot.polls.texts import ResultsPresenter
from storage.polls import Poll

MAX_COUNT = 10_000
POLL_COUNTS = "poll_counts"


class CountStep(StrEnum):
    """What the count being typed is."""

    COUNT = "count"  # how many chose an option (at a rank)
    PEOPLE = "people"  # how many people answered by hand


@dataclass
class CountData(FlowData):
    """The count being typed: the poll, and the option and rank (or the people)."""

    poll: int
    position: int | None = None
    rank: int | None = None  # None: order unknown, or a quick poll
    people: bool = False


class CountsFlow:
    """Typing a manual count."""

    name: ClassVar[str] = POLL_COUNTS
    data_type = CountData
    text_steps: frozenset[str] = frozenset({CountStep.COUNT, CountStep.PEOPLE})

    def __init__(self, counts: ManualCounts) -> None:
        self.c = counts

    async def next_step(self, talk: Talk[CountData], who: Who | None) -> str:
        """The one step: the count."""
        return CountStep.PEOPLE if talk.data.people else CountStep.COUNT

    async def question(self, talk: Talk[CountData], who: Who | None) -> list[Reply]:
        """ "How many?", with a cancel button."""
        t, language, data = self.c.t, talk.language, talk.data
        if talk.step == CountStep.PEOPLE:
            text = t(language, "poll.counts_ask_people", max=MAX_COUNT)
        else:
            poll = await self.c.polls.poll(data.poll)
            position = data.position or 0
            option = (
                self.c.polls.label(poll.kind, poll.options[position], language)
                if poll is not None and position < len(poll.options)
                else ""
            )
            where = (
                t(language, "poll.counts_at_rank", rank=self.c.texts.ordinal(language, data.rank))
                if data.rank
                else ""
            )
            text = t(language, "poll.counts_ask", option=option, where=where, max=MAX_COUNT)
        return [Message(text, [self.c.desk.cancel_row(talk)])]

    async def on_button(
        self, talk: Talk[CountData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """Cancel: nothing is stored."""
        if action != CANCEL:
            return None
        await self.c.conversations.end(who.user_id)
        return Outcome(edit=Message(self.c.t(talk.language, "poll.draft_cancelled")))

    async def on_text(self, talk: Talk[CountData], text: str, who: Who) -> Handled:
        """The number: stored, and the counts panel again (or how to type it)."""
        c, language, data = self.c, talk.language, talk.data
        value = text.strip()
        if not value.isdigit() or int(value) > MAX_COUNT:
            message = c.t(language, "poll.counts_invalid", max=MAX_COUNT)
            return talk.out.add(Message(message, [c.desk.cancel_row(talk)]))
        await c.conversations.end(who.user_id)
        poll = await c.polls.poll(data.poll)
        if poll is None or not await c.desk.may_act(who.user_id, poll.zone):
            return talk.out.add(Message(c.t(language, "poll.staff_only")))
        count = int(value)
        if data.people:
            await c.polls.set_manual_respondents(poll, count)
        else:
            await c.store.set_manual(
                poll.id, data.position or 0, data.rank, count, who.user_id, c.desk.now()
            )
        poll = await c.polls.poll(poll.id) or poll
        lead = str(c.t(language, "poll.counts_saved"))
        return talk.out.add(await c.panel(poll, language, lead=lead))

    async def on_content(self, talk: Talk[CountData], content: Content, who: Who) -> Handled:
        """A count is typed."""
        return None

    def takes_any_message(self, talk: Talk[CountData]) -> bool:
        """Only typed numbers."""
        return False

    def stopped(self, talk: Talk[CountData]) -> str:
        """``/annulla``: nothing is stored."""
        return "poll.draft_cancelled"


class ManualCounts:
    """``/conteggi``: the poll, the option, the rank, then the number (a conversation)."""

    def __init__(
        self, desk: StaffDesk, texts: ResultsPresenter, conversations: Conversations
    ) -> None:
        self.desk = desk
        self.polls = desk.polls
        self.store = desk.store
        self.texts = texts
        self.conversations = conversations
        self.t = desk.t
        self.flow = CountsFlow(self)

    async def counts_command(self, who: Who) -> Outcome:
        """``/conteggi``: pick the zone (if several), then the poll, then counts."""
        language = await self.desk.language(who)
        zones = await self.desk.staff_zones(who.user_id)
        if zones is None:
            return Outcome().add(Message(self.t(language, "poll.staff_only")))
        if len(zones) == 1:
            return await self.for_zone(language, zones[0])
        return self.desk.zone_picker(language, ZoneCommand.COUNTS, zones)

    async def for_zone(self, language: str, zone: int) -> Outcome:
        """The zone's polls to pick from (one: its counts at once)."""
        event = await self.polls.results_event()
        polls = await self.polls.polls(event.id, zone) if event else []
        if not polls:
            return Outcome().add(
                Message(self.t(language, "poll.no_polls", zone=self.desk.zone(zone)))
            )
        if len(polls) == 1:
            return Outcome().add(await self.panel(polls[0], language))
        buttons = [
            [
                Button(
                    f"{self.polls.local_time(p.opened_at)} · "
                    f"{short(self.polls.title(p, language))}",
                    PollButton(PollAction.COUNTS, p.id).pack(),
                )
            ]
            for p in reversed(polls)
        ]
        return Outcome().add(Message(self.t(language, "poll.counts_pick_poll"), buttons))

    async def panel(self, poll: Poll, language: str, *, lead: str = "") -> Message:
        """The manual counts of a poll, with a button per option and one for the people."""
        t = self.t
        tally = (await self.store.tallies([poll.id]))[poll.id]
        result = self.polls.tally(poll, tally)
        people = manual_respondents(result)
        people_text = (
            str(people)
            if poll.manual_respondents is not None
            else str(t(language, "poll.counts_people_estimated", number=people))
        )
        lines = []
        buttons: Keyboard = []
        for option in poll.options:
            name = self.polls.label(poll.kind, option, language)
            counts = sorted(
                (
                    (rank, n)
                    for (position, rank), n in tally.manual.items()
                    if position == option.position
                ),
                key=lambda item: item[0] or 99,
            )
            total = sum(n for _, n in counts)
            if counts:
                parts = ", ".join(
                    f"{self.texts.ordinal(language, rank)}: {n}"
                    if rank
                    else f"{t(language, 'poll.rank_unknown_short')}: {n}"
                    for rank, n in counts
                )
                if not poll.ranked:
                    parts = str(total)
                lines.append(f"• {escape(name)}: {escape(parts)}")
            label = f"{short(name, 40)} ({total})" if total else short(name, 46)
            data = CountButton(CountAction.OPTION, poll.id, option.position).pack()
            buttons.append([Button(label, data)])
        people_button = t(language, "poll.counts_people_button", number=people)
        buttons.append([Button(people_button, PollButton(PollAction.PEOPLE, poll.id).pack())])
        text = t(
            language,
            "poll.counts_panel",
            title=self.polls.title(poll, language),
            zone=self.desk.zone(poll.zone),
            people=people_text,
            lines=Raw("\n".join(lines)) if lines else t(language, "poll.counts_none"),
        )
        if lead:
            text = Raw(lead + "\n\n" + text)
        return Message(text, buttons)

    async def option(self, who: Who, language: str, poll: Poll, button: CountButton) -> Outcome:
        """An option picked (``mo``), or its rank (``mk``): the rank to pick, or the number
        to type."""
        if button.position >= len(poll.options):
            return self.desk.alert(language, "button.invalid")
        if button.action is CountAction.RANK:
            rank = button.rank or 0
            if not poll.ranked or rank > poll.max_choices:
                return self.desk.alert(language, "button.invalid")
            return await self._ask_count(who, language, poll, button.position, rank or None)
        if not poll.ranked:
            return await self._ask_count(who, language, poll, button.position, None)
        option = self.polls.label(poll.kind, poll.options[button.position], language)

        def rank_button(label: str, rank: int) -> Button:
            data = CountButton(CountAction.RANK, poll.id, button.position, rank).pack()
            return Button(label, data)

        buttons: Keyboard = [
            [
                rank_button(self.texts.ordinal(language, rank), rank)
                for rank in range(1, poll.max_choices + 1)
            ],
            [rank_button(self.t(language, "poll.rank_unknown"), 0)],
        ]
        text = self.t(language, "poll.counts_pick_rank", option=option)
        return Outcome(close_keyboard=False).add(Message(text, buttons))

    async def ask_people(self, who: Who, language: str, poll: Poll) -> Outcome:
        """ "How many people answered by hand?" (the counts panel stays as it is)."""
        data = CountData(poll.id, people=True)
        out = Outcome(close_keyboard=False)
        return await self.conversations.begin(who, self.flow, data, language=language, out=out)

    async def _ask_count(
        self, who: Who, language: str, poll: Poll, position: int, rank: int | None
    ) -> Outcome:
        data = CountData(poll.id, position=position, rank=rank)
        return await self.conversations.begin(who, self.flow, data, language=language)
