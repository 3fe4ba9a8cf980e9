"""The last resort: log the error without personal data and apologise to the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.kernel.i18n import language_for
from bot.kernel.logs import describe
from bot.kernel.replies import Message
from handlers.context import PsmContext
from handlers.operations import organiser_language
from handlers.render import send

log = logging.getLogger(__name__)


async def _alert_organisers(context: PsmContext) -> None:
    """A database fault (full disk, read-only, locked, damaged): one line in the log and,
    at most every 10 minutes per kind of fault, a message to each organiser, sent directly
    (the outbox lives in the database that cannot be written)."""
    operations, services = context.bot_data.operations, context.bot_data.services
    if operations is None or services is None:
        return
    line = operations.alert_for(context.error)
    if line is None:
        return
    log.error("database fault, organisers told: %s", line)
    for organiser in services.settings.organisers:
        language = await organiser_language(services, organiser)
        try:
            text = services.catalog(language, "operations.database_fault", reason=line)
            await context.bot.send_message(organiser, text)
        except TelegramError as exc:
            log.warning("could not tell an organiser about the fault: %s", describe(exc))


async def on_error(update: object, context: PsmContext) -> None:
    """An unexpected error: logged (type, Telegram's or SQLite's reason, place; never user
    data), and the user gets an apology."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s: %s", update_id, describe(context.error))
    await _alert_organisers(context)
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
