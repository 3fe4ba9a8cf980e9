"""``psm-bot sandbox``: the real bot against a local simulation of Telegram, in the browser.

``make run`` runs ``psm-bot run --or-sandbox``: with a token it is ``psm-bot run``; without
one it starts the sandbox and says so first (:func:`choose`). ``psm-bot run`` alone still
refuses to start without a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.cli import common
from bot.cli.common import EXIT_INVALID, load_config
from config.event import EventConfigError
from config.settings import MissingTokenError, Settings

NO_TOKEN_LINE = (
    "psm-bot: no PSM_BOT_TOKEN, so this is the sandbox (a local simulation of Telegram, no "
    "real users); to run a real bot, put PSM_BOT_TOKEN=<token from @BotFather> in .env and "
    "run make run again"
)


def choose(settings: Settings) -> str:
    """What ``make run`` starts: ``"run"`` (the real bot) with a token, else ``"sandbox"``."""
    try:
        settings.token()
    except MissingTokenError:
        return "sandbox"
    return "run"


@dataclass(frozen=True)
class Options:
    """The sandbox's command line over its settings."""

    host: str
    port: int
    database: Path
    fresh: bool = False


def options(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    database: Path | None = None,
    fresh: bool = False,
) -> Options:
    """The command line's values, else ``PSM_SANDBOX_*``."""
    return Options(
        host or settings.sandbox_host,
        settings.sandbox_port if port is None else port,
        (database or settings.sandbox_database).expanduser().resolve(),
        fresh,
    )


def same_file(first: Path, second: Path) -> bool:
    """Whether two paths name the same file (existing or not)."""
    a, b = first.expanduser().resolve(), second.expanduser().resolve()
    if a == b:
        return True
    with contextlib.suppress(OSError):
        return a.exists() and b.exists() and a.samefile(b)
    return False


def refusal(settings: Settings, chosen: Options) -> str | None:
    """Why the sandbox may not use this database (the production one), or None."""
    if same_file(chosen.database, Path(settings.database)):
        return (
            f"psm-bot sandbox: {chosen.database} is the bot's database (PSM_DATABASE): the "
            "sandbox keeps its own file; use --database or PSM_SANDBOX_DATABASE"
        )
    if chosen.database.is_dir():
        return f"psm-bot sandbox: {chosen.database} is a folder, not a database file"
    return None


def first_line(url: str, chosen: Options) -> str:
    """What the sandbox says first: what it is, the page, its database, how to stop."""
    return (
        f"psm-bot sandbox: the real bot on a local simulation of Telegram, open {url} — "
        f"database {chosen.database} (the sandbox's own) — Ctrl+C to stop"
    )


def page_url(host: str, port: int) -> str:
    """The page's address (the loopback's name for the addresses that mean every one)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def sandbox(settings: Settings, chosen: Options) -> int:
    """Run the sandbox until Ctrl+C / SIGTERM; one line and exit 2 when it cannot start."""
    refused = refusal(settings, chosen)
    if refused:
        print(refused, file=sys.stderr)
        return EXIT_INVALID
    if load_config(settings.event_file) is None:
        return EXIT_INVALID
    from bot.kernel.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    try:
        return asyncio.run(_serve(settings, chosen))
    except KeyboardInterrupt:
        return 0


async def _serve(settings: Settings, chosen: Options) -> int:
    from bot.sandbox.rehearsal import shift_events
    from bot.sandbox.runtime import Sandbox, delete_database
    from bot.sandbox.web import serve_web

    try:
        config = shift_events(settings.event_file)  # today in the events' time zone
    except EventConfigError as exc:  # valid as written, not once moved to the coming days
        for line in exc.lines(common.LANGUAGE):
            print(f"psm-bot sandbox: the events moved to the coming days: {line}", file=sys.stderr)
        return EXIT_INVALID
    if chosen.fresh:
        delete_database(chosen.database)
    box = Sandbox(settings, config, chosen.database)
    await box.start()
    try:
        try:
            runner = await serve_web(box, chosen.host, chosen.port)
        except OSError as exc:
            print(
                f"psm-bot sandbox: cannot listen on {chosen.host}:{chosen.port} "
                f"({exc.strerror or exc}): use --port or PSM_SANDBOX_PORT",
                file=sys.stderr,
            )
            return EXIT_INVALID
        port = runner.addresses[0][1] if runner.addresses else chosen.port
        print(first_line(page_url(chosen.host, port), chosen), flush=True)
        if chosen.host not in ("127.0.0.1", "localhost", "::1"):
            print(
                f"psm-bot sandbox: listening on {chosen.host}: others on the network can open it",
                flush=True,
            )
        try:
            await _until_stopped()
        finally:
            await runner.cleanup()
    finally:
        await box.stop()
    return 0


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(number, stop.set)
    await stop.wait()
