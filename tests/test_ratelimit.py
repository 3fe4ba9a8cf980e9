"""The request pacer: even overall spacing, per-chat burst then 1/s, pause on 429 (fake time)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import Any

import pytest
from telegram.error import RetryAfter

from handlers.ratelimit import BULK, Pace, SmoothRateLimiter


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


class VirtualTime(FakeTime):
    """Time that moves only when every task waits: concurrent sleepers wake in time order."""

    def __init__(self) -> None:
        super().__init__()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Task[None] | None = None

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), wake))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.create_task(self._drive())
        await wake

    async def _drive(self) -> None:
        while self._sleepers:
            for _ in range(20):  # let every runnable task run until it waits
                await asyncio.sleep(0)
            at, _, wake = heapq.heappop(self._sleepers)
            self.now = max(self.now, at)
            wake.set_result(None)


def limiter(time: FakeTime, **kwargs: Any) -> SmoothRateLimiter:
    return SmoothRateLimiter(monotonic=time.monotonic, sleep=time.sleep, **kwargs)


async def run(
    rl: SmoothRateLimiter,
    time: FakeTime,
    chat: int | None,
    log: list[float],
    pace: Pace | None = None,
) -> None:
    async def callback() -> bool:
        log.append(time.now)
        return True

    data = {"chat_id": chat} if chat is not None else {}
    await rl.process_request(callback, (), {}, "sendMessage", data, pace)


async def test_bulk_rate_is_evenly_spaced() -> None:
    time = FakeTime()
    rl = limiter(time, overall_per_second=30.0)
    log: list[float] = []
    for chat in range(90):  # 90 different chats
        await run(rl, time, chat, log, BULK)
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


async def test_a_429_for_one_chat_pauses_only_that_chat() -> None:
    time = VirtualTime()
    rl = limiter(time)
    sent: dict[int, list[float]] = {1: [], 2: []}
    failed = False

    async def send(chat: int) -> None:
        async def callback() -> bool:
            nonlocal failed
            if chat == 1 and not failed:
                failed = True
                raise RetryAfter(5)
            sent[chat].append(time.now)
            return True

        await rl.process_request(callback, (), {}, "sendMessage", {"chat_id": chat}, None)

    start = time.now
    await asyncio.gather(send(1), *(send(2) for _ in range(3)))
    assert sent[1] and sent[1][0] - start >= 5  # chat 1 waited out its pause
    assert all(t - start < 1 for t in sent[2])  # chat 2 went on meanwhile


async def test_button_answers_are_never_held() -> None:
    time = VirtualTime()
    rl = limiter(time)
    answered: list[float] = []

    async def flood() -> bool:
        raise RetryAfter(5)

    async def answer() -> bool:
        answered.append(time.now)
        return True

    # a 429 without a chat (e.g. on setMyCommands) pauses message sends...
    sends = asyncio.create_task(
        rl.process_request(flood, (), {}, "setMyCommands", {}, Pace(retries=0))
    )
    with pytest.raises(RetryAfter):
        await sends
    start = time.now
    await rl.process_request(answer, (), {}, "answerCallbackQuery", {}, None)
    assert answered == [start]  # ...but a button answer goes at once
    message: list[float] = []

    async def send() -> bool:
        message.append(time.now)
        return True

    await rl.process_request(send, (), {}, "sendMessage", {"chat_id": 3}, None)
    assert message[0] >= start  # sends are paced as usual


async def test_a_persons_answers_are_held_to_their_chat_only() -> None:
    time = FakeTime()
    rl = limiter(time, overall_per_second=1.0)
    log: list[float] = []
    for chat in range(10):  # ten people answered at once: not notifications
        await run(rl, time, chat, log)
    assert time.sleeps == [] and len(log) == 10


async def test_a_person_goes_before_bulk_traffic() -> None:
    time = VirtualTime()
    rl = limiter(time, overall_per_second=10.0)
    order: list[str] = []

    async def send(name: str, chat: int, pace: Pace | None) -> None:
        async def callback() -> bool:
            order.append(name)
            return True

        await rl.process_request(callback, (), {}, "sendMessage", {"chat_id": chat}, pace)

    bulk = [asyncio.create_task(send(f"bulk{i}", 100 + i, BULK)) for i in range(20)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await send("person", 1, None)
    position = order.index("person")
    assert position <= 2, order  # at most the slots already handed out before it
    await asyncio.gather(*bulk)
    assert len(order) == 21
