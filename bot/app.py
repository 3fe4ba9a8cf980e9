"""Building and running the Telegram Application: services live from post_init to post_shutdown.

:func:`serve` is ``psm-bot run``: it checks the database, reaches the Bot API server (again
and again, with a growing pause, while it cannot), runs until SIGINT/SIGTERM, and turns what
stops it from starting into one :class:`StartupError` line instead of a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults

from bot.kernel.clock import Clock, SystemClock
from bot.kernel.logs import install_redaction, safe_reason
from bot.services import Services
from config.event import EventConfig
from config.settings import Settings
from handlers.about import about_job
from handlers.bot_api import TelegramTransport
from handlers.context import BotData, PsmApplication, PsmContext
from handlers.health import PulseRateLimiter, PulseUpdatesRequest
from handlers.http import AiohttpRequest, client_ssl_context
from handlers.menus import menus_job
from handlers.operations import Operations
from handlers.processing import PerUserUpdateProcessor
from handlers.web_errors import WebListenError
from handlers.webhook import WebhookOptions, WebhookServer
from storage.backup import RunLock
from storage.db import Database
from storage.errors import database_error

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
# On SIGTERM the deliveries in flight get this long to finish before the HTTP session closes
# (the whole stop stays under 10 s; systemd's TimeoutStopSec is 90 s by default).
STOP_GRACE = 8.0


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
    run_lock = RunLock(settings.database)  # prod-ops: psm-bot restore refuses while held
    operations = Operations(settings, config, clock)  # prod-ops: heartbeat, /healthz, backups

    async def post_init(application: PsmApplication) -> None:
        run_lock.hold()
        services = await Services.start(settings, config, clock)
        application.bot_data.services = services
        await services.start_sender(TelegramTransport(application.bot))
        assert application.job_queue is not None
        application.job_queue.run_repeating(
            outbox_tick, interval=settings.outbox_interval, first=0, name="outbox"
        )
        # the bot's description in both languages, once polling runs (handlers/about.py)
        application.job_queue.run_once(about_job, when=0, name="about")
        # the menus, the participants' then each staff member's, once polling runs too
        application.job_queue.run_once(menus_job, when=0, name="menus")

        await operations.start(application, services)
        application.bot_data.operations = operations

    async def post_stop(application: PsmApplication) -> None:
        # updates and jobs have stopped; the HTTP session is still open: finish what is in
        # flight (graceful stop, issue 14) instead of cutting it and resending it at restart
        services = application.bot_data.services
        if services is not None:
            await services.stop_ticking(grace=STOP_GRACE)

    async def post_shutdown(application: PsmApplication) -> None:
        services = application.bot_data.services
        if services is not None:
            await operations.stop()
            await services.stop_ticking()  # already stopped by post_stop, unless it failed
            application.bot_data.services = None
            await services.close()
        run_lock.release()

    trusted = client_ssl_context(settings.ca_file)  # PSM_CA_FILE's CAs, with the system's
    builder = (
        ApplicationBuilder()
        .token(settings.token())
        .context_types(ContextTypes(context=PsmContext, bot_data=BotData))
        # every text, caption and edit is HTML, never with a link preview (handlers/bot_api.py)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(PerUserUpdateProcessor(max_concurrent_updates))
        .rate_limiter(
            PulseRateLimiter(
                operations.pulse, settings.overall_rate, settings.chat_rate, settings.chat_burst
            )
        )
        .request(
            AiohttpRequest(
                connection_pool_size=settings.http_connections,
                proxy=settings.proxy_url(),
                ssl_context=trusted,
            )
        )
        .get_updates_request(
            PulseUpdatesRequest(
                operations.pulse,
                connection_pool_size=1,
                proxy=settings.proxy_url(),
                ssl_context=trusted,
            )
        )
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    urls = bot_api_urls(settings)
    if urls is not None:
        builder = builder.base_url(urls[0]).base_file_url(urls[1])
    application: PsmApplication = builder.build()  # type: ignore[assignment]
    if register is None:
        from handlers import register as register_handlers

        register = register_handlers
    register(application)
    return application


TELEGRAM = "https://api.telegram.org"


def bot_api_urls(settings: Settings) -> tuple[str, str] | None:
    """The Bot API's method and file URLs (``{token}`` is PTB's placeholder), None for
    Telegram's production ones. ``PSM_TEST_ENVIRONMENT`` adds ``/test`` after the token, as
    Telegram's test servers want (``https://api.telegram.org/bot<token>/test/getMe``)."""
    if not settings.api_base_url and not settings.test_environment:
        return None
    root = settings.api_base_url or TELEGRAM
    test = "/test" if settings.test_environment else ""
    return f"{root}/bot{{token}}{test}", f"{root}/file/bot{{token}}{test}"


