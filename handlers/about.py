"""The bot's own description and short description, set by the bot at start-up.

Telegram shows the *description* in an empty chat ("What can this bot do?") and the *short
description* on the bot's profile and when its link is shared. Both come from the catalogs
(``about.description``, ``about.short_description``, with the process's name from the
event file), in Italian as the default and in English for English clients
(``language_code="en"``). Each is set only when it differs from what Telegram has, so a
restart makes four reads and no write. Telegram refusing (or not answering) is logged and
never stops the bot: the texts are cosmetic, the bot works without them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.kernel.i18n import DEFAULT_LANGUAGE, LANGUAGES, Raw
from bot.kernel.logs import safe_reason
from bot.services import Services
from handlers.context import PsmContext

log = logging.getLogger(__name__)

#: Telegram's limits, in characters
DESCRIPTION_LIMIT = 512
SHORT_DESCRIPTION_LIMIT = 120


def about_texts(services: Services, language: str) -> dict[str, str]:
    """``{"description": ..., "short_description": ...}`` in ``language`` (plain text)."""
    process = services.config.process
    name = Raw(process.name.get(language))
    short = Raw(process.short_name)
    description = services.catalog(language, "about.description", process=name, short=short)
    short_description = services.catalog(
        language, "about.short_description", process=name, short=short
    )
    return {
        "description": _cut(str(description), DESCRIPTION_LIMIT),
        "short_description": _cut(str(short_description), SHORT_DESCRIPTION_LIMIT),
    }


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters (an ellipsis marks a cut)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def set_about(bot: Bot, services: Services) -> int:
    """Set what differs from Telegram's copy; returns how many texts were written.

    One log line for each text Telegram refuses or cannot be asked about; never raises
    a Telegram error.
    """
    written = 0
    for language in LANGUAGES:
        code = None if language == DEFAULT_LANGUAGE else language
        wanted = about_texts(services, language)
        pairs: list[tuple[str, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]]] = [
            ("description", bot.get_my_description, bot.set_my_description),
            ("short_description", bot.get_my_short_description, bot.set_my_short_description),
        ]
        for kind, read, write in pairs:
            try:
                current = getattr(await read(language_code=code), kind)
                if current == wanted[kind]:
                    continue
                await write(**{kind: wanted[kind]}, language_code=code)
                written += 1
            except TelegramError as exc:
                log.warning(
                    "bot %s (%s) not set: Telegram said %s",
                    kind.replace("_", " "),
                    code or "default",
                    safe_reason(exc),
                )
    if written:
        log.info("bot description: %d text(s) updated", written)
    return written


async def about_job(context: PsmContext) -> None:
    """Job run once after start: :func:`set_about` (the first getUpdates does not wait)."""
    await set_about(context.bot, context.services)
