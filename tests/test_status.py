"""``psm-bot status`` and ``/healthz`` with the real bot on the fake Bot API: healthy, then
unhealthy (no updates received, the outbox stuck, the bot stopped). Time is the harness's
FakeClock: minutes pass without sleeping."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import common, main
from bot.kernel.health import OUTBOX_STUCK, UPDATES_STALE, beat
from bot.sandbox.botapi.server import FakeBotApi
from config.settings import Settings
from handlers.operations import Operations
from storage.outbox import Planned
from tests.harness import BotHarness, cli_environment, free_port, migrated, register_directly


class HealthHarness(BotHarness):
    """The bot with ``/healthz`` on a free loopback port."""

    port = 0

    def settings(self) -> Settings:
        if not self.port:
            self.port = free_port()
        return super().settings().model_copy(update={"health_port": self.port})

    @property
    def operations(self) -> Operations:
        assert self.app is not None and isinstance(self.app.bot_data.operations, Operations)
        return self.app.bot_data.operations

    async def healthz(self) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{self.port}/healthz") as answer,
        ):
            return answer.status, await answer.json()

    async def beat(self) -> None:
        """The heartbeat job's write, now (it runs every 30 s)."""
        ops = self.operations.ops
        assert ops is not None
        await beat(ops, self.operations.pulse)


async def status_command(*argv: str) -> tuple[int, str]:
    """``psm-bot status`` in a thread, as another process would read the database."""

    def run() -> tuple[int, str]:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(["status", *argv])
        return code, out.getvalue()

    return await asyncio.to_thread(run)


async def test_healthy_then_no_updates_then_outbox_stuck(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_environment(monkeypatch, tmp_path)
    bot = HealthHarness(api, tmp_path)
    monkeypatch.setenv("PSM_DATABASE", str(bot.database))
    async with bot:
        monkeypatch.setattr(common, "CLOCK", bot.clock)
        user = api.user(4100, "Anna")
        api.fail_next("sendMessage", error_code=429, retry_after=1)  # one 429, recorded
        await user.send("/start")
        await user.wait_for("rivacy")
        await bot.beat()

        code, body = await bot.healthz()
        assert code == 200, body
        assert body["healthy"] is True and body["problems"] == []
        assert body["running"] is True
        assert body["last_update_at"] is not None
        assert body["rate_limited_last_hour"] == 1
        assert body["outbox"]["backlog"] == 0
        assert body["database"]["path"] == str(bot.database.resolve())
        assert body["database"]["bytes"] > 0

        code, out = await status_command()
        assert code == 0
        lines = out.splitlines()
        assert lines[0] == "status: healthy"
        assert lines[1].startswith("bot running: yes (pid ")
        assert lines[4] == "429s in the last hour: 1"
        assert lines[6] == "last backup: none"
        code, out = await status_command("--json")
        assert code == 0 and json.loads(out)["healthy"] is True

        # no updates: polling stops (the network to Telegram is down), 3 minutes pass
        assert bot.app is not None and bot.app.updater is not None
        await bot.app.updater.stop()
        bot.clock.advance(UPDATES_STALE + dt.timedelta(minutes=1))
        await bot.beat()
        code, body = await bot.healthz()
        assert code == 503
        assert body["problems"] == ["no updates received from Telegram for 3 min"]
        code, out = await status_command()
        assert code == 1
        assert out.splitlines()[0] == (
            "status: UNHEALTHY: no updates received from Telegram for 3 min"
        )

        # the outbox stuck: the sender stops, a message due 20 minutes ago waits
        sender = bot.services.sender
        assert sender is not None
        await sender.stop()
        registration = await register_directly(bot.services, 4200)
        due = bot.clock.now() - OUTBOX_STUCK - dt.timedelta(minutes=5)
        await bot.services.outbox.add(
            [Planned("stuck-1", "reminder", 4200, due, registration_id=registration.id)],
            bot.clock.now(),
        )
        code, body = await bot.healthz()
        assert code == 503
        assert body["problems"][1] == "the outbox is stuck: 1 due, the oldest for 20 min"
        assert body["outbox"]["oldest_due_at"] == due.isoformat(timespec="seconds")

    # stopped: status from the database alone
    code, out = await status_command()
    assert code == 1
    assert out.splitlines()[0].startswith("status: UNHEALTHY: the bot is not running (stopped 0 s")
    assert out.splitlines()[1] == "bot running: no"


async def test_a_bot_that_died_without_stopping(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed bot sets no stop time: its heartbeat gets old, and status says so."""
    cli_environment(monkeypatch, tmp_path)
    bot = HealthHarness(api, tmp_path)
    monkeypatch.setenv("PSM_DATABASE", str(bot.database))
    async with bot:
        await bot.beat()
        ops = bot.operations.ops
        assert ops is not None
        row = await ops.heartbeat()
    assert row is not None
    await asyncio.to_thread(_forget_stop, bot.database)
    bot.clock.advance(dt.timedelta(minutes=10))
    monkeypatch.setattr(common, "CLOCK", bot.clock)
    code, out = await status_command()
    assert code == 1
    assert out.splitlines()[0] == (
        "status: UNHEALTHY: the bot is not running (no heartbeat for 10 min)"
    )


def _forget_stop(database: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(database)
    with conn:
        conn.execute("UPDATE ops_heartbeat SET stopped_at = NULL")
    conn.close()


def test_status_of_a_database_no_bot_ran_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = migrated(cli_environment(monkeypatch, tmp_path))
    assert main(["backup"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "status: UNHEALTHY: no bot has run on this database"
    assert out[-1].startswith("last backup: ")
    assert str(tmp_path / "backups" / "psm-manual-") in out[-1]
    tmp_path.joinpath("elsewhere").mkdir()
    monkeypatch.setenv("PSM_DATABASE", str(tmp_path / "elsewhere" / "none.sqlite3"))
    assert main(["status"]) == 2
    assert "no database at" in capsys.readouterr().err
    assert database.exists()


async def test_a_bot_that_just_started_is_healthy_before_its_first_poll(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the start and the first heartbeat (5 s, then every 30 s) the row has no
    update time yet: that is not a problem until UPDATES_STALE has passed since the start."""
    cli_environment(monkeypatch, tmp_path)
    bot = HealthHarness(api, tmp_path)
    monkeypatch.setenv("PSM_DATABASE", str(bot.database))
    async with bot:
        monkeypatch.setattr(common, "CLOCK", bot.clock)
        code, out = await status_command()
        assert code == 0, out
        assert "last updates received: never" in out
        bot.clock.advance(UPDATES_STALE + dt.timedelta(seconds=1))
        ops = bot.operations.ops
        assert ops is not None
        await ops.beat(None, [], bot.clock.now())  # a beat without any update yet
        code, out = await status_command()
        assert code == 1
        assert out.splitlines()[0] == (
            "status: UNHEALTHY: no updates received from Telegram since it started"
        )
