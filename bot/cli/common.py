"""What the ``psm-bot`` commands share: exit codes, the clock and language they use, the
event file and the database as every command opens them (one line on stderr when they
cannot be used)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.kernel.clock import Clock, SystemClock
from bot.services import Services
from config.event import EventConfig, EventConfigError, load_event_config
from config.messages import DEFAULT_CLI_LANGUAGE, total_line
from config.settings import Settings

EXIT_INVALID = 2

# The clock the commands read "now" from (schedule, import-links, export file names); tests
# replace it with a FakeClock.
CLOCK: Clock = SystemClock()
# The language of what the commands say about the event file (set by bot.cli.main).
LANGUAGE: str = DEFAULT_CLI_LANGUAGE


def load_config(path: Path | None, language: str | None = None) -> EventConfig | None:
    """The event file, or None after printing one line per problem (and their count)."""
    language = language or LANGUAGE
    try:
        return load_event_config(path)
    except EventConfigError as exc:
        for line in exc.lines(language):
            print(line, file=sys.stderr)
        print(total_line(language, len(exc.issues)), file=sys.stderr)
        return None


def open_database(settings: Settings, *, create: bool = False) -> Path | None:
    """The database file, announced on stderr; ``None`` (and one line) when it cannot be used.

    A missing file is refused unless ``create`` (then it is announced as new): a command
    run in the wrong folder must not create, and read, an empty database.
    """
    path = Path(settings.database).expanduser().resolve()
    if path.is_dir():
        print(
            f"database: {path} is a folder, not a database file (set PSM_DATABASE)", file=sys.stderr
        )
        return None
    if not path.exists():
        if create:
            print(f"database: {path} (new file)", file=sys.stderr)
            return path
        print(
            f"database: no database at {path}; set PSM_DATABASE to the bot's database file "
            "(nothing was created)",
            file=sys.stderr,
        )
        return None
    print(f"database: {path}", file=sys.stderr)
    return path


@asynccontextmanager
async def services_on(
    settings: Settings, config: EventConfig, database: Path
) -> AsyncIterator[Services]:
    """The bot's services on ``database``, without Telegram (for commands)."""
    services = await Services.start(
        settings.model_copy(update={"database": database}), config, CLOCK
    )
    try:
        yield services
    finally:
        await services.close()
