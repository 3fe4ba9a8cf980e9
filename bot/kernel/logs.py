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
import logging
import sqlite3
import traceback
from pathlib import Path
from typing import Any

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


def configure_logging() -> None:
    """Plain INFO logging to stderr for the ``psm-bot`` command, without routine noise."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    quiet_routine_loggers()


def quiet_routine_loggers() -> None:
    """Silence the libraries' per-second INFO lines; their warnings and errors still show."""
    # The outbox job runs every second: "Running job ..." and "Job ... executed
    # successfully" were 604 of 611 lines in one run. Missed runs and errors are WARNING+.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


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
