"""Polls: the facilitators' and organisers' commands, ballots' buttons, typed counts.

A ballot tap is answered at once (the answer carries what changed) and the ballot message is
then edited in the background, latest state first: a participant's next tap never waits for
the previous edit, which the rate limiter may hold back when a whole room taps at once.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.polls.staff import PollStaffFlows
from handlers.context import PsmContext
from handlers.render import render, who

log = logging.getLogger(__name__)


def _flows(context: PsmContext) -> PollStaffFlows:
    return PollStaffFlows(context.services)


async def poll(update: Update, context: PsmContext) -> None:
    """/sondaggio, /poll: staff get the zone's poll panel; participants their open ballots."""
    await render(context, update, await _flows(context).poll_command(who(update)))


async def counts(update: Update, context: PsmContext) -> None:
    """/conteggi, /counts (facilitators): enter counts for people without Telegram."""
    await render(context, update, await _flows(context).counts_command(who(update)))


async def results(update: Update, context: PsmContext) -> None:
    """/risultati, /results (facilitators, organisers): the ranking of a zone, with a chart."""
    await render(context, update, await _flows(context).results_command(who(update)))


async def synthesis(update: Update, context: PsmContext) -> None:
    """/sintesi, /synthesis (organisers): the cross-zone synthesis with its heatmap."""
    await render(context, update, await _flows(context).synthesis_command(who(update)))


async def export(update: Update, context: PsmContext) -> None:
    """/esporta, /export (facilitators, organisers): the poll results as CSV or Excel files."""
    await render(context, update, await _flows(context).export_command(who(update)))


async def send_results(update: Update, context: PsmContext) -> None:
    """/invia_risultati, /send_results (organisers): each zone gets its results + synthesis."""
    await render(context, update, await _flows(context).send_results_command(who(update)))


async def button(update: Update, context: PsmContext) -> None:
    """A poll button: a ballot tap (answered at once), or a staff action on polls."""
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    outcome = await _flows(context).button(who(update), data)
    ballot = not data.startswith("p|f|")
    if ballot and outcome.edit is not None and query.message is not None:
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


async def text(update: Update, context: PsmContext) -> None:
    """Typed text a poll set-up is waiting for (a quick question, a count); else passed on."""
    assert update.message is not None and update.message.text is not None
    outcome = await _flows(context).text(who(update), update.message.text)
    if outcome is None:
        return
    await render(context, update, outcome)
    raise ApplicationHandlerStop


async def cancel(update: Update, context: PsmContext) -> None:
    """/annulla, /cancel during a poll set-up: it is dropped; otherwise passed on."""
    outcome = await _flows(context).cancel(who(update))
    if outcome is None:
        return
    await render(context, update, outcome)
    raise ApplicationHandlerStop
