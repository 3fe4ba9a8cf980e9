"""The synthesis as slides (python-pptx) for the closing plenary's projector.

16:9 slides: a title slide; **one slide for the priorities** (the session-1 heatmap on the
left, the best strategies overall on the right); **one slide per strategy** (its title, its
zones, then the networks two or more zones named, then the other items, starred first). On
a projector from the back of a hall: titles at :data:`TITLE_PT` (32 pt or more), bullets at
:data:`BODY_PT` (20 pt or more), at most :data:`MAX_BULLETS` bullets a slide, each cut to
:data:`BULLET_CHARS` characters; everything (full texts, every item) is in the slide's
notes, which the presenter sees. 25 strategies make 25 strategy slides. Then, when the
event takes questions, **one slide per question window** that received any: the questions
most supported first (answered and not reached), then the merged and hidden ones, each with
its supports and fate, at most 8 bullets; every question in full in the notes.
"""

from __future__ import annotations

import io
from typing import Any

from pptx import Presentation
from pptx.util import Inches, Pt

from bot.kernel.format import ellipsis
from bot.questions.record import WindowRecord
from bot.worksheets.documents_text import DocumentInput, DocumentText
from bot.worksheets.synthesis import StrategyPart, SynthesisView

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
TITLE_PT = 32
BODY_PT = 20
MAX_BULLETS = 8
BULLET_CHARS = 90
PRIORITIES_SHOWN = 6
_WIDTH, _HEIGHT = Inches(13.333), Inches(7.5)
_TITLE_ONLY = 5


def _title(slide: Any, title: str) -> None:
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = (
        Inches(0.5),
        Inches(0.3),
        _WIDTH - Inches(1),
        Inches(1.2),
    )
    frame = shape.text_frame
    frame.word_wrap = True
    frame.text = ellipsis(title, 110)
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(TITLE_PT)
            run.font.bold = True


def _bullets(slide: Any, lines: list[str], left: int, width: int) -> None:
    box = slide.shapes.add_textbox(left, Inches(1.7), width, _HEIGHT - Inches(2.1))
    frame = box.text_frame
    frame.word_wrap = True
    for index, line in enumerate(lines[:MAX_BULLETS]):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = "• " + line
        run.font.size = Pt(BODY_PT)
        paragraph.space_after = Pt(6)


def _notes(slide: Any, lines: list[str]) -> None:
    slide.notes_slide.notes_text_frame.text = "\n".join(lines)


def _strategy_lines(
    text: DocumentText, view: SynthesisView, part: StrategyPart
) -> tuple[list[str], list[str]]:
    """(the slide's bullets, the notes: everything in full)."""
    zones = text("zones", zones=", ".join(text.zone(z) for z in part.zones))
    shown = [ellipsis(zones, 200)]
    notes = [zones, ""]
    shared = [(section, s) for section in part.sections for s in section.shared]
    for _, name in shared:
        shown.append(
            ellipsis(f"{text('network')}: {name.name} ({text.zones(name.zones)})", BULLET_CHARS)
        )
    starred = [(s, i) for s in part.sections for i in s.items if i.starred]
    others = [(s, i) for s in part.sections for i in s.items if not i.starred]
    for section, item in starred + others:
        shown.append(
            ellipsis(f"{text.section(view, section.section)}: {text.item(item)}", BULLET_CHARS)
        )
    for section in part.sections:
        if section.empty:
            continue
        notes.append(text.section(view, section.section))
        notes += [
            f"- {s.name} — {text('shared', zones=text.zones(s.zones))}" for s in section.shared
        ]
        notes += [f"- {text.item(item)}" for item in section.items]
        notes.append("")
    if len(shown) == 1:
        shown.append(text("nothing_yet"))
    if len(shown) > MAX_BULLETS:
        more = len(shown) - (MAX_BULLETS - 1)
        shown = [*shown[: MAX_BULLETS - 1], text("more_in_notes", more=more)]
    return shown, notes


def _question_lines(text: DocumentText, window: WindowRecord) -> tuple[list[str], list[str]]:
    """(the slide's bullets, the notes: every question in full)."""
    shown = [ellipsis(text.question(entry, short=True), BULLET_CHARS) for entry in window.entries]
    if len(shown) > MAX_BULLETS:
        more = len(shown) - (MAX_BULLETS - 1)
        shown = [*shown[: MAX_BULLETS - 1], text.more_questions(more)]
    notes: list[str] = []
    for key, entries in (("main", window.main), ("others", window.others)):
        if entries:
            notes += [text.question_words(key), *(f"- {text.question(e)}" for e in entries), ""]
    return shown, notes


def synthesis_pptx(given: DocumentInput, text: DocumentText) -> bytes:
    """The slide deck of the synthesis."""
    view = given.view
    deck = Presentation()
    deck.slide_width, deck.slide_height = _WIDTH, _HEIGHT
    deck.core_properties.title = text("title")
    deck.core_properties.language = given.language
    layout = deck.slide_layouts[_TITLE_ONLY]
    # the title slide
    slide = deck.slides.add_slide(layout)
    _title(slide, text("title"))
    _bullets(slide, [text.event_title(view), text.event_date(view)], Inches(0.5), Inches(12))
    _notes(slide, [text.method(view)])
    # the priorities
    slide = deck.slides.add_slide(layout)
    _title(slide, text("priorities"))
    priorities = text.priorities(view)
    if given.heatmap is not None:
        slide.shapes.add_picture(
            io.BytesIO(given.heatmap), Inches(0.4), Inches(1.6), height=Inches(5.7)
        )
        left, width = Inches(6.2), Inches(6.7)
    else:
        left, width = Inches(0.5), Inches(12)
    lines = [ellipsis(line, 70) for line in priorities[:PRIORITIES_SHOWN]] or [text("no_polls")]
    _bullets(slide, lines, left, width)
    _notes(slide, [text.method(view), "", *priorities])
    # one slide per strategy
    for part in view.strategies:
        slide = deck.slides.add_slide(layout)
        _title(slide, text.strategy(part.strategy))
        shown, notes = _strategy_lines(text, view, part)
        _bullets(slide, shown, Inches(0.5), Inches(12.3))
        _notes(slide, notes)
    # the plenary's questions: one slide per window that received any
    if view.questions is not None and text.questions is not None:
        for window in view.questions.windows:
            if not window.entries:
                continue
            slide = deck.slides.add_slide(layout)
            _title(slide, text.slide_title(window))
            shown, notes = _question_lines(text, window)
            _bullets(slide, shown, Inches(0.5), Inches(12.3))
            _notes(slide, notes)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()
