"""Broadcasts through the flows: composing (the message captured as Content, the event, the
audience, send now or schedule by a typed date), a facilitator's own zone, the cancel button
(BroadcastButton) and /messaggi."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.broadcasts.service import BroadcastButton
from bot.kernel.conversation import Content
from bot.kernel.replies import Copy, Message, Outcome
from bot.staff.roles import FACILITATOR
from storage.broadcasts import Broadcast
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    CARLA,
    STAFF,
    Domain,
    data_of,
    labels,
    person,
    question,
    started,
    texts,
)
from tests.harness import ROME

FABIO = person(9200, "Fabio", "Facilitatore")  # facilitator of zone 5
TITLE = "Dalle strategie alle azioni - evento di co-pianificazione"
ZONE_5 = f"tutti gli iscritti della Zona 5 · Pinerolese a «{TITLE}»"


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Domain]:
    """Anna and Bruno registered in zone 5, Carla in zone 9; Fabio facilitates zone 5."""
    async with started(tmp_path) as domain:
        for who, zone in ((ANNA, 5), (BRUNO, 5), (CARLA, 9)):
            await domain.register(who, zone=zone)
        await domain.services.roles.store.grant(
            FABIO.user_id, FACILITATOR, "5", STAFF.user_id, domain.clock.now()
        )
        yield domain


async def composed(domain: Domain, text: str = "Ciao a tutti") -> Outcome:
    """The organiser's message to zone 5: the preview and the question."""
    await domain.flows.broadcasts.start(STAFF)
    out = await domain.say(STAFF, text)
    out = await domain.press(STAFF, out, TITLE)
    out = await domain.press(STAFF, out, "Una Zona")
    return await domain.press(STAFF, out, "5 · Pinerolese")


async def broadcasts(domain: Domain) -> list[Broadcast]:
    return await domain.services.broadcasts_store.with_status(
        "scheduled", "sending", "done", "cancelled"
    )


async def test_broadcasts_are_for_organisers_and_facilitators(room: Domain) -> None:
    out = await room.flows.broadcasts.start(ANNA)
    assert texts(out) == [room.t("it", "broadcast.not_allowed")]
    assert await room.conversation(ANNA) is None


async def test_composing_ends_with_a_preview_and_the_count(room: Domain) -> None:
    out = await room.flows.broadcasts.start(STAFF)
    assert texts(out) == [room.t("it", "broadcast.ask_message")]
    out = await room.say(STAFF, "Ciao a tutti")  # any message: the one to copy
    assert question(out).text == room.t("it", "broadcast.ask_event")
    out = await room.press(STAFF, out, TITLE)
    assert question(out).text == room.t("it", "broadcast.ask_audience") and len(labels(out)) == 7
    out = await room.press(STAFF, out, "Una Zona")
    assert question(out).text == room.t("it", "broadcast.ask_zone")
    out = await room.press(STAFF, out, "5 · Pinerolese")
    preview, copy, confirm = out.replies
    assert preview == Message(room.t("it", "broadcast.preview"))
    assert isinstance(copy, Copy) and copy.from_chat == STAFF.user_id
    assert isinstance(confirm, Message)
    assert confirm.text == room.t("it", "broadcast.confirm", audience=ZONE_5, count=2)


async def test_sending_now_queues_one_row_per_recipient(room: Domain) -> None:
    out = await room.press(STAFF, await composed(room), "Invia ora")
    (broadcast,) = await broadcasts(room)
    assert texts(out) == [room.t("it", "broadcast.started", id=broadcast.id)]
    assert (broadcast.status, broadcast.total, broadcast.content) == ("sending", 2, "text")
    assert broadcast.audience == {"event": "copianificazione-2023", "kind": "zone", "zone": 5}
    rows = await room.outbox(kind="broadcast")
    assert sorted(row.user_id for row in rows) == [ANNA.user_id, BRUNO.user_id]
    assert await room.conversation(STAFF) is None


async def test_a_photo_is_captured_and_an_unsupported_message_refused(room: Domain) -> None:
    await room.flows.broadcasts.start(STAFF)
    out = await room.send(STAFF, Content("sticker", 60, chat_id=STAFF.user_id))
    assert texts(out) == [
        room.t("it", "broadcast.unsupported"),
        room.t("it", "broadcast.ask_message"),
    ]
    await room.send(STAFF, Content("photo", 61, caption="Foto", chat_id=STAFF.user_id))
    talk = await room.flows.conversations.open(STAFF)
    assert talk is not None
    assert (talk.data.content, talk.data.source_message) == ("photo", 61)


