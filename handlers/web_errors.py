"""The bot's web server's start-up error, apart from :mod:`handlers.web` so that the
Application can catch it without importing aiohttp's web server (only loaded when it runs)."""

from __future__ import annotations


class WebListenError(OSError):
    """The web server's address cannot be used: ``str()`` is the one line to print."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()
