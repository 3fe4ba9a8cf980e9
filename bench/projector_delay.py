"""The projector's update delay, through the real web server's Server-Sent Events (issue 15,
part C), for the questions benchmark (``bench/bench_questions.py``) and the tests.

:func:`projector_update_delay` follows a board as a page does (``.../events``), makes a
change in the store, and measures the time from the change being stored to the first board
that shows it. :func:`read_boards` is the stream itself, board by board.
:func:`projector_server` serves the projector of a running bot's services on a free port
(for a benchmark whose bot has no ``PSM_WEB_PORT``), :func:`events_url` is a board's stream.

    async with projector_server(services) as base:
        url = events_url(base, services, "copianificazione-2023")
        seconds = await projector_update_delay(session, url, change, shows)
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot.questions.projector_flows import projector_path
from bot.questions.tokens import valid_until
from bot.services import Services
from handlers.web import WebServer

Board = dict[str, Any]


@asynccontextmanager
async def projector_server(services: Services) -> AsyncIterator[str]:
    """The projector's routes of ``services`` on a free local port, as the bot's web server
    mounts them; yields its address (``http://127.0.0.1:<port>``). On exit every stream of
    these services' projector ends (their watchers stop)."""
    server = WebServer("127.0.0.1", 0)
    server.add_projector(lambda: services.projector_site)
    port = await server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await services.projector_site.live.close()
        await server.stop()


def events_url(base: str, services: Services, event_id: str, mode: str = "questions") -> str:
    """The address of an event's board stream (a genuine link's, as /proiettore gives it)."""
    config = services.config
    token = services.flows.projector.tokens.issue(
        event_id, valid_until(config, config.event(event_id))
    )
    return f"{base}{projector_path(token)}events?mode={mode}"


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
