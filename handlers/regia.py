"""The regia (organisers): the board of the zones, the whole synthesis, its documents and
exports, the final synthesis sent to every registrant."""

from __future__ import annotations

from telegram import Update

from bot.worksheets.regia import RegiaButton
from handlers.context import PsmContext
from handlers.render import render, who


async def control_room(update: Update, context: PsmContext) -> None:
    """/regia, /control_room (organisers): the board of every zone, a line each."""
    await render(context, update, await context.flows.regia.control_room(who(update)))


async def synthesis(update: Update, context: PsmContext) -> None:
    """/sintesi, /synthesis (organisers): session 1's synthesis, then session 2 by strategy."""
    await render(context, update, await context.flows.regia.synthesis(who(update)))


async def send_synthesis(update: Update, context: PsmContext) -> None:
    """/invia_sintesi, /send_synthesis (organisers): the final file to every registrant."""
    await render(context, update, await context.flows.regia.send_synthesis(who(update)))


async def button(update: Update, context: PsmContext) -> None:
    """A regia button (``g|...``): refresh, a report, lock, a document, an export."""
    query = update.callback_query
    assert query is not None
    outcome = await context.flows.regia.press(who(update), RegiaButton.unpack(query.data))
    await render(context, update, outcome)
