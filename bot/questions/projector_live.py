"""The projector's live updates: one watcher per (event, mode, language) that is on a screen.

How changes are noticed (decision): while at least one page follows a board, its watcher
rebuilds the board every :data:`EVERY` seconds (0.5 s) and pushes it to the pages only when
its JSON changed. Nothing in the questions', moderation's or polls' code has to tell the
projector anything (no hook to forget in a new path, and changes made by another process —
``psm-bot`` on the command line — are seen too), and what changes with the time alone (a
window closing, the next one opening, a poll closed at the end of its session) is seen as
well, which a version number of the tables would miss; the cost is a few small indexed queries
per half second per board on a screen, shared by every page showing it, and none when no
screen is open. A change is on the screen within about 0.5 s plus the page's animation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.kernel.logs import describe

log = logging.getLogger(__name__)

EVERY = 0.5  # seconds between two builds of a watched board
QUEUE = 8  # boards a slow page may lag behind; older ones are dropped (only the last counts)

Key = tuple[str, str, str]  # (event id, mode, language)
Build = Callable[[Key], Awaitable[dict[str, Any]]]


def dumps(board: dict[str, Any]) -> str:
    """A board as the JSON the page reads (UTF-8 kept readable)."""
    return json.dumps(board, ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Watch:
    last: str | None = None
    queues: set[asyncio.Queue[str | None]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class ProjectorLive:
    """Subscriptions of pages to boards; each watched board rebuilt every half second."""

    def __init__(self, build: Build, every: float = EVERY) -> None:
        self.build = build
        self.every = every
        self._watches: dict[Key, _Watch] = {}
        self.builds = 0  # boards built (for the benchmark's figures)

    async def subscribe(self, key: Key) -> tuple[asyncio.Queue[str | None], str]:
        """Follow a board: a queue of its next versions, and the current one."""
        watch = self._watches.setdefault(key, _Watch())
        queue: asyncio.Queue[str | None] = asyncio.Queue(QUEUE)
        watch.queues.add(queue)
        if watch.last is None:
            watch.last = dumps(await self.build(key))
            self.builds += 1
        if watch.task is None or watch.task.done():
            watch.task = asyncio.create_task(self._run(key, watch), name=f"projector {key[0]}")
        return queue, watch.last

    def unsubscribe(self, key: Key, queue: asyncio.Queue[str | None]) -> None:
        """Stop following; the watcher stops with its last page."""
        watch = self._watches.get(key)
        if watch is None:
            return
        watch.queues.discard(queue)
        if not watch.queues:
            if watch.task is not None:
                watch.task.cancel()
            del self._watches[key]

    @property
    def watched(self) -> int:
        """How many boards are on a screen now."""
        return len(self._watches)

    async def _run(self, key: Key, watch: _Watch) -> None:
        failed = False
        while watch.queues:
            await asyncio.sleep(self.every)
            try:
                text = dumps(await self.build(key))
                self.builds += 1
            except Exception as exc:  # a database fault: said once, tried again
                if not failed:
                    log.error("projector: the board could not be built: %s", describe(exc))
                failed = True
                continue
            failed = False
            if text == watch.last:
                continue
            watch.last = text
            for queue in list(watch.queues):
                _offer(queue, text)

    async def close(self) -> None:
        """End every page's stream (the server stops) and every watcher."""
        for watch in list(self._watches.values()):
            for queue in list(watch.queues):
                _offer(queue, None)
            if watch.task is not None:
                watch.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch.task
        self._watches.clear()


def _offer(queue: asyncio.Queue[str | None], item: str | None) -> None:
    """Put without waiting: a page that lags loses the older boards, not the newest."""
    while True:
        try:
            queue.put_nowait(item)
            return
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
