"""Logging that never prints the bot token, and says what the bot did.

:func:`install_redaction` wraps the log record factory, so every record — from psm-bot, PTB,
httpx or anything else, whatever handler prints it — has the token replaced by
``[REDACTED]`` in its message and its traceback text. The HTTP client's per-request INFO
lines (whose URLs contain the token) are silenced as well, and so are APScheduler's two
lines a second about the outbox job ("Running job", "executed successfully").

At INFO the bot logs its business events, one line each, with ids and counts only (never a
name, a text or a Telegram id): registrations, outbox deliveries, broadcasts, polls,
check-ins. :func:`describe` is how errors are logged: type, the reason when it cannot hold
personal data (Telegram's description, SQLite's message, the system's), and where.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
import sys
import traceback
from pathlib import Path
from typing import IO, Any

from storage.errors import is_disk_full

log = logging.getLogger(__name__)

_SECRETS: set[str] = set()
_installed = False


def redact(text: str) -> str:
    """``text`` with every registered secret replaced."""
    for secret in _SECRETS:
        text = text.replace(secret, "[REDACTED]")
    return text


def _wrap_factory() -> None:
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not _SECRETS:
            return record
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)


def install_redaction(token: str) -> None:
    """Never log ``token``; quiet the HTTP client's URL logs. Safe to call repeatedly."""
    global _installed
    if token:
        _SECRETS.add(token)
    if not _installed:
        _wrap_factory()
        _installed = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries whose DEBUG lines quote whole updates, requests and SQL parameters (names, ids):
# held at INFO even when PSM_LOG_LEVEL=DEBUG, so that no level puts personal data in the log.
_CHATTY_LIBRARIES = ("telegram", "aiohttp", "aiosqlite", "apscheduler", "asyncio")
# The attributes every LogRecord has: anything else was passed with ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, the ``extra=`` fields, and ``error`` (the redacted traceback) if any."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (never a raw newline inside it)."""
        when = dt.datetime.fromtimestamp(record.created, dt.UTC)
        data: dict[str, Any] = {
            "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value if isinstance(value, int | float | bool | None) else str(value)
        error = record.exc_text
        if not error and record.exc_info:
            error = self.formatException(record.exc_info)
        if error:
            data["error"] = redact(error)
        return json.dumps(data, ensure_ascii=False, default=str)


def configure_logging(
    level: str = "INFO", log_format: str = "text", *, stream: IO[str] | None = None
) -> logging.Handler:
    """Logging to stderr (or ``stream``) for the ``psm-bot`` command, without routine noise.

    ``level`` is ``PSM_LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR); ``log_format`` is
    ``PSM_LOG_FORMAT``: ``text`` (one readable line) or ``json`` (one object per line).
    Calling it again replaces the handler it installed before (and only that one).
    Returns the handler (tests remove it with :func:`remove_handler`).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _LineHandler):
            remove_handler(handler)
    handler = _LineHandler(stream)
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    if stream is not None or not root.handlers:
        # as logging.basicConfig: a host that configured logging (pytest) keeps its handlers
        root.addHandler(handler)
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    root.setLevel(numeric)
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(numeric, logging.INFO))
    quiet_routine_loggers()
    return handler


class _LineHandler(logging.Handler):
    """One line per record to ``stream``, or to whatever ``sys.stderr`` is when it is written
    (not the one of the moment it was configured)."""

    def __init__(self, stream: IO[str] | None) -> None:
        super().__init__()
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        """Write the formatted record and a newline."""
        try:
            stream = self._stream if self._stream is not None else sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # logging must never raise: logging reports it
            self.handleError(record)


def remove_handler(handler: logging.Handler) -> None:
    """Detach and close a handler :func:`configure_logging` installed."""
    logging.getLogger().removeHandler(handler)
    handler.close()


def quiet_routine_loggers() -> None:
    """Silence the libraries' per-second INFO lines; their warnings and errors still show."""
    # The outbox job runs every second: "Running job ..." and "Job ... executed
    # successfully" were 604 of 611 lines in one run. Missed runs and errors are WARNING+.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    # and 13 lines at each start and stop ("Adding job tentatively", "Added job ...",
    # "Scheduler started", "Removed job ...") that say nothing to an operator
    logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)


def _from_telegram(error: BaseException) -> bool:
    """An error of the Bot API library (told by its module, so that the kernel stays free of
    Telegram)."""
    return any(kind.__module__.startswith("telegram.") for kind in type(error).__mro__)


def safe_reason(error: BaseException) -> str | None:
    """The part of an error's message that can be logged: never the token or user text."""
    if _from_telegram(error) and type(error).__name__ == "InvalidToken":
        return "the token was rejected"  # PTB's message contains the token
    if _from_telegram(error) and isinstance(getattr(error, "message", None), str):
        # Telegram's description, e.g. "Message is too long"
        return redact(str(getattr(error, "message", "")))[:300]
    if isinstance(error, sqlite3.Error):
        return str(error)[:300]  # SQLite's messages never hold a statement's values
    if isinstance(error, OSError):
        return error.strerror or None  # no file names
    return None  # other messages may quote what a user typed


def describe(error: BaseException | None) -> str:
    """Type, safe reason and where an error was raised, in one line for the log."""
    if error is None:
        return "unknown error"
    frames = traceback.extract_tb(error.__traceback__)[-8:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    reason = safe_reason(error)
    text = f"{type(error).__name__}" + (f" ({reason})" if reason else "")
    text += f" at {where or '?'}"
    if is_disk_full(error):
        return f"the disk is full, the database cannot be written (free some space): {text}"
    return text


def log_task_failure(task: asyncio.Task[Any]) -> None:
    """Done-callback for background tasks: an error is logged at once, in one line (not as
    "Task exception was never retrieved" when the task is collected)."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("background task %s failed: %s", task.get_name(), describe(error))
