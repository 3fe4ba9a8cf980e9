"""Backups of the live database and restoring one: SQLite's online backup API, verified.

- :func:`backup_database` copies the database while the bot runs (its own ``sqlite3``
  connection, :meth:`sqlite3.Connection.backup`: in WAL mode the copy is one read transaction,
  so it is a consistent snapshot and the bot's writes go on meanwhile), checks the copy with
  ``PRAGMA integrity_check``, optionally gzips it, and only then gives it its final name (a
  copy that failed half-way never looks like a backup).
- :func:`verify_backup` checks a file (plain or gzipped): SQLite, intact, a psm-bot schema
  this version knows.
- :func:`restore_database` puts a verified backup in place of the database, keeping the
  current file (and its WAL) aside; :class:`RunLock` is how it knows the bot is not running.
- :func:`prune_backups` keeps the newest scheduled backups.
- :func:`copies_of` lists every copy of the database psm-bot made and still keeps (the
  backups in ``backups/``, the databases a restore kept aside), :func:`delete_copies` deletes
  them: ``psm-bot purge`` and the running bot's purge do, since they hold personal data.

Blocking functions (plain ``sqlite3``, files): the running bot calls them through
``asyncio.to_thread``, so the event loop and the bot's own connection are never held up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gzip
import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from storage.errors import DatabaseError, database_error
from storage.migrations import MIGRATIONS

GZIP_MAGIC = b"\x1f\x8b"
SUFFIX = ".sqlite3"
# Pages copied per step: small steps let the bot's writers interleave (in WAL mode they are
# not blocked anyway); the copy restarts by itself when the source changes between steps.
PAGES_PER_STEP = 4096
# How the kinds of backups are named (psm-bot-<kind>-<time>.sqlite3[.gz]); only "auto"
# (the scheduled ones) are pruned.
MANUAL, AUTO, PRE_MIGRATION = "manual", "auto", "before-migration"


@dataclass(frozen=True)
class BackupResult:
    """A backup made: where, how big, how long it took, what it holds."""

    path: Path
    size: int
    seconds: float
    schema_version: int
    compressed: bool


def backups_folder(database: Path) -> Path:
    """The ``backups/`` folder next to the database."""
    return Path(database).expanduser().resolve().parent / "backups"


def default_backup_path(
    database: Path, now: dt.datetime, *, kind: str = MANUAL, compress: bool = False
) -> Path:
    """``backups/<database name>-<kind>-<UTC time>.sqlite3[.gz]`` next to the database."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    name = f"{Path(database).stem}-{kind}-{stamp}{SUFFIX}" + (".gz" if compress else "")
    return backups_folder(database) / name


def _connect_source(database: Path) -> sqlite3.Connection:
    path = Path(database)
    if not path.is_file():
        raise DatabaseError(f"no database at {path}: nothing to back up")
    try:
        # not mode=ro: a WAL database's reader must be able to create its -shm index
        conn = sqlite3.connect(str(path), timeout=10, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise database_error(path, exc) from None
    return conn


def _integrity(conn: sqlite3.Connection) -> str:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows[:3])


def backup_database(database: Path, target: Path, *, compress: bool = False) -> BackupResult:
    """Copy the (possibly live) database to ``target``, verified; gzipped when ``compress``.

    Raises :class:`DatabaseError` (one line) when the source cannot be read or the copy
    cannot be written or is not intact; nothing is left at ``target`` then.
    """
    started = time.monotonic()
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"cannot make the backups folder {target.parent} ({exc.strerror or exc}): "
            "it must be a folder psm-bot can write"
        ) from exc
    partial = target.with_name(target.name + ".partial")
    plain = partial.with_name(partial.name + ".db") if compress else partial
    source = _connect_source(database)
    try:
        try:
            copy = sqlite3.connect(str(plain), isolation_level=None)
            try:
                source.backup(copy, pages=PAGES_PER_STEP)
                verdict = _integrity(copy)
                version = int(copy.execute("PRAGMA user_version").fetchone()[0])
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
        except sqlite3.Error as exc:
            raise database_error(target, exc) from None
        if verdict != "ok":
            raise DatabaseError(f"the copy of {database} is not intact ({verdict}): not kept")
        if compress:
            with plain.open("rb") as raw, gzip.open(partial, "wb", compresslevel=6) as packed:
                shutil.copyfileobj(raw, packed, 1 << 20)
            plain.unlink()
        partial.replace(target)
    except OSError as exc:
        raise database_error(target, exc) from None
    finally:
        source.close()
        for leftover in {partial, plain}:
            with contextlib.suppress(OSError):
                leftover.unlink()
    seconds = time.monotonic() - started
    return BackupResult(target, target.stat().st_size, seconds, version, compress)


