"""What the bot's web server needs to serve the projector: checking a link's token, the
boards (live), the page's files, the QR code, the refusal page.

The HTTP side is :mod:`handlers.projector_web`; this module has no web framework in it, so
the rules are tested without a server.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.kernel.clock import Clock
from bot.kernel.i18n import Catalog
from bot.questions.projector import Mode, ProjectorBoards, mode_of
from bot.questions.projector_live import Key, ProjectorLive
from bot.questions.tokens import Grant, ProjectorTokens, Refusal
from config.event import Event

STATIC = Path(__file__).with_name("static")
PAGE = STATIC / "projector.html"

_REFUSAL = """<!doctype html>
<html lang="it"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title_it} · {title_en}</title>
<style>
body{{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
background:#0b0f14;color:#f5f7fa;font:clamp(18px,2.4vw,34px)/1.4 system-ui,sans-serif}}
main{{max-width:60ch;padding:2em}} h1{{font-size:1.6em;margin:0 0 .4em;color:#ffd166}}
section+section{{margin-top:2em;padding-top:1.5em;border-top:2px solid #2a3441}}
</style></head>
<body><main>
<section lang="it"><h1>{title_it}</h1><p>{body_it}</p></section>
<section lang="en"><h1>{title_en}</h1><p>{body_en}</p></section>
</main></body></html>
"""


def language_of(value: str | None) -> str:
    """``?lang=en`` is English; anything else Italian."""
    return "en" if value == "en" else "it"


@dataclass
class ProjectorSite:
    """The projector's side of the bot's web server (see the module doc)."""

    catalog: Catalog
    clock: Clock
    tokens: ProjectorTokens
    boards: ProjectorBoards
    username: Callable[[], str | None]  # the bot's @username, once known

    def __post_init__(self) -> None:
        self.live = ProjectorLive(self.build)

    def check(self, token: str) -> tuple[Event, Grant] | Refusal:
        """The event a token shows, or why it is refused (an event gone from the file is
        refused as forged: the link shows nothing any more)."""
        found = self.tokens.check(token, self.clock.now())
        if isinstance(found, Refusal):
            return found
        event = self.boards.event(found.event_id)
        if event is None:
            return Refusal.FORGED
        return event, found

    def key(self, event: Event, mode: str | None, language: str | None) -> Key:
        """The live key of a page's board."""
        return (event.id, mode_of(mode).value, language_of(language))

    async def build(self, key: Key) -> dict[str, Any]:
        """The board of a live key (the watcher's builder)."""
        event_id, mode, language = key
        event = self.boards.event(event_id)
        if event is None:
            return {"mode": mode, "gone": True}
        board = await self.boards.board(event, Mode(mode), language)
        board["join"] = self.join(language)
        return board

    def join(self, language: str) -> dict[str, Any]:
        """How to take part: the bot's @username and its link (None before it is known)."""
        username = self.username()
        return {
            "username": f"@{username}" if username else None,
            "url": f"https://t.me/{username}" if username else None,
            "text": self.boards.text(language, "join"),
            "command": self.boards.text(language, "join_command"),
        }

    def qr_svg(self) -> str | None:
        """The QR code of ``https://t.me/<bot>`` as SVG (segno), None before the name is known."""
        username = self.username()
        if not username:
            return None
        import segno  # heavy: imported when a screen first asks for it

        out = io.BytesIO()
        code = segno.make(f"https://t.me/{username}", error="m")
        code.save(out, kind="svg", scale=10, border=2, dark="#000", light="#fff", xmldecl=False)
        return out.getvalue().decode()

    def refusal_page(self, refusal: Refusal) -> str:
        """The page of a refused link, in Italian and in English, without any data."""

        def say(language: str, part: str) -> str:
            text = html.unescape(self.catalog(language, f"projector.refused.{refusal}.{part}"))
            return html.escape(text)

        return _REFUSAL.format(
            title_it=say("it", "title"),
            body_it=say("it", "body"),
            title_en=say("en", "title"),
            body_en=say("en", "body"),
        )
