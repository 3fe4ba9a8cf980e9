"""Benchmark (issue 14): backing up the live database while the bot keeps answering.

A database with 10,000 registrations and 30,000 outbox rows (the reminders planned for
them); the bot runs on the fake Bot API; 50 participants keep pressing their language
buttons (a press is a write: the language choice, then the answer and an edit), one press
every 20 ms. Meanwhile the database is backed up three ways: ``psm-bot backup`` as a
process of its own (what an operator or a cron job runs), the same with ``--compress``,
and the bot's own scheduled backup (its job, in a thread of the bot's process).

Printed: the database size; each backup's time (target at most 5 s) and the worst answer
delay while it ran (from the press reaching the update queue to the bot's
answerCallbackQuery; target at most 1 s), next to the worst delay without a backup.

    .venv/bin/python bench/bench_backup.py [--participants 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Report, register_many
from bot.app import build_application, running
from bot.kernel.backups import ScheduledBackups
from bot.kernel.clock import FakeClock
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from config.event import load_event_config
from tests.harness import bot_api_server, environ_without_psm, settings_for

ROME = ZoneInfo("Europe/Rome")
EVENT = "copianificazione-2023"
PRESSERS = 50
PRESS_EVERY = 0.02
MAX_BACKUP_S, MAX_DELAY_S = 5.0, 1.0

report = Report(46, 10, 10)


class Pressers:
    """Participants pressing their language button again and again; answer delays kept."""

    def __init__(self, api: FakeBotApi, users: list[FakeUser]) -> None:
        self.api = api
        self.users = users
        self.delays: list[float] = []
        self._stop = asyncio.Event()
        self._pending: set[asyncio.Task[None]] = set()

    async def _one(self, user: FakeUser, language: str) -> None:
        started = time.perf_counter()
        qid = await user.press_data(f"l|{language}", message=user.last)
        await user.callback_answer(qid, timeout=30)
        self.delays.append(time.perf_counter() - started)

    async def run(self) -> None:
        """Press until :meth:`stop`, each user in turn, one press every ``PRESS_EVERY``."""
        languages = itertools.cycle(["en", "it"])
        for user in itertools.cycle(self.users):
            if self._stop.is_set():
                break
            task = asyncio.create_task(self._one(user, next(languages)))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            await asyncio.sleep(PRESS_EVERY)
        await asyncio.gather(*self._pending)

    def stop(self) -> None:
        """Stop pressing (those pressed are still answered)."""
        self._stop.set()


async def measured(
    api: FakeBotApi, users: list[FakeUser], action: Callable[[], Awaitable[object]]
) -> tuple[float, float]:
    """Run ``action`` while the participants press: its time and the worst answer delay."""
    pressers = Pressers(api, users)
    pressing = asyncio.create_task(pressers.run())
    await asyncio.sleep(0.3)  # pressing at a steady pace first
    started = time.perf_counter()
    await action()
    took = time.perf_counter() - started
    pressers.stop()
    await pressing
    return took, max(pressers.delays)


async def psm_bot_backup(database: Path, target: Path, *extra: str) -> None:
    """``psm-bot backup`` in a process of its own, as an operator runs it."""
    command = [sys.executable, "-m", "bot.cli", "backup", str(target), *extra]
    env = environ_without_psm(PSM_DATABASE=str(database))
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"psm-bot backup failed: {err.decode()}")
    print(f"    {out.decode().strip()}")


def on_disk(database: Path) -> int:
    """The database's bytes, its WAL included."""
    wal = database.with_name(database.name + "-wal")
    return database.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


async def main(participants: int) -> int:
    config = load_event_config()
    clock = FakeClock(dt.datetime(2023, 11, 20, 10, 0, tzinfo=ROME))
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        async with bot_api_server() as api:
            settings = settings_for(database, token=api.token, api_base_url=api.url)
            application = build_application(settings, config, clock)
            async with running(application, poll_timeout=1, poll_interval=0):
                services = application.bot_data.services
                assert services is not None
                await register_many(services, api, EVENT, 10_000_000, participants, clock.now())
                planned = await services.planner.plan_all(clock.now())
                users = [api.user(10_000_000 + i) for i in range(PRESSERS)]
                for user in users:
                    await user.send("/lingua")
                    await user.wait_for(lambda m: bool(m.inline_keyboard))
                size = on_disk(database)
                print(
                    f"database: {participants} registrations, {planned} outbox rows, "
                    f"{size / 1e6:.1f} MB (with its WAL)"
                )
                _, quiet = await measured(api, users, lambda: asyncio.sleep(3))
                report("worst answer delay, no backup", f"{quiet:.3f} s", "-", True)
                scheduled = ScheduledBackups(
                    settings.model_copy(update={"backup_every_day": True}), config, clock
                )
                runs: list[tuple[str, Callable[[], Awaitable[object]]]] = [
                    ("psm-bot backup", lambda: psm_bot_backup(database, Path(tmp) / "a.sqlite3")),
                    (
                        "psm-bot backup --compress",
                        lambda: psm_bot_backup(database, Path(tmp) / "b.sqlite3.gz", "--compress"),
                    ),
                    ("the bot's scheduled backup", scheduled.run),
                ]
                ok = True
                for name, action in runs:
                    took, worst = await measured(api, users, action)
                    report(f"{name}: time", f"{took:.2f} s", f"<= {MAX_BACKUP_S:g} s", took <= 5)
                    report(
                        f"{name}: worst answer delay",
                        f"{worst:.3f} s",
                        f"<= {MAX_DELAY_S:g} s",
                        worst <= MAX_DELAY_S,
                    )
                    ok = ok and took <= MAX_BACKUP_S and worst <= MAX_DELAY_S
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.participants)))
