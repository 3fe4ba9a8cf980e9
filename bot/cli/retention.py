"""``psm-bot purge [--dry-run]``: erase personal data once the process has ended.

The date is the event file's ``process.retention_until``; before it nothing is erased
(``--dry-run`` shows what would be, at any time). Prints what it erased and what it kept,
one line each, with counts.
"""

from __future__ import annotations

import asyncio
import sys

from bot.cli import common
from bot.cli.common import EXIT_INVALID
from config.settings import Settings
from storage.db import Database
from storage.retention import PurgeReport, purge


def report_lines(report: PurgeReport) -> list[str]:
    """``erased: <what>: <n>`` (``would erase`` in a dry run), then ``kept: <what>: <n>``."""
    verb = "would erase" if report.dry_run else "erased"
    lines = [f"{verb}: {what}: {count}" for what, count in report.erased]
    return lines + [f"kept: {what}: {count}" for what, count in report.kept]


async def _purge(settings: Settings, dry_run: bool) -> PurgeReport | None:
    path = common.open_database(settings)
    if path is None:
        return None
    db = await Database.open(path)
    try:
        return await purge(db, dry_run=dry_run)
    finally:
        await db.close()


def purge_command(settings: Settings, *, dry_run: bool) -> int:
    """``psm-bot purge``: refused before ``process.retention_until`` (unless a dry run)."""
    config = common.load_config(settings.event_file)
    if config is None:
        return EXIT_INVALID
    until = config.process.retention_until
    if until is None and not dry_run:
        print(
            "purge: the event file sets no process.retention_until (the date personal data "
            "is erased): nothing erased",
            file=sys.stderr,
        )
        return EXIT_INVALID
    today = common.CLOCK.now().astimezone(config.tz).date()
    if until is not None and today < until and not dry_run:
        print(
            f"purge: personal data is kept until {until.isoformat()} "
            "(process.retention_until): nothing erased (--dry-run shows what would be)",
            file=sys.stderr,
        )
        return EXIT_INVALID
    report = asyncio.run(_purge(settings, dry_run))
    if report is None:
        return EXIT_INVALID
    for line in report_lines(report):
        print(line)
    return 0
