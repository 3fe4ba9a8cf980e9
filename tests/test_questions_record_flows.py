"""The record of the plenary's questions (bot/questions/record.py): every fate, the order,
the texts in both languages, what is withheld, the split for Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.textsplit import visible_length
from bot.questions.record import Fate, RecordBuilder, RecordText
from storage.questions import NewQuestion, QuestionRepository, QuestionStatus
from tests.flows.helpers import ANNA, BRUNO, CARLA, CO_PLANNING, EMMA, Domain, started
from tests.questions_record_seed import CLOSING, OPENING, Seeded, at, seed_questions


@pytest.fixture
async def domain(tmp_path: Path) -> AsyncIterator[Domain]:
    """The domain two weeks before the co-planning day."""
    async with started(tmp_path) as running:
        yield running


async def _seeded(domain: Domain) -> tuple[list[int], Seeded, RecordBuilder]:
    regs = [(await domain.register(who)).id for who in (ANNA, BRUNO, CARLA, EMMA)]
    seeded = await seed_questions(domain.services.db, regs)
    builder = RecordBuilder(domain.config, QuestionRepository(domain.services.db))
    return regs, seeded, builder


async def test_every_fate_after_the_event(domain: Domain) -> None:
    _, seeded, builder = await _seeded(domain)
    record = await builder.build(domain.config.event(CO_PLANNING), at(14, 0))
    assert record.closed
    fates = {entry.id: entry.fate for entry in record.entries}
    assert fates == {
        seeded.answered: Fate.ANSWERED,
        seeded.not_reached: Fate.NOT_REACHED,
        seeded.merged: Fate.MERGED,
        seeded.hidden: Fate.HIDDEN,
        seeded.offensive: Fate.HIDDEN,
        seeded.pending: Fate.NOT_MODERATED,
        seeded.closing: Fate.ANSWERED,  # highlighted when its window closed
    }
    opening = next(w for w in record.windows if w.window_id == OPENING)
    # answered (3 supports: its own and the merged one's) and not reached (4), by support
    assert [e.id for e in opening.main] == [seeded.not_reached, seeded.answered]
    assert opening.main[1].question.supports == 3 and opening.main[1].when == at(9, 38)
    assert [e.id for e in opening.others] == [
        seeded.merged,
        seeded.hidden,
        seeded.offensive,
        seeded.pending,
    ]
    closing = next(w for w in record.windows if w.window_id == CLOSING)
    assert closing.entries[0].when == at(12, 40)
    # windows in time order: the opening plenary, the strategies, the closing one
    assert [w.window_id for w in record.windows] == [OPENING, "strategie", CLOSING]


async def test_during_the_plenary_the_open_questions_are_open(domain: Domain) -> None:
    _, seeded, builder = await _seeded(domain)
    record = await builder.build(domain.config.event(CO_PLANNING), at(12, 30))
    assert not record.closed
    fates = {entry.id: entry.fate for entry in record.entries}
    assert fates[seeded.closing] is Fate.ANSWERING and fates[seeded.not_reached] is Fate.NOT_REACHED
    text = "\n".join(RecordText(domain.services.catalog, domain.config).messages(record, "it"))
    assert "ancora aperte" in text and "in risposta ora" in text


async def test_the_text_in_italian_and_english(domain: Domain) -> None:
    _, seeded, builder = await _seeded(domain)
    record = await builder.build(domain.config.event(CO_PLANNING), at(14, 0))
    words = RecordText(domain.services.catalog, domain.config)
    (italian,) = words.messages(record, "it", mine={seeded.pending})
    assert "Domande dalla plenaria" in italian
    assert "Domande: 7 · con risposta: 2 · non raggiunte: 1" in italian
    assert f"#{seeded.answered} «Quando partono i bandi?»" in italian
    assert "Anna Rossi" in italian and "risposta alle 9:38" in italian and "3 sostegni" in italian
    assert "non raggiunta" in italian and "asse 2" in italian
    assert f"unita alla #{seeded.answered}" in italian
    assert "nascosta: non è una domanda" in italian and "Vendo bici usate" in italian
    # offensive: withheld; the pending one is withheld except to its asker
    assert "incapaci" not in italian and "(testo non riportato)" in italian
    assert "Ci sarà una seconda giornata?" in italian and "👤" in italian
    (other,) = words.messages(record, "it")
    assert "Ci sarà una seconda giornata?" not in other
    (english,) = words.messages(record, "en")
    assert "Questions from the plenary" in english and "merged into" in english
    assert "hidden: not a question" in english and "not reached (time ran out)" in english


async def test_long_records_are_split_for_telegram(domain: Domain) -> None:
    regs = [(await domain.register(who)).id for who in (ANNA, BRUNO)]
    store = QuestionRepository(domain.services.db)
    for index in range(40):
        new = NewQuestion(
            CO_PLANNING,
            OPENING,
            f"Domanda {index} " + "lunga " * 45,
            regs[0],
            "online",
            "it",
            status=QuestionStatus.PUBLISHED,
        )
        await store.add(new, at(9, 31))
    builder = RecordBuilder(domain.config, store)
    record = await builder.build(domain.config.event(CO_PLANNING), at(14, 0))
    parts = RecordText(domain.services.catalog, domain.config).messages(record, "it")
    assert len(parts) > 1 and all(visible_length(part) <= 4096 for part in parts)
    joined = "\n".join(parts)
    assert all(f"Domanda {index} " in joined for index in range(40))


async def test_no_questions(domain: Domain) -> None:
    builder = RecordBuilder(domain.config, QuestionRepository(domain.services.db))
    record = await builder.build(domain.config.event(CO_PLANNING), at(14, 0))
    (text,) = RecordText(domain.services.catalog, domain.config).messages(record, "en")
    assert "No questions." in text and record.count() == 0


async def test_a_window_no_longer_in_the_event_file_comes_last(domain: Domain) -> None:
    (reg,) = [(await domain.register(ANNA)).id]
    store = QuestionRepository(domain.services.db)
    new = NewQuestion(
        CO_PLANNING,
        "vecchia-finestra",
        "Ancora valida?",
        reg,
        "online",
        "en",
        status=QuestionStatus.PUBLISHED,
    )
    question, _ = await store.add(new, at(9, 31))
    await store.toggle_support(question.id, reg, at(9, 32))
    builder = RecordBuilder(domain.config, store)
    record = await builder.build(domain.config.event(CO_PLANNING), at(14, 0))
    last = record.windows[-1]
    assert last.window_id == "vecchia-finestra" and last.slot is None
    assert last.entries[0].fate is Fate.NOT_REACHED
    (text,) = RecordText(domain.services.catalog, domain.config).messages(record, "en")
    assert "<b>vecchia-finestra</b>" in text and "1 support · online · anonymous" in text
