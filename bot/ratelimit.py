"""Pacing requests to Telegram: about 30 messages a second overall, about 1 a second per chat.

PTB's ``AIORateLimiter`` lets a burst of 30 through at once and then 30 a second, which a
1-second sliding window (Telegram's, or the tests' fake server) sees as up to 60 in a
second: 429s and pauses follow. :class:`SmoothRateLimiter` spaces requests evenly instead
(one every 1/29 s by default, a small margin under 30), and allows each chat a short burst
of 5 before holding it to 1 a second, so a registration's confirmation, agenda, venue and
calendar file arrive together while a chat is never flooded. Requests without a chat
(answering a button press, polling, menus) are not limited, as Telegram does not count them.
On a 429 every request waits ``retry_after`` and the request is retried.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]


def retry_seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds (an int today, a timedelta in PTB 23)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return float(value if isinstance(value, int | float) else value.total_seconds())


class SmoothRateLimiter(BaseRateLimiter[int]):
    """Evenly spaced overall rate, token bucket per chat, global pause on 429."""

    def __init__(
        self,
        overall_per_second: float = 29.0,
        chat_per_second: float = 1.0,
        chat_burst: int = 5,
        max_retries: int = 5,
        *,
        monotonic: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._interval = 1.0 / overall_per_second
        self._window_limit = max(1, int(overall_per_second))
        self._window: deque[float] = deque()
        self._chat_rate = chat_per_second
        self._chat_burst = chat_burst
        self._max_retries = max_retries
        self._next_slot = 0.0
        self._chats: dict[int | str, tuple[float, float]] = {}  # chat -> (tokens, at)
        self._lock = asyncio.Lock()
        self._resume = asyncio.Event()
        self._resume.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _now(self) -> float:
        return self._monotonic() if self._monotonic else asyncio.get_running_loop().time()

    async def _wait_turn(self, chat_id: int | str) -> None:
        async with self._lock:
            now = self._now()
            tokens, at = self._chats.get(chat_id, (float(self._chat_burst), now))
            tokens = min(float(self._chat_burst), tokens + (now - at) * self._chat_rate)
            chat_ready = now if tokens >= 1 else now + (1 - tokens) / self._chat_rate
            slot = max(chat_ready, self._next_slot)
            self._next_slot = slot + self._interval
            # the token is spent at ``slot``
            refill = (slot - now) * self._chat_rate
            self._chats[chat_id] = (min(float(self._chat_burst), tokens + refill) - 1, slot)
            if len(self._chats) > 50_000:  # forget chats that are full again
                self._chats = {
                    chat: state
                    for chat, state in self._chats.items()
                    if state[0] + (now - state[1]) * self._chat_rate < self._chat_burst
                }
        delay = slot - self._now()
        if delay > 0:
            await self._sleep(delay)
        await self._window_turn()

    async def _window_turn(self) -> None:
        """Never more than the overall rate in any one-second window, as actually sent.

        Even spacing alone is not enough when the event loop is busy: sleepers that wake late
        go out together. The window of real send times catches that bunching.
        """
        while True:
            async with self._lock:
                now = self._now()
                while self._window and self._window[0] <= now - 1.0:
                    self._window.popleft()
                if len(self._window) < self._window_limit:
                    self._window.append(now)
                    return
                wait = self._window[0] + 1.0 - now
            await self._sleep(max(wait, 0.001))

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        """Wait for this request's turn, run it, and retry after a 429."""
        chat_id = data.get("chat_id")
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            while True:
                await self._resume.wait()
                if chat_id is not None:
                    await self._wait_turn(chat_id)
                if self._resume.is_set():
                    break
                # A 429 paused everyone while this request waited for its turn: take a new
                # turn after the pause, so the waiting requests do not all go out at once.
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == retries:
                    raise
                pause = retry_seconds(error) + 0.1
                log.info("flood control on %s: everyone waits %.1f s", endpoint, pause)
                if self._resume.is_set():
                    self._resume.clear()
                    try:
                        await self._sleep(pause)
                    finally:
                        self._resume.set()
                else:
                    await self._resume.wait()
        raise AssertionError("unreachable")
