"""Pacing requests to Telegram: bulk notifications at about 30 a second, each chat about 1 a second.

What Telegram limits (its Bot FAQ, and its developers in tdlib/td#3034 and
tdlib/telegram-bot-api#648): in one chat, about one message a second, with short bursts
allowed, sending and editing sharing that limit; bulk notifications to many users, about 30
a second; answering a button press, no limit at all.

- **Two lanes.** Bulk traffic (the outbox marks reminders, broadcasts, ballots and results
  with :data:`BULK`) is spaced evenly at ``overall_per_second`` (29 by default, a small
  margin under 30). PTB's ``AIORateLimiter`` lets a burst of 30 through and then 30 a
  second, which a 1-second sliding window sees as up to 60: 429s and pauses follow; even
  spacing reaches the target. A person's own conversation (the default lane: the answers to
  someone who just wrote or pressed) is not a notification and is held only to its chat's
  pace, so someone registering while a broadcast to 2,000 goes out never queues behind it.
- **One chat.** Each chat has a short burst of ``chat_burst`` (5) and then
  ``chat_per_second`` (1), whichever lane the request is in, so a registration's
  confirmation and calendar file arrive together while a chat is never flooded.
- **Requests without a chat** (answering a button press, menus, polling) are never held:
  a button answer must not wait behind message pacing or a pause.
- **429.** A 429 on a request to a chat pauses that chat for ``retry_after`` (its other
  requests wait, everyone else goes on); a 429 on a request without a chat pauses every
  message send (button answers still go). The request is then retried, taking a new turn.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]
ChatId = int | str


@dataclass(frozen=True)
class Pace:
    """How one request is paced (PTB's ``rate_limit_args``): its lane and its retries."""

    bulk: bool = False
    retries: int | None = None


BULK = Pace(bulk=True)  # outbox traffic: reminders, broadcasts, ballots, results


def retry_seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds (an int today, a timedelta in PTB 23)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return float(value if isinstance(value, int | float) else value.total_seconds())


class SmoothRateLimiter(BaseRateLimiter[Pace]):
    """Evenly spaced bulk lane, unqueued person lane, token bucket and 429 pause per chat."""

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
        self._window: deque[float] = deque()  # real send times of the last second
        self._chat_rate = chat_per_second
        self._chat_burst = chat_burst
        self._max_retries = max_retries
        self._next_slot = 0.0
        self._chats: dict[ChatId, tuple[float, float]] = {}  # chat -> (tokens, at)
        self._chat_paused: dict[ChatId, float] = {}  # chat -> paused until (after a 429)
        self._paused_until = 0.0  # every message send, after a 429 without a chat
        self._waiting: deque[asyncio.Future[None]] = deque()  # bulk requests, in order
        self._dispatcher: asyncio.Task[None] | None = None

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Stop handing out turns."""
        if self._dispatcher is not None and not self._dispatcher.done():
            self._dispatcher.cancel()

    def _now(self) -> float:
        return self._monotonic() if self._monotonic else asyncio.get_running_loop().time()

    # --- one chat ---------------------------------------------------------------------------
    def _reserve_chat(self, chat_id: ChatId) -> float:
        """Spend one of the chat's tokens; returns when it is available (monotonic time)."""
        now = self._now()
        tokens, at = self._chats.get(chat_id, (float(self._chat_burst), now))
        tokens = min(float(self._chat_burst), tokens + (now - at) * self._chat_rate)
        ready = now if tokens >= 1 else now + (1 - tokens) / self._chat_rate
        ready = max(ready, self._chat_paused.get(chat_id, 0.0))
        refill = (ready - now) * self._chat_rate
        self._chats[chat_id] = (min(float(self._chat_burst), tokens + refill) - 1, ready)
        if len(self._chats) > 50_000:  # forget chats that are full again
            self._chats = {
                chat: state
                for chat, state in self._chats.items()
                if state[0] + (now - state[1]) * self._chat_rate < self._chat_burst
            }
            self._chat_paused = {c: t for c, t in self._chat_paused.items() if t > now}
        return ready

    # --- the overall rate -------------------------------------------------------------------
    async def _paused(self) -> None:
        """Wait out a pause of every message send (a 429 without a chat)."""
        while (wait := self._paused_until - self._now()) > 0:
            await self._sleep(wait)

    async def _overall_turn(self) -> None:
        """Wait for a free slot of the bulk lane (in order of arrival)."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch())
        await turn

    async def _dispatch(self) -> None:
        """Hand out bulk turns, one every interval, never more than the rate in any second."""
        while self._waiting:
            now = self._now()
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            ready = max(self._next_slot, self._paused_until)
            if len(self._window) >= self._window_limit:
                # Even spacing is not enough when the event loop is busy: sleepers that wake
                # late go out together. The window of real send times catches that bunching.
                ready = max(ready, self._window[0] + 1.0)
            if ready > now:
                await self._sleep(max(ready - now, 0.001))
                continue
            turn = self._waiting.popleft()
            if turn.done():  # its request was cancelled while waiting
                continue
            turn.set_result(None)
            self._window.append(now)
            self._next_slot = max(now, self._next_slot) + self._interval
            await asyncio.sleep(0)  # let the request go before choosing the next one

    # --- PTB's entry point -----------------------------------------------------------------
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Pace | None,
    ) -> JSON:
        """Wait for this request's turn (if it has a chat), run it, and retry after a 429."""
        pace = rate_limit_args or Pace()
        chat_id: ChatId | None = data.get("chat_id")
        retries = pace.retries if pace.retries is not None else self._max_retries
        for attempt in range(retries + 1):
            if chat_id is not None:
                delay = self._reserve_chat(chat_id) - self._now()
                if delay > 0:
                    await self._sleep(delay)
                if pace.bulk:
                    await self._overall_turn()
                else:
                    await self._paused()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == retries:
                    raise
                pause = retry_seconds(error) + 0.1
                until = self._now() + pause
                if chat_id is not None:
                    log.info("flood control on %s: that chat waits %.1f s", endpoint, pause)
                    self._chat_paused[chat_id] = max(self._chat_paused.get(chat_id, 0.0), until)
                else:
                    log.info("flood control on %s: message sends wait %.1f s", endpoint, pause)
                    self._paused_until = max(self._paused_until, until)
                    await self._sleep(pause)
        raise AssertionError("unreachable")
