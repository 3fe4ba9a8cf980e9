"""Splitting an HTML text that is longer than Telegram allows into parts that are not.

Telegram refuses a message over 4,096 characters and a caption over 1,024, counted on the
visible text (tags do not count, ``&amp;`` counts as one) in UTF-16 code units. A long
privacy notice, welcome or programme must not break registration, so the bot splits: at a
paragraph boundary if it can, else at a line break, else at a space, else anywhere; a tag
open where a part ends (``<b>``, ``<a href=...>``) is closed there and opened again at the
start of the next part, so each part is valid HTML on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

_ATOMS = re.compile(r"<[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[^<&]|[<&]", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][\w-]*)")


@dataclass(frozen=True)
class _Atom:
    text: str
    width: int  # visible UTF-16 code units (0 for a tag)
    tag: str | None = None  # the tag's name, for tags
    closing: bool = False


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _atoms(html_text: str) -> list[_Atom]:
    atoms = []
    for match in _ATOMS.finditer(html_text):
        piece = match.group(0)
        if piece.startswith("<") and len(piece) > 1 and piece.endswith(">"):
            name = _TAG_NAME.match(piece)
            if name is not None:
                atoms.append(_Atom(piece, 0, name.group(1).lower(), piece.startswith("</")))
                continue
        width = 1 if piece.startswith("&") and len(piece) > 1 else _units(piece)
        atoms.append(_Atom(piece, width))
    return atoms


def visible_length(html_text: str) -> int:
    """How long Telegram counts an HTML text: visible characters in UTF-16 code units."""
    return sum(atom.width for atom in _atoms(html_text))


def _open_tags(atoms: list[_Atom]) -> list[_Atom]:
    """The tags still open after ``atoms``, outermost first."""
    stack: list[_Atom] = []
    for atom in atoms:
        if atom.tag is None:
            continue
        if atom.closing:
            for index in range(len(stack) - 1, -1, -1):
                if stack[index].tag == atom.tag:
                    del stack[index:]
                    break
        else:
            stack.append(atom)
    return stack


def _break_at(atoms: list[_Atom], start: int, end: int) -> tuple[int, int]:
    """Where to cut ``atoms[start:end]``: (end of this part, start of the next)."""
    text = [atom.text for atom in atoms]
    for separator in ("\n\n", "\n", " "):
        width = len(separator)
        for index in range(end - width, start, -1):
            if "".join(text[index : index + width]) == separator:
                return index, index + width
    return end, end


def split_html(html_text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``html_text`` as parts of at most ``limit`` visible characters (one part if it fits)."""
    if len(html_text) <= limit and _units(html_text) <= limit:
        # Tags and entities count less than they are written: whatever fits written fits
        # shown, with no parsing (a list edited on every press is far below the limit).
        return [html_text]
    atoms = _atoms(html_text)
    if sum(atom.width for atom in atoms) <= limit:
        return [html_text]
    parts: list[str] = []
    reopen: list[_Atom] = []
    start = 0
    while start < len(atoms):
        width, end = 0, start
        while end < len(atoms) and width + atoms[end].width <= limit:
            width += atoms[end].width
            end += 1
        if end < len(atoms):
            cut, resume = _break_at(atoms, start, end)
            if cut == start:  # nothing fits before a break: cut anywhere
                cut = resume = max(end, start + 1)
        else:
            cut = resume = end
        body = reopen + atoms[start:cut]
        still_open = _open_tags(body)
        text = "".join(atom.text for atom in body).strip("\n ")
        closing = "".join(f"</{tag.tag}>" for tag in reversed(still_open))
        if text:
            parts.append(text + closing)
        reopen = still_open
        start = resume
    return parts or [html_text]
