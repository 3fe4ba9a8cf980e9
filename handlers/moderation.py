"""Questions at the plenaries, the moderators' side: ``/moderazione`` and the ``qm|`` buttons
of every question card (the feed's messages and the queue's)."""

from __future__ import annotations

from telegram import Update

from handlers.context import PsmContext
from handlers.render import render, who


async def moderate(update: Update, context: PsmContext) -> None:
    """/moderazione, /moderate (moderators, organisers): the queue of the open window."""
    await render(context, update, await context.flows.moderation.command(who(update)))


async def button(update: Update, context: PsmContext) -> None:
    """A ``qm|`` button: an action on a question, its card's views, a page of the queue."""
    query = update.callback_query
    assert query is not None
    await render(context, update, await context.flows.moderation.press(who(update), query.data))
