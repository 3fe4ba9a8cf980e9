"""The cross-zone synthesis of session 2, as data: what ``/sintesi``, the Word document and
the slides show (each in its own module, in the reader's language).

- **Strategies**: every strategy that is some zone's (active) worksheet, most zones first,
  then by the session-1 ranking overall, then in the event file's order.
- **Items** of a strategy, by section, across its zones, each with its zone: where the zone
  **submitted** its report and wrote a text for that worksheet and section, that text (its
  lines); otherwise the zone's visible contributions (starred first, then oldest first;
  hidden, withdrawn and merged-away ones never). A draft report is not used: the
  facilitator has not said it is ready. A photo counts with its caption (or as a photo).
- **Networks first**: in the network sections (:data:`bot.worksheets.matching.NETWORK_SECTIONS`)
  the items are read as names; the names two or more zones gave (matching ignores case,
  accents and punctuation) come first, with their zones, then the others (a name from a
  starred item keeps its star).
- **Annexes**: per zone, its worksheets, its report's texts and state, its contributions.
- **Method**: the zones with worksheets, confirmed registrants (and in person),
  respondents to the priority polls, contributions and contributors.
- **Questions from the plenary** (issue 15): the record of the event's questions with their
  fates (:mod:`bot.questions.record`), when the event takes questions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.polls.results import Synthesis
from bot.polls.service import PollService
from bot.questions.record import QuestionRecord, RecordBuilder
from bot.worksheets.matching import (
    NETWORK_SECTIONS,
    Named,
    SharedName,
    names,
    normalise,
    shared_names,
)
from bot.worksheets.service import WorksheetService
from config.event import Event
from storage.worksheet_reports import NOTE, Report
from storage.worksheets import Contribution, Worksheet


@dataclass(frozen=True)
class Item:
    """One point of a section, from one zone."""

    zone: int
    text: str
    starred: bool = False
    source: str = "participant"  # "participant", "facilitator" or "report"
    photo: bool = False


@dataclass(frozen=True)
class SectionPart:
    """A section of a strategy across its zones: shared names first, then the items."""

    section: str
    shared: tuple[SharedName, ...]
    items: tuple[Item, ...]

    @property
    def empty(self) -> bool:
        """Nothing to show."""
        return not self.shared and not self.items


@dataclass(frozen=True)
class StrategyPart:
    """A strategy: the zones that work on it and what they said, section by section."""

    strategy: str
    zones: tuple[int, ...]
    sections: tuple[SectionPart, ...]


@dataclass(frozen=True)
class ZoneAnnex:
    """One zone's work: worksheets, report, contributions."""

    zone: int
    strategies: tuple[str, ...]
    report_status: str | None  # None, "draft", "submitted"
    submitted_at: dt.datetime | None
    report_texts: tuple[tuple[str, str, str], ...]  # (strategy, section or NOTE, text)
    contributions: int
    contributors: int


@dataclass(frozen=True)
class Figures:
    """The method's numbers."""

    zones: int  # zones with worksheets
    registered: int  # confirmed registrants of the event
    in_person: int
    respondents: int  # to the priority polls, Telegram + by hand
    contributions: int  # visible ones
    contributors: int


@dataclass(frozen=True)
class SynthesisView:
    """Everything the synthesis shows, language-free (titles are looked up when shown)."""

    event: Event
    polls: Synthesis
    strategies: tuple[StrategyPart, ...]
    annexes: tuple[ZoneAnnex, ...]
    figures: Figures
    sections: tuple[str, ...] = field(default_factory=tuple)
    questions: QuestionRecord | None = None  # None: the event takes no questions


def _from_report(report: Report | None, worksheet: Worksheet, section: str) -> list[Item] | None:
    """The report's text for this worksheet and section as items (None: use contributions)."""
    if report is None or not report.submitted:
        return None
    text = report.texts.get((worksheet.id, section), "").strip()
    if not text:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [Item(worksheet.zone, line, source="report") for line in lines]


def _from_contributions(items: list[Contribution], zone: int, section: str) -> list[Item]:
    found = (c for c in items if c.visible and c.section == section)
    visible = sorted(found, key=lambda c: (not c.starred, c.id))
    return [
        Item(zone, c.text.strip(), c.starred, c.origin, c.kind == "photo")
        for c in visible
        if c.text.strip() or c.kind == "photo"
    ]


