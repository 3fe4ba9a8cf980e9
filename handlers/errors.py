"""The last resort: log the error without personal data and apologise to the user."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from telegram import Update
from telegram.error import TelegramError

from bot.context import PsmContext
from bot.i18n import language_for
from bot.replies import Message
from handlers.render import send

log = logging.getLogger(__name__)


def describe(error: BaseException | None) -> str:
    """Exception type and where it was raised; never its message, which may hold user data."""
    if error is None:
        return "unknown error"
    frames = traceback.extract_tb(error.__traceback__)[-8:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{type(error).__name__} at {where or '?'}"


async def on_error(update: object, context: PsmContext) -> None:
    """An unexpected error: logged (type and place only), and the user gets an apology."""
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
    except TelegramError:
        log.warning("could not tell the user about the error")
