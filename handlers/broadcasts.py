"""Broadcasts: compose, capture the message to copy, confirm or schedule, cancel."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from handlers.context import PsmContext
from handlers.render import render, who


def content_kind(message: Message) -> str:
    """What a message carries: text, photo, document, video, audio, voice, animation..."""
    for kind in ("animation", "photo", "document", "video", "audio", "voice", "text"):
        if getattr(message, kind, None):
            return kind
    return "other"


async def broadcast(update: Update, context: PsmContext) -> None:
    """/messaggio, /broadcast (organisers, facilitators): send a message to many participants."""
    await render(context, update, await context.flows.broadcasts.start(who(update)))


async def broadcasts(update: Update, context: PsmContext) -> None:
    """/messaggi, /broadcasts (organisers): scheduled and running broadcasts, to cancel them."""
    await render(context, update, await context.flows.broadcasts.list_active(who(update)))


async def capture(update: Update, context: PsmContext) -> None:
    """The message to broadcast, when one was asked for; otherwise other handlers run."""
    message = update.message
    if message is None or update.effective_user is None:
        return
    flows = context.flows.broadcasts
    if not await flows.wants_capture(update.effective_user.id):
        return
    outcome = await flows.captured(
        who(update), message.chat_id, message.message_id, content_kind(message)
    )
    await render(context, update, outcome)
    raise ApplicationHandlerStop


async def cancel_button(update: Update, context: PsmContext) -> None:
    """Cancel button of a broadcast: stops what is not sent yet and reports."""
    assert update.callback_query is not None
    data = update.callback_query.data or ""
    await render(context, update, await context.flows.broadcasts.cancel_button(who(update), data))
