"""The participants' side of the plenary questions, as handlers call it: ``/domanda``,
``/domande`` and the ``q|s|``, ``q|p|`` and ``q|l`` buttons
(see :mod:`bot.questions.question_buttons`).

Refusals are polite and change nothing: ``/domanda`` and ``/domande`` answer with a message
(they say when the next window opens, too long for a button's alert); a refused button gets
an alert and its message shows the list as it is now.
"""

from __future__ import annotations

from bot.kernel.i18n import Catalog
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Message, Outcome
from bot.questions.asking import QuestionFlow
from bot.questions.gate import QuestionGate, Refusal
from bot.questions.listing import QuestionList
from bot.questions.question_buttons import ListButton, OpenListButton, SupportButton, parse


class QuestionFlows:
    """Entry points of the participants' questions."""

    def __init__(
        self,
        languages: Languages,
        catalog: Catalog,
        gate: QuestionGate,
        flow: QuestionFlow,
        listing: QuestionList,
    ) -> None:
        self.languages = languages
        self.t = catalog
        self.gate = gate
        self.flow = flow
        self.listing = listing

    async def question_command(self, who: Who, text: str | None = None) -> Outcome:
        """``/domanda`` (``/domanda <text>``): the first question, or why not now."""
        language = await self.languages.of(who)
        asker = await self.gate.asker(who.user_id, language)
        if isinstance(asker, Refusal):
            return Outcome().add(Message(asker))
        typed = text if text is not None and text.strip() else None
        return await self.flow.begin(who, language, asker, typed)

    async def questions_command(self, who: Who) -> Outcome:
        """``/domande``: the open window's public questions."""
        language = await self.languages.of(who)
        return await self.listing.command(who.user_id, language)

    async def press(self, who: Who, data: str | None) -> Outcome:
        """A ``q|`` button: support (or withdraw), a page of the list, the list anew."""
        language = await self.languages.of(who)
        button = parse(data)
        if isinstance(button, SupportButton):
            return await self.listing.support(who.user_id, language, button.question, button.page)
        if isinstance(button, ListButton):
            return await self.listing.turn(who.user_id, language, button.page)
        if isinstance(button, OpenListButton):
            outcome = await self.listing.command(who.user_id, language)
            outcome.close_keyboard = False  # the confirmation keeps its button
            return outcome
        return Outcome(alert=self.t(language, "button.invalid"), close_keyboard=False)
