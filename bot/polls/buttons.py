"""The polls' button codecs (:mod:`bot.kernel.buttons`): ballots and the staff's actions.

- **Ballots**, ``p|<poll>|<action>[|<value>]``: :class:`BallotButton`. Every field is checked
  against the database when pressed (the poll exists and is open, the presser is at that
  table, the value is in range): the data carry no secret.
- **Staff actions**, ``p|f|<action>|...``: the :class:`StaffButton` family, one codec per
  shape — a zone picked for a command (:class:`ZonePick`, :class:`AllZonesPick`), opening a
  poll (:class:`OpenButton`), one poll (:class:`PollButton`), a manual count
  (:class:`CountButton`), results (:class:`ResultsButton`). :meth:`StaffButton.parse` reads
  any of them; the presser's role is checked on every press, so forged data change nothing.

The wire format is the one buttons already sent carry (they keep working after an upgrade).
The steps that wait for typed text (a quick question, a count) are conversations on the
kernel's engine: their buttons are the engine's ``FlowButton``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.kernel.buttons import ButtonData


class BallotAction(StrEnum):
    """What a ballot button does."""

    TAP = "t"  # an option (value: its position)
    AXIS = "ax"  # open an axis's folder (value: the axis's index)
    HOME = "home"  # back to every axis
    CONFIRM = "ok"
    CLEAR = "clr"


VALUED = frozenset({BallotAction.TAP, BallotAction.AXIS})  # the actions that carry a value


@dataclass(frozen=True)
class BallotButton(ButtonData, prefix="p"):
    """A participant's ballot button."""

    poll: int
    action: BallotAction
    value: int | None = None

    @property
    def well_formed(self) -> bool:
        """A value (0 or more) exactly for the actions that take one."""
        if self.action in VALUED:
            return self.value is not None and self.value >= 0
        return self.value is None


class StaffButton(ButtonData, prefix="p|f"):
    """Base of the staff's poll buttons; :meth:`parse` reads any of them."""

    @classmethod
    def parse(cls, data: str | None) -> StaffPress | None:
        """The staff button ``data`` stands for; None when it is none of them."""
        for family in STAFF_FAMILIES:
            found = family.unpack(data)
            if found is not None:
                return found
        return None


class ZoneCommand(StrEnum):
    """The command a zone picked from a list continues."""

    PANEL = "p"  # /sondaggio
    COUNTS = "c"  # /conteggi
    RESULTS = "r"  # /risultati


@dataclass(frozen=True)
class ZonePick(StaffButton, prefix="p|f|z"):
    """A zone picked for ``/sondaggio``, ``/conteggi`` or ``/risultati``."""

    command: ZoneCommand
    zone: int


@dataclass(frozen=True)
class AllZonesPick(StaffButton, prefix="p|f|z|r|all"):
    """``/risultati`` of every zone pooled (organisers)."""


class OpenAction(StrEnum):
    """Opening a poll from a zone's panel."""

    PRIORITY = "op"  # the priority poll (max_choices: N)
    QUICK = "qk"  # a quick question (typed next)


@dataclass(frozen=True)
class OpenButton(StaffButton, prefix="p|f"):
    """Open a poll in a zone: ``p|f|op|<zone>|<N>`` or ``p|f|qk|<zone>``."""

    action: OpenAction
    zone: int
    max_choices: int | None = None

    @property
    def well_formed(self) -> bool:
        """N exactly for the priority poll."""
        return (self.max_choices is not None) == (self.action is OpenAction.PRIORITY)


class PollAction(StrEnum):
    """A staff button about one poll."""

    STATUS = "st"  # show (refresh) its state
    CLOSE = "cl"  # ask to close it
    CLOSE_YES = "cy"  # close it
    RESULTS = "rs"
    COUNTS = "mc"  # its manual counts
    PEOPLE = "mp"  # type how many people answered by hand


@dataclass(frozen=True)
class PollButton(StaffButton, prefix="p|f"):
    """``p|f|<action>|<poll>``."""

    action: PollAction
    poll: int


class CountAction(StrEnum):
    """Entering a manual count."""

    OPTION = "mo"  # an option picked (a quick poll: type its count; else pick the rank)
    RANK = "mk"  # the rank picked (0: order unknown): type the count


@dataclass(frozen=True)
class CountButton(StaffButton, prefix="p|f"):
    """``p|f|mo|<poll>|<position>`` or ``p|f|mk|<poll>|<position>|<rank>``."""

    action: CountAction
    poll: int
    position: int
    rank: int | None = None

    @property
    def well_formed(self) -> bool:
        """A position of 0 or more; a rank (0 or more) exactly when it is the rank's button."""
        if self.position < 0:
            return False
        if self.action is CountAction.RANK:
            return self.rank is not None and self.rank >= 0
        return self.rank is None


class ResultsAction(StrEnum):
    """Exports and sending the results."""

    EXPORT = "ex"  # value: the format
    SEND = "sr"  # value: the event
    SEND_CANCEL = "sn"


@dataclass(frozen=True)
class ResultsButton(StaffButton, prefix="p|f"):
    """``p|f|ex|<format>``, ``p|f|sr|<event>``, ``p|f|sn``."""

    action: ResultsAction
    value: str | None = None

    @property
    def well_formed(self) -> bool:
        """A value for an export and a sending, none for "do not send"."""
        return (self.value is None) == (self.action is ResultsAction.SEND_CANCEL)


StaffPress = ZonePick | AllZonesPick | OpenButton | PollButton | CountButton | ResultsButton
# The longer prefixes first; the actions of the ``p|f`` codecs are distinct, so at most one
# of them reads a given string.
STAFF_FAMILIES: tuple[type[StaffPress], ...] = (
    AllZonesPick,
    ZonePick,
    OpenButton,
    PollButton,
    CountButton,
    ResultsButton,
)
