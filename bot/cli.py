"""The ``psm-bot`` command: run the bot, check an event file, import the comune mapping.

Exit codes: 0 success, 1 runtime failure, 2 invalid input (configuration, file, settings,
a database that cannot be used, a token Telegram rejects). What stops a command is one line
on stderr, never a traceback. Event-file problems are told in the organiser's language
(Italian, or English with ``check-config --lang en`` / ``PSM_CLI_LANGUAGE=en``).

Every command that reads the database first prints ``database: <absolute path>`` on stderr;
the commands that only read it (``schedule``, ``export``) and ``import-links`` refuse a
missing file instead of creating an empty one; ``import-comuni`` may create it (the mapping
can be imported before the bot first runs) and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.attendance import qr
from bot.config_check import config_warnings
from bot.kernel.clock import Clock, SystemClock
from bot.kernel.format import time_text
from bot.kernel.i18n import Catalog
from bot.registration.comuni import Comune, bundled_comuni, normalise, refresh_from_bundled
from bot.registration.comuni_import import (
    ComuniFileError,
    MappingRow,
    UnknownComuniError,
    apply_mapping,
    read_mapping_file,
)
from bot.reminders.links import LinkFileError, parse_links_csv
from bot.reminders.planner import PersonalLink, TimelineEntry, timeline
from bot.services import Services, from_row, to_row
from bot.stats import export as registrations_export
from config.event import (
    AttendanceMode,
    Event,
    EventConfig,
    EventConfigError,
    bundled_event_file,
    load_event_config,
)
from config.messages import CLI_LANGUAGES, DEFAULT_CLI_LANGUAGE, message, total_line
from config.settings import MissingTokenError, Settings, load_settings
from storage.comuni import ComuniRepository
from storage.db import Database
from storage.errors import DatabaseError
from storage.stats import StatsRepository

if TYPE_CHECKING:
    from bot.app import Backoff

EXIT_INVALID = 2

# The clock the commands read "now" from (schedule, import-links, export file names); tests
# replace it with a FakeClock.
CLOCK: Clock = SystemClock()
# The language of what the commands say about the event file (set by main()).
_language: str = DEFAULT_CLI_LANGUAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="psm-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    check = commands.add_parser("check-config", help="validate an event file and summarise it")
    check.add_argument("file", nargs="?", type=Path, help="event file (default: PSM_EVENT_FILE)")
    check.add_argument(
        "--lang",
        choices=CLI_LANGUAGES,
        help="language of the report: it (default) or en (default: PSM_CLI_LANGUAGE)",
    )
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
    links.add_argument(
        "--event",
        help="event id (default: the upcoming event with online registrants, if only one)",
    )
    comuni.add_argument(
        "--replace",
        action="store_true",
        help="make the mapping exactly the file's (default: complete/update it)",
    )
    comuni.add_argument(
        "--allow-new",
        action="store_true",
        help="add comuni that are not in the list (default: refuse the file)",
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
    try:
        return _main(argv)
    except DatabaseError as exc:  # not SQLite, read-only, a folder, a full disk, too new...
        print(f"psm-bot: {exc}", file=sys.stderr)
        return EXIT_INVALID


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as exc:
        for error in exc.errors():
            field = "PSM_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"settings: {field}: {error['msg']}", file=sys.stderr)
        return EXIT_INVALID
    global _language
    _language = getattr(args, "lang", None) or settings.cli_language
    if args.command == "check-config":
        return check_config(args.file or settings.event_file, _language)
    if args.command == "import-comuni":
        return import_comuni(settings, args.file, replace=args.replace, allow_new=args.allow_new)
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


def _load(path: Path | None, language: str | None = None) -> EventConfig | None:
    """The event file, or None after printing one line per problem (and their count)."""
    language = language or _language
    try:
        return load_event_config(path)
    except EventConfigError as exc:
        for line in exc.lines(language):
            print(line, file=sys.stderr)
        print(total_line(language, len(exc.issues)), file=sys.stderr)
        return None


def check_config(
    path: Path | None, language: str = DEFAULT_CLI_LANGUAGE, now: dt.datetime | None = None
) -> int:
    """Validate an event file; print a summary and any warnings (exit 0), or one line per
    error and exit code 2. Warnings (every event over, texts Telegram will get split) go to
    stderr after the summary."""
    config = _load(path, language)
    if config is None:
        return EXIT_INVALID
    for line in summary(config, language):
        print(line)
    warnings = config_warnings(config, Catalog.load(), now or SystemClock().now())
    if warnings:
        sys.stdout.flush()
        source = str(path or bundled_event_file())
        label = message(language, "warning_label")
        for warning in warnings:
            print(f"{source}: {label}: {warning.text(language)}", file=sys.stderr)
        print(total_line(language, len(warnings), warnings=True), file=sys.stderr)
    return 0


def summary(config: EventConfig, language: str = DEFAULT_CLI_LANGUAGE) -> list[str]:
    """A short human summary of a valid configuration, in ``language``."""
    process = config.process

    def say(code: str, **params: object) -> str:
        return message(language, code, **params)

    def places(capacity: int | None) -> str:
        return str(capacity) if capacity else say("summary_no_limit")

    lines = [
        say("summary_ok", name=process.name.get(language), timezone=process.timezone),
        say(
            "summary_counts",
            venues=len(config.venues),
            zones=len(config.zones),
            axes=len(config.axes),
            items=len(config.poll_items()),
        ),
    ]
    for event in config.events:
        modes = " + ".join(say(f"summary_{mode.value}") for mode in event.modes)
        lines.append("")
        lines.append(say("summary_event", id=event.id, title=event.title.get(language)))
        lines.append(f"  {event.date.isoformat()}, {modes}")
        if event.venue:
            venue = config.venue(event.venue)
            lines.append(
                say(
                    "summary_venue",
                    name=venue.name,
                    address=venue.address,
                    places=places(venue.capacity),
                )
            )
        else:
            lines.append(say("summary_tables"))
            for venue in config.venues:
                zones = [str(z.number) for z in config.zones if z.venue == venue.id]
                if zones:
                    lines.append(
                        say(
                            "summary_table",
                            name=venue.name,
                            zones=", ".join(zones),
                            places=places(venue.capacity),
                        )
                    )
        lines.append(say("summary_agenda"))
        for item in event.agenda:
            hybrid = " " + say("summary_hybrid") if item.hybrid else ""
            lines.append(
                f"    {time_text(item.start):>5}-{time_text(item.end):<5} "
                f"{item.kind.value:<13} {item.title.get(language)}{hybrid}"
            )
    return lines


def _database(settings: Settings, *, create: bool = False) -> Path | None:
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


def import_comuni(settings: Settings, path: Path, *, replace: bool, allow_new: bool = False) -> int:
    """Complete or replace the stored comune -> zone mapping from a spreadsheet or CSV."""
    config = _load(settings.event_file)
    if config is None:
        return EXIT_INVALID
    zones = {zone.number: zone.name for zone in config.zones}
    try:
        rows = read_mapping_file(path, zones)
    except ComuniFileError as exc:
        return _refuse_file(path, exc)
    database = _database(settings, create=True)
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


@asynccontextmanager
async def _storage(
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


def schedule(settings: Settings, path: Path | None) -> int:
    """Print what will be sent, when, and to how many of the current registrants; what is
    already past is marked with what happened (sent, skipped, never sent)."""
    config = _load(path)
    if config is None:
        return EXIT_INVALID
    database = _database(settings)
    if database is None:
        return EXIT_INVALID
    return asyncio.run(_schedule(settings, config, database))


async def _schedule(settings: Settings, config: EventConfig, database: Path) -> int:
    async with _storage(settings, config, database) as services:
        entries = await timeline(config, services.registrations, services.outbox, services.links)
        now = services.clock.now()
    tz = config.tz
    print(
        f"Reminders ({config.process.timezone}), now {now.astimezone(tz):%a %d/%m/%Y %H:%M}; "
        "recipients = current confirmed registrations"
    )
    current = None
    for entry in entries:
        if entry.event.id != current:
            current = entry.event.id
            print(f"\n{entry.event.id}: {entry.event.title.get('it')} ({entry.event.date})")
        slot = entry.slot
        audience = slot.rule.audience.value.replace("_", " ")
        print(
            f"  {slot.due_at.astimezone(tz):%a %d/%m %H:%M}  {slot.rule.id:<18} "
            f"{audience:<9} {entry.recipients:>5} recipient(s)  "
            f"until {slot.expires_at.astimezone(tz):%d/%m %H:%M}{_state(entry, now)}"
        )
    return 0


_OUTCOME_ORDER = ("sent", "skipped", "failed", "cancelled", "sending", "pending")


def _state(entry: TimelineEntry, now: dt.datetime) -> str:
    """The end of a ``schedule`` line: link status and rows so far, or what happened."""
    if not entry.past(now):
        link = ""
        if entry.link_ready is not None:
            link = "  link set" if entry.link_ready else "  LINK NOT SET"
        done = ", ".join(f"{k} {v}" for k, v in sorted(entry.statuses.items()))
        return ("  DUE NOW" if entry.due(now) else "") + link + (f"  [{done}]" if done else "")
    parts = []
    for status in _OUTCOME_ORDER:
        count = entry.statuses.get(status, 0)
        if not count:
            continue
        reasons = entry.reasons.get(status, {})
        detail = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
        label = {"pending": "not sent (expired)", "sending": "being sent"}.get(status, status)
        parts.append(f"{label} {count}" + (f" ({detail})" if detail else ""))
    return "  past: " + (", ".join(parts) if parts else "never sent")


def import_links(settings: Settings, path: Path, event_id: str | None) -> int:
    """Store personal online links from a CSV; corrections are queued for the running bot.

    Without ``--event``: the upcoming event (not over) that has online registrants, when
    there is one; when there are several, the one whose registrants the file names, if the
    file names registrants of only one of them; otherwise ``--event`` is asked for.
    """
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
    if event_id is not None and event_id not in {e.id for e in online}:
        known = ", ".join(e.id for e in online)
        print(
            f"--event: {event_id!r} is not an event with online attendance ({known})",
            file=sys.stderr,
        )
        return EXIT_INVALID
    database = _database(settings)  # no database, no registrants to give links to
    if database is None:
        return EXIT_INVALID
    return asyncio.run(_import_links(settings, config, database, event_id, rows))


@dataclass(frozen=True)
class _LinksCandidate:
    """An upcoming event with online registrants, and how many rows of the file name them."""

    event: Event
    online: int
    named: int


async def _links_candidates(
    services: Services, config: EventConfig, rows: list[PersonalLink], now: dt.datetime
) -> list[_LinksCandidate]:
    """Events with online attendance, not over, with active online registrants; soonest first."""
    candidates = []
    events = [e for e in config.events if AttendanceMode.ONLINE in e.modes]
    for event in sorted(events, key=lambda e: config.starts_at(e)):
        if config.ends_at(event) <= now:
            continue
        registrants = [
            r
            for r in await services.registrations.for_event(event.id)
            if r.mode == AttendanceMode.ONLINE and r.active
        ]
        if not registrants:
            continue
        ids = {r.id for r in registrants}
        users = {r.user_id for r in registrants if r.user_id is not None}
        named = sum(
            1
            for row in rows
            if (
                row.registration_id in ids
                if row.registration_id is not None
                else row.telegram_id in users
            )
        )
        candidates.append(_LinksCandidate(event, len(registrants), named))
    return candidates


def _choose_links_event(candidates: list[_LinksCandidate]) -> tuple[Event | None, str]:
    """The event the links are for, and why; or ``None`` and the line asking for --event."""
    if len(candidates) == 1:
        return candidates[0].event, "the upcoming event with online registrants"
    named = [c for c in candidates if c.named]
    if len(named) == 1:
        return named[0].event, "the upcoming event whose online registrants the file names"
    if not candidates:
        return None, "no upcoming event has online registrants: give --event ID"
    listed = "; ".join(
        f"{c.event.id} ({c.event.date}, {c.online} online, {c.named} row(s) of the file)"
        for c in candidates
    )
    return None, f"several upcoming events have online registrants: {listed}; give --event ID"


async def _import_links(
    settings: Settings,
    config: EventConfig,
    database: Path,
    event_id: str | None,
    rows: list[PersonalLink],
) -> int:
    async with _storage(settings, config, database) as services:
        now = services.clock.now()
        if event_id is None:
            event, why = _choose_links_event(await _links_candidates(services, config, rows, now))
            if event is None:
                print(f"--event: {why}", file=sys.stderr)
                print("nothing was imported", file=sys.stderr)
                return EXIT_INVALID
            print(f"event: {event.id} ({event.title.get('it')}, {event.date}): {why}")
        else:
            event = config.event(event_id)
        stored, unknown = await services.links.store_personal(event, rows, now)
        fixes = await services.links.corrections(event, now)
    print(f"{event.id}: {stored} personal link(s) stored")
    if unknown:
        print(f"no registration for: {', '.join(unknown)}")
    print(f"{fixes} correction(s) queued for participants who already had another link")
    return 0


def _export_config(settings: Settings, event_id: str | None) -> EventConfig | None:
    """The event file for an export, after checking ``--event``."""
    config = _load(settings.event_file)
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
    database = _database(settings) if config is not None else None
    if config is None or database is None:
        return EXIT_INVALID
    path = out or Path(registrations_export.filename(event_id, file_format, CLOCK.now(), config))

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
    database = _database(settings) if config is not None else None
    if config is None or database is None:
        return EXIT_INVALID
    stamp = CLOCK.now().astimezone(config.tz).strftime("%Y%m%d-%H%M")
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


def run(settings: Settings, *, backoff: Backoff | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM; what stops it from starting is one line, exit 2.

    In order: the token is set, the event file is valid, the database can be used, Telegram
    accepts the token. A Bot API server that cannot be reached is tried again and again
    (``backoff``), one log line per attempt.
    """
    try:
        settings.token()
    except MissingTokenError as exc:
        print(f"psm-bot: {exc}", file=sys.stderr)
        return EXIT_INVALID
    config = _load(settings.event_file)
    if config is None:
        return EXIT_INVALID
    from bot.app import StartupError, serve  # Telegram's libraries: only to run the bot
    from bot.kernel.logs import configure_logging

    configure_logging()
    try:
        asyncio.run(serve(settings, config, backoff=backoff))
    except StartupError as exc:
        print(f"psm-bot: {exc}", file=sys.stderr)
        return EXIT_INVALID
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
