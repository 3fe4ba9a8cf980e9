"""The files ``psm-bot`` writes for organisers: ``export registrations``, ``export results``,
``export contributions``, ``export synthesis``, ``export questions`` and ``qr`` (the
check-in and registration QR codes)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.attendance import qr
from bot.cli import common
from bot.cli.common import EXIT_INVALID, load_config, open_database
from bot.stats import export as registrations_export
from config.event import EventConfig
from config.settings import Settings
from storage.db import Database
from storage.stats import StatsRepository


def _export_config(settings: Settings, event_id: str | None) -> EventConfig | None:
    """The event file for an export, after checking ``--event``."""
    config = load_config(settings.event_file)
    if config is None:
        return None
    if event_id is not None and event_id not in {e.id for e in config.events}:
        known = ", ".join(e.id for e in config.events)
        print(f"--event: unknown event {event_id!r} (known: {known})", file=sys.stderr)
        return None
    return config


def export_registrations(
    settings: Settings,
    event_id: str | None,
    file_format: str,
    out: Path | None,
    include_cancelled: bool,
) -> int:
    """Write the registrations (one event or all) to a CSV or XLSX file for organisers."""
    config = _export_config(settings, event_id)
    database = open_database(settings) if config is not None else None
    if config is None or database is None:
        return EXIT_INVALID
    path = out or Path(
        registrations_export.filename(event_id, file_format, common.CLOCK.now(), config)
    )

    async def read() -> tuple[bytes, int]:
        db = await Database.open(database)
        try:
            return await registrations_export.export(
                config,
                StatsRepository(db),
                event_id,
                file_format,
                include_cancelled=include_cancelled,
            )
        finally:
            await db.close()

    content, count = asyncio.run(read())
    try:
        path.write_bytes(content)
    except OSError as exc:
        print(f"{path}: cannot write the file: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"{count} registration(s) written to {path} (personal data: keep the file safe)")
    return 0


def export_results(
    settings: Settings, event_id: str | None, file_format: str, out: Path | None
) -> int:
    """Write the poll results (answers, results by zone): two CSV files or one XLSX workbook.

    ``--out DIR/NAME.ext`` names them ``NAME-answers.csv`` and ``NAME-results.csv`` (CSV) or
    ``NAME.xlsx``; by default ``risultati-<event or tutti>-<time>`` here.
    """
    from bot.polls.exports import export_results as build
    from storage.polls import PollRepository

    config = _export_config(settings, event_id)
    database = open_database(settings) if config is not None else None
    if config is None or database is None:
        return EXIT_INVALID
    stamp = common.CLOCK.now().astimezone(config.tz).strftime("%Y%m%d-%H%M")
    folder = out.parent if out else Path()
    name = out.stem if out else "-".join(("risultati", event_id or "tutti", stamp))

    async def read() -> list[tuple[str, bytes]]:
        db = await Database.open(database)
        try:
            return await build(PollRepository(db), file_format, name, config.tz, event_id=event_id)
        finally:
            await db.close()

    files = asyncio.run(read())
    try:
        for filename, content in files:
            (folder / filename).write_bytes(content)
    except OSError as exc:
        print(f"{folder}: cannot write the file: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for filename, _ in files:
        print(f"written {folder / filename}")
    return 0


def qr_codes(settings: Settings, folder: Path, username: str | None) -> int:
    """Write the QR codes of the check-in desks and of the zone registration links."""
    config = load_config(settings.event_file)
    if config is None:
        return EXIT_INVALID
    username = username or settings.bot_username
    if not username:
        print("qr: give --bot-username or set PSM_BOT_USERNAME", file=sys.stderr)
        return EXIT_INVALID
    try:
        name = qr.clean_username(username)
    except qr.BadUsernameError as exc:
        print(f"qr: {exc}", file=sys.stderr)
        return EXIT_INVALID
    try:
        written = qr.write_codes(config, name, folder)
    except OSError as exc:
        print(f"{folder}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for code in written:
        print(f"{folder / code.filename}  {code.link}")
    print(f"{len(written)} QR code(s); print {folder / 'index.html'}")
    return 0


# --- part C: the regia's synthesis documents and the contributions export --------------------
def _write(path: Path, content: bytes) -> bool:
    try:
        path.write_bytes(content)
    except OSError as exc:
        print(f"{path}: cannot write the file: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def export_synthesis(
    settings: Settings, event_id: str | None, file_format: str, out: Path | None, language: str
) -> int:
    """Write the synthesis document (``docx`` for Word, ``pptx`` for slides) of one event
    (default: the current event with worksheets), in ``language`` (Italian by default)."""
    config = _export_config(settings, event_id)
    database = open_database(settings) if config is not None else None
    if config is None or database is None:
        return EXIT_INVALID

    async def build() -> tuple[str, bytes] | None:
        async with common.services_on(settings, config, database) as services:
            event = (
                config.event(event_id)
                if event_id is not None
                else services.worksheets.current_event()
            )
            if event is None or event.worksheets is None:
                return None
            return await services.flows.regia.documents.document(event, file_format, language)

    built = asyncio.run(build())
    if built is None:
        print("no event with session-2 worksheets (see --event)", file=sys.stderr)
        return EXIT_INVALID
    filename, content = built
    path = out or Path(filename)
    if not _write(path, content):
        return 1
    print(f"written {path}")
    return 0


def export_contributions(
    settings: Settings, event_id: str | None, file_format: str, out: Path | None
) -> int:
    """Write every contribution and report text (one event, or all) to a CSV or XLSX file."""
    from bot.worksheets.exports import export_contributions as build

    config = _export_config(settings, event_id)
    database = open_database(settings) if config is not None else None
    if config is None or database is None:
        return EXIT_INVALID
    stamp = common.CLOCK.now().astimezone(config.tz).strftime("%Y%m%d-%H%M")
    name = "-".join(("contributi", event_id or "tutti", stamp))

    async def read() -> tuple[str, bytes, int]:
        async with common.services_on(settings, config, database) as services:
            worksheets = services.worksheets
            return await build(
                worksheets.store,
                file_format,
                name,
                config.tz,
                lambda strategy: worksheets.strategy_title(strategy, "it"),
                event_id=event_id,
            )

    filename, content, rows = asyncio.run(read())
    path = out or Path(filename)
    if not _write(path, content):
        return 1
    print(f"{rows} row(s) written to {path}")
    return 0


# --- issue 15, part D: the plenary's questions with their fates ------------------------------
def export_questions(
    settings: Settings, event_id: str | None, file_format: str, out: Path | None
) -> int:
    """Write every question (one event, or all) with its fate to a CSV or XLSX file (the XLSX
    with the story of each question as a second sheet)."""
    config = _export_config(settings, event_id)
    database = open_database(settings) if config is not None else None
    if config is None or database is None:
        return EXIT_INVALID
    now = common.CLOCK.now()
    stamp = now.astimezone(config.tz).strftime("%Y%m%d-%H%M")
    name = "-".join(("domande", event_id or "tutti", stamp))

    async def read() -> tuple[str, bytes, int]:
        async with common.services_on(settings, config, database) as services:
            return await services.after_plenary.exports.export(
                file_format, name, now, event_id=event_id
            )

    filename, content, rows = asyncio.run(read())
    path = out or Path(filename)
    if not _write(path, content):
        return 1
    print(f"{rows} question(s) written to {path}")
    return 0
