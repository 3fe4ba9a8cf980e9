"""Proxies (issue 14): the Bot API client goes through ``PSM_PROXY`` or the environment's
``HTTP(S)_PROXY``, and straight to the hosts ``NO_PROXY`` names; a small forwarding proxy
in front of the fake Bot API sees the bot's requests. Also ``PSM_TEST_ENVIRONMENT``'s URLs."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import bot_api_urls, build_application, running
from bot.sandbox.botapi.server import FakeBotApi
from config.event import load_event_config
from tests.harness import bot_api_server, settings_for

REQUEST_LINE = re.compile(rb"(?:GET|POST) http://[^ /]+/bot[^/ ]+/(\w+) HTTP/1\.1\r\n")
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class ForwardingProxy:
    """An HTTP proxy for http:// targets: reads the absolute-form request line, connects to
    its host and pipes both ways; records the Bot API methods it forwarded."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.readline()
        target = re.match(rb"[A-Z]+ http://([^/ :]+):(\d+)/", first)
        if target is None:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(
            target.group(1).decode(), int(target.group(2))
        )
        self._record(first)
        up_writer.write(first)
        pipes = [
            asyncio.create_task(self._pipe(reader, up_writer, record=True)),
            asyncio.create_task(self._pipe(up_reader, writer, record=False)),
        ]
        self._tasks.update(pipes)
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for pipe in pipes:
            pipe.cancel()
        for end in (writer, up_writer):
            end.close()

    def _record(self, data: bytes) -> None:
        self.methods += [m.decode() for m in REQUEST_LINE.findall(data)]

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, record: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while chunk := await source.read(65536):
                if record:
                    self._record(chunk)
                sink.write(chunk)
                await sink.drain()


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[ForwardingProxy, str]]:
    forwarding = ForwardingProxy()
    url = await forwarding.start()
    try:
        yield forwarding, url
    finally:
        await forwarding.stop()


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeBotApi]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    async with bot_api_server() as server:
        yield server


async def answered(api: FakeBotApi, tmp_path: Path, **settings: Any) -> None:
    """Run the bot with ``settings``: a user's /mioid is answered."""
    chosen = settings_for(
        tmp_path / "psm.sqlite3", token=api.token, api_base_url=api.url, **settings
    )
    application = build_application(chosen, load_event_config())
    async with running(application, poll_timeout=1, poll_interval=0):
        user = api.user(7100, "Ada")
        await user.send("/mioid")
        await user.wait_for("7100")
    await application.bot.shutdown()


async def test_psm_proxy_carries_the_bot_api_requests(
    api: FakeBotApi, proxy: tuple[ForwardingProxy, str], tmp_path: Path
) -> None:
    forwarding, url = proxy
    await answered(api, tmp_path, proxy=url)
    assert {"getMe", "getUpdates", "sendMessage"} <= set(forwarding.methods)


async def test_the_environments_proxy_is_honoured(
    api: FakeBotApi,
    proxy: tuple[ForwardingProxy, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forwarding, url = proxy
    monkeypatch.setenv("HTTP_PROXY", url)  # the fake server is http://; Telegram: HTTPS_PROXY
    await answered(api, tmp_path)
    assert {"getMe", "getUpdates", "sendMessage"} <= set(forwarding.methods)


async def test_psm_proxy_wins_over_the_environment(
    api: FakeBotApi,
    proxy: tuple[ForwardingProxy, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forwarding, url = proxy
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing there
    await answered(api, tmp_path, proxy=url)
    assert "sendMessage" in forwarding.methods


@pytest.mark.parametrize("where", ["environment", "psm_proxy"])
async def test_no_proxy_goes_direct(
    api: FakeBotApi,
    proxy: tuple[ForwardingProxy, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    forwarding, url = proxy
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    if where == "environment":
        monkeypatch.setenv("HTTP_PROXY", url)
        await answered(api, tmp_path)
    else:
        await answered(api, tmp_path, proxy=url)
    assert forwarding.methods == []


def test_proxy_setting_is_checked_and_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SOCKS is not supported"):
        settings_for(tmp_path / "x.sqlite3", proxy="socks5://127.0.0.1:1080")
    chosen = settings_for(tmp_path / "x.sqlite3", proxy="http://ops:pa55word@proxy.cmt:3128")
    assert chosen.proxy_url() == "http://ops:pa55word@proxy.cmt:3128"
    assert "pa55word" not in repr(chosen)
    assert settings_for(tmp_path / "x.sqlite3", proxy=" ").proxy_url() is None


def test_test_environment_urls(tmp_path: Path) -> None:
    database = tmp_path / "x.sqlite3"
    assert bot_api_urls(settings_for(database)) is None  # PTB's defaults: production
    assert bot_api_urls(settings_for(database, test_environment=True)) == (
        "https://api.telegram.org/bot{token}/test",
        "https://api.telegram.org/file/bot{token}/test",
    )
    local = settings_for(database, api_base_url="http://127.0.0.1:8081/", test_environment=True)
    assert bot_api_urls(local) == (
        "http://127.0.0.1:8081/bot{token}/test",
        "http://127.0.0.1:8081/file/bot{token}/test",
    )
    application = build_application(
        settings_for(database, token="123:ABC", test_environment=True), load_event_config()
    )
    assert application.bot.base_url == "https://api.telegram.org/bot123:ABC/test"
    assert application.bot.base_file_url == "https://api.telegram.org/file/bot123:ABC/test"
