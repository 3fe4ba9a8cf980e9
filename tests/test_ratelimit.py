"""The request pacer: even overall spacing, per-chat burst then 1/s, pause on 429 (fake time)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.ratelimit import SmoothRateLimiter


class FakeTime:
    """A monotonic clock that sleeping advances, instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def limiter(time: FakeTime, **kwargs: Any) -> SmoothRateLimiter:
    return SmoothRateLimiter(monotonic=time.monotonic, sleep=time.sleep, **kwargs)


async def run(rl: SmoothRateLimiter, time: FakeTime, chat: int | None, log: list[float]) -> None:
    async def callback() -> bool:
        log.append(time.now)
        return True

    data = {"chat_id": chat} if chat is not None else {}
    await rl.process_request(callback, (), {}, "sendMessage", data, None)


async def test_overall_rate_is_evenly_spaced() -> None:
    time = FakeTime()
    rl = limiter(time, overall_per_second=30.0)
    log: list[float] = []
    for chat in range(90):  # 90 different chats
        await run(rl, time, chat, log)
    gaps = [b - a for a, b in itertools.pairwise(log)]
    assert min(gaps) == pytest.approx(1 / 30)
    for start in log:  # never more than 30 in any one-second window
        assert len([t for t in log if start <= t < start + 1.0 - 1e-9]) <= 30


async def test_one_chat_gets_a_burst_then_one_per_second() -> None:
    time = FakeTime()
    rl = limiter(time, chat_per_second=1.0, chat_burst=5)
    log: list[float] = []
    for _ in range(8):
        await run(rl, time, 42, log)
    start = log[0]
    assert log[4] - start < 0.2  # the first five together
    assert [round(t - start) for t in log[5:]] == [1, 2, 3]


async def test_requests_without_chat_are_not_limited() -> None:
    time = FakeTime()
    rl = limiter(time, overall_per_second=1.0)
    log: list[float] = []
    for _ in range(10):
        await run(rl, time, None, log)  # e.g. answerCallbackQuery
    assert time.sleeps == [] and len(log) == 10


async def test_retry_after_pauses_and_retries() -> None:
    time = FakeTime()
    rl = limiter(time)
    calls: list[float] = []

    async def flaky() -> bool:
        calls.append(time.now)
        if len(calls) < 3:
            raise RetryAfter(2)
        return True

    assert await rl.process_request(flaky, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 2 and calls[2] - calls[1] >= 2


async def test_gives_up_after_max_retries() -> None:
    time = FakeTime()
    rl = limiter(time, max_retries=2)

    async def always() -> bool:
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await rl.process_request(always, (), {}, "sendMessage", {"chat_id": 1}, None)
