"""Parser for Telegram's HTML ``parse_mode``.

It mimics what Telegram does with ``parse_mode=HTML``: it turns the markup into plain text plus
:class:`MessageEntity` dicts (offsets/lengths in UTF-16 code units) and rejects what Telegram
rejects ("Can't parse entities: ...").  It is deliberately *stricter* than Telegram in one
respect: a bare ``&`` that does not start an HTML entity is an error (Telegram keeps it as text),
because a bot that forgets :func:`html.escape` on user input will eventually send a ``<``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HtmlParseError", "ParsedText", "parse_html", "utf16_len"]

_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_RE = re.compile(
    r"""\s*([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""
)

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
SUPPORTED_TAGS = frozenset(
    [*_SIMPLE_TAGS, "span", "a", "blockquote", "tg-emoji", "tg-time"],
)


class HtmlParseError(ValueError):
    """Raised when a text cannot be parsed as Telegram HTML."""


@dataclass(slots=True)
class ParsedText:
    """Result of parsing: plain text and the entities Telegram would produce."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of Telegram entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def _unescape(value: str, where: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        amp = value.find("&", pos)
        if amp < 0:
            out.append(value[pos:])
            return "".join(out)
        out.append(value[pos:amp])
        m = _ENTITY_RE.match(value, amp)
        if m is None:
            raise HtmlParseError(f"unescaped '&' at offset {amp} in {where}; use &amp;")
        out.append(_decode_entity(m.group(1)))
        pos = m.end()


def _decode_entity(name: str) -> str:
    if name in _NAMED:
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlParseError(f"invalid numeric HTML entity &{name};")
    return chr(code)


def _parse_attrs(raw: str, tag: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    raw = raw.rstrip()
    while pos < len(raw):
        m = _ATTR_RE.match(raw, pos)
        if m is None or m.end() == pos:
            raise HtmlParseError(f"can't parse attributes of tag <{tag}>: {raw!r}")
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if value is None:
            value = m.group(4) if m.group(4) is not None else ""
        attrs[m.group(1).lower()] = _unescape(value, f"attribute of <{tag}>")
        pos = m.end()
    return attrs


def _entity_for(tag: str, attrs: dict[str, str], stack: list[_Open]) -> dict[str, Any] | None:
    """Build the (partial) entity dict for an opening tag, validating attributes."""
    if tag == "code" and stack and stack[-1].tag == "pre":
        # <pre><code class="language-x"> is a single "pre" entity with a language
        lang = attrs.get("class", "")
        if lang.startswith("language-") and stack[-1].entity is not None:
            stack[-1].entity["language"] = lang[len("language-") :]
        return None
    if tag in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[tag]}
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlParseError('tag "span" must have class "tg-spoiler"')
        return {"type": "spoiler"}
    if tag == "a":
        href = attrs.get("href")
        if not href:
            raise HtmlParseError('tag "a" must have a non-empty "href" attribute')
        m = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if m:
            return {
                "type": "text_mention",
                "user": {"id": int(m.group(1)), "is_bot": False, "first_name": ""},
            }
        return {"type": "text_link", "url": href}
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id:
            raise HtmlParseError('tag "tg-emoji" must have attribute "emoji-id"')
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    if tag == "tg-time":
        unix = attrs.get("unix", "")
        if not unix.isdigit():
            raise HtmlParseError('tag "tg-time" must have a numeric attribute "unix"')
        ent: dict[str, Any] = {"type": "date_time", "unix_time": int(unix)}
        if "format" in attrs:
            ent["date_time_format"] = attrs["format"]
        return ent
    raise HtmlParseError(f'unsupported start tag "{tag}"')


@dataclass(slots=True)
class _Open:
    tag: str
    start: int
    entity: dict[str, Any] | None
    index: int


def _close_tag(
    name: str, at: int, pos16: int, stack: list[_Open], entities: list[dict[str, Any] | None]
) -> None:
    """``</name>`` at offset ``at``: the entity it ends gets its length (or is dropped, empty)."""
    if not stack:
        raise HtmlParseError(f'unexpected end tag "{name}" at offset {at}')
    top = stack.pop()
    if name != top.tag:
        raise HtmlParseError(
            f'can\'t find end tag corresponding to start tag "{top.tag}" '
            f'(found "</{name}>" at offset {at})'
        )
    if top.entity is not None:
        length = pos16 - top.start
        if length > 0:
            top.entity["offset"] = top.start
            top.entity["length"] = length
        else:
            entities[top.index] = None


def _open_tag(
    source: str,
    inner: str,
    at: int,
    pos16: int,
    stack: list[_Open],
    entities: list[dict[str, Any] | None],
) -> None:
    """``<inner>`` at offset ``at``: a supported start tag opens its entity."""
    m = _TAG_NAME_RE.match(inner)
    if m is None:
        raise HtmlParseError(f"unescaped '<' at offset {at} (use &lt;): {source[at : at + 30]!r}")
    tag = m.group(0).lower()
    if tag not in SUPPORTED_TAGS:
        raise HtmlParseError(f'unsupported start tag "{tag}" at offset {at}')
    rest = inner[m.end() :]
    if rest.rstrip().endswith("/"):
        raise HtmlParseError(f'self-closing tag "<{inner}>" is not supported')
    if rest and not rest[0].isspace():
        raise HtmlParseError(f"can't parse tag <{inner}> at offset {at}")
    attrs = _parse_attrs(rest, tag)
    entity = _entity_for(tag, attrs, stack)
    entities.append(entity)
    stack.append(_Open(tag, pos16, entity, len(entities) - 1))


def parse_html(source: str) -> ParsedText:
    """Parse Telegram HTML; return the plain text and entities or raise :class:`HtmlParseError`.

    Supported tags: b, strong, i, em, u, ins, s, strike, del, span class="tg-spoiler",
    tg-spoiler, a href, code, pre, blockquote [expandable], tg-emoji emoji-id, tg-time.
    Only ``&lt; &gt; &amp; &quot;`` and numeric entities are recognised.
    """
    out: list[str] = []
    entities: list[dict[str, Any] | None] = []
    stack: list[_Open] = []
    pos16 = 0
    i = 0
    n = len(source)
    while i < n:
        lt = source.find("<", i)
        amp = source.find("&", i)
        nxt = min(x for x in (lt, amp, n) if x >= 0)
        if nxt > i:
            chunk = source[i:nxt]
            out.append(chunk)
            pos16 += utf16_len(chunk) if not chunk.isascii() else len(chunk)
            i = nxt
            continue
        if source[i] == "&":
            m = _ENTITY_RE.match(source, i)
            if m is None:
                raise HtmlParseError(
                    f"unescaped '&' at offset {i} (use &amp;): {source[max(0, i - 15) : i + 15]!r}"
                )
            ch = _decode_entity(m.group(1))
            out.append(ch)
            pos16 += utf16_len(ch)
            i = m.end()
            continue
        # source[i] == "<"
        end = source.find(">", i + 1)
        if end < 0:
            raise HtmlParseError(
                f"unescaped '<' or unclosed tag at offset {i} (use &lt;): {source[i : i + 30]!r}"
            )
        inner = source[i + 1 : end]
        if inner.startswith("/"):
            _close_tag(inner[1:].strip().lower(), i, pos16, stack, entities)
        else:
            _open_tag(source, inner, i, pos16, stack, entities)
        i = end + 1
    if stack:
        raise HtmlParseError(f'can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return ParsedText("".join(out), [e for e in entities if e is not None and "length" in e])
