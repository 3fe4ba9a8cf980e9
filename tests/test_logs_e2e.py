"""What the running bot logs: business events at INFO without personal data, no scheduler
noise, errors with Telegram's (or SQLite's) reason, and a clear line when the disk is full."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.error import BadRequest, InvalidToken

from bot.kernel.logs import configure_logging, describe
from bot.sandbox.botapi.server import FakeBotApi
from tests.harness import ROME, BotHarness, fill_the_disk, register

NAME = "Marianna Zanzotto"  # a name that appears nowhere else


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path) as harness:
        yield harness


def messages(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= level]


async def test_business_events_at_info_without_personal_data(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging()
    caplog.set_level(logging.INFO)
    harness = await BotHarness(api, tmp_path).start()  # the outbox job runs at once
    try:
        user = api.user(4711, NAME)
        await register(user, organisation="Comune di Zanzottopoli")
        await harness.at(dt.datetime(2023, 12, 4, 18, 0, tzinfo=ROME))  # the eve reminder
    finally:
        await harness.stop()
    lines = messages(caplog)
    assert "registration confirmed: event=copianificazione-2023 zone=5 mode=in_person" in lines
    assert "outbox: sent 1 (reminder 1), skipped 0, failed 0, retried 0" in lines
    text = caplog.text + "\n".join(lines)
    for personal in ("Marianna", "Zanzotto", "4711"):
        assert personal not in text
    # APScheduler's two lines a second about the outbox job are gone
    assert not any("Running job" in line or "executed successfully" in line for line in lines)


async def test_apscheduler_routine_lines_are_silenced(caplog: pytest.LogCaptureFixture) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    configure_logging()
    caplog.set_level(logging.INFO)
    runs: list[int] = []
    three = asyncio.Event()

    def job() -> None:
        runs.append(1)
        if len(runs) >= 3:
            three.set()

    scheduler = AsyncIOScheduler()
    scheduler.add_job(job, "interval", seconds=0.05, next_run_time=dt.datetime.now())
    scheduler.start()
    try:
        await asyncio.wait_for(three.wait(), 5)
    finally:
        scheduler.shutdown(wait=False)
    lines = messages(caplog)
    assert not any("Running job" in line or "executed successfully" in line for line in lines)
    # what matters still shows
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.WARNING)


async def test_error_log_names_telegrams_reason(
    api: FakeBotApi, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    user = api.user(4712, NAME)
    api.fail_next("sendMessage", error_code=400, description="Bad Request: text is too long")
    await user.send("/start")
    await api.settle(0.2)
    errors = messages(caplog, logging.ERROR)
    assert any(
        line.startswith("error while handling update ")
        and ": BadRequest (Text is too long) at " in line
        for line in errors
    ), errors
    assert NAME not in caplog.text


async def test_disk_full_while_running_is_said_in_the_log(
    api: FakeBotApi, bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    db = bot.services.db

    fill_the_disk(db)
    user = api.user(4713, NAME)
    await user.send("/start")
    await user.wait_for("problema")  # the participant gets the apology
    errors = messages(caplog, logging.ERROR)
    assert any(
        "the disk is full, the database cannot be written (free some space): "
        "OperationalError (database or disk is full) at " in line
        for line in errors
    ), errors


def raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_describe_keeps_out_the_token_and_user_text() -> None:
    token_error = raised(InvalidToken("The token `123:SECRET` was rejected by the server."))
    assert "SECRET" not in describe(token_error)
    assert describe(token_error).startswith("InvalidToken (the token was rejected) at ")
    assert "Mario" not in describe(raised(ValueError("Mario Rossi is not a zone")))
    assert describe(raised(BadRequest("Bad Request: message is too long"))).startswith(
        "BadRequest (Message is too long) at test_logs_e2e.py:"
    )
    assert describe(None) == "unknown error"
