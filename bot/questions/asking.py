"""``/domanda`` (``/question``): a participant's question to the plenary.

A conversation on the kernel's engine (:class:`QuestionFlow`, steps :class:`AskStep`):

1. the text, 1 to ``questions.max_length`` characters (300 by default; ``/domanda <text>``
   gives it at once). Whitespace and line breaks are collapsed into single spaces (a
   question is one paragraph, read aloud and on the projector); invisible and control
   characters go. Too long: the length and the limit are said, the step stays and what was
   already answered (axis, name) is kept; empty, a sticker, a photo or a voice message: a
   polite note, nothing taken;
2. the axis it concerns: a button per axis of the event file and "no axis in particular";
   skipped when the window has its own axis (a round table's turn), which is the question's;
3. name or anonymous: "anonymous" first (the default), or the name the participant
   registered with (:func:`~bot.questions.policy.shown_name`); skipped, anonymous, when
   there is no name to show;
4. a summary (text, axis, name, and whether a moderator will see it first) with confirm /
   change the text / cancel. A new text sent at the summary replaces the one there.

On confirm the window and the registration are checked again: a window that closed in the
meantime refuses, says so (and which window is open now, if one is), and quotes the text so
it can be sent again. Otherwise the question is stored once per press (``dedupe``: the
summary's token; a second press finds the conversation over and is told "already sent"),
with :func:`~bot.questions.policy.initial_status`, handed to ``on_new_question`` (the
moderators' feed, part B), and the answer says whether it is public now or waits for a
moderator, with a button to the list (``/domande``).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.kernel.conversation import (
    NEXT,
    Content,
    Conversations,
    FlowButton,
    FlowData,
    Handled,
    Talk,
)
from bot.kernel.format import ellipsis
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Who, has_visible, strip_invisible
from bot.kernel.replies import Button, Keyboard, Message, Outcome, Reply
from bot.questions.gate import Asker, QuestionGate, Refusal
from bot.questions.policy import initial_status, shown_name
from bot.questions.question_buttons import OpenListButton
from config.event import Event, EventConfig
from storage.questions import NewQuestion, Question, QuestionRepository, QuestionStatus

log = logging.getLogger(__name__)

ASK = "question"
AXIS, NAME, CONFIRM, CHANGE, CANCEL = "a", "n", "ok", "t", "no"
NO_AXIS = "-"
ANONYMOUS, NAMED = "0", "1"
LABEL_MAX = 48  # characters of an axis title on a button

NewQuestionHook = Callable[[Question], Awaitable[None]]


class AskStep(StrEnum):
    """The steps of a question."""

    TEXT = "text"
    AXIS = "axis"
    NAME = "name"
    CONFIRM = "confirm"


@dataclass
class AskData(FlowData):
    """The question being written."""

    event: str
    window: str
    registration: int
    text: str = ""
    axis: str | None = None
    axis_chosen: bool = False  # the axis question is answered (None: no axis in particular)
    named: bool | None = None  # None: not asked yet


def clean_question(value: str) -> str:
    """A question's text as stored: one paragraph, invisible and control characters removed,
    spaces collapsed, trimmed ('' when nothing visible is left)."""
    text = " ".join(strip_invisible(value).split())
    text = "".join(c for c in text if unicodedata.category(c) != "Cc")
    return text if has_visible(text) else ""


def dedupe_key(token: str) -> str:
    """The ``dedupe`` key of the question confirmed with a question's ``token``."""
    return f"q:{token}"


def _label(title: str) -> str:
    return ellipsis(title, LABEL_MAX)


