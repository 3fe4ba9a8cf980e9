"""A facilitator's quick question: typed, previewed, then opened at the table.

From the zone's panel ("Quick question"): the facilitator types the question on the first
line and 2 to 10 answers one per line (:func:`~bot.polls.service.parse_quick`), sees the
preview, and chooses single choice (a tap is the answer) or multiple choice (taps, then
confirm); the poll opens in the current table session like the priority poll.

It is a conversation on the kernel's engine (:class:`QuickPollFlow`, steps
:class:`QuickStep`): the engine stores it, gives each question's buttons a fresh token,
and routes ``/annulla`` to it; a question left untyped for :data:`~bot.polls.desk.SETUP_TTL`
is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from bot.kernel.conversation import NEXT, Content, Conversations, FlowData, Handled, Talk
from bot.kernel.i18n import Raw, escape
from bot.kernel.people import Who
from bot.kernel.replies import Keyboard, Message, Outcome, Reply
from bot.polls.desk import CANCEL, StaffDesk
from bot.polls.panel import PollPanel
from bot.polls.service import OPTION_MAX, QUESTION_MAX, QUICK_OPTIONS, parse_quick
from storage.polls import QUICK

POLL_QUICK = "poll_quick"
CHOICE = "c"  # the action of the single/multiple buttons
SINGLE, MULTIPLE = "1", "n"


class QuickStep(StrEnum):
    """The steps of a quick question."""

    TEXT = "text"  # the question and its answers, typed
    CHOICE = "choice"  # single or multiple choice, under the preview


@dataclass
class QuickData(FlowData):
    """The quick question being set up."""

    zone: int
    question: str | None = None
    answers: list[str] = field(default_factory=list)


class QuickPollFlow:
    """The quick question's conversation."""

    name: ClassVar[str] = POLL_QUICK
    data_type = QuickData
    text_steps: frozenset[str] = frozenset({QuickStep.TEXT})

    def __init__(self, desk: StaffDesk, panel: PollPanel, conversations: Conversations) -> None:
        self.desk = desk
        self.panel = panel
        self.conversations = conversations
        self.t = desk.t

    async def start(self, who: Who, language: str, zone: int) -> Outcome:
        """The "Quick question" button of a zone's panel: ask for the text."""
        now = self.desk.now()
        event = self.desk.polls.current_event(now)
        if event is None or self.desk.polls.session(event, now) is None:
            return self.desk.alert(language, "poll.no_session_alert")
        return await self.conversations.begin(who, self, QuickData(zone), language=language)

    async def next_step(self, talk: Talk[QuickData], who: Who | None) -> str:
        """The text, then the choice."""
        return QuickStep.TEXT if talk.data.question is None else QuickStep.CHOICE

    async def question(self, talk: Talk[QuickData], who: Who | None) -> list[Reply]:
        """ "Type the question and the answers", or the preview and single/multiple."""
        t, language, data = self.t, talk.language, talk.data
        cancel = self.desk.cancel_row(talk)
        if talk.step == QuickStep.TEXT:
            text = t(
                language,
                "poll.quick_ask",
                zone=self.desk.zone(data.zone),
                low=QUICK_OPTIONS[0],
                high=QUICK_OPTIONS[1],
            )
            return [Message(text, [cancel])]
        preview = t(
            language,
            "poll.quick_preview",
            question=data.question or "",
            options=Raw("\n".join(f"• {escape(a)}" for a in data.answers)),
        )
        buttons: Keyboard = [
            [
                talk.button(t(language, "poll.quick_single"), CHOICE, SINGLE),
                talk.button(t(language, "poll.quick_multiple"), CHOICE, MULTIPLE),
            ],
            cancel,
        ]
        return [Message(preview, buttons)]

    async def on_text(self, talk: Talk[QuickData], text: str, who: Who) -> Handled:
        """The question and its answers (else how to type them)."""
        if talk.step != QuickStep.TEXT:
            return None
        parsed = parse_quick(text)
        if parsed is None:
            message = self.t(
                talk.language,
                "poll.quick_invalid",
                low=QUICK_OPTIONS[0],
                high=QUICK_OPTIONS[1],
                qmax=QUESTION_MAX,
                omax=OPTION_MAX,
            )
            return talk.out.add(Message(message, [self.desk.cancel_row(talk)]))
        talk.data.question, talk.data.answers = parsed
        return NEXT

    async def on_button(
        self, talk: Talk[QuickData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """Cancel; or single/multiple choice: the poll opens."""
        language, data = talk.language, talk.data
        if action == CANCEL:
            await self.conversations.end(who.user_id)
            return Outcome(edit=Message(self.t(language, "poll.draft_cancelled")))
        if talk.step != QuickStep.CHOICE or action != CHOICE or value not in (SINGLE, MULTIPLE):
            return None
        if not await self.desk.may_act(who.user_id, data.zone):
            return self.desk.alert(language, "poll.staff_only")
        await self.conversations.end(who.user_id)
        return await self.panel.open(
            who,
            language,
            data.zone,
            kind=QUICK,
            max_choices=1 if value == SINGLE else len(data.answers),
            question=data.question,
            answers=data.answers,
        )

    async def on_content(self, talk: Talk[QuickData], content: Content, who: Who) -> Handled:
        """The question is typed."""
        return None

    def takes_any_message(self, talk: Talk[QuickData]) -> bool:
        """Only typed text and buttons."""
        return False

    def stopped(self, talk: Talk[QuickData]) -> str:
        """``/annulla``: nothing is opened."""
        return "poll.draft_cancelled"
