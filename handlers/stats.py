"""Figures and the registrations export for staff (``/statistiche``, ``/esporta_iscrizioni``)."""

from __future__ import annotations

from telegram import Update

from bot.stats.export import ExportFlows
from bot.stats.figures import StatsFlows
from handlers.context import PsmContext
from handlers.render import render, who


async def stats(update: Update, context: PsmContext) -> None:
    """/statistiche, /stats (staff): registrations per event, zone, venue and mode."""
    await render(context, update, await StatsFlows(context.flows).overview(who(update)))


async def export_registrations(update: Update, context: PsmContext) -> None:
    """/esporta_iscrizioni, /export_registrations (organisers): the registrations as a file."""
    await render(context, update, await ExportFlows(context.flows).ask(who(update)))


async def export_button(update: Update, context: PsmContext) -> None:
    """Export buttons (organisers): pick the event, then the format; the file is sent."""
    assert update.callback_query is not None
    data = update.callback_query.data or ""
    await render(context, update, await ExportFlows(context.flows).button(who(update), data))
