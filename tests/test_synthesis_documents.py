"""The synthesis documents read back with their own libraries: the Word document's headings,
strategies, zones, items and annexes; the slides' titles (32 pt or more), bullets (20 pt or
more, at most 8 a slide) and notes; with the 25 strategies of the 2024-26 plan over eleven
zones, in Italian and English; and the command line's ``export synthesis`` and
``export contributions``."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Pt

from bot.cli import main
from bot.kernel.clock import FakeClock
from bot.services import Services
from bot.worksheets.documents_pptx import MAX_BULLETS
from config.event import EventConfig
from storage.worksheet_reports import NOTE
from tests.flows.helpers import Domain, started
from tests.harness import bundled_event_data, cli_environment, config_from, settings_for
from tests.regia_seed import EVENT, SESSION_2, closed_poll, contribute, people, report

AXES = ((1, 5), (2, 5), (3, 4), (4, 4), (5, 3), (6, 4))  # 25 strategies, as in 2024-26
STRATEGIES = [f"{axis}.{n}" for axis, count in AXES for n in range(1, count + 1)]


def title_of(strategy: str) -> str:
    """A realistic, long-ish title."""
    return f"Strategia {strategy}: rafforzare le reti territoriali e i servizi di prossimità"


def config_25() -> EventConfig:
    """The bundled event file with 25 strategies under its six axes."""
    data = bundled_event_data()
    for axis in data["axes"]:
        count = dict(AXES)[int(axis["id"])]
        axis["strategies"] = [
            {
                "id": f"{axis['id']}.{n}",
                "title": {"it": title_of(f"{axis['id']}.{n}"), "en": f"Strategy {axis['id']}.{n}"},
            }
            for n in range(1, count + 1)
        ]
    return config_from(data)


async def seed_eleven(services: Services) -> None:
    """Eleven zones; zone z chose strategies 3z-3, 3z-2, 3z-1 (mod 25): all 25 are some
    zone's worksheet. Every worksheet has items; everyone names the Comune di Torino."""
    for zone in range(1, 12):
        users = [5000 + zone * 10 + i for i in range(3)]
        registrations = await people(services, zone, users)
        picks = [(3 * zone - 3 + k) % 25 for k in range(3)]
        sheets = await closed_poll(services, zone, registrations, [picks] * 3)
        for sheet in sheets:
            spelled = "Comune di Torino" if zone % 2 else "comune di TORINO."
            await contribute(
                services,
                sheet,
                "attori",
                f"{spelled}\nAssociazione {zone}-{sheet.id}",
                registration=registrations[0],
            )
            for n in range(4):
                await contribute(
                    services,
                    sheet,
                    "declinazione",
                    f"Azione {n} della zona {zone}",
                    registration=registrations[n % 3],
                )
            await contribute(services, sheet, "abilitanti", f"Chiave {zone}", starred=True)
        if zone == 1:
            await report(
                services,
                1,
                {
                    (sheets[0].id, "precondizioni"): "Una sede stabile",
                    (sheets[0].id, NOTE): "Nota della zona 1",
                },
            )


@pytest.fixture
async def eleven(tmp_path: Path) -> AsyncIterator[Domain]:
    async with started(tmp_path, now=SESSION_2, config=config_25()) as domain:
        await seed_eleven(domain.services)
        yield domain


async def build(domain: Domain, fmt: str, language: str = "it") -> bytes:
    event = domain.config.event(EVENT)
    _, content = await domain.flows.regia.documents.document(event, fmt, language)
    return content


def headings(doc: Any, level: int) -> list[str]:
    name = "Title" if level == 0 else f"Heading {level}"
    return [p.text for p in doc.paragraphs if p.style.name == name]


async def test_the_word_document_with_25_strategies_and_11_zones(eleven: Domain) -> None:
    doc = Document(io.BytesIO(await build(eleven, "docx")))
    assert headings(doc, 0) == ["Sintesi trasversale"]
    level1 = headings(doc, 1)
    assert level1[:3] == [
        "Metodo",
        "Le priorità (sessione 1)",
        "Le strategie al lavoro (sessione 2)",
    ]
    assert level1[3:] == [
        f"Allegato: Zona {z} · {eleven.config.zone(z).name}" for z in range(1, 12)
    ]
    strategies = headings(doc, 2)
    assert sorted(strategies) == sorted(title_of(s) for s in STRATEGIES)
    assert len(doc.inline_shapes) == 1  # the heatmap
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Hanno lavorato 11 zone su 11. Iscritti confermati: 33 (in presenza: 33)" in text
    assert "Azione 0 della zona 5 (Z5)" in text and "★ Chiave 5 (Z5)" in text
    assert (
        "Precondizioni: Una sede stabile" in text.replace("\n", "")
        or "Una sede stabile (Z1)" in text
    )
    assert "Nota: " in text and "Nota della zona 1" in text
    # the shared actor first in its section, in bold, with its zones
    bold = [r.text for p in doc.paragraphs for r in p.runs if r.bold]
    assert "Comune di Torino" in bold  # as zone 1 (the first) wrote it
    assert "comune di TORINO." not in text
    assert "Reti di attori (già attivi o attivabili)" in headings(doc, 3)


