"""Polls: the facilitators' and organisers' commands, ballots' buttons, typed counts.

A ballot tap is answered at once (the answer carries what changed) and the ballot message is
then edited in the background, latest state first: a participant's next tap never waits for
the previous edit, which the rate limiter may hold back when a whole room taps at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ExtBot

from bot.kernel.replies import Message
from bot.polls.staff import PollStaffFlows
from handlers.bot_api import inline_keyboard
from handlers.context import PsmContext
from handlers.ratelimit import BULK
from handlers.render import render, who

log = logging.getLogger(__name__)

EDIT_DEBOUNCE = 0.5  # seconds a ballot edit waits for more taps of the same person


class LatestEdits:
    """Per message, the latest wanted text and buttons; one edit in flight at a time.

    An edit waits :data:`EDIT_DEBOUNCE` seconds first, so a participant's quick taps become
    one edit (fewer calls against Telegram's ~30 a second).
    """

    def __init__(self) -> None:
        self._wanted: dict[tuple[int, int], Message] = {}
        self._running: set[tuple[int, int]] = set()

    def submit(self, context: PsmContext, chat_id: int, message_id: int, message: Message) -> None:
        """Ask for ``message_id`` to show ``message`` (replacing any edit not yet made)."""
        key = (chat_id, message_id)
        self._wanted[key] = message
        if key not in self._running:
            self._running.add(key)
            context.application.create_task(self._run(context.bot, key))

    async def _run(self, bot: ExtBot[Any], key: tuple[int, int]) -> None:
        try:
            while key in self._wanted:
                await asyncio.sleep(EDIT_DEBOUNCE)
                message = self._wanted.pop(key)
                with contextlib.suppress(BadRequest):  # unchanged, or too old to edit
                    await bot.edit_message_text(
                        message.text,
                        chat_id=key[0],
                        message_id=key[1],
                        reply_markup=inline_keyboard(message.buttons),
                        # the tap was already answered: the ballot's new look is paced
                        # with the other bulk traffic, not ahead of the room's presses
                        rate_limit_args=BULK,
                    )
        except TelegramError as exc:
            log.warning("could not update a ballot: %s", type(exc).__name__)
        finally:
            self._running.discard(key)


_EDITS: weakref.WeakKeyDictionary[Any, LatestEdits] = weakref.WeakKeyDictionary()


def _edits(context: PsmContext) -> LatestEdits:
    found = _EDITS.get(context.application)
    if found is None:
        found = _EDITS[context.application] = LatestEdits()
    return found


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
        _edits(context).submit(context, query.message.chat.id, query.message.message_id, edit)
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
