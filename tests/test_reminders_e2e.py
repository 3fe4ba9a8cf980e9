"""Reminders and online links through the fake Bot API, with the clock moved by the test."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from storage.outbox import OutboxRow
from tests.harness import BotHarness, answer, at, config_with, register

ORGANISER = 9000
LINK = "https://meet.example.org/psm-5-dicembre"
NEW_LINK = "https://meet.example.org/psm-5-dicembre-bis"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, organisers=[ORGANISER]) as harness:
        yield harness


async def reminders(bot: BotHarness, user_id: int) -> list[OutboxRow]:
    """A participant's reminders in the outbox (not their confirmation)."""
    return await bot.services.outbox.rows(user_id=user_id, kind="reminder")


def texts(user: FakeUser) -> list[str]:
    """Everything the bot said to the user, in order."""
    return [m.content for m in user.messages]


def new_texts(user: FakeUser, before: int) -> list[str]:
    """What the bot said after the first ``before`` messages."""
    return texts(user)[before:]


async def set_link(api: FakeBotApi, url: str, session: str = "Tutte le sessioni") -> None:
    """The organiser sets a link from the chat."""
    organiser = api.user(ORGANISER, "Org", language_code="it")
    await organiser.send("/imposta_link")
    await answer(organiser, "Per quale incontro", "Dalle strategie")
    await answer(organiser, "per quale sessione", session)
    await organiser.wait_for("Mandami il link")
    await organiser.send(url)
    await organiser.wait_for("Link salvato")


async def test_the_whole_day_for_in_person_and_online(api: FakeBotApi, bot: BotHarness) -> None:
    anna = api.user(3001, "Anna")  # in person, zone 5 (Pinerolo)
    bill = api.user(3002, "Bill", language_code="en")  # in person, zone 9 (Strambino)
    carlo = api.user(3003, "Carlo")  # online, zone 1
    dora = api.user(3004, "Dora")  # online, zone 11
    await register(anna)
    await register(bill, zone="9 · Eporediese", mode="In person", english=True)
    await register(carlo, zone="1 · Torino Città", mode="Online")
    await register(dora, zone="11 · Chierese", mode="Online")
    await set_link(api, LINK)
    counts = {u.id: len(u.messages) for u in (anna, bill, carlo, dora)}

    await bot.at(at(4, 17, 59))
    assert all(len(u.messages) == counts[u.id] for u in (anna, bill, carlo, dora))

    await bot.at(at(4, 18, 0))
    (eve_anna,) = new_texts(anna, counts[anna.id])
    assert "Domani" in eve_anna and "Comune di Pinerolo" in eve_anna and "9:15" in eve_anna
    (eve_bill,) = new_texts(bill, counts[bill.id])
    assert "Tomorrow" in eve_bill and "Strambino" in eve_bill
    (eve_carlo,) = new_texts(carlo, counts[carlo.id])
    assert "plenaria online" in eve_carlo and "9:30" in eve_carlo and LINK not in eve_carlo

    await bot.at(at(5, 7, 30))
    assert "Buongiorno Anna" in texts(anna)[-1]
    assert "Good morning Bill" in texts(bill)[-1]
    assert "Buongiorno Carlo" in texts(carlo)[-1] and "9:30" in texts(carlo)[-1]

    await bot.at(at(5, 9, 15))
    assert LINK in texts(carlo)[-1] and LINK in texts(dora)[-1]
    assert "Plenaria: saluti istituzionali" in texts(carlo)[-1]
    assert all(LINK not in text for text in texts(anna) + texts(bill))

    await bot.at(at(5, 12, 5))
    assert LINK in texts(dora)[-1] and "12:20" in texts(dora)[-1]
    await bot.at(at(5, 12, 10))
    assert "sintesi trasversale" in texts(dora)[-1] and LINK in texts(dora)[-1]

    await bot.at(at(5, 13, 30))
    for user in (anna, carlo, dora):
        assert "Grazie per aver partecipato" in texts(user)[-1]
    assert "Thank you for taking part" in texts(bill)[-1]

    await bot.at(at(6, 12, 0))  # nothing is sent twice, whatever the number of drains
    final = {u.id: texts(u)[counts[u.id] :] for u in (anna, bill, carlo, dora)}
    assert len(final[anna.id]) == 3 and len(final[bill.id]) == 3  # eve, morning, thanks
    assert len(final[carlo.id]) == 6 and len(final[dora.id]) == 6  # + 3 links
    assert all(LINK not in t for t in final[anna.id] + final[bill.id])
    statuses = await bot.services.outbox.counts(kind="reminder")
    assert statuses == {"sent": 18}


