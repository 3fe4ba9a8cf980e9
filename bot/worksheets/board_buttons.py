"""The buttons of the facilitator's board and report (prefix ``w``).

One codec for the family: an action and three numbers (what they are depends on the action,
see :class:`BoardAction`). Every press is checked against the presser's zones again, so a
forged button for another zone is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.kernel.buttons import ButtonData


class BoardAction(StrEnum):
    """What a board button does; ``a``, ``b``, ``c`` are given per action."""

    ZONE = "z"  # the zone's worksheets: a = zone
    SHEET = "s"  # a worksheet's sections: a = worksheet
    SECTION = "c"  # a section's items: a = worksheet, b = section index, c = page
    HIDDEN = "h"  # a section's hidden and merged items: a = worksheet, b = section index
    PHOTOS = "ph"  # a section's photos as albums: a = worksheet, b = section index
    HIDE = "x"  # hide an item: a = item, b = page
    RESTORE = "u"  # show a hidden item again / undo a merge: a = item
    STAR = "st"  # star or unstar an item: a = item, b = page
    MERGE = "m"  # pick the item this one duplicates: a = item, b = page of the picker
    INTO = "i"  # fold item a into item b
    ADD_ITEM = "ai"  # add an item to a section: a = worksheet, b = section index
    ADD_SHEET = "as"  # add a strategy: a = zone
    REPLACE = "r"  # replace a worksheet's strategy: a = worksheet
    REPORT_ZONE = "rz"  # write the zone's report: a = zone
    READ = "rd"  # read a zone's report: a = zone, b = event index in the event file


@dataclass(frozen=True)
class BoardButton(ButtonData, prefix="w"):
    """A button of the board, the report or the regia's notice."""

    action: BoardAction
    a: int
    b: int = 0
    c: int = 0

    @classmethod
    def of(cls, action: BoardAction, a: int, b: int = 0, c: int = 0) -> str:
        """The packed callback data."""
        return cls(action, a, b, c).pack()
