"""The kinds of database faults and the once-per-kind rule (bot/kernel/faults.py), on real
SQLite errors: a full database, a read-only connection, a file that is not SQLite, a lock
held by another connection; a constraint error is not a fault."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from pathlib import Path

import pytest

from bot.kernel.clock import FakeClock
from bot.kernel.faults import BACKUP, OUTBOX, TICK, Faults, Notice, fault_kind, fault_line
from storage.errors import DatabaseError

T0 = dt.datetime(2023, 12, 5, 9, 0, tzinfo=dt.UTC)


def error_of(action: str, tmp_path: Path) -> sqlite3.Error:
    """The real error SQLite raises for ``action``."""
    database = tmp_path / "x.sqlite3"
    conn = sqlite3.connect(database, isolation_level=None, timeout=0)
    conn.execute("CREATE TABLE IF NOT EXISTS t (x PRIMARY KEY)")
    try:
        if action == "full":
            count = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count={count}")
            conn.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
        elif action == "read-only":
            conn.execute("PRAGMA query_only=1")
            conn.execute("INSERT INTO t VALUES (1)")
        elif action == "not sqlite":
            (tmp_path / "notes.sqlite3").write_text("not a database" * 100)
            sqlite3.connect(tmp_path / "notes.sqlite3").execute("SELECT * FROM t")
        elif action == "locked":
            other = sqlite3.connect(database, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("BEGIN IMMEDIATE")
            finally:
                other.execute("ROLLBACK")
                other.close()
        else:
            conn.execute("INSERT INTO t VALUES (1)")
            conn.execute("INSERT INTO t VALUES (1)")
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError(f"no error for {action}")


@pytest.mark.parametrize(
    ("action", "kind", "says"),
    [
        ("full", "disk full", "the disk is full: {db} cannot be written (free some space)"),
        ("read-only", "read-only", "{db} is read-only: psm-bot must be able to write it"),
        ("not sqlite", "damaged", "{db} is not a psm-bot database (not an SQLite file)"),
        ("locked", "locked", "{db} is locked by another program"),
    ],
)
def test_the_kinds_of_faults(action: str, kind: str, says: str, tmp_path: Path) -> None:
    error = error_of(action, tmp_path)
    database = tmp_path / "psm.sqlite3"
    line = fault_line(error, database)
    assert line is not None and line.startswith(says.format(db=database))
    assert fault_kind(error, line) == kind


def test_a_constraint_or_another_error_is_not_a_fault(tmp_path: Path) -> None:
    assert fault_line(error_of("constraint", tmp_path), tmp_path / "psm.sqlite3") is None
    assert fault_line(ValueError("a bug"), tmp_path / "psm.sqlite3") is None
    wrapped = RuntimeError("while sending")
    wrapped.__cause__ = sqlite3.OperationalError("database or disk is full")
    assert fault_line(wrapped, tmp_path / "p.sqlite3") == (
        f"the disk is full: {tmp_path / 'p.sqlite3'} cannot be written (free some space)"
    )


async def test_once_per_kind_then_back_to_normal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(T0)
    faults = Faults(tmp_path / "psm.sqlite3", clock)
    told: list[Notice] = []

    async def listener(notice: Notice) -> None:
        told.append(notice)

    faults.listeners.append(listener)
    full = sqlite3.OperationalError("database or disk is full")
    caplog.set_level(logging.INFO)
    for _ in range(5):
        assert faults.failed(OUTBOX, full)
    assert faults.failed(TICK, full)
    backup = DatabaseError("cannot make the backups folder /x/backups (File exists): ...")
    assert faults.failed(BACKUP, backup)  # another kind: told too
    await faults.settle()
    assert [(n.work, n.cleared) for n in told] == [(OUTBOX, False), (BACKUP, False)]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2

    faults.succeeded(OUTBOX)  # the tick still fails with it: not over
    await faults.settle()
    assert len(told) == 2
    faults.succeeded(TICK)
    faults.succeeded(BACKUP)
    await faults.settle()
    assert [(n.work, n.cleared) for n in told[2:]] == [(OUTBOX, True), (BACKUP, True)]
    assert len([r for r in caplog.records if "back to normal" in r.getMessage()]) == 2
    assert faults.active == []

    # the same kind again within 10 minutes: logged, not told again (no flood)
    clock.advance(dt.timedelta(minutes=3))
    assert faults.failed(OUTBOX, full)
    await asyncio.sleep(0)
    await faults.settle()
    assert len(told) == 4
    clock.advance(dt.timedelta(minutes=11))
    faults.succeeded(OUTBOX)
    assert faults.failed(OUTBOX, full)
    await faults.settle()
    assert len(told) == 6  # "over" (they knew), then told again after 10 minutes
