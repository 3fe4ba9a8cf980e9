"""Retention and backups (issue 14): the purge leaves no personal data in the copies psm-bot
made of the database (``backups/``, the databases a restore kept aside) unless asked to keep
them, nor in the database file's free space or WAL; a scheduled backup on or after
``process.retention_until`` is made only after the purge."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.clock import FakeClock
from bot.sandbox.botapi.server import FakeBotApi
from config.settings import Settings
from handlers.operations import Operations
from storage import db as storage_db
from storage.backup import AUTO, backup_database, copies_of, default_backup_path
from tests.harness import (
    ROME,
    BotHarness,
    at,
    bundled_event_data,
    cli_environment,
    config_from,
    register_directly,
)
from tests.test_retention import NAMES, command, seed, traces

PURGE_DAY = dt.datetime(2024, 6, 30, 0, 5, tzinfo=ROME)


def names_in_file(path: Path) -> list[str]:
    """The seed's names found anywhere in the raw bytes of ``path`` (free pages too)."""
    data = path.read_bytes() if path.exists() else b""
    return [name for name in NAMES if name.encode() in data]


def psm_copies(database: Path) -> list[Path]:
    """A manual, a compressed, a scheduled and a pre-migration backup, and a database
    kept aside by a restore (with its WAL), named as psm-bot names them."""
    folder = database.parent / "backups"
    made = [
        backup_database(database, folder / "psm-manual-20231205-091500.sqlite3"),
        backup_database(database, folder / "psm-manual-20231205-091600.sqlite3.gz", compress=True),
        backup_database(database, default_backup_path(database, PURGE_DAY, kind=AUTO)),
        backup_database(database, folder / "psm-before-migration-9-20231201-080000.sqlite3"),
    ]
    aside = database.with_name(f"{database.name}.before-restore-20231206-120000")
    aside.write_bytes(database.read_bytes())
    aside.with_name(aside.name + "-wal").write_bytes(b"")
    return [*(m.path for m in made), aside, aside.with_name(aside.name + "-wal")]


def not_ours(database: Path) -> list[Path]:
    """Files next to psm-bot's copies that are not copies of this database."""
    folder = database.parent / "backups"
    others = [folder / "README.txt", folder / "psm-other-manual-20231205-091500.sqlite3"]
    others += [folder / "psmx-manual-20231205-091500.sqlite3"]
    for other in others:
        other.write_text("not a copy of psm.sqlite3")
    return others


