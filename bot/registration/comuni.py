"""Comuni of the Città Metropolitana di Torino and their "Zona omogenea".

Pure logic: no Telegram, no SQL, no environment. This module

* ships the bundled list of the 312 comuni (``config/data/comuni_zone_torino.csv``), where the
  zone is only filled in when it could be verified (``Comune.zone`` is ``None`` otherwise;
  :attr:`Comune.candidate_zones` are the zones the file says it can be in);
* matches what a participant types to a comune (:class:`ComuneIndex`), with suggestions for
  misspellings;
* reads a zone written as a number, a roman numeral or a name (:class:`ZoneParser`, and
  :func:`parse_zone_answer` for what a participant types at the zone step);
* brings a stored mapping up to date with a newer bundled file
  (:func:`refresh_from_bundled`).

Reading the official spreadsheet lives in :mod:`bot.registration.comuni_files`, applying it
in :mod:`bot.registration.comuni_import`.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

__all__ = [
    "BadZone",
    "Comune",
    "ComuneIndex",
    "OutOfRange",
    "ZoneParser",
    "bundled_comuni",
    "describe_numbers",
    "normalise",
    "parse_zone_answer",
    "refresh_from_bundled",
]

# "NON VERIFICATO (zona 6/7/9)": the zones an unverified comune can be in
_CANDIDATES_RE = re.compile(r"non\s+verificat[oa]\s*\(\s*zon[ae]\s+([\d\s/,;eo]+)\)", re.I)


@dataclass(frozen=True)
class Comune:
    """One comune: its official name, its zone when verified, and where the zone was read."""

    name: str  # official spelling, e.g. "Riva presso Chieri"
    zone: int | None  # 1..11, None when not verified
    istat: str | None = None  # 6-digit ISTAT code when known
    source: str = ""  # where the zone was read

    @property
    def candidate_zones(self) -> tuple[int, ...]:
        """The zones an unverified comune can be in, from its source ``NON VERIFICATO (zona
        6/7/9)``; empty when the zone is known or the source does not say."""
        if self.zone is not None:
            return ()
        match = _CANDIDATES_RE.search(self.source)
        if match is None:
            return ()
        return tuple(sorted({int(n) for n in re.findall(r"\d+", match.group(1))}))


# --------------------------------------------------------------------------------------------
# Normalisation and lookup
# --------------------------------------------------------------------------------------------

# apostrophes (straight, typographic, backtick, acute), hyphens and dashes, dots
_SEPARATORS_RE = re.compile(r"['\u2018\u2019\u02bc`\u00b4\-\u2010\u2011\u2012\u2013\u2014.]")
_COMUNE_DI_PREFIX = "comune di "


def normalise(text: str) -> str:
    """Key for matching names.

    Casefold, strip accents (NFKD, combining marks dropped), turn apostrophes, hyphens and
    dots into spaces, collapse runs of whitespace and trim: ``'CIRIÈ' -> 'cirie'``,
    ``"Sant'Ambrogio di Torino" -> 'sant ambrogio di torino'``, ``"CIRIE'" -> 'cirie'``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_SEPARATORS_RE.sub(" ", stripped).split())


def _lookup_key(text: str) -> str:
    key = normalise(text)
    if key.startswith(_COMUNE_DI_PREFIX):
        key = key[len(_COMUNE_DI_PREFIX) :].strip()
    return key


class ComuneIndex:
    """Find a comune from what a user typed.

    :meth:`lookup` is an exact match on :func:`normalise` (an optional leading "Comune di" is
    ignored); :meth:`suggest` offers close spellings. If two comuni normalise to the same key,
    the first one wins.
    """

    _SUGGEST_CUTOFF = 0.75
    _MIN_PREFIX = 3

    def __init__(self, comuni: Iterable[Comune]) -> None:
        self._by_key: dict[str, Comune] = {}
        for comune in comuni:
            self._by_key.setdefault(normalise(comune.name), comune)
        self._keys = list(self._by_key)
        self._by_istat = {c.istat: c for c in self._by_key.values() if c.istat}

    def __len__(self) -> int:
        return len(self._by_key)

    def lookup(self, text: str) -> Comune | None:
        """The comune ``text`` names exactly (case, accents and punctuation ignored)."""
        return self._by_key.get(_lookup_key(text))

    def by_istat(self, code: str) -> Comune | None:
        """The comune with this ISTAT code."""
        return self._by_istat.get(code)

    def suggest(self, text: str, limit: int = 3) -> list[Comune]:
        """Comuni whose name is close to ``text``, best first, at most ``limit``.

        An exact match (if any) comes first; then names starting with what was typed, when
        there are no more than ``limit`` of them (``"pinero"`` -> Pinerolo, ``"caselle"`` ->
        Caselle Torinese); then close misspellings (``difflib``, cutoff 0.75). No comune is
        listed twice.
        """
        if limit <= 0:
            return []
        key = _lookup_key(text)
        if not key:
            return []
        ordered: list[str] = []
        if key in self._by_key:
            ordered.append(key)
        if len(key) >= self._MIN_PREFIX:
            prefixed = [k for k in self._keys if k.startswith(key) and k != key]
            if len(prefixed) <= limit:
                ordered.extend(sorted(prefixed, key=lambda k: (len(k), k)))
        ordered.extend(
            difflib.get_close_matches(key, self._keys, n=limit + 1, cutoff=self._SUGGEST_CUTOFF)
        )
        seen: set[str] = set()
        result: list[Comune] = []
        for k in ordered:
            if k not in seen:
                seen.add(k)
                result.append(self._by_key[k])
        return result[:limit]


