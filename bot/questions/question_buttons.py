"""The participants' question buttons (prefix ``q``), outside any conversation.

- :class:`SupportButton` ``q|s|<question>|<page>``: support a question of ``/domande`` (or
  withdraw the support given), the page shown again in place;
- :class:`ListButton` ``q|p|<page>``: a page of ``/domande``, in place (◀︎ ▶︎, 🔄 refresh);
- :class:`OpenListButton` ``q|l``: the list as a new message (under a question just sent,
  whose confirmation stays).

The moderators' and the projector's buttons are other families; :func:`pattern` routes
only these three (``q|s|``, ``q|p|``, ``q|l``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.kernel.buttons import SEPARATOR, ButtonData


@dataclass(frozen=True)
class SupportButton(ButtonData, prefix="q|s"):
    """Support this question (again: withdraw), then show that page of the list again."""

    question: int
    page: int = 0


@dataclass(frozen=True)
class ListButton(ButtonData, prefix="q|p"):
    """A page of the open window's public questions."""

    page: int = 0


@dataclass(frozen=True)
class OpenListButton(ButtonData, prefix="q|l"):
    """The open window's public questions, as a new message."""


ParticipantButton = SupportButton | ListButton | OpenListButton


def parse(data: str | None) -> ParticipantButton | None:
    """The button ``data`` stands for (None: forged or of another family)."""
    return SupportButton.unpack(data) or ListButton.unpack(data) or OpenListButton.unpack(data)


def pattern() -> str:
    """What the handler routes: the support, page and open-list buttons only."""
    sep = re.escape(SEPARATOR)
    return f"^q{sep}(?:[sp]{sep}|l$)"
