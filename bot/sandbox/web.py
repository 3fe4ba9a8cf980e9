"""The sandbox's web server: the page, its JSON API and its events (aiohttp).

Routes (JSON unless said; errors are HTTP 4xx with ``{"error": "..."}``):

- ``GET /`` the page, ``GET /static/{file}`` its CSS and JavaScript;
- ``GET /api/state``: the clock, the moments, the personas, the templates, the database;
- ``POST /api/personas {"template"}``: a new persona;
- ``GET /api/chats/{user_id}?after=n``: what changed in a persona's chat after ``n``;
- ``POST /api/chats/{user_id}/send {"text"}``, ``.../press {"message_id", "data"}``,
  ``.../photo`` (multipart ``photo``, optional ``caption``): the persona writes or presses;
- ``GET /api/events``: Server-Sent Events (``{"user_id", "seq"}``, ``{"clock"}``,
  ``{"reset"}``);
- ``POST /api/clock {"moment"}`` or ``{"at"}``: jump; ``POST /api/crowd {"zone", "count"}``;
  ``POST /api/reset``; ``GET /files/{file_id}``: a file the bot sent, with its name and type.

Labels (``?lang=en`` on ``/api/state``, Italian by default) are the sandbox's own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.kernel.format import date_text
from bot.sandbox.personas import PersonaError
from bot.sandbox.runtime import BOT_NAME, BOT_USERNAME, Sandbox
from handlers.projector_web import add_projector_routes

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
SANDBOX_KEY = web.AppKey("sandbox", Sandbox)
MAX_TEXT = 4096
MAX_PHOTO = 10 * 1024 * 1024
CROWD_MAX = 200
PING_SECONDS = 15.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(Exception):
    """Input the API refuses: ``str()`` is the answer's ``error``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bad input is one clear JSON answer; nothing the page sends crashes the sandbox."""
    sandbox = request.app[SANDBOX_KEY]
    if request.path.startswith("/api/") and request.path != "/api/events" and not sandbox.ready:
        return _error(503, "the sandbox is restarting: try again in a moment")
    try:
        return await handler(request)
    except BadRequest as exc:
        return _error(exc.status, str(exc))
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            return _error(exc.status, exc.reason)
        raise
    except Exception:
        log.exception("sandbox: %s %s failed", request.method, request.path)
        return _error(500, "internal error (see the sandbox's log)")


def sandbox_of(request: web.Request) -> Sandbox:
    """The sandbox the app serves."""
    return request.app[SANDBOX_KEY]


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise BadRequest(f"{name} must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise BadRequest(f"{name} must be a whole number")


def _user(request: web.Request) -> int:
    sandbox = sandbox_of(request)
    user_id = _int(request.match_info["user_id"], "user_id")
    if sandbox.personas.by_user(user_id) is None:
        raise BadRequest(f"no persona with user id {user_id}", 404)
    return user_id


def clock_part(sandbox: Sandbox, language: str = "it") -> dict[str, Any]:
    """The clock as the page shows it: the instant, its text, the moments."""
    now = sandbox.clock.now()
    local = now.astimezone(sandbox.config.tz)
    catalog = sandbox.services.catalog
    return {
        "now": now.isoformat(),
        "now_text": f"{date_text(catalog, language, local.date())}, {local:%H:%M}",
        "moments": [m.as_json(language) for m in sandbox.moments()],
    }


def _language(request: web.Request) -> str:
    return "en" if request.query.get("lang") == "en" else "it"


async def state(request: web.Request) -> web.Response:
    """``GET /api/state``."""
    sandbox = sandbox_of(request)
    language = _language(request)
    return web.json_response(
        {
            **clock_part(sandbox, language),
            "personas": [p.as_json() for p in sandbox.personas.all],
            "templates": sandbox.personas.templates(language),
            "database": str(sandbox.database),
            "bot": {"username": BOT_USERNAME, "name": BOT_NAME},
        }
    )


async def add_persona(request: web.Request) -> web.Response:
    """``POST /api/personas {"template"}``."""
    body = await _body(request)
    template = body.get("template")
    if not isinstance(template, str):
        raise BadRequest("template is missing")
    sandbox = sandbox_of(request)
    try:
        async with sandbox.lock:  # not in the middle of a reset
            persona = await sandbox.add_persona(template)
    except PersonaError as exc:
        raise BadRequest(str(exc)) from None
    return web.json_response(persona.as_json())


async def chat(request: web.Request) -> web.Response:
    """``GET /api/chats/{user_id}?after=n``."""
    user_id = _user(request)
    after = _int(request.query.get("after", "0"), "after")
    return web.json_response(sandbox_of(request).feed.chat(user_id, after))


async def send(request: web.Request) -> web.Response:
    """``POST /api/chats/{user_id}/send {"text"}``: the persona writes."""
    user_id = _user(request)
    body = await _body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("text is missing or empty")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"text is longer than {MAX_TEXT} characters (Telegram's limit)")
    await sandbox_of(request).api.users[user_id].send(text.strip())
    return web.json_response({"ok": True})


