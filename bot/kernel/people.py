"""Who a user is for the domain, the language to answer them in, and what they typed, cleaned.

- :class:`Who`: the Telegram user behind an update, as the domain needs them (no Telegram
  object crosses into the domain).
- :class:`Languages`: the one place that decides a user's language — their explicit
  ``/lingua`` choice, else English for an English Telegram client, else Italian.
- :func:`clean_text`: a one-line answer (a name, an organisation) without control,
  invisible or direction-changing characters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.kernel.i18n import language_for
from storage.users import UserRepository

NAME_MAX = 80  # characters of a name to show (participants, staff)


@dataclass(frozen=True)
class Who:
    """The Telegram user behind an update, as the domain needs them."""

    user_id: int
    first_name: str
    last_name: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        """First and last name as Telegram shows them."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Languages:
    """Resolves the language to answer a user in (explicit choice first)."""

    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def of(self, who: Who) -> str:
        """The language to answer ``who`` in."""
        user = await self._users.get(who.user_id)
        return language_for(who.language_code, user.language if user else None)

    async def of_user(self, user_id: int) -> str:
        """The language to write to a user first (their explicit choice, else Italian)."""
        user = await self._users.get(user_id)
        return language_for(None, user.language if user else None)


# Letters that show nothing (Hangul fillers) and a blank that looks like a letter (Braille).
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Format characters that belong in words of some scripts: zero-width (non-)joiner.
_JOINERS = frozenset("\u200c\u200d")


def strip_invisible(value: str) -> str:
    """``value`` without invisible and direction-changing characters.

    Removed: format characters (zero-width space, BOM, word joiner, soft hyphen, and the bidi
    embeddings, overrides and isolates such as U+202E, which would flip the rest of an
    export row), except the zero-width joiners some scripts need, and the blank "letters"
    (Hangul fillers, the blank Braille pattern) that make a name look empty.
    """
    return "".join(
        char
        for char in value
        if char in _JOINERS or (unicodedata.category(char) != "Cf" and char not in _FILLERS)
    )


def has_visible(value: str) -> bool:
    """Whether ``value`` has at least one visible letter or digit."""
    return any(unicodedata.category(char)[0] in "LN" and char not in _FILLERS for char in value)


def clean_text(value: str, limit: int) -> str | None:
    """Trimmed single-line text of 1..limit characters with a visible letter or digit and
    no control, invisible or direction-changing characters (those are removed), or None."""
    text = " ".join(strip_invisible(value).split())
    if not 1 <= len(text) <= limit or not has_visible(text):
        return None
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text):
        return None
    return text
