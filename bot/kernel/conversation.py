"""The conversation engine: every multi-step flow runs on it, as an equal.

A user has at most one open conversation, stored in SQLite at every step
(:mod:`storage.conversations`), so a restart resumes it where it was. A flow (registration,
setting a link, composing a broadcast, a facilitator's quick question...) says, for its
typed data: which step comes next (:meth:`Flow.next_step`, filling in what needs no question),
the question of a step (:meth:`Flow.question`) and what a button, a text or other content
does (:meth:`Flow.on_button`, :meth:`Flow.on_text`, :meth:`Flow.on_content`). The engine
does the rest: it stores the conversation, gives every question a fresh random token that
its buttons carry (``r|<token>|<action>|<value>``, :class:`FlowButton`), tells a button of an
older question or forged data from a current one, and answers the unexpected politely with
the current question again.

A flow's handler returns:

- :data:`NEXT`: the answer is taken; the engine asks the next step;
- an :class:`~bot.kernel.replies.Outcome`: the flow has answered (and ended the conversation
  if it is over, with :meth:`Conversations.end`);
- ``None``: this makes no sense at this step; the engine says so and asks again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, Self, TypeVar

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import Clock
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Message, Outcome, Reply
from storage.conversations import Conversation, ConversationRepository


@dataclass(frozen=True)
class FlowButton(ButtonData, prefix="r"):
    """A button of a conversation's current question."""

    token: str
    action: str
    value: str = ""


class Next(enum.Enum):
    """The answer is taken: ask the next step."""

    NEXT = "next"


NEXT = Next.NEXT
Handled = Outcome | Next | None


