"""Logging that never prints the bot token."""

from __future__ import annotations

import logging


class RedactFilter(logging.Filter):
    """Replaces secrets (the bot token) in every record with ``[REDACTED]``."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without the secrets; always keep the record."""
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            for secret in self._secrets:
                text = text.replace(secret, "[REDACTED]")
            record.exc_text, record.exc_info = text, None
        return True


def install_redaction(token: str) -> RedactFilter:
    """Attach a redaction filter to every root handler; quiet the HTTP client's URL logs."""
    redact = RedactFilter(token)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    for handler in root.handlers:
        handler.addFilter(redact)
    # httpx logs every request URL, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    return redact
