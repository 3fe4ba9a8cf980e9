"""The list of questions to everyone (``/invia_domande``, ``/send_questions``, organisers):
after the plenary an organiser sends each confirmed registrant of the event (in person and
online; not the waiting list) every question and what became of it, in the registrant's
language, their own questions marked.

A conversation: the event (asked only when several events take questions) → a preview (the
list as a participant reads it, in the organiser's language) with the number of recipients
and "send" / "cancel", and the record as a CSV or Excel file (the export of
:mod:`bot.questions.exports`; the buttons under ``/sintesi`` serve only the event with
worksheets, these any event that takes questions, e.g. 27 September's round table).
Before the event's last window has closed the confirmation says that
questions are still open and the button reads "send anyway" (the organiser decides; the list
then says which questions were still open). An event without any question is told and
nothing happens; when nobody is left to send it to (no confirmed registrant, or everyone
already has it) the preview says so and offers only the files.

Sending **is a broadcast** (:mod:`bot.broadcasts`: its progress message, cancel button,
final report with the CSV of those not reached, ``/messaggi``), with the fixed audience
"every confirmed registrant" and the content kind :data:`QUESTIONS`, whose outbox rows are of
the kind :data:`KIND`: each is rendered at delivery by :meth:`QuestionsDelivery.render`, for
its recipient (their language, their own questions), from the record as it stands then. A
confirmation pressed twice is one broadcast (the conversation ends at the first press; the
second is a stale button); and a later ``/invia_domande`` for the same event goes only to
those who have not received the list yet (registered since, or not reached before): the
confirmation says how many already have it, and a sending starts without them
(:class:`bot.broadcasts.service.ContentKind`); should two sendings overlap, the renderer still
skips whoever got it meanwhile (``already_sent``). Everyone gets it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.broadcasts.flows import RegistrantsSending
from bot.broadcasts.service import BroadcastService
from bot.kernel.clock import Clock
from bot.kernel.conversation import NEXT, Content, Conversations, FlowData, Handled, Talk
from bot.kernel.format import time_text
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Document, Message, Outcome, Reply
from bot.questions.exports import FORMATS, QuestionExports
from bot.questions.record import QuestionRecord, RecordBuilder, RecordText
from bot.staff.roles import Roles
from config.event import Event, EventConfig
from storage.broadcasts import Broadcast, BroadcastRepository
from storage.outbox import OutboxRow
from storage.question_record import QuestionRecordRepository
from storage.registrations import RegistrationRepository
from storage.users import UserRepository

SEND_QUESTIONS = "send_questions"  # the conversation
QUESTIONS = "questions"  # the broadcast's content kind
KIND = "questions_record"  # its outbox rows


class Step(StrEnum):
    """The steps of sending the list of questions."""

    EVENT = "event"
    CONFIRM = "confirm"


@dataclass
class SendData(FlowData):
    """Which event's list is being sent."""

    event: str | None = None