def is_gzip(path: Path) -> bool:
    """Whether ``path`` starts like a gzip file."""
    with Path(path).open("rb") as file:
        return file.read(2) == GZIP_MAGIC


def _unpacked(path: Path, folder: Path) -> Path:
    """``path`` itself, or (gzipped) a plain copy of it in ``folder``."""
    if not is_gzip(path):
        return path
    plain = folder / f".{path.name}.restoring"
    try:
        with gzip.open(path, "rb") as packed, plain.open("wb") as raw:
            shutil.copyfileobj(packed, raw, 1 << 20)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        with contextlib.suppress(OSError):
            plain.unlink()
        raise DatabaseError(f"{path} is not a valid gzip file ({exc})") from None
    return plain


def check_copy(path: Path, *, shown: Path | None = None) -> int:
    """Check a plain database file: intact and a psm-bot schema this version knows; returns
    its schema version. ``shown`` is the name used in the error line."""
    shown = shown or path
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        try:
            verdict = _integrity(conn)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise database_error(shown, exc) from None
    if verdict != "ok":
        raise DatabaseError(f"{shown} is damaged ({verdict}): choose another backup")
    if version == 0 or "registrations" not in tables:
        raise DatabaseError(f"{shown} is an SQLite file but not a psm-bot database")
    if version > len(MIGRATIONS):
        raise DatabaseError(
            f"{shown} is at schema version {version}, but this psm-bot knows only up to "
            f"{len(MIGRATIONS)}: restore it with the newer psm-bot that wrote it"
        )
    return version


def verify_backup(path: Path) -> int:
    """Check a backup (plain or gzipped); returns its schema version or raises one line."""
    path = Path(path)
    if not path.is_file():
        raise DatabaseError(f"no backup at {path}")
    plain = _unpacked(path, path.parent)
    try:
        return check_copy(plain, shown=path)
    finally:
        if plain != path:
            with contextlib.suppress(OSError):
                plain.unlink()


def restore_database(backup: Path, database: Path, now: dt.datetime) -> Path | None:
    """Put the verified ``backup`` in place of ``database``; returns where the current
    database was kept (``<name>.before-restore-<time>``), or None when there was none.

    The caller holds :meth:`RunLock.exclusive` (the bot is not running).
    """
    backup, database = Path(backup), Path(database)
    if not backup.is_file():
        raise DatabaseError(f"no backup at {backup}")
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = database.with_name(f".{database.name}.restoring")
    plain = _unpacked(backup, database.parent)
    try:
        if plain == backup:
            shutil.copyfile(backup, staged)
        else:
            plain.replace(staged)
        check_copy(staged, shown=backup)
        kept = _keep_aside(database, now)
        staged.replace(database)
    except OSError as exc:
        raise database_error(database, exc) from None
    finally:
        for leftover in (staged, plain):
            if leftover != backup:
                with contextlib.suppress(OSError):
                    leftover.unlink()
    return kept