async def press(request: web.Request) -> web.Response:
    """``POST /api/chats/{user_id}/press {"message_id", "data"}``: the persona presses."""
    user_id = _user(request)
    body = await _body(request)
    message_id = _int(body.get("message_id"), "message_id")
    data = body.get("data")
    if not isinstance(data, str) or not data:
        raise BadRequest("data is missing")
    sandbox = sandbox_of(request)
    message = sandbox.api.chats[user_id].by_id.get(message_id)
    if message is None or not message.from_bot:
        raise BadRequest(f"no bot message {message_id} in this chat", 404)
    if message.deleted:
        raise BadRequest("this message was deleted", 409)
    if data not in {d for _, d in message.buttons}:
        raise BadRequest("this message has no such button (any more)", 409)
    await sandbox.api.users[user_id].press_data(data, message=message)
    return web.json_response({"ok": True})


async def photo(request: web.Request) -> web.Response:
    """``POST /api/chats/{user_id}/photo`` (multipart ``photo``, optional ``caption``)."""
    user_id = _user(request)
    if request.content_type != "multipart/form-data":
        raise BadRequest("send the photo as multipart/form-data (field photo)")
    form = await request.post()
    field = form.get("photo")
    if not isinstance(field, web.FileField):
        raise BadRequest("the photo field is missing")
    data = field.file.read(MAX_PHOTO + 1)
    if not data or len(data) > MAX_PHOTO:
        raise BadRequest("the photo is empty or larger than 10 MB")
    caption = form.get("caption")
    text = caption if isinstance(caption, str) and caption.strip() else None
    await sandbox_of(request).api.users[user_id].send_photo(data, caption=text)
    return web.json_response({"ok": True})


async def events(request: web.Request) -> web.StreamResponse:
    """``GET /api/events``: Server-Sent Events until the page goes away."""
    sandbox = sandbox_of(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    queue = sandbox.feed.subscribe()
    try:
        await response.write(b": connected\n\n")
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), PING_SECONDS)
            except TimeoutError:
                await response.write(b": ping\n\n")
                continue
            if event is None:
                break
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
    except ConnectionResetError:  # the page went away
        pass
    finally:
        sandbox.feed.unsubscribe(queue)
    return response


