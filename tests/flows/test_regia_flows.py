"""The regia without Telegram: the board of the zones, a zone's report, the lock, the
``report_submitted`` board, the whole synthesis (shared networks first, matching that ignores
case, accents and punctuation), the exports of contributions (formula-looking text
neutralised), the final synthesis sent to every confirmed registrant, and refusals."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.kernel.commands import FACILITATOR
from bot.kernel.conversation import Content
from bot.kernel.replies import Document, Message, Photo
from bot.worksheets.matching import Named, names, normalise, shared_names
from bot.worksheets.regia import REPORT_SUBMITTED, RegiaAction, RegiaButton
from storage.outbox import Planned
from storage.worksheet_reports import NOTE
from storage.worksheets import ItemStatus
from tests.flows.helpers import (
    ANNA,
    STAFF,
    Domain,
    data_of,
    document,
    labels,
    person,
    started,
    texts,
)
from tests.harness import bundled_event_data, config_from
from tests.regia_seed import EVENT, SESSION_2, closed_poll, contribute, people, report

FABIO = person(9105, "Fabio", "Facilitatore")
# positions of the six bundled axes: "1" digital ... "6" health
DIGITAL, GREEN, MOBILITY, SCHOOL, INCLUSION, HEALTH = range(6)


@pytest.fixture
async def regia(tmp_path: Path) -> AsyncIterator[Domain]:
    """Zones 5 and 6 after session 1 (both chose green first) and some of session 2:
    contributions in zone 5 (one hidden, one merged), zone 6's report submitted, zone 5's
    a draft; Fabio facilitates zone 5."""
    async with started(tmp_path, now=SESSION_2) as domain:
        services = domain.services
        await services.roles.store.grant(FABIO.user_id, FACILITATOR, "5", STAFF.user_id, SESSION_2)
        five = await people(services, 5, [3001, 3002, 3003])
        six = await people(services, 6, [3101, 3102, 3103])
        await people(services, 6, [3104], mode="online")
        sheets5 = await closed_poll(
            services, 5, five, [[GREEN, HEALTH, DIGITAL], [GREEN, HEALTH], [GREEN]]
        )
        sheets6 = await closed_poll(services, 6, six, [[GREEN, DIGITAL], [GREEN, SCHOOL], [GREEN]])
        green5, green6 = sheets5[0], sheets6[0]
        assert green5.strategy == green6.strategy == "2"
        await contribute(
            services, green5, "attori", "Comune di Pinerolo\nCAI Pinerolo", registration=five[0]
        )
        await contribute(
            services, green5, "progetti", "Bando Distretti del cibo", registration=five[1]
        )
        await contribute(
            services, green5, "declinazione", "Piste ciclabili tra i comuni", registration=five[1]
        )
        await contribute(services, green5, "declinazione", "Comunità energetiche", starred=True)
        hidden = await contribute(
            services, green5, "declinazione", "Fuori tema", registration=five[2]
        )
        await services.worksheets.store.set_status(hidden, ItemStatus.HIDDEN, SESSION_2)
        kept = await contribute(services, green5, "abilitanti", "Fondi PNRR", registration=five[0])
        dup = await contribute(
            services, green5, "abilitanti", "fondi pnrr (doppione)", registration=five[2]
        )
        await services.worksheets.store.merge(dup, kept, SESSION_2)
        await contribute(
            services, green5, "precondizioni", '=HYPERLINK("http://x")', registration=five[2]
        )
        await contribute(
            services,
            green6,
            "attori",
            "comune di pinerolo!; Unione Montana Valle Susa",
            registration=six[0],
        )
        await contribute(
            services, green6, "declinazione", "Non usato: c'è il resoconto", registration=six[1]
        )
        await report(
            services,
            6,
            {
                (green6.id, "declinazione"): "Treni ogni 30 minuti\nBici sui treni",
                (green6.id, NOTE): "Tavolo vivace",
            },
        )
        await report(services, 5, {(green5.id, "declinazione"): "Bozza non inviata"}, submit=False)
        yield domain


def press(label_data: str) -> RegiaButton:
    found = RegiaButton.unpack(label_data)
    assert found is not None
    return found


async def test_the_board_has_a_line_per_zone_and_a_button_per_report(regia: Domain) -> None:
    out = await regia.flows.regia.control_room(STAFF)
    [board] = texts(out)
    assert "Regia" in board and "Dalle strategie alle azioni" in board
    lines = [line for line in board.splitlines() if line.startswith("<b>") and "·" in line]
    assert len(lines) == len(regia.config.zones) == 11
    five = next(line for line in lines if line.startswith("<b>5 · Pinerolese"))
    assert "✅ 3 risp." in five and "🗂 3" in five and "✏️ bozza 10:40" in five
    # visible contributions: 8 stored, one hidden and one merged away
    assert "💬 6 (3 pers.)" in five
    six = next(line for line in lines if line.startswith("<b>6 ·"))
    assert "📨 inviato 10:40" in six
    one = next(line for line in lines if line.startswith("<b>1 ·"))
    assert "🗳 —" in one and "📝 —" in one
    assert "Resoconti inviati: 1 su 11" in board
    assert labels(out) == ["📄 Zona 5", "📄 Zona 6", "🔄 Aggiorna", "🔒 Blocca i resoconti"]


async def test_reading_a_report_and_locking(regia: Domain) -> None:
    board = await regia.flows.regia.control_room(STAFF)
    out = await regia.flows.regia.press(STAFF, press(data_of(board, "Zona 6")))
    [text] = texts(out)
    assert "Resoconto · Zona 6" in text and "Inviato alle 10:40" in text
    assert "Treni ogni 30 minuti" in text and "Tavolo vivace" in text
    assert out.close_keyboard is False  # the board keeps its buttons
    out = await regia.flows.regia.press(STAFF, press(data_of(board, "Blocca")))
    assert out.toast == regia.t("it", "regia.lock_done")
    assert await regia.services.worksheets.store.locked(EVENT) is not None
    assert out.edit is not None and "🔒 Resoconti bloccati dalle 10:40" in out.edit.text
    assert "🔓 Sblocca i resoconti" in [b.label for row in out.edit.buttons for b in row]
    again = await regia.flows.regia.press(STAFF, press(data_of(board, "Blocca")))  # stale board
    assert again.toast == regia.t("it", "regia.lock_unchanged")
    unlock = RegiaButton(RegiaAction.UNLOCK, EVENT)
    await regia.flows.regia.press(STAFF, unlock)
    assert await regia.services.worksheets.store.locked(EVENT) is None


async def test_forged_buttons_and_other_roles_are_refused(regia: Domain) -> None:
    refusal = regia.t("it", "roles.organisers_only")
    for command in (
        regia.flows.regia.control_room,
        regia.flows.regia.synthesis,
        regia.flows.regia.send_synthesis,
    ):
        assert texts(await command(FABIO)) == [refusal]
        assert texts(await command(ANNA)) == [refusal]
    out = await regia.flows.regia.press(FABIO, RegiaButton(RegiaAction.LOCK, EVENT))
    assert out.alert == refusal
    assert await regia.services.worksheets.store.locked(EVENT) is None
    invalid = regia.t("it", "button.invalid")
    assert (await regia.flows.regia.press(STAFF, None)).alert == invalid
    assert (
        await regia.flows.regia.press(STAFF, RegiaButton(RegiaAction.REFRESH, "nope"))
    ).alert == invalid
    assert (
        await regia.flows.regia.press(STAFF, RegiaButton(RegiaAction.REPORT, EVENT, "99"))
    ).alert == invalid


async def test_the_report_submitted_row_brings_the_fresh_board(regia: Domain) -> None:
    now = regia.clock.now()
    for user in (STAFF.user_id, FABIO.user_id):
        await regia.services.outbox.add(
            [
                Planned(
                    f"rs:{user}", REPORT_SUBMITTED, user, now, payload={"event": EVENT, "zone": 6}
                )
            ],
            now,
        )
    rows = {row.user_id: row for row in await regia.outbox(kind=REPORT_SUBMITTED)}
    render = regia.flows.regia.board.render_submitted
    prepared = await render(rows[STAFF.user_id], now)
    assert prepared.message is not None and prepared.message.text is not None
    assert prepared.message.text.startswith(
        "📨 <b>Zona 6 · Valli di Susa e Sangone ha inviato il resoconto</b>"
    )
    assert "Resoconti inviati: 1 su 11" in prepared.message.text
    assert prepared.message.buttons  # the board's buttons
    assert (await render(rows[FABIO.user_id], now)).skip == "not_organiser"


def test_matching_ignores_case_accents_and_punctuation() -> None:
    assert normalise("Comune di Pinerolo") == normalise("comune di pinerolo!")
    assert normalise("Città  Metropolitana") == normalise("citta' metropolitana")
    assert normalise("Comune di Pinerolo") != normalise("Comune di Pinerolo Alta")
    assert names("- Comune di Pinerolo\n• CAI Pinerolo; 3) ASL TO3.\n\n") == [
        "Comune di Pinerolo",
        "CAI Pinerolo",
        "ASL TO3",
    ]
    assert names("Comune di Pinerolo, ufficio tecnico") == ["Comune di Pinerolo, ufficio tecnico"]
    shared, alone = shared_names(
        [
            Named(5, "CAI"),
            Named(5, "Comune di Pinerolo"),
            Named(6, "comune di pinerolo!"),
            Named(6, "cai"),
            Named(7, "C.A.I."),
        ]
    )
    assert [(s.name, s.zones) for s in shared] == [("CAI", (5, 6)), ("Comune di Pinerolo", (5, 6))]
    assert alone == [Named(7, "C.A.I.")]  # "c a i" is not "cai": dots separate words


async def test_sintesi_is_the_polls_then_the_strategies_with_networks_first(regia: Domain) -> None:
    out = await regia.flows.regia.synthesis(STAFF)
    assert isinstance(out.replies[0], Message) and "Sintesi" in out.replies[0].text
    assert isinstance(out.replies[1], Photo)  # the heatmap
    body = "\n".join(texts(out)[1:-1])
    assert "Sessione 2: le strategie al lavoro" in body
    green = body.index("<b>Rivoluzione verde")
    assert "2 zone: Z5, Z6" in body[green : green + 200]
    # the shared actor first, with both zones, then the others each with its zone
    shared = body.index("🤝 <b>Comune di Pinerolo</b> — Z5, Z6")
    assert shared < body.index("• CAI Pinerolo (Z5)") and shared < body.index(
        "• Unione Montana Valle Susa (Z6)"
    )
    assert "comune di pinerolo!" not in body
    # zone 6 submitted: its report's lines, not its contributions; zone 5's draft is not used
    assert "• Treni ogni 30 minuti (Z6)" in body and "Non usato" not in body
    assert "Bozza non inviata" not in body
    # starred first; hidden and merged-away never
    assert body.index("⭐ Comunità energetiche (Z5)") < body.index(
        "• Piste ciclabili tra i comuni (Z5)"
    )
    assert "Fuori tema" not in body and "doppione" not in body
    # strategies most zones first: green (2 zones) before the others (1 zone)
    assert body.index("<b>Rivoluzione verde") < body.index("<b>Salute")
    last = out.replies[-1]
    assert isinstance(last, Message)
    assert [b.label for row in last.buttons for b in row] == [
        "📄 Word",
        "📊 Slide",
        "CSV contributi",
        "Excel contributi",
    ]


async def test_a_starred_actor_keeps_its_star_in_the_synthesis(regia: Domain) -> None:
    """The actors' section is read as names (networks first): a key point the facilitator
    starred there stays starred in /sintesi (and so in the documents)."""
    services = regia.services
    green5 = (await services.worksheets.worksheets(services.config.event(EVENT), 5))[0]
    await contribute(services, green5, "attori", "Consorzio forestale", starred=True)
    out = await regia.flows.regia.synthesis(STAFF)
    body = "\n".join(texts(out)[1:-1])
    assert "⭐ Consorzio forestale (Z5)" in body
    assert body.index("⭐ Consorzio forestale (Z5)") < body.index("• CAI Pinerolo (Z5)")
    assert "🤝 <b>Comune di Pinerolo</b> — Z5, Z6" in body  # shared names: as before


async def test_documents_and_exports_from_the_buttons(regia: Domain) -> None:
    out = await regia.flows.regia.synthesis(STAFF)
    word = document(await regia.flows.regia.press(STAFF, press(data_of(out, "Word"))))
    assert word.filename == f"sintesi-{EVENT}.docx" and word.content[:2] == b"PK"
    slides = document(await regia.flows.regia.press(STAFF, press(data_of(out, "Slide"))))
    assert slides.filename.endswith(".pptx")
    csv = document(await regia.flows.regia.press(STAFF, press(data_of(out, "CSV"))))
    text = csv.content.decode("utf-8-sig")
    header = text.splitlines()[0].split(";")
    assert header[:8] == [
        "event_id",
        "zone",
        "strategy",
        "strategy_title",
        "section",
        "text",
        "kind",
        "source",
    ]
    assert "'=HYPERLINK" in text  # neutralised
    assert (
        "Fuori tema" in text and "fondi pnrr (doppione)" in text
    )  # hidden, merged: exported, marked
    assert (
        "Treni ogni 30 minuti" in text and "Bozza non inviata" in text
    )  # report texts, drafts too
    assert "P3001" not in text  # no names
    excel = document(await regia.flows.regia.press(STAFF, press(data_of(out, "Excel"))))
    sheet = load_workbook(io.BytesIO(excel.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    columns = list(rows[0])
    formula = next(r for r in rows if r[columns.index("text")] == '=HYPERLINK("http://x")')
    assert formula[columns.index("kind")] == "text"
    hidden = next(r for r in rows if r[columns.index("text")] == "Fuori tema")
    assert hidden[columns.index("hidden")] == 1
    merged = next(r for r in rows if r[columns.index("text")] == "fondi pnrr (doppione)")
    assert merged[columns.index("merged")] == 1
    note = next(r for r in rows if r[columns.index("text")] == "Tavolo vivace")
    assert note[columns.index("kind")] == "note" and note[columns.index("source")] == "facilitator"
    for cell in sheet["F"]:
        if cell.value == '=HYPERLINK("http://x")':
            assert cell.data_type == "s" and cell.quotePrefix


async def test_the_final_synthesis_goes_to_every_confirmed_registrant(regia: Domain) -> None:
    flows = regia.flows
    out = await flows.regia.send_synthesis(STAFF)
    assert texts(out) == [
        regia.t(
            "it",
            "regia.final_ask_file",
            event="Dalle strategie alle azioni - evento di co-pianificazione",
        )
    ]
    out = await regia.say(STAFF, "eccola")
    assert regia.t("it", "regia.final_not_a_file") in texts(out)
    photo = Content("photo", regia.next_message_id(), chat_id=STAFF.user_id, file_id="X")
    out = await regia.send(STAFF, photo)
    assert regia.t("it", "regia.final_not_a_file") in texts(out)
    file = Content("document", 777, filename="sintesi-finale.pdf", chat_id=STAFF.user_id)
    out = await regia.send(STAFF, file)
    # 3 in person at zone 5, 3 in person and 1 online at zone 6
    assert "«sintesi-finale.pdf» a 7 iscritti confermati" in texts(out)[-1]
    out = await regia.press(STAFF, out, "Invia")
    assert "Invio della sintesi avviato" in texts(out)[-1]
    rows = await regia.outbox(kind="broadcast")
    assert len(rows) == 7 and len({row.user_id for row in rows}) == 7
    broadcast = await regia.services.broadcasts_store.get(rows[0].broadcast_id or 0)
    assert broadcast is not None and broadcast.source_message == 777
    assert broadcast.audience == {"event": EVENT, "kind": "registrants"}


async def test_the_final_synthesis_can_be_stopped(regia: Domain) -> None:
    await regia.flows.regia.send_synthesis(STAFF)
    file = Content("document", 778, filename="s.docx", chat_id=STAFF.user_id)
    out = await regia.send(STAFF, file)
    out = await regia.press(STAFF, out, "Annulla")
    assert texts(out)[-1] == regia.t("it", "regia.final_stopped")
    assert await regia.outbox(kind="broadcast") == []


async def test_a_document_reply_is_a_document(regia: Domain) -> None:
    out = await regia.flows.regia.press(STAFF, RegiaButton(RegiaAction.DOCX, EVENT))
    assert isinstance(out.replies[0], Document)


async def test_without_session_2_sintesi_is_session_1s(tmp_path: Path) -> None:
    data = bundled_event_data()
    for event in data["events"]:
        event.pop("worksheets", None)
    async with started(tmp_path, now=SESSION_2, config=config_from(data)) as domain:
        out = await domain.flows.regia.synthesis(STAFF)
        [text] = texts(out)
        assert "Sintesi trasversale" in text and "strategie al lavoro" not in text
        assert texts(await domain.flows.regia.control_room(STAFF)) == [
            domain.t("it", "regia.no_event")
        ]
