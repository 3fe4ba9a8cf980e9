"""``psm-bot backup`` and ``psm-bot restore``; the backup before a migration; scheduled ones.

The backup during a broadcast runs the real bot on the fake Bot API and the command in
another thread, as an operator would run it beside the service.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.kernel.backups import ScheduledBackups
from bot.kernel.clock import FakeClock
from bot.sandbox.botapi.server import FakeBotApi
from config.event import load_event_config
from storage.backup import RunLock, prune_backups, verify_backup
from storage.migrations import MIGRATIONS
from tests.harness import (
    BotHarness,
    answer,
    at,
    cli_environment,
    migrated,
    register_directly,
    settings_for,
)

ORGANISER = 9100


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    """Read ``database`` (plain or gzipped) with plain sqlite3."""
    path = database
    if database.read_bytes()[:2] == b"\x1f\x8b":
        path = database.with_name(database.name + ".plain")
        path.write_bytes(gzip.decompress(database.read_bytes()))
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def add_link(database: Path, url: str) -> None:
    conn = sqlite3.connect(database)
    with conn:
        conn.execute(
            "INSERT OR REPLACE INTO online_links (event_id, item_id, url, set_at) "
            "VALUES ('e', '', ?, '2023-12-01T10:00:00+00:00')",
            (url,),
        )
    conn.close()


def links(database: Path) -> list[object]:
    return [row[0] for row in rows(database, "SELECT url FROM online_links")]


@pytest.mark.parametrize("compress", [False, True])
def test_backup_then_restore_round_trip(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    compress: bool,
) -> None:
    database = migrated(cli_environment(monkeypatch, tmp_path))
    add_link(database, "https://meet.example.org/before")
    assert main(["backup", *(["--compress"] if compress else [])]) == 0
    out, err = capsys.readouterr()
    assert err == f"database: {database}\n"
    (made,) = (tmp_path / "backups").iterdir()
    assert made.name.startswith("psm-manual-")
    assert made.name.endswith(".sqlite3.gz" if compress else ".sqlite3")
    assert out.startswith(f"backup: {made} (")
    assert f"schema version {len(MIGRATIONS)}, integrity ok" in out
    assert (made.read_bytes()[:2] == b"\x1f\x8b") is compress
    assert verify_backup(made) == len(MIGRATIONS)

    add_link(database, "https://meet.example.org/after")  # a change after the backup
    assert main(["restore", str(made)]) == 0
    out, _ = capsys.readouterr()
    (kept,) = tmp_path.glob("psm.sqlite3.before-restore-*")
    assert out == (
        f"restore: {database} restored from {made} (verified); the previous database is "
        f"kept as {kept}\n"
    )
    assert links(database) == ["https://meet.example.org/before"]
    assert links(kept) == ["https://meet.example.org/after"]  # nothing lost: kept aside
    assert not list(tmp_path.glob(".*restoring"))


def test_backup_to_a_named_file_and_bad_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = cli_environment(monkeypatch, tmp_path)
    assert main(["backup"]) == 2  # no database: one line, nothing created
    assert capsys.readouterr().err.startswith("database: no database at")
    assert not database.exists()
    migrated(database)
    target = tmp_path / "copy.sqlite3"
    assert main(["backup", str(target)]) == 0
    assert verify_backup(target) == len(MIGRATIONS)
    capsys.readouterr()
    assert main(["backup", str(tmp_path / "missing-folder" / "x" / "copy.sqlite3")]) == 0
    capsys.readouterr()

    not_sqlite = tmp_path / "notes.sqlite3"
    not_sqlite.write_text("not a database\n" * 100, encoding="utf-8")
    bad_gzip = tmp_path / "broken.sqlite3.gz"
    bad_gzip.write_bytes(b"\x1f\x8b" + b"garbage")
    add_link(database, "https://meet.example.org/live")
    for bad, why in [
        (not_sqlite, "is not a psm-bot database (not an SQLite file)"),
        (bad_gzip, "is not a valid gzip file"),
        (tmp_path / "nowhere.sqlite3", "no backup at"),
    ]:
        assert main(["restore", str(bad)]) == 2
        (line,) = capsys.readouterr().err.splitlines()[1:]
        assert line.startswith("restore: ") and why in line, line
        assert line.endswith("(the database was not changed)")
    assert links(database) == ["https://meet.example.org/live"]
    assert not list(tmp_path.glob("*.before-restore-*"))


async def test_restore_refused_while_the_bot_runs(
    monkeypatch: pytest.MonkeyPatch,
    api: FakeBotApi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with BotHarness(api, tmp_path) as bot:
        monkeypatch.setenv("PSM_DATABASE", str(bot.database))
        assert await asyncio.to_thread(main, ["backup", str(tmp_path / "b.sqlite3")]) == 0
        capsys.readouterr()
        assert await asyncio.to_thread(main, ["restore", str(tmp_path / "b.sqlite3")]) == 2
        (line,) = capsys.readouterr().err.splitlines()[1:]
        assert line.startswith(f"restore: the bot is running on {bot.database} (pid ")
        assert line.endswith("stop it first (e.g. systemctl stop psm-bot), then restore")
    # stopped: the lock is free
    assert await asyncio.to_thread(main, ["restore", str(tmp_path / "b.sqlite3")]) == 0


def test_a_crashed_bot_leaves_no_stale_lock(tmp_path: Path) -> None:
    import subprocess
    import sys

    database = migrated(tmp_path / "psm.sqlite3")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from storage.backup import RunLock; "
            f"RunLock({str(database)!r}).hold(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(Exception, match=f"pid {holder.pid}"):
            RunLock(database).exclusive()
    finally:
        holder.kill()
        holder.wait()
    RunLock(database).exclusive().release()  # killed: the kernel released its lock


def test_backup_before_a_migration(tmp_path: Path) -> None:
    database = tmp_path / "psm.sqlite3"
    previous = len(MIGRATIONS) - 1
    conn = sqlite3.connect(database, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:previous], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.close()
    add_link(database, "https://meet.example.org/old")
    migrated(database)  # the bot or any command opening it applies the last migration
    (made,) = (tmp_path / "backups").iterdir()
    assert made.name.startswith(f"psm-before-migration-{previous}-")
    assert rows(made, "PRAGMA user_version") == [(previous,)]
    assert links(made) == ["https://meet.example.org/old"]
    assert rows(database, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    migrated(database)  # nothing pending: no second backup
    migrated(tmp_path / "new.sqlite3")  # a new file: nothing to keep
    assert len(list((tmp_path / "backups").iterdir())) == 1


async def test_backup_during_a_broadcast(
    monkeypatch: pytest.MonkeyPatch,
    api: FakeBotApi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The copy is consistent (every outbox row of the broadcast, sent or not, is in it, and
    intact) and the broadcast goes on: everyone gets it exactly once."""
    async with BotHarness(api, tmp_path, organisers=[ORGANISER]) as bot:
        people = [api.user(7000 + i, f"P{i}") for i in range(90)]
        for person in people:
            await register_directly(bot.services, person.id, person.first_name)
        monkeypatch.setenv("PSM_DATABASE", str(bot.database))
        organiser = api.user(ORGANISER, "Org")
        await organiser.send("/messaggio")
        await organiser.wait_for("Mandami il messaggio")
        await organiser.send("Cambio di sala alle 10:10")
        await answer(organiser, "quale incontro", "Dalle strategie")
        await answer(organiser, "A chi lo mando", "Tutti")
        await answer(organiser, "Lo invio a", "Invia ora")
        await organiser.wait_for("avviato")
        await asyncio.sleep(0.5)  # under way: about 3 s at 29 messages a second
        target = tmp_path / "during.sqlite3.gz"
        assert await asyncio.to_thread(main, ["backup", "--compress", str(target)]) == 0
        copied = rows(target, "SELECT status, count(*) FROM outbox GROUP BY status")
        await organiser.wait_for("completato", timeout=20)
    counts = {str(status): int(str(n)) for status, n in copied}
    assert sum(counts.values()) == len(people)  # all the rows, in one snapshot
    assert 0 < counts.get("sent", 0) < len(people)  # taken in the middle
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    received = [sum(m.method == "copyMessage" for m in p.messages) for p in people]
    assert received == [1] * len(people)  # the broadcast was not disturbed


