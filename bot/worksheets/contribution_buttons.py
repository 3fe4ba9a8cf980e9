"""The participants' session-2 buttons (prefix ``c``), outside any conversation.

- :class:`ContributeButton` ``c|<worksheet>``: the session-2 notice's one button per
  worksheet, and "add another" after a contribution: starts ``/contributo`` on that worksheet;
- :class:`MineButton` ``c|p|<page>``: a page of ``/contributi``;
- :class:`WithdrawButton` ``c|w|<item>|<page>``: withdraw one's own contribution, the list
  (that page) updated in place.

Route the longer prefixes first (:func:`parse`): ``c|w|...`` and ``c|p|...`` are not
:class:`ContributeButton` data (their second part is not a number), but the pattern ``^c\\|``
matches all three.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.buttons import ButtonData


@dataclass(frozen=True)
class ContributeButton(ButtonData, prefix="c"):
    """Contribute to this worksheet."""

    worksheet: int


@dataclass(frozen=True)
class MineButton(ButtonData, prefix="c|p"):
    """A page of the participant's own contributions."""

    page: int = 0


@dataclass(frozen=True)
class WithdrawButton(ButtonData, prefix="c|w"):
    """Withdraw one of one's own contributions (then show that page again)."""

    item: int
    page: int = 0


ParticipantButton = ContributeButton | MineButton | WithdrawButton


def parse(data: str | None) -> ParticipantButton | None:
    """The button ``data`` stands for (None: forged or of another family)."""
    return WithdrawButton.unpack(data) or MineButton.unpack(data) or ContributeButton.unpack(data)


def pattern() -> str:
    """What the handler routes (every ``c|`` button)."""
    return ContributeButton.pattern()
