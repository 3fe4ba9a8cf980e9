"""Edits in the background (ballots, the plenary's question lists): the latest state of each
message, one edit at a time.

A ballot tap is answered at once (the answer carries what changed) and the ballot message is
then edited in the background, latest state first: a participant's next tap never waits for
the previous edit, which the rate limiter may hold back when a whole room taps at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.kernel.replies import Message
from handlers.bot_api import inline_keyboard
from handlers.ratelimit import BULK

log = logging.getLogger(__name__)

EDIT_DEBOUNCE = 0.5  # seconds a ballot edit waits for more taps of the same person


class LatestEdits:
    """Per message, the latest wanted text and buttons; one edit in flight at a time.

    An edit waits :data:`EDIT_DEBOUNCE` seconds first, so a participant's quick taps become
    one edit (fewer calls against Telegram's ~30 a second).
    """

    def __init__(self, what: str = "a ballot") -> None:
        self.what = what  # what the messages are, for the log ("a ballot", "a question list")
        self._wanted: dict[tuple[int, int], Message] = {}
        self._running: set[tuple[int, int]] = set()

    def submit(
        self,
        bot: ExtBot[Any],
        start: Callable[[Coroutine[Any, Any, None]], object],
        chat_id: int,
        message_id: int,
        message: Message,
    ) -> None:
        """Ask for ``message_id`` to show ``message`` (replacing any edit not yet made);
        ``start`` runs the edit in the background (the Application's ``create_task``)."""
        key = (chat_id, message_id)
        self._wanted[key] = message
        if key not in self._running:
            self._running.add(key)
            start(self._run(bot, key))

    async def _run(self, bot: ExtBot[Any], key: tuple[int, int]) -> None:
        try:
            while key in self._wanted:
                await asyncio.sleep(EDIT_DEBOUNCE)
                message = self._wanted.pop(key)
                with contextlib.suppress(BadRequest):  # unchanged, or too old to edit
                    await bot.edit_message_text(
                        message.text,
                        chat_id=key[0],
                        message_id=key[1],
                        reply_markup=inline_keyboard(message.buttons),
                        # the tap was already answered: the ballot's new look is paced
                        # with the other bulk traffic, not ahead of the room's presses
                        rate_limit_args=BULK,
                    )
        except TelegramError as exc:
            log.warning("could not update %s: %s", self.what, type(exc).__name__)
        finally:
            self._running.discard(key)
