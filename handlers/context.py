"""Typed callback context: handlers reach the services as attributes, not by string key."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.registration.flows import RegistrationFlows
from bot.services import Services


class BotData:
    """The application's ``bot_data``: the running services, set in ``post_init``."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.flows: RegistrationFlows | None = None


class PsmContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """Callback context with typed access to the running services."""

    @property
    def services(self) -> Services:
        """The services started in ``post_init``."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("psm-bot services are not started")
        return services

    @property
    def flows(self) -> RegistrationFlows:
        """The registration flows."""
        flows = self.bot_data.flows
        if flows is None:
            raise RuntimeError("psm-bot services are not started")
        return flows


PsmApplication = Application[ExtBot[None], PsmContext, dict[Any, Any], dict[Any, Any], BotData, Any]
