"""The participants' side of session 2, as handlers call it: ``/contributo``, ``/contributi``
and the ``c|`` buttons (see :mod:`bot.worksheets.contribution_buttons`).

Refusals are polite and change nothing: they come as a message (they say when contributing
is possible, too long for a button's alert), and the message a refused button is on keeps
its buttons, so the notice's other worksheets stay usable.
"""

from __future__ import annotations

from bot.kernel.i18n import Catalog
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Message, Outcome
from bot.worksheets.access import ContributionGate, Refusal
from bot.worksheets.contribution_buttons import ContributeButton, MineButton, WithdrawButton, parse
from bot.worksheets.contributions import ContributionFlow
from bot.worksheets.mine import MyContributions


class ContributionFlows:
    """Entry points of the participants' contributions."""

    def __init__(
        self,
        languages: Languages,
        catalog: Catalog,
        gate: ContributionGate,
        flow: ContributionFlow,
        mine: MyContributions,
    ) -> None:
        self.languages = languages
        self.t = catalog
        self.gate = gate
        self.flow = flow
        self.mine = mine

    async def contribute_command(self, who: Who) -> Outcome:
        """``/contributo``: the first question, or why contributing is not possible now."""
        language = await self.languages.of(who)
        contributor = await self.gate.contributor(who.user_id, language)
        if isinstance(contributor, Refusal):
            return Outcome().add(Message(contributor))
        return await self.flow.begin(who, language, contributor)

    async def my_contributions_command(self, who: Who) -> Outcome:
        """``/contributi``: the participant's own contributions."""
        language = await self.languages.of(who)
        return await self.mine.command(who.user_id, language)

    async def press(self, who: Who, data: str | None) -> Outcome:
        """A ``c|`` button: contribute to a worksheet, a page of the list, withdraw one."""
        language = await self.languages.of(who)
        button = parse(data)
        if isinstance(button, WithdrawButton):
            return await self.mine.withdraw(who.user_id, language, button.item, button.page)
        if isinstance(button, MineButton):
            return await self.mine.turn(who.user_id, language, button.page)
        if isinstance(button, ContributeButton):
            return await self._contribute(who, language, button.worksheet)
        return Outcome(alert=self.t(language, "button.invalid"), close_keyboard=False)

    async def _contribute(self, who: Who, language: str, worksheet_id: int) -> Outcome:
        contributor = await self.gate.contributor(who.user_id, language)
        if isinstance(contributor, Refusal):
            return Outcome(close_keyboard=False).add(Message(contributor))
        sheet = await self.gate.sheet(contributor, worksheet_id, language)
        if isinstance(sheet, Refusal):
            return Outcome(close_keyboard=False).add(Message(sheet))
        outcome = await self.flow.begin(who, language, contributor, sheet)
        outcome.close_keyboard = False  # the notice keeps its buttons
        return outcome