class FlowData:
    """Base of a flow's typed data: a dataclass stored as JSON (unknown keys are dropped, so
    a conversation saved by an older version still loads)."""

    def to_json(self) -> dict[str, Any]:
        """The data as a JSON object: the answers given (fields still at their default, i.e.
        not answered, are left out)."""
        stored: dict[str, Any] = {}
        for field_ in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field_.name)
            if field_.default is not dataclasses.MISSING and value == field_.default:
                continue
            if (
                field_.default_factory is not dataclasses.MISSING
                and value == field_.default_factory()
            ):
                continue
            stored[field_.name] = value
        return stored

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self:
        """The data stored as ``raw``."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{key: value for key, value in raw.items() if key in names})


@dataclass(frozen=True)
class Content:
    """A message that is neither a command nor plain text: a photo, a file, a sticker..."""

    kind: str  # "photo", "document", "sticker", "location", ... (Telegram's field name)
    message_id: int
    caption: str | None = None
    filename: str | None = None
    size: int | None = None  # of the file, in bytes, when Telegram says
    download: Callable[[], Awaitable[bytes]] | None = None  # the file, when there is one
    chat_id: int | None = None  # where the message is (to copy it, e.g. a broadcast)
    file_id: str | None = None  # a photo's (largest size), to send it again by reference


D = TypeVar("D", bound=FlowData)


@dataclass
class Talk(Generic[D]):
    """A conversation in progress, as a flow sees it: its step, its data, its answer."""

    user_id: int
    flow: str
    step: str
    data: D
    language: str
    out: Outcome = field(default_factory=Outcome)
    token: str = ""

    def button(self, label: str, action: str, value: str = "") -> Button:
        """A button of the current question."""
        return Button(label, FlowButton(self.token, action, value).pack())

    def say(self, message: Raw | str) -> None:
        """Add a message (a note before the question, a result)."""
        self.out.add(Message(message))


class Flow(Protocol[D]):
    """A multi-step conversation run by :class:`Conversations`."""

    @property
    def name(self) -> str:
        """The flow's name, stored with the conversation."""
        ...

    @property
    def data_type(self) -> type[D]:
        """Its typed data."""
        ...

    @property
    def text_steps(self) -> frozenset[str]:
        """The steps that expect a typed answer."""
        ...

    async def next_step(self, talk: Talk[D], who: Who | None) -> str:
        """The first unanswered step (filling in what needs no question)."""
        ...

    async def question(self, talk: Talk[D], who: Who | None) -> list[Reply]:
        """The question of the current step (buttons made with :meth:`Talk.button`)."""
        ...

    async def on_button(
        self, talk: Talk[D], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """A button of the current question (``pressed``: the message it is on)."""
        ...

    async def on_text(self, talk: Talk[D], text: str, who: Who) -> Handled:
        """A typed answer."""
        ...

    async def on_content(self, talk: Talk[D], content: Content, who: Who) -> Handled:
        """A photo, a file, a sticker... (None: "this step wants text / buttons")."""
        ...

    def takes_any_message(self, talk: Talk[D]) -> bool:
        """Whether this step takes whatever is sent, text included, as content (the message
        a broadcast copies)."""
        ...

    def stopped(self, talk: Talk[D]) -> str:
        """The catalog key that answers ``/annulla`` during this flow."""
        ...


StaleHandler = Callable[[Who, FlowButton], Awaitable[Outcome | None]]


class Conversations:
    """Runs every flow: stores the step, asks, routes buttons, texts and content."""

    def __init__(
        self,
        store: ConversationRepository,
        languages: Languages,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        self.store = store
        self.languages = languages
        self.catalog = catalog
        self.clock = clock
        self._flows: dict[str, Flow[Any]] = {}
        self._ttl: dict[str, dt.timedelta] = {}
        self._stale: list[StaleHandler] = []

    def add(self, flow: Flow[Any], *, ttl: dt.timedelta | None = None) -> None:
        """Run ``flow`` (by its name) from now on; with ``ttl``, a conversation of it whose
        question was asked longer ago than that is over, as if there were none (a
        facilitator's quick question left half-typed does not take a text hours later)."""
        self._flows[flow.name] = flow
        if ttl is not None:
            self._ttl[flow.name] = ttl

    def on_stale(self, handler: StaleHandler) -> None:
        """Give ``handler`` a look at stale presses first (e.g. a summary already confirmed:
        "already registered", not "no longer valid")."""
        self._stale.append(handler)

    def handles(self, flow_name: str) -> bool:
        """Whether a flow of that name runs here."""
        return flow_name in self._flows

    async def is_open(self, user_id: int) -> bool:
        """Whether the user has a conversation open (of any flow, known here or not)."""
        return await self.store.get(user_id) is not None

    # --- lifecycle ---------------------------------------------------------------------------
    async def begin(
        self,
        who: Who,
        flow: Flow[D],
        data: D,
        *,
        language: str | None = None,
        out: Outcome | None = None,
    ) -> Outcome:
        """Start ``flow`` for ``who`` (replacing any open conversation) and ask its first
        unanswered step."""
        talk: Talk[D] = Talk(
            who.user_id,
            flow.name,
            "",
            data,
            language or await self.languages.of(who),
            out or Outcome(),
        )
        return await self.advance(talk, who)

    async def advance(self, talk: Talk[Any], who: Who | None) -> Outcome:
        """Fill in what needs no question, then ask the first unanswered step."""
        flow = self._flows[talk.flow]
        talk.step = await flow.next_step(talk, who)
        return await self.ask(talk, who)

    async def ask(self, talk: Talk[Any], who: Who | None = None) -> Outcome:
        """Ask the current step, under a fresh token (older buttons become stale)."""
        flow = self._flows[talk.flow]
        talk.token = secrets.token_urlsafe(6)[:8]
        await self.save(talk)
        talk.out.add(*await flow.question(talk, who))
        return talk.out

    async def save(self, talk: Talk[Any]) -> None:
        """Store the conversation as it is now."""
        conversation = Conversation(
            talk.user_id, talk.flow, talk.step, talk.token, talk.data.to_json()
        )
        await self.store.save(conversation, self.now())

    async def end(self, user_id: int) -> None:
        """End the user's conversation."""
        await self.store.delete(user_id)

    async def open(
        self, who: Who, *, language: str | None = None, out: Outcome | None = None
    ) -> Talk[Any] | None:
        """The user's open conversation (None when there is none, or its flow is not run
        here any more)."""
        conversation = await self.store.get(who.user_id)
        if conversation is None or conversation.flow not in self._flows:
            return None
        ttl = self._ttl.get(conversation.flow)
        asked = conversation.updated_at
        if ttl is not None and asked is not None and self.now() - asked > ttl:
            await self.end(who.user_id)
            return None
        flow = self._flows[conversation.flow]
        return Talk(
            conversation.user_id,
            conversation.flow,
            conversation.step,
            flow.data_type.from_json(conversation.data),
            language or await self.languages.of(who),
            out or Outcome(),
            conversation.token,
        )

    def now(self) -> dt.datetime:
        """The clock's time."""
        return self.clock.now()

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    # --- what users send -------------------------------------------------------------------
    async def reask(self, who: Who, out: Outcome, language: str | None = None) -> Outcome:
        """Append the current question, if a conversation is open, to ``out``."""
        talk = await self.open(who, language=language, out=out)
        if talk is not None:
            await self.ask(talk, who)
        return out

    async def text(self, who: Who, text: str, message: Content | None = None) -> Outcome | None:
        """A typed answer to the current question (``message``: the message itself); None
        when no conversation is open."""
        talk = await self.open(who)
        if talk is None:
            return None
        flow = self._flows[talk.flow]
        if message is not None and flow.takes_any_message(talk):
            handled = await flow.on_content(talk, message, who)
        else:
            handled = await flow.on_text(talk, text, who)
        if handled is None:
            talk.say(self.t(talk.language, "flow.use_buttons"))
            return await self.ask(talk, who)
        return await self._after(talk, handled, who)

    async def content(self, who: Who, content: Content) -> Outcome | None:
        """A photo, file, sticker... during a conversation; None when none is open."""
        talk = await self.open(who)
        if talk is None:
            return None
        flow = self._flows[talk.flow]
        handled = await flow.on_content(talk, content, who)
        if handled is None:
            key = "flow.expect_text" if talk.step in flow.text_steps else "flow.use_buttons"
            talk.say(self.t(talk.language, key))
            return await self.ask(talk, who)
        return await self._after(talk, handled, who)

    async def press(self, who: Who, button: FlowButton, pressed: int | None) -> Outcome:
        """A conversation button: the next step, or an alert when it is stale or makes no
        sense at this step (the current question is asked again)."""
        talk = await self.open(who)
        if talk is None or talk.token != button.token:
            for handler in self._stale:
                answered = await handler(who, button)
                if answered is not None:
                    return answered
            return await self.invalid(who, "button.stale")
        flow = self._flows[talk.flow]
        handled = await flow.on_button(talk, button.action, button.value, who, pressed)
        if handled is None:
            talk.out.alert = self.t(talk.language, "button.invalid")
            return await self.ask(talk, who)
        outcome = await self._after(talk, handled, who)
        # the next question (or the result) takes the place of the one just answered
        outcome.in_place = True
        return outcome

    async def invalid(self, who: Who, key: str) -> Outcome:
        """An alert for a button that does not (or no longer) belong here; the current
        question again, if any."""
        language = await self.languages.of(who)
        out = Outcome(alert=self.t(language, key))
        return await self.reask(who, out, language)

    async def stop(self, who: Who) -> Outcome | None:
        """``/annulla`` during a conversation: it ends, and the flow says so; None when no
        conversation is open."""
        talk = await self.open(who)
        if talk is None:
            return None
        await self.end(who.user_id)
        talk.say(self.t(talk.language, self._flows[talk.flow].stopped(talk)))
        return talk.out

    async def _after(self, talk: Talk[Any], handled: Outcome | Next, who: Who) -> Outcome:
        if isinstance(handled, Next):
            return await self.advance(talk, who)
        return handled
