"""Time source. The bot asks a clock for "now" so tests can move time without sleeping."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time (aware, UTC)."""

    def now(self) -> dt.datetime:
        """The current instant."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> dt.datetime:
        """The current instant, from the system."""
        return dt.datetime.now(dt.UTC)


class FakeClock:
    """A clock that only moves when told to (tests, benchmarks, rehearsals)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        """The instant the clock was set or advanced to."""
        return self._now

    def set(self, when: dt.datetime) -> None:
        """Jump to ``when``."""
        self._now = when.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> None:
        """Move forward by ``delta``."""
        self._now += delta
