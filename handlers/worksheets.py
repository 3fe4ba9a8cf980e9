"""Session 2, the facilitator's side: the board (``/scheda``), the report (``/resoconto``)
and the ``w|`` buttons (board, report's zone picker, the regia's "read the report")."""

from __future__ import annotations

from telegram import Update

from bot.worksheets.board_buttons import BoardButton
from handlers.context import PsmContext
from handlers.render import render, who


async def worksheet(update: Update, context: PsmContext) -> None:
    """/scheda, /worksheet (facilitators, referents, organisers): the zone's worksheets, live."""
    await render(context, update, await context.flows.board.command(who(update)))


async def report(update: Update, context: PsmContext) -> None:
    """/resoconto, /report (facilitators, organisers): write and submit the zone's report."""
    await render(context, update, await context.flows.reports.command(who(update)))


async def board_button(update: Update, context: PsmContext) -> None:
    """A board button (``w|...``): the view or action, checked against the presser's zones."""
    query = update.callback_query
    assert query is not None
    outcome = await context.flows.board.press(who(update), BoardButton.unpack(query.data))
    await render(context, update, outcome)