class QuestionFlow:
    """The question's conversation (see the module doc)."""

    name: ClassVar[str] = ASK
    data_type = AskData
    text_steps: frozenset[str] = frozenset({AskStep.TEXT})

    def __init__(
        self,
        conversations: Conversations,
        config: EventConfig,
        catalog: Catalog,
        gate: QuestionGate,
        store: QuestionRepository,
        on_new_question: NewQuestionHook,
    ) -> None:
        self.conversations = conversations
        self.config = config
        self.t = catalog
        self.gate = gate
        self.store = store
        self.on_new_question = on_new_question

    # --- entry points -----------------------------------------------------------------------
    async def begin(self, who: Who, language: str, asker: Asker, text: str | None) -> Outcome:
        """Start a question (with its text when ``/domanda <text>`` gave one)."""
        slot = asker.slot
        data = AskData(asker.event.id, slot.id, asker.registration.id)
        if slot.axis is not None:
            data.axis, data.axis_chosen = slot.axis.id, True
        if shown_name(asker.registration.display_name) is None:
            data.named = False
        out = Outcome()
        if text is not None:
            note = self._check_text(text, asker.event, language, data)
            if note is not None:
                out.add(Message(note))
        return await self.conversations.begin(who, self, data, language=language, out=out)

    async def on_stale(self, who: Who, button: FlowButton) -> Outcome | None:
        """A confirm pressed again after it was stored: "already sent", not "not valid"."""
        if button.action != CONFIRM:
            return None
        if await self.gate.reads.by_dedupe(dedupe_key(button.token)) is None:
            return None
        language = await self.conversations.languages.of(who)
        return Outcome(toast=self.t(language, "questions.already_sent"), close_keyboard=False)

    # --- the engine's side ------------------------------------------------------------------
    async def next_step(self, talk: Talk[AskData], who: Who | None) -> str:
        """Text, axis, name, confirm: the first not answered."""
        data = talk.data
        if not data.text:
            return AskStep.TEXT
        if not data.axis_chosen:
            return AskStep.AXIS
        if data.named is None:
            return AskStep.NAME
        return AskStep.CONFIRM

    async def question(self, talk: Talk[AskData], who: Who | None) -> list[Reply]:
        """The current step's question."""
        step = talk.step
        if step == AskStep.TEXT:
            return [self._ask_text(talk)]
        if step == AskStep.AXIS:
            return [self._ask_axis(talk)]
        if step == AskStep.NAME:
            return [await self._ask_name(talk)]
        return [await self._summary(talk)]

    def _event(self, data: AskData) -> Event:
        return self.config.event(data.event)

    def _title(self, data: AskData, language: str) -> str:
        for slot in self.config.question_windows(self._event(data)):
            if slot.id == data.window:
                return slot.title.get(language)
        return data.window

    def _cancel(self, talk: Talk[AskData]) -> Button:
        return talk.button(self.t(talk.language, "questions.cancel_button"), CANCEL)

    def _ask_text(self, talk: Talk[AskData]) -> Message:
        language, data = talk.language, talk.data
        text = self.t(
            language,
            "questions.ask_text",
            title=self._title(data, language),
            max=self._event(data).questions.max_length,
        )
        return Message(text, [[self._cancel(talk)]])

    def _ask_axis(self, talk: Talk[AskData]) -> Message:
        language = talk.language
        rows: Keyboard = [
            [
                talk.button(
                    f"{axis.id}. {ellipsis(axis.title.get(language), LABEL_MAX)}", AXIS, axis.id
                )
            ]
            for axis in self.config.axes
        ]
        rows.append([talk.button(self.t(language, "questions.no_axis_button"), AXIS, NO_AXIS)])
        rows.append([self._cancel(talk)])
        return Message(self.t(language, "questions.ask_axis"), rows)

    async def _name(self, talk: Talk[AskData]) -> str | None:
        registration = await self.gate.registrations.get(talk.data.registration)
        return shown_name(registration.display_name) if registration is not None else None

    async def _ask_name(self, talk: Talk[AskData]) -> Message:
        language = talk.language
        name = await self._name(talk) or "?"
        rows: Keyboard = [
            [talk.button(self.t(language, "questions.anonymous_button"), NAME, ANONYMOUS)],
            [talk.button(self.t(language, "questions.named_button", name=name), NAME, NAMED)],
            [self._cancel(talk)],
        ]
        return Message(self.t(language, "questions.ask_name", name=name), rows)

    def axis_title(self, axis_id: str | None, language: str) -> str:
        """An axis's title (its id when the event file no longer has it)."""
        if axis_id is None:
            return str(self.t(language, "questions.no_axis"))
        axis = next((a for a in self.config.axes if a.id == axis_id), None)
        return f"{axis_id}. {axis.title.get(language)}" if axis is not None else axis_id

    async def _summary(self, talk: Talk[AskData]) -> Message:
        language, data = talk.language, talk.data
        name = await self._name(talk) if data.named else None
        status = initial_status(self._event(data), bool(data.named and name))
        moderated = status is QuestionStatus.PENDING
        text = self.t(
            language,
            "questions.summary",
            title=self._title(data, language),
            text=data.text,
            axis=self.axis_title(data.axis, language),
            name=name or self.t(language, "questions.anonymous"),
            after=self.t(
                language, "questions.summary_pending" if moderated else "questions.summary_public"
            ),
        )
        buttons: Keyboard = [
            [talk.button(self.t(language, "questions.confirm_button"), CONFIRM)],
            [
                talk.button(self.t(language, "questions.change_text_button"), CHANGE),
                self._cancel(talk),
            ],
        ]
        return Message(text, buttons)

    async def on_button(
        self, talk: Talk[AskData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """Cancel; an axis; name or anonymous; change the text; confirm."""
        data, step = talk.data, talk.step
        if action == CANCEL:
            await self.conversations.end(who.user_id)
            return Outcome(edit=Message(self.t(talk.language, "questions.cancelled")))
        if action == AXIS and step == AskStep.AXIS:
            if value != NO_AXIS and not any(a.id == value for a in self.config.axes):
                return None
            data.axis, data.axis_chosen = (None if value == NO_AXIS else value), True
            return NEXT
        if action == NAME and step == AskStep.NAME and value in (ANONYMOUS, NAMED):
            data.named = value == NAMED
            return NEXT
        if action == CHANGE and step == AskStep.CONFIRM:
            data.text = ""  # asked again; the axis and the name kept
            return NEXT
        if action == CONFIRM and step == AskStep.CONFIRM:
            return await self._save(talk, who)
        return None

    def _check_text(self, text: str, event: Event, language: str, data: AskData) -> Raw | None:
        """Take ``text`` as the question's (None), or say why not (nothing taken)."""
        cleaned = clean_question(text)
        limit = event.questions.max_length
        if not cleaned:
            return self.t(language, "questions.empty", max=limit)
        if len(cleaned) > limit:
            return self.t(language, "questions.too_long", length=len(cleaned), max=limit)
        data.text = cleaned
        return None

    async def on_text(self, talk: Talk[AskData], text: str, who: Who) -> Handled:
        """The question's text (at the summary: a new text replaces it)."""
        if talk.step not in (AskStep.TEXT, AskStep.CONFIRM):
            return None
        previous = talk.data.text
        note = self._check_text(text, self._event(talk.data), talk.language, talk.data)
        if note is not None:
            talk.data.text = previous
            talk.say(note)
            return await self.conversations.ask(talk, who)
        return NEXT

    async def on_content(self, talk: Talk[AskData], content: Content, who: Who) -> Handled:
        """A sticker, photo, voice message...: a question is text (nothing taken)."""
        if talk.step not in (AskStep.TEXT, AskStep.CONFIRM):
            return None
        talk.say(self.t(talk.language, "questions.only_text"))
        return await self.conversations.ask(talk, who)

    async def _save(self, talk: Talk[AskData], who: Who) -> Outcome:
        """Check again (the window, the registration), then store it once."""
        language, data = talk.language, talk.data
        event = self._event(data)
        refused = await self._still_possible(talk, event, who)
        if refused is not None:
            await self.conversations.end(who.user_id)
            return Outcome(edit=Message(refused))
        registration = await self.gate.registrations.get(data.registration)
        name = shown_name(registration.display_name) if registration is not None else None
        named = bool(data.named and name)
        new = NewQuestion(
            event_id=event.id,
            window_id=data.window,
            text=data.text,
            registration_id=data.registration,
            mode=registration.mode if registration is not None else "in_person",
            language=language,
            named=named,
            shown_name=name if named else None,
            axis=data.axis,
            status=initial_status(event, named),
            dedupe=dedupe_key(talk.token),
        )
        question, created = await self.store.add(new, self.gate.now())
        await self.conversations.end(who.user_id)
        if created:
            log.info(
                "question stored: event=%s window=%s question=%d status=%s named=%s mode=%s",
                event.id,
                data.window,
                question.id,
                question.status.value,
                named,
                new.mode,
            )
            await self.on_new_question(question)
        key = "questions.sent_public" if question.public else "questions.sent_pending"
        text = self.t(language, key, number=question.id, title=self._title(data, language))
        button = Button(self.t(language, "questions.list_button"), OpenListButton().pack())
        return Outcome().add(Message(text, [[button]]))

    async def _still_possible(self, talk: Talk[AskData], event: Event, who: Who) -> Raw | None:
        """Why the question can no longer be sent (None: it can)."""
        language, data = talk.language, talk.data
        if self.gate.slot(data.event, data.window) is None:
            now_open = self.gate.open_now()
            after = (
                self.t(language, "questions.other_window", title=now_open[1].title.get(language))
                if now_open is not None
                else self.gate.closed(language, {data.event})
            )
            return self.t(
                language,
                "questions.window_closed",
                title=self._title(data, language),
                text=data.text,
                after=after,
            )
        registration = await self.gate.registration(event, who.user_id, language)
        if isinstance(registration, Refusal):
            return self.t(language, "questions.not_sent", why=registration)
        if registration.id != data.registration:
            return self.t(language, "questions.not_sent", why=self.t(language, "questions.changed"))
        return None

    def takes_any_message(self, talk: Talk[AskData]) -> bool:
        """Texts are texts (anything else comes as content)."""
        return False

    def stopped(self, talk: Talk[AskData]) -> str:
        """``/annulla``: nothing sent."""
        return "questions.cancelled"
