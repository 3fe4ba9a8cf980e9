"""The plenary's questions after the plenary (organisers): ``/invia_domande`` sends every
registrant the list of questions and their fates (its buttons are the conversation's)."""

from __future__ import annotations

from telegram import Update

from handlers.context import PsmContext
from handlers.render import render, who


async def send_questions(update: Update, context: PsmContext) -> None:
    """/invia_domande, /send_questions (organisers): the questions' list to every registrant."""
    await render(context, update, await context.flows.send_questions.start(who(update)))
