"""Webhook mode: Telegram POSTs each update to the bot's small aiohttp server.

Polling stays the default (right for one bot on one SQLite file). With ``PSM_WEBHOOK_URL``
the bot listens on ``PSM_WEBHOOK_LISTEN:PSM_WEBHOOK_PORT`` (loopback by default: the
organisation's reverse proxy terminates TLS and forwards the URL's path here) and checks the
``X-Telegram-Bot-Api-Secret-Token`` header of every request against ``PSM_WEBHOOK_SECRET``:
without it, or with a wrong one, 403 and nothing else happens. An accepted update is put on
the Application's update queue, as polling does, and answered 200 at once.

The server is aiohttp's (already the bot's HTTP client), not PTB's ``run_webhook``, which
would add tornado as a dependency for the same few lines, and gives no place for other
endpoints of the bot's own web server.

Switching loses no update: ``setWebhook`` is called without ``drop_pending_updates`` (what
Telegram kept while the bot polled, or was down, is delivered to the webhook), the webhook
is not deleted on stop (Telegram keeps the updates and retries), and polling's start calls
``deleteWebhook`` without dropping them either (PTB's ``start_polling``).
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import Update

from config.settings import Settings
from handlers.context import PsmApplication
from handlers.http import prune_pressed_message

if TYPE_CHECKING:  # aiohttp's server is imported only in webhook mode (start-up cost)
    from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kilobytes; a bigger body is refused


@dataclass(frozen=True)
class WebhookOptions:
    """Where Telegram sends updates and where the bot listens for them."""

    url: str
    listen: str
    port: int
    path: str
    secret: str

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookOptions | None:
        """The options of ``PSM_WEBHOOK_*``; None for polling (no ``PSM_WEBHOOK_URL``)."""
        if not settings.webhook_url:
            return None
        return cls(
            url=settings.webhook_url,
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            path=settings.webhook_path(),
            secret=settings.webhook_secret_value(),
        )


class WebhookServer:
    """The aiohttp server that receives updates for ``application``."""

    def __init__(self, application: PsmApplication, options: WebhookOptions) -> None:
        self.application = application
        self.options = options
        self._runner: web.AppRunner | None = None
        self.refused = 0  # requests without the right secret (counted, never logged one by one)
        self.last_update: float | None = None  # time.time() of the last accepted update

    async def start(self) -> None:
        """Listen (raises :class:`OSError` when the address cannot be used)."""
        from aiohttp import web  # only now: polling, the default, does not need it

        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self.options.path, self._receive)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.listen, self.options.port)
        try:
            await site.start()
        except OSError:
            await self.stop()
            raise

    @property
    def port(self) -> int:
        """The port actually listened on (``PSM_WEBHOOK_PORT``, or the free one chosen for 0)."""
        assert self._runner is not None
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening: Telegram keeps what comes next and retries later."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        from aiohttp import web

        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.options.secret.encode()):
            self.refused += 1
            if self.refused in (1, 10, 100) or self.refused % 1000 == 0:
                log.warning(
                    "webhook: %d request(s) refused without the right secret token", self.refused
                )
            return web.Response(status=403, text="Forbidden")
        try:
            data = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="Bad Request: not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="Bad Request: not an update")
        prune_pressed_message(data)
        update = Update.de_json(data, self.application.bot)
        await self.application.update_queue.put(update)
        self.last_update = time.time()
        operations = self.application.bot_data.operations
        if operations is not None:  # psm-bot status and /healthz: updates are arriving
            operations.pulse.updates_received()
        return web.Response(status=200)
