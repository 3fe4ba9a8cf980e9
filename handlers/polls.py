"""Polls: the facilitators' and organisers' commands, ballots' and staff buttons.

A ballot tap is answered at once (the answer carries what changed) and the ballot message is
then edited in the background, latest state first: a participant's next tap never waits for
the previous edit, which the rate limiter may hold back when a whole room taps at once.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.polls.buttons import BallotButton, StaffButton
from handlers.context import PsmContext
from handlers.render import render, who

log = logging.getLogger(__name__)


async def poll(update: Update, context: PsmContext) -> None:
    """/sondaggio, /poll: staff get the zone's poll panel; participants their open ballots."""
    await render(context, update, await context.flows.polls.poll_command(who(update)))


async def counts(update: Update, context: PsmContext) -> None:
    """/conteggi, /counts (facilitators): enter counts for people without Telegram."""
    await render(context, update, await context.flows.polls.counts_command(who(update)))


async def results(update: Update, context: PsmContext) -> None:
    """/risultati, /results (facilitators, organisers): the ranking of a zone, with a chart."""
    await render(context, update, await context.flows.polls.results_command(who(update)))


async def synthesis(update: Update, context: PsmContext) -> None:
    """/sintesi, /synthesis (organisers): the cross-zone synthesis with its heatmap."""
    await render(context, update, await context.flows.polls.synthesis_command(who(update)))


async def export(update: Update, context: PsmContext) -> None:
    """/esporta, /export (facilitators, organisers): the poll results as CSV or Excel files."""
    await render(context, update, await context.flows.polls.export_command(who(update)))


async def send_results(update: Update, context: PsmContext) -> None:
    """/invia_risultati, /send_results (organisers): each zone gets its results + synthesis."""
    await render(context, update, await context.flows.polls.send_results_command(who(update)))


async def ballot_button(update: Update, context: PsmContext) -> None:
    """A ballot tap: answered at once, the ballot edited in the background."""
    query = update.callback_query
    assert query is not None
    outcome = await context.flows.polls.tap(who(update), BallotButton.unpack(query.data))
    if outcome.edit is not None and query.message is not None:
        edit, outcome.edit = outcome.edit, None
        outcome.close_keyboard = False
        await render(context, update, outcome)
        context.bot_data.ballot_edits.submit(
            context.bot,
            context.application.create_task,
            query.message.chat.id,
            query.message.message_id,
            edit,
        )
        return
    await render(context, update, outcome)


async def staff_button(update: Update, context: PsmContext) -> None:
    """A staff action on polls (``p|f|...``): checked against the presser's role."""
    query = update.callback_query
    assert query is not None
    outcome = await context.flows.polls.press(who(update), StaffButton.parse(query.data))
    await render(context, update, outcome)