# --------------------------------------------------------------------------------------------
# Bundled data
# --------------------------------------------------------------------------------------------


@functools.cache
def _bundled() -> tuple[Comune, ...]:
    text = (
        resources.files("config")
        .joinpath("data", "comuni_zone_torino.csv")
        .read_text(encoding="utf-8-sig")
    )
    comuni: list[Comune] = []
    for row in csv.DictReader(io.StringIO(text)):
        zone_text = (row.get("zona") or "").strip()
        istat = (row.get("istat") or "").strip()
        comuni.append(
            Comune(
                name=row["nome"].strip(),
                zone=int(zone_text) if zone_text else None,
                istat=istat or None,
                source=(row.get("fonte") or "").strip(),
            )
        )
    return tuple(comuni)


def bundled_comuni() -> list[Comune]:
    """The 312 comuni shipped in ``config/data/comuni_zone_torino.csv``.

    Read as package data of the ``config`` package. An empty ``zona`` gives ``zone=None``;
    ``source`` is the ``fonte`` column. Returns a new list on every call.
    """
    return list(_bundled())


# --------------------------------------------------------------------------------------------
# Zones written by people: numbers, roman numerals, names
# --------------------------------------------------------------------------------------------

_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
    "xi": 11,
    "xii": 12,
    "xiii": 13,
    "xiv": 14,
    "xv": 15,
}
_PLAIN_NUMBER_RE = re.compile(r"\d+(?:[.,]0*)?")
# after normalise(): "zona omogenea n 5 pinerolese", "zona v", "zone 5", "z5", "5 pinerolese"
_NUMBERED_ZONE_RE = re.compile(
    r"(?:(?:zona|zone|z)\s*(?:omogenea\s*)?)?(?:(?:n|nr|num|numero)\s*°?\s*)?"
    r"(\d+|[ivx]+)\b\W*(.*)"
)
_ZONE_PREFIX_RE = re.compile(r"^(?:zona|zone)\s+(?:omogenea\s+)?")
_NAME_PARTS_RE = re.compile(r"\s*[-\u2010-\u2014/]\s*")


class BadZone(ValueError):
    """A zone that cannot be read; ``number`` is set when it is a number not configured."""

    def __init__(self, message: str, number: int | None = None) -> None:
        super().__init__(message)
        self.number = number


class ZoneParser:
    """Reads a zone written as ``5``, ``5.0``, ``Zona 5``, ``zona5``, ``Z5``, ``ZONA OMOGENEA
    5``, ``V``, ``Zona V``, ``5 - Pinerolese`` or a zone name (``Pinerolese``, ``Zona
    Pinerolese``; for a name in two parts, ``Chierese-Carmagnolese``, each part alone too),
    case, accents and punctuation ignored (:func:`normalise`)."""

    def __init__(self, zones: Mapping[int, str]) -> None:
        self._zones = zones
        self._by_name: dict[str, int] = {}
        for number, name in zones.items():
            self._by_name.setdefault(normalise(name), number)
        parts: dict[str, set[int]] = {}
        for number, name in zones.items():
            pieces = [normalise(p) for p in _NAME_PARTS_RE.split(name)]
            if len(pieces) > 1:
                for piece in pieces:
                    if piece:
                        parts.setdefault(piece, set()).add(number)
        for piece, numbers in parts.items():
            if len(numbers) == 1:  # a part shared by two zones names neither
                self._by_name.setdefault(piece, next(iter(numbers)))
        self.description = describe_numbers(sorted(zones))

    def by_name(self, key: str) -> int | None:
        """The zone whose name (or part of it) is ``key``, a :func:`normalise` d text."""
        key = key.strip(" ()[]:")
        if key in self._by_name:
            return self._by_name[key]
        short = _ZONE_PREFIX_RE.sub("", key)
        return self._by_name.get(short)

    def parse(self, raw: str) -> int | None:
        """The zone number in ``raw``; ``None`` when it is empty; raise :class:`BadZone`."""
        text = raw.strip()
        if not text:
            return None
        number: int | None = None
        if _PLAIN_NUMBER_RE.fullmatch(text):
            number = int(re.split(r"[.,]", text)[0])
        else:
            key = normalise(text)
            by_name = self.by_name(key)
            if by_name is not None:
                return by_name
            match = _NUMBERED_ZONE_RE.fullmatch(key)
            if match is None:
                raise BadZone(f"zones are {self.description}, or their names")
            token, rest = match.group(1), match.group(2).strip()
            number = int(token) if token.isdigit() else _ROMAN.get(token)
            if number is None:
                raise BadZone(f"zones are {self.description}, or their names")
            if rest:
                # "5 - Pinerolese": the name, if it is one, must agree with the number
                named = self.by_name(rest)
                if named is not None and named != number:
                    raise BadZone(
                        f"zone {number} is {self._zones.get(number, 'unknown')!r}, "
                        f"but the name is that of zone {named}"
                    )
        if number not in self._zones:
            raise BadZone(f"zones are {self.description}", number)
        return number


