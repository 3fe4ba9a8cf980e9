"""``psm-bot status [--json]``: is the bot running and receiving updates, the outbox's
backlog and pace, the 429s of the last hour, the database's size and its last backup.

Read from the database the running bot writes its heartbeat to (every 30 s), so it works
from another shell, another user with read access, or a monitoring script. Exit code 0
when healthy, 1 when not (the problems are the first line), 2 when the database cannot be
used.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from bot.cli import common
from bot.cli.common import EXIT_INVALID
from bot.kernel.health import Status, read_status, status_lines
from config.event import EventConfigError, load_event_config
from config.settings import Settings
from storage.db import Database
from storage.ops import OpsRepository

EXIT_UNHEALTHY = 1


async def _read(settings: Settings) -> Status | None:
    path = common.open_database(settings)
    if path is None:
        return None
    db = await Database.open(path)
    try:
        return await read_status(OpsRepository(db), path, common.CLOCK.now())
    finally:
        await db.close()


def _time_zone(settings: Settings) -> dt.tzinfo:
    """The event file's time zone (times are shown as the organisers read them), else UTC."""
    try:
        return load_event_config(settings.event_file).tz
    except EventConfigError:
        return dt.UTC


def status(settings: Settings, *, as_json: bool) -> int:
    """Print the status (text, or JSON as ``/healthz`` answers it)."""
    found = asyncio.run(_read(settings))
    if found is None:
        return EXIT_INVALID
    if as_json:
        print(json.dumps(found.as_json(), indent=2))
    else:
        for line in status_lines(found, _time_zone(settings)):
            print(line)
    return 0 if found.healthy else EXIT_UNHEALTHY