# Young objects are collected after this many allocations instead of Python's 700 (below).
GC_THRESHOLD = (20_000, 10, 10)
# ``psm-bot run`` freezes what start-up built this long after polling (or the webhook)
# started, so that the full collection (some 50 ms) does not delay the first getUpdates.
FREEZE_AFTER = 0.5


def relax_garbage_collector() -> None:
    """Collect young objects after 20,000 allocations instead of 700 (cheap; call early).

    ``psm-bot`` calls it before its heavy imports (bot/cli): with Python's default, the
    thousand modules and dataclasses of a start-up ran some hundred collections (about
    60-100 ms of the start-up, measured with ``bench/bench_startup.py``).
    """
    gc.set_threshold(*GC_THRESHOLD)


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
    relax_garbage_collector()


async def outbox_tick(context: PsmContext) -> None:
    """Periodic job: start due broadcasts, then deliver due outbox messages (in background)."""
    context.services.tick_soon()


@asynccontextmanager
async def running(
    application: PsmApplication,
    *,
    poll_timeout: int = 10,
    webhook: WebhookOptions | None = None,
    **polling: Any,
) -> AsyncIterator[PsmApplication]:
    """Run the bot inside a block, as ``run_polling``/``run_webhook`` would, then shut it
    down. With ``webhook``, updates come to :class:`WebhookServer` (``setWebhook`` keeps the
    pending ones); otherwise by polling (whose start deletes a webhook, keeping them too)."""
    await application.initialize()
    server = None
    try:
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None
        if webhook is None:
            await application.updater.start_polling(
                timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES, **polling
            )
        await application.start()
        try:
            if webhook is not None:
                server = WebhookServer(application, webhook)
                await server.start()
                await application.bot.set_webhook(
                    webhook.url,
                    secret_token=webhook.secret,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                )
                application.bot_data.webhook = server
            yield application
        finally:
            if server is not None:
                await server.stop()  # Telegram keeps the next updates (no deleteWebhook)
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
                if application.post_stop is not None:
                    await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


# --- psm-bot run ---------------------------------------------------------------------------

TOKEN_REJECTED = "Telegram rejected the token: check PSM_BOT_TOKEN"


class StartupError(Exception):
    """The bot cannot start; ``str()`` is the one line to print (never the token)."""


@dataclass(frozen=True)
class Backoff:
    """The pauses between attempts to reach the Bot API server: 1, 2, 4 ... 60 s.

    ``attempts`` None (the default) tries for ever, as a service under systemd should: the
    network or the server usually comes back. Tests give a cap and short pauses.
    """

    first: float = 1.0
    cap: float = 60.0
    attempts: int | None = None

    def delay(self, attempt: int) -> float:
        """The pause after failed attempt number ``attempt`` (from 1)."""
        return float(min(self.cap, self.first * 2 ** min(attempt - 1, 30)))


def _server(settings: Settings) -> str:
    """The Bot API server, as the operator configured it (no token, no path)."""
    test = " (test environment)" if settings.test_environment else ""
    if not settings.api_base_url:
        return TELEGRAM + test
    parts = urlsplit(settings.api_base_url)
    root = f"{parts.scheme}://{parts.netloc}" if parts.netloc else settings.api_base_url
    return root + test


