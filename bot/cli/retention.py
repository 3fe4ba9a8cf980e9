"""``psm-bot purge [--dry-run] [--keep-backups]``: erase personal data once the process has
ended.

The date is the event file's ``process.retention_until``; before it nothing is erased
(``--dry-run`` shows what would be, at any time). Prints what it erased and what it kept,
one line each, with counts; then deletes the copies of the database psm-bot made before it
(``backups/``, the databases ``restore`` kept aside), which still hold the personal data,
listing each (``--keep-backups`` keeps them, listed as still holding personal data).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.cli import common
from bot.cli.common import EXIT_INVALID
from config.settings import Settings
from storage.backup import copies_of, delete_copies
from storage.db import Database
from storage.retention import PurgeReport, purge

EXIT_FAILED = 1
ELSEWHERE = (
    "note: copies made elsewhere (psm-bot backup FILE, the server's own backups) are not "
    "known to psm-bot: delete or expire them as well"
)


def report_lines(report: PurgeReport) -> list[str]:
    """``erased: <what>: <n>`` (``would erase`` in a dry run), then ``kept: <what>: <n>``,
    then what became of the old values in the database file."""
    verb = "would erase" if report.dry_run else "erased"
    lines = [f"{verb}: {what}: {count}" for what, count in report.erased]
    lines += [f"kept: {what}: {count}" for what, count in report.kept]
    if not report.dry_run:
        lines.append(
            "database file: the erased values overwritten, its WAL emptied"
            if report.scrubbed
            else "database file: the erased values overwritten; its WAL still holds them "
            "until its next checkpoint (another program was reading the database)"
        )
    return lines


def copies_lines(
    copies: list[Path], *, dry_run: bool, keep: bool
) -> tuple[list[str], list[tuple[Path, str]]]:
    """Delete (unless ``dry_run`` or ``keep``) the copies made before the purge; the lines
    saying so, and the copies that could not be deleted."""
    if keep:
        lines = [f"kept (--keep-backups): copy: {p} (it still holds personal data)" for p in copies]
        return [*lines, ELSEWHERE], []
    if dry_run:
        lines = [f"would delete: copy: {p}" for p in copies]
        lines.append(f"would delete: copies of the database made before the purge: {len(copies)}")
        return [*lines, ELSEWHERE], []
    deleted, failed = delete_copies(copies)
    lines = [f"deleted: copy: {p}" for p in deleted]
    lines.append(f"deleted: copies of the database made before the purge: {len(deleted)}")
    return [*lines, ELSEWHERE], failed


async def _purge(settings: Settings, dry_run: bool) -> PurgeReport | None:
    path = common.open_database(settings)
    if path is None:
        return None
    db = await Database.open(path)
    try:
        return await purge(db, dry_run=dry_run)
    finally:
        await db.close()


def purge_command(settings: Settings, *, dry_run: bool, keep_backups: bool = False) -> int:
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
    copies = copies_of(settings.database)  # those made before the purge, not during it
    report = asyncio.run(_purge(settings, dry_run))
    if report is None:
        return EXIT_INVALID
    for line in report_lines(report):
        print(line)
    lines, failed = copies_lines(copies, dry_run=dry_run, keep=keep_backups)
    for line in lines:
        print(line)
    for path, reason in failed:
        print(f"purge: could not delete {path} ({reason}): delete it by hand", file=sys.stderr)
    return EXIT_FAILED if failed else 0
