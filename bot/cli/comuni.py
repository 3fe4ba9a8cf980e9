"""``psm-bot import-comuni``: complete (or replace) the stored comune -> zone mapping from
the official spreadsheet or a CSV; unknown comuni refused unless ``--allow-new``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.cli.common import EXIT_INVALID, load_config, open_database
from bot.registration.comuni import Comune, bundled_comuni, normalise, refresh_from_bundled
from bot.registration.comuni_files import ComuniFileError, MappingRow, read_mapping_file
from bot.registration.comuni_import import UnknownComuniError, apply_mapping
from bot.services import from_row, to_row
from config.settings import Settings
from storage.comuni import ComuniRepository
from storage.db import Database


def import_comuni(settings: Settings, path: Path, *, replace: bool, allow_new: bool = False) -> int:
    """Complete or replace the stored comune -> zone mapping from a spreadsheet or CSV."""
    config = load_config(settings.event_file)
    if config is None:
        return EXIT_INVALID
    zones = {zone.number: zone.name for zone in config.zones}
    try:
        rows = read_mapping_file(path, zones)
    except ComuniFileError as exc:
        return _refuse_file(path, exc)
    database = open_database(settings, create=True)
    if database is None:
        return EXIT_INVALID
    exists = database.exists()
    return asyncio.run(
        _store_mapping(database, exists, path, rows, replace=replace, allow_new=allow_new)
    )


def _refuse_file(path: Path, exc: ComuniFileError) -> int:
    """One line per problem of an import file, its path once in front of each."""
    for error in exc.errors:
        print(f"{path}: {error}", file=sys.stderr)
    if isinstance(exc, UnknownComuniError):
        print(
            f"{len(exc.rows)} name(s) not in the list of comuni: check the spelling, "
            "or give --allow-new to add them as new comuni",
            file=sys.stderr,
        )
    print("nothing was imported", file=sys.stderr)
    return EXIT_INVALID


async def _stored_comuni(database: Path, exists: bool) -> list[Comune]:
    """The mapping in the database (brought up to date with the bundled file), or the
    bundled file's when there is none yet; a missing database is not created."""
    if not exists:
        return bundled_comuni()
    db = await Database.open(database)
    try:
        current = [from_row(row) for row in await ComuniRepository(db).all()]
    finally:
        await db.close()
    if not current:
        return bundled_comuni()
    newer = {normalise(c.name): c for c in refresh_from_bundled(current, bundled_comuni())}
    return [newer.get(normalise(c.name), c) for c in current]


async def _store_mapping(
    database: Path,
    exists: bool,
    path: Path,
    rows: list[MappingRow],
    *,
    replace: bool,
    allow_new: bool,
) -> int:
    current = await _stored_comuni(database, exists)
    try:
        updated, change = apply_mapping(
            current, rows, replace=replace, source=path.name, allow_new=allow_new
        )
    except ComuniFileError as exc:
        return _refuse_file(path, exc)
    db = await Database.open(database)
    try:
        await ComuniRepository(db).replace_all([to_row(c) for c in updated])
    finally:
        await db.close()
    for line in change.summary_lines():
        print(line)
    print(f"saved to {database}; restart the bot to use the new mapping")
    return 0
