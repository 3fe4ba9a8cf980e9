"""The bot sets its own description and short description (issue 14, deploy), through the
fake Bot API: both languages at the first start, nothing written at a restart, and a refusal
by Telegram logged without stopping the bot."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.kernel.i18n import LANGUAGES, Catalog
from bot.sandbox.botapi.server import FakeBotApi
from config.event import load_event_config
from handlers.about import DESCRIPTION_LIMIT, SHORT_DESCRIPTION_LIMIT, about_texts
from tests.harness import BotHarness

KINDS = ("description", "short_description")
WRITES = ("setMyDescription", "setMyShortDescription")
READS = ("getMyDescription", "getMyShortDescription")


async def set_texts(api: FakeBotApi) -> None:
    """Wait until the start-up job has asked Telegram for all four texts (and settled)."""
    await api.settle()
    assert len(api.calls("getMyDescription")) + len(api.calls("getMyShortDescription")) >= 4


async def test_first_start_sets_both_texts_in_both_languages(
    api: FakeBotApi, tmp_path: Path
) -> None:
    async with BotHarness(api, tmp_path) as bot:
        await set_texts(api)
        for language in LANGUAGES:
            wanted = about_texts(bot.services, language)
            code = "" if language == "it" else language
            for kind in KINDS:
                assert api.bot_texts[(kind, code)] == wanted[kind]
        italian, english = (about_texts(bot.services, language) for language in LANGUAGES)
    assert italian != english
    assert "co-progettazione" in italian["description"]
    assert "co-planning" in english["description"]
    codes = sorted(str(c.params.get("language_code", "")) for c in api.calls("setMyDescription"))
    assert codes == ["", "en"]  # the default (Italian), then English clients
    for method in WRITES:
        assert len(api.calls(method)) == 2


async def test_restart_writes_nothing_when_telegram_has_the_same(
    api: FakeBotApi, tmp_path: Path
) -> None:
    async with BotHarness(api, tmp_path):
        await set_texts(api)
    writes = sum(len(api.calls(method)) for method in WRITES)
    reads = sum(len(api.calls(method)) for method in READS)
    async with BotHarness(api, tmp_path):
        await api.settle()
        assert sum(len(api.calls(method)) for method in READS) == reads + 4
    assert sum(len(api.calls(method)) for method in WRITES) == writes  # nothing written again


async def test_a_changed_text_is_written_again(api: FakeBotApi, tmp_path: Path) -> None:
    api.bot_texts[("description", "en")] = "an old description someone typed in BotFather"
    async with BotHarness(api, tmp_path) as bot:
        await set_texts(api)
        assert (
            api.bot_texts[("description", "en")] == about_texts(bot.services, "en")["description"]
        )


async def test_telegram_refusing_does_not_stop_the_bot(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api.fail_next("setMyDescription", error_code=400, description="Bad Request: not allowed")
    api.fail_next("getMyShortDescription", error_code=500)
    async with BotHarness(api, tmp_path):
        await set_texts(api)
        user = api.user(7001, "Ada")
        await user.send("/start")
        await user.wait_for(lambda message: bool(message.content))
    warnings = [r.getMessage() for r in caplog.records if r.name == "handlers.about"]
    assert "bot description (default) not set: Telegram said Not allowed" in warnings
    assert any(line.startswith("bot short description (default) not set") for line in warnings)
    assert ("description", "en") in api.bot_texts  # the others were set


def test_texts_fit_telegram_limits_and_are_plain() -> None:
    """Within 512 / 120 characters, without HTML (Telegram shows them as plain text)."""

    class Fake:  # what about_texts reads from the services
        catalog = Catalog.load()
        config = load_event_config()

    for language in LANGUAGES:
        texts = about_texts(Fake(), language)  # type: ignore[arg-type]
        assert 0 < len(texts["description"]) <= DESCRIPTION_LIMIT
        assert 0 < len(texts["short_description"]) <= SHORT_DESCRIPTION_LIMIT
        assert "<" not in texts["description"] + texts["short_description"]
