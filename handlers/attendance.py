"""Attendance: referents and organisers mark participants present (``/presenze``)."""

from __future__ import annotations

from telegram import Update

from bot.attendance.flows import CheckinButton
from handlers.context import PsmContext
from handlers.render import render, who


async def checkin(update: Update, context: PsmContext) -> None:
    """/presenze, /checkin (referents, organisers): search a name and mark the person present."""
    typed = " ".join(context.args or []) or None
    await render(context, update, await context.flows.attendance.start(who(update), typed))


async def checkin_button(update: Update, context: PsmContext) -> None:
    """A name under /presenze: mark that registration present (role and venue re-checked)."""
    assert update.callback_query is not None
    button = CheckinButton.unpack(update.callback_query.data)
    await render(context, update, await context.flows.attendance.button(who(update), button))
