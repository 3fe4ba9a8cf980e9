"""Webhook mode end to end: the fake Bot API delivers updates by webhook (issue 14).

The bot's webhook server checks ``X-Telegram-Bot-Api-Secret-Token`` on every request (a
request without it or with a wrong one is refused with 403 and changes nothing), and
switching between polling and webhook, with updates arriving while the bot is down, loses
none and answers none twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import StartupError, build_application, running, serve
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from config.event import load_event_config
from config.settings import Settings
from handlers.webhook import SECRET_HEADER, WebhookOptions
from tests.harness import bot_api_server, environ_without_psm, free_port, settings_for

SECRET = "Zq3-webhook_secret-9f"
PATH = "/psm-bot/webhook"


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with bot_api_server() as api:
        yield api


def settings(api: FakeBotApi, tmp_path: Path, port: int | None = None, **more: Any) -> Settings:
    """Polling settings, or webhook settings on ``port``."""
    webhook: dict[str, Any] = {}
    if port is not None:
        webhook = {
            "webhook_url": f"http://127.0.0.1:{port}{PATH}",
            "webhook_port": port,
            "webhook_secret": SECRET,
        }
    return settings_for(
        tmp_path / "psm.sqlite3", token=api.token, api_base_url=api.url, **webhook, **more
    )


def answers(user: FakeUser) -> int:
    """How many /mioid answers ``user`` got."""
    return sum(1 for m in user.messages if str(user.id) in m.content)


async def run_until(settings: Settings, ready: asyncio.Event) -> asyncio.Task[None]:
    """``serve`` in the background (as ``psm-bot run``); stopped by setting ``ready``."""
    task = asyncio.create_task(
        serve(settings, load_event_config(), stop=ready, poll_timeout=1), name="bot"
    )
    await asyncio.sleep(0)
    return task


async def started(api: FakeBotApi, method: str, before: int) -> None:
    """Wait until the bot called ``method`` once more than ``before`` times."""
    for _ in range(500):
        if len(api.calls(method)) > before:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the bot never called {method}")


async def test_switching_polling_webhook_polling_loses_nothing(
    server: FakeBotApi, tmp_path: Path
) -> None:
    api, port = server, free_port()
    user = api.user(7001, "Ada")

    # 1. polling; a message sent while the bot is down waits at Telegram
    stop = asyncio.Event()
    task = await run_until(settings(api, tmp_path), stop)
    await started(api, "getUpdates", 0)
    await user.send("/mioid")
    await user.wait_for(str(user.id))
    stop.set()
    await asyncio.wait_for(task, 10)
    await user.send("/mioid")  # while nothing runs

    # 2. webhook: setWebhook keeps the pending update, which is delivered by webhook
    stop = asyncio.Event()
    task = await run_until(settings(api, tmp_path, port), stop)
    await started(api, "setWebhook", 0)
    call = api.calls("setWebhook")[-1].params
    assert call["url"] == f"http://127.0.0.1:{port}{PATH}" and call["secret_token"] == SECRET
    assert not call.get("drop_pending_updates")
    await api.settle()
    assert answers(user) == 2
    polls = len(api.calls("getUpdates"))
    await user.send("/mioid")
    await api.settle()
    assert answers(user) == 3 and len(api.calls("getUpdates")) == polls  # not polled
    info = (await api_call(api, "getWebhookInfo"))["result"]
    assert info["url"].endswith(PATH) and info["pending_update_count"] == 0
    assert (await api_call(api, "getUpdates"))["error_code"] == 409  # as Telegram
    stop.set()
    await asyncio.wait_for(task, 10)
    await user.send("/mioid")  # the webhook is down: Telegram keeps it and retries
    await asyncio.sleep(3 * api.webhook_retry)
    assert any(status == 0 for _, status in api.webhook_posts)  # tried, refused
    assert api.pending_updates and api.webhook_url  # kept, webhook still set

    # 3. polling again: deleteWebhook without dropping, the kept update is answered
    stop = asyncio.Event()
    task = await run_until(settings(api, tmp_path), stop)
    await started(api, "deleteWebhook", 0)
    assert not api.calls("deleteWebhook")[-1].params.get("drop_pending_updates")
    await user.wait_for(lambda m: answers(user) == 4, timeout=10)
    await api.settle()
    stop.set()
    await asyncio.wait_for(task, 10)
    assert answers(user) == 4  # none lost, none twice
    assert api.errors == []


async def api_call(api: FakeBotApi, method: str) -> dict[str, Any]:
    """A call to the fake server as another client would make it."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api.url}/bot{api.token}/{method}") as answer,
    ):
        result: dict[str, Any] = await answer.json()
        return result