def describe_numbers(numbers: Sequence[int], dash: str = "-") -> str:
    """``1-11`` for a run of three or more, else ``1, 2, 5``."""
    if not numbers:
        return "(none configured)"
    if list(numbers) == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2:
        return f"{numbers[0]}{dash}{numbers[-1]}"
    return ", ".join(str(n) for n in numbers)


@dataclass(frozen=True)
class OutOfRange:
    """A zone number that is not one of the configured zones (``Zona 12``)."""

    number: int
    zones: tuple[int, ...]  # the configured zone numbers


_BARE_NUMBER_MAX_DIGITS = 2  # "10064" is a postcode, not a zone


def parse_zone_answer(text: str, zones: Mapping[int, str]) -> int | OutOfRange | None:
    """What a participant typed at the zone step, read as a zone.

    ``zones`` maps the configured numbers to their names. Returns the zone number for
    ``5``, ``Zona 5``, ``zona5``, ``V``, ``Zona V``, ``Pinerolese``, ``pinerolese``, ``Zona
    Pinerolese``, ``5 · Pinerolese`` (what :class:`ZoneParser` reads), and for the start of
    exactly one zone's name (or part of it) in whole words (``Valli di Susa``, ``Canavese``); an
    :class:`OutOfRange` for a number that is no zone (``Zona 12``, ``0``, ``XII``); ``None``
    for anything else (a comune, a postcode, a name that fits several zones: ``Valli``).
    """
    stripped = text.strip()
    if len(stripped) > 60:
        return None
    if stripped.isdigit() and len(stripped) > _BARE_NUMBER_MAX_DIGITS:
        return None
    parser = ZoneParser(zones)
    try:
        number = parser.parse(stripped)
    except BadZone as exc:
        if exc.number is not None:
            return OutOfRange(exc.number, tuple(sorted(zones)))
        number = None
    if number is not None:
        return number
    key = _ZONE_PREFIX_RE.sub("", normalise(stripped))
    if len(key) < 4:
        return None
    starting = {
        number
        for number, name in zones.items()
        for piece in [name, *_NAME_PARTS_RE.split(name)]
        if f"{normalise(piece)} ".startswith(f"{key} ")
    }
    return starting.pop() if len(starting) == 1 else None


# --------------------------------------------------------------------------------------------
# A newer bundled file
# --------------------------------------------------------------------------------------------


def refresh_from_bundled(stored: Sequence[Comune], bundled: Sequence[Comune]) -> list[Comune]:
    """The stored comuni that take the bundled file's data, updated (the others are kept).

    A stored comune is still the bundled file's, and so follows a newer file, when its zone
    is unverified (``None``: an import always sets a zone) or its source is the one the
    bundled file gives for it; a zone an organiser imported (source: the imported file's
    name) is never overwritten. Comuni are matched by :func:`normalise` of the name; stored
    comuni the file does not have (added by an import) and bundled comuni no longer stored
    (removed by ``--replace``) are left alone. Returns only the comuni that change.
    """
    by_key = {normalise(c.name): c for c in bundled}
    changed: list[Comune] = []
    for comune in stored:
        newer = by_key.get(normalise(comune.name))
        if newer is None or newer == comune:
            continue
        if comune.zone is None or comune.source == newer.source:
            changed.append(newer)
    return changed
