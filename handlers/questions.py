"""The plenaries' questions, the participants' side: ``/domanda``, ``/domande`` and their
``q|s|`` / ``q|p|`` / ``q|l`` buttons (support, pages, the list under a question sent)."""

from __future__ import annotations

from telegram import Update

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
    """A participant's question button: support or withdraw, a page, the list anew."""
    query = update.callback_query
    assert query is not None
    await render(context, update, await context.flows.questions.press(who(update), query.data))
