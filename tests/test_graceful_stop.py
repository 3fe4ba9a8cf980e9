"""Graceful stop, with the real ``psm-bot run`` process against the fake Bot API (issue 14).

SIGTERM in the middle of a broadcast: the outbox sender takes no new row, the deliveries in
flight finish before the HTTP session closes, the process exits within 10 s; after the
restart the broadcast goes on: nobody is missed and nobody gets the message twice (with
SIGKILL, ``bench/bench_broadcast.py``, up to the sender's concurrency could be resent).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.clock import SystemClock
from bot.sandbox.botapi.server import FakeBotApi
from bot.services import Services
from config.event import load_event_config
from tests.harness import bot_api_server, new_registration, settings_for

ROOT = Path(__file__).resolve().parent.parent
EVENT = "copianificazione-2023"
ORGANISER = 42
FIRST = 30_000_000
PEOPLE = 240
RATE = 40  # messages a second the fake server lets through: the broadcast takes ~6 s


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with bot_api_server() as api:
        yield api


async def prepare(api: FakeBotApi, database: Path) -> None:
    """``PEOPLE`` registrations and a broadcast due now, straight into the database."""
    config = load_event_config()
    source = await api.user(ORGANISER, "Org").send("Il tavolo inizia alle 10:10.")
    settings = settings_for(database, token=api.token, api_base_url=api.url)
    services = await Services.start(settings, config, SystemClock())
    try:
        now = services.clock.now()
        for index in range(PEOPLE):
            api.user(FIRST + index, f"P{index}")
            zone = config.zones[index % len(config.zones)].number
            new = new_registration(config, FIRST + index, f"P{index}", event=EVENT, zone=zone)
            await services.registrations.create(new, None, now)
        await services.broadcasts_store.create(
            created_by=ORGANISER,
            source_chat=ORGANISER,
            source_message=source.message_id,
            content="text",
            audience={"event": EVENT, "kind": "all"},
            scheduled_at=now,
            now=now,
        )
    finally:
        await services.close()


def start_bot(api: FakeBotApi, database: Path, log: Path) -> subprocess.Popen[bytes]:
    """``psm-bot run`` in its own process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PSM_")}
    env.update(
        PSM_BOT_TOKEN=api.token,
        PSM_API_BASE_URL=api.url,
        PSM_DATABASE=str(database),
        PSM_ORGANISERS=str(ORGANISER),
        PSM_OUTBOX_INTERVAL="0.2",
    )
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def received(api: FakeBotApi) -> list[int]:
    """How many copies of the broadcast each participant received."""
    return [
        sum(1 for m in api.chat(FIRST + i).bot_messages if m.method == "copyMessage")
        for i in range(PEOPLE)
    ]


def tail(log: Path, size: int = 3000) -> str:
    """The end of the bot's log (for a failing assertion), or all of it (``size`` 0)."""
    return log.read_text()[-size:]


async def wait_until(check: object, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``check()`` until true (the bot still running), at most a minute."""
    assert callable(check)
    deadline = time.monotonic() + 60
    while not check():
        assert process.poll() is None, tail(log)
        assert time.monotonic() < deadline, tail(log)
        await asyncio.sleep(0.05)


async def stopped(process: subprocess.Popen[bytes]) -> float:
    """SIGTERM, then the seconds until the process has exited (killed after 20 s)."""
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    try:
        await asyncio.to_thread(process.wait, 20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return time.monotonic() - started


async def test_sigterm_mid_broadcast_then_restart(server: FakeBotApi, tmp_path: Path) -> None:
    api, database, log = server, tmp_path / "bot.sqlite3", tmp_path / "bot.log"
    await prepare(api, database)
    api.enforce_rate(RATE, 1)
    bot = start_bot(api, database, log)
    await wait_until(lambda: sum(received(api)) >= PEOPLE // 3, bot, log)
    took = await stopped(bot)
    at_stop = sum(received(api))
    assert bot.returncode == 0, tail(log)
    assert took < 10, took
    assert 0 < at_stop < PEOPLE, at_stop  # stopped in the middle

    bot = start_bot(api, database, log)
    try:
        await wait_until(lambda: min(received(api)) > 0, bot, log)
        await asyncio.sleep(1.0)  # anything sent twice would arrive now
    finally:
        await stopped(bot)
    counts = received(api)
    assert sum(1 for c in counts if c == 0) == 0  # missed
    assert sum(c - 1 for c in counts if c > 1) == 0  # duplicates
    text = tail(log, 0)
    assert "in flight at the last stop" not in text  # nothing had to be resent
    assert "psm-bot stopped" in text
