"""The aiohttp transport of python-telegram-bot's requests: bodies, uploads, errors."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from handlers.http import AiohttpRequest


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A tiny HTTP server recording what it receives; ``/slow`` answers after 0.5 s."""
    seen: list[dict[str, object]] = []

    async def echo(request: web.Request) -> web.Response:
        form = await request.post()
        fields: dict[str, object] = {}
        for name, value in form.items():
            fields[name] = value.file.read() if isinstance(value, web.FileField) else value
        seen.append(
            {
                "type": request.content_type,
                "fields": fields,
                "ua": request.headers.get("User-Agent", ""),
            }
        )
        return web.json_response({"ok": True, "result": True})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.5)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_form_fields_and_uploads(server: tuple[str, list[dict[str, object]]]) -> None:
    """Plain parameters go url-encoded; with a file, everything goes as multipart."""
    url, seen = server
    request = AiohttpRequest(connection_pool_size=2)
    await request.initialize()
    try:
        data = RequestData(
            [RequestParameter("chat_id", 5, None), RequestParameter("text", "è", None)]
        )
        status, body = await request.do_request(f"{url}/echo", "POST", data)
        assert status == 200 and json.loads(body)["ok"] is True
        upload = InputFile(b"col1;col2\n", filename="a.csv", attach=False)
        files = RequestData(
            [
                RequestParameter("chat_id", 5, None),
                RequestParameter("document", upload.attach_uri, [upload]),
            ]
        )
        status, _ = await request.do_request(f"{url}/echo", "POST", files)
        assert status == 200
    finally:
        await request.shutdown()
    assert seen[0]["type"] == "application/x-www-form-urlencoded"
    assert seen[0]["fields"] == {"chat_id": "5", "text": "è"}
    assert "python-telegram-bot" in str(seen[0]["ua"])
    assert seen[1]["type"] == "multipart/form-data"
    fields = seen[1]["fields"]
    assert isinstance(fields, dict) and fields["chat_id"] == "5"
    assert b"col1;col2" in next(v for v in fields.values() if isinstance(v, bytes))


async def test_errors_become_ptb_errors(server: tuple[str, list[dict[str, object]]]) -> None:
    """A slow answer is a TimedOut, a refused connection a NetworkError; closed = refused."""
    url, _ = server
    request = AiohttpRequest(read_timeout=0.1)
    with pytest.raises(RuntimeError):
        await request.do_request(f"{url}/echo", "POST")
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{url}/slow", "POST")
        with socket.socket() as free:  # a port nobody listens on
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        with pytest.raises(NetworkError):
            await request.do_request(f"http://127.0.0.1:{port}/x", "POST")
        status, _ = await request.do_request(f"{url}/slow", "POST", read_timeout=2.0)
        assert status == 200
    finally:
        await request.shutdown()
    await request.shutdown()  # twice is harmless


def test_a_sent_or_edited_message_is_parsed_without_keyboard_and_entities() -> None:
    message = {
        "message_id": 7,
        "date": 0,
        "chat": {"id": 1, "type": "private"},
        "text": "Domande",
        "entities": [{"type": "bold", "offset": 0, "length": 7}],
        "reply_markup": {"inline_keyboard": [[{"text": "👍 #1", "callback_data": "q|s|1|0"}]]},
    }
    payload = json.dumps({"ok": True, "result": message}).encode()
    parsed = AiohttpRequest.parse_json_payload(payload)
    assert parsed["result"] == {
        k: v for k, v in message.items() if k not in ("entities", "reply_markup")
    }
    other = AiohttpRequest.parse_json_payload(b'{"ok": true, "result": true}')
    assert other == {"ok": True, "result": True}
