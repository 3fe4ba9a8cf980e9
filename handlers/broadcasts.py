"""Broadcasts: compose, capture the message to copy, confirm or schedule, cancel."""

from __future__ import annotations

from telegram import Update

from bot.broadcasts.service import BroadcastButton
from handlers.context import PsmContext
from handlers.render import render, who


async def broadcast(update: Update, context: PsmContext) -> None:
    """/messaggio, /broadcast (organisers, facilitators): send a message to many participants."""
    await render(context, update, await context.flows.broadcasts.start(who(update)))


async def broadcasts(update: Update, context: PsmContext) -> None:
    """/messaggi, /broadcasts (organisers): scheduled and running broadcasts, to cancel them."""
    await render(context, update, await context.flows.broadcasts.list_active(who(update)))


async def cancel_button(update: Update, context: PsmContext) -> None:
    """Cancel button of a broadcast: stops what is not sent yet and reports."""
    assert update.callback_query is not None
    button = BroadcastButton.unpack(update.callback_query.data)
    await render(context, update, await context.flows.broadcasts.cancel_button(who(update), button))
