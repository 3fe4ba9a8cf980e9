"""Benchmark (issue 4): a broadcast to 2,000 participants through the fake Bot API enforcing
30 messages/second with 429s; then the bot process is killed with SIGKILL mid-broadcast and
restarted.

Prints: sustained rate as a fraction of 30/s (target >= 0.9), 429s received, lost (target 0)
and duplicates (target 0); after the SIGKILL: missed (target 0) and duplicates (target at
most the messages in flight, i.e. the sender's concurrency).

    .venv/bin/python bench/bench_broadcast.py [--participants 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Report, register_many
from bot.app import build_application, running
from bot.kernel.clock import SystemClock
from bot.kernel.outbox import CONCURRENCY
from bot.sandbox.botapi.server import FakeBotApi
from bot.services import Services
from config.event import load_event_config
from config.settings import Settings
from tests.harness import bot_api_server, settings_for

EVENT = "copianificazione-2023"
RATE = 30
ORGANISER = 42
FIRST_USER = 20_000_000


report = Report(38, 10, 12)  # name, value, target columns


def bot_settings(api: FakeBotApi, database: Path) -> Settings:
    return settings_for(
        database,
        token=api.token,
        api_base_url=api.url,
        organisers=[ORGANISER],
        outbox_interval=0.2,
    )


async def prepare(api: FakeBotApi, database: Path, participants: int) -> int:
    """Registrations and a broadcast due now, written straight into the database."""
    config = load_event_config()
    organiser = api.user(ORGANISER, "Org")
    source = await organiser.send("Comunicazione importante: il tavolo inizia alle 10:10.")
    services = await Services.start(bot_settings(api, database), config, SystemClock())
    try:
        now = services.clock.now()
        await register_many(services, api, EVENT, FIRST_USER, participants, now)
        broadcast = await services.broadcasts_store.create(
            created_by=ORGANISER,
            source_chat=ORGANISER,
            source_message=source.message_id,
            content="text",
            audience={"event": EVENT, "kind": "all"},
            scheduled_at=now,
            now=now,
        )
        return broadcast.id
    finally:
        await services.close()


def received(api: FakeBotApi, participants: int) -> list[int]:
    """How many copies each participant received."""
    return [
        sum(1 for m in api.chat(FIRST_USER + i).bot_messages if m.method == "copyMessage")
        for i in range(participants)
    ]


async def in_process(participants: int) -> bool:
    """Part 1: sustained rate, 429s, lost and duplicates, with the bot in this process."""
    with tempfile.TemporaryDirectory() as tmp:
        async with bot_api_server() as api:
            database = Path(tmp) / "bench.sqlite3"
            await prepare(api, database, participants)
            api.enforce_rate(RATE, 1)
            api.fail_next("copyMessage", error_code=429, retry_after=1, times=2)
            application = build_application(bot_settings(api, database), load_event_config())
            started = time.perf_counter()
            async with running(application, poll_timeout=1, poll_interval=0):
                services = application.bot_data.services
                assert services is not None
                while True:
                    await asyncio.sleep(0.5)
                    done = await services.broadcasts_store.unreported()
                    if not done:
                        break
                elapsed = time.perf_counter() - started
            counts = received(api, participants)
            times = sorted(r.time for r in api.requests if r.method == "copyMessage" and r.ok)
    # sustained: from the first delivery to the last (start-up and report not counted)
    rate = (len(times) - 1) / (times[-1] - times[0]) / RATE
    lost = sum(1 for c in counts if c == 0)
    duplicates = sum(c - 1 for c in counts if c > 1)
    print(f"broadcast to {participants} participants, in process ({elapsed:.1f} s)")
    report("sustained rate / 30 msg/s", f"{rate:.3f}", ">= 0.9", rate >= 0.9)
    report("429 received", f"{api.stats['429']}", "-", True)
    report("lost", f"{lost}", "0", lost == 0)
    report("duplicates", f"{duplicates}", "0", duplicates == 0)
    return rate >= 0.9 and lost == 0 and duplicates == 0


def start_bot(api: FakeBotApi, database: Path, log: Path) -> subprocess.Popen[bytes]:
    """The real ``psm-bot run`` in its own process."""
    env = dict(
        os.environ,
        PSM_BOT_TOKEN=api.token,
        PSM_API_BASE_URL=api.url,
        PSM_DATABASE=str(database),
        PSM_ORGANISERS=str(ORGANISER),
        PSM_OUTBOX_INTERVAL="0.2",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def killed_and_restarted(participants: int) -> bool:
    """Part 2: SIGKILL the bot process mid-broadcast, restart it, count missed/duplicates."""
    with tempfile.TemporaryDirectory() as tmp:
        async with bot_api_server() as api:
            database = Path(tmp) / "bench.sqlite3"
            log = Path(tmp) / "bot.log"
            await prepare(api, database, participants)
            api.enforce_rate(RATE, 1)
            bot = start_bot(api, database, log)
            deadline = time.monotonic() + 120
            while sum(received(api, participants)) < participants // 3:
                if time.monotonic() > deadline or bot.poll() is not None:
                    print(log.read_text()[-2000:])
                    return False
                await asyncio.sleep(0.05)
            bot.send_signal(signal.SIGKILL)
            bot.wait()
            at_kill = sum(received(api, participants))
            await asyncio.sleep(0.5)
            bot = start_bot(api, database, log)
            deadline = time.monotonic() + 240
            try:
                while min(received(api, participants)) == 0:
                    if time.monotonic() > deadline or bot.poll() is not None:
                        break
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1.0)
            finally:
                bot.send_signal(signal.SIGTERM)
                try:
                    bot.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    bot.kill()
            counts = received(api, participants)
    missed = sum(1 for c in counts if c == 0)
    duplicates = sum(c - 1 for c in counts if c > 1)
    in_flight = CONCURRENCY
    print(f"SIGKILL after {at_kill} of {participants} delivered, then restart")
    report("missed", f"{missed}", "0", missed == 0)
    report("duplicates", f"{duplicates}", f"<= {in_flight}", duplicates <= in_flight)
    return missed == 0 and duplicates <= in_flight


async def main(participants: int) -> int:
    first = await in_process(participants)
    second = await killed_and_restarted(participants)
    return 0 if first and second else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=2000)
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(main(arguments.participants)))
