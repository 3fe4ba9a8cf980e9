"""Moderating the plenaries' questions: the buttons of every card and ``/moderazione``.

Who: organisers, and moderators of the question's event (invited for it or for every
event: :mod:`bot.staff.flows`). Every press is checked again against the presser's role and
the question's status as stored: a change is made only from the statuses it expects
(:meth:`QuestionRepository.change`), so when two moderators press at once one wins and the
other is told "another moderator already changed this question", with the card as it stands;
nothing changes twice and no asker is told twice.

Actions (README "Questions at the plenaries: moderation"):
- publish (a pending question), hide with a reason (:class:`~bot.questions.policy.HideReason`,
  chosen from a short list; the question stays in the record with it), merge into another
  open question of the same window (picked from a paged list; the merged question keeps its
  supporters, counted for the target; not into itself, not into a merged or closed one),
  highlight (being answered now: the window's previously highlighted question becomes
  answered, and the toast says so), answered, show again (hidden or merged → public), not
  answered (highlighted or answered → public again).
- After an action the pressed message becomes the question's new card, with who did it and
  when; the asker is told (:mod:`bot.questions.notices`), and when a question is being
  answered or answered, so are the askers of the questions merged into it.

``/moderazione`` (``/moderate``): the queue of the window open now (or, between windows, of
the last one opened that day; on another day it says when the next opens, or, with none to
come, shows the last one) of the events the user moderates: a header with the counts (waiting,
public, answered, hidden, merged) and the event's moderation mode in one line, then the
cards, waiting ones first (oldest first), the one being answered, then the public ones by
support; :data:`PAGE` a page. The header's button refreshes the page.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

from bot.kernel.clock import Clock
from bot.kernel.format import ellipsis
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import NAME_MAX, Languages, Who, clean_text
from bot.kernel.replies import Button, Keyboard, Message, Outcome
from bot.questions import policy
from bot.questions.feed import ModerationFeed, QuestionCards
from bot.questions.moderation_buttons import ModAction, ModerationButton, QueueButton, parse
from bot.questions.notices import VALIDITY as NOTICE_VALIDITY
from bot.questions.notices import AskerNotices, News
from bot.staff.roles import EVERY_EVENT, MODERATOR, Roles
from config.event import Event, EventConfig, QuestionSlot
from storage.question_moderation import MergeRefusal, QuestionModeration
from storage.questions import (
    OPEN,
    PUBLIC,
    Question,
    QuestionAction,
    QuestionRepository,
    QuestionStatus,
)

log = logging.getLogger(__name__)

PAGE = 5  # cards a page of /moderazione
TARGETS_PAGE = 6  # merge targets a page
LABEL_MAX = 48  # characters of a question in a button

# The simple changes: action -> (new status, what the story records, expected statuses,
# what the asker is told).
_CHANGES: dict[
    ModAction, tuple[QuestionStatus, QuestionAction, tuple[QuestionStatus, ...], News | None]
] = {
    ModAction.PUBLISH: (
        QuestionStatus.PUBLISHED,
        QuestionAction.PUBLISHED,
        (QuestionStatus.PENDING,),
        News.PUBLISHED,
    ),
    ModAction.ANSWERED: (QuestionStatus.ANSWERED, QuestionAction.ANSWERED, PUBLIC, News.ANSWERED),
    ModAction.SHOW: (
        QuestionStatus.PUBLISHED,
        QuestionAction.SHOWN_AGAIN,
        (QuestionStatus.HIDDEN, QuestionStatus.MERGED),
        News.SHOWN_AGAIN,
    ),
    ModAction.REOPEN: (
        QuestionStatus.PUBLISHED,
        QuestionAction.REOPENED,
        (QuestionStatus.HIGHLIGHTED, QuestionStatus.ANSWERED),
        None,
    ),
}
_HIGHLIGHTABLE = (QuestionStatus.PENDING, QuestionStatus.PUBLISHED)


class ModerationFlows:
    """``/moderazione`` and every ``qm|`` button (see the module doc)."""

    def __init__(
        self,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        questions: QuestionRepository,
        moderation: QuestionModeration,
        cards: QuestionCards,
        feed: ModerationFeed,
        notices: AskerNotices,
        wake: Callable[[], Awaitable[None]],
    ) -> None:
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.questions = questions
        self.moderation = moderation
        self.cards = cards
        self.feed = feed
        self.notices = notices
        self.wake = wake
        self._closed: set[tuple[str, str]] = set()  # windows whose questions were told

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    # --- /moderazione ---------------------------------------------------------------------
    async def moderated_events(self, user_id: int) -> list[Event]:
        """The events whose questions the user moderates (every event for organisers)."""
        if self.roles.is_organiser(user_id):
            return list(self.config.events)
        scopes = {g.scope for g in await self.roles.store.grants(user_id, MODERATOR)}
        if EVERY_EVENT in scopes:
            return list(self.config.events)
        return [event for event in self.config.events if event.id in scopes]

    def current_window(self, events: list[Event]) -> tuple[Event, QuestionSlot] | None:
        """The window open now (the latest started); else the last one opened today; else,
        when none is to come, the last one ever; None when the next is still to open."""
        now = self.clock.now()
        windows = [
            (event, slot) for event in events for slot in self.config.question_windows(event)
        ]
        started = [pair for pair in windows if pair[1].start <= now]
        open_now = [pair for pair in started if pair[1].open_at(now)]
        today = now.astimezone(self.config.tz).date()
        earlier_today = [
            pair for pair in started if pair[1].start.astimezone(self.config.tz).date() == today
        ]
        later = len(started) < len(windows)
        found = open_now or earlier_today or ([] if later else started)
        if not found:
            return None
        return max(found, key=lambda pair: (pair[1].start, pair[1].id))

    async def command(self, who: Who) -> Outcome:
        """``/moderazione``: the queue of the open (or last) window, or why there is none."""
        language = await self.languages.of(who)
        events = await self.moderated_events(who.user_id)
        if not events:
            return Outcome().add(Message(self.t(language, "moderation.not_allowed")))
        found = self.current_window(events)
        if found is None:
            return Outcome().add(Message(self._not_yet(events, language)))
        return await self.queue(found[0], found[1], language, 0)

    def _not_yet(self, events: list[Event], language: str) -> Raw:
        now = self.clock.now()
        later = [
            (slot.start, event, slot)
            for event in events
            for slot in self.config.question_windows(event)
            if slot.start > now
        ]
        if not later:
            return self.t(language, "moderation.no_window")
        start, event, slot = min(later, key=lambda found: (found[0], found[2].id))
        local = start.astimezone(self.config.tz)
        return self.t(
            language,
            "moderation.not_yet",
            window=self.cards.window_title(event.id, slot.id, language),
            event=event.title.get(language),
            date=f"{local:%d/%m/%Y}",
            start=f"{local:%H:%M}",
        )

    async def queue(self, event: Event, slot: QuestionSlot, language: str, page: int) -> Outcome:
        """A page of the window's queue: the header, the cards, the pages' buttons."""
        window = slot.id
        index = [found.id for found in self.config.question_windows(event)].index(window)

        async def count(*statuses: QuestionStatus) -> int:
            return await self.questions.count(event.id, statuses, window)

        header = self.t(
            language,
            "moderation.header",
            event=event.title.get(language),
            window=self.cards.window_title(event.id, window, language),
            start=self.cards.local_time(slot.start),
            end=self.cards.local_time(slot.end),
            state=self.t(
                language,
                "moderation.state_open"
                if slot.open_at(self.clock.now())
                else "moderation.state_closed",
            ),
            mode=self.t(language, f"moderation.mode_{event.questions.moderation.value}"),
            pending=await count(QuestionStatus.PENDING),
            public=await count(*PUBLIC),
            answered=await count(QuestionStatus.ANSWERED),
            hidden=await count(QuestionStatus.HIDDEN),
            merged=await count(QuestionStatus.MERGED),
        )
        items = [
            *await self.questions.listing(
                event.id, (QuestionStatus.PENDING,), window_id=window, by_support=False
            ),
            *await self.questions.listing(
                event.id, (QuestionStatus.HIGHLIGHTED,), window_id=window
            ),
            *await self.questions.listing(event.id, (QuestionStatus.PUBLISHED,), window_id=window),
        ]
        # the header has its own button (refresh), so it stays a message of its own
        refresh = Button(
            str(self.t(language, "moderation.refresh")), QueueButton(event.id, index, page).pack()
        )
        out = Outcome().add(Message(header, [[refresh]]))
        if not items:
            return out.add(Message(self.t(language, "moderation.empty")))
        pages = math.ceil(len(items) / PAGE)
        page = min(max(page, 0), pages - 1)
        for question in items[page * PAGE : (page + 1) * PAGE]:
            out.add(self.cards.card(question, language))
        if pages > 1:
            nav: list[Button] = []
            if page > 0:
                nav.append(
                    Button(
                        str(self.t(language, "moderation.previous")),
                        QueueButton(event.id, index, page - 1).pack(),
                    )
                )
            if page < pages - 1:
                nav.append(
                    Button(
                        str(self.t(language, "moderation.next")),
                        QueueButton(event.id, index, page + 1).pack(),
                    )
                )
            text = self.t(language, "moderation.page", page=page + 1, pages=pages)
            out.add(Message(text, [nav]))
        return out

    # --- buttons --------------------------------------------------------------------------
    async def press(self, who: Who, data: str | None) -> Outcome:
        """A ``qm|`` button: checked against the presser's role and the question's status."""
        language = await self.languages.of(who)
        button = parse(data)
        if isinstance(button, QueueButton):
            return await self._queue_page(who, button, language)
        if button is None:
            return Outcome(alert=self.t(language, "moderation.invalid"), close_keyboard=False)
        question = await self.questions.get(button.question)
        if question is None:
            return Outcome(alert=self.t(language, "moderation.invalid"), close_keyboard=False)
        if not await self.roles.is_moderator(who.user_id, question.event_id):
            return Outcome(alert=self.t(language, "moderation.not_allowed"), close_keyboard=False)
        action = button.action
        if action is ModAction.BACK:
            return Outcome(edit=self.cards.card(question, language), close_keyboard=False)
        if action is ModAction.HIDE:
            return self._reasons(question, language)
        if action is ModAction.MERGE:
            return await self._targets(question, language, button.value)
        if action is ModAction.HIDE_AS:
            return await self._hide(who, question, language, button.value)
        if action is ModAction.MERGE_INTO:
            return await self._merge(who, question, language, button.value)
        if action is ModAction.HIGHLIGHT:
            return await self._highlight(who, question, language)
        return await self._change(who, question, language, action)

    async def _queue_page(self, who: Who, button: QueueButton, language: str) -> Outcome:
        try:
            event = self.config.event(button.event)
        except KeyError:
            return Outcome(alert=self.t(language, "moderation.invalid"), close_keyboard=False)
        if not await self.roles.is_moderator(who.user_id, event.id):
            return Outcome(alert=self.t(language, "moderation.not_allowed"), close_keyboard=False)
        windows = self.config.question_windows(event)
        if not 0 <= button.window < len(windows):
            return Outcome(alert=self.t(language, "moderation.invalid"), close_keyboard=False)
        return await self.queue(event, windows[button.window], language, button.page)

    def _stale(self, question: Question, language: str) -> Outcome:
        """Someone else moved it first: say so, and show the card as it stands."""
        return Outcome(
            alert=self.t(language, "moderation.already"),
            edit=self.cards.card(question, language),
            close_keyboard=False,
        )

    async def _current_or_stale(self, question: Question, language: str) -> Outcome:
        fresh = await self.questions.get(question.id)
        return self._stale(fresh or question, language)

    def _back(self, question: Question, language: str) -> list[Button]:
        return [
            Button(
                str(self.t(language, "moderation.button.back")),
                ModerationButton(ModAction.BACK, question.id).pack(),
            )
        ]

    def _reasons(self, question: Question, language: str) -> Outcome:
        """The hide reasons, in place of the card's buttons."""
        if question.status not in OPEN:
            return self._stale(question, language)
        card = self.cards.card(question, language)
        rows: Keyboard = [
            [
                Button(
                    str(self.t(language, f"moderation.reason.{reason.value}")),
                    ModerationButton(ModAction.HIDE_AS, question.id, reason.value).pack(),
                )
            ]
            for reason in policy.HideReason
        ]
        rows.append(self._back(question, language))
        text = Raw(f"{card.text}\n\n{self.t(language, 'moderation.pick_reason')}")
        return Outcome(edit=Message(text, rows), close_keyboard=False)

    async def _targets(self, question: Question, language: str, value: str | None) -> Outcome:
        """The window's other open questions, a page of them, to merge this one into."""
        if question.status not in OPEN:
            return self._stale(question, language)
        page = int(value) if value is not None and value.isdecimal() else 0
        targets = [
            other
            for other in await self.questions.listing(
                question.event_id, OPEN, window_id=question.window_id
            )
            if other.id != question.id
        ]
        card = self.cards.card(question, language)
        rows: Keyboard = []
        if not targets:
            text = Raw(f"{card.text}\n\n{self.t(language, 'moderation.no_targets')}")
            return Outcome(
                edit=Message(text, [self._back(question, language)]), close_keyboard=False
            )
        pages = math.ceil(len(targets) / TARGETS_PAGE)
        page = min(page, pages - 1)
        for other in targets[page * TARGETS_PAGE : (page + 1) * TARGETS_PAGE]:
            label = self.t(
                language,
                "moderation.target",
                id=other.id,
                supports=other.supports,
                text=ellipsis(other.text, LABEL_MAX),
            )
            rows.append(
                [
                    Button(
                        str(label),
                        ModerationButton(ModAction.MERGE_INTO, question.id, str(other.id)).pack(),
                    )
                ]
            )
        nav = []
        if page > 0:
            nav.append(self._merge_page(question, language, page - 1, "moderation.previous"))
        if page < pages - 1:
            nav.append(self._merge_page(question, language, page + 1, "moderation.next"))
        if nav:
            rows.append(nav)
        rows.append(self._back(question, language))
        text = Raw(f"{card.text}\n\n{self.t(language, 'moderation.pick_target')}")
        return Outcome(edit=Message(text, rows), close_keyboard=False)

    def _merge_page(self, question: Question, language: str, page: int, key: str) -> Button:
        data = ModerationButton(ModAction.MERGE, question.id, str(page)).pack()
        return Button(str(self.t(language, key)), data)

    async def _done(
        self, who: Who, question: Question, language: str, action: QuestionAction, toast: str = ""
    ) -> Outcome:
        """The pressed message becomes the new card, with who did it and when; the other
        moderators' feed messages about it follow."""
        now = self.clock.now()
        name = clean_text(who.full_name, NAME_MAX) or who.first_name
        done = self.cards.done_line(language, action, name, self.cards.local_time(now))
        log.info(
            "question %d %s by a moderator: event=%s window=%s",
            question.id,
            action.value,
            question.event_id,
            question.window_id,
        )
        await self.feed.follow(question, action, who.user_id, name, now)
        card = self.cards.card(question, language, done=done)
        label = self.t(language, f"moderation.action.{action.value}")
        return Outcome(edit=card, toast=toast or str(label), close_keyboard=False)

    async def answered_when_closed(self) -> None:
        """A question still being answered when its window closed is answered (the record
        says so: the panel took it up as time ran out): its asker, and those of the questions
        merged into it, are told so, once (the outbox's key; ``_closed`` spares the queries
        of the next ticks). Windows closed within the notices' validity only."""
        now = self.clock.now()
        for event in self.config.events:
            for window in self.config.question_windows(event):
                if not window.end <= now < window.end + NOTICE_VALIDITY:
                    continue
                if (event.id, window.id) in self._closed:
                    continue
                highlighted = await self.questions.listing(
                    event.id, (QuestionStatus.HIGHLIGHTED,), window_id=window.id
                )
                for question in highlighted:
                    await self._tell(question, News.ANSWERED)
                self._closed.add((event.id, window.id))

    async def _tell(self, question: Question, news: News | None) -> None:
        """Queue ``news`` for the asker; "being answered" and "answered" also for the askers
        of the questions merged into this one (theirs is answered with it)."""
        if news is None:
            return
        now = self.clock.now()
        queued = await self.notices.plan(question, news, now)
        if news in (News.HIGHLIGHTED, News.ANSWERED):
            merged = await self.questions.listing(
                question.event_id, (QuestionStatus.MERGED,), window_id=question.window_id
            )
            for follower in merged:
                if follower.merged_into == question.id:
                    queued += await self.notices.plan(follower, news, now)
        if queued:
            await self.wake()

    async def _change(
        self, who: Who, question: Question, language: str, action: ModAction
    ) -> Outcome:
        status, recorded, expected, news = _CHANGES[action]
        changed = await self.questions.change(
            question.id, status, recorded, who.user_id, self.clock.now(), expected=expected
        )
        if changed is None:
            return await self._current_or_stale(question, language)
        await self._tell(changed, news)
        return await self._done(who, changed, language, recorded)

    async def _hide(
        self, who: Who, question: Question, language: str, value: str | None
    ) -> Outcome:
        reasons = {reason.value for reason in policy.HideReason}
        if value not in reasons:
            return Outcome(alert=self.t(language, "moderation.invalid"), close_keyboard=False)
        hidden = await self.questions.change(
            question.id,
            QuestionStatus.HIDDEN,
            QuestionAction.HIDDEN,
            who.user_id,
            self.clock.now(),
            reason=value,
            expected=OPEN,
        )
        if hidden is None:
            return await self._current_or_stale(question, language)
        await self._tell(hidden, News.HIDDEN)
        return await self._done(who, hidden, language, QuestionAction.HIDDEN)

    async def _merge(
        self, who: Who, question: Question, language: str, value: str | None
    ) -> Outcome:
        if value is None or not value.isdecimal():
            return Outcome(alert=self.t(language, "moderation.invalid"), close_keyboard=False)
        merged = await self.moderation.merge(question.id, int(value), who.user_id, self.clock.now())
        if merged is MergeRefusal.ITSELF:
            return Outcome(alert=self.t(language, "moderation.itself"), close_keyboard=False)
        if merged is MergeRefusal.TARGET:
            return Outcome(alert=self.t(language, "moderation.bad_target"), close_keyboard=False)
        if merged is None:
            return await self._current_or_stale(question, language)
        await self._tell(merged, News.MERGED)
        return await self._done(who, merged, language, QuestionAction.MERGED)

    async def _highlight(self, who: Who, question: Question, language: str) -> Outcome:
        done = await self.moderation.highlight(
            question.id, who.user_id, self.clock.now(), _HIGHLIGHTABLE
        )
        if done is None:
            return await self._current_or_stale(question, language)
        await self._tell(done.question, News.HIGHLIGHTED)
        name = clean_text(who.full_name, NAME_MAX) or who.first_name
        for previous in done.answered:
            await self._tell(previous, News.ANSWERED)
            await self.feed.follow(
                previous, QuestionAction.ANSWERED, who.user_id, name, self.clock.now()
            )
        toast = ""
        if done.answered:
            ids = ", #".join(str(previous.id) for previous in done.answered)
            toast = str(self.t(language, "moderation.previous_answered", ids=ids))
        return await self._done(who, done.question, language, QuestionAction.HIGHLIGHTED, toast)
