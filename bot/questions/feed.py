"""New questions pushed to the moderators, and the card every moderation message shows.

Every new question (part A calls :meth:`ModerationFeed.on_new_question` once it is stored)
is queued in the outbox (kind ``question_feed``, one row per recipient, sent before bulk
traffic) to the event's moderators — those invited for that event or for every event — or,
when the event has none, to the organisers. The card is rendered when it is sent, so a
question another moderator already handled arrives as it stands. When a moderator acts on a
question, the other moderators' feed messages about it follow (kind ``question_feed_update``:
edited in place to the new card, with who did it and when; an update overtaken by a later
change is skipped, the later one shows it). The presser's own message is edited by the press
itself.

A card (:meth:`QuestionCards.card`): the question's number, its window (and axis), the text,
the name or "anonymous", in the room or online, its status (with the hide reason or the
question it was merged into), its supports, when it was asked; after an action, who did it
and when. Its buttons follow the status: pending → publish, highlight, hide, merge;
published → highlight, answered, hide, merge; highlighted → answered, not answered;
answered → not answered; hidden or merged → show again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.kernel.i18n import Catalog, Raw
from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.people import Languages
from bot.kernel.replies import Button, Keyboard, Message
from bot.questions import policy
from bot.questions.moderation_buttons import ModAction, ModerationButton
from bot.questions.notices import reason_text
from bot.staff.roles import Roles
from config.event import EventConfig
from storage.outbox import PERSON, OutboxRepository, OutboxRow, Planned
from storage.question_moderation import QuestionModeration
from storage.questions import Question, QuestionAction, QuestionRepository, QuestionStatus

KIND = "question_feed"  # the outbox kind
UPDATE = "question_feed_update"  # the outbox kind: a feed message edited to the new card
FEED_VALIDITY = dt.timedelta(hours=12)
UPDATE_VALIDITY = dt.timedelta(hours=1)

# The buttons of a card, by the question's status (rows of actions).
_ACTIONS: dict[QuestionStatus, list[list[ModAction]]] = {
    QuestionStatus.PENDING: [
        [ModAction.PUBLISH, ModAction.HIGHLIGHT],
        [ModAction.HIDE, ModAction.MERGE],
    ],
    QuestionStatus.PUBLISHED: [
        [ModAction.HIGHLIGHT, ModAction.ANSWERED],
        [ModAction.HIDE, ModAction.MERGE],
    ],
    QuestionStatus.HIGHLIGHTED: [[ModAction.ANSWERED, ModAction.REOPEN]],
    QuestionStatus.ANSWERED: [[ModAction.REOPEN]],
    QuestionStatus.HIDDEN: [[ModAction.SHOW]],
    QuestionStatus.MERGED: [[ModAction.SHOW]],
}
BUTTON_LABELS = {  # an action -> its label, moderation.button.<label>
    ModAction.PUBLISH: "publish",
    ModAction.HIDE: "hide",
    ModAction.MERGE: "merge",
    ModAction.HIGHLIGHT: "highlight",
    ModAction.ANSWERED: "answered",
    ModAction.SHOW: "show",
    ModAction.REOPEN: "reopen",
}


class QuestionCards:
    """A question as moderators see it, with the buttons its status allows."""

    def __init__(self, config: EventConfig, catalog: Catalog) -> None:
        self.config = config
        self.catalog = catalog

    def local_time(self, when: dt.datetime) -> str:
        """``10:32`` in the event's time zone."""
        return f"{when.astimezone(self.config.tz):%H:%M}"

    def window_title(self, event_id: str, window_id: str, language: str) -> str:
        """The window's title (and its axis's), or its id for a window the file lost."""
        try:
            event = self.config.event(event_id)
        except KeyError:
            return window_id
        slot = policy.window(self.config, event, window_id)
        if slot is None:
            return window_id
        title = slot.title.get(language)
        if slot.axis is not None and slot.axis.title.get(language) != title:
            title = f"{title} · {slot.axis.title.get(language)}"
        return title

    def where(self, question: Question, language: str) -> str:
        """The window's title, and the axis the asker chose when the window has none."""
        title = self.window_title(question.event_id, question.window_id, language)
        axis = next((a for a in self.config.axes if a.id == question.axis), None)
        if axis is not None and axis.title.get(language) not in title:
            label = self.catalog(
                language, "questions.axis", id=axis.id, title=axis.title.get(language)
            )
            title = f"{title} · {label}"
        return title

    def status_text(self, question: Question, language: str) -> Raw:
        """``⏳ In attesa di moderazione``, ``🙈 Nascosta: non riguarda questa plenaria``..."""
        t = self.catalog
        key = f"moderation.status.{question.status.value}"
        if question.status is QuestionStatus.HIDDEN:
            return t(language, key, reason=reason_text(t, language, question.hide_reason))
        if question.status is QuestionStatus.MERGED:
            return t(language, key, target=question.merged_into or "?")
        return t(language, key)

    def done_line(self, language: str, action: QuestionAction, name: str, at: str) -> str:
        """``✅ Pubblicata: Marta Rossi, alle 10:32.``"""
        t = self.catalog
        label = t(language, f"moderation.action.{action.value}")
        return str(t(language, "moderation.done", action=label, name=name, time=at))

    def card(
        self, question: Question, language: str, *, done: str | None = None, head: str = ""
    ) -> Message:
        """The card of ``question`` (``done``: a last line, who did what; ``head``: a first)."""
        t = self.catalog
        asker = (
            t(language, "moderation.named", name=question.name)
            if question.name
            else t(language, "moderation.anonymous")
        )
        text = t(
            language,
            "moderation.card",
            id=question.id,
            window=self.where(question, language),
            text=question.text,
            asker=asker,
            mode=t(
                language,
                "moderation.online" if question.mode == "online" else "moderation.in_person",
            ),
            status=self.status_text(question, language),
            supports=question.supports,
            asked=self.local_time(question.created_at),
        )
        parts = [part for part in (head, str(text), done) if part]
        return Message(Raw("\n\n".join(parts)), self.buttons(question, language))

    def buttons(self, question: Question, language: str) -> Keyboard:
        """The actions the question's status allows."""
        return [
            [
                Button(
                    str(self.catalog(language, f"moderation.button.{BUTTON_LABELS[action]}")),
                    ModerationButton(action, question.id).pack(),
                )
                for action in row
            ]
            for row in _ACTIONS[question.status]
        ]


