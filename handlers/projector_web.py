"""The projector's routes on a web server (the bot's own, or the sandbox's), aiohttp.

- ``GET /projector/<token>/``: the page (``bot/questions/static/projector.html``);
  ``/projector/<token>`` redirects there (relatively, so a reverse proxy's prefix is kept);
- ``GET /projector/<token>/board.json?mode=&lang=``: the board now (the page's fallback,
  asked every 2 s when Server-Sent Events do not get through);
- ``GET /projector/<token>/events?mode=&lang=``: Server-Sent Events, the board at once and
  again each time it changes (``event: expired`` when the link's day is over);
- ``GET /projector/<token>/qr.svg``: the QR code of ``https://t.me/<bot>``;
- ``GET /projector/static/<file>``: the page's CSS and JavaScript.

A forged, altered or expired token gets HTTP 403 and the refusal page (Italian and English;
JSON ``{"error": "forged"|"expired"}`` for the data routes), never data. Answers are not
cached, not indexed, and send no referrer (the token is in the address).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiohttp import web

from bot.questions.projector_live import dumps
from bot.questions.projector_site import PAGE, STATIC, ProjectorSite
from bot.questions.tokens import Refusal

log = logging.getLogger(__name__)

PING_SECONDS = 15.0
SiteSource = Callable[[], ProjectorSite | None]
SOURCE_KEY: web.AppKey[SiteSource] = web.AppKey("projector_site")
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _site(request: web.Request) -> ProjectorSite:
    site = request.app[SOURCE_KEY]()
    if site is None:  # the sandbox restarting its bot
        raise web.HTTPServiceUnavailable(text="restarting: try again in a moment")
    return site


_refusals = {"count": 0}


def _refused(site: ProjectorSite, refusal: Refusal, as_json: bool) -> web.Response:
    _refusals["count"] += 1  # counted, never logged one by one (nor the token)
    count = _refusals["count"]
    if count in (1, 10, 100) or count % 1000 == 0:
        log.warning("projector: %d request(s) refused (forged or expired link)", count)
    if as_json:
        return web.json_response({"error": refusal.value}, status=403, headers=_HEADERS)
    return web.Response(
        text=site.refusal_page(refusal),
        status=403,
        content_type="text/html",
        headers={
            **_HEADERS,
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


async def page(request: web.Request) -> web.StreamResponse:
    """The page, for a genuine token."""
    site = _site(request)
    found = site.check(request.match_info["token"])
    if isinstance(found, Refusal):
        return _refused(site, found, as_json=False)
    return web.FileResponse(PAGE, headers={**_HEADERS, "Content-Security-Policy": _CSP})


async def to_folder(request: web.Request) -> web.StreamResponse:
    """``/projector/<token>`` -> ``<token>/`` (relative: a proxy's prefix is kept)."""
    raise web.HTTPFound(
        request.match_info["token"]
        + "/"
        + (f"?{request.query_string}" if request.query_string else "")
    )


async def board(request: web.Request) -> web.Response:
    """The board now, as JSON."""
    site = _site(request)
    found = site.check(request.match_info["token"])
    if isinstance(found, Refusal):
        return _refused(site, found, as_json=True)
    event, _grant = found
    key = site.key(event, request.query.get("mode"), request.query.get("lang"))
    return web.Response(
        text=dumps(await site.build(key)), content_type="application/json", headers=_HEADERS
    )


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: the board at once, then each change, until the page goes away or
    the link's day is over."""
    site = _site(request)
    found = site.check(request.match_info["token"])
    if isinstance(found, Refusal):
        return _refused(site, found, as_json=True)
    event, grant = found
    key = site.key(event, request.query.get("mode"), request.query.get("lang"))
    response = web.StreamResponse(
        headers={
            **_HEADERS,
            "Content-Type": "text/event-stream",
            "X-Accel-Buffering": "no",  # nginx: pass each event on at once
        }
    )
    await response.prepare(request)
    queue, current = await site.live.subscribe(key)
    try:
        await response.write(f"retry: 1000\ndata: {current}\n\n".encode())
        while True:
            left = (grant.expires - site.clock.now()).total_seconds()
            if left <= 0:
                await response.write(b'event: expired\ndata: {"error": "expired"}\n\n')
                break
            try:
                text = await asyncio.wait_for(queue.get(), min(PING_SECONDS, left))
            except TimeoutError:
                await response.write(b": ping\n\n")
                continue
            if text is None:  # the server stops
                break
            await response.write(f"data: {text}\n\n".encode())
    except (ConnectionResetError, ConnectionError):  # the page went away
        pass
    finally:
        site.live.unsubscribe(key, queue)
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
    return response


async def qr(request: web.Request) -> web.Response:
    """The QR code of the bot's link, as SVG."""
    site = _site(request)
    found = site.check(request.match_info["token"])
    if isinstance(found, Refusal):
        return _refused(site, found, as_json=True)
    svg = await asyncio.to_thread(site.qr_svg)
    if svg is None:
        return web.json_response({"error": "the bot's name is not known yet"}, status=404)
    return web.Response(
        text=svg,
        content_type="image/svg+xml",
        headers={**_HEADERS, "Cache-Control": "private, max-age=3600"},
    )


def add_projector_routes(app: web.Application, source: SiteSource) -> None:
    """Mount the projector on ``app``; ``source`` gives the running bot's site (or None)."""
    app[SOURCE_KEY] = source
    app.router.add_static("/projector/static/", STATIC)
    app.router.add_get("/projector/{token}", to_folder)
    app.router.add_get("/projector/{token}/", page)
    app.router.add_get("/projector/{token}/board.json", board)
    app.router.add_get("/projector/{token}/events", events)
    app.router.add_get("/projector/{token}/qr.svg", qr)

    async def end_streams(app: web.Application) -> None:
        site = source()
        if site is not None:
            await site.live.close()

    app.on_shutdown.append(end_streams)
