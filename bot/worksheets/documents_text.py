"""What the synthesis documents say, in plain text (no HTML): the catalog's ``regia.doc_*``
messages unescaped, strategy, section and zone titles, figures, percentages. Shared by the
Word document (:mod:`bot.worksheets.documents_docx`) and the slides
(:mod:`bot.worksheets.documents_pptx`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.kernel.format import date_text, zone_label
from bot.kernel.i18n import Catalog
from bot.polls.texts import percent
from bot.questions.record import Entry, QuestionRecord, RecordText, WindowRecord, plain
from bot.worksheets.service import WorksheetService
from bot.worksheets.synthesis import Item, SynthesisView, ZoneAnnex
from storage.worksheet_reports import NOTE

TOP_PRIORITIES = 10  # strategies listed under the heatmap


@dataclass(frozen=True)
class DocumentInput:
    """A synthesis to write: the view, its heatmap (PNG, None without poll data), language."""

    view: SynthesisView
    heatmap: bytes | None
    language: str


class DocumentText:
    """The documents' texts in one language."""

    def __init__(
        self,
        catalog: Catalog,
        worksheets: WorksheetService,
        language: str,
        questions: RecordText | None = None,
    ) -> None:
        self.catalog = catalog
        self.worksheets = worksheets
        self.language = language
        self.config = worksheets.config
        self.questions = questions  # the words of the plenary's questions

    def __call__(self, key: str, /, **params: object) -> str:
        """A ``regia.doc_<key>`` message as plain text."""
        return html.unescape(str(self.catalog(self.language, f"regia.doc_{key}", **params)))

    def event_title(self, view: SynthesisView) -> str:
        """The event's title."""
        return view.event.title.get(self.language)

    def event_date(self, view: SynthesisView) -> str:
        """The event's date in words."""
        return html.unescape(date_text(self.catalog, self.language, view.event.date))

    def strategy(self, strategy: str) -> str:
        """A strategy's title."""
        return self.worksheets.strategy_title(strategy, self.language)

    def section(self, view: SynthesisView, section: str) -> str:
        """A section's title (``NOTE``: the free note)."""
        if section == NOTE:
            return self("note")
        return self.worksheets.section_title(view.event, section, self.language)

    def zone(self, zone: int) -> str:
        """``5 · Pinerolese``."""
        return zone_label(self.config, zone) if self.config.has_zone(zone) else str(zone)

    @staticmethod
    def zones(zones: tuple[int, ...]) -> str:
        """``Z1, Z5``."""
        return ", ".join(f"Z{zone}" for zone in zones)

    def item(self, item: Item) -> str:
        """An item with its zone: ``text (Z5)``, a star for a key point."""
        text = item.text
        if item.photo:
            text = f"{self('photo')} {text}".strip()
        star = "★ " if item.starred else ""
        return f"{star}{text} (Z{item.zone})"

    def method(self, view: SynthesisView) -> str:
        """The method paragraph."""
        figures = view.figures
        return self(
            "method_text",
            zones=figures.zones,
            total=len(self.config.zones),
            registered=figures.registered,
            in_person=figures.in_person,
            respondents=figures.respondents,
            contributions=figures.contributions,
            contributors=figures.contributors,
        )

    def priorities(self, view: SynthesisView) -> list[str]:
        """``1. Title — 23,4%`` for the best strategies overall."""
        return [
            f"{rank}. {self.strategy(key)} — {percent(share)}"
            for rank, (key, share) in enumerate(view.polls.overall[:TOP_PRIORITIES], start=1)
            if share > 0
        ]

    def annex_state(self, annex: ZoneAnnex) -> str:
        """The report's state in words."""
        if annex.report_status is None:
            return self("report_none")
        if annex.report_status == "submitted" and annex.submitted_at is not None:
            return self("report_submitted", time=self.worksheets.local_time(annex.submitted_at))
        return self("report_draft")

    # --- the plenary's questions (issue 15) -----------------------------------------------
    def question_words(self, key: str) -> str:
        """The questions' section's fixed words: ``heading``, ``intro``, ``main``, ``others``."""
        keys = {
            "heading": self.catalog(self.language, "record.doc_heading"),
            "intro": self.catalog(self.language, "record.doc_intro"),
            "main": self.catalog(self.language, "record.doc_main"),
            "others": self.catalog(self.language, "record.doc_others"),
        }
        return plain(keys[key])

    def questions_summary(self, record: QuestionRecord) -> str:
        """``Questions: 14 · answered: 6 · ...``."""
        assert self.questions is not None
        return plain(self.questions.summary(record, self.language))

    def window(self, window: WindowRecord) -> str:
        """A question window's title and times."""
        assert self.questions is not None
        return self.questions.window_title(window, self.language)

    def slide_title(self, window: WindowRecord) -> str:
        """``Domande: <window>``."""
        return plain(
            self.catalog(self.language, "record.doc_slide_title", title=self.window(window))
        )

    def question(self, entry: Entry, *, short: bool = False) -> str:
        """``#12 «text» — 3 supports · in person · anonymous · answered at 9:38`` (``short``:
        the supports and the fate only, for a slide)."""
        words = self.questions
        assert words is not None
        text = words.text(entry, self.language, public=False)
        quoted = text if entry.withheld(public=False) else f"«{text}»"
        details = words.details(entry, self.language)
        if short:
            supports = words.t(self.language, "record.supports", count=entry.question.supports)
            details = f"{plain(supports)} · {words.fate(entry, self.language)}"
        return plain(
            self.catalog(
                self.language, "record.doc_line", id=entry.id, text=quoted, details=details
            )
        )

    def more_questions(self, count: int) -> str:
        """``… and 4 more questions in the notes``."""
        return plain(self.catalog(self.language, "record.doc_more_in_notes", count=count))
