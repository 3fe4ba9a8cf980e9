"""``/proiettore`` (``/projector``): the link of the room's screen (issue 15, part C)."""

from __future__ import annotations

from telegram import Update

from bot.questions.projector_flows import ProjectorButton
from handlers.context import PsmContext
from handlers.render import render, who


async def projector(update: Update, context: PsmContext) -> None:
    """/proiettore, /projector (organisers, moderators): the projector page's link."""
    await render(context, update, await context.flows.projector.command(who(update)))


async def projector_button(update: Update, context: PsmContext) -> None:
    """An event button of /proiettore (pj|<event>): the link for that event."""
    assert update.callback_query is not None
    button = ProjectorButton.unpack(update.callback_query.data)
    await render(context, update, await context.flows.projector.button(who(update), button))
