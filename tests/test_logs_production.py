"""PSM_LOG_LEVEL and PSM_LOG_FORMAT: text or one JSON object per line, and in neither format
a name, an organisation, a Telegram id or the token, over a whole e2e run (registration with
a name and an organisation, a broadcast, a poll)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import signal
import sys
from pathlib import Path

import pytest

from bot.kernel.logs import configure_logging, remove_handler
from bot.sandbox.botapi.server import FakeBotApi
from tests.harness import (
    ROME,
    BotHarness,
    answer,
    bot_api_server,
    environ_without_psm,
    register,
    settings_for,
)

PSM_BOT = Path(sys.executable).with_name("psm-bot")

ORGANISER, FACILITATOR = 918_273_645, 918_273_646
PARTICIPANTS = {918_273_601: "Ottavia Brambillasca", 918_273_602: "Gualtiero Pizzonardi"}
ORGANISATIONS = ("Consorzio Val Zampogna", "Pro Loco di Frittolandia")
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)


async def scenario(api: FakeBotApi, tmp_path: Path) -> None:
    """Registration in the chat, a broadcast to everyone, a priority poll with an answer."""
    async with BotHarness(api, tmp_path, now=SESSION_1, organisers=[ORGANISER]) as bot:
        people = [api.user(uid, name) for uid, name in PARTICIPANTS.items()]
        for person, organisation in zip(people, ORGANISATIONS, strict=True):
            await register(person, organisation=organisation)
        organiser = api.user(ORGANISER, "Ersilia Organizzatrice")
        await organiser.send("/messaggio")
        await organiser.wait_for("Mandami il messaggio")
        await organiser.send("Attenzione: cambio di sala alle 10:10!")
        await answer(organiser, "quale incontro", "Dalle strategie")
        await answer(organiser, "A chi lo mando", "Tutti")
        await organiser.press("Invia ora", message=await organiser.wait_for("Lo invio a"))
        await bot.drain()
        await organiser.wait_for("completato")
        await bot.services.roles.store.grant(FACILITATOR, "facilitator", "5", ORGANISER, SESSION_1)
        facilitator = api.user(FACILITATOR, "Fiorenzo Facilitatore")
        await facilitator.send("/sondaggio")
        panel = await facilitator.wait_for("Iscritti in presenza")
        await facilitator.press("Apri il sondaggio", message=panel)
        await facilitator.wait_for("Sondaggio aperto")
        await bot.drain()
        ballot = await people[0].wait_for("priorità per la tua Zona")
        await people[0].press("Salute", message=ballot)
        await people[0].press("Conferma", message=ballot)
        await api.settle(0.1)


def forbidden(api: FakeBotApi) -> list[str]:
    """What no log line may contain."""
    words = [part for name in PARTICIPANTS.values() for part in name.split()]
    words += ["Ersilia", "Fiorenzo", *ORGANISATIONS, "Zampogna", "Frittolandia", api.token]
    words += [str(uid) for uid in (*PARTICIPANTS, ORGANISER, FACILITATOR)]
    return words


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_whole_run_logs_no_personal_data_nor_the_token(
    api: FakeBotApi, tmp_path: Path, log_format: str
) -> None:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", log_format, stream=stream)
    try:
        await scenario(api, tmp_path)
    finally:
        remove_handler(handler)
        configure_logging("INFO", "text", stream=io.StringIO()).close()
    lines = stream.getvalue().splitlines()
    assert any("registration confirmed" in line for line in lines)
    assert any("broadcast" in line for line in lines)
    for word in forbidden(api):
        leaking = [line for line in lines if word in line]
        assert not leaking, (word, leaking[:3])
    if log_format == "json":
        records = [json.loads(line) for line in lines]  # every line is one object
        assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
        assert records[0]["time"].endswith("Z")


def test_json_lines_carry_extra_fields_and_a_redacted_traceback() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", "json", stream=stream)
    try:
        logger = logging.getLogger("psm.test")
        logger.info("sent %d", 3, extra={"kind": "reminder", "count": 3})
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            logger.exception("failed")
        logger.debug("not shown at INFO")
    finally:
        remove_handler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "sent 3" and first["kind"] == "reminder" and first["count"] == 3
    assert first["level"] == "INFO" and first["logger"] == "psm.test"
    assert second["level"] == "ERROR" and "ValueError: boom" in second["error"]


def test_settings_read_level_and_format(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "x.sqlite3", log_level="debug", log_format="JSON")
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert settings_for(tmp_path / "x.sqlite3").log_level == "INFO"
    with pytest.raises(ValueError, match="log_format"):
        settings_for(tmp_path / "x.sqlite3", log_format="xml")


async def test_psm_bot_run_logs_json_lines(tmp_path: Path) -> None:
    """The real command with PSM_LOG_FORMAT=json: every line on stderr is one JSON object."""
    async with bot_api_server() as api:
        env = environ_without_psm(
            PSM_BOT_TOKEN=api.token,
            PSM_API_BASE_URL=api.url,
            PSM_DATABASE=str(tmp_path / "psm.sqlite3"),
            PSM_LOG_FORMAT="json",
            PSM_LOG_LEVEL="debug",
        )
        process = await asyncio.create_subprocess_exec(
            str(PSM_BOT), "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
        )
        assert process.stderr is not None
        lines: list[str] = []
        while not any("psm-bot is running as" in line for line in lines):
            line = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
            assert line, lines
            lines.append(line)
        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stderr.read(), 15)
        assert await process.wait() == 0
    lines += rest.decode().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert [r["message"] for r in records if r["logger"] == "bot.app"][-1] == "psm-bot stopped"
    assert not any(api.token in line for line in lines)
