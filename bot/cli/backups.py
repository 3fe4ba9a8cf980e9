"""``psm-bot backup [FILE] [--compress]`` and ``psm-bot restore FILE``.

``backup`` works while the bot runs (SQLite's online backup API, :mod:`storage.backup`);
``restore`` refuses while it runs (the bot's lock on ``<database>.lock``), verifies the file
and keeps the current database aside. Each prints what it did in one line on stdout; what
stops it is one line on stderr and exit code 2.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from bot.cli import common
from bot.cli.common import EXIT_INVALID
from config.event import EventConfigError, load_event_config
from config.settings import Settings
from storage.backup import RunLock, backup_database, default_backup_path, restore_database
from storage.errors import DatabaseError
from storage.retention import personal_data_count


def human_size(size: int) -> str:
    """``532 B``, ``1.4 MB``..."""
    amount = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if amount < 1000 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    raise AssertionError("unreachable")


def backup(settings: Settings, target: Path | None, *, compress: bool) -> int:
    """Back the database up to ``target`` (default: ``backups/`` next to it, with the time)."""
    database = common.open_database(settings)
    if database is None:
        return EXIT_INVALID
    if target is None:
        target = default_backup_path(database, common.CLOCK.now(), compress=compress)
    elif target.is_dir():
        target = target / default_backup_path(database, common.CLOCK.now(), compress=compress).name
    try:
        made = backup_database(database, target, compress=compress)
    except DatabaseError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return EXIT_INVALID
    kind = ", gzip" if made.compressed else ""
    print(
        f"backup: {made.path} ({human_size(made.size)}{kind}, schema version "
        f"{made.schema_version}, integrity ok, {made.seconds:.2f} s)"
    )
    warning = past_retention(settings, database)
    if warning:
        print(warning, file=sys.stderr)
    return 0


def past_retention(settings: Settings, database: Path) -> str | None:
    """A warning when ``process.retention_until`` has passed and the database (so the copy
    just made) still holds personal data; None otherwise, or when the event file cannot be
    read (a backup never depends on it)."""
    try:
        config = load_event_config(settings.event_file)
    except EventConfigError:
        return None
    until = config.process.retention_until
    if until is None or common.CLOCK.now().astimezone(config.tz).date() < until:
        return None
    try:
        count = personal_data_count(database)
    except sqlite3.Error:
        return None
    if not count:
        return None
    return (
        f"backup: warning: process.retention_until ({until.isoformat()}) has passed and this "
        "copy holds personal data: run psm-bot purge (it deletes the copies in backups/ too), "
        "or delete the copy"
    )


def restore(settings: Settings, source: Path) -> int:
    """Put the backup ``source`` in place of the database; refused while the bot runs."""
    database = Path(settings.database).expanduser().resolve()
    print(f"database: {database}", file=sys.stderr)
    if database.is_dir():
        print(
            f"restore: {database} is a folder, not a database file (set PSM_DATABASE)",
            file=sys.stderr,
        )
        return EXIT_INVALID
    lock = RunLock(database)
    try:
        lock.exclusive()
    except DatabaseError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return EXIT_INVALID
    try:
        kept = restore_database(source, database, common.CLOCK.now())
    except DatabaseError as exc:
        print(f"restore: {exc} (the database was not changed)", file=sys.stderr)
        return EXIT_INVALID
    finally:
        lock.release()
    aside = f"; the previous database is kept as {kept}" if kept else ""
    print(f"restore: {database} restored from {source} (verified){aside}")
    return 0
