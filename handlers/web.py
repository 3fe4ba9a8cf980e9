"""The bot's own web server (``PSM_WEB_HOST``:``PSM_WEB_PORT``): the projector page and
``/healthz``, on one aiohttp server started with the bot (issue 15).

Decisions:
- Loopback by default: the organisation's reverse proxy exposes it at ``PSM_PUBLIC_URL``
  (TLS there), forwarding the public path to this server's root (``/projector/...``); the
  page's own addresses are relative, so a prefix such as ``/psm-bot/`` works when the proxy
  strips it.
- ``/healthz`` is always served here too. ``PSM_HEALTH_PORT`` keeps working as before: when
  set (and not the same address as this server) its own small server still answers
  ``/healthz`` there, so monitoring set up before needs no change.
- A port that cannot be used stops the start with one line (:class:`WebListenError`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from handlers.projector_web import SiteSource, add_projector_routes
from handlers.web_errors import WebListenError

log = logging.getLogger(__name__)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebServer:
    """One aiohttp server: ``/healthz`` and the projector."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app = web.Application()
        self._runner: web.AppRunner | None = None

    def add_healthz(self, handler: Route) -> None:
        """Serve ``GET /healthz`` with ``handler``."""
        self.app.router.add_get("/healthz", handler)

    def add_projector(self, source: SiteSource) -> None:
        """Serve the projector (:mod:`handlers.projector_web`)."""
        add_projector_routes(self.app, source)

    async def start(self) -> int:
        """Listen; returns the port (a free one when ``port`` is 0)."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise WebListenError(
                exc.errno,
                f"cannot listen for the web server on {self.host}:{self.port} "
                f"({exc.strerror or type(exc).__name__}): check PSM_WEB_HOST and PSM_WEB_PORT",
            ) from None
        if self._runner.addresses:
            self.port = int(self._runner.addresses[0][1])
        log.info("web server (projector, /healthz) on http://%s:%d/", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop listening (the projector's streams end)."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
