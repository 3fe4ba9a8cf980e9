"""Building and running the Telegram Application: services live from post_init to post_shutdown."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationBuilder, ContextTypes

from bot.clock import Clock, SystemClock
from bot.commands import menu
from bot.context import BotData, PsmApplication, PsmContext
from bot.http import AiohttpRequest, UpdatesRequest
from bot.i18n import LANGUAGES, Catalog
from bot.logs import install_redaction
from bot.processing import PerUserUpdateProcessor
from bot.ratelimit import SmoothRateLimiter
from bot.registration import OUTBOX_KINDS, RegistrationFlows
from bot.services import Services
from bot.transport import TelegramTransport
from config.event import EventConfig
from config.settings import Settings

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


def build_application(
    settings: Settings,
    config: EventConfig,
    clock: Clock | None = None,
    *,
    register: Callable[[PsmApplication], None] | None = None,
    max_concurrent_updates: int = 256,
) -> PsmApplication:
    """A ready-to-run Application; services start in post_init and stop in post_shutdown."""
    clock = clock or SystemClock()
    install_redaction(settings.token())

    async def post_init(application: PsmApplication) -> None:
        services = await Services.start(settings, config, clock)
        application.bot_data.services = services
        flows = application.bot_data.flows = RegistrationFlows(services)
        await set_menus(application)
        sender = await services.start_sender(TelegramTransport(application.bot))
        for kind in OUTBOX_KINDS:
            sender.register(kind, flows.render_outbox)
        assert application.job_queue is not None
        application.job_queue.run_repeating(
            outbox_tick, interval=settings.outbox_interval, first=0, name="outbox"
        )

    async def post_shutdown(application: PsmApplication) -> None:
        services = application.bot_data.services
        if services is not None:
            await services.stop_ticking()
            application.bot_data.services = None
            application.bot_data.flows = None
            await services.close()

    builder = (
        ApplicationBuilder()
        .token(settings.token())
        .context_types(ContextTypes(context=PsmContext, bot_data=BotData))
        .concurrent_updates(PerUserUpdateProcessor(max_concurrent_updates))
        .rate_limiter(
            SmoothRateLimiter(settings.overall_rate, settings.chat_rate, settings.chat_burst)
        )
        .request(AiohttpRequest(connection_pool_size=settings.http_connections))
        .get_updates_request(UpdatesRequest(connection_pool_size=1))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.api_base_url:
        builder = builder.base_url(f"{settings.api_base_url}/bot").base_file_url(
            f"{settings.api_base_url}/file/bot"
        )
    application: PsmApplication = builder.build()  # type: ignore[assignment]
    if register is None:
        from handlers import register as register_handlers

        register = register_handlers
    register(application)
    return application


def tune_garbage_collector() -> None:
    """Keep the garbage collector's pauses out of a busy room's way (call once, at start).

    What exists once the bot is built (the imported libraries, the event configuration:
    some 150,000 objects) is moved out of the collector's sight with :func:`gc.freeze`, and
    young objects are collected after 20,000 allocations instead of 700: a burst of button
    presses allocates many short-lived Bot API objects, and with the default settings full
    collections of 50-130 ms fell in the middle of it (seen in ``bench/bench_polls.py``).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


async def outbox_tick(context: PsmContext) -> None:
    """Periodic job: start due broadcasts, then deliver due outbox messages (in background)."""
    context.services.tick_soon()


def menu_commands(
    catalog: Catalog, language: str, roles: set[str] | None = None
) -> list[BotCommand]:
    """The command menu in ``language`` for a user with these roles."""
    return [BotCommand(name, catalog(language, key)) for name, key in menu(language, roles)]


async def set_menus(application: PsmApplication) -> None:
    """The participant menu in Italian (default) and English; staff get their own menus."""
    services = application.bot_data.services
    assert services is not None
    for language in LANGUAGES:
        await application.bot.set_my_commands(
            menu_commands(services.catalog, language),
            scope=BotCommandScopeDefault(),
            language_code=None if language == "it" else language,
        )
    staff = set(services.settings.organisers) | {
        grant.user_id for grant in await services.roles.store.grants()
    }
    for user_id in staff:
        await set_user_menu(application.bot, services, user_id)


async def set_user_menu(bot: Bot, services: Services, user_id: int) -> None:
    """Show this user the menu of their roles, in their chosen language or in both."""
    roles = await services.roles.names(user_id)
    user = await services.users.get(user_id)
    chosen = user.language if user else None
    scope = BotCommandScopeChat(user_id)
    try:
        if chosen is not None:  # one menu, whatever the client language
            await bot.set_my_commands(menu_commands(services.catalog, chosen, roles), scope=scope)
            await bot.delete_my_commands(scope=scope, language_code="en")
            return
        for language in LANGUAGES:
            code = None if language == "it" else language
            if roles:
                await bot.set_my_commands(
                    menu_commands(services.catalog, language, roles),
                    scope=scope,
                    language_code=code,
                )
            else:  # back to the default participant menu
                await bot.delete_my_commands(scope=scope, language_code=code)
    except BadRequest:  # no chat with this user yet
        log.info("menu not set for one user: no chat with the bot yet")


@asynccontextmanager
async def running(
    application: PsmApplication, *, poll_timeout: int = 10, **polling: Any
) -> AsyncIterator[PsmApplication]:
    """Run the bot (polling) inside a block, as ``run_polling`` would, then shut it down."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES, **polling
        )
        await application.start()
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
