"""Session 2 at the tables in the event file: the worksheets' sections, the contribution
sessions, the report deadline (``events[].worksheets``)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from config.event.values import SLUG, Duration, LocalText, Model, Text, clock_time


class Section(Model):
    """A section of a session-2 worksheet: what the table is asked to work out."""

    id: str = Field(pattern=SLUG)
    title: Text
    hint: Text | None = None


def _text(it: str, en: str) -> LocalText:
    return LocalText(it=it, en=en)


def default_sections() -> list[Section]:
    """The bundled sections (seed of 5 December 2023, session 2)."""
    return [
        Section(
            id="declinazione",
            title=_text(
                "Declinazione locale / azioni proposte", "Local application / proposed actions"
            ),
            hint=_text(
                "Come si applica la strategia al territorio della Zona, con quali azioni",
                "How the strategy applies to the zone's territory, with which actions",
            ),
        ),
        Section(
            id="progetti",
            title=_text("Progetti e programmi in essere", "Existing projects and programmes"),
            hint=_text(
                "Progetti, programmi, finanziamenti già attivi su cui appoggiarsi",
                "Projects, programmes and funding already under way to build on",
            ),
        ),
        Section(
            id="attori",
            title=_text(
                "Reti di attori (già attivi o attivabili)",
                "Networks of actors (active or to be involved)",
            ),
            hint=_text(
                "Enti, associazioni, imprese, reti già attivi o da coinvolgere",
                "Bodies, associations, businesses, networks active or to involve",
            ),
        ),
        Section(
            id="abilitanti",
            title=_text("Fattori abilitanti", "Enabling factors"),
            hint=_text(
                "Cosa renderebbe più facile realizzare la strategia",
                "What would make the strategy easier to carry out",
            ),
        ),
        Section(
            id="precondizioni",
            title=_text("Precondizioni", "Preconditions"),
            hint=_text(
                "Cosa deve esserci prima perché la strategia sia realizzabile",
                "What must be in place first for the strategy to be feasible",
            ),
        ),
    ]


class Worksheets(Model):
    """Session 2 at the tables: the worksheets, the contribution sessions and the reports.

    When a zone's priority poll closes, its ``top`` strategies become the zone's worksheets;
    each has ``sections`` (by default the bundled five). ``sessions`` are the agenda ids of
    the contribution sessions (table sessions; contributions are open from the start of
    the first to the end of the last). ``online``: online registrants of the zone may
    contribute too. ``report_deadline``: local time of the event day by which facilitators
    submit their report (by default the end of the last session); ``report_reminder``: how
    long before it the zones that have not submitted are reminded.
    """

    top: int = Field(default=3, ge=1, le=10)
    sections: list[Section] = Field(default_factory=default_sections, min_length=1, max_length=8)
    sessions: list[str] = Field(min_length=1)
    online: bool = True
    report_deadline: dt.time | None = None
    report_reminder: Duration = dt.timedelta(minutes=10)

    @field_validator("report_deadline", mode="before")
    @classmethod
    def _parse_deadline(cls, value: object) -> object:
        return clock_time(value)

    def section(self, section_id: str) -> Section | None:
        """The section with this id, if any."""
        for section in self.sections:
            if section.id == section_id:
                return section
        return None
