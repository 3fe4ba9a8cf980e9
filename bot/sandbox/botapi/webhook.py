"""Delivering updates by webhook, as Telegram does (``setWebhook``, ``deleteWebhook``,
``getWebhookInfo``).

With a webhook set, every pending update (of the allowed kinds) is POSTed as JSON to the URL,
in order, one at a time, with the ``X-Telegram-Bot-Api-Secret-Token`` header when a secret
was given; a 2XX answer confirms it, anything else (or no answer) is recorded as
``last_error_message`` and retried after :attr:`ServerWebhook.webhook_retry` seconds, so that
nothing is lost while the bot is down. ``getUpdates`` answers 409 while a webhook is set.
Unlike Telegram, plain ``http://`` URLs are accepted (the tests' bot listens on loopback
without TLS, behind no proxy).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import aiohttp

from .base import ServerBase
from .common import ApiError
from .models import RequestRecord

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class ServerWebhook(ServerBase):
    """The webhook methods and the task that delivers updates to the webhook."""

    webhook_retry = 0.2  # seconds between two attempts to deliver to a failing webhook
    webhook_secret = ""
    webhook_error: tuple[int, str] | None = None  # (unix time, message) of the last failure
    _webhook_task: asyncio.Task[None] | None = None
    _webhook_wake: asyncio.Event | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: (update_id, HTTP status or 0) of every delivery attempt
        self.webhook_posts: list[tuple[int, int]] = []

    def _m_setwebhook(self, params: dict[str, Any], record: RequestRecord) -> Any:
        url = params["url"]
        if url and not url.startswith(("https://", "http://")):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token") or ""
        if len(secret) > 256 or any(not (c.isalnum() or c in "_-") for c in secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if "allowed_updates" in params:
            allowed = params["allowed_updates"]
            self.allowed_updates = frozenset(allowed) if allowed else self._default_allowed
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url, self.webhook_secret = url, secret
        self.webhook_error = None
        self._wake_webhook()
        return True

    def _m_deletewebhook(self, params: dict[str, Any], record: RequestRecord) -> Any:
        self.webhook_url, self.webhook_secret = "", ""
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._wake_webhook()
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any], record: RequestRecord) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            info["allowed_updates"] = sorted(self.allowed_updates)
        if self.webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    def enqueue_update(self, payload: dict[str, Any], *, check: bool = True) -> dict[str, Any]:
        """Queue an update (see :meth:`ServerBase.enqueue_update`); delivered by webhook if set."""
        update = super().enqueue_update(payload, check=check)
        self._wake_webhook()
        return update

    def _undelivered(self) -> bool:
        # with a webhook, an update is delivered when the bot's answer confirmed it
        if self.webhook_url:
            return any(self._kind(u) in self.allowed_updates for u in self._pending)
        return super()._undelivered()

    @staticmethod
    def _kind(update: dict[str, Any]) -> str:
        return next((k for k in update if k != "update_id"), "")

    def _wake_webhook(self) -> None:
        if self._webhook_wake is None:
            self._webhook_wake = asyncio.Event()
        self._webhook_wake.set()
        if self.webhook_url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.create_task(self._deliver_loop(), name="fake webhook")

    async def _deliver_loop(self) -> None:
        """POST the pending updates to the webhook, in order, until it is deleted."""
        assert self._webhook_wake is not None
        async with aiohttp.ClientSession() as session:
            while self.webhook_url and not self._stopping:
                self._webhook_wake.clear()
                updates = self._select_updates(1)
                if not updates:
                    await self._webhook_wake.wait()
                    continue
                if not await self._post(session, updates[0]):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._webhook_wake.wait(), self.webhook_retry)

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        """One delivery attempt; True when the bot confirmed the update (2XX)."""
        url, secret = self.webhook_url, self.webhook_secret
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SECRET_HEADER] = secret
        self._inflight += 1
        status, problem = 0, ""
        try:
            async with session.post(
                url, data=json.dumps(update), headers=headers, timeout=aiohttp.ClientTimeout(10)
            ) as answer:
                status = answer.status
                await answer.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            problem = f"Connection refused ({type(exc).__name__})"
        finally:
            self._inflight -= 1
            self._last_activity = time.monotonic()
        self.webhook_posts.append((update["update_id"], status))
        if 200 <= status < 300 and self._pending and self._pending[0] is update:
            self._pending.popleft()
            self._max_fetched_id = max(self._max_fetched_id, update["update_id"])
            self._notify()
            return True
        self.webhook_error = (
            int(time.time()),
            problem or f"Wrong response from the webhook: {status}",
        )
        self._notify()
        return False

    async def stop(self) -> None:
        """Stop delivering, then stop the server."""
        self._stopping = True
        if self._webhook_wake is not None:
            self._webhook_wake.set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        await super().stop()
