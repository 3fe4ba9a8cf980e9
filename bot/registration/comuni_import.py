"""Importing the comune -> zone mapping: the rows of an import file merged into the mapping.

Pure logic: no Telegram, no SQL, no environment. :func:`apply_mapping` merges the rows
:func:`bot.registration.comuni_files.read_mapping_file` read into the current mapping and
produces a report for the organiser (:class:`MappingChange`); names that are no comune of
the list are refused (:class:`UnknownComuniError`) unless new ones are allowed. It takes time
in proportion to the file (dictionary look-ups, and close-spelling suggestions only for the
few names a report shows).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.registration.comuni import Comune, ComuneIndex, normalise
from bot.registration.comuni_files import ComuniFileError, MappingRow

_LIST_LIMIT = 20


def _plural(count: int, singular: str = "comune", plural: str = "comuni") -> str:
    return f"{count} {singular if count == 1 else plural}"


def _enumerate(items: Sequence[str], limit: int = _LIST_LIMIT) -> str:
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f", ... and {len(items) - limit} more"
    return shown


@dataclass(frozen=True)
class MappingChange:
    """What :func:`apply_mapping` changed."""

    added: list[Comune]  # names not known before
    changed: list[tuple[Comune, Comune]]  # (before, after): zone changed or was None
    unchanged: int
    removed: list[Comune]  # only in replace mode: known before, absent from the file
    unknown_names: list[str]  # names in the file not matching a known comune (added anyway)
    # closest known official name for some unknown names, a likely misspelling in the file
    did_you_mean: dict[str, str] = field(default_factory=dict)
    # comuni in the resulting mapping that still have no zone
    still_unverified: list[Comune] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Short English report lines for the CLI."""
        lines: list[str] = []
        were_unverified = [(b, a) for b, a in self.changed if b.zone is None]
        moved = [(b, a) for b, a in self.changed if b.zone is not None]
        if were_unverified:
            lines.append(f"zone set for {_plural(len(were_unverified))} (were unverified)")
        if moved:
            details = [f"{a.name} {b.zone} -> {a.zone}" for b, a in moved]
            lines.append(f"zone changed for {len(moved)}: {_enumerate(details)}")
        if self.added:
            details = [
                f"{c.name} (zone {c.zone}, did you mean {self.did_you_mean[c.name]}?)"
                if c.name in self.did_you_mean
                else f"{c.name} (zone {c.zone})"
                for c in self.added
            ]
            lines.append(
                f"added {_plural(len(self.added), 'new comune', 'new comuni')} "
                f"not matching any known comune (check the spelling): {_enumerate(details)}"
            )
        if self.removed:
            names = [c.name for c in self.removed]
            lines.append(
                f"removed {_plural(len(self.removed))} not in the file: {_enumerate(names)}"
            )
        lines.append(f"unchanged: {self.unchanged}")
        if self.still_unverified:
            names = [c.name for c in self.still_unverified]
            lines.append(
                f"still without a zone: {_plural(len(self.still_unverified))}: {_enumerate(names)}"
            )
        return lines


class UnknownComuniError(ComuniFileError):
    """The file names comuni that are not in the mapping (and new ones were not allowed).

    ``rows`` are all of them, in file order; ``errors`` lists the first ones with their row
    numbers and the closest known name, then how many more there are.
    """

    def __init__(self, rows: Sequence[MappingRow], did_you_mean: Mapping[str, str]) -> None:
        self.rows = list(rows)
        lines = []
        for row in self.rows[:_LIST_LIMIT]:
            hint = f" (did you mean {did_you_mean[row.name]}?)" if row.name in did_you_mean else ""
            lines.append(f"row {row.line}: {row.name!r} is not a comune of the list{hint}")
        if len(self.rows) > _LIST_LIMIT:
            lines.append(f"... and {len(self.rows) - _LIST_LIMIT} more not in the list")
        super().__init__(lines)


def apply_mapping(
    current: Sequence[Comune],
    rows: Sequence[MappingRow],
    *,
    replace: bool,
    source: str,
    allow_new: bool = False,
) -> tuple[list[Comune], MappingChange]:
    """Merge the rows of an import file into the current mapping.

    * Complete mode (``replace=False``): the comuni in the file get the file's zone; the
      others are left as they are.
    * Replace mode (``replace=True``): the result is exactly the file's comuni; known comuni
      absent from the file are reported as ``removed``.

    Rows are matched to existing comuni by :func:`normalise` of the name, so spelling, case and
    accent variants ("CIRIE'") keep the official name and ISTAT code. Every comune matched by
    the file gets ``source=source`` (also when its zone did not change, since the file
    confirms it). A name matching no known comune (a misspelling, or a comune outside the
    Città Metropolitana) raises :class:`UnknownComuniError` listing them, unless
    ``allow_new``: then they are added as new comuni (no ISTAT code) and listed in
    ``unknown_names``. The closest name of the list (``did_you_mean``: among the comuni with an
    ISTAT code) is looked for only for the first names a report shows, so the time stays
    proportional to the file. The result keeps
    the order of ``current``, new comuni appended in file order. If a name occurs in several
    rows, the last row wins.
    """
    by_key: dict[str, MappingRow] = {}
    for row in rows:
        key = normalise(row.name)
        by_key.pop(key, None)  # keep file order of the last occurrence
        by_key[key] = row
    known = {normalise(comune.name) for comune in current}
    unknown = [row for key, row in by_key.items() if key not in known]
    did_you_mean: dict[str, str] = {}
    if unknown:
        index = ComuneIndex(c for c in current if c.istat)  # the list's comuni, at most 312
        for row in unknown[:_LIST_LIMIT]:
            close = [c for c in index.suggest(row.name, limit=1) if c.name != row.name]
            if close:
                did_you_mean[row.name] = close[0].name
        if not allow_new:
            raise UnknownComuniError(unknown, did_you_mean)

    result: list[Comune] = []
    changed: list[tuple[Comune, Comune]] = []
    removed: list[Comune] = []
    unchanged = 0
    matched: set[str] = set()
    for comune in current:
        key = normalise(comune.name)
        match = by_key.get(key)
        if match is None or key in matched:
            if replace:
                removed.append(comune)
            else:
                result.append(comune)
            continue
        matched.add(key)
        after = dataclasses.replace(comune, zone=match.zone, source=source)
        if comune.zone == match.zone:
            unchanged += 1
        else:
            changed.append((comune, after))
        result.append(after)

    added = [Comune(name=row.name, zone=row.zone, istat=None, source=source) for row in unknown]
    result.extend(added)
    change = MappingChange(
        added=added,
        changed=changed,
        unchanged=unchanged,
        removed=removed,
        unknown_names=[c.name for c in added],
        did_you_mean=did_you_mean,
        still_unverified=[c for c in result if c.zone is None],
    )
    return result, change