class SendQuestionsFlow(RegistrantsSending):
    """The ``/invia_domande`` conversation (see the module doc; the steps shared with the
    final synthesis: :class:`bot.broadcasts.flows.RegistrantsSending`)."""

    name: ClassVar[str] = SEND_QUESTIONS
    data_type = SendData
    text_steps: frozenset[str] = frozenset()

    def __init__(
        self,
        conversations: Conversations,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        builder: RecordBuilder,
        words: RecordText,
        service: BroadcastService,
        store: BroadcastRepository,
        reached: Callable[[str], Awaitable[set[int]]],
        exports: QuestionExports,
    ) -> None:
        super().__init__(conversations, languages, config, catalog, clock, roles, service, store)
        self.builder = builder
        self.words = words
        self.reached = reached  # event id -> the registrations that already received its list
        self.exports = exports  # the record as a file, from the preview (any event)

    async def recipients(self, event_id: str) -> tuple[int, int]:
        """(who would receive the list now, who already received it)."""
        everyone = await self.service.recipients(self.audience(event_id))
        reached = await self.reached(event_id)
        already = sum(1 for r in everyone if r.registration_id in reached)
        return len(everyone) - already, already

    def events(self) -> list[str]:
        """The events that take questions, in the file's order."""
        return [e.id for e in self.config.events if self.config.question_windows(e)]

    async def start(self, who: Who) -> Outcome:
        """``/invia_domande`` (organisers): ask for the event, or show the preview."""
        language = await self.languages.of(who)
        refusal = self.refused(who, language)
        if refusal is not None:
            return Outcome().add(refusal)
        events = self.events()
        if not events:
            return Outcome().add(Message(self.t(language, "record.send_no_event")))
        if len(events) == 1:
            refused = await self._nothing_to_send(self.config.event(events[0]), language)
            if refused is not None:
                return Outcome().add(refused)
        return await self.conversations.begin(who, self, SendData(), language=language)

    def stopped(self, talk: Talk[SendData]) -> str:
        """``/annulla`` while sending."""
        return "record.send_stopped"

    def takes_any_message(self, talk: Talk[SendData]) -> bool:
        """Buttons only."""
        return False

    async def next_step(self, talk: Talk[SendData], who: Who | None) -> str:
        """The first unanswered step (the event again if it left the event file meanwhile)."""
        if talk.data.event not in self.events():
            talk.data.event = None
        if talk.data.event is None:
            events = self.events()
            if len(events) != 1:
                return Step.EVENT
            talk.data.event = events[0]
        return Step.CONFIRM

    async def question(self, talk: Talk[SendData], who: Who | None) -> list[Reply]:
        """The event's buttons, or the preview and the confirmation."""
        t, language, button = self.t, talk.language, talk.button
        if talk.step == Step.EVENT:
            return [self.ask_event(talk, "record.send_ask_event")]
        assert talk.data.event is not None
        event = self.config.event(talk.data.event)
        now = self.clock.now()
        record = await self.builder.build(event, now)
        replies: list[Reply] = [Message(t(language, "record.send_preview_head"))]
        replies += [
            Message(Raw(text)) for text in self.words.messages(record, language, public=True)
        ]
        count, already = await self.recipients(event.id)
        title = event.title.get(language)
        files = [
            button(t(language, "record.button_csv"), "file", "csv"),
            button(t(language, "record.button_xlsx"), "file", "xlsx"),
        ]
        if count == 0:  # nobody left to send it to: the files only
            key = "record.send_everyone_had_it" if already else "record.send_nobody"
            buttons = [files, [button(t(language, "record.send_cancel"), "stop")]]
            replies.append(Message(t(language, key, event=title), buttons))
            return replies
        lines = [t(language, "record.send_confirm", event=title, count=count)]
        earlier = await self._earlier(event.id)
        if earlier is not None and already:
            lines.append(t(language, "record.send_already", id=earlier, count=already))
        if not record.closed:
            lines.append(t(language, "record.send_still_open", time=self._last_end(event)))
        send = "record.send_button" if record.closed else "record.send_anyway"
        buttons = [
            [button(t(language, send), "send")],
            [button(t(language, "record.send_cancel"), "stop")],
            files,
        ]
        replies.append(Message(Raw("\n\n".join(lines)), buttons))
        return replies

    async def on_button(
        self, talk: Talk[SendData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """The event, then send, cancel, or the record as a file."""
        if talk.step == Step.EVENT and action == "ev" and value in self.events():
            refused = await self._nothing_to_send(self.config.event(value), talk.language)
            if refused is not None:
                await self.conversations.end(who.user_id)
                return talk.out.add(refused)
            talk.data.event = value
            return NEXT
        if talk.step == Step.CONFIRM and action == "stop":
            return await self._decide(talk, action, who)
        if talk.step == Step.CONFIRM and action == "send":
            count, _ = await self.recipients(str(talk.data.event))
            return await self._decide(talk, action, who) if count else None
        if talk.step == Step.CONFIRM and action == "file" and value in FORMATS:
            return await self._file(talk, value, who)
        return None

    async def _file(self, talk: Talk[SendData], fmt: str, who: Who) -> Outcome:
        """The record as a CSV or XLSX file; the confirmation keeps its buttons."""
        language = talk.language
        refusal = self.refused(who, language)
        if refusal is not None:
            await self.conversations.end(who.user_id)
            return talk.out.add(refusal)
        assert talk.data.event is not None
        event = self.config.event(talk.data.event)
        filename, content, rows = await self.exports.export(
            fmt, f"domande-{event.id}", self.clock.now(), event_id=event.id
        )
        caption = self.t(
            language, "record.caption_export", event=event.title.get(language), rows=rows
        )
        out = Outcome(toast=self.t(language, "regia.file_toast"), close_keyboard=False)
        return out.add(Document(filename, content, caption))

    async def on_text(self, talk: Talk[SendData], text: str, who: Who) -> Handled:
        """Not a text step: the engine asks again."""
        return None

    async def on_content(self, talk: Talk[SendData], content: Content, who: Who) -> Handled:
        """Not a file step: the engine asks again."""
        return None

    async def _nothing_to_send(self, event: Event, language: str) -> Message | None:
        """Why there is nothing to send or export (no question), if so."""
        title = event.title.get(language)
        record = await self.builder.build(event, self.clock.now())
        if not record.entries:
            return Message(self.t(language, "record.send_no_questions", event=title))
        return None

    async def _earlier(self, event_id: str) -> int | None:
        """The number of an earlier sending of this event's list, if any."""
        for broadcast in await self.store.with_status("scheduled", "sending", "done"):
            if broadcast.content == QUESTIONS and broadcast.audience.get("event") == event_id:
                return broadcast.id
        return None

    def _last_end(self, event: Event) -> str:
        ends = [slot.end for slot in self.config.question_windows(event)]
        return time_text(max(ends).astimezone(self.config.tz).time()) if ends else "—"

    async def _decide(self, talk: Talk[SendData], action: str, who: Who) -> Outcome:
        return await self.decide(
            talk,
            action,
            who,
            event=talk.data.event,
            content=QUESTIONS,
            source=(who.user_id, 0),  # nothing is copied: each list is written at delivery
            stopped="record.send_stopped",
            started="record.send_started",
        )


class QuestionsDelivery:
    """Renders the :data:`KIND` outbox rows: the list for one registrant."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        users: UserRepository,
        builder: RecordBuilder,
        words: RecordText,
        broadcasts: BroadcastRepository,
        registrations: RegistrationRepository,
        store: QuestionRecordRepository,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.users = users
        self.builder = builder
        self.words = words
        self.broadcasts = broadcasts
        self.registrations = registrations
        self.store = store
        # one record per broadcast while it is delivered (not one read per recipient)
        self._records: dict[int, tuple[dt.datetime, QuestionRecord, dict[int, set[int]]]] = {}

    async def reached_for(self, event_id: str) -> set[int]:
        """The registrations that already received this event's list."""
        return await self.store.reached(KIND, event_id)

    async def reached(self, broadcast: Broadcast) -> set[int]:
        """Whom a sending leaves out when it starts: those who already received the list."""
        return await self.reached_for(str(broadcast.audience.get("event")))

    async def _record(
        self, broadcast_id: int, event: Event, now: dt.datetime
    ) -> tuple[QuestionRecord, dict[int, set[int]]]:
        cached = self._records.get(broadcast_id)
        if cached is not None and now - cached[0] < dt.timedelta(minutes=5):
            return cached[1], cached[2]
        record = await self.builder.build(event, now)
        mine = await self.store.asked_by_registration(event.id)
        self._records = {broadcast_id: (now, record, mine)}
        return record, mine

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """The list in the recipient's language, their own questions marked; skipped when the
        sending was cancelled, the registration is no longer active, or they already got
        this event's list."""
        broadcast = await self.broadcasts.get(row.broadcast_id) if row.broadcast_id else None
        if broadcast is None or broadcast.status == "cancelled":
            return Prepared(None, skip="cancelled")
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if registration is None or not registration.active or row.event_id is None:
            return Prepared(None, skip="registration_inactive")
        if await self.store.already_sent(KIND, row.event_id, registration.id, row.id):
            return Prepared(None, skip="already_sent")
        try:
            event = self.config.event(row.event_id)
        except KeyError:  # the event left the event file since the sending started
            return Prepared(None, skip="unknown_event")
        record, mine = await self._record(broadcast.id, event, now)
        user = await self.users.get(row.user_id)
        # their explicit choice (/lingua), else the language they registered in
        language = user.language if user is not None and user.language else registration.language
        parts = self.words.messages(
            record, language, mine=mine.get(registration.id, set()), public=True
        )
        intro = str(self.catalog(language, "record.received_intro"))
        return Prepared(Outgoing(text="\n\n".join([intro, *parts])))
