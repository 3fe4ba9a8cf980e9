"""The facilitator's report (``/resoconto``), its reading, the regia's notice and the
deadline reminder, through the flows (zones 5 and 9 after session 1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.clock import FakeClock
from bot.kernel.conversation import Content
from bot.kernel.replies import Outcome
from bot.services import Services
from bot.worksheets.board_buttons import BoardAction, BoardButton
from bot.worksheets.deadline import REPORT_REMINDER
from bot.worksheets.regia import RegiaButton
from bot.worksheets.report_flow import REPORT, REPORT_SUBMITTED, ReportStep
from storage.worksheet_reports import NOTE
from tests.flows.board_setup import (
    EVENT,
    FAC5,
    FAC9,
    OLGA,
    ORGANISERS,
    SESSION_1,
    STRANGER,
    all_buttons,
    contribute,
    plain,
    set_scene,
    sheets,
    start,
    text,
)
from tests.flows.helpers import flow_button
from tests.harness import ROME

A = BoardAction
BEFORE_REMINDER = dt.datetime(2023, 12, 5, 11, 50, tzinfo=ROME)
REMINDER_TIME = dt.datetime(2023, 12, 5, 12, 1, tzinfo=ROME)
AFTER_DEADLINE = dt.datetime(2023, 12, 5, 12, 15, tzinfo=ROME)


@pytest.fixture
async def clock() -> FakeClock:
    """The scene's clock (kept across a restart)."""
    return FakeClock(SESSION_1)


