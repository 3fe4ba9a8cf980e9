"""The zone and mode questions, shared by registering and by changing a registration.

The zone is a keyboard of the zones, or typed: a comune to look up (its zone, or just the
zones an unverified comune can be in, or close spellings), or a zone itself (``5``,
``Zona V``, ``Pinerolese``: :func:`bot.registration.comuni.parse_zone_answer`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from bot.kernel.format import venue_text, zone_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.replies import Button, Keyboard, Message
from bot.registration.comuni import (
    Comune,
    ComuneIndex,
    OutOfRange,
    describe_numbers,
    parse_zone_answer,
)
from config.event import AttendanceMode, Event, EventConfig

TYPED_MAX = 60  # what is looked up of a typed comune
ButtonMaker = Callable[[str, str, str], Button]  # (label, action, value): Talk.button


@dataclass
class ZoneFields:
    """What the zone question keeps between its messages (part of a flow's data)."""

    zone: int | None = None
    zone_only: list[int] | None = None  # an unverified comune: just the zones it can be in
    zone_lead: str | None = None  # the question's text after a typed answer (HTML)
    zone_extra: list[list[str]] | None = None  # more buttons first: [label, action, value]

    def clear_zone_hints(self) -> None:
        """Forget what the last typed answer changed in the question."""
        self.zone_only = self.zone_lead = self.zone_extra = None


class ZoneAnswer(enum.Enum):
    """What a zone answer did."""

    TAKEN = "taken"  # the zone is set
    ASK_AGAIN = "ask_again"  # the question changes (found comune, suggestions, out of range)


class ZoneQuestion:
    """Asks for the zone and reads the answer."""

    def __init__(
        self, config: EventConfig, catalog: Catalog, comuni: Callable[[], ComuneIndex]
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.comuni = comuni  # the current index (an import replaces it)

    def message(self, data: ZoneFields, language: str, button: ButtonMaker) -> Message:
        """The zone question, as the last answer left it."""
        text = Raw(data.zone_lead) if data.zone_lead else self.catalog(language, "zone.ask")
        only = data.zone_only or [z.number for z in self.config.zones]
        buttons: Keyboard = [[button(*choice)] for choice in data.zone_extra or []]
        buttons += [
            [button(zone_label(self.config, z.number), "z", str(z.number))]
            for z in self.config.zones
            if z.number in only
        ]
        if len(only) < len(self.config.zones):
            buttons.append([button(self.catalog(language, "zone.show_all"), "za", "")])
        return Message(text, buttons)

    def on_button(
        self, data: ZoneFields, action: str, value: str, language: str
    ) -> ZoneAnswer | None:
        """A zone button (``z`` a zone, ``za`` every zone, ``cm`` a suggested comune)."""
        if action == "z":
            if not value.isdigit() or not self.config.has_zone(int(value)):
                return None
            data.zone = int(value)
            data.clear_zone_hints()
            return ZoneAnswer.TAKEN
        if action == "za":  # every zone, not just an unverified comune's
            data.clear_zone_hints()
            return ZoneAnswer.ASK_AGAIN
        if action == "cm":
            comune = self.comuni().by_istat(value)
            if comune is None:
                return None
            return self._comune(data, comune, language)
        return None

    def on_text(self, data: ZoneFields, typed: str, language: str) -> ZoneAnswer:
        """A typed comune or zone."""
        t = self.catalog
        data.clear_zone_hints()
        comune = self.comuni().lookup(typed) if len(typed) <= TYPED_MAX else None
        if comune is not None:
            return self._comune(data, comune, language)
        names = {z.number: z.name for z in self.config.zones}
        answer = parse_zone_answer(typed, names)
        if isinstance(answer, OutOfRange):
            zones = describe_numbers(answer.zones, dash="–")
            data.zone_lead = t(language, "zone.out_of_range", number=answer.number, zones=zones)
            return ZoneAnswer.ASK_AGAIN
        if answer is not None:
            data.zone = answer
            return ZoneAnswer.TAKEN
        suggestions = [c for c in self.comuni().suggest(typed[:TYPED_MAX]) if c.istat]
        if suggestions:
            data.zone_lead = t(language, "zone.comune_suggest", typed=typed[:TYPED_MAX])
            data.zone_extra = [[c.name, "cm", c.istat or ""] for c in suggestions]
        else:
            data.zone_lead = t(language, "zone.comune_unknown", typed=typed[:TYPED_MAX])
        return ZoneAnswer.ASK_AGAIN

    def _comune(self, data: ZoneFields, comune: Comune, language: str) -> ZoneAnswer:
        t = self.catalog
        data.clear_zone_hints()
        candidates = [z for z in comune.candidate_zones if self.config.has_zone(z)]
        if comune.zone is not None and self.config.has_zone(comune.zone):
            zone = zone_label(self.config, comune.zone)
            data.zone_lead = t(language, "zone.comune_found", comune=comune.name, zone=zone)
            data.zone_extra = [[t(language, "zone.pick_found", zone=zone), "z", str(comune.zone)]]
        elif candidates:  # unverified: only the zones it can be in
            data.zone_only = candidates
            data.zone_lead = t(language, "zone.comune_candidates", comune=comune.name)
        else:
            data.zone_lead = t(language, "zone.comune_unmapped", comune=comune.name)
        return ZoneAnswer.ASK_AGAIN


def mode_message(
    config: EventConfig,
    catalog: Catalog,
    event: Event,
    zone: int,
    language: str,
    button: ButtonMaker,
) -> Message:
    """In person at the zone's venue, or online for the hybrid plenaries?"""
    venue = config.venue_for(event, zone)
    buttons: Keyboard = []
    for mode in event.modes:
        if mode is AttendanceMode.IN_PERSON:
            label = catalog(language, "mode.in_person", venue=venue.name)
        else:
            label = catalog(language, "mode.online")
        buttons.append([button(label, "md", mode.value)])
    return Message(catalog(language, "mode.ask", venue=venue_text(venue)), buttons)