def _when(body: dict[str, Any], sandbox: Sandbox) -> dt.datetime:
    if "moment" in body:
        moment = next((m for m in sandbox.moments() if m.id == body["moment"]), None)
        if moment is None:
            known = ", ".join(m.id for m in sandbox.moments())
            raise BadRequest(f"unknown moment {body['moment']!r} (known: {known})")
        return moment.when
    at = body.get("at")
    if not isinstance(at, str):
        raise BadRequest('give {"moment": id} or {"at": ISO date and time}')
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        raise BadRequest(f"at: {at!r} is not an ISO date and time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=sandbox.config.tz)  # a local time of the event
    return when


async def clock(request: web.Request) -> web.Response:
    """``POST /api/clock {"moment"}`` or ``{"at"}``: jump and do what is due."""
    sandbox = sandbox_of(request)
    when = _when(await _body(request), sandbox)
    async with sandbox.lock:
        await sandbox.jump(when)
    return web.json_response(clock_part(sandbox, _language(request)))


async def crowd(request: web.Request) -> web.Response:
    """``POST /api/crowd {"zone", "count"}``: simulated participants (bot.sandbox.crowd)."""
    sandbox = sandbox_of(request)
    body = await _body(request)
    zone = _int(body.get("zone"), "zone")
    count = _int(body.get("count"), "count")
    if not sandbox.config.has_zone(zone):
        raise BadRequest(f"there is no zone {zone}")
    if not 1 <= count <= CROWD_MAX:
        raise BadRequest(f"count must be between 1 and {CROWD_MAX}")
    try:
        added = await sandbox.add_crowd(zone, count)
    except ImportError:
        raise BadRequest("the crowd is not available in this build", 501) from None
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return web.json_response({"added": added})


async def reset(request: web.Request) -> web.Response:
    """``POST /api/reset``: empty database, no personas, clock back to now."""
    sandbox = sandbox_of(request)
    async with sandbox.lock:
        await sandbox.reset()
    return web.json_response({"ok": True})


async def file(request: web.Request) -> web.Response:
    """``GET /files/{file_id}``: a file with its name and MIME type."""
    sandbox = sandbox_of(request)
    stored = sandbox.api.files.get(request.match_info["file_id"])
    if stored is None:
        return _error(404, "no such file")
    headers = {}
    if stored.file_name:
        safe = stored.file_name.replace('"', "").replace("\\", "")
        headers["Content-Disposition"] = f'inline; filename="{safe}"'
    mime = stored.mime_type or (
        "image/jpeg" if stored.kind == "photo" else "application/octet-stream"
    )
    return web.Response(body=stored.data, content_type=mime, headers=headers)


async def page(request: web.Request) -> web.StreamResponse:
    """``GET /``: the page."""
    index = STATIC / "index.html"
    if not index.is_file():
        return web.Response(
            text="The sandbox page is missing (bot/sandbox/static/index.html).", status=404
        )
    return web.FileResponse(index)


def make_app(sandbox: Sandbox) -> web.Application:
    """The aiohttp application of the sandbox."""
    app = web.Application(middlewares=[errors], client_max_size=MAX_PHOTO + 1024 * 1024)
    app[SANDBOX_KEY] = sandbox

    async def end_streams(app: web.Application) -> None:
        app[SANDBOX_KEY].feed.close_subscribers()

    app.on_shutdown.append(end_streams)
    app.router.add_get("/", page)
    if STATIC.is_dir():
        app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/state", state)
    app.router.add_post("/api/personas", add_persona)
    app.router.add_get("/api/chats/{user_id}", chat)
    app.router.add_post("/api/chats/{user_id}/send", send)
    app.router.add_post("/api/chats/{user_id}/press", press)
    app.router.add_post("/api/chats/{user_id}/photo", photo)
    app.router.add_get("/api/events", events)
    app.router.add_post("/api/clock", clock)
    app.router.add_post("/api/crowd", crowd)
    app.router.add_post("/api/reset", reset)
    app.router.add_get("/files/{file_id}", file)
    # issue 15: the projector's page, as the bot's own web server serves it
    add_projector_routes(app, lambda: sandbox.services.projector_site if sandbox.ready else None)
    return app


async def serve_web(sandbox: Sandbox, host: str, port: int) -> web.AppRunner:
    """Start the web server (``port`` 0: a free one); stop it with ``runner.cleanup()``."""
    runner = web.AppRunner(make_app(sandbox), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    chosen = runner.addresses[0][1] if runner.addresses else port
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    sandbox.set_public_url(f"http://{shown}:{chosen}")  # the organiser's /proiettore link
    return runner
