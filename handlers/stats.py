"""Figures and the registrations export for staff (``/statistiche``, ``/esporta_iscrizioni``)."""

from __future__ import annotations

from telegram import Update

from bot.stats.export import ExportButton
from handlers.context import PsmContext
from handlers.render import render, who


async def stats(update: Update, context: PsmContext) -> None:
    """/statistiche, /stats (staff): registrations per event, zone, venue and mode."""
    await render(context, update, await context.flows.stats.overview(who(update)))


async def export_registrations(update: Update, context: PsmContext) -> None:
    """/esporta_iscrizioni, /export_registrations (organisers): the registrations as a file."""
    await render(context, update, await context.flows.exports.ask(who(update)))


async def export_button(update: Update, context: PsmContext) -> None:
    """Export buttons (organisers): pick the event, then the format; the file is sent."""
    assert update.callback_query is not None
    button = ExportButton.unpack(update.callback_query.data)
    await render(context, update, await context.flows.exports.button(who(update), button))