async def test_scheduled_backups_on_event_days(tmp_path: Path) -> None:
    database = await asyncio.to_thread(migrated, tmp_path / "psm.sqlite3")
    config = load_event_config()
    clock = FakeClock(at(4, 10))
    settings = settings_for(database, backup_interval="30m", backup_keep=3)
    backups = ScheduledBackups(settings, config, clock)
    assert backups.interval == dt.timedelta(minutes=30)
    assert await backups.run() is None  # 4 December: no event
    clock.set(at(5, 8, 0))  # the co-planning day
    for _ in range(5):
        made = await backups.run()
        assert made is not None and made.path.name.startswith("psm-auto-")
        clock.advance(dt.timedelta(minutes=30))
    kept = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert len(kept) == 3 and kept[0].startswith("psm-auto-20231205-080000")  # the newest (UTC)
    off = ScheduledBackups(settings_for(database, backup_interval="0"), config, clock)
    assert not off.enabled and await off.run() is None
    every = settings_for(database, backup_every_day=True)
    clock.set(at(20, 12))
    assert await ScheduledBackups(every, config, clock).run() is not None
    manual = tmp_path / "backups" / "psm-manual-20231201-000000.sqlite3"
    manual.write_bytes(b"")
    prune_backups(tmp_path / "backups", "psm", 1)
    assert manual.exists()  # manual and pre-migration backups are never pruned


@pytest.mark.parametrize("value", ["often", "-5m", "m"])
def test_a_bad_backup_interval_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    value: str,
) -> None:
    cli_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("PSM_BACKUP_INTERVAL", value)
    assert main(["backup"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("settings: PSM_BACKUP_INTERVAL: ")
