"""The ``psm-bot`` command: run the bot or its sandbox, check an event file, import comuni.

Exit codes: 0 success, 1 runtime failure, 2 invalid input (configuration, file, settings,
a database that cannot be used, a token Telegram rejects). What stops a command is one line
on stderr, never a traceback. Event-file problems are told in the organiser's language
(Italian, or English with ``check-config --lang en`` / ``PSM_CLI_LANGUAGE=en``).

Every command that reads the database first prints ``database: <absolute path>`` on stderr;
the commands that only read it (``schedule``, ``export``) and ``import-links`` refuse a
missing file instead of creating an empty one; ``import-comuni`` may create it (the mapping
can be imported before the bot first runs) and says so.

Without a command it prints this help (exit 0): the bot starts only with ``psm-bot run``.
Output cut short by its reader (``psm-bot schedule | head``) ends quietly, exit code 1.
"""

# (The docstring above is also the command's --help.) One module per command group:
# bot.cli.check (check-config), bot.cli.comuni (import-comuni), bot.cli.reminders (schedule,
# import-links), bot.cli.exports (export, qr), bot.cli.running (run), bot.cli.sandbox
# (sandbox, and make run without a token: run --or-sandbox), on bot.cli.common;
# this module reads the command line and runs the command asked for.

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from config.messages import CLI_LANGUAGES
from storage.errors import DatabaseError

if TYPE_CHECKING:
    from config.settings import Settings

# The command modules (and through them the bot's services, pydantic, Telegram's library)
# are imported when a command runs, not here: ``--help``, ``--version`` and a mistyped
# command answer at once (bench/bench_startup.py, tests/test_packaging.py).


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="psm-bot", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    commands = parser.add_subparsers(dest="command")
    run_command = commands.add_parser("run", help="run the bot (until SIGINT or SIGTERM)")
    run_command.add_argument(
        "--or-sandbox",
        action="store_true",
        help="without PSM_BOT_TOKEN, start the sandbox instead (what make run does)",
    )
    box = commands.add_parser(
        "sandbox", help="the real bot on a local simulation of Telegram, in the browser"
    )
    box.add_argument("--host", help="address of the page (default: PSM_SANDBOX_HOST, 127.0.0.1)")
    box.add_argument("--port", type=int, help="port of the page (default: PSM_SANDBOX_PORT, 8080)")
    box.add_argument(
        "--database",
        type=Path,
        help="the sandbox's SQLite file (default: PSM_SANDBOX_DATABASE, sandbox.sqlite3)",
    )
    box.add_argument(
        "--fresh", action="store_true", help="start from an empty database (deletes the file)"
    )
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
        "export",
        help="export the registrations, the poll results, the contributions or the plenary's "
        "questions (CSV, XLSX), "
        "or the synthesis document (DOCX, PPTX)",
    )
    export.add_argument("what", choices=EXPORTS)
    export.add_argument(
        "--format",
        choices=("csv", "xlsx", "docx", "pptx"),
        help="csv (default) or xlsx; synthesis: docx (default, Word) or pptx (slides)",
    )
    export.add_argument(
        "--event", help="event id (default: every event; synthesis: the current one)"
    )
    export.add_argument(
        "--out",
        "--output",
        type=Path,
        help="output file (default: iscrizioni-<event>-<time>.<format>)",
    )
    export.add_argument(
        "--lang", choices=CLI_LANGUAGES, help="synthesis: its language, it (default) or en"
    )
    export.add_argument(
        "--include-cancelled", action="store_true", help="registrations: the cancelled ones too"
    )
    qr = commands.add_parser(
        "qr", help="PNG QR codes of every venue's check-in link and every zone's registration link"
    )
    qr.add_argument("--out", type=Path, default=Path("qr"), help="folder (default: qr)")
    qr.add_argument("--bot-username", help="the bot's @username (default: PSM_BOT_USERNAME)")
    _ops_commands(commands)
    return parser


def _ops_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Operations (issue 14, prod-ops): backup, restore, status, purge."""
    saved = commands.add_parser(
        "backup", help="a verified copy of the database, also while the bot runs"
    )
    saved.add_argument(
        "file", nargs="?", type=Path, help="where (default: backups/<name>-manual-<time>.sqlite3)"
    )
    saved.add_argument("--compress", action="store_true", help="gzip the copy (.gz)")
    back = commands.add_parser(
        "restore", help="put a backup in place of the database (the bot must be stopped)"
    )
    back.add_argument("file", type=Path, help="the backup (.sqlite3 or .sqlite3.gz)")
    state = commands.add_parser(
        "status", help="is the bot receiving updates; outbox, 429s, database, last backup"
    )
    state.add_argument("--json", action="store_true", help="as JSON (what /healthz answers)")
    erase = commands.add_parser(
        "purge", help="erase personal data after process.retention_until, keep the results"
    )
    erase.add_argument("--dry-run", action="store_true", help="only say what would be erased")
    erase.add_argument(
        "--keep-backups",
        action="store_true",
        help="keep the backups made before (they still hold personal data)",
    )


class _Version(argparse.Action):
    """``--version``: the version looked up only when asked for (reading the package's
    metadata costs every other command some 15 ms at start, bench/bench_startup.py)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, argparse.SUPPRESS, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"psm-bot {version()}")
        parser.exit()


