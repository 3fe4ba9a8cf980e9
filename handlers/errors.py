"""The last resort: log the error without personal data and apologise to the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.kernel.i18n import language_for
from bot.kernel.logs import describe
from bot.kernel.replies import Message
from handlers.context import PsmContext
from handlers.render import send

log = logging.getLogger(__name__)


async def on_error(update: object, context: PsmContext) -> None:
    """An unexpected error: logged (type, Telegram's or SQLite's reason, place; never user
    data), and the user gets an apology."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s: %s", update_id, describe(context.error))
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
        text = services.catalog(language, "fallback.error")
        await send(context, update.effective_chat.id, Message(text))
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", describe(exc))
