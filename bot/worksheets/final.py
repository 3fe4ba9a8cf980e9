"""The final synthesis to everyone (``/invia_sintesi``, ``/send_synthesis``, organisers):
after the event an organiser sends the bot the file the regia edited, and every confirmed
registrant of the event (in person and online; not the waiting list) gets it.

A conversation: the event (asked only when several have worksheets) → the file (a
document: Word, PDF, slides...; anything else gets a short answer and the question again)
→ how many it will reach, with "send" and "cancel". Sending is a **broadcast** with the
fixed audience "every confirmed registrant of the event" (audience kind
:data:`bot.broadcasts.service.REGISTRANTS`): the file is copied as the organiser sent it,
caption included (the organiser writes the caption with the file), through the outbox,
with the broadcast's progress message, cancel button and final report (delivered, blocked,
failed, and a CSV of those not reached). Nothing is rewritten: the broadcasts capability
does the delivery (the steps shared with the list of questions:
:class:`bot.broadcasts.flows.RegistrantsSending`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.broadcasts.flows import RegistrantsSending
from bot.kernel.conversation import NEXT, Content, FlowData, Handled, Talk
from bot.kernel.people import Who
from bot.kernel.replies import Message, Outcome, Reply

FINAL_SYNTHESIS = "final_synthesis"


class Step(StrEnum):
    """The steps of sending the final synthesis."""

    EVENT = "event"
    FILE = "file"
    CONFIRM = "confirm"


@dataclass
class FinalData(FlowData):
    """The file being sent and to which event's registrants."""

    event: str | None = None
    source_chat: int | None = None
    source_message: int | None = None
    filename: str | None = None


class FinalSynthesisFlow(RegistrantsSending):
    """The ``/invia_sintesi`` conversation (see the module doc)."""

    name: ClassVar[str] = FINAL_SYNTHESIS
    data_type = FinalData
    text_steps: frozenset[str] = frozenset()

    def events(self) -> list[str]:
        """The events with worksheets (session 2), in the file's order."""
        return [e.id for e in self.config.events if e.worksheets is not None]

    async def start(self, who: Who) -> Outcome:
        """``/invia_sintesi`` (organisers): ask for the event or the file."""
        language = await self.languages.of(who)
        refusal = self.refused(who, language)
        if refusal is not None:
            return Outcome().add(refusal)
        if not self.events():
            return Outcome().add(Message(self.t(language, "regia.no_event")))
        return await self.conversations.begin(who, self, FinalData(), language=language)

    def stopped(self, talk: Talk[FinalData]) -> str:
        """``/annulla`` while sending."""
        return "regia.final_stopped"

    def takes_any_message(self, talk: Talk[FinalData]) -> bool:
        """Only content: a text at the file step is answered "send the file"."""
        return False

    async def next_step(self, talk: Talk[FinalData], who: Who | None) -> str:
        """The first unanswered step."""
        data = talk.data
        if data.event is None:
            events = self.events()
            if len(events) != 1:
                return Step.EVENT
            data.event = events[0]
        if data.source_message is None:
            return Step.FILE
        return Step.CONFIRM

    async def question(self, talk: Talk[FinalData], who: Who | None) -> list[Reply]:
        """The question of the step."""
        t, language, button = self.t, talk.language, talk.button
        if talk.step == Step.EVENT:
            return [self.ask_event(talk, "regia.final_ask_event")]
        assert talk.data.event is not None
        event = self.config.event(talk.data.event)
        if talk.step == Step.FILE:
            return [Message(t(language, "regia.final_ask_file", event=event.title.get(language)))]
        count = len(await self.service.recipients(self.audience(event.id)))
        text = t(
            language,
            "regia.final_confirm",
            filename=talk.data.filename or "—",
            event=event.title.get(language),
            count=count,
        )
        buttons = [
            [button(t(language, "regia.final_send"), "send")],
            [button(t(language, "regia.final_cancel"), "stop")],
        ]
        return [Message(text, buttons)]

    async def on_button(
        self, talk: Talk[FinalData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """The event, then send or cancel."""
        if talk.step == Step.EVENT and action == "ev" and value in self.events():
            talk.data.event = value
            return NEXT
        if talk.step == Step.CONFIRM and action in ("send", "stop"):
            return await self._decide(talk, action, who)
        return None

    async def on_text(self, talk: Talk[FinalData], text: str, who: Who) -> Handled:
        """A text where a file is wanted: say so, ask again."""
        if talk.step != Step.FILE:
            return None
        talk.say(self.t(talk.language, "regia.final_not_a_file"))
        return await self.conversations.ask(talk, who)

    async def on_content(self, talk: Talk[FinalData], content: Content, who: Who) -> Handled:
        """The file to send (a document only)."""
        if talk.step != Step.FILE or content.chat_id is None:
            return None
        if content.kind != "document":
            talk.say(self.t(talk.language, "regia.final_not_a_file"))
            return await self.conversations.ask(talk, who)
        talk.data.source_chat, talk.data.source_message = content.chat_id, content.message_id
        talk.data.filename = content.filename
        return NEXT

    async def _decide(self, talk: Talk[FinalData], action: str, who: Who) -> Outcome:
        data = talk.data
        source = (data.source_chat or 0, data.source_message or 0)
        if action == "send":
            assert data.source_chat is not None and data.source_message is not None
        return await self.decide(
            talk,
            action,
            who,
            event=data.event,
            content="document",
            source=source,
            stopped="regia.final_stopped",
            started="regia.final_started",
        )
