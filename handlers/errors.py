"""The last resort: log the error without personal data and apologise to the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import PsmContext
from bot.i18n import language_for
from bot.replies import Message
from handlers.render import send

log = logging.getLogger(__name__)


async def on_error(update: object, context: PsmContext) -> None:
    """An unexpected error: logged (type and place, no personal data), the user gets a note."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "error while handling update %s: %s",
        update_id,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    services = context.bot_data.services
    if services is None:
        return
    user = update.effective_user
    language = language_for(user.language_code if user else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await send(
            context, update.effective_chat.id, Message(services.catalog(language, "fallback.error"))
        )
    except TelegramError:
        log.warning("could not tell the user about the error")