async def test_the_slides_are_readable_on_a_projector(eleven: Domain) -> None:
    deck = Presentation(io.BytesIO(await build(eleven, "pptx")))
    slides = list(deck.slides)
    assert len(slides) == 2 + 25  # title, priorities, one per strategy
    titles = [slide.shapes.title.text_frame.text for slide in slides]
    assert titles[1] == "Le priorità (sessione 1)"
    assert sorted(titles[2:]) == sorted(title_of(s) for s in STRATEGIES)
    assert any(s.shape_type == MSO_SHAPE_TYPE.PICTURE for s in slides[1].shapes)
    for slide in slides:
        title = slide.shapes.title
        for paragraph in title.text_frame.paragraphs:
            assert all(run.font.size >= Pt(32) for run in paragraph.runs)
        bodies = [s for s in slide.shapes if s.has_text_frame and s != title]
        for body in bodies:
            paragraphs = [p for p in body.text_frame.paragraphs if p.text.strip()]
            assert len(paragraphs) <= MAX_BULLETS
            for paragraph in paragraphs:
                assert all(run.font.size >= Pt(20) for run in paragraph.runs)
    strategy_slide = slides[2]
    body = next(
        s for s in strategy_slide.shapes if s.has_text_frame and s != strategy_slide.shapes.title
    )
    lines = [p.text for p in body.text_frame.paragraphs]
    assert lines[0].startswith("• Zone: ")
    assert "Rete comune" in lines[1]  # the shared network before the other items
    assert "altri" in lines[-1] and "note" in lines[-1]  # the rest is in the notes
    notes = strategy_slide.notes_slide.notes_text_frame.text
    assert "Azione 3 della zona" in notes and "Declinazione locale / azioni proposte" in notes


async def test_documents_in_english(eleven: Domain) -> None:
    doc = Document(io.BytesIO(await build(eleven, "docx", "en")))
    assert headings(doc, 0) == ["Cross-zone synthesis"]
    assert "Method" in headings(doc, 1) and "Strategy 1.1" in headings(doc, 2)
    deck = Presentation(io.BytesIO(await build(eleven, "pptx", "en")))
    assert list(deck.slides)[1].shapes.title.text_frame.text == "The priorities (session 1)"


async def test_an_event_without_any_work_yet(tmp_path: Path) -> None:
    async with started(tmp_path, now=SESSION_2) as domain:
        doc = Document(io.BytesIO(await build(domain, "docx")))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "Nessun sondaggio sulle priorità con risposte." in text
        assert "Nessuna zona ha ancora schede di lavoro." in text
        deck = Presentation(io.BytesIO(await build(domain, "pptx")))
        assert len(deck.slides) == 2


def test_the_command_line_writes_the_documents_and_the_export(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = cli_environment(monkeypatch, tmp_path)

    async def seed() -> None:
        services = await Services.start(
            settings_for(database),
            config_25(),
            FakeClock(SESSION_2),
        )
        try:
            await seed_eleven(services)
        finally:
            await services.close()

    asyncio.run(seed())
    # the CLI reads the bundled event file: six axes, so the 25 strategies show as their ids
    out = tmp_path / "sintesi.pptx"
    assert (
        main(["export", "synthesis", "--format", "pptx", "--event", EVENT, "--output", str(out)])
        == 0
    )
    assert len(Presentation(str(out)).slides) >= 2
    assert main(["export", "synthesis", "--event", EVENT, "--lang", "en"]) == 0
    assert (tmp_path / f"sintesi-{EVENT}.docx").read_bytes()[:2] == b"PK"
    assert main(["export", "contributions", "--format", "xlsx", "--out", "c.xlsx"]) == 0
    assert "row(s) written to c.xlsx" in capsys.readouterr().out
    assert main(["export", "synthesis", "--format", "csv"]) == 2
    assert "use docx or pptx" in capsys.readouterr().err
    assert main(["export", "contributions", "--format", "docx"]) == 2
