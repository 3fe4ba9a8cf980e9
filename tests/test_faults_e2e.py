"""A database fault while the bot runs (here a full disk): one line in the log, the
participant's apology, and each organiser told in the chat — at most every 10 minutes —
without going through the outbox (which lives in the database that cannot be written)."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path

import pytest

from bot.sandbox.botapi.server import FakeBotApi
from tests.harness import BotHarness, fill_the_disk

ORGANISER = 9500


async def test_a_full_disk_is_told_to_the_organisers(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with BotHarness(api, tmp_path, organisers=[ORGANISER]) as bot:
        organiser = api.user(ORGANISER, "Org")
        db = bot.services.db

        fill_the_disk(db)
        caplog.set_level(logging.ERROR)
        first, second = api.user(4801, "A"), api.user(4802, "B")
        await first.send("/start")
        await first.wait_for("problema")  # the participant's apology
        alert = await organiser.wait_for("non riesce a usare il database")
        assert f"the disk is full: {bot.database} cannot be written (free some space)" in (
            alert.content
        )
        await second.send("/start")
        await second.wait_for("problema")
        await api.settle(0.1)
        alerts = [m for m in organiser.messages if "database" in m.content]
        assert len(alerts) == 1  # not again within 10 minutes
        bot.clock.advance(dt.timedelta(minutes=11))
        await second.send("/start")
        await organiser.wait_until(
            lambda: len([m for m in organiser.messages if "database" in m.content]) == 2
        )
        # told twice, each time in one line (by the update's error handler, or by the
        # periodic work when its tick came first: the two share the 10-minute limit)
        told = [r.getMessage() for r in caplog.records if "organisers told" in r.getMessage()]
        line = f"the disk is full: {bot.database} cannot be written (free some space)"
        assert len(told) == 2 and all(line in message for message in told), told


def test_a_database_locked_by_another_program_stops_the_start_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another program holds the write lock (here a connection in a write transaction): the
    bot does not start, says so in one line, exit code 2 (not a traceback to restart on)."""
    from bot.cli import main
    from storage import db as storage_db
    from tests.harness import cli_environment, migrated

    database = migrated(cli_environment(monkeypatch, tmp_path))
    monkeypatch.setenv("PSM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("PSM_API_BASE_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setattr(
        storage_db, "PRAGMAS", [*storage_db.PRAGMAS[:-1], "PRAGMA busy_timeout=100"]
    )
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert main(["run"]) == 2
    finally:
        other.execute("ROLLBACK")
        other.close()
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"psm-bot: {database} is locked by another program (is another psm-bot using it?): "
        "try again when it is done"
    ]
