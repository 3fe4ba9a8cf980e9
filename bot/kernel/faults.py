"""Database faults while the bot runs (issue 14): what they are, and how the background
work (the periodic tick, the outbox sender, scheduled backups, the heartbeat, the retention
check) reports them without flooding the log or the organisers' chat.

- :func:`fault_line` is the one line for a fault (a full disk, a read-only file, a lock held
  by another program, a damaged file, an I/O error): :func:`storage.errors.database_error`'s,
  which names the file and what to do; None for any other error (a constraint violated or a
  bug is not a fault of the database and is logged where it happens).
- :class:`Faults` keeps the faults going on, by kind. The first failure of a kind is one
  ERROR line and a :class:`Notice` to the listeners (the running bot tells each organiser in
  the chat, directly: the outbox lives in the database that fails); the same kind failing
  again, in any work, every second, is a DEBUG line only. When every piece of work that
  failed with it has succeeded again, one INFO line ``back to normal`` and a notice
  ``cleared`` (sent if the organisers know of the fault: told of its kind in the last 10
  minutes, either way). Organisers are told of a kind at most every :data:`ALERT_EVERY`,
  whichever way it arrived (a background job or a participant's update,
  :mod:`handlers.errors`), so a fault that comes and goes cannot flood their chat either.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.kernel.clock import Clock
from bot.kernel.logs import describe
from storage.errors import DatabaseError, database_error, is_disk_full

log = logging.getLogger(__name__)

# A kind of fault is told to the organisers at most this often.
ALERT_EVERY = dt.timedelta(minutes=10)

# the background work that reports here, as the log names it
TICK, OUTBOX, BACKUP, HEARTBEAT, RETENTION = "tick", "outbox", "backup", "heartbeat", "retention"
WORK_NAMES = {
    TICK: "the periodic work",
    OUTBOX: "the outbox sender",
    BACKUP: "the scheduled backups",
    HEARTBEAT: "the heartbeat",
    RETENTION: "the retention check",
}

_SYSTEM = (errno.ENOSPC, errno.EROFS, errno.EIO)


def _chain(error: BaseException | None) -> list[BaseException]:
    """``error`` and what caused it (``__cause__``, else ``__context__``), without loops."""
    found: list[BaseException] = []
    while error is not None and all(error is not seen for seen in found):
        found.append(error)
        error = error.__cause__ or error.__context__
    return found


def _is_fault(error: BaseException) -> bool:
    if isinstance(error, sqlite3.IntegrityError | sqlite3.ProgrammingError):
        return False  # a bug or a race, not the database failing
    if isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError:
        return True
    return isinstance(error, OSError) and error.errno in _SYSTEM


def is_fault(error: BaseException | None) -> bool:
    """Whether ``error`` comes from a fault of the database (see :func:`fault_line`)."""
    return any(isinstance(link, DatabaseError) or _is_fault(link) for link in _chain(error))


def fault_line(error: BaseException | None, database: Path) -> str | None:
    """The one line for a database fault behind ``error``, or None when it is not one."""
    for link in _chain(error):
        if isinstance(link, DatabaseError):
            return str(link)  # already the one line (e.g. a backup's, naming its file)
        if _is_fault(link):
            return str(database_error(database, link))
    return None


def fault_kind(error: BaseException | None, line: str) -> str:
    """What kind of fault it is (disk full, read-only, locked, damaged, I/O; else the line
    itself): a backup's line names a new file each time, its kind stays the same."""
    if is_disk_full(error):
        return "disk full"
    for link in _chain(error):
        code = str(getattr(link, "sqlite_errorname", "") or "")
        text = str(link)
        system = link.errno if isinstance(link, OSError) else None
        if code.startswith("SQLITE_READONLY") or "readonly database" in text:
            return "read-only"
        if system == errno.EROFS:
            return "read-only"
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
            return "locked"
        if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text:
            return "damaged"
        if code.startswith("SQLITE_IOERR") or system == errno.EIO:
            return "I/O error"
    return line


@dataclass(frozen=True)
class Notice:
    """What the listeners are told: a fault began (``cleared`` False) or is over."""

    line: str
    work: str  # the work that failed first (TICK, OUTBOX, ...)
    cleared: bool


Listener = Callable[[Notice], Awaitable[None]]


@dataclass
class _Fault:
    line: str
    work: str
    failing: set[str]
    told: bool


class Faults:
    """The database faults going on in one running bot (see the module's comment)."""

    def __init__(self, database: Path, clock: Clock) -> None:
        self.database = Path(database).expanduser().resolve()
        self.clock = clock
        self.listeners: list[Listener] = []
        self._active: dict[str, _Fault] = {}  # kind -> the fault going on
        self._alerted: dict[str, dt.datetime] = {}  # kind -> when organisers were last told
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> list[str]:
        """The lines of the faults going on."""
        return [fault.line for fault in self._active.values()]

    def should_alert(self, kind: str) -> bool:
        """Whether organisers may be told of this kind now (at most every ALERT_EVERY)."""
        now = self.clock.now()
        last = self._alerted.get(kind)
        if last is not None and now - last < ALERT_EVERY:
            return False
        self._alerted[kind] = now
        return True

    def failed(self, work: str, error: BaseException) -> bool:
        """``work`` failed with ``error``: True when it was a database fault (then said
        here, once per kind), False otherwise (the caller logs it as any error)."""
        line = fault_line(error, self.database)
        if line is None:
            return False
        kind = fault_kind(error, line)
        fault = self._active.get(kind)
        if fault is not None:
            fault.failing.add(work)
            log.debug("database fault in %s (already reported): %s", WORK_NAMES[work], line)
            return True
        told = self.should_alert(kind)
        # organisers who know of it (told now, or less than 10 minutes ago through another
        # way, e.g. a participant's update) are told when it is over
        self._active[kind] = _Fault(line, work, {work}, told=kind in self._alerted)
        log.error(
            "database fault in %s: %s%s",
            WORK_NAMES[work],
            line,
            " (organisers told)" if told else "",
        )
        if told:
            self._notify(Notice(line, work, cleared=False))
        return True

    def succeeded(self, work: str) -> None:
        """``work`` ran without error: a fault none of the work fails with any more is over."""
        if not self._active:
            return  # the usual case, at every tick
        for kind, fault in list(self._active.items()):
            fault.failing.discard(work)
            if fault.failing:
                continue
            del self._active[kind]
            log.info("back to normal: the database works again (was: %s)", fault.line)
            if fault.told:
                self._notify(Notice(fault.line, fault.work, cleared=True))

    def task_done(self, work: str) -> Callable[[asyncio.Task[Any]], None]:
        """A done-callback for a background task of ``work``: its success or its fault
        reported here; any other error logged in one line."""

        def done(task: asyncio.Task[Any]) -> None:
            if task.cancelled():
                return
            error = task.exception()
            if error is None:
                self.succeeded(work)
            elif not self.failed(work, error):
                log.error("background task %s failed: %s", task.get_name(), describe(error))

        return done

    def _notify(self, notice: Notice) -> None:
        for listener in self.listeners:
            task = asyncio.get_running_loop().create_task(self._tell(listener, notice))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _tell(listener: Listener, notice: Notice) -> None:
        try:
            await listener(notice)
        except Exception as exc:  # telling must never break the work that reported
            log.warning("could not tell about a database fault: %s", describe(exc))

    async def settle(self) -> None:
        """Wait for the notices being sent (tests, and the stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
