"""Logging that never prints the bot token.

:func:`install_redaction` wraps the log record factory, so every record — from psm-bot, PTB,
httpx or anything else, whatever handler prints it — has the token replaced by
``[REDACTED]`` in its message and its traceback text. The HTTP client's per-request INFO
lines (whose URLs contain the token) are silenced as well.
"""

from __future__ import annotations

import logging
from typing import Any

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
    """Plain INFO logging to stderr for the ``psm-bot`` command."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
