"""The facilitator's board (``/scheda``) through its flows, without Telegram.

Zones 5 and 9 after session 1 (:mod:`tests.flows.board_setup`): who sees which zone, the
views (zone, worksheet, section, paged), hide / star / merge / show again, photos as an
album, adding a spoken item and a board photo through the conversation engine, replacing
and adding a strategy; forged and stale buttons and bad input change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.buttons import MAX_BYTES
from bot.kernel.clock import FakeClock
from bot.kernel.conversation import Content, FlowButton
from bot.kernel.people import Who
from bot.kernel.replies import Album, Outcome
from bot.kernel.textsplit import TEXT_LIMIT
from bot.services import Services
from bot.worksheets.board_buttons import BoardAction
from bot.worksheets.board_edit import SHEET_ADD
from storage.worksheets import ItemStatus, Origin
from tests.flows.board_setup import (
    FAC5,
    FAC9,
    OLGA,
    REFERENT,
    SESSION_1,
    STRANGER,
    all_buttons,
    board,
    contribute,
    plain,
    press,
    set_scene,
    sheets,
    shown,
    start,
    text,
)
from tests.flows.helpers import flow_button

A = BoardAction


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    """Zones 5 and 9 at session 2, their worksheets made from the closed polls."""
    clock = FakeClock(SESSION_1)
    running = await start(tmp_path, clock)
    try:
        await set_scene(running, clock)
        yield running
    finally:
        await running.close()


async def test_who_sees_which_zone(services: Services) -> None:
    board_flows = services.flows.board
    refused = await board_flows.command(STRANGER)
    assert "facilitatori" in text(refused) and not all_buttons(refused)
    mine = await board_flows.command(FAC5)  # one zone: straight to its worksheets
    assert "Zona 5 · Pinerolese" in text(mine)
    assert "Rivoluzione verde" in text(mine) and "Salute" in text(mine)
    picker = await board_flows.command(REFERENT)  # Strambino: zones 9 and 10
    assert [b.label for b in all_buttons(picker)] == ["9 · Eporediese", "10 · Chivassese"]
    everyone = await board_flows.command(OLGA)
    assert len(all_buttons(everyone)) == 11
    zone9 = await board_flows.press(REFERENT, board(picker, "9 ·"))
    assert "Digitalizzazione" in text(zone9)
    # a forged button for another zone: refused, nothing shown
    forged = await board_flows.press(FAC5, press(A.ZONE, 9))
    assert forged.alert and forged.edit is None
    sheet9 = (await sheets(services, 9))[0]
    assert (await board_flows.press(FAC5, press(A.SHEET, sheet9.id))).alert
    assert (await board_flows.press(FAC5, None)).alert  # not a board button at all


async def test_hide_star_merge_and_show_again(services: Services) -> None:
    green = (await sheets(services, 5))[0]
    first = await contribute(services, green, "attori", "Il GAL Escartons")
    dup = await contribute(services, green, "attori", "gal escartons", user=3002)
    off = await contribute(services, green, "attori", "Il menù del pranzo", user=3003)
    flows, store = services.flows.board, services.worksheets.store
    sheet_view = await flows.press(FAC5, press(A.SHEET, green.id))
    assert "Reti di attori" in text(sheet_view) or "attori" in text(sheet_view).lower()
    section = await flows.press(FAC5, board(sheet_view, "(3)"))
    assert f"#{first.id}" in text(section) and "P3001" not in text(section)
    # hide the off-topic one: it leaves the list, stays in the record, shown again later
    hidden = await flows.press(FAC5, board(section, f"🙈 #{off.id}"))
    assert hidden.toast and f"#{off.id} " not in text(hidden)
    item = await store.item(off.id)
    assert item is not None and item.status == ItemStatus.HIDDEN
    assert (await flows.press(FAC5, press(A.HIDE, off.id))).alert  # already hidden
    # star the key point, merge the duplicate into it: "+1" under it
    starred = await flows.press(FAC5, board(hidden, f"☆ #{first.id}"))
    assert f"⭐ #{first.id}" in [b.label for b in all_buttons(starred)]
    picker = await flows.press(FAC5, board(starred, f"🔗 #{dup.id}"))
    merged = await flows.press(FAC5, board(picker, f"#{first.id} "))
    assert "+1" in text(merged)
    folded = await store.item(dup.id)
    assert folded is not None and folded.merged_into == first.id
    # merging into an item of another zone's worksheet: refused
    other = await contribute(services, (await sheets(services, 9))[0], "attori", "x", user=3011)
    assert (await flows.press(FAC5, press(A.INTO, first.id, other.id))).alert
    assert (await flows.press(FAC9, press(A.STAR, first.id))).alert  # not FAC9's zone
    # the hidden view lists both, and shows them again
    gone = await flows.press(FAC5, board(merged, "Nascosti"))
    assert f"#{off.id}" in text(gone) and f"#{dup.id}" in text(gone)
    back = await flows.press(FAC5, board(gone, f"Mostra di nuovo #{dup.id}"))
    restored = await store.item(dup.id)
    assert restored is not None and restored.merged_into is None and "+1" not in text(back)
    await flows.press(FAC5, press(A.RESTORE, off.id))
    again = await store.item(off.id)
    assert again is not None and again.status == ItemStatus.ACTIVE


async def test_thirty_items_fit_telegram_limits_and_every_one_is_reachable(
    services: Services,
) -> None:
    green = (await sheets(services, 5))[0]
    made = [
        await contribute(services, green, "declinazione", f"{n:02d} " + "parola " * 70)
        for n in range(30)
    ]
    flows = services.flows.board
    view = await flows.press(FAC5, press(A.SECTION, green.id, 0, 0))
    seen: set[int] = set()
    for _ in range(10):
        message = shown(view)[0]
        assert len(plain(message.text)) <= TEXT_LIMIT
        assert sum(len(row) for row in message.buttons) <= 100
        assert all(len((b.data or "").encode()) <= MAX_BYTES for b in all_buttons(view))
        seen |= {i.id for i in made if f"#{i.id} " in plain(message.text)}
        if "▶" not in [b.label for b in all_buttons(view)]:
            break
        view = await flows.press(FAC5, board(view, "▶"))
    assert seen == {i.id for i in made}
    assert "5/5" in text(view)


async def test_new_since_last_look(services: Services) -> None:
    green = (await sheets(services, 5))[0]
    await contribute(services, green, "progetti", "Bando borghi")
    flows = services.flows.board
    await flows.press(FAC5, press(A.SECTION, green.id, 1))  # looked at "progetti"
    clock = services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(dt.timedelta(minutes=1))
    fresh = await contribute(services, green, "progetti", "Contratti di fiume")
    view = await flows.press(FAC5, press(A.SHEET, green.id))
    assert "🆕 1" in text(view)
    section = await flows.press(FAC5, press(A.SECTION, green.id, 1))
    assert f"#{fresh.id} 🆕" in text(section)


async def test_photos_come_as_an_album(services: Services) -> None:
    green = (await sheets(services, 5))[0]
    flows = services.flows.board
    assert (await flows.press(FAC5, press(A.PHOTOS, green.id, 0))).alert  # none yet
    for n in range(12):
        await contribute(services, green, "declinazione", f"cartellone {n}", photo=f"FILE{n}")
    view = await flows.press(FAC5, press(A.SECTION, green.id, 0))
    album = await flows.press(FAC5, board(view, "📷 Foto (12)"))
    photos = [r for r in album.replies if isinstance(r, Album)]
    assert len(photos) == 1 and len(photos[0].photos) == 12
    assert photos[0].photos[0][0] == "FILE0" and "cartellone 0" in photos[0].photos[0][1]


async def _add(services: Services, outcome: Outcome, what: str | Content) -> Outcome:
    conversations = services.flows.conversations
    if isinstance(what, str):
        answered = await conversations.text(FAC5, what)
    else:
        answered = await conversations.content(FAC5, what)
    assert answered is not None
    return answered


async def test_the_facilitator_adds_a_spoken_item_and_a_photo(services: Services) -> None:
    green = (await sheets(services, 5))[0]
    flows, conversations = services.flows.board, services.flows.conversations
    section = await flows.press(FAC5, press(A.SECTION, green.id, 2))
    asked = await flows.press(FAC5, board(section, "Aggiungi un contributo"))
    assert asked.in_place and "foto" in text(asked)
    sticker = await _add(services, asked, Content("sticker", 1))
    assert "testo o una foto" in text(sticker)
    too_long = await _add(services, asked, "x" * 501)
    assert "501" in text(too_long)
    preview = await _add(services, asked, "Coinvolgere la Coldiretti")
    added = await conversations.press(FAC5, flow_button(preview, "Aggiungi"), None)
    assert "Coldiretti" in text(added) and "facilitatore" in text(added)
    # a second press of the same (now stale) button stores nothing more
    await conversations.press(FAC5, flow_button(preview, "Aggiungi"), None)
    items = await services.worksheets.store.items([green.id])
    assert [(i.text, i.origin, i.added_by) for i in items] == [
        ("Coinvolgere la Coldiretti", Origin.FACILITATOR, FAC5.user_id)
    ]
    # a photo of the board, with its caption
    asked = await flows.press(FAC5, press(A.ADD_ITEM, green.id, 2))
    photo = Content("photo", 2, caption="Cartellone attori", file_id="BOARD1")
    preview = await _add(services, asked, photo)
    await conversations.press(FAC5, flow_button(preview, "Aggiungi"), None)
    items = await services.worksheets.store.items([green.id])
    assert items[-1].kind == "photo" and items[-1].photo == "BOARD1"
    # another zone's worksheet: refused before asking anything
    nine = (await sheets(services, 9))[0]
    assert (await flows.press(FAC5, press(A.ADD_ITEM, nine.id, 0))).alert
    assert await services.conversations.get(FAC5.user_id) is None
    # /annulla in the middle: nothing added
    await flows.press(FAC5, press(A.ADD_ITEM, green.id, 0))
    assert (await services.conversations.get(FAC5.user_id)).flow == SHEET_ADD  # type: ignore[union-attr]
    stopped = await conversations.stop(FAC5)
    assert stopped is not None and len(await services.worksheets.store.items([green.id])) == 2


async def test_replace_and_add_a_strategy(services: Services) -> None:
    flows, conversations = services.flows.board, services.flows.conversations
    before = await sheets(services, 5)
    sheet_view = await flows.press(FAC5, press(A.SHEET, before[2].id))  # mobility
    asked = await flows.press(FAC5, board(sheet_view, "Sostituisci"))
    labels = [b.label for b in all_buttons(asked)]
    assert "Istruzione e ricerca" in labels and "Salute" not in labels  # the zone has it
    confirm = await conversations.press(FAC5, flow_button(asked, "Istruzione"), None)
    assert "Infrastrutture" in text(confirm) and "Istruzione" in text(confirm)
    done = await conversations.press(FAC5, flow_button(confirm, "Conferma"), None)
    assert "Istruzione e ricerca" in text(done) and "Infrastrutture" not in text(done)
    after = await sheets(services, 5)
    assert [w.strategy for w in after] == ["2", "6", "4"]
    old = await services.worksheets.store.worksheet(before[2].id)
    assert old is not None and not old.active  # kept, with its items
    assert (await flows.press(FAC5, press(A.SHEET, before[2].id))).alert  # gone from the board
    added = await flows.press(FAC5, board(done, "Aggiungi una strategia"))
    confirm = await conversations.press(FAC5, flow_button(added, "Inclusione"), None)
    await conversations.press(FAC5, flow_button(confirm, "Conferma"), None)
    assert [w.strategy for w in await sheets(services, 5)] == ["2", "6", "4", "5"]
    # a strategy id the flow did not offer: "makes no sense here"
    again = await flows.press(FAC5, press(A.ADD_SHEET, 5))
    picks = [b for b in all_buttons(again) if b.data and b.data.startswith("r|")]
    forged = picks[0].data.rsplit("|", 1)[0] + "|6"  # type: ignore[union-attr]
    unpacked = FlowButton.unpack(forged)
    assert unpacked is not None
    refused = await conversations.press(FAC5, unpacked, None)
    assert refused.alert


async def test_the_board_and_the_report_speak_english(services: Services) -> None:
    fabio = Who(FAC5.user_id, "Fabio", None, "en")
    zone = await services.flows.board.command(fabio)
    assert "Worksheets · Zone 5 · Pinerolese" in text(zone)
    assert "Green revolution" in text(zone)
    report = await services.flows.reports.command(fabio)
    assert "Report · Zone 5" in text(report) and "step 1 of 18" in text(report)