def _section_part(section: str, items: list[Item]) -> SectionPart:
    if section not in NETWORK_SECTIONS:
        return SectionPart(section, (), tuple(items))
    named = [
        Named(item.zone, name) for item in items if not item.photo for name in names(item.text)
    ]
    shared, alone = shared_names(named)
    photos = [item for item in items if item.photo]
    # a facilitator's key point stays one when read as names (its star is kept)
    starred = {
        (item.zone, normalise(name))
        for item in items
        if item.starred and not item.photo
        for name in names(item.text)
    }
    rest = [Item(n.zone, n.name, (n.zone, normalise(n.name)) in starred) for n in alone]
    return SectionPart(section, tuple(shared), tuple(rest + photos))


class SynthesisBuilder:
    """Reads the worksheets, contributions, reports and polls of an event into a view."""

    def __init__(
        self, worksheets: WorksheetService, polls: PollService, record: RecordBuilder | None = None
    ) -> None:
        self.worksheets = worksheets
        self.polls = polls
        self.store = worksheets.store
        self.record = record  # the plenary's questions (None: not shown)

    async def build(self, event: Event) -> SynthesisView:
        """The synthesis of ``event`` as it stands now."""
        synthesis, _ = await self.polls.synthesis(event.id)
        sheets = await self.worksheets.all_worksheets(event)
        all_ids = [w.id for zone_sheets in sheets.values() for w in zone_sheets]
        contributions = await self.store.items(all_ids)
        by_sheet: dict[int, list[Contribution]] = {}
        for item in contributions:
            by_sheet.setdefault(item.worksheet_id, []).append(item)
        reports = await self.store.reports(event.id)
        sections = tuple(s.id for s in self.worksheets.sections(event))
        strategies = self._strategies(sheets, synthesis)
        parts = []
        for strategy in strategies:
            zone_sheets = [
                w for zone in sorted(sheets) for w in sheets[zone] if w.strategy == strategy
            ]
            section_parts = []
            for section in sections:
                items: list[Item] = []
                for sheet in zone_sheets:
                    found = _from_report(reports.get(sheet.zone), sheet, section)
                    if found is None:
                        found = _from_contributions(by_sheet.get(sheet.id, []), sheet.zone, section)
                    items.extend(found)
                section_parts.append(_section_part(section, items))
            parts.append(
                StrategyPart(strategy, tuple(w.zone for w in zone_sheets), tuple(section_parts))
            )
        annexes = [
            self._annex(zone, sheets[zone], reports.get(zone), by_sheet, sections)
            for zone in sorted(sheets)
            if sheets[zone]
        ]
        registered = await self.polls.store.recipients(event.id)
        visible = [c for c in contributions if c.visible]
        figures = Figures(
            zones=len(annexes),
            registered=len(registered),
            in_person=sum(1 for r in registered if r.mode == "in_person"),
            respondents=sum(synthesis.respondents.values()),
            contributions=len(visible),
            contributors=len({c.registration_id for c in visible if c.registration_id}),
        )
        questions = None
        if self.record is not None and self.record.config.question_windows(event):
            questions = await self.record.build(event, self.worksheets.clock.now())
        return SynthesisView(
            event, synthesis, tuple(parts), tuple(annexes), figures, sections, questions
        )

    def _strategies(self, sheets: dict[int, list[Worksheet]], synthesis: Synthesis) -> list[str]:
        zones_of: dict[str, set[int]] = {}
        for zone, zone_sheets in sheets.items():
            for sheet in zone_sheets:
                zones_of.setdefault(sheet.strategy, set()).add(zone)
        ranked = {key: index for index, (key, _) in enumerate(synthesis.overall)}
        order = {key: index for index, key in enumerate(self.worksheets.strategies())}
        return sorted(
            zones_of,
            key=lambda s: (
                -len(zones_of[s]),
                ranked.get(s, len(ranked)),
                order.get(s, len(order)),
                s,
            ),
        )

    @staticmethod
    def _annex(
        zone: int,
        sheets: list[Worksheet],
        report: Report | None,
        by_sheet: dict[int, list[Contribution]],
        sections: tuple[str, ...],
    ) -> ZoneAnnex:
        place = {section: index for index, section in enumerate(sections)}
        texts: list[tuple[str, str, str]] = []
        if report is not None:
            for sheet in sheets:
                keyed = [(s, t) for (w, s), t in report.texts.items() if w == sheet.id]
                keyed.sort(key=lambda pair: (pair[0] == NOTE, place.get(pair[0], len(place))))
                texts.extend((sheet.strategy, section, text) for section, text in keyed)
        visible = [c for sheet in sheets for c in by_sheet.get(sheet.id, []) if c.visible]
        return ZoneAnnex(
            zone=zone,
            strategies=tuple(w.strategy for w in sheets),
            report_status=report.status if report else None,
            submitted_at=report.submitted_at if report else None,
            report_texts=tuple(texts),
            contributions=len(visible),
            contributors=len({c.registration_id for c in visible if c.registration_id}),
        )
