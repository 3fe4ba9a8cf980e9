"""Benchmark (issue 12): the regia's synthesis for the closing plenary, with 11 zones x 40
participants x 5 contributions (2,200) plus 11 submitted reports, seeded directly in storage.

Prints the time to build the ``/sintesi`` text of session 2 (reading every worksheet,
contribution and report, matching the shared networks, writing the messages), the Word
document and the slide deck (each reading the data again and embedding the session-1
heatmap, drawn once and cached as in the bot), each and together (target at most 3 s
together). ``--strategies 25`` runs it with the 25 strategies of the 2024-26 plan instead of
the bundled six axes.

    .venv/bin/python bench/bench_synthesis_documents.py [--strategies 6|25]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Report
from bot.kernel.clock import FakeClock
from bot.services import Services
from config.event import EventConfig, load_event_config
from storage.worksheet_reports import NOTE
from tests.harness import settings_for
from tests.regia_seed import EVENT, SESSION_2, closed_poll, contribute, people, report

ZONES, PEOPLE, EACH = 11, 40, 5
TARGET = 3.0
ACTORS = [
    "Comune di Pinerolo",
    "comune di pinerolo!",
    "Unione Montana Valle Susa",
    "ASL TO3",
    "Città Metropolitana di Torino",
    "Coldiretti",
    "CAI",
    "Pro Loco",
]
SECTIONS = ("declinazione", "progetti", "attori", "abilitanti", "precondizioni")


def config_for(strategies: int) -> EventConfig:
    """The bundled file, or with 25 strategies over its six axes."""
    if strategies != 25:
        return load_event_config()
    from tests.test_synthesis_documents import config_25

    return config_25()


async def seed(services: Services, rng: random.Random) -> int:
    """Polls, worksheets, 2,200 contributions and 11 reports; returns the contributions."""
    options = len(services.worksheets.strategies())
    stored = 0
    for zone in range(1, ZONES + 1):
        users = [100_000 + zone * 1000 + i for i in range(PEOPLE)]
        registrations = await people(services, zone, users)
        ballots = [rng.sample(range(options), 3) for _ in registrations]
        sheets = await closed_poll(services, zone, registrations, ballots)
        texts: dict[tuple[int, str], str] = {}
        for registration in registrations:
            for n in range(EACH):
                sheet = sheets[(registration + n) % len(sheets)]
                section = SECTIONS[n % len(SECTIONS)]
                if section in ("attori", "progetti"):
                    text = f"{rng.choice(ACTORS)}\n{rng.choice(ACTORS)} {zone}"
                else:
                    text = f"Proposta {n} della zona {zone}: " + "servizi di prossimità " * 5
                await contribute(
                    services, sheet, section, text, registration=registration, starred=n == 0
                )
                stored += 1
        for sheet in sheets:
            for section in SECTIONS:
                texts[(sheet.id, section)] = (
                    f"Sintesi {section} zona {zone}\nSecondo punto\nTerzo punto"
                )
            texts[(sheet.id, NOTE)] = "Tavolo partecipato"
        await report(services, zone, texts)
    return stored


async def main(strategies: int) -> int:
    config = config_for(strategies)
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(Path(tmp) / "bench.sqlite3", organisers=[1])
        services = await Services.start(settings, config, FakeClock(SESSION_2))
        try:
            started = time.perf_counter()
            stored = await seed(services, random.Random(12))
            print(
                f"-- seeded {ZONES} zones x {PEOPLE} participants x {EACH} contributions "
                f"({stored}) and {ZONES} reports, {len(services.worksheets.strategies())} "
                f"strategies, in {time.perf_counter() - started:.1f} s"
            )
            regia = services.flows.regia
            event = config.event(EVENT)
            started = time.perf_counter()
            view = await regia.documents.builder.build(event)
            messages = regia.text.messages(view, "it")
            text_time = time.perf_counter() - started
            started = time.perf_counter()
            _, docx = await regia.documents.document(event, "docx", "it")
            docx_time = time.perf_counter() - started
            started = time.perf_counter()
            _, pptx = await regia.documents.document(event, "pptx", "it")
            pptx_time = time.perf_counter() - started
        finally:
            await services.close()
    total = text_time + docx_time + pptx_time
    line = Report(44, 12, 12)
    print(f"{'':<44} {len(messages):>12}   messages of /sintesi (session 2)")
    print(f"{'':<44} {len(docx) // 1024:>12}   KB of Word, {len(pptx) // 1024} KB of slides")
    line("synthesis text (s)", f"{text_time:.3f}", "(in the total)", True)
    line("Word document (s)", f"{docx_time:.3f}", "(in the total)", True)
    line("slide deck (s)", f"{pptx_time:.3f}", "(in the total)", True)
    line("text + DOCX + PPTX (s)", f"{total:.3f}", f"<= {TARGET:.0f} s", total <= TARGET)
    return 0 if total <= TARGET else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--strategies", type=int, choices=(6, 25), default=6)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.strategies)))
