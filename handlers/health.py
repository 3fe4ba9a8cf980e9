"""The running bot's health: what it records for ``psm-bot status``, and ``/healthz``.

- :class:`PulseUpdatesRequest` is the ``getUpdates`` connection that tells the
  :class:`~bot.kernel.health.Pulse` when an answer came back (a successful poll);
- :class:`PulseRateLimiter` tells it of every 429 Telegram answers;
- :class:`HealthServer` is a small aiohttp server (``PSM_HEALTH_PORT``, on
  ``PSM_HEALTH_HOST``, loopback by default) answering ``GET /healthz`` with the status as
  JSON: 200 when healthy, 503 otherwise — for the server's monitoring (a load balancer, a
  Nagios/Zabbix check, ``curl -f``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from telegram.error import RetryAfter

from bot.kernel.health import Pulse, Status
from handlers.http import UpdatesRequest
from handlers.ratelimit import Pace, SmoothRateLimiter

if TYPE_CHECKING:  # aiohttp's server is imported only when /healthz is served (start-up cost)
    from aiohttp import web

log = logging.getLogger(__name__)


class PulseUpdatesRequest(UpdatesRequest):
    """:class:`UpdatesRequest` that records each successful ``getUpdates`` in the pulse."""

    def __init__(self, pulse: Pulse, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pulse = pulse

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """The request; a 200 answer is a successful poll."""
        code, body = await super().do_request(*args, **kwargs)
        if code == 200:
            self.pulse.updates_received()
        return code, body


class PulseRateLimiter(SmoothRateLimiter):
    """:class:`SmoothRateLimiter` that records every 429 in the pulse."""

    def __init__(self, pulse: Pulse, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pulse = pulse

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Pace | None,
    ) -> Any:
        """As the limiter does, counting the 429s on the way."""
        pulse = self.pulse

        async def counted(*call_args: Any, **call_kwargs: Any) -> Any:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter:
                pulse.flood(endpoint)
                raise

        return await super().process_request(counted, args, kwargs, endpoint, data, rate_limit_args)


class HealthServer:
    """``GET /healthz``: the status as JSON, 200 healthy / 503 unhealthy."""

    def __init__(self, status: Callable[[], Awaitable[Status]], host: str, port: int) -> None:
        self.status = status
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def healthz(self, request: web.Request) -> web.Response:
        """``GET /healthz`` (also mounted on the bot's web server, handlers/web.py)."""
        from aiohttp import web

        try:
            status = await self.status()
        except Exception as exc:  # the database cannot be read: unhealthy, said so
            body = {"healthy": False, "problems": [f"status unavailable: {type(exc).__name__}"]}
            return web.json_response(body, status=503)
        return web.json_response(
            status.as_json(), status=200 if status.healthy else 503, dumps=json.dumps
        )

    async def start(self) -> int:
        """Listen; returns the port (a free one when ``port`` is 0)."""
        from aiohttp import web  # only now: most bots run without /healthz

        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        log.info("health check on http://%s:%d/healthz", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
