"""The plenary's questions after the plenary: the exports (CSV and XLSX read back, a question
typed like a formula stays text), the regia's buttons, ``psm-bot export questions``, and the
section of the synthesis documents (Word and slides read back)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from pptx import Presentation
from pptx.util import Pt

from bot.cli import main
from bot.kernel.clock import FakeClock
from bot.kernel.replies import Document as SentDocument
from bot.kernel.replies import Outcome
from bot.questions.exports import COLUMNS, STORY_COLUMNS
from bot.services import Services
from bot.worksheets.documents_pptx import MAX_BULLETS
from bot.worksheets.regia import RegiaAction, RegiaButton
from storage.questions import NewQuestion, QuestionRepository, QuestionStatus
from storage.retention import purge
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    CARLA,
    CO_PLANNING,
    EMMA,
    STAFF,
    Domain,
    buttons,
    started,
    texts,
)
from tests.harness import cli_environment, settings_for
from tests.questions_record_seed import MODERATOR, OPENING, Seeded, at, seed_questions

AFTER = at(14, 0)


@pytest.fixture
async def domain(tmp_path: Path) -> AsyncIterator[Domain]:
    """The co-planning day after its last plenary, four registrants, a question per fate."""
    async with started(tmp_path, now=AFTER) as running:
        yield running


async def seeded(domain: Domain) -> Seeded:
    regs = [(await domain.register(who)).id for who in (ANNA, BRUNO, CARLA, EMMA)]
    return await seed_questions(domain.services.db, regs)


def labels(outcome: Outcome) -> list[str]:
    """The labels of the buttons under the outcome's last message."""
    return [button.label for button in buttons(outcome)]


def _document(outcome: object) -> SentDocument:
    found = [r for r in getattr(outcome, "replies", []) if isinstance(r, SentDocument)]
    assert len(found) == 1
    return found[0]


async def _press(domain: Domain, action: RegiaAction) -> SentDocument:
    button = RegiaButton(action, CO_PLANNING)
    return _document(await domain.flows.regia.press(STAFF, button))


