"""``/domande`` (``/questions``): the open window's public questions, to support them.

The list shows the window's public questions (published, and the one being answered now,
first, marked "in risposta ora"), then the most supported first (the oldest first among
equals), :data:`PAGE` a message. Each shows its number (the question's id: the same number
the moderators and the projector show, so "question 12" means one thing in the room), its
text, its axis, the name or "anonymous", its support count, and whether it is the reader's
own ("la tua": no support button) or supported by them. A support button per question
(``👍 #12``; ``✅ #12`` once supported) supports it, or withdraws the support when pressed
again; a toast says which and the message is edited in place with the new counts (the same
page, re-read in one query). ◀︎ ▶︎ turn the pages, the middle button (``🔄 2/4``) refreshes.
The reader's own questions still waiting for a moderator are listed apart, at the end.

Outside a window the list says when the next opens (or that the day's questions are over:
the list of questions and what became of them follows, sent by part D). Who may read and
support: the same participants as may ask (:mod:`bot.questions.gate`); a support is one per
registration (storage), and a question of another window, no longer public, or one's own
is refused with an alert, the list shown again as it is now.

Every support press is two reads (the question's state with the presser's support; the page
with one's waiting questions) and one write grouped with the other presses of the moment (see
:mod:`storage.question_reads`); the presser's registration and language are kept between
presses (read again when any registration or language choice changes).
:meth:`QuestionList.support` takes an optional ``after_support`` callback (the
projector's live update, part C; the benchmark measures through it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.kernel.i18n import Catalog, Raw, escape
from bot.kernel.replies import Button, Keyboard, Message, Outcome
from bot.questions.gate import Asker, QuestionGate, Refusal
from bot.questions.question_buttons import ListButton, SupportButton
from config.event import EventConfig
from storage.question_reads import Listed, QuestionReads, SupportState
from storage.questions import PUBLIC, QuestionRepository

log = logging.getLogger(__name__)

PAGE = 5  # questions a message
PER_ROW = 3  # support buttons a row

# Called after each support stored: (event id, window id, question id).
AfterSupport = Callable[[str, str, int], Awaitable[None]]


class QuestionList:
    """The participants' list of questions and its buttons (see the module doc)."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        gate: QuestionGate,
        store: QuestionRepository,
        reads: QuestionReads,
        after_support: AfterSupport | None = None,
    ) -> None:
        self.config = config
        self.t = catalog
        self.gate = gate
        self.store = store
        self.reads = reads
        self.after_support = after_support

    async def command(self, user_id: int, language: str) -> Outcome:
        """``/domande``: the first page, or why there is no list now."""
        asker = await self.gate.asker(user_id, language)
        if isinstance(asker, Refusal):
            return Outcome().add(Message(asker))
        return Outcome().add(await self.page(asker, language, 0))

    async def turn(self, user_id: int, language: str, page: int) -> Outcome:
        """◀︎ / ▶︎ / 🔄 (or "the questions" under one just sent): that page, in place."""
        asker = await self.gate.asker(user_id, language)
        if isinstance(asker, Refusal):
            return Outcome(edit=Message(asker))
        return Outcome(edit=await self.page(asker, language, page))

    async def support(self, user_id: int, language: str, question_id: int, page: int) -> Outcome:
        """Support a question (again: withdraw the support); the page again, in place."""
        asker = await self.gate.asker(user_id, language)
        if isinstance(asker, Refusal):
            return Outcome(alert=self.t(language, "questions.support_closed"), edit=Message(asker))
        registration = asker.registration.id
        state = await self.reads.support_state(question_id, registration)
        refused = self._refusal(asker, state)
        if refused is not None or state is None:
            return Outcome(
                alert=self.t(language, refused or "button.invalid"),
                edit=await self.page(asker, language, page),
            )
        supported = not state.supported
        await self.reads.set_support(question_id, registration, supported, self.gate.now())
        if self.after_support is not None:
            await self.after_support(asker.event.id, asker.slot.id, question_id)
        key = "questions.supported" if supported else "questions.withdrawn"
        return Outcome(
            toast=self.t(language, key, number=question_id),
            edit=await self.page(asker, language, page),
        )

    def _refusal(self, asker: Asker, state: SupportState | None) -> str | None:
        """The catalog key refusing a support (None: it may be given)."""
        if state is None:
            return "button.invalid"
        if state.event_id != asker.event.id or state.window_id != asker.slot.id:
            return "questions.other_window_question"
        if state.status not in PUBLIC:
            return "questions.not_public"
        if state.registration_id == asker.registration.id:
            return "questions.own_question"
        return None

    async def page(self, asker: Asker, language: str, page: int) -> Message:
        """One page of the window's public questions (the last one if ``page`` is past it)."""
        event, slot, registration = asker.event, asker.slot, asker.registration
        page = max(0, page)
        found = await self.reads.page(
            event.id, slot.id, registration.id, limit=PAGE, offset=page * PAGE
        )
        pages = max(1, (found.total + PAGE - 1) // PAGE)
        if page >= pages:
            page = pages - 1
            found = await self.reads.page(
                event.id, slot.id, registration.id, limit=PAGE, offset=page * PAGE
            )
        title = slot.title.get(language)
        until = self.gate.local_time(slot.end)
        parts = [
            str(
                self.t(
                    language, "questions.list_header", count=found.total, title=title, until=until
                )
            )
        ]
        if not found.questions:
            parts.append(str(self.t(language, "questions.list_empty")))
        parts += [self._line(q, language) for q in found.questions]
        if pages > 1:
            parts.append(str(self.t(language, "questions.list_page", page=page + 1, pages=pages)))
        if found.waiting:
            lines = "\n".join(f"<b>#{w.id}</b> {escape(w.text)}" for w in found.waiting)
            parts.append(str(self.t(language, "questions.list_waiting", lines=Raw(lines))))
        hint = "questions.list_hint" if found.questions else "questions.list_ask"
        parts.append(str(self.t(language, hint)))
        return Message(Raw("\n\n".join(parts)), self._buttons(found.questions, page, pages))

    def _line(self, question: Listed, language: str) -> str:
        meta = [str(self.t(language, "questions.supports", count=question.supports))]
        if question.axis is not None:
            meta.append(escape(self._axis(question.axis, language)))
        meta.append(
            escape(question.name) if question.name else str(self.t(language, "questions.anonymous"))
        )
        if question.own:
            meta.append(str(self.t(language, "questions.own_mark")))
        elif question.supported:
            meta.append(str(self.t(language, "questions.supported_mark")))
        line = str(
            self.t(
                language,
                "questions.list_item",
                number=question.id,
                text=question.text,
                meta=Raw(" · ".join(meta)),
            )
        )
        if question.highlighted:
            line = f"{self.t(language, 'questions.answering_now')}\n{line}"
        return line

    def _axis(self, axis_id: str, language: str) -> str:
        axis = next((a for a in self.config.axes if a.id == axis_id), None)
        title = axis.title.get(language) if axis is not None else ""
        return str(self.t(language, "questions.axis", id=axis_id, title=title))

    def _buttons(self, questions: list[Listed], page: int, pages: int) -> Keyboard:
        support = [
            Button(f"{'✅' if q.supported else '👍'} #{q.id}", SupportButton(q.id, page).pack())
            for q in questions
            if not q.own
        ]
        rows: Keyboard = [support[i : i + PER_ROW] for i in range(0, len(support), PER_ROW)]
        turn: list[Button] = []
        if page > 0:
            turn.append(Button("◀︎", ListButton(page - 1).pack()))
        turn.append(Button(f"🔄 {page + 1}/{pages}", ListButton(page).pack()))
        if page < pages - 1:
            turn.append(Button("▶︎", ListButton(page + 1).pack()))
        rows.append(turn)
        return rows
