"""Database faults in the background work while the bot runs (issue 14): the periodic tick,
the outbox sender, the heartbeat and the scheduled backups failing on a full disk or a
read-only database are one ERROR line and, once per kind of fault (not at every tick), a
message to each organiser in their language, sent directly; when the fault clears, one line
"back to normal" and a message; the bot never stops, and what was queued goes out after."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.kernel.retention import NOTICE
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from config.settings import Settings
from handlers.operations import Operations
from storage.outbox import PERSON, Planned
from tests.harness import BotHarness, fill_the_disk, register_directly

ORGANISER_IT, ORGANISER_EN = 9600, 9601
FAULT_IT, FAULT_EN = "non riesce a usare il database", "cannot use its database"
BACK_IT, BACK_EN = "Il database funziona di nuovo", "The database works again"


class QuickBot(BotHarness):
    """The bot under test, its periodic tick every 0.05 s (many ticks in little time)."""

    def settings(self) -> Settings:
        """The harness's settings, with a quick tick and backups every day."""
        return (
            super()
            .settings()
            .model_copy(update={"outbox_interval": 0.05, "backup_every_day": True})
        )


def count(user: FakeUser, text: str) -> int:
    return len([m for m in user.messages if text in m.content])


def lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


async def run_job(bot: BotHarness, name: str) -> None:
    """Run one of the bot's jobs now, as the job queue would."""
    assert bot.app is not None and bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(name)
    await job.run(bot.app)


async def organisers(bot: BotHarness, api: FakeBotApi) -> tuple[FakeUser, FakeUser]:
    """The two organisers, one who chose English."""
    italian, english = api.user(ORGANISER_IT, "Org"), api.user(ORGANISER_EN, "Org EN")
    await bot.services.users.set_language(ORGANISER_EN, "en", bot.clock.now())
    return italian, english


async def test_a_full_disk_in_the_background_is_told_once_then_back_to_normal(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot = QuickBot(api, tmp_path, organisers=[ORGANISER_IT, ORGANISER_EN])
    async with bot:
        italian, english = await organisers(bot, api)
        await register_directly(bot.services, 4900, "Zenobia Quarantotto")
        now = bot.clock.now()
        await bot.services.outbox.add(  # queued before the fault, due during it
            [
                Planned(
                    dedupe_key="test-notice",
                    kind=NOTICE,
                    user_id=ORGANISER_IT,
                    due_at=now + dt.timedelta(minutes=5),
                    expires_at=None,
                    payload={"date": "2024-06-30"},
                    priority=PERSON,
                )
            ],
            now,
        )
        db = bot.services.db
        caplog.set_level(logging.DEBUG)
        caplog.clear()
        fill_the_disk(db)
        bot.clock.advance(dt.timedelta(minutes=6))
        alert = await italian.wait_for(FAULT_IT)
        assert f"the disk is full: {bot.database} cannot be written (free some space)" in (
            alert.content
        )
        await english.wait_for(FAULT_EN)
        await run_job(bot, "heartbeat")  # fails too: the same kind
        await asyncio.sleep(0.5)  # about ten more ticks, each failing
        assert bot.app is not None and bot.app.running  # no crash, no restart loop
        assert count(italian, FAULT_IT) == 1 and count(english, FAULT_EN) == 1
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1, errors  # one line, not one a tick
        assert errors[0].startswith("database fault in the ")
        assert errors[0].endswith(
            f"the disk is full: {bot.database} cannot be written (free some space) "
            "(organisers told)"
        )
        assert len(lines(caplog, "already reported")) > 3  # the others, at DEBUG
        assert bot.app is not None
        operations = bot.app.bot_data.operations
        assert isinstance(operations, Operations)
        status = await operations.status()  # what /healthz answers (503 while it lasts)
        assert not status.healthy
        assert f"database fault: the disk is full: {bot.database} cannot be written (free " in (
            "; ".join(status.problems)
        )
        assert count(italian, "Cancellazione") == 0  # queued, not lost

        # the disk has room again: the next heartbeat, tick and drain work
        vars(db).pop("write")
        vars(db).pop("transaction")
        await run_job(bot, "heartbeat")
        await italian.wait_for(BACK_IT)
        await english.wait_for(BACK_EN)
        await italian.wait_for("Cancellazione dei dati personali")  # the queued message
        assert lines(caplog, "back to normal") == [
            "back to normal: the database works again (was: the disk is full: "
            f"{bot.database} cannot be written (free some space))"
        ]
        assert not [p for p in (await operations.status()).problems if "fault" in p]
        rows = await db.fetchall("SELECT display_name FROM registrations")
        assert [row[0] for row in rows] == ["Zenobia Quarantotto"]  # nothing lost


async def test_a_read_only_database_while_running(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite refusing every write (``PRAGMA query_only``: what a read-only file gives):
    told once to the organisers, also when a participant then meets it; a scheduled
    backup (a read) still works; then back to normal."""
    bot = QuickBot(api, tmp_path, organisers=[ORGANISER_IT, ORGANISER_EN])
    async with bot:
        italian, english = await organisers(bot, api)
        db = bot.services.db
        caplog.set_level(logging.INFO)
        await db.fetchone("PRAGMA query_only=1")
        alert = await italian.wait_for(FAULT_IT)
        assert f"{bot.database} is read-only" in alert.content
        await english.wait_for(FAULT_EN)
        participant = api.user(4902, "Bea")
        await participant.send("/start")
        await participant.wait_for("problema")  # the usual apology
        await run_job(bot, "backup")
        assert [p.name for p in (bot.database.parent / "backups").iterdir()]
        await asyncio.sleep(0.3)
        assert count(italian, FAULT_IT) == 1 and count(english, FAULT_EN) == 1
        assert bot.app is not None and bot.app.running

        await db.fetchone("PRAGMA query_only=0")
        await run_job(bot, "heartbeat")
        await italian.wait_for(BACK_IT)
        await english.wait_for(BACK_EN)
        assert len(lines(caplog, "back to normal")) == 1


async def test_a_failing_scheduled_backup_is_told_once(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``backups`` is a file, not a folder: each scheduled backup fails; told once with
    the line naming the folder; when it is a folder again the next backup says so."""
    bot = QuickBot(api, tmp_path, organisers=[ORGANISER_IT])
    async with bot:
        italian = api.user(ORGANISER_IT, "Org")
        blocker = bot.database.parent / "backups"
        blocker.write_text("not a folder")
        caplog.set_level(logging.INFO)
        await run_job(bot, "backup")
        alert = await italian.wait_for(FAULT_IT)
        assert "(backup programmati)" in alert.content
        assert f"cannot make the backups folder {blocker} (File exists)" in alert.content
        bot.clock.advance(dt.timedelta(minutes=30))
        await run_job(bot, "backup")  # a new file name, the same fault: not told again
        await api.settle(0.1)
        assert count(italian, FAULT_IT) == 1
        assert len(lines(caplog, "database fault in the scheduled backups")) == 1

        blocker.unlink()
        await run_job(bot, "backup")
        await italian.wait_for(BACK_IT)
        assert len(lines(caplog, "scheduled backup: ")) == 1
