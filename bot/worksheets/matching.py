"""Telling that two zones name the same actor or project: matching that ignores case,
accents and punctuation.

Sections that list *networks* — actors and projects the plan can build on — are
:data:`NETWORK_SECTIONS` (the ids of the bundled sections ``progetti`` and ``attori``; a
section id an event file gives other sections does not match, and then no section is read as
a list of names). In those sections an item is read as a list of names: one name per line,
or per ``;`` (a comma is not a separator: "Comune di Pinerolo, ufficio tecnico" is one name),
with list marks (``-``, ``*``, ``•``, ``1.``) taken off the start. Two names are the same when
:func:`normalise` gives the same text: "Comune di Pinerolo" and "comune di pinerolo!" do,
and so do "Unione Montana Valle Susa" and "unione montana valle susa".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

#: the sections whose items are names of actors and projects (networks), by id
NETWORK_SECTIONS = ("attori", "progetti")

_SEPARATORS = re.compile(r"[\n;]+")
_LIST_MARK = re.compile(r"^\s*(?:[-*•·–—]+|\d{1,2}[.)])\s*")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """The text without accents, case and punctuation; words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain).strip()


def names(text: str) -> list[str]:
    """The names listed in an item: one per line or ``;``, list marks removed, blanks skipped."""
    found = []
    for part in _SEPARATORS.split(text):
        name = _LIST_MARK.sub("", part).strip().rstrip(".,").strip()
        if normalise(name):
            found.append(name)
    return found


@dataclass(frozen=True)
class Named:
    """A name as one zone gave it."""

    zone: int
    name: str


@dataclass(frozen=True)
class SharedName:
    """A name given by two or more zones: how it was first written, and the zones."""

    name: str
    zones: tuple[int, ...]


def shared_names(named: Iterable[Named]) -> tuple[list[SharedName], list[Named]]:
    """The names given by two or more zones (most zones first, then as first met) and the
    others (each once per zone, as first met)."""
    groups: dict[str, list[Named]] = {}
    for item in named:
        key = normalise(item.name)
        if key:
            groups.setdefault(key, []).append(item)
    shared: list[SharedName] = []
    alone: list[Named] = []
    for group in groups.values():
        zones = tuple(sorted({item.zone for item in group}))
        if len(zones) >= 2:
            shared.append(SharedName(group[0].name, zones))
        else:
            alone.append(group[0])
    shared.sort(key=lambda s: -len(s.zones))  # stable: as first met among equals
    return shared, alone
