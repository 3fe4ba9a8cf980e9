"""The ``psm-bot`` command: run the bot, check an event file, import the comune mapping.

Exit codes: 0 success, 1 runtime failure, 2 invalid input (configuration, file, settings).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from pydantic import ValidationError

from bot import qr, registrations_export
from bot.clock import SystemClock
from bot.comuni import (
    ComuniFileError,
    MappingRow,
    apply_mapping,
    bundled_comuni,
    read_mapping_file,
)
from bot.format import time_text
from bot.links import LinkFileError, parse_links_csv
from bot.reminders import PersonalLink, timeline
from bot.services import Services, from_row, to_row
from config.event import AttendanceMode, Event, EventConfig, EventConfigError, load_event_config
from config.settings import MissingTokenError, Settings, load_settings
from storage.comuni import ComuniRepository
from storage.db import Database
from storage.stats import StatsRepository

EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="psm-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    check = commands.add_parser("check-config", help="validate an event file and summarise it")
    check.add_argument("file", nargs="?", type=Path, help="event file (default: PSM_EVENT_FILE)")
    comuni = commands.add_parser(
        "import-comuni", help="import the comune -> zone mapping from .ods or .csv"
    )
    comuni.add_argument("file", type=Path)
    schedule = commands.add_parser(
        "schedule", help="print the timeline of reminders and how many each will reach"
    )
    schedule.add_argument("file", nargs="?", type=Path, help="event file (default: PSM_EVENT_FILE)")
    links = commands.add_parser(
        "import-links", help="import personal online links (CSV: registration_id|telegram_id, link)"
    )
    links.add_argument("file", type=Path)
    links.add_argument("--event", help="event id (default: the next event with online attendance)")
    comuni.add_argument(
        "--replace",
        action="store_true",
        help="make the mapping exactly the file's (default: complete/update it)",
    )
    export = commands.add_parser(
        "export", help="export the registrations (or the poll results) to a CSV or XLSX file"
    )
    export.add_argument("what", choices=("registrations", "results"))
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    export.add_argument("--event", help="event id (default: every event)")
    export.add_argument(
        "--out", type=Path, help="output file (default: iscrizioni-<event>-<time>.<format>)"
    )
    export.add_argument(
        "--include-cancelled", action="store_true", help="registrations: the cancelled ones too"
    )
    qr = commands.add_parser(
        "qr", help="PNG QR codes of every venue's check-in link and every zone's registration link"
    )
    qr.add_argument("--out", type=Path, default=Path("qr"), help="folder (default: qr)")
    qr.add_argument("--bot-username", help="the bot's @username (default: PSM_BOT_USERNAME)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``psm-bot`` console script."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as exc:
        for error in exc.errors():
            field = "PSM_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"settings: {field}: {error['msg']}", file=sys.stderr)
        return EXIT_INVALID
    if args.command == "check-config":
        return check_config(args.file or settings.event_file)
    if args.command == "import-comuni":
        return import_comuni(settings, args.file, replace=args.replace)
    if args.command == "schedule":
        return schedule(settings, args.file or settings.event_file)
    if args.command == "import-links":
        return import_links(settings, args.file, args.event)
    if args.command == "export":
        if args.what == "registrations":
            return export_registrations(
                settings, args.event, args.format, args.out, args.include_cancelled
            )
        return export_results(settings, args.event, args.format, args.out)
    if args.command == "qr":
        return qr_codes(settings, args.out, args.bot_username)
    return run(settings)


def _load(path: Path | None) -> EventConfig | None:
    try:
        return load_event_config(path)
    except EventConfigError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        print(f"{len(exc.errors)} error(s): the event file is not valid", file=sys.stderr)
        return None


def check_config(path: Path | None) -> int:
    """Validate an event file; print a summary, or one line per error and exit code 2."""
    config = _load(path)
    if config is None:
        return EXIT_INVALID
    for line in summary(config):
        print(line)
    return 0


def summary(config: EventConfig) -> list[str]:
    """A short human summary of a valid configuration."""
    process = config.process
    lines = [
        f"OK: {process.name.get('it')} ({process.timezone})",
        f"{len(config.venues)} venues, {len(config.zones)} zones, "
        f"{len(config.axes)} axes, {len(config.poll_items())} items to prioritise",
    ]
    for event in config.events:
        modes = " + ".join(mode.value.replace("_", " ") for mode in event.modes)
        lines.append("")
        lines.append(f"event {event.id}: {event.title.get('it')}")
        lines.append(f"  {event.date.isoformat()}, {modes}")
        if event.venue:
            venue = config.venue(event.venue)
            capacity = venue.capacity or "no limit"
            lines.append(f"  venue: {venue.name}, {venue.address} (places: {capacity})")
        else:
            lines.append("  tables by zone:")
            for venue in config.venues:
                zones = [str(z.number) for z in config.zones if z.venue == venue.id]
                if zones:
                    capacity = venue.capacity or "no limit"
                    lines.append(f"    {venue.name}: zones {', '.join(zones)} (places: {capacity})")
        lines.append("  agenda:")
        for item in event.agenda:
            hybrid = " [hybrid]" if item.hybrid else ""
            lines.append(
                f"    {time_text(item.start):>5}-{time_text(item.end):<5} "
                f"{item.kind.value:<13} {item.title.get('it')}{hybrid}"
            )
    return lines


def import_comuni(settings: Settings, path: Path, *, replace: bool) -> int:
    """Complete or replace the stored comune -> zone mapping from a spreadsheet or CSV."""
    config = _load(settings.event_file)
    if config is None:
        return EXIT_INVALID
    zones = {zone.number: zone.name for zone in config.zones}
    try:
        rows = read_mapping_file(path, zones)
    except ComuniFileError as exc:
        for error in exc.errors:
            print(f"{path}: {error}", file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return EXIT_INVALID
    return asyncio.run(_store_mapping(settings, rows, replace=replace, source=path.name))


async def _store_mapping(
    settings: Settings, rows: list[MappingRow], *, replace: bool, source: str
) -> int:
    db = await Database.open(settings.database)
    try:
        store = ComuniRepository(db)
        current = [from_row(row) for row in await store.all()]
        if not current:
            current = bundled_comuni()
        updated, change = apply_mapping(current, rows, replace=replace, source=source)
        await store.replace_all([to_row(c) for c in updated])
    finally:
        await db.close()
    for line in change.summary_lines():
        print(line)
    print(f"saved to {settings.database}; restart the bot to use the new mapping")
    return 0


@asynccontextmanager
async def _storage(settings: Settings, config: EventConfig) -> AsyncIterator[Services]:
    """The bot's services on the configured database, without Telegram (for commands)."""
    services = await Services.start(settings, config, SystemClock())
    try:
        yield services
    finally:
        await services.close()


