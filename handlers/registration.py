"""Participant commands and the registration conversation."""

from __future__ import annotations

from telegram import Update

from bot.kernel.replies import Message
from handlers.context import PsmContext
from handlers.render import render, send, who


async def start(update: Update, context: PsmContext) -> None:
    """/start [zonaN]: the welcome and registration, or the participant's registration."""
    payload = context.args[0] if context.args else None
    await render(context, update, await context.flows.start(who(update), payload))


async def register(update: Update, context: PsmContext) -> None:
    """/iscrizione, /register: register, or see and change one's registration."""
    await render(context, update, await context.flows.start(who(update)))


async def agenda(update: Update, context: PsmContext) -> None:
    """/programma, /agenda: the participant's programme for the day."""
    await render(context, update, await context.flows.agenda(who(update)))


async def cancel(update: Update, context: PsmContext) -> None:
    """/annulla, /cancel: stop the current step, or cancel a registration after confirming."""
    await render(context, update, await context.flows.abort(who(update)))


async def privacy(update: Update, context: PsmContext) -> None:
    """/privacy: the privacy notice."""
    await render(context, update, await context.flows.privacy(who(update)))


async def delete_my_data(update: Update, context: PsmContext) -> None:
    """/cancella_dati, /delete_my_data: erase one's personal data after confirming."""
    await render(context, update, await context.flows.erase(who(update)))


async def help_command(update: Update, context: PsmContext) -> None:
    """/aiuto, /help: the list of what a participant can do."""
    await render(context, update, await context.flows.help(who(update)))


async def language(update: Update, context: PsmContext) -> None:
    """/lingua, /language: buttons to switch between Italian and English."""
    await render(context, update, await context.flows.choose_language(who(update)))


async def language_button(update: Update, context: PsmContext) -> None:
    """Language button: the bot answers in the chosen language from now on."""
    assert update.callback_query is not None
    choice = (update.callback_query.data or "").removeprefix("l|")
    await render(context, update, await context.flows.set_language(who(update), choice))


async def button(update: Update, context: PsmContext) -> None:
    """Any other button: the next step, or an alert when the button is stale or forged."""
    query = update.callback_query
    assert query is not None
    pressed = query.message.message_id if query.message is not None else None
    outcome = await context.flows.button(who(update), query.data or "", pressed)
    await render(context, update, outcome)


async def text(update: Update, context: PsmContext) -> None:
    """A text message: the answer to the current question (name, comune, organisation)."""
    assert update.message is not None and update.message.text is not None
    await render(context, update, await context.flows.text(who(update), update.message.text))


async def unknown_command(update: Update, context: PsmContext) -> None:
    """An unknown command: a short note and the current question again."""
    await render(context, update, await context.flows.unknown_command(who(update)))


async def other_content(update: Update, context: PsmContext) -> None:
    """Stickers, photos, files...: a polite note and the current question again."""
    await render(context, update, await context.flows.other_content(who(update)))


async def group_message(update: Update, context: PsmContext) -> None:
    """A command in a group: an invitation to write in private."""
    assert update.effective_chat is not None
    flows = context.flows
    language = await flows.language(who(update))
    await send(context, update.effective_chat.id, Message(flows.t(language, "fallback.group")))
