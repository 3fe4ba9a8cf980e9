"""The sandbox page (bot/sandbox/static) in headless Chromium against a stub of the sandbox's
HTTP API: what the page does with what the API says, independently of the bot.

The stub keeps chats in memory and answers exactly the documented contract (``/api/state``,
``/api/chats/{id}?after=``, ``/api/events``, press, send, photo, clock, crowd, reset). The
tests check the Telegram-like rendering (HTML formatting, documents, photos, albums,
venues, inline keyboards, edits in place), toasts and alerts, the command menu, the split
view that never mixes chats, the clock's warning when going back, the reset's confirm, the
language toggle, and that text from users never becomes HTML.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.sandbox.botapi.users import TINY_PNG
from tests.test_sandbox_browser import STATIC, Browser, browser_page, shot

NOW = "2026-12-03T09:15:00+01:00"
MOMENTS = [
    {"id": "eve", "label": "Promemoria della vigilia", "when": "2026-12-02T18:00:00+01:00"},
    {"id": "day", "label": "9:15 del giorno", "when": "2026-12-03T09:15:00+01:00"},
    {"id": "s1", "label": "Sessione 1", "when": "2026-12-03T10:10:00+01:00"},
]


class StubSandbox:
    """The sandbox's HTTP API over in-memory chats (no bot): the page's test double."""

    def __init__(self) -> None:
        self.now = NOW
        self.personas: list[dict[str, Any]] = []
        self.chats: dict[int, list[dict[str, Any]]] = {}
        self.notices: dict[int, list[dict[str, Any]]] = {}
        self.seq = 0
        self.requests: list[tuple[str, Any]] = []
        self.queues: list[asyncio.Queue[dict[str, Any]]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    # --- the stub's own API for the tests ---
    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add_persona(self, user_id: int, name: str, role: str = "participant") -> dict[str, Any]:
        persona = {
            "id": f"p{user_id}",
            "user_id": user_id,
            "name": name,
            "label": f"{name} ({role})",
            "language": "it",
            "role": role,
        }
        self.personas.append(persona)
        self.chats.setdefault(user_id, [])
        return persona

    def bot_says(self, user_id: int, html: str, **extra: Any) -> dict[str, Any]:
        chat = self.chats.setdefault(user_id, [])
        message = {
            "message_id": len(chat) + 1,
            "seq": self.next_seq(),
            "from": "bot",
            "html": html,
            "date": self.now,
            "edited": False,
            "buttons": [],
            **extra,
        }
        chat.append(message)
        self.publish({"user_id": user_id, "seq": message["seq"]})
        return message

    def edit(self, user_id: int, message_id: int, html: str) -> None:
        message = self.chats[user_id][message_id - 1]
        message.update(html=html, edited=True, seq=self.next_seq(), buttons=[])
        self.publish({"user_id": user_id, "seq": message["seq"]})

    def notice(self, user_id: int, text: str, alert: bool) -> None:
        seq = self.next_seq()
        self.notices.setdefault(user_id, []).append({"seq": seq, "text": text, "alert": alert})
        self.publish({"user_id": user_id, "seq": seq})

    def publish(self, event: dict[str, Any]) -> None:
        for queue in self.queues:
            queue.put_nowait(event)

    # --- the HTTP API ---
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.index)
        app.router.add_static("/static", STATIC)
        app.router.add_get("/api/state", self.state)
        app.router.add_post("/api/personas", self.new_persona)
        app.router.add_get("/api/chats/{user_id}", self.chat)
        app.router.add_post("/api/chats/{user_id}/send", self.send)
        app.router.add_post("/api/chats/{user_id}/press", self.press)
        app.router.add_post("/api/chats/{user_id}/photo", self.photo)
        app.router.add_post("/api/clock", self.clock)
        app.router.add_post("/api/crowd", self.crowd)
        app.router.add_post("/api/reset", self.reset)
        app.router.add_get("/api/events", self.events)
        app.router.add_get("/files/{name}", self.file)
        return app

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def state(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "now": self.now,
                "now_text": f"stub {self.now}",
                "moments": MOMENTS,
                "personas": self.personas,
                "templates": [{"id": "new_it", "label": "Nuovo (italiano)"}],
                "database": "/tmp/stub-sandbox.sqlite3",
                "bot": {"username": "psm_sandbox_bot", "name": "PSM sandbox"},
            }
        )

    async def new_persona(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("persona", body))
        persona = self.add_persona(5000 + len(self.personas), "Nuova", "new")
        return web.json_response(persona)

    async def chat(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        after = int(request.query.get("after", "0"))
        messages = [m for m in self.chats.get(user_id, []) if m["seq"] > after]
        notices = [n for n in self.notices.get(user_id, []) if n["seq"] > after]
        commands = [
            {"command": "start", "description": "Inizia"},
            {"command": "aiuto", "description": "Aiuto"},
        ]
        return web.json_response(
            {"seq": self.seq, "messages": messages, "notices": notices, "commands": commands}
        )

    async def send(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        body = await request.json()
        self.requests.append(("send", (user_id, body["text"])))
        chat = self.chats.setdefault(user_id, [])
        # the server escapes what users write before it is HTML
        html = body["text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        message = {
            "message_id": len(chat) + 1,
            "seq": self.next_seq(),
            "from": "user",
            "html": html,
            "date": self.now,
            "edited": False,
            "buttons": [],
        }
        chat.append(message)
        self.publish({"user_id": user_id, "seq": message["seq"]})
        return web.json_response({"ok": True})

    async def press(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        body = await request.json()
        self.requests.append(("press", (user_id, body["message_id"], body["data"])))
        if body["data"] == "alert":
            self.notice(user_id, "Pulsante non valido.", alert=True)
        else:
            self.notice(user_id, "✅ Fatto", alert=False)
            self.edit(user_id, body["message_id"], "<b>Scelta:</b> " + body["data"])
        return web.json_response({"ok": True})

    async def photo(self, request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        form = await request.post()
        self.requests.append(("photo", (user_id, str(form.get("caption", "")))))
        return web.json_response({"ok": True})

    async def clock(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("clock", body))
        if "moment" in body:
            self.now = next(m["when"] for m in MOMENTS if m["id"] == body["moment"])
        else:
            self.now = body["at"] + ":00+01:00"
        self.publish({"clock": self.now})
        return web.json_response({"now": self.now, "now_text": f"stub {self.now}"})

    async def crowd(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("crowd", body))
        if body["zone"] > 11:
            return web.json_response({"error": "zona sconosciuta"}, status=400)
        return web.json_response({"added": body["count"]})

    async def reset(self, request: web.Request) -> web.Response:
        self.requests.append(("reset", None))
        self.personas.clear()
        self.chats.clear()
        self.publish({"reset": True})
        return web.json_response({"ok": True})

    async def events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.queues.append(queue)
        try:
            while event := await queue.get():
                await response.write(f"data: {json.dumps(event)}\n\n".encode())
        except ConnectionError:
            pass
        finally:
            self.queues.remove(queue)
        return response

    async def file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return web.Response(
            body=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            content_type="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def start(self) -> StubSandbox:
        self.runner = web.AppRunner(self.app(), shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        for queue in self.queues:
            queue.put_nowait({})
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def stub() -> AsyncIterator[StubSandbox]:
    server = await StubSandbox().start()
    yield server
    await server.stop()


@pytest.fixture
async def page(stub: StubSandbox, tmp_path: Path) -> AsyncIterator[Any]:
    async with browser_page(tmp_path) as opened:
        yield opened


async def test_chat_rendering_buttons_and_edits(stub: StubSandbox, page: Browser) -> None:
    stub.add_persona(1001, "Anna")
    stub.bot_says(
        1001, "<b>Benvenuta</b> <i>in</i> <code>psm</code> <a href='https://x.test'>link</a>"
    )
    stub.bot_says(
        1001,
        "Scegli:",
        buttons=[
            [{"text": "Uno", "data": "uno"}, {"text": "Male", "data": "alert"}],
            [{"text": "Sito", "url": "https://example.test/"}],
        ],
    )
    stub.bot_says(
        1001, "Il tuo calendario", document={"name": "evento.ics", "url": "/files/evento.ics"}
    )
    stub.bot_says(1001, "Collegati: https://meet.test/a?b=1&amp;c=2. <code>https://no.test</code>")
    stub.bot_says(1001, "<b>Grafico</b>", photo={"url": "/files/chart.png"})
    album = [{"url": "/files/a.png", "html": "<i>uno</i>"}, {"url": "/files/b.png", "html": ""}]
    stub.bot_says(1001, "", album=album)
    stub.bot_says(
        1001,
        "",
        venue={
            "title": "Sala Pinerolo",
            "address": "Via Roma 1",
            "map_url": "https://maps.test/?q=1",
        },
    )
    await page.goto(stub.url)
    chat = page.locator(".pane").first
    await chat.locator(".msg.bot").nth(6).wait_for()
    assert await chat.locator(".msg.bot b").first.inner_text() == "Benvenuta"
    assert await chat.locator(".msg.bot code").first.inner_text() == "psm"
    link = chat.locator(".document a")
    assert await link.inner_text() == "evento.ics"
    assert await link.get_attribute("download") == "evento.ics"
    assert "Via Roma 1" in await chat.locator(".venue").inner_text()
    # a web address in a text is clickable, as in Telegram (not inside code)
    linked = chat.locator(".msg.bot", has_text="Collegati").locator("a")
    assert await linked.get_attribute("href") == "https://meet.test/a?b=1&c=2"
    assert await linked.count() == 1
    # a photo (a chart) inline with its caption; an album as a grid with captions
    chart = chat.locator(".msg.bot", has_text="Grafico")
    assert await chart.locator(".media img").get_attribute("src") == "/files/chart.png"
    assert await chat.locator(".album img").count() == 2
    assert await chat.locator(".album figcaption i").inner_text() == "uno"
    assert await chat.locator(".venue a").get_attribute("href") == "https://maps.test/?q=1"
    await shot(page, "page-chat")

    # a button press: POST press, a toast, the message edited in place (not appended)
    await chat.get_by_role("button", name="Uno").click()
    await chat.locator(".msg.bot", has_text="Scelta: uno").wait_for()
    assert await chat.locator(".msg.bot").count() == 7
    assert ("press", (1001, 2, "uno")) in stub.requests
    await page.locator(".toast", has_text="Fatto").wait_for()
    # an alert answer: a modal dialog
    await chat.locator(".msg.bot").nth(1).wait_for()
    stub.bot_says(1001, "Ancora:", buttons=[[{"text": "Male", "data": "alert"}]])
    await chat.get_by_role("button", name="Male").click()
    await page.locator("dialog#alert[open]", has_text="Pulsante non valido").wait_for()
    await shot(page, "page-alert")
    await page.keyboard.press("Escape")


async def test_typing_the_menu_and_user_text_stays_text(stub: StubSandbox, page: Browser) -> None:
    stub.add_persona(1001, "Anna")
    await page.goto(stub.url)
    box = page.locator(".pane .composer .text").first
    await box.fill("<img src=x onerror=alert(1)> ciao")
    await box.press("Enter")
    bubble = page.locator(".msg.user").first
    await bubble.wait_for()
    assert await bubble.locator(".text").inner_text() == "<img src=x onerror=alert(1)> ciao"
    assert await bubble.locator("img").count() == 0
    assert await box.input_value() == ""
    # the "/" menu lists the persona's commands; clicking one sends it
    await page.get_by_role("button", name="Comandi").click()
    await page.get_by_role("menuitem", name="/aiuto").click()
    await page.locator(".msg.user", has_text="/aiuto").wait_for()
    assert ("send", (1001, "/aiuto")) in stub.requests

    # the photo button: the file goes as multipart, the text box as its caption
    await box.fill("il cartellone")
    await page.locator(".pane .photo").first.set_input_files(
        {"name": "board.png", "mimeType": "image/png", "buffer": TINY_PNG}
    )
    await page.wait_for_function("() => !document.querySelector('.composer .text').value")
    assert ("photo", (1001, "il cartellone")) in stub.requests


async def test_split_view_never_mixes_chats(stub: StubSandbox, page: Browser) -> None:
    stub.add_persona(1001, "Anna")
    stub.add_persona(1002, "Bruno", "facilitator")
    stub.bot_says(1001, "per Anna")
    stub.bot_says(1002, "per Bruno")
    await page.goto(stub.url)
    await page.locator(".pane").first.locator(".msg", has_text="per Anna").wait_for()
    await page.get_by_label("Due chat affiancate").check()
    second = page.locator(".pane").nth(1)
    await second.locator("select").select_option("1002")
    await second.locator(".msg", has_text="per Bruno").wait_for()
    stub.bot_says(1002, "ancora per Bruno")
    await second.locator(".msg", has_text="ancora per Bruno").wait_for()
    first = page.locator(".pane").first
    assert "Bruno" not in await first.locator(".messages").inner_text()
    assert "Anna" not in await second.locator(".messages").inner_text()
    await shot(page, "page-split")


async def test_clock_crowd_reset_and_language(stub: StubSandbox, page: Browser) -> None:
    stub.add_persona(1001, "Anna")
    await page.goto(stub.url)
    await page.locator("#database", has_text="stub-sandbox.sqlite3").wait_for()
    dialogs: list[str] = []

    async def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.accept()

    page.on("dialog", on_dialog)
    await page.get_by_role("button", name="Sessione 1").click()
    await page.locator("#now-text", has_text="10:10").wait_for()
    assert not dialogs  # forward: no warning
    await page.get_by_role("button", name="Promemoria della vigilia").click()
    await page.locator("#now-text", has_text="18:00").wait_for()
    assert dialogs and "indietro" in dialogs[-1]

    await page.locator("#crowd-count").fill("7")
    await page.locator("#crowd").get_by_role("button", name="Aggiungi").click()
    await page.locator("#crowd-result", has_text="7 partecipanti").wait_for()
    await page.locator("#crowd-zone").fill("11")
    assert ("crowd", {"zone": 5, "count": 7}) in stub.requests

    await page.get_by_role("button", name="Ricomincia da zero").click()
    await page.locator(".toast", has_text="azzerata").wait_for()
    assert (
        ("reset", None) in stub.requests and "Ricomincia" in dialogs[-1]
    ) or "Cancellare" in dialogs[-1]
    assert await page.locator("#personas li").count() == 0

    await page.get_by_role("button", name="English").click()
    await page.get_by_role("button", name="Start from empty").wait_for()
    assert await page.get_attribute("html", "lang") == "en"