async def test_scheduling_by_a_typed_date(room: Domain) -> None:
    out = await room.press(STAFF, await composed(room), "Programma l'invio")
    assert texts(out) == [room.t("it", "broadcast.ask_when")]
    for typed in ("domani", "31/02 10:00", "01/11 10:00"):  # unreadable, no such day, past
        out = await room.say(STAFF, typed)
        assert texts(out)[0] == room.t("it", "broadcast.bad_when")
    out = await room.say(STAFF, "04/12 18:00")
    assert question(out).text == room.t(
        "it", "broadcast.confirm_schedule", audience=ZONE_5, count=2, when="04/12/2023 18:00"
    )
    out = await room.press(STAFF, out, "Conferma")
    (broadcast,) = await broadcasts(room)
    assert texts(out) == [
        room.t("it", "broadcast.scheduled", id=broadcast.id, when="04/12/2023 18:00")
    ]
    assert BroadcastButton.unpack(data_of(out, "Annulla l'invio")) == BroadcastButton(
        "cancel", broadcast.id
    )
    assert broadcast.status == "scheduled"
    assert broadcast.scheduled_at == dt.datetime(2023, 12, 4, 18, 0, tzinfo=ROME)
    assert await room.outbox(kind="broadcast") == []  # recipients are resolved when it starts


async def test_stopping_sends_nothing(room: Domain) -> None:
    out = await room.press(STAFF, await composed(room), "✖️ Annulla")
    assert texts(out) == [room.t("it", "broadcast.stopped")]
    assert await broadcasts(room) == [] and await room.conversation(STAFF) is None


async def test_a_facilitator_writes_to_their_zone_only(room: Domain) -> None:
    await room.flows.broadcasts.start(FABIO)
    out = await room.say(FABIO, "Ci vediamo al tavolo")
    out = await room.press(FABIO, out, TITLE)  # no audience or zone question
    assert question(out).text == room.t("it", "broadcast.confirm", audience=ZONE_5, count=2)


async def test_a_facilitator_whose_role_ended_meanwhile_sends_nothing(room: Domain) -> None:
    await room.flows.broadcasts.start(FABIO)
    out = await room.press(FABIO, await room.say(FABIO, "Ci vediamo"), TITLE)
    await room.services.roles.store.revoke(FABIO.user_id, FACILITATOR, "5")
    out = await room.press(FABIO, out, "Invia ora")
    assert texts(out) == [room.t("it", "broadcast.not_allowed")]
    assert await broadcasts(room) == []


async def scheduled(room: Domain) -> BroadcastButton:
    out = await room.press(STAFF, await composed(room), "Programma l'invio")
    out = await room.press(STAFF, await room.say(STAFF, "04/12 18:00"), "Conferma")
    button = BroadcastButton.unpack(data_of(out, "Annulla l'invio"))
    assert button is not None
    return button


async def test_the_cancel_button(room: Domain) -> None:
    button = await scheduled(room)
    out = await room.flows.broadcasts.cancel_button(STAFF, button)
    assert out.toast == room.t("it", "broadcast.cancelled_toast")
    (broadcast,) = await broadcasts(room)
    assert broadcast.status == "cancelled"
    again = await room.flows.broadcasts.cancel_button(STAFF, button)
    assert again.alert == room.t("it", "broadcast.not_cancellable") and not again.close_keyboard


async def test_the_cancel_button_of_someone_else_or_forged(room: Domain) -> None:
    button = await scheduled(room)
    invalid = room.t("it", "button.invalid")
    for who, pressed in (
        (ANNA, button),
        (STAFF, BroadcastButton("cancel", button.broadcast_id + 1)),
        (STAFF, BroadcastButton("stop", button.broadcast_id)),
        (STAFF, None),
    ):
        assert (await room.flows.broadcasts.cancel_button(who, pressed)).alert == invalid
    assert [b.status for b in await broadcasts(room)] == ["scheduled"]


async def test_the_list_of_active_broadcasts(room: Domain) -> None:
    assert texts(await room.flows.broadcasts.list_active(FABIO)) == [
        room.t("it", "roles.organisers_only")
    ]
    out = await room.flows.broadcasts.list_active(STAFF)
    assert texts(out) == [room.t("it", "broadcast.none_active")]
    button = await scheduled(room)
    out = await room.flows.broadcasts.list_active(STAFF)
    assert texts(out) == [
        room.t(
            "it",
            "broadcast.active_scheduled",
            id=button.broadcast_id,
            audience=ZONE_5,
            when="04/12/2023 18:00",
            count=0,
        )
    ]
    assert BroadcastButton.unpack(data_of(out, "Annulla l'invio")) == button