def schedule(settings: Settings, path: Path | None) -> int:
    """Print what will be sent, when, and to how many of the current registrants."""
    config = _load(path)
    if config is None:
        return EXIT_INVALID
    return asyncio.run(_schedule(settings, config))


async def _schedule(settings: Settings, config: EventConfig) -> int:
    async with _storage(settings, config) as services:
        entries = await timeline(config, services.registrations, services.outbox, services.links)
    tz = config.tz
    print(f"Reminders ({config.process.timezone}); recipients = current confirmed registrations")
    current = None
    for entry in entries:
        if entry.event.id != current:
            current = entry.event.id
            print(f"\n{entry.event.id}: {entry.event.title.get('it')} ({entry.event.date})")
        slot = entry.slot
        audience = slot.rule.audience.value.replace("_", " ")
        done = ", ".join(f"{k} {v}" for k, v in sorted(entry.statuses.items()))
        link = ""
        if entry.link_ready is not None:
            link = "  link set" if entry.link_ready else "  LINK NOT SET"
        print(
            f"  {slot.due_at.astimezone(tz):%a %d/%m %H:%M}  {slot.rule.id:<18} "
            f"{audience:<9} {entry.recipients:>5} recipient(s)  "
            f"until {slot.expires_at.astimezone(tz):%d/%m %H:%M}{link}"
            + (f"  [{done}]" if done else "")
        )
    return 0