async def test_the_csv_export_one_row_per_question_with_its_fate(domain: Domain) -> None:
    s = await seeded(domain)
    sent = await _press(domain, RegiaAction.QUESTIONS_CSV)
    assert sent.filename == f"domande-{CO_PLANNING}.csv" and "7 righe" in str(sent.caption)
    text = sent.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 8
    by_id = {int(row[0]): dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    answered = by_id[s.answered]
    assert answered["fate"] == "answered" and answered["fate_text"] == "risposta alle 9:38"
    assert answered["name"] == "Anna Rossi" and answered["supports"] == "3"
    assert answered["window_title"] == "Plenaria: saluti istituzionali e introduzione ai lavori"
    assert answered["answered_at"] == "2023-12-05 09:38:00"
    assert by_id[s.not_reached]["fate"] == "not_reached" and by_id[s.not_reached]["axis"] == "2"
    assert by_id[s.merged]["fate_text"] == f"unita alla #{s.answered}"
    assert by_id[s.merged]["merged_into"] == str(s.answered)
    assert by_id[s.hidden]["hide_reason"] == "not_a_question"
    assert by_id[s.pending]["fate"] == "not_moderated" and by_id[s.pending]["name"] == ""
    # the formula-like question is text: an apostrophe before it, never run
    assert by_id[s.offensive]["text"].startswith("'=HYPERLINK(")
    assert by_id[s.offensive]["fate_text"] == "nascosta: linguaggio offensivo o irrispettoso"
    assert "9000" not in text  # no moderator's Telegram id


async def test_the_xlsx_export_with_the_story_of_each_question(domain: Domain) -> None:
    s = await seeded(domain)
    sent = await _press(domain, RegiaAction.QUESTIONS_XLSX)
    book = load_workbook(io.BytesIO(sent.content))
    assert book.sheetnames == ["domande", "storia"]
    sheet = book["domande"]
    header = [cell.value for cell in sheet[1]]
    assert tuple(header) == COLUMNS
    rows = {
        row[0]: dict(zip(COLUMNS, row, strict=True)) for row in sheet.iter_rows(2, values_only=True)
    }
    assert rows[s.answered]["supports"] == 3 and rows[s.answered]["fate"] == "answered"
    formula = next(
        cell for cell in sheet["F"] if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    )
    assert formula.data_type == "s" and formula.quotePrefix  # text, not a formula
    story = book["storia"]
    assert tuple(cell.value for cell in story[1]) == STORY_COLUMNS
    actions = [row[2] for row in story.iter_rows(2, values_only=True) if row[0] == s.answered]
    assert actions == ["asked", "published", "highlighted", "answered"]


async def test_the_buttons_under_the_synthesis_once_there_are_questions(domain: Domain) -> None:
    assert "CSV domande" not in labels(await domain.flows.regia.synthesis(STAFF))
    await seeded(domain)
    assert labels(await domain.flows.regia.synthesis(STAFF))[-2:] == [
        "CSV domande",
        "Excel domande",
    ]
    # a participant pressing the organisers' button: refused, nothing sent
    out = await domain.flows.regia.press(ANNA, RegiaButton(RegiaAction.QUESTIONS_CSV, CO_PLANNING))
    assert out.alert and not out.replies
    # a forged one (an event that does not exist, data that is no button): refused politely
    for forged in (RegiaButton(RegiaAction.QUESTIONS_XLSX, "nope"), RegiaButton.unpack("g|qz|x")):
        out = await domain.flows.regia.press(STAFF, forged)
        assert out.alert == domain.t("it", "button.invalid") and not out.replies


async def test_the_word_document_has_the_questions(domain: Domain) -> None:
    s = await seeded(domain)
    _, content = await domain.flows.regia.documents.document(
        domain.config.event(CO_PLANNING), "docx", "it"
    )
    doc: Any = Document(io.BytesIO(content))
    level1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert "Domande dalla plenaria" in level1
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Domande: 7 · con risposta: 2 · non raggiunte: 1" in text
    main_at = text.index("Con risposta e non raggiunte")
    others_at = text.index("Unite, nascoste e non moderate")
    # by support: the not reached one (4) before the answered one (3)
    assert (
        main_at
        < text.index(f"#{s.not_reached} «Chi finanzia")
        < text.index(f"#{s.answered} «Quando partono")
        < others_at
    )
    assert (
        f"#{s.merged} «Quando escono i bandi?» — " in text and f"unita alla #{s.answered}" in text
    )
    assert "nascosta: non è una domanda" in text
    assert "incapaci" not in text and "(testo non riportato)" in text
    assert "Plenaria: restituzione dei temi emersi" in text and "What about the trains?" in text
    # English
    _, content = await domain.flows.regia.documents.document(
        domain.config.event(CO_PLANNING), "docx", "en"
    )
    english = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    assert "Questions from the plenary" in english and "answered at 9:38" in english


async def test_the_slides_one_per_window_at_most_eight_bullets(domain: Domain) -> None:
    s = await seeded(domain)
    store = QuestionRepository(domain.services.db)
    for index in range(9):  # 15 at the opening plenary: 7 and "8 more in the notes"
        new = NewQuestion(
            CO_PLANNING,
            OPENING,
            f"Domanda in più {index}",
            s.answered,
            "online",
            "it",
            status=QuestionStatus.PUBLISHED,
        )
        await store.add(new, at(9, 39))
    _, content = await domain.flows.regia.documents.document(
        domain.config.event(CO_PLANNING), "pptx", "it"
    )
    deck = Presentation(io.BytesIO(content))
    titles = [slide.shapes.title.text_frame.text for slide in deck.slides]
    question_slides = [i for i, title in enumerate(titles) if title.startswith("Domande: ")]
    assert len(question_slides) == 2  # the opening and the closing plenaries (not the empty one)
    slide = list(deck.slides)[question_slides[0]]
    body = next(sh for sh in slide.shapes if sh.has_text_frame and sh != slide.shapes.title)
    paragraphs = [p for p in body.text_frame.paragraphs if p.text.strip()]
    assert len(paragraphs) == MAX_BULLETS
    assert paragraphs[0].text.startswith(f"• #{s.not_reached} «Chi finanzia")
    assert "altre 8 domande nelle note" in paragraphs[-1].text
    for paragraph in paragraphs:
        assert all(run.font.size >= Pt(20) for run in paragraph.runs)
    for run in slide.shapes.title.text_frame.paragraphs[0].runs:
        assert run.font.size >= Pt(32)
    notes = slide.notes_slide.notes_text_frame.text
    assert "Domanda in più 8" in notes and "Vendo bici usate" in notes


def test_the_command_line_exports_the_questions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = cli_environment(monkeypatch, tmp_path)

    async def seed() -> None:
        from config.event import load_event_config

        services = await Services.start(
            settings_for(database), load_event_config(), FakeClock(AFTER)
        )
        try:
            domain = Domain(services, FakeClock(AFTER))
            await seeded(domain)
        finally:
            await services.close()

    asyncio.run(seed())
    out = tmp_path / "q.xlsx"
    args = ["export", "questions", "--event", CO_PLANNING, "--format", "xlsx", "--output", str(out)]
    assert main(args) == 0
    assert "7 question(s) written to" in capsys.readouterr().out
    assert load_workbook(str(out)).sheetnames == ["domande", "storia"]
    assert main(["export", "questions"]) == 0  # every event, CSV, named by the time
    assert list(tmp_path.glob("domande-tutti-*.csv"))
    assert main(["export", "questions", "--format", "pptx"]) == 2
    assert "use csv or xlsx" in capsys.readouterr().err
    assert main(["export", "questions", "--event", "nope"]) == 2


async def test_erasing_ones_data_leaves_ones_questions_anonymous(domain: Domain) -> None:
    s = await seeded(domain)
    store = QuestionRepository(domain.services.db)
    out = await domain.flows.manage.erase(ANNA)  # Anna asked the answered (named) question
    out = await domain.press(ANNA, out, "Sì, cancella i miei dati")
    assert texts(out) == [domain.t("it", "erase.done")]
    answered = await store.get(s.answered)
    assert answered is not None and not answered.named and answered.shown_name is None
    assert answered.name is None and answered.status is QuestionStatus.ANSWERED
    assert answered.supports == 3  # her support and the others' are still counted
    assert (await store.get(s.not_reached)).supports == 4  # type: ignore[union-attr]
    sent = await _press(domain, RegiaAction.QUESTIONS_CSV)
    assert "Anna Rossi" not in sent.content.decode("utf-8-sig")
    record = await domain.services.after_plenary.record.build(
        domain.config.event(CO_PLANNING), AFTER
    )
    assert record.count() == 7


async def test_the_purge_keeps_the_questions_without_names_or_moderators(
    domain: Domain,
) -> None:
    s = await seeded(domain)
    before = await domain.services.after_plenary.record.build(
        domain.config.event(CO_PLANNING), AFTER
    )
    report = await purge(domain.services.db, dry_run=False)
    erased = dict(report.erased)
    what = "names shown on the plenaries' questions, and the moderators who acted on them"
    assert erased[what] == 1 + 6  # one name, six moderators' actions
    kept = dict(report.kept)
    assert kept["plenary questions (text, window, fate, without names)"] == 7
    assert kept["supports of the plenary questions (counted)"] == 4 + 2 + 1
    store = QuestionRepository(domain.services.db)
    answered = await store.get(s.answered)
    assert answered is not None and answered.shown_name is None and answered.name is None
    assert all(e.by_user is None for e in await store.story(s.answered))
    after = await domain.services.after_plenary.record.build(
        domain.config.event(CO_PLANNING), AFTER
    )
    assert [(e.id, e.fate, e.question.supports) for e in after.entries] == [
        (e.id, e.fate, e.question.supports) for e in before.entries
    ]
    again = await purge(domain.services.db, dry_run=True)
    assert dict(again.erased)[what] == 0


async def test_a_moderator_erasing_their_data_leaves_the_story_without_who(
    domain: Domain,
) -> None:
    s = await seeded(domain)  # every moderation by MODERATOR (9000)
    store = QuestionRepository(domain.services.db)
    assert {e.by_user for e in await store.story(s.answered)} == {None, MODERATOR}
    await domain.services.registrations.erase_user(MODERATOR, {}, AFTER)
    story = await store.story(s.answered)
    assert [e.action.value for e in story] == ["asked", "published", "highlighted", "answered"]
    assert {e.by_user for e in story} == {None}
    answered = await store.get(s.answered)
    assert answered is not None and answered.name == "Anna Rossi"  # the asker's choice stays
