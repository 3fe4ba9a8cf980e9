"""Is the bot healthy? What ``psm-bot status`` prints and ``/healthz`` answers.

The running bot keeps a :class:`Pulse` in memory — the time of the last successful
``getUpdates`` (or webhook delivery) and the 429s it got — and writes it to the database
every :data:`BEAT_EVERY` (one UPDATE: cheap), so a command in another process can tell.

Healthy means: a bot is running on this database (its heartbeat is recent and it did not
stop), it received updates within :data:`UPDATES_STALE` (a long poll returns at least every
10 s even when nobody writes), and the oldest message due in the outbox has waited less
than :data:`OUTBOX_STUCK` (a reminder to 10,000 people takes about 6 minutes at Telegram's
30 a second; a quarter of an hour means the sender is stuck or Telegram refuses it).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.kernel.clock import Clock
from storage.backup import latest_backup
from storage.ops import OpsRepository

BEAT_EVERY = dt.timedelta(seconds=30)
UPDATES_STALE = dt.timedelta(minutes=2)
OUTBOX_STUCK = dt.timedelta(minutes=15)
# the heartbeat row is written every BEAT_EVERY: older than this, no bot is writing it
HEARTBEAT_STALE = BEAT_EVERY * 3


class Pulse:
    """The running bot's live figures, recorded by the HTTP layer, flushed by the beat."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last_update_at: dt.datetime | None = None
        self._floods: list[tuple[dt.datetime, str]] = []

    def updates_received(self) -> None:
        """A ``getUpdates`` answered (or a webhook request accepted)."""
        self.last_update_at = self.clock.now()

    def flood(self, endpoint: str) -> None:
        """Telegram answered 429 to ``endpoint``."""
        self._floods.append((self.clock.now(), endpoint))

    def take_floods(self) -> list[tuple[dt.datetime, str]]:
        """The 429s since the last call (to be written)."""
        floods, self._floods = self._floods, []
        return floods

    def give_back(self, floods: list[tuple[dt.datetime, str]]) -> None:
        """Floods that could not be written: kept for the next beat."""
        self._floods[:0] = floods

    @property
    def floods_pending(self) -> int:
        """429s not written yet."""
        return len(self._floods)


async def beat(ops: OpsRepository, pulse: Pulse) -> None:
    """Write the pulse to the database (the running bot's job, every :data:`BEAT_EVERY`)."""
    floods = pulse.take_floods()
    try:
        await ops.beat(pulse.last_update_at, floods, pulse.clock.now())
    except BaseException:
        pulse.give_back(floods)  # not lost: written at the next beat
        raise


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else None


@dataclass(frozen=True)
class Status:
    """Everything ``psm-bot status`` shows; :meth:`as_json` is ``/healthz``'s body."""

    now: dt.datetime
    running: bool
    pid: int | None
    started_at: dt.datetime | None
    last_update_at: dt.datetime | None
    backlog: int
    oldest_due: dt.datetime | None
    sent_last_minute: int
    floods_last_hour: int
    database: Path
    database_bytes: int
    last_backup: Path | None
    last_backup_at: dt.datetime | None
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """No problem found."""
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """The status as JSON data (times in UTC ISO-8601)."""
        return {
            "healthy": self.healthy,
            "problems": self.problems,
            "now": _iso(self.now),
            "running": self.running,
            "pid": self.pid,
            "started_at": _iso(self.started_at),
            "last_update_at": _iso(self.last_update_at),
            "outbox": {
                "backlog": self.backlog,
                "oldest_due_at": _iso(self.oldest_due),
                "sent_last_minute": self.sent_last_minute,
            },
            "rate_limited_last_hour": self.floods_last_hour,
            "database": {"path": str(self.database), "bytes": self.database_bytes},
            "last_backup": {
                "path": str(self.last_backup) if self.last_backup else None,
                "at": _iso(self.last_backup_at),
            },
        }


def _on_disk(database: Path) -> int:
    total = 0
    for suffix in ("", "-wal"):
        with_suffix = database.with_name(database.name + suffix)
        if with_suffix.exists():
            total += with_suffix.stat().st_size
    return total


