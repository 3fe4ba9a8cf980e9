"""The projector's update delay, through the real web server's Server-Sent Events (issue 15,
part C), for the questions benchmark (``bench/bench_questions.py``) and the tests.

:func:`projector_update_delay` follows a board as a page does (``.../events``), makes a
change in the store, and measures the time from the change being stored to the first board
that shows it. :func:`read_boards` is the stream itself, board by board.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp

Board = dict[str, Any]


async def read_boards(response: aiohttp.ClientResponse) -> AsyncIterator[Board]:
    """The boards of an open ``events`` stream, one per ``data:`` event."""
    data: list[str] = []
    async for raw in response.content:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].lstrip())
        elif not line and data:
            yield json.loads("\n".join(data))
            data = []


async def projector_update_delay(
    session: aiohttp.ClientSession,
    events_url: str,
    change: Callable[[], Awaitable[object]],
    shows: Callable[[Board], bool],
    *,
    within: float = 10.0,
) -> float:
    """Seconds from ``change()`` having stored its change to the first board of the stream at
    ``events_url`` (``.../projector/<token>/events?mode=...``) for which ``shows`` is true.

    The stream is opened (and its first board read) before the change, as a page on the
    screen would be. Raises :class:`TimeoutError` if no board shows it ``within`` seconds.
    """
    async with session.get(events_url, timeout=aiohttp.ClientTimeout(total=None)) as response:
        if response.status != 200:
            raise RuntimeError(f"the projector's stream answered {response.status}")
        boards = read_boards(response)
        await anext(boards)  # the board as it is now
        await change()
        stored = time.perf_counter()
        async with asyncio.timeout(within):
            async for board in boards:
                if shows(board):
                    return time.perf_counter() - stored
    raise TimeoutError("the stream ended before a board showed the change")
