"""A message's text and entities as Telegram renders them, in HTML for the sandbox page.

The Bot API stores a text as plain text plus entities (offsets in UTF-16 code units); the
page needs HTML. Only what Telegram formats becomes a tag (``b``, ``i``, ``u``, ``s``,
``code``, ``pre``, ``a``, ``blockquote``, ``tg-spoiler``); everything else is escaped. A link
whose address is not ``http(s)``, ``tg`` or ``mailto`` stays plain text (nothing the bot
sends can run script in the page).
"""

from __future__ import annotations

import html
from typing import Any

_SIMPLE = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
    "spoiler": ("<tg-spoiler>", "</tg-spoiler>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote expandable>", "</blockquote>"),
}
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")


def _units(text: str) -> bytes:
    return text.encode("utf-16-le")


def _decode(units: bytes, start: int, end: int) -> str:
    return units[start * 2 : end * 2].decode("utf-16-le", errors="replace")


def _link(href: str) -> tuple[str, str] | None:
    if not href.lower().startswith(_SAFE_SCHEMES):
        return None
    attr = html.escape(href, quote=True)
    return f'<a href="{attr}" target="_blank" rel="noopener noreferrer">', "</a>"


def _tags(entity: dict[str, Any], units: bytes) -> tuple[str, str] | None:
    """The opening and closing tag of one entity (None: shown as plain text)."""
    kind = entity.get("type")
    if kind in _SIMPLE:
        return _SIMPLE[str(kind)]
    if kind == "pre":
        language = entity.get("language")
        if language:
            return f'<pre><code class="language-{html.escape(str(language))}">', "</code></pre>"
        return "<pre>", "</pre>"
    if kind == "text_link":
        return _link(str(entity.get("url", "")))
    if kind == "text_mention":
        user = entity.get("user") or {}
        return _link(f"tg://user?id={int(user.get('id', 0))}")
    start, length = int(entity["offset"]), int(entity["length"])
    shown = _decode(units, start, start + length)
    if kind == "url":
        return _link(shown if "://" in shown else f"https://{shown}")
    if kind == "email":
        return _link(f"mailto:{shown}")
    return None


def to_html(text: str | None, entities: list[dict[str, Any]] | None = None) -> str:
    """The HTML Telegram would show for ``text`` with ``entities`` (newlines kept as is)."""
    if not text:
        return ""
    units = _units(text)
    size = len(units) // 2
    spans: list[tuple[int, int, str, str]] = []
    for entity in entities or []:
        start = max(0, int(entity.get("offset", 0)))
        end = min(size, start + max(0, int(entity.get("length", 0))))
        tags = _tags(entity, units) if end > start else None
        if tags is not None:
            spans.append((start, end, *tags))
    # outer entities first: sooner start, then longer
    spans.sort(key=lambda span: (span[0], -span[1]))
    out: list[str] = []
    stack: list[tuple[int, str]] = []
    position = 0
    boundaries = sorted({0, size, *(s[0] for s in spans), *(s[1] for s in spans)})
    pending = list(spans)
    for boundary in boundaries:
        if boundary > position:
            out.append(html.escape(_decode(units, position, boundary), quote=False))
            position = boundary
        while stack and stack[-1][0] <= boundary:
            out.append(stack.pop()[1])
        while pending and pending[0][0] == boundary:
            start, end, opening, closing = pending.pop(0)
            if stack and end > stack[-1][0]:  # overlapping (not nested): clip to the parent
                end = stack[-1][0]
            if end > start:
                out.append(opening)
                stack.append((end, closing))
    while stack:
        out.append(stack.pop()[1])
    return "".join(out)