def _keep_aside(database: Path, now: dt.datetime) -> Path | None:
    """Move the database and its WAL/shm files to ``<name>.before-restore-<time>``."""
    if not database.exists():
        return None
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    aside = database.with_name(f"{database.name}.before-restore-{stamp}")
    # fold the WAL into the file first, so the kept copy is one complete file
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(str(database), isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    database.replace(aside)
    for extra in ("-wal", "-shm"):
        side = database.with_name(database.name + extra)
        if side.exists():
            side.replace(aside.with_name(aside.name + extra))
    return aside


def prune_backups(folder: Path, stem: str, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest scheduled backups of ``stem``; returns the deleted."""
    pattern = f"{stem}-{AUTO}-*{SUFFIX}*"
    found = sorted(
        (p for p in Path(folder).glob(pattern) if not p.name.endswith(".partial")),
        key=lambda p: p.name,
    )
    doomed = found[: max(0, len(found) - keep)]
    for path in doomed:
        with contextlib.suppress(OSError):
            path.unlink()
    return doomed


# the names psm-bot gives to the copies it makes (default_backup_path, _keep_aside)
_BACKUP_NAME = r"-(?:manual|auto|before-migration-\d+)-\d{8}-\d{6}\.sqlite3(?:\.gz)?"
_KEPT_ASIDE = r"\.before-restore-\d{8}-\d{6}(?:-wal|-shm)?"


def copies_of(database: Path) -> list[Path]:
    """Every copy of ``database`` psm-bot made and still keeps, by name: the backups in
    ``backups/`` (manual, scheduled, before a migration) and the databases ``restore`` kept
    aside next to it (``<name>.before-restore-<time>``, with their ``-wal``/``-shm``).
    Copies written elsewhere (``psm-bot backup /mnt/usb/x.sqlite3``) are not known."""
    database = Path(database).expanduser().resolve()
    found: list[Path] = []
    folder = backups_folder(database)
    if folder.is_dir():
        named = re.compile(re.escape(database.stem) + _BACKUP_NAME)
        found += [p for p in folder.iterdir() if named.fullmatch(p.name) and p.is_file()]
    if database.parent.is_dir():
        aside = re.compile(re.escape(database.name) + _KEPT_ASIDE)
        found += [p for p in database.parent.iterdir() if aside.fullmatch(p.name) and p.is_file()]
    return sorted(found)


def delete_copies(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Delete ``paths``; those deleted, and those that could not be with the reason (a file
    already gone counts as neither)."""
    deleted: list[Path] = []
    failed: list[tuple[Path, str]] = []
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            failed.append((path, exc.strerror or type(exc).__name__))
        else:
            deleted.append(path)
    return deleted, failed


def latest_backup(database: Path) -> Path | None:
    """The newest backup of ``database`` in its ``backups/`` folder, if any."""
    folder = backups_folder(database)
    if not folder.is_dir():
        return None
    found = [
        p
        for p in folder.glob(f"{Path(database).stem}-*{SUFFIX}*")
        if not p.name.endswith(".partial")
    ]
    return max(found, key=lambda p: p.stat().st_mtime, default=None)


class BotRunningError(DatabaseError):
    """The bot holds the database (``psm-bot restore`` refuses)."""


class RunLock:
    """``<database>.lock``: the running bot holds a shared ``flock`` on it for its whole
    life (with its pid written in); ``psm-bot restore`` needs it exclusively.

    The kernel releases a ``flock`` when its process ends, however it ends, so a crashed bot
    never leaves a stale lock behind (a pid file would).
    """

    def __init__(self, database: Path) -> None:
        database = Path(database).expanduser().resolve()
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def hold(self) -> RunLock:
        """Take the shared lock (the running bot); several bots' checks never conflict."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_SH)
        with contextlib.suppress(OSError):
            os.pwrite(fd, f"{os.getpid()}\n".encode().ljust(16), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Let the lock go (the bot stops)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def exclusive(self) -> RunLock:
        """Take the lock exclusively, at once, or raise :class:`BotRunningError`."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 16, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise BotRunningError(
                f"the bot is running on {self.path.with_suffix('')} (pid {pid}): stop it first "
                "(e.g. systemctl stop psm-bot), then restore"
            ) from None
        self._fd = fd
        return self
