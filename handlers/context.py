"""Typed callback context: handlers reach the flows and services as attributes, not by key.

Per-bot state lives on :class:`BotData` too (the pending ballot edits of
:mod:`handlers.edits`), never in module globals.
"""

from __future__ import annotations

from typing import Any, Protocol

from telegram.ext import Application, CallbackContext, ExtBot

from bot.kernel.health import Pulse
from bot.services import Flows, Services
from handlers.edits import LatestEdits


class RunningOperations(Protocol):
    """What the handlers use of :class:`handlers.operations.Operations` (a protocol, so that
    the context and the modules that use it do not import each other)."""

    pulse: Pulse

    def alert_for(self, error: BaseException | None) -> str | None:
        """The line to tell organisers now when ``error`` is a database fault, else None."""
        ...


class RunningWebhook(Protocol):
    """What is read of :class:`handlers.webhook.WebhookServer` (webhook mode)."""

    last_update: float | None


class BotData:
    """The application's ``bot_data``: the running services, set in ``post_init``."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.ballot_edits = LatestEdits()  # ballot messages waiting for their new look
        self.question_edits = LatestEdits(
            "a question list"
        )  # plenary questions (part A): lists to re-count
        self.webhook: RunningWebhook | None = None  # webhook mode: the server receiving updates
        self.operations: RunningOperations | None = None  # heartbeat, /healthz, backups (prod-ops)


class PsmContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """Callback context with typed access to the running services and flows."""

    @property
    def services(self) -> Services:
        """The services started in ``post_init``."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("psm-bot services are not started")
        return services

    @property
    def flows(self) -> Flows:
        """Every capability's flows."""
        return self.services.flows


PsmApplication = Application[ExtBot[None], PsmContext, dict[Any, Any], dict[Any, Any], BotData, Any]
