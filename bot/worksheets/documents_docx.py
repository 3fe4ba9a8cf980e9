"""The synthesis as a Word document (python-docx) the regia edits before the plenary.

Title and event; **Method** (zones, registrants and in person, respondents, contributions);
**Priorities** (the session-1 heatmap, as the polls draw it, and the best strategies overall);
**one section per strategy** (Heading 2: its title; its zones; a Heading 3 per section with
the networks two or more zones named first, in bold, then the items, each with its zone);
**Questions from the plenary** (when the event received any: the figures, then per window
the answered and not reached ones by support, then the merged, hidden and not moderated ones
with their fate);
**one annex per zone** (its worksheets, its report's state and texts, its contributions).
Built-in styles only (Title, Heading 1-3, List Bullet), so the regia restyles it at will.
"""

from __future__ import annotations

import io
from typing import Any

from bot.worksheets.documents_text import DocumentInput, DocumentText
from bot.worksheets.synthesis import SectionPart, StrategyPart, SynthesisView, ZoneAnnex

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _strategy(doc: Any, text: DocumentText, view: SynthesisView, part: StrategyPart) -> None:
    doc.add_heading(text.strategy(part.strategy), level=2)
    zones = ", ".join(text.zone(z) for z in part.zones)
    doc.add_paragraph(text("zones", zones=zones))
    shown = [section for section in part.sections if not section.empty]
    if not shown:
        doc.add_paragraph(text("nothing_yet"))
    for section in shown:
        _section(doc, text, view, section)


def _section(doc: Any, text: DocumentText, view: SynthesisView, part: SectionPart) -> None:
    doc.add_heading(text.section(view, part.section), level=3)
    for shared in part.shared:
        paragraph = doc.add_paragraph(style="List Bullet")
        paragraph.add_run(shared.name).bold = True
        paragraph.add_run(" — " + text("shared", zones=text.zones(shared.zones)))
    for item in part.items:
        doc.add_paragraph(text.item(item), style="List Bullet")


def _questions(doc: Any, text: DocumentText, view: SynthesisView) -> None:
    record = view.questions
    if record is None or text.questions is None or not record.entries:
        return  # an event that received no question has no such section
    doc.add_heading(text.question_words("heading"), level=1)
    doc.add_paragraph(text.question_words("intro"))
    doc.add_paragraph(text.questions_summary(record))
    for window in record.windows:
        if not window.entries:
            continue
        doc.add_heading(text.window(window), level=2)
        for key, entries in (("main", window.main), ("others", window.others)):
            if not entries:
                continue
            doc.add_heading(text.question_words(key), level=3)
            for entry in entries:
                doc.add_paragraph(text.question(entry), style="List Bullet")


def _annex(doc: Any, text: DocumentText, view: SynthesisView, annex: ZoneAnnex) -> None:
    doc.add_heading(text("annex", zone=text.zone(annex.zone)), level=1)
    doc.add_heading(text("annex_sheets"), level=3)
    for strategy in annex.strategies:
        doc.add_paragraph(text.strategy(strategy), style="List Bullet")
    doc.add_heading(text("annex_report"), level=3)
    doc.add_paragraph(text.annex_state(annex))
    current = None
    for strategy, section, body in annex.report_texts:
        if strategy != current:
            current = strategy
            paragraph = doc.add_paragraph()
            paragraph.add_run(text.strategy(strategy)).bold = True
        paragraph = doc.add_paragraph()
        paragraph.add_run(text.section(view, section) + ": ").italic = True
        paragraph.add_run(body)
    doc.add_paragraph(
        text("annex_counts", contributions=annex.contributions, contributors=annex.contributors)
    )


def synthesis_docx(given: DocumentInput, text: DocumentText) -> bytes:
    """The Word document of the synthesis."""
    view = given.view
    from docx import Document  # only when a document is made (not at start-up)
    from docx.shared import Cm

    doc = Document()
    doc.core_properties.title = text("title")
    doc.core_properties.language = given.language
    doc.add_heading(text("title"), level=0)
    doc.add_paragraph(f"{text.event_title(view)} — {text.event_date(view)}")
    doc.add_heading(text("method"), level=1)
    doc.add_paragraph(text.method(view))
    doc.add_heading(text("priorities"), level=1)
    if given.heatmap is not None:
        doc.add_picture(io.BytesIO(given.heatmap), width=Cm(16))
        doc.add_paragraph(text("heatmap_caption"))
    priorities = text.priorities(view)
    if priorities:
        doc.add_paragraph(text("top"))
        for line in priorities:
            doc.add_paragraph(line, style="List Bullet")
    else:
        doc.add_paragraph(text("no_polls"))
    doc.add_heading(text("strategies"), level=1)
    if not view.strategies:
        doc.add_paragraph(text("no_strategies"))
    for part in view.strategies:
        _strategy(doc, text, view, part)
    _questions(doc, text, view)
    for annex in view.annexes:
        _annex(doc, text, view, annex)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