async def test_link_changed_after_it_was_sent(api: FakeBotApi, bot: BotHarness) -> None:
    carlo = api.user(3011, "Carlo")
    anna = api.user(3012, "Anna")
    await register(carlo, zone="1 · Torino Città", mode="Online")
    await register(anna)
    await set_link(api, LINK)
    await bot.at(at(5, 9, 15))
    assert LINK in texts(carlo)[-1]
    before_anna = len(anna.messages)
    bot.clock.set(at(5, 9, 20))
    await set_link(api, NEW_LINK, session="Plenaria: saluti")
    await bot.drain()
    assert "è cambiato" in texts(carlo)[-1] and NEW_LINK in texts(carlo)[-1]
    assert len(anna.messages) == before_anna
    await bot.drain()  # no second correction
    assert sum("è cambiato" in t for t in texts(carlo)) == 1
    # The closing plenary keeps the event-wide link (only the opening one was changed).
    await bot.at(at(5, 12, 5))
    assert LINK in texts(carlo)[-1] and NEW_LINK not in texts(carlo)[-1]


async def test_link_waits_until_it_is_set(api: FakeBotApi, bot: BotHarness) -> None:
    dora = api.user(3021, "Dora")
    await register(dora, zone="11 · Chierese", mode="Online")
    await bot.at(at(5, 9, 15))  # no link yet: the message waits
    assert "Collegati" not in texts(dora)[-1]
    bot.clock.set(at(5, 9, 22))
    await set_link(api, LINK)
    await bot.at(
        at(
            5,
            9,
            22,
        )
        + dt.timedelta(minutes=1)
    )
    assert LINK in texts(dora)[-1] and "Tra 15 minuti" in texts(dora)[-1]


async def test_restart_with_reminders_due_during_downtime(api: FakeBotApi, bot: BotHarness) -> None:
    carlo = api.user(3031, "Carlo")
    await register(carlo, zone="1 · Torino Città", mode="Online")
    await set_link(api, LINK)
    before = len(carlo.messages)
    await bot.stop()
    bot.clock.set(at(5, 9, 20))  # the eve (4 Dec 18:00) and the morning (7:30) passed
    await bot.start()
    await bot.drain()
    (link,) = new_texts(carlo, before)  # only what is still useful: the link
    assert LINK in link
    rows = {row.rule_id: row for row in await bot.services.outbox.rows(user_id=3031)}
    assert (rows["vigilia-online"].status, rows["vigilia-online"].reason) == ("skipped", "late")
    assert (rows["mattina-online"].status, rows["mattina-online"].reason) == ("skipped", "late")
    await bot.restart()
    await bot.drain()
    assert len(carlo.messages) == before + 1  # nothing twice after another restart


async def test_flood_control_429_storm(api: FakeBotApi, bot: BotHarness) -> None:
    users = [api.user(3100 + i, f"U{i}") for i in range(6)]
    for user in users:
        await register(user, zone="3 · AMT Sud")
    counts = {u.id: len(u.messages) for u in users}
    api.fail_next("sendMessage", error_code=429, retry_after=1, times=4)
    await bot.at(at(4, 18, 0))
    assert api.stats["429"] >= 4
    for user in users:
        (eve,) = new_texts(user, counts[user.id])
        assert "Domani" in eve
    assert (await bot.services.outbox.counts(kind="reminder")).get("sent") == len(users)


async def test_blocked_participant_is_not_retried_until_back(
    api: FakeBotApi, bot: BotHarness
) -> None:
    eva = api.user(3041, "Eva")
    await register(eva)
    api.block_user(3041)
    await bot.at(at(4, 18, 0))
    user = await bot.services.users.get(3041)
    assert user is not None and not user.reachable
    rows = {row.rule_id: row for row in await reminders(bot, 3041)}
    assert (rows["vigilia-presenza"].status, rows["vigilia-presenza"].reason) == (
        "failed",
        "blocked",
    )
    blocked_calls = len(api.calls("sendMessage"))
    await bot.at(at(5, 7, 30))  # skipped without calling Telegram
    assert len(api.calls("sendMessage")) == blocked_calls
    assert (await reminders(bot, 3041))[1].reason == "unreachable"
    api.unblock_user(3041)
    await eva.my_chat_member("member")
    await api.wait_until(lambda: True, 1, lambda: "")
    await eva.settle()
    user = await bot.services.users.get(3041)
    assert user is not None and user.reachable
    await bot.at(at(5, 13, 30))
    assert "Grazie" in texts(eva)[-1]


async def test_late_registration_gets_only_what_is_ahead(api: FakeBotApi, bot: BotHarness) -> None:
    await set_link(api, LINK)
    bot.clock.set(at(5, 9, 20))
    late = api.user(3051, "Lia")
    await register(late, zone="2 · AMT Ovest", mode="Online")
    before = len(late.messages)
    await bot.drain()
    (link,) = new_texts(late, before)
    assert LINK in link
    planned = {row.rule_id for row in await reminders(bot, 3051)}
    assert planned == {"link", "link-chiusura", "grazie"}