def version() -> str:
    """The installed package's version (``unknown`` when run from a tree not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("psm-bot")
    except PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``psm-bot`` console script."""
    try:
        try:
            code = _main(argv)
        finally:  # a closed pipe shows here (also after --help), not at the interpreter's exit
            sys.stdout.flush()
    except BrokenPipeError:
        return _reader_went_away()
    except DatabaseError as exc:  # not SQLite, read-only, a folder, a full disk, too new...
        print(f"psm-bot: {exc}", file=sys.stderr)
        return 2  # EXIT_INVALID (bot.cli.common)
    return code


def _reader_went_away() -> int:
    """The reader of stdout closed it (``| head``): no traceback, no second error at exit.

    stdout is pointed at /dev/null so that the interpreter's final flush finds nowhere to
    fail; the exit code is 1 (the output was not all written), as Python's docs advise.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (e.g. captured by a test)
        pass
    finally:
        os.close(devnull)
    return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    # before the heavy imports below: bot.app.relax_garbage_collector (the same threshold),
    # which saves the start-up some hundred collections (issue 14, bench/bench_startup.py)
    gc.set_threshold(20_000, 10, 10)
    from pydantic import ValidationError

    from bot.cli import common
    from bot.cli.common import EXIT_INVALID
    from config.settings import load_settings

    try:
        settings = load_settings()
    except ValidationError as exc:
        for error in exc.errors():
            field = "PSM_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"settings: {field}: {error['msg']}", file=sys.stderr)
        return EXIT_INVALID
    common.LANGUAGE = getattr(args, "lang", None) or settings.cli_language
    return _dispatch(settings, args)


def _dispatch(settings: Settings, args: argparse.Namespace) -> int:
    """Run the command asked for (its module imported only now)."""
    if args.command == "run" and not getattr(args, "or_sandbox", False):
        from bot.cli.running import run as run_bot  # the bot alone: no other command's module

        return run_bot(settings)
    from bot.cli import common
    from bot.cli.check import check_config
    from bot.cli.comuni import import_comuni
    from bot.cli.exports import qr_codes
    from bot.cli.reminders import import_links, schedule
    from bot.cli.running import run
    from bot.cli.sandbox import NO_TOKEN_LINE, choose, options, sandbox

    if args.command == "check-config":
        return check_config(args.file or settings.event_file, common.LANGUAGE)
    if args.command == "import-comuni":
        return import_comuni(settings, args.file, replace=args.replace, allow_new=args.allow_new)
    if args.command == "schedule":
        return schedule(settings, args.file or settings.event_file)
    if args.command == "import-links":
        return import_links(settings, args.file, args.event)
    if args.command == "export":
        return _export(settings, args)
    if args.command == "qr":
        return qr_codes(settings, args.out, args.bot_username)
    if args.command in ("backup", "restore", "purge", "status"):
        return _ops(settings, args)
    if args.command == "sandbox":
        return sandbox(settings, options(settings, args.host, args.port, args.database, args.fresh))
    if getattr(args, "or_sandbox", False) and choose(settings) == "sandbox":
        print(NO_TOKEN_LINE, flush=True)
        return sandbox(settings, options(settings))
    return run(settings)


def _ops(settings: Settings, args: argparse.Namespace) -> int:
    """Operations: backup, restore, purge, status (their modules imported only now)."""
    from bot.cli import backups, retention, status

    if args.command == "backup":
        return backups.backup(settings, args.file, compress=args.compress)
    if args.command == "restore":
        return backups.restore(settings, args.file)
    if args.command == "purge":
        return retention.purge_command(
            settings, dry_run=args.dry_run, keep_backups=args.keep_backups
        )
    return status.status(settings, as_json=args.json)


EXPORTS = ("registrations", "results", "contributions", "synthesis", "questions")
_DOCUMENTS = ("docx", "pptx")


def _export(settings: Settings, args: argparse.Namespace) -> int:
    """``psm-bot export <what>``: the format fits what is exported, or one line on stderr."""
    from bot.cli.common import EXIT_INVALID
    from bot.cli.exports import (
        export_contributions,
        export_questions,
        export_registrations,
        export_results,
        export_synthesis,
    )

    synthesis = args.what == "synthesis"
    file_format = args.format or ("docx" if synthesis else "csv")
    if synthesis != (file_format in _DOCUMENTS):
        allowed = "docx or pptx" if synthesis else "csv or xlsx"
        print(f"export {args.what}: --format {file_format}: use {allowed}", file=sys.stderr)
        return EXIT_INVALID
    if synthesis:
        return export_synthesis(settings, args.event, file_format, args.out, args.lang or "it")
    if args.what == "contributions":
        return export_contributions(settings, args.event, file_format, args.out)
    if args.what == "questions":  # issue 15: the plenary's questions with their fates
        return export_questions(settings, args.event, file_format, args.out)
    if args.what == "registrations":
        return export_registrations(
            settings, args.event, file_format, args.out, args.include_cancelled
        )
    return export_results(settings, args.event, file_format, args.out)