def _stop_on_signals(stop: asyncio.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set ``stop`` (main thread only); returns how to undo it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    installed = []
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # e.g. Windows
            continue
        installed.append(number)

    def undo() -> None:
        for number in installed:
            loop.remove_signal_handler(number)

    return undo


async def check_database(settings: Settings) -> None:
    """Open (create, migrate, check writable) and close the database: raises
    :class:`storage.errors.DatabaseError` with one line when it cannot be used."""
    database = await Database.open(settings.database)
    await database.close()


async def serve(
    settings: Settings,
    config: EventConfig,
    *,
    clock: Clock | None = None,
    backoff: Backoff | None = None,
    stop: asyncio.Event | None = None,
    poll_timeout: int = 10,
) -> None:
    """Run the bot until ``stop`` is set (SIGINT/SIGTERM set it).

    First the database (local problems are permanent: one line, see
    :mod:`storage.errors`), then the Bot API server: a token it rejects is a
    :class:`StartupError`; a server it cannot reach is tried again after 1, 2, 4 ... 60 s,
    one log line per attempt, until it answers (or ``backoff.attempts`` is reached).
    """
    backoff = backoff or Backoff()
    stop = stop or asyncio.Event()
    undo_signals = _stop_on_signals(stop)
    server = _server(settings)
    webhook = WebhookOptions.from_settings(settings)
    how = f", webhook {webhook.url} on {webhook.listen}:{webhook.port}" if webhook else ", polling"
    try:
        await check_database(settings)
        attempt = 0
        while not stop.is_set():
            attempt += 1
            application = build_application(settings, config, clock)
            relax_garbage_collector()
            freeze: asyncio.TimerHandle | None = None
            try:
                async with running(application, poll_timeout=poll_timeout, webhook=webhook):
                    me = application.bot.username
                    log.info("psm-bot is running as @%s (Bot API server %s%s)", me, server, how)
                    if gc.get_freeze_count() == 0:  # once polling runs, not before it
                        loop = asyncio.get_running_loop()
                        freeze = loop.call_later(FREEZE_AFTER, tune_garbage_collector)
                    await stop.wait()
                log.info("psm-bot stopped")
                return
            except InvalidToken:
                where = (
                    f" (Bot API server {server}, PSM_API_BASE_URL)" if settings.api_base_url else ""
                )
                raise StartupError(TOKEN_REJECTED + where) from None
            except NetworkError as exc:  # not reached, or lost while starting (TimedOut too)
                reason = safe_reason(exc) or type(exc).__name__
                if backoff.attempts is not None and attempt >= backoff.attempts:
                    raise StartupError(
                        f"cannot reach the Bot API server at {server} ({reason}): gave up "
                        f"after {attempt} attempts"
                    ) from None
                delay = backoff.delay(attempt)
                log.warning(
                    "cannot reach the Bot API server at %s (attempt %d: %s): trying again in %g s",
                    server,
                    attempt,
                    reason,
                    delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
            except TelegramError as exc:  # e.g. 403/409 while starting: nothing to retry
                reason = safe_reason(exc) or type(exc).__name__
                raise StartupError(
                    f"the Bot API server at {server} refused to start the bot: {reason}"
                ) from None
            except sqlite3.Error as exc:  # the database failed after it was opened
                raise database_error(settings.database, exc) from None
            except WebListenError as exc:  # issue 15: the web server's address (one line)
                raise StartupError(str(exc)) from None
            except OSError as exc:  # the webhook's address (in use, not this machine's)
                if webhook is None:
                    raise
                raise StartupError(
                    f"cannot listen for the webhook on {webhook.listen}:{webhook.port} "
                    f"({exc.strerror or type(exc).__name__}): check PSM_WEBHOOK_LISTEN and "
                    "PSM_WEBHOOK_PORT"
                ) from None
            finally:
                if freeze is not None:
                    freeze.cancel()
                await application.bot.shutdown()  # the HTTP sessions, even if getMe failed
    finally:
        undo_signals()
