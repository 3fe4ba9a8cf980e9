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
from bot.questions.gate import KEPT, QuestionGate, Refusal
from bot.questions.listing import QuestionList
from bot.questions.question_buttons import ListButton, OpenListButton, SupportButton, parse
from storage.users import UserRepository


class QuestionFlows:
    """Entry points of the participants' questions."""

    def __init__(
        self,
        languages: Languages,
        catalog: Catalog,
        gate: QuestionGate,
        flow: QuestionFlow,
        listing: QuestionList,
        users: UserRepository,
    ) -> None:
        self.languages = languages
        self.t = catalog
        self.gate = gate
        self.flow = flow
        self.listing = listing
        self.users = users
        # (user, Telegram's language) -> (the languages' and registrations' versions, the
        # language): presses in a burst do not read the user's language choice each time;
        # an erasure (which deletes the choice with the registrations) makes it read again.
        self._languages: dict[tuple[int, str | None], tuple[tuple[int, int], str]] = {}

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
        language = await self._language(who)
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

    async def _language(self, who: Who) -> str:
        """The user's language, kept between presses until any language choice (or any
        registration, an erasure included) changes."""
        key = (who.user_id, who.language_code)
        version = (self.users.languages_version, self.gate.registrations.version)
        cached = self._languages.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        language = await self.languages.of(who)
        if len(self._languages) > KEPT:
            self._languages.clear()
        self._languages[key] = (version, language)
        return language