def start_update(user_id: int, update_id: int) -> dict[str, Any]:
    """A /start update as Telegram would POST it."""
    person = {"id": user_id, "is_bot": False, "first_name": "Mallory"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Mallory"},
            "from": person,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_a_request_without_the_right_secret_is_refused(
    server: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api, port = server, free_port()
    options = WebhookOptions.from_settings(settings(api, tmp_path, port))
    assert options is not None and options.path == PATH and options.secret == SECRET
    application = build_application(settings(api, tmp_path, port), load_event_config())
    url = f"http://127.0.0.1:{port}{PATH}"
    async with running(application, webhook=options), aiohttp.ClientSession() as session:
        services = application.bot_data.services
        assert services is not None
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            body = json.dumps(start_update(6660, 999_000_001))
            async with session.post(url, data=body, headers=headers) as answer:
                assert answer.status == 403
        async with session.get(url, headers={SECRET_HEADER: SECRET}) as answer:
            assert answer.status == 405  # only POST
        async with session.post(url, data=b"{", headers={SECRET_HEADER: SECRET}) as answer:
            assert answer.status == 400
        # the right secret: an update is handled (and the refused ones were not)
        trent = api.user(6661, "Trent")
        body = json.dumps(start_update(6661, 999_000_002))
        async with session.post(url, data=body, headers={SECRET_HEADER: SECRET}) as answer:
            assert answer.status == 200
        await trent.next_message()  # the bot answered (no event is open today)
        await api.settle()
        assert 6660 not in api.chats or not api.chat(6660).bot_messages
        assert await services.users.get(6660) is None  # nothing stored
    refused = [r.getMessage() for r in caplog.records if r.name == "handlers.webhook"]
    assert refused == ["webhook: 1 request(s) refused without the right secret token"]
    assert SECRET not in caplog.text


async def test_webhook_port_in_use_is_one_line(server: FakeBotApi, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StartupError) as caught:
            await serve(settings(server, tmp_path, port), load_event_config(), poll_timeout=1)
    assert str(caught.value).startswith(f"cannot listen for the webhook on 127.0.0.1:{port} (")
    assert str(caught.value).endswith("check PSM_WEBHOOK_LISTEN and PSM_WEBHOOK_PORT")


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"webhook_url": "https://bot.example.org/hook"}, "required with PSM_WEBHOOK_URL"),
        ({"webhook_url": "http://bot.example.org/hook", "webhook_secret": "a"}, "https://"),
        ({"webhook_url": "https://bot.example.org/h", "webhook_secret": "a b"}, "A-Z a-z 0-9"),
        ({"webhook_url": "https://bot.example.org/h", "webhook_secret": "x" * 257}, "1 to 256"),
    ],
)
def test_webhook_settings_are_checked(tmp_path: Path, values: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        settings_for(tmp_path / "x.sqlite3", **values)


def test_webhook_settings_defaults(tmp_path: Path) -> None:
    polling = settings_for(tmp_path / "x.sqlite3")
    assert WebhookOptions.from_settings(polling) is None
    chosen = settings_for(
        tmp_path / "x.sqlite3",
        webhook_url="https://bot.cittametropolitana.torino.it/psm-bot/webhook",
        webhook_secret="abc_DEF-123",
    )
    options = WebhookOptions.from_settings(chosen)
    assert options is not None
    assert (options.listen, options.port, options.path) == ("127.0.0.1", 8443, "/psm-bot/webhook")
    assert "abc_DEF" not in repr(chosen)


async def test_psm_bot_run_in_webhook_mode(server: FakeBotApi, tmp_path: Path) -> None:
    """The real command: set up by environment variables, answers by webhook, stops on
    SIGTERM; the secret is in no line it prints."""
    api, port = server, free_port()
    env = environ_without_psm(
        PSM_BOT_TOKEN=api.token,
        PSM_API_BASE_URL=api.url,
        PSM_DATABASE=str(tmp_path / "psm.sqlite3"),
        PSM_WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
        PSM_WEBHOOK_PORT=str(port),
        PSM_WEBHOOK_SECRET=SECRET,
    )
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("psm-bot")),
        "run",
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await started(api, "setWebhook", 0)
        user = api.user(7002, "Bea")
        await user.send("/mioid")
        await user.wait_for(str(user.id))
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0
    log = err.decode()
    assert f"webhook http://127.0.0.1:{port}{PATH} on 127.0.0.1:{port}" in log
    assert SECRET not in log and api.token not in log
    assert api.calls("getUpdates") == []
