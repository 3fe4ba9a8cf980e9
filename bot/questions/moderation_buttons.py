"""The moderators' buttons (prefix ``qm``), outside any conversation: every press is checked
again against the presser's role and the question's current status, so a forged, old or
doubled press changes nothing.

- :class:`ModerationButton` ``qm|<action>|<question>[|<value>]``: an action on one question
  (publish, hide with a reason, merge into another, highlight, answered, show again, not
  answered), or a view of its card (the reasons, the merge targets' pages, back);
- :class:`QueueButton` ``qm|q|<event>|<window>|<page>``: a page of ``/moderazione`` (the
  window by its position among the event's windows: ids of 32 characters each would not fit
  Telegram's 64 bytes).

Route :class:`QueueButton` first (:func:`parse`): its second part ``q`` is no action, so
:class:`ModerationButton` refuses it anyway, but the pattern ``^qm\\|`` matches both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.kernel.buttons import ButtonData


class ModAction(StrEnum):
    """What a moderation button does."""

    PUBLISH = "p"
    HIDE = "h"  # view: the reasons
    HIDE_AS = "hr"  # value: the reason (policy.HideReason)
    MERGE = "m"  # view: the merge targets; value: the page
    MERGE_INTO = "mi"  # value: the target question's id
    HIGHLIGHT = "hl"  # being answered now
    ANSWERED = "a"
    SHOW = "s"  # show again (hidden or merged -> published)
    REOPEN = "r"  # not answered (highlighted or answered -> published)
    BACK = "b"  # view: the card again


@dataclass(frozen=True)
class ModerationButton(ButtonData, prefix="qm"):
    """An action on a question, or a view of its card."""

    action: ModAction
    question: int
    value: str | None = None


@dataclass(frozen=True)
class QueueButton(ButtonData, prefix="qm|q"):
    """A page of the moderation queue of an event's window."""

    event: str
    window: int  # its index in EventConfig.question_windows(event)
    page: int


Pressed = ModerationButton | QueueButton


def parse(data: str | None) -> Pressed | None:
    """The button ``data`` stands for (None: forged or of another family)."""
    return QueueButton.unpack(data) or ModerationButton.unpack(data)


def pattern() -> str:
    """What the handler routes (every ``qm|`` button)."""
    return ModerationButton.pattern()