async def test_change_of_zone_and_mode_replans(api: FakeBotApi, bot: BotHarness) -> None:
    gino = api.user(3061, "Gino")
    await register(gino)
    await gino.send("/iscrizione")
    await answer(gino, "La tua iscrizione", "Cambia zona")
    await answer(gino, "Scegli la tua", "10 · Chivassese")
    await answer(gino, "Confermi la modifica", "Sì, modifica")
    await gino.wait_for("Iscrizione aggiornata")
    await bot.at(at(4, 18, 0))
    assert "Strambino" in texts(gino)[-1]
    await gino.send("/iscrizione")
    await answer(gino, "La tua iscrizione", "Cambia modalità")
    await answer(gino, "Come parteciperai", "Online")
    await answer(gino, "Confermi la modifica", "Sì, modifica")
    await gino.wait_for("Iscrizione aggiornata")
    await set_link(api, LINK)
    await bot.at(at(5, 7, 30))
    assert "plenaria online" in texts(gino)[-1]
    await bot.at(at(5, 9, 15))
    assert LINK in texts(gino)[-1]
    await gino.send("/annulla")
    await answer(gino, "Vuoi davvero annullare", "Sì, annulla")
    await gino.wait_for("annullata")
    before = len(gino.messages)
    await bot.at(at(5, 13, 30))
    assert len(gino.messages) == before
    rows = await bot.services.outbox.rows(user_id=3061, status="cancelled")
    assert {row.rule_id for row in rows} >= {"grazie"}


async def test_waitlisted_get_nothing_until_promoted(api: FakeBotApi, tmp_path: Path) -> None:
    harness = await BotHarness(api, tmp_path, config=config_with(condove=1)).start()
    try:
        first, second = api.user(3071, "Primo"), api.user(3072, "Secondo")
        await register(first, zone="6 · Valli di Susa")
        await register(second, zone="6 · Valli di Susa")
        before = len(second.messages)
        await harness.at(at(4, 18, 0))
        assert len(second.messages) == before
        await first.send("/annulla")
        await answer(first, "Vuoi davvero annullare", "Sì, annulla")
        await second.wait_for("Si è liberato un posto")
        await harness.at(at(5, 7, 30))
        assert "Buongiorno Secondo" in texts(second)[-1]
    finally:
        await harness.stop()


async def test_link_command_for_each_kind_of_participant(api: FakeBotApi, bot: BotHarness) -> None:
    online = api.user(3081, "Olga")
    in_person = api.user(3082, "Ivo")
    stranger = api.user(3083, "Sara")
    await register(online, zone="4 · AMT Nord", mode="Online")
    await register(in_person, zone="4 · AMT Nord")
    await online.send("/link")
    assert "sarà disponibile qui dalle 9:15" in (await online.wait_for("disponibile")).content
    await in_person.send("/link")
    await in_person.wait_for("in presenza")
    await stranger.send("/link")
    await stranger.wait_for("prima iscriviti")
    bot.clock.set(at(5, 9, 20))
    await online.send("/link")
    await online.wait_for("non è ancora stato pubblicato")
    await set_link(api, LINK)
    await online.send("/link")
    message = await online.wait_for(LINK)
    assert ("Apri il link", LINK) in message.buttons
    bot.clock.set(at(5, 10, 5))
    await online.send("/link")
    await online.wait_for("12:05")  # the next session: closing plenary
    bot.clock.set(at(5, 13, 5))
    await online.send("/link")
    await online.wait_for("sono terminate")


async def test_set_link_is_for_organisers_and_checks_the_url(
    api: FakeBotApi, bot: BotHarness
) -> None:
    intruder = api.user(3091, "Ugo")
    await intruder.send("/imposta_link")
    await intruder.wait_for("riservato agli organizzatori")
    assert await bot.services.conversations.get(3091) is None
    organiser = api.user(ORGANISER, "Org")
    await organiser.send("/set_link")
    await answer(organiser, "Per quale incontro", "Verso il nuovo")
    await organiser.wait_for("Mandami il link")  # a single hybrid session: no session step
    for bad in ("http://insecure.example.org", "https://", "ciao", "https://x.org/" + "a" * 600):
        await organiser.send(bad)
        await organiser.wait_for("non è un link valido")
    await organiser.send("https://zoom.example.org/j/27092023")
    await organiser.wait_for("Link salvato")
    links = await bot.services.links.store.shared("lancio-2023")
    assert links == {"": "https://zoom.example.org/j/27092023"}


async def test_personal_links_imported_from_the_chat(api: FakeBotApi, bot: BotHarness) -> None:
    carlo = api.user(3101, "Carlo")
    dora = api.user(3102, "Dora")
    await register(carlo, zone="1 · Torino Città", mode="Online")
    await register(dora, zone="1 · Torino Città", mode="Online")
    await set_link(api, LINK)
    (registration,) = await bot.services.registrations.active_for_user(3101)
    organiser = api.user(ORGANISER, "Org")
    await organiser.send("/importa_link")
    await answer(organiser, "Per quale incontro", "Dalle strategie")
    await organiser.wait_for("file CSV")
    bad = b"registration_id;link\n999;http://no\n"
    await organiser.send_document("links.csv", bad, mime_type="text/csv")
    await organiser.wait_for("non è stato importato")
    good = f"registration_id;link\n{registration.id};https://meet.example.org/carlo\n".encode()
    await organiser.send_document("links.csv", good, mime_type="text/csv")
    await organiser.wait_for("Importato 1 link personale")
    await bot.at(at(5, 9, 15))
    assert "https://meet.example.org/carlo" in texts(carlo)[-1]
    assert LINK in texts(dora)[-1]
