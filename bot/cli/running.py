"""``psm-bot run``: the bot itself, until SIGINT or SIGTERM (``psm-bot`` alone prints the help)."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_INVALID, load_config
from config.settings import MissingTokenError, Settings

if TYPE_CHECKING:
    from bot.app import Backoff


def run(settings: Settings, *, backoff: Backoff | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM; what stops it from starting is one line, exit 2.

    In order: the token is set, the event file is valid, the database can be used, Telegram
    accepts the token. A Bot API server that cannot be reached is tried again and again
    (``backoff``), one log line per attempt.
    """
    try:
        settings.token()
    except MissingTokenError as exc:
        print(f"psm-bot: {exc}", file=sys.stderr)
        return EXIT_INVALID
    config = load_config(settings.event_file)
    if config is None:
        return EXIT_INVALID
    from bot.app import StartupError, serve  # Telegram's libraries: only to run the bot
    from bot.kernel.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(serve(settings, config, backoff=backoff))
    except StartupError as exc:
        print(f"psm-bot: {exc}", file=sys.stderr)
        return EXIT_INVALID
    return 0
