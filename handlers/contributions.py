"""Session 2, the participants' side: ``/contributo``, ``/contributi`` and their ``c|`` buttons
(the worksheets notice's, "add another", the list's pages and withdraw buttons)."""

from __future__ import annotations

from telegram import Update

from handlers.context import PsmContext
from handlers.render import render, who


async def contribute(update: Update, context: PsmContext) -> None:
    """/contributo, /contribute: the worksheet and section questions, or why not now."""
    await render(context, update, await context.flows.contributions.contribute_command(who(update)))


async def my_contributions(update: Update, context: PsmContext) -> None:
    """/contributi, /my_contributions: the participant's own contributions, to withdraw one."""
    outcome = await context.flows.contributions.my_contributions_command(who(update))
    await render(context, update, outcome)


async def button(update: Update, context: PsmContext) -> None:
    """A ``c|`` button: a contribution started on a worksheet, a page of the list, a withdrawal."""
    query = update.callback_query
    assert query is not None
    await render(context, update, await context.flows.contributions.press(who(update), query.data))