@pytest.fixture
async def services(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    """Zones 5 and 9 at session 2, with a key point starred in zone 5's first worksheet."""
    running = await start(tmp_path, clock)
    try:
        await set_scene(running, clock)
        green = (await sheets(running, 5))[0]
        item = await contribute(running, green, "declinazione", "Comunità energetiche in valle")
        await running.worksheets.store.set_starred(item.id, True, clock.now())
        await contribute(running, green, "declinazione", "Non in evidenza")
        yield running
    finally:
        await running.close()


async def type_(services: Services, who: object, typed: str) -> Outcome:
    """Type a text in the open conversation."""
    answered = await services.flows.conversations.text(who, typed)  # type: ignore[arg-type]
    assert answered is not None
    return answered


async def tap(services: Services, who: object, outcome: Outcome, label: str) -> Outcome:
    """Press a conversation button."""
    button = flow_button(outcome, label)
    return await services.flows.conversations.press(who, button, None)  # type: ignore[arg-type]


async def write_and_submit(services: Services) -> Outcome:
    """Zone 5's facilitator keeps the proposal of the first section, types the second, and
    submits from the summary."""
    first = await services.flows.reports.command(FAC5)
    await tap(services, FAC5, first, "Tieni")
    typed = await type_(services, FAC5, "Il Bando Borghi e il PSR")
    summary = await tap(services, FAC5, typed, "Riepilogo")
    return await tap(services, FAC5, summary, "Invia alla regia")


async def test_a_walk_through_the_report(services: Services) -> None:
    reports, store = services.flows.reports, services.worksheets.store
    assert "facilitatori" in text(await reports.command(STRANGER))
    first = await reports.command(FAC5)
    said = text(first)
    assert "Rivoluzione verde" in said and "passo 1 di 18" in said  # 3 sheets x (5 + note)
    assert "Comunità energetiche in valle" in said and "Non in evidenza" not in said
    kept = await tap(services, FAC5, first, "Tieni")
    assert "passo 2 di 18" in text(kept)
    report = await store.report(EVENT, 5)
    green = (await sheets(services, 5))[0]
    assert report is not None and report.status == "draft"
    assert report.texts[(green.id, "declinazione")] == "• Comunità energetiche in valle"
    # bad input: too long, a sticker; nothing saved, the same question again
    too_long = await type_(services, FAC5, "x" * 1501)
    assert "1501" in text(too_long) and "passo 2 di 18" in text(too_long)
    sticker = await services.flows.conversations.content(FAC5, Content("sticker", 9))
    assert sticker is not None and "passo 2 di 18" in text(sticker)
    saved = await type_(services, FAC5, "Il Bando Borghi\ne il PSR")
    assert "Salvato" in text(saved) and "passo 3 di 18" in text(saved)
    report = await store.report(EVENT, 5)
    assert (
        report is not None and report.texts[(green.id, "progetti")] == "Il Bando Borghi\ne il PSR"
    )
    skipped = await tap(services, FAC5, saved, "Lascia vuoto")
    assert "passo 4 di 18" in text(skipped)
    summary = await tap(services, FAC5, skipped, "Riepilogo")
    assert "Bozza" in text(summary) and "12:10" in text(summary)
    # edit one slot from the summary: back to the summary afterwards
    edit = await tap(services, FAC5, summary, "✏️ 1·Progetti")
    assert "Il Bando Borghi" in text(edit)
    back = await type_(services, FAC5, "Bando Borghi, PSR, GAL")
    assert "Riepilogo" in text(back) and "Bando Borghi, PSR, GAL" in text(back)
    submitted = await tap(services, FAC5, back, "Invia alla regia")
    assert "inviato alla regia" in text(submitted) and submitted.deliver
    report = await store.report(EVENT, 5)
    assert report is not None and report.submitted
    rows = await services.outbox.rows(kind=REPORT_SUBMITTED)
    assert sorted(r.user_id for r in rows) == sorted(ORGANISERS)
    assert rows[0].payload == {"event": EVENT, "zone": 5, "edited": False}
    assert await services.conversations.get(FAC5.user_id) is None


async def test_a_report_survives_a_restart(
    services: Services, tmp_path: Path, clock: FakeClock
) -> None:
    first = await services.flows.reports.command(FAC5)
    await tap(services, FAC5, first, "Tieni")
    await services.close()  # the bot restarts mid-report
    again = await start(tmp_path, clock)
    try:
        stored = await again.conversations.get(FAC5.user_id)
        assert stored is not None and stored.flow == REPORT and stored.step == ReportStep.SLOT
        saved = await type_(again, FAC5, "Scritto dopo il riavvio")
        assert "passo 3 di 18" in text(saved)
        report = await again.worksheets.store.report(EVENT, 5)
        green = (await sheets(again, 5))[0]
        assert report is not None and report.texts == {
            (green.id, "declinazione"): "• Comunità energetiche in valle",
            (green.id, "progetti"): "Scritto dopo il riavvio",
        }
    finally:
        await again.close()


async def test_nothing_written_cannot_be_submitted(services: Services) -> None:
    first = await services.flows.reports.command(FAC5)
    summary = await tap(services, FAC5, first, "Riepilogo")
    refused = await tap(services, FAC5, summary, "Invia alla regia")
    assert "vuoto" in text(refused)
    assert await services.worksheets.store.report(EVENT, 5) is None
    assert await services.outbox.rows(kind=REPORT_SUBMITTED) == []


async def test_editing_after_submit_until_the_lock(services: Services, clock: FakeClock) -> None:
    await write_and_submit(services)
    clock.advance(dt.timedelta(minutes=5))
    summary = await services.flows.reports.command(FAC5)  # something written: the summary
    assert "Inviato alle" in text(summary) and "Fatto:" in str(all_buttons(summary))
    await tap(services, FAC5, summary, "✏️ 1·Nota")
    back = await type_(services, FAC5, "Una nota finale")
    assert "modificato alle" in text(back)
    done = await tap(services, FAC5, back, "📨 Fatto")
    assert "la regia è stata avvisata" in text(done)
    report = await services.worksheets.store.report(EVENT, 5)
    green = (await sheets(services, 5))[0]
    assert report is not None and report.submitted
    assert report.texts[(green.id, NOTE)] == "Una nota finale"
    edited = [r for r in await services.outbox.rows(kind=REPORT_SUBMITTED) if r.payload["edited"]]
    assert len(edited) == 2
    # the regia locks: /resoconto refuses, an open conversation saves nothing more
    summary = await services.flows.reports.command(FAC5)
    await tap(services, FAC5, summary, "✏️ 2·Nota")
    await services.worksheets.store.lock(EVENT, OLGA.user_id, clock.now())
    refused = await type_(services, FAC5, "Troppo tardi")
    assert "chiuso i resoconti" in text(refused)
    assert "chiuso i resoconti" in text(await services.flows.reports.command(FAC5))
    report = await services.worksheets.store.report(EVENT, 5)
    assert report is not None and "Troppo tardi" not in report.texts.values()


async def test_after_the_deadline_only_an_organiser_submits(
    services: Services, clock: FakeClock
) -> None:
    first = await services.flows.reports.command(FAC5)
    kept = await tap(services, FAC5, first, "Tieni")
    clock.set(AFTER_DEADLINE)
    summary = await tap(services, FAC5, kept, "Riepilogo")
    refused = await tap(services, FAC5, summary, "Invia alla regia")
    assert "era alle 12:10" in text(refused)
    report = await services.worksheets.store.report(EVENT, 5)
    assert report is not None and not report.submitted
    picker = await services.flows.reports.command(OLGA)  # every zone: which one?
    assert len(all_buttons(picker)) == 11
    zone5 = await services.flows.board.press(OLGA, BoardButton(A.REPORT_ZONE, 5))
    assert "Riepilogo" in text(zone5)
    sent = await tap(services, OLGA, zone5, "Invia alla regia")
    assert "inviato alla regia" in text(sent)
    # zone 1 has no worksheets (its poll never ran)
    none = await services.flows.board.press(OLGA, BoardButton(A.REPORT_ZONE, 1))
    assert "non ci sono ancora" in text(none)
    # a forged report button of another zone
    assert (await services.flows.board.press(FAC5, BoardButton(A.REPORT_ZONE, 9))).alert


async def test_reading_a_report_and_the_regia_notice(services: Services) -> None:
    await write_and_submit(services)
    assert (await services.flows.reports.read(FAC9, EVENT, 5)).alert  # not FAC9's zone
    read = await services.flows.reports.read(OLGA, EVENT, 5)
    said = text(read)
    assert "Resoconto · Zona 5 · Pinerolese" in said and "Inviato alle 10:35" in said
    assert "Comunità energetiche in valle" in said and "Il Bando Borghi e il PSR" in said
    assert "Salute" in said  # every worksheet, empty sections shown as "—"
    row = (await services.outbox.rows(user_id=OLGA.user_id, kind=REPORT_SUBMITTED))[0]
    prepared = await services.flows.regia.board.render_submitted(row, services.clock.now())
    assert prepared.message is not None and prepared.message.text is not None
    assert "Zona 5 · Pinerolese ha inviato il resoconto" in plain(prepared.message.text)
    data = next(b.data for row in prepared.message.buttons for b in row if "Zona 5" in b.label)
    assert data is not None
    opened = await services.flows.regia.press(OLGA, RegiaButton.unpack(data))
    assert "Il Bando Borghi e il PSR" in text(opened)
    report_text = await services.flows.reports.report_text(services.config.event(EVENT), 5, "en")
    assert "Report · Zone 5" in plain(report_text)


async def test_the_deadline_reminder_goes_to_zones_that_have_not_submitted(
    services: Services, clock: FakeClock
) -> None:
    reminders = services.report_reminders
    clock.set(BEFORE_REMINDER)
    assert await reminders.plan(clock.now()) == 0  # 11:50: not yet (12:00 to 12:10)
    await write_and_submit(services)  # zone 5 submits
    clock.set(REMINDER_TIME)
    assert await reminders.plan(clock.now()) == 1  # zone 9's facilitator only
    assert await reminders.plan(clock.now()) == 0  # looked at a moment ago
    clock.advance(dt.timedelta(seconds=20))
    assert await reminders.plan(clock.now()) == 0  # once per facilitator (the dedupe key)
    rows = await services.outbox.rows(kind=REPORT_REMINDER)
    assert [r.user_id for r in rows] == [FAC9.user_id]
    assert rows[0].expires_at is not None and rows[0].expires_at.astimezone(ROME).hour == 12
    prepared = await reminders.render(rows[0], clock.now())
    assert prepared.message is not None and "12:10" in (prepared.message.text or "")
    write = BoardButton.unpack(prepared.message.buttons[0][0].data)
    assert write is not None and write.action is A.REPORT_ZONE and write.a == 9
    # zone 9 submits before it is delivered: skipped
    sheet9 = (await sheets(services, 9))[0]
    store = services.worksheets.store
    await store.save_text(EVENT, 9, sheet9.id, "attori", "Rete", FAC9.user_id, clock.now())
    await store.submit(EVENT, 9, FAC9.user_id, clock.now())
    assert (await reminders.render(rows[0], clock.now())).skip == "submitted"
    clock.set(AFTER_DEADLINE)
    assert await reminders.plan(clock.now()) == 0


async def test_a_report_left_for_hours_is_over_but_its_draft_stays(
    services: Services, clock: FakeClock
) -> None:
    first = await services.flows.reports.command(FAC5)
    await tap(services, FAC5, first, "Tieni")
    clock.advance(dt.timedelta(hours=4))
    assert await services.flows.conversations.text(FAC5, "domani") is None  # not taken
    report = await services.worksheets.store.report(EVENT, 5)
    assert report is not None and len(report.texts) == 1
    again = await services.flows.reports.command(FAC5)
    assert "Riepilogo del resoconto" in text(again)
