"""The one aiosqlite connection of the bot, its pragmas and its migrations.

Migrations are append-only SQL scripts in :mod:`storage.migrations`; the number applied is
kept in ``PRAGMA user_version``. A database written by a newer psm-bot (a higher
user_version than this code knows) is refused rather than silently misread.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import itertools
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage import backup
from storage.errors import DatabaseError, database_error
from storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

# Set on every connection (a test adds "PRAGMA max_page_count" to simulate a full disk).
PRAGMAS = [
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
]


class DatabaseTooNewError(DatabaseError):
    """The database was migrated by a newer version of psm-bot."""

    def __init__(self, found: int, known: int, path: Path | str = "the database") -> None:
        super().__init__(
            f"{path} is at schema version {found}, but this psm-bot knows only up to "
            f"{known}: it was written by a newer psm-bot; upgrade psm-bot (or point "
            "PSM_DATABASE at another file)"
        )
        self.found = found
        self.known = known


# A group commit in the making: per statement, everyone's rows; done once they are stored.
_Group = tuple[list[list[tuple[Any, ...]]], asyncio.Future[None]]


class Database:
    """Owns the connection; repositories borrow it through :meth:`transaction` and reads.

    Transactions nest: a repository called inside another's transaction (by the same task)
    joins it under a savepoint, so several repositories' writes commit or roll back together
    (``async with db.transaction(): await a.create(...); await b.add(...)``).
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection
        self._write_lock = asyncio.Lock()
        # the task holding the open transaction (None outside one): nested calls join it
        self._owner: contextvars.ContextVar[asyncio.Task[Any] | None] = contextvars.ContextVar(
            f"psm_db_owner_{id(self)}", default=None
        )
        self._savepoints = itertools.count(1)
        self._groups: dict[tuple[str, ...], _Group] = {}  # open groups of write_grouped
        self._writing: set[asyncio.Task[None]] = set()  # their writes under way

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Connect, set WAL/synchronous/foreign keys, and apply pending migrations."""
        # Whatever goes wrong (not SQLite, read-only, a folder, a full disk, a newer schema)
        # is raised as a DatabaseError: one line naming the file and what to do.
        connecting = aiosqlite.connect(str(path), isolation_level=None)
        try:
            conn = await connecting
        except (sqlite3.Error, OSError) as exc:
            # aiosqlite stops its thread without waiting: let it finish while the loop runs
            thread = getattr(connecting, "_thread", None)
            if thread is not None and thread.is_alive():
                await asyncio.to_thread(thread.join, 5)
            raise database_error(path, exc) from None
        try:
            conn.row_factory = aiosqlite.Row
            for pragma in PRAGMAS:
                await conn.execute(pragma)
            database = cls(conn)
            await database._backup_before_migrating(path)
            await database.migrate()
            await database._check_writable()
        except DatabaseTooNewError as exc:
            await conn.close()
            raise DatabaseTooNewError(exc.found, exc.known, path) from None
        except (sqlite3.Error, OSError) as exc:
            await conn.close()
            raise database_error(path, exc) from None
        except BaseException:
            await conn.close()
            raise
        return database

    async def _backup_before_migrating(self, path: Path | str) -> None:
        """A verified copy in ``backups/`` before a migration changes a database that has a
        schema already (a new, empty file has nothing to keep): a failed or wrong migration
        can then be undone with ``psm-bot restore``."""
        current = await self.schema_version()
        if not 0 < current < len(MIGRATIONS):
            return
        target = backup.default_backup_path(
            Path(path), dt.datetime.now(dt.UTC), kind=f"{backup.PRE_MIGRATION}-{current}"
        )
        made = await asyncio.to_thread(backup.backup_database, Path(path), target)
        log.info("backup before migrating from version %d: %s", current, made.path)

    async def _check_writable(self) -> None:
        """Fail now, not at the first registration, when the file cannot be written (a
        read-only file opens and reads fine): a write that is rolled back."""
        version = await self.schema_version()
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            await self._conn.execute(f"PRAGMA user_version = {version}")
        finally:
            if self._conn.in_transaction:
                await self._conn.execute("ROLLBACK")

    async def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        await self._conn.close()

    async def schema_version(self) -> int:
        """The migration number recorded in ``PRAGMA user_version``."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply the migrations this database has not seen, each in its own transaction."""
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise DatabaseTooNewError(current, len(MIGRATIONS))
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            log.info("applying database migration %d", number)
            # executescript commits first; wrap the script so it applies all or nothing.
            await self._conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )

    # --- access helpers used by repositories ---------------------------------------------
    def _inside(self) -> bool:
        """Whether the current task holds this database's open transaction."""
        owner = self._owner.get()
        return owner is not None and owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction; coroutines take turns so statements never interleave.

        Inside another transaction of the same task it is a savepoint of that one: an error
        rolls back just this part (and propagates), success keeps it for the outer commit.
        """
        if self._inside():
            name = f"sp{next(self._savepoints)}"
            await self._conn.execute(f"SAVEPOINT {name}")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute(f"ROLLBACK TO {name}")
                await self._conn.execute(f"RELEASE {name}")
                raise
            await self._conn.execute(f"RELEASE {name}")
            return
        async with self._write_lock:
            token = self._owner.set(asyncio.current_task())
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                self._owner.reset(token)

    async def write_grouped(self, *statements: tuple[str, Sequence[Sequence[Any]]]) -> None:
        """Write statements (each with its rows of parameters), stored (committed) when this
        returns, grouped with the same statements of other tasks into one transaction: a
        group commit.

        For the hottest writes, many at once (a room tapping its ballots): every trip to
        the database thread costs the event loop far more than the statement itself, so the
        writes that arrive while one group is being written go together in the next one (each
        statement once, with everyone's rows, in the order given). Callers must not depend on
        one another's rows within a group. Not inside a transaction: there, use :meth:`write`.
        """
        loop = asyncio.get_running_loop()
        key = tuple(sql for sql, _ in statements)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = ([[] for _ in statements], loop.create_future())
            task = loop.create_task(self._write_group(key, group))
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)
        for rows, (_, mine) in zip(group[0], statements, strict=True):
            rows.extend(tuple(row) for row in mine)
        await asyncio.shield(group[1])

    async def _write_group(self, key: tuple[str, ...], group: _Group) -> None:
        rows, done = group
        try:
            async with self._write_lock:
                if self._groups.get(key) is group:  # later writes start the next group
                    del self._groups[key]
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for sql, params in zip(key, rows, strict=True):
                        if params:
                            await self._conn.executemany(sql, params)
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
        except BaseException as exc:
            if self._groups.get(key) is group:
                del self._groups[key]
            done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            done.set_result(None)

    async def write(self, sql: str, params: Iterable[Any] = ()) -> None:
        """One write statement, atomic on its own (autocommit): one trip to the database
        thread instead of three (BEGIN, statement, COMMIT), for the hot single-row writes.
        Inside a transaction of the same task it is part of that transaction."""
        if self._inside():
            await self._conn.execute(sql, tuple(params))
            return
        async with self._write_lock:
            await self._conn.execute(sql, tuple(params))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """Run a read and return its first row."""
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Run a read and return every row (one trip to the database thread, not three)."""
        return list(await self._conn.execute_fetchall(sql, tuple(params)))