def test_purge_deletes_the_copies_made_before_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = cli_environment(monkeypatch, tmp_path)
    event_file = tmp_path / "event.yaml"
    # SQLite here is built with secure_delete on: off, the purge must turn it on itself
    monkeypatch.setattr(storage_db, "PRAGMAS", [*storage_db.PRAGMAS, "PRAGMA secure_delete=OFF"])
    asyncio.run(seed(database, event_file))
    monkeypatch.setenv("PSM_EVENT_FILE", str(event_file))
    copies = psm_copies(database)
    others = not_ours(database)
    assert copies_of(database) == sorted(copies)

    from bot.cli import common

    monkeypatch.setattr(common, "CLOCK", FakeClock(PURGE_DAY))
    code, out, _ = command("purge", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert [f"would delete: copy: {p}" for p in sorted(copies)] == [
        line for line in lines if line.startswith("would delete: copy: ")
    ]
    assert "would delete: copies of the database made before the purge: 6" in lines
    assert all(p.exists() for p in copies)

    code, out, err = command("purge")
    assert code == 0 and "could not" not in err
    lines = out.splitlines()
    assert [f"deleted: copy: {p}" for p in sorted(copies)] == [
        line for line in lines if line.startswith("deleted: copy: ")
    ]
    assert "deleted: copies of the database made before the purge: 6" in lines
    assert "database file: the erased values overwritten, its WAL emptied" in lines
    assert lines[-1].startswith("note: copies made elsewhere (psm-bot backup FILE")
    assert not any(p.exists() for p in copies)
    assert all(p.exists() for p in others)
    assert traces(database) == []
    # not only the tables: no name left in the file's free pages or in its WAL
    assert names_in_file(database) == []
    assert names_in_file(database.with_name(database.name + "-wal")) == []


def test_keep_backups_keeps_them_and_says_they_hold_personal_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = cli_environment(monkeypatch, tmp_path)
    event_file = tmp_path / "event.yaml"
    asyncio.run(seed(database, event_file))
    monkeypatch.setenv("PSM_EVENT_FILE", str(event_file))
    copies = psm_copies(database)
    from bot.cli import common

    monkeypatch.setattr(common, "CLOCK", FakeClock(PURGE_DAY))
    code, out, _ = command("purge", "--keep-backups")
    assert code == 0
    lines = out.splitlines()
    assert [
        f"kept (--keep-backups): copy: {p} (it still holds personal data)" for p in sorted(copies)
    ] == [line for line in lines if line.startswith("kept (--keep-backups)")]
    assert all(p.exists() for p in copies)
    assert traces(database) == []
    assert names_in_file(copies[0])  # what the operator chose to keep


def test_a_copy_that_cannot_be_deleted_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = cli_environment(monkeypatch, tmp_path)
    event_file = tmp_path / "event.yaml"
    asyncio.run(seed(database, event_file))
    monkeypatch.setenv("PSM_EVENT_FILE", str(event_file))
    copies = psm_copies(database)
    from bot.cli import common

    monkeypatch.setattr(common, "CLOCK", FakeClock(PURGE_DAY))
    stuck = copies[0]
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == stuck:
            raise PermissionError(13, "Permission denied")
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    code, out, err = command("purge")
    assert code == 1
    assert err.splitlines()[-1:] == [
        f"purge: could not delete {stuck} (Permission denied): delete it by hand"
    ]
    assert "deleted: copies of the database made before the purge: 5" in out.splitlines()


class BackingUpBot(BotHarness):
    """The bot under test with scheduled backups every day."""

    def settings(self) -> Settings:
        """The harness's settings, with backups every day."""
        return super().settings().model_copy(update={"backup_every_day": True})


def names_in_database(path: Path) -> list[Any]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT display_name FROM registrations WHERE display_name IS NOT NULL"
        ).fetchall()
    finally:
        conn.close()


async def test_the_running_bot_purges_before_a_backup_past_the_date(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """The day before the date a scheduled backup holds the names; on the day the backup
    job purges first, the older copy goes, the new copy holds no name; a later check with
    nothing to erase leaves the new copy alone."""
    data = bundled_event_data()
    data["process"]["retention_until"] = "2023-12-20"
    bot = BackingUpBot(api, tmp_path, now=at(19, 10), config=config_from(data))
    async with bot:
        assert bot.app is not None and bot.app.job_queue is not None
        operations = bot.app.bot_data.operations
        assert isinstance(operations, Operations) and operations.retention is not None
        await register_directly(bot.services, 4501, "Zenobia Quarantotto")
        (job,) = bot.app.job_queue.get_jobs_by_name("backup")
        await job.run(bot.app)
        (before,) = copies_of(bot.database)
        assert names_in_database(before) == [("Zenobia Quarantotto",)]

        bot.clock.set(at(20, 10))
        await job.run(bot.app)
        (after,) = copies_of(bot.database)
        assert not before.exists() and after != before
        assert names_in_database(after) == []
        assert names_in_database(bot.database) == []

        report = await operations.retention.daily()
        assert report is not None and not report.erased_anything
        assert copies_of(bot.database) == [after]


def test_a_backup_past_the_date_warns_until_the_purge(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = cli_environment(monkeypatch, tmp_path)
    event_file = tmp_path / "event.yaml"
    asyncio.run(seed(database, event_file))
    monkeypatch.setenv("PSM_EVENT_FILE", str(event_file))
    from bot.cli import common

    monkeypatch.setattr(common, "CLOCK", FakeClock(PURGE_DAY - dt.timedelta(days=1)))
    code, _, err = command("backup")
    assert code == 0 and "warning" not in err  # before the date: nothing to say
    monkeypatch.setattr(common, "CLOCK", FakeClock(PURGE_DAY))
    code, out, err = command("backup")
    assert code == 0 and out.startswith("backup: ")
    assert err.splitlines()[-1] == (
        "backup: warning: process.retention_until (2024-06-30) has passed and this copy holds "
        "personal data: run psm-bot purge (it deletes the copies in backups/ too), or delete "
        "the copy"
    )
    code, out, _ = command("purge")
    assert "deleted: copies of the database made before the purge: 2" in out.splitlines()
    code, _, err = command("backup")
    assert code == 0 and "warning" not in err
