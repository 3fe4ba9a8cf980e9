"""Start-up stays fast and light (issue 14, ``bench/bench_startup.py``).

- what ``psm-bot run`` imports before its first ``getUpdates`` is checked in a real
  process: no library that only a rare command or an optional server uses, and no more of
  psm-bot's own modules than :data:`OWN_MODULE_BUDGET`;
- the work moved after polling starts is still done, and a message arriving meanwhile is
  answered: the first tick plans every registration's reminders (a database fault there
  is tried again at the next tick), a job sets each staff member's menu, the garbage
  collector's freeze comes after the first ``getUpdates``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import FREEZE_AFTER, GC_THRESHOLD, serve
from bot.kernel.clock import FakeClock
from bot.sandbox.botapi.server import FakeBotApi
from bot.services import Services
from config.event import load_event_config
from tests.harness import (
    BEFORE_COPLANNING,
    BotHarness,
    environ_without_psm,
    register_directly,
    settings_for,
)

ROOT = Path(__file__).resolve().parents[1]

# Imported only when used: the documents, charts, spreadsheets and QR codes of a few staff
# commands; aiohttp's server (/healthz, webhook mode); the sandbox (its own command).
NOT_AT_START = (
    "matplotlib",
    "numpy",
    "PIL",
    "openpyxl",
    "docx",
    "pptx",
    "segno",
    "odf",
    "icalendar",
    "aiohttp.web",
    "bot.sandbox",
    "bot.cli.exports",
    "bot.cli.sandbox",
)
# psm-bot's own modules (bot, handlers, storage, config) that starting the bot imports:
# 145 at issue 14. Every module costs start-up time and idle memory (some 50 KB and 1 ms
# each); the budget leaves room for issue 15's bot/questions. Past it, make a module that
# only a rare command needs a lazy import, or raise the budget on purpose, with the figures
# of bench/bench_startup.py in the commit message.
OWN_MODULE_BUDGET = 175
OWN_PACKAGES = ("bot", "handlers", "storage", "config")

# what bot.cli.running.run imports, in the order psm-bot run does (bot.cli._dispatch)
PROBE = """
import json, sys
import bot.cli, bot.cli.running
import bot.app, handlers
print(json.dumps(sorted(sys.modules)))
"""


def started_modules() -> list[str]:
    """The modules loaded once everything ``psm-bot run`` imports is imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environ_without_psm(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules: list[str] = json.loads(done.stdout.splitlines()[-1])
    return modules


def test_the_bot_imports_nothing_it_does_not_need_to_start() -> None:
    """No rare command's library, no optional server, a bounded number of own modules."""
    modules = started_modules()
    unwanted = sorted(
        m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_AT_START)
    )
    assert unwanted == [], f"imported at start: {unwanted}"
    own = [m for m in modules if m.split(".")[0] in OWN_PACKAGES]
    assert len(own) <= OWN_MODULE_BUDGET, (
        f"psm-bot run imports {len(own)} of its own modules (budget {OWN_MODULE_BUDGET}): "
        "see OWN_MODULE_BUDGET"
    )


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait until ``check()`` is true (the bot works in the background); fail after
    ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await check():
        assert loop.time() < deadline, "not done in time"
        await asyncio.sleep(0.02)


ORGANISER = 9300


async def test_after_a_restart_the_first_tick_plans_and_a_job_sets_staff_menus(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """Registrations stored while no reminder was planned for them (a new rule, an edited
    event file): the restarted bot answers a newcomer, and its first tick plans them all;
    the organiser's own menu is set by a job after the start."""
    bot = await BotHarness(api, tmp_path, organisers=[ORGANISER]).start()
    try:
        stored = [await register_directly(bot.services, 7000 + i) for i in range(25)]
        assert await bot.services.outbox.counts("reminder") == {}  # stored, not planned
        api.user(ORGANISER, "Org")
        await bot.restart()
        newcomer = api.user(7100, "Nina")
        await newcomer.send("/start")
        assert "Piano Strategico Metropolitano" in (await newcomer.next_message()).content
        planner, now = bot.services.planner, bot.clock.now()
        expected = sum(len(planner.planned_for(r, now)) for r in stored)
        assert expected > 0

        async def planned() -> bool:
            counts = await bot.services.outbox.counts("reminder")
            return counts.get("pending", 0) == expected

        await until(planned)

        async def organiser_menu() -> bool:
            menu = api.get_commands({"type": "chat", "chat_id": ORGANISER})
            return any(c["command"] == "invita_facilitatore" for c in menu)

        await until(organiser_menu)
        await bot.restart()  # planned again at the next start: nothing doubles
        await until(planned)
        await asyncio.sleep(0.2)
        assert await bot.services.outbox.counts("reminder") == {"pending": expected}
    finally:
        await bot.stop()


async def test_a_failed_planning_is_said_and_tried_again_at_the_next_tick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The database fails while the first tick plans: one warning, the rest of the tick is
    done all the same, the tick ends with the error (for the running bot's fault reports),
    and the next tick plans."""
    config = load_event_config()
    services = await Services.start(
        settings_for(tmp_path / "psm.sqlite3"), config, FakeClock(BEFORE_COPLANNING)
    )
    try:
        calls: list[str] = []

        async def plan_all(now: dt.datetime) -> int:
            calls.append("plan")
            if len(calls) == 1:
                raise sqlite3.OperationalError("disk I/O error")
            return 0

        async def broadcasts_tick() -> None:
            calls.append("broadcasts")

        monkeypatch.setattr(services.planner, "plan_all", plan_all)
        monkeypatch.setattr(services.broadcasts, "tick", broadcasts_tick)
        with (
            caplog.at_level(logging.WARNING, logger="bot.services"),
            pytest.raises(sqlite3.OperationalError),  # the running bot's faults say it
        ):
            await services.tick()
        assert calls == ["plan", "broadcasts"]  # the rest of the tick done all the same
        assert "reminders not planned (tried again at the next tick)" in caplog.text
        await services.tick()
        await services.tick()  # planned once it worked: not at every tick
        assert calls == ["plan", "broadcasts", "plan", "broadcasts", "broadcasts"]
    finally:
        await services.close()


async def test_run_freezes_the_collector_once_polling_runs(api: FakeBotApi, tmp_path: Path) -> None:
    """``psm-bot run`` (:func:`bot.app.serve`): the young-object threshold raised, and the
    freeze of what start-up built done after the first getUpdates, not before it."""
    gc.unfreeze()  # an earlier test in this process may have frozen it
    settings = settings_for(tmp_path / "psm.sqlite3", token=api.token, api_base_url=api.url)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, load_event_config(), stop=stop, poll_timeout=1))
    try:

        async def polling() -> bool:
            return any(call.method == "getUpdates" for call in api.calls())

        await until(polling)
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == GC_THRESHOLD
        await asyncio.sleep(FREEZE_AFTER + 0.5)
        assert gc.get_freeze_count() > 0
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