def _files(database: Path) -> tuple[Path, int, Path | None, dt.datetime | None]:
    """The database's absolute path and size, its newest backup and that backup's time."""
    database = Path(database).expanduser().resolve()
    backup = latest_backup(database)
    backup_at = (
        dt.datetime.fromtimestamp(backup.stat().st_mtime, dt.UTC) if backup is not None else None
    )
    return database, _on_disk(database), backup, backup_at


def _updates_stale(
    last_update: dt.datetime | None, started_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """No update for :data:`UPDATES_STALE` (a bot that has just started gets as long)."""
    if last_update is not None:
        return now - last_update > UPDATES_STALE
    return started_at is None or now - started_at > UPDATES_STALE


def _ago(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


async def read_status(
    ops: OpsRepository, database: Path, now: dt.datetime, pulse: Pulse | None = None
) -> Status:
    """The status at ``now``; ``pulse`` is the running bot's own (fresher than its row)."""
    database, size, backup, backup_at = _files(database)
    heart = await ops.heartbeat()
    pace = await ops.outbox_pace(now)
    floods = await ops.floods_since(now - dt.timedelta(hours=1))
    problems: list[str] = []
    last_update = heart.last_update_at if heart else None
    if pulse is not None:
        last_update = pulse.last_update_at or last_update
        floods += pulse.floods_pending
        running = True
    else:
        running = bool(heart and heart.stopped_at is None and now - heart.beat_at < HEARTBEAT_STALE)
    if not running:
        if heart is None:
            problems.append("no bot has run on this database")
        elif heart.stopped_at is not None:
            problems.append(f"the bot is not running (stopped {_ago(now - heart.stopped_at)} ago)")
        else:
            problems.append(
                f"the bot is not running (no heartbeat for {_ago(now - heart.beat_at)})"
            )
    elif _updates_stale(last_update, heart.started_at if heart else None, now):
        since = f"for {_ago(now - last_update)}" if last_update else "since it started"
        problems.append(f"no updates received from Telegram {since}")
    if pace.oldest_due is not None and now - pace.oldest_due > OUTBOX_STUCK:
        problems.append(
            f"the outbox is stuck: {pace.backlog} due, the oldest for {_ago(now - pace.oldest_due)}"
        )
    return Status(
        now=now,
        running=running,
        pid=heart.pid if heart else (os.getpid() if pulse else None),
        started_at=heart.started_at if heart else None,
        last_update_at=last_update,
        backlog=pace.backlog,
        oldest_due=pace.oldest_due,
        sent_last_minute=pace.sent_last_minute,
        floods_last_hour=floods,
        database=database,
        database_bytes=size,
        last_backup=backup,
        last_backup_at=backup_at,
        problems=problems,
    )


def status_lines(status: Status, tz: dt.tzinfo) -> list[str]:
    """``psm-bot status`` as text lines, times in ``tz`` (the event file's) with the zone's
    name (``15:52:06 CET``): the journal's lines beside them may be in the server's zone."""

    def when(value: dt.datetime | None) -> str:
        if value is None:
            return "never"
        local = value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
        return f"{local} ({_ago(status.now - value)} ago)"

    verdict = "healthy" if status.healthy else "UNHEALTHY: " + "; ".join(status.problems)
    running = f"yes (pid {status.pid}, since {when(status.started_at)})" if status.running else "no"
    oldest = when(status.oldest_due) if status.oldest_due else "-"
    backup = (
        f"{when(status.last_backup_at)}, {status.last_backup}" if status.last_backup else "none"
    )
    return [
        f"status: {verdict}",
        f"bot running: {running}",
        f"last updates received: {when(status.last_update_at)}",
        f"outbox: {status.backlog} due, oldest due {oldest}; sent in the last minute: "
        f"{status.sent_last_minute}",
        f"429s in the last hour: {status.floods_last_hour}",
        f"database: {status.database} ({status.database_bytes / 1e6:.1f} MB)",
        f"last backup: {backup}",
    ]