def import_links(settings: Settings, path: Path, event_id: str | None) -> int:
    """Store personal online links from a CSV; corrections are queued for the running bot."""
    config = _load(settings.event_file)
    if config is None:
        return EXIT_INVALID
    try:
        rows = parse_links_csv(path.read_bytes())
    except OSError as exc:
        print(f"{path}: cannot read the file: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    except LinkFileError as exc:
        for error in exc.errors:
            print(f"{path}: {error}", file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return EXIT_INVALID
    online = [e for e in config.events if AttendanceMode.ONLINE in e.modes]
    if event_id is None:
        now = SystemClock().now()
        upcoming = [e for e in online if config.ends_at(e) > now] or online
        event_id = upcoming[0].id if upcoming else None
    if event_id not in {e.id for e in online}:
        known = ", ".join(e.id for e in online)
        print(
            f"--event: {event_id!r} is not an event with online attendance ({known})",
            file=sys.stderr,
        )
        return EXIT_INVALID
    return asyncio.run(_import_links(settings, config, config.event(event_id), rows))


async def _import_links(
    settings: Settings, config: EventConfig, event: Event, rows: list[PersonalLink]
) -> int:
    async with _storage(settings, config) as services:
        now = services.clock.now()
        stored, unknown = await services.links.store_personal(event, rows, now)
        fixes = await services.links.corrections(event, now)
    print(f"{event.id}: {stored} personal link(s) stored")
    if unknown:
        print(f"no registration for: {', '.join(unknown)}")
    print(f"{fixes} correction(s) queued for participants who already had another link")
    return 0


def _export_config(settings: Settings, event_id: str | None) -> EventConfig | None:
    """The event file for an export, after checking ``--event`` and the database exist."""
    config = _load(settings.event_file)
    if config is None:
        return None
    if event_id is not None and event_id not in {e.id for e in config.events}:
        known = ", ".join(e.id for e in config.events)
        print(f"--event: unknown event {event_id!r} (known: {known})", file=sys.stderr)
        return None
    if not Path(settings.database).exists():
        print(f"no database at {settings.database} (set PSM_DATABASE)", file=sys.stderr)
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
    if config is None:
        return EXIT_INVALID
    path = out or Path(
        registrations_export.filename(event_id, file_format, SystemClock().now(), config)
    )

    async def read() -> tuple[bytes, int]:
        db = await Database.open(settings.database)
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
    from bot.exports import export_results as build
    from storage.polls import PollRepository

    config = _export_config(settings, event_id)
    if config is None:
        return EXIT_INVALID
    stamp = SystemClock().now().astimezone(config.tz).strftime("%Y%m%d-%H%M")
    folder = out.parent if out else Path()
    name = out.stem if out else "-".join(("risultati", event_id or "tutti", stamp))

    async def read() -> list[tuple[str, bytes]]:
        db = await Database.open(settings.database)
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
    config = _load(settings.event_file)
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


def run(settings: Settings) -> int:
    """Run the bot until interrupted."""
    try:
        settings.token()
    except MissingTokenError as exc:
        print(f"psm-bot: {exc}", file=sys.stderr)
        return EXIT_INVALID
    config = _load(settings.event_file)
    if config is None:
        return EXIT_INVALID
    from bot.app import ALLOWED_UPDATES, build_application, tune_garbage_collector
    from bot.logs import configure_logging

    configure_logging()
    application = build_application(settings, config)
    tune_garbage_collector()
    application.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
