"""The plenaries' questions, the participants' side: ``/domanda``, ``/domande`` and their
``q|s|`` / ``q|p|`` / ``q|l`` buttons (support, pages, the list under a question sent).

A support press is answered at once (the toast says supported or withdrawn) and the list is
then edited in the background with its new counts, latest state first, as ballots are
(:class:`handlers.edits.LatestEdits`): a participant's next press never waits for the
previous edit, and when a whole room presses at once each list is edited with its latest
counts instead of once per press.
"""

from __future__ import annotations

from telegram import Update

from bot.questions.question_buttons import SupportButton
from handlers.context import PsmContext
from handlers.render import render, who


def command_text(update: Update) -> str | None:
    """What follows the command in ``/domanda <text>`` (None when nothing does); the text
    as typed, line breaks included (the domain cleans it)."""
    message = update.effective_message
    typed = message.text if message is not None else None
    if not typed:
        return None
    parts = typed.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else None


async def question(update: Update, context: PsmContext) -> None:
    """/domanda, /question: write a question to the open plenary window, or why not now."""
    outcome = await context.flows.questions.question_command(who(update), command_text(update))
    await render(context, update, outcome)


async def questions(update: Update, context: PsmContext) -> None:
    """/domande, /questions: the open window's public questions, to support them."""
    await render(context, update, await context.flows.questions.questions_command(who(update)))


async def button(update: Update, context: PsmContext) -> None:
    """A participant's question button: support or withdraw (the list edited in the
    background), a page, the list anew."""
    query = update.callback_query
    assert query is not None
    outcome = await context.flows.questions.press(who(update), query.data)
    supported = outcome.toast is not None and SupportButton.unpack(query.data) is not None
    if supported and outcome.edit is not None and query.message is not None:
        edit, outcome.edit = outcome.edit, None
        outcome.close_keyboard = False
        await render(context, update, outcome)
        context.bot_data.question_edits.submit(
            context.bot,
            context.application.create_task,
            query.message.chat.id,
            query.message.message_id,
            edit,
        )
        return
    await render(context, update, outcome)
