"""Printable QR codes: each venue's check-in link and each zone's registration link.

``psm-bot qr`` writes into a folder (default ``qr/``):

- ``checkin-<venue id>.png``: ``https://t.me/<bot>?start=ci_<venue id>``, for the desk;
- ``zona-<n>.png``: ``https://t.me/<bot>?start=zona<n>``, registration with zone n chosen;
- ``index.html``: every code with its caption and link, ready to print (one per page);
- ``index.txt``: the same list as plain text (file, caption, link).
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

from bot.attendance.flows import checkin_link, zone_link
from config.event import EventConfig

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


class BadUsernameError(ValueError):
    """Not a Telegram bot username."""


def clean_username(value: str) -> str:
    """``@PsmTorinoBot`` or ``https://t.me/PsmTorinoBot`` -> ``PsmTorinoBot``; else an error."""
    name = value.strip().removeprefix("https://").removeprefix("t.me/").lstrip("@").strip("/")
    if not _USERNAME.match(name):
        raise BadUsernameError(
            f"{value!r} is not a Telegram username (5-32 letters, digits or _, e.g. PsmTorinoBot)"
        )
    return name


@dataclass(frozen=True)
class Code:
    """One QR code to print."""

    filename: str
    caption: str
    link: str


def codes(config: EventConfig, bot_username: str) -> list[Code]:
    """The check-in code of every venue, then the registration code of every zone."""
    found = [
        Code(
            "checkin-" + venue.id + ".png",
            f"Check-in · {venue.name}",
            checkin_link(bot_username, venue.id),
        )
        for venue in config.venues
    ]
    found += [
        Code(
            "zona-" + str(zone.number) + ".png",
            f"Iscrizione · Zona {zone.number} · {zone.name}",
            zone_link(bot_username, zone.number),
        )
        for zone in config.zones
    ]
    return found


def png(link: str, scale: int = 10) -> bytes:
    """A QR code as PNG (error correction M, 4-module quiet zone)."""
    buffer = io.BytesIO()
    import segno  # only when a code is drawn (not at start-up)

    segno.make(link, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def index_html(title: str, found: list[Code]) -> str:
    """A printable page: one code per sheet, with its caption and link."""
    template = (
        '<section><h2>{caption}</h2><img src="{file}" alt="{caption}"><p>{link}</p></section>'
    )
    items = "\n".join(
        template.format(
            caption=html.escape(code.caption),
            file=html.escape(code.filename),
            link=html.escape(code.link),
        )
        for code in found
    )
    return (
        '<!doctype html>\n<html lang="it"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;text-align:center}"
        "section{page-break-after:always;padding:2em}"
        "img{width:12cm;height:12cm;image-rendering:pixelated}"
        "p{font-family:monospace}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n{items}\n</body></html>\n"
    )


def write_codes(config: EventConfig, bot_username: str, folder: Path) -> list[Code]:
    """Write every PNG, ``index.html`` and ``index.txt`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    found = codes(config, bot_username)
    for code in found:
        (folder / code.filename).write_bytes(png(code.link))
    title = f"{config.process.short_name} · QR"
    (folder / "index.html").write_text(index_html(title, found), encoding="utf-8")
    lines = [f"{code.filename}\t{code.caption}\t{code.link}" for code in found]
    (folder / "index.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return found