class ModerationFeed:
    """Queues every new question to its moderators and renders their message."""

    def __init__(
        self,
        cards: QuestionCards,
        catalog: Catalog,
        roles: Roles,
        questions: QuestionRepository,
        moderation: QuestionModeration,
        outbox: OutboxRepository,
        languages: Languages,
        wake: Callable[[], Awaitable[None]],
    ) -> None:
        self.cards = cards
        self.catalog = catalog
        self.roles = roles
        self.questions = questions
        self.moderation = moderation
        self.outbox = outbox
        self.languages = languages
        self.wake = wake

    async def recipients(self, event_id: str) -> list[int]:
        """The event's moderators, or the organisers when it has none."""
        moderators = await self.roles.moderators(event_id)
        return moderators or sorted(self.roles.organisers)

    async def on_new_question(self, question: Question, now: dt.datetime | None = None) -> int:
        """Queue the question's card to its moderators (once each) and start sending;
        returns how many rows were new."""
        when = now or question.created_at
        planned = [
            Planned(
                dedupe_key=f"{KIND}:{question.id}:{user_id}",
                kind=KIND,
                user_id=user_id,
                due_at=when,
                expires_at=when + FEED_VALIDITY,
                event_id=question.event_id,
                payload={"question": question.id},
                priority=PERSON,
            )
            for user_id in await self.recipients(question.event_id)
        ]
        added = await self.outbox.add(planned, when)
        if added:
            await self.wake()
        return added

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """The question's card as it stands now, headed "New question"."""
        question = await self.questions.get(int(row.payload.get("question", 0)))
        if question is None:
            return Prepared(None, skip="unknown_question")
        if not await self.roles.is_moderator(row.user_id, question.event_id):
            return Prepared(None, skip="not_moderator")
        language = await self.languages.of_user(row.user_id)
        head = str(self.catalog(language, "moderation.new"))
        card = self.cards.card(question, language, head=head)
        return Prepared(Outgoing(text=card.text, buttons=card.buttons))

    async def follow(
        self,
        question: Question,
        action: QuestionAction,
        by: int,
        name: str,
        now: dt.datetime,
    ) -> int:
        """Queue the edit of the other moderators' feed messages about ``question`` to its new
        card, "``action``: ``name``, at <time>"; returns how many were queued."""
        version = await self.moderation.changes(question.id)
        at = self.cards.local_time(now)
        planned = [
            Planned(
                dedupe_key=f"{UPDATE}:{question.id}:{version}:{user_id}",
                kind=UPDATE,
                user_id=user_id,
                due_at=now,
                expires_at=now + UPDATE_VALIDITY,
                event_id=question.event_id,
                payload={
                    "question": question.id,
                    "message": message_id,
                    "version": version,
                    "action": action.value,
                    "by": name,
                    "at": at,
                },
                priority=PERSON,
            )
            for user_id, message_id in await self.moderation.feed_messages(question.id)
            if user_id != by
        ]
        added = await self.outbox.add(planned, now)
        if added:
            await self.wake()
        return added

    async def render_update(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """A feed message edited to the question's new card (skipped once overtaken)."""
        question = await self.questions.get(int(row.payload.get("question", 0)))
        message_id = row.payload.get("message")
        actions = {action.value for action in QuestionAction}
        action = str(row.payload.get("action", ""))
        if question is None or not isinstance(message_id, int) or action not in actions:
            return Prepared(None, skip="unknown_question")
        if await self.moderation.changes(question.id) != row.payload.get("version"):
            return Prepared(None, skip="superseded")
        if not await self.roles.is_moderator(row.user_id, question.event_id):
            return Prepared(None, skip="not_moderator")
        language = await self.languages.of_user(row.user_id)
        done = self.cards.done_line(
            language,
            QuestionAction(action),
            str(row.payload.get("by", "")),
            str(row.payload.get("at", "")),
        )
        card = self.cards.card(question, language, done=done)
        return Prepared(Outgoing(text=card.text, buttons=card.buttons, edit_message_id=message_id))
