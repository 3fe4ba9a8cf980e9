"""Why the database cannot be used, in one line an operator can act on.

SQLite's own messages (``unable to open database file``, ``file is not a database``) do
not say what to do; :func:`database_error` turns them into :class:`DatabaseError` lines
naming the file and the fix. They hold no personal data (SQLite's messages never contain
the values of a statement).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path


class DatabaseError(RuntimeError):
    """The database cannot be opened or written; ``str()`` is one line saying why and what
    to do."""


def _code(exc: BaseException) -> str:
    return str(getattr(exc, "sqlite_errorname", "") or "")


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) is SQLite's or the system's "disk full"."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sqlite3.Error) and (
            _code(exc) == "SQLITE_FULL" or "database or disk is full" in str(exc)
        ):
            return True
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _read_only_file_system(path: Path) -> bool:
    folder = path if path.is_dir() else path.parent
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def database_error(path: Path | str, exc: BaseException) -> DatabaseError:
    """The one line to print when ``exc`` happened while opening or writing ``path``."""
    path = Path(path)
    code = _code(exc)
    text = str(exc)
    if is_disk_full(exc):
        return DatabaseError(f"the disk is full: {path} cannot be written (free some space)")
    if code == "SQLITE_NOTADB" or "file is not a database" in text:
        return DatabaseError(
            f"{path} is not a psm-bot database (not an SQLite file): set PSM_DATABASE to "
            "another file, or move this one away"
        )
    cannot_write = code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")) or any(
        words in text for words in ("readonly database", "unable to open database file")
    )
    if cannot_write and not path.is_dir() and _read_only_file_system(path):
        return DatabaseError(
            f"{path} is on a read-only file system: psm-bot must write the database and its "
            "journal next to it (set PSM_DATABASE to a writable place)"
        )
    if code.startswith("SQLITE_READONLY") or "readonly database" in text:
        return DatabaseError(
            f"{path} is read-only: psm-bot must be able to write it and its folder (check "
            "their permissions, and whether the file system is mounted read-only)"
        )
    if code.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
        if path.is_dir():
            return DatabaseError(
                f"{path} is a folder, not a database file: set PSM_DATABASE to a file "
                f"(e.g. {path / 'psm-bot.sqlite3'})"
            )
        if not path.parent.is_dir():
            return DatabaseError(f"cannot create {path}: the folder {path.parent} does not exist")
        return DatabaseError(
            f"cannot open {path}: psm-bot must be able to write it and its folder (check "
            "their permissions, and whether the file system is mounted read-only)"
        )
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return DatabaseError(
            f"{path} is locked by another program (is another psm-bot using it?): try again "
            "when it is done"
        )
    if code.startswith("SQLITE_CORRUPT"):
        return DatabaseError(f"{path} is damaged ({text}): restore it from a backup")
    if code.startswith("SQLITE_IOERR"):
        return DatabaseError(f"cannot read or write {path} ({text}): check the disk")
    if isinstance(exc, OSError):
        return DatabaseError(f"cannot use {path}: {exc.strerror or exc}")
    return DatabaseError(f"cannot use the database {path}: {text}")
