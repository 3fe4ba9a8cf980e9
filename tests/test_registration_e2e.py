"""End-to-end registration through the fake Bot API: what participants see and what is stored."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.registration.comuni import Comune, ComuneIndex
from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from storage.comuni import ComuneRow, ComuniRepository
from storage.db import Database
from storage.registrations import Status
from tests.harness import (
    BEFORE_LAUNCH,
    ROME,
    BotHarness,
    answer,
    config_with,
    register,
    with_button,
)

EVENT = "copianificazione-2023"


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path) as harness:
        yield harness


# --- whole registrations --------------------------------------------------------------------


async def test_italian_registration_in_person(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1001, "Mario", "Rossi", language_code="it")
    await user.send("/start")
    consent = await user.next_message()  # the welcome and the privacy notice: one message
    assert "Piano Strategico Metropolitano" in consent.content
    assert "Informativa" in consent.content and "Città Metropolitana di Torino" in consent.content
    # nothing personal before consent
    assert await bot.services.users.get(1001) is None
    await user.press("Accetto e continuo", message=consent)
    name = await user.wait_for("nome")
    await user.press("Usa «Mario Rossi»", message=name)
    zone = await user.wait_for("Scegli la tua")
    assert len([b for b in zone.button_texts if " · " in b]) == 11
    await user.press("5 · Pinerolese", message=zone)
    mode = await user.wait_for("Come parteciperai")
    assert "Piazza Vittorio Veneto 1" in mode.content
    await user.press("In presenza a Comune di Pinerolo", message=mode)
    await user.wait_for("ente")
    await user.send("Comune di Pinerolo")
    await answer(user, "categoria", "Comune")
    summary = await user.wait_for("Controlla")
    for expected in ("Mario Rossi", "5 · Pinerolese", "Comune di Pinerolo", "martedì 5 dicembre"):
        assert expected in summary.content
    await user.press("Conferma", message=summary)

    confirmed = await user.wait_for("Iscrizione confermata")
    assert confirmed is summary  # the summary became the confirmation, in place
    assert "Piazza Vittorio Veneto 1, 10064 Pinerolo" in confirmed.content
    assert not confirmed.buttons
    agenda = confirmed  # with the programme in the same message
    assert "9:15" in agenda.content
    assert "Accesso e registrazione presenze" in agenda.content
    assert "12:20–13:00" in agenda.content and "Sessione di discussione 1" in agenda.content
    document = await user.wait_for(lambda m: m.document is not None)
    assert document.filename == f"{EVENT}.ics"
    ics = (document.document_bytes or b"").decode()
    assert "BEGIN:VCALENDAR" in ics and "DTSTART;TZID=Europe/Rome:20231205T091500" in ics
    assert "Piazza Vittorio Veneto 1" in ics
    assert not [m for m in user.messages if m.venue]  # Pinerolo has no coordinates

    (registration,) = await bot.services.registrations.active_for_user(1001)
    assert registration.event_id == EVENT
    assert (registration.display_name, registration.zone, registration.mode) == (
        "Mario Rossi",
        5,
        "in_person",
    )
    assert (registration.venue_id, registration.organisation, registration.category) == (
        "pinerolo",
        "Comune di Pinerolo",
        "comune",
    )
    assert registration.status is Status.CONFIRMED and registration.language == "it"
    assert await bot.services.conversations.get(1001) is None


async def test_english_deep_link_online(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1002, "Jane", "Doe", language_code="en-GB")
    await user.send("/start zona7")
    consent = await user.wait_for("Welcome")
    assert "Privacy notice" in consent.content  # one message: welcome and notice
    await user.press("I accept", message=consent)
    await answer(user, "name", "Use")
    mode = await user.wait_for("How will you attend")  # zone 7 preselected: no zone question
    assert "Palazzo D'Oria" in mode.content
    await user.press("Online", message=mode)
    await answer(user, "organisation", "Skip")
    await answer(user, "category", "Citizen")
    summary = await user.wait_for("Please check")
    assert "7 · Ciriacese-Valli di Lanzo" in summary.content
    assert "Tuesday 5 December 2023" in summary.content
    await user.press("Confirm", message=summary)
    agenda = await user.wait_for("Registration confirmed")
    assert "Strategies and actions" in agenda.content
    assert "9:15" not in agenda.content  # online: hybrid plenaries only
    assert "12:20–13:00" in agenda.content and "in person only" in agenda.content
    document = await user.wait_for(lambda m: m.document is not None)
    assert "LOCATION:Online" in (document.document_bytes or b"").decode()
    assert not [m for m in user.messages if m.venue]
    (registration,) = await bot.services.registrations.active_for_user(1002)
    assert (registration.zone, registration.mode, registration.venue_id) == (7, "online", None)
    assert registration.language == "en"


async def test_map_link_when_coordinates_known(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1003, "Anna")
    confirmed, _ = await register(user, zone="8 · Canavese occidentale")
    assert "Corso Martiri della Libertà 33" in confirmed.content
    assert "query=45.23182,7.60446" in (confirmed.text or "")  # a map link, in the message
    assert "sulla mappa" in confirmed.content
    assert not [m for m in user.messages if m.venue]  # not a separate venue message


async def test_event_choice_when_two_are_open(api: FakeBotApi, tmp_path: Path) -> None:
    harness = await BotHarness(api, tmp_path, now=BEFORE_LAUNCH).start()
    try:
        user = api.user(1004, "Luca")
        await user.send("/start")
        await answer(user, "Informativa", "Accetto e continuo")
        choice = await user.wait_for("A quale incontro")
        assert len(choice.buttons) == 2
        await user.press("Verso il nuovo", message=choice)
        await answer(user, "nome", "Usa")
        await answer(user, "Scegli la tua", "1 · Torino Città")
        mode = await user.wait_for("Come parteciperai")
        assert "Sala Auditorium" in mode.content
        await user.press("presenza", message=mode)
        await answer(user, "ente", "Salta")
        await answer(user, "categoria", "Salta")
        await answer(user, "Controlla", "Conferma")
        await user.wait_for("Iscrizione confermata")
        # The other event is offered next time.
        await user.send("/iscrizione")
        other = await user.wait_for("Puoi iscriverti anche a")
        await user.press("Dalle strategie", message=other)
        await user.wait_for("nome")  # consent already given: straight to the name
    finally:
        await harness.stop()


async def test_no_open_event(api: FakeBotApi, tmp_path: Path) -> None:
    harness = BotHarness(api, tmp_path, now=dt.datetime(2024, 1, 10, 9, 0, tzinfo=ROME))
    await harness.start()
    try:
        user = api.user(1005, "Eva")
        await user.send("/start")
        await user.wait_for("non ci sono incontri aperti")
        assert await harness.services.conversations.get(1005) is None
    finally:
        await harness.stop()


# --- comune lookup ---------------------------------------------------------------------------


async def test_zone_found_by_typing_the_comune(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1010, "Carla")
    await user.send("/start")
    await answer(user, "Informativa", "Accetto e continuo")
    await answer(user, "nome", "Usa")
    await user.wait_for("Scegli la tua")
    await user.send("RIVA PRESSO CHIERI")
    found = await user.wait_for("fa parte della Zona")
    assert "Riva presso Chieri" in found.content
    await user.press("✅ Zona 11", message=found)
    mode = await user.wait_for("Come parteciperai")
    assert "Palazzo Grosso" in mode.content


async def test_misspelt_unmapped_and_unknown_comuni(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1011, "Piero")
    await user.send("/start")
    await answer(user, "Informativa", "Accetto e continuo")
    await answer(user, "nome", "Usa")
    await user.wait_for("Scegli la tua")
    await user.send("Pinerollo")
    suggestion = await user.wait_for("Forse intendevi")
    await user.press("Pinerolo", message=suggestion)
    found = await user.wait_for("fa parte della Zona")
    assert "Zona 5 · Pinerolese" in found.content
    await user.send("Qwertyville")
    await user.wait_for("Non trovo «Qwertyville»")
    await user.send("zona 10")
    await user.wait_for("Come parteciperai")
    conversation = await bot.services.conversations.get(1011)
    assert conversation is not None and conversation.data["zone"] == 10


# --- managing a registration ------------------------------------------------------------------


async def test_change_zone_mode_and_cancel(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1020, "Giulia")
    await register(user)
    await user.send("/iscrizione")
    overview = await user.wait_for(with_button("Cambia zona"))
    await user.press("Cambia zona", message=overview)
    await answer(user, "Scegli la tua", "9 · Eporediese")
    confirm = await user.wait_for("Confermi la modifica")
    assert "Comune di Strambino" in confirm.content
    await user.press("Sì, modifica", message=confirm)
    await user.wait_for("Iscrizione aggiornata")
    (registration,) = await bot.services.registrations.active_for_user(1020)
    assert (registration.zone, registration.venue_id) == (9, "strambino")

    await user.send("/iscrizione")
    overview = await user.wait_for(with_button("Cambia modalità"))
    await user.press("Cambia modalità", message=overview)
    await answer(user, "Come parteciperai", "Online")
    await answer(user, "Confermi la modifica", "Sì, modifica")
    await user.wait_for("Iscrizione aggiornata")
    (registration,) = await bot.services.registrations.active_for_user(1020)
    assert (registration.mode, registration.venue_id) == ("online", None)

    await user.settle()
    await user.send("/programma")
    await user.settle()
    agenda = user.last
    assert agenda is not None and "Dalle strategie alle azioni" in agenda.content
    assert "9:15" not in agenda.content and "12:20" in agenda.content

    await user.send("/annulla")
    await answer(user, "Vuoi davvero annullare", "Sì, annulla")
    await user.wait_for("annullata")
    assert await bot.services.registrations.active_for_user(1020) == []
    await user.send("/annulla")
    await user.wait_for("Non c'è nulla da annullare")


async def test_waiting_list_and_promotion(api: FakeBotApi, tmp_path: Path) -> None:
    harness = await BotHarness(api, tmp_path, config=config_with(pinerolo=1)).start()
    try:
        first, second = api.user(1030, "Primo"), api.user(1031, "Seconda")
        await register(first)
        await register(second)
        waiting = next(m for m in second.messages if "lista d'attesa" in m.content)
        assert "posizione 1" in waiting.content
        (registration,) = await harness.services.registrations.active_for_user(1031)
        assert registration.status is Status.WAITLISTED
        # A third person choosing online is never waitlisted.
        third = api.user(1032, "Terzo")
        await register(third, mode="Online")
        assert any("Iscrizione confermata" in m.content for m in third.messages)
        # The first cancels: the second is promoted and told.
        await first.send("/annulla")
        await answer(first, "Vuoi davvero annullare", "Sì, annulla")
        promoted = await second.wait_for("Si è liberato un posto")
        assert "Piazza Vittorio Veneto 1" in promoted.content
        (registration,) = await harness.services.registrations.active_for_user(1031)
        assert registration.status is Status.CONFIRMED
    finally:
        await harness.stop()


async def test_change_to_full_venue_warns_first(api: FakeBotApi, tmp_path: Path) -> None:
    harness = await BotHarness(api, tmp_path, config=config_with(riva=1)).start()
    try:
        holder, mover = api.user(1035, "Uno"), api.user(1036, "Due")
        await register(holder, zone="11 · Chierese-Carmagnolese")
        await register(mover)
        await mover.send("/iscrizione")
        overview = await mover.wait_for(with_button("Cambia zona"))
        await mover.press("Cambia zona", message=overview)
        await answer(mover, "Scegli la tua", "11 · Chierese")
        confirm = await mover.wait_for("Confermi la modifica")
        assert "al completo" in confirm.content
        await mover.press("Sì, modifica", message=confirm)
        await mover.wait_for("lista d'attesa")
    finally:
        await harness.stop()


async def test_erase_my_data(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1040, "Dario")
    await register(user)
    await user.send("/cancella_dati")
    await answer(user, "cancellare tutti i tuoi dati", "Sì, cancella")
    await user.wait_for("dati personali sono stati cancellati")
    assert await bot.services.registrations.active_for_user(1040) == []
    assert await bot.services.users.get(1040) is None
    rows = await bot.services.db.fetchall(
        "SELECT user_id, display_name, organisation, status, zone FROM registrations"
    )
    assert [tuple(row) for row in rows] == [(None, None, None, "erased", 5)]


async def test_decline_consent_stores_nothing(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1041, "Nadia")
    await user.send("/start")
    await answer(user, "Informativa", "Non accetto")
    await user.wait_for("non ho salvato nessun dato")
    assert await bot.services.users.get(1041) is None
    assert await bot.services.conversations.get(1041) is None


# --- restart ----------------------------------------------------------------------------------


async def test_restart_mid_conversation_keeps_the_step(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1050, "Franca")
    await user.send("/start")
    await answer(user, "Informativa", "Accetto e continuo")
    await answer(user, "nome", "Usa")
    zone = await user.wait_for("Scegli la tua")
    await bot.restart()
    await user.press("6 · Valli di Susa", message=zone)  # a button sent before the restart
    mode = await user.wait_for("Come parteciperai")
    assert "Condove" in mode.content
    await bot.restart()
    await user.send("/start")  # a second /start after a restart: resume, not start over
    resumed = await user.wait_for("riprendiamo")
    assert "Come parteciperai" in resumed.content  # the note and the question, as one


# --- language and simple commands -------------------------------------------------------------


async def test_commands_and_language_switch(api: FakeBotApi, bot: BotHarness) -> None:
    await api.settle()  # the menus are set by a job once polling runs (handlers/menus.py)
    italian_menu = [c["command"] for c in api.get_commands()]
    english_menu = [c["command"] for c in api.get_commands(language_code="en")]
    assert "iscrizione" in italian_menu and "cancella_dati" in italian_menu
    assert "register" in english_menu and "delete_my_data" in english_menu
    user = api.user(1060, "Ivo")
    await user.send("/aiuto")
    assert "/cancella_dati" in (await user.next_message()).content
    await user.send("/privacy")
    assert "Titolare del trattamento" in (await user.next_message()).content
    await user.send("/programma")
    assert "Non sei ancora iscritto" in (await user.wait_for("iscritto")).content
    await user.send("/lingua")
    await answer(user, "Scegli la lingua", "English")
    await user.wait_for("Language set: English")
    chat_menu = api.get_commands({"type": "chat", "chat_id": 1060})
    assert "register" in [c["command"] for c in chat_menu]
    await user.send("/help")
    assert "/delete_my_data" in (await user.wait_for("what you can do")).content
    await user.send("/privacy")
    assert "data controller" in (await user.wait_for("Privacy notice")).content


# --- bad input --------------------------------------------------------------------------------


async def test_bad_input_at_every_kind_of_step(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1070, "Olga")
    await user.send("ciao")  # no conversation yet
    await user.wait_for("Non ho capito")
    await user.send_sticker()
    await user.wait_for("solo messaggi di testo")
    await user.send("/start")
    consent = await user.wait_for("Informativa")
    await user.send("va bene")  # text where a button is expected
    consent_again = await user.wait_for("usa i pulsanti")
    assert "Informativa" in consent_again.content
    # the first consent message's button is now stale
    first_accept = next(data for text, data in consent.buttons if "Accetto" in text)
    query = await user.press_data(str(first_accept), message=consent)
    assert "non è più valido" in ((await user.callback_answer(query)).text or "")
    await user.wait_for("Informativa")
    for forged in ("garbage", "r|nottoken|yes|", "m|zone|nope", "l|xx", "x" * 64):
        query = await user.press_data(forged, message=consent_again)
        answer_ = await user.callback_answer(query)
        assert answer_.show_alert and answer_.text
    await user.settle()
    await user.press("Accetto e continuo")
    await user.wait_for("nome")
    await user.send_photo()
    assert "nome" in (await user.wait_for("risposta scritta")).content
    await user.send("x" * 81)
    await user.wait_for("da 1 a 80 caratteri")
    await user.send("Mario\u0007Rossi")
    await user.wait_for("da 1 a 80 caratteri")
    await user.send("/sconosciuto")
    assert "nome" in (await user.wait_for("Non conosco questo comando")).content
    await user.send("/start")
    assert "nome" in (await user.wait_for("riprendiamo")).content
    await user.send("  Olga   Bianchi ")
    zone = await user.wait_for("Scegli la tua")
    token = str(zone.buttons[0][1]).split("|")[1]
    query = await user.press_data(f"r|{token}|z|99", message=zone)  # valid token, bad zone
    assert "non valido" in ((await user.callback_answer(query)).text or "")
    await user.wait_for("Scegli la tua")
    await user.send_location(45.0, 7.6)
    await user.wait_for("risposta scritta")
    conversation = await bot.services.conversations.get(1070)
    assert conversation is not None and conversation.step == "zone"
    assert conversation.data["name"] == "Olga Bianchi" and "zone" not in conversation.data
    assert await bot.services.registrations.active_for_user(1070) == []


async def test_group_chat_gets_a_pointer_to_private(api: FakeBotApi, bot: BotHarness) -> None:
    group = api.register_chat(-100123, type="supergroup", title="Tavolo 5")
    user = api.user(1080, "Rita")
    api.enqueue_update(
        {
            "message": {
                "message_id": 1,
                "date": 1700000000,
                "chat": {"id": group.id, "type": "supergroup", "title": "Tavolo 5"},
                "from": user.user_dict,
                "text": "/start@psm_test_bot",
                "entities": [{"type": "bot_command", "offset": 0, "length": 19}],
            }
        }
    )
    await api.wait_until(
        lambda: any("in privato" in m.content for m in group.bot_messages), 5, lambda: "none"
    )
    assert await bot.services.conversations.get(1080) is None


# --- a crowd ----------------------------------------------------------------------------------


async def test_crowd_registers_concurrently(api: FakeBotApi, tmp_path: Path) -> None:
    harness = await BotHarness(api, tmp_path, config=config_with(condove=5)).start()
    try:
        users = [api.user(2000 + i, f"P{i}") for i in range(12)]
        await asyncio.gather(*(register(u, zone="6 · Valli di Susa") for u in users))
        registrations = await harness.services.registrations.for_event(EVENT)
        statuses = sorted(r.status.value for r in registrations)
        assert statuses.count("confirmed") == 5 and statuses.count("waitlisted") == 7
    finally:
        await harness.stop()


async def test_unexpected_error_is_logged_without_personal_data(
    api: FakeBotApi,
    bot: BotHarness,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.registration.participant import Participant

    async def broken(self: Participant, who: Any, text: str, message: Any = None) -> Any:
        raise ValueError(f"cannot handle {text} from {who.full_name}")

    monkeypatch.setattr(Participant, "text", broken)
    user = api.user(1090, "Segreta", "Persona", language_code="en")
    with caplog.at_level("INFO"):
        await user.send("my secret comune")
        await user.wait_for("Something unexpected went wrong")
    logged = caplog.text
    assert "ValueError" in logged and "registration" in logged
    for secret in ("Segreta", "Persona", "my secret comune", api.token):
        assert secret not in logged


# --- the zone step: comuni, zone names and numbers ---------------------------------------------


async def at_zone_step(user: FakeUser) -> None:
    """Start a registration and answer up to the zone question."""
    await user.send("/start")
    await answer(user, "rivacy", "I accept" if user.language_code == "en" else "Accetto e continuo")
    await answer(user, "name" if user.language_code == "en" else "nome", "Us")
    await user.wait_for("Choose your" if user.language_code == "en" else "Scegli la tua")


def zone_buttons(message: SentMessage) -> list[str]:
    return [b for b in message.button_texts if " · " in b and not b.startswith("✅")]


async def test_host_towns_have_their_zone(api: FakeBotApi, bot: BotHarness) -> None:
    """Ciriè, Ivrea and Condove (venues of zone tables) were "unknown" in the older file."""
    user = api.user(1040, "Ada")
    await at_zone_step(user)
    for typed, zone in (
        ("Ciriè", "7 · Ciriacese-Valli di Lanzo"),
        ("ivrea", "9 · Eporediese"),
        ("CONDOVE", "6 · Valli di Susa e Sangone"),
    ):
        await user.send(typed)
        found = await user.wait_for(f"fa parte della Zona {zone}")
        assert f"✅ Zona {zone}" in found.button_texts
    await user.press("✅ Zona 6 · Valli di Susa e Sangone", message=found)
    await user.wait_for("Come parteciperai")
    conversation = await bot.services.conversations.get(1040)
    assert conversation is not None and conversation.data["zone"] == 6


async def test_zone_typed_by_name_or_number(api: FakeBotApi, bot: BotHarness) -> None:
    typed = ["Pinerolese", "pinerolese", "V", "Zona 5", "zona5", "5", "Zona V"]
    for n, text in enumerate(typed):
        user = api.user(1050 + n, f"Persona {n}")
        await at_zone_step(user)
        await user.send(text)
        await user.wait_for("Come parteciperai")
        conversation = await bot.services.conversations.get(1050 + n)
        assert conversation is not None and conversation.data["zone"] == 5, text


async def test_zone_out_of_range(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1060, "Bea")
    await at_zone_step(user)
    await user.send("Zona 12")
    refused = await user.wait_for("Non esiste la Zona 12")
    assert "le zone sono 1–11" in refused.content
    assert len(zone_buttons(refused)) == 11  # the zone list again
    conversation = await bot.services.conversations.get(1060)
    assert conversation is not None and "zone" not in conversation.data
    await user.send("11")
    await user.wait_for("Come parteciperai")

    english = api.user(1061, "Ben", language_code="en")
    await at_zone_step(english)
    await english.send("zone 0")
    refused = await english.wait_for("There is no zone 0")
    assert "the zones are 1–11" in refused.content
    assert len(zone_buttons(refused)) == 11


async def test_unverified_comune_offers_its_candidate_zones(
    api: FakeBotApi, bot: BotHarness
) -> None:
    user = api.user(1070, "Carla")
    await at_zone_step(user)
    await user.send("Ala di Stura")  # NON VERIFICATO (zona 6/7/9)
    candidates = await user.wait_for("non è ancora verificata")
    assert "<b>Ala di Stura</b>" in (candidates.text or "")
    assert zone_buttons(candidates) == [
        "6 · Valli di Susa e Sangone",
        "7 · Ciriacese-Valli di Lanzo",
        "9 · Eporediese",
    ]
    assert "🗺 Tutte le zone" in candidates.button_texts
    await user.press("🗺 Tutte le zone", message=candidates)
    every = await user.wait_for(lambda m: len(zone_buttons(m)) == 11)
    assert "🗺 Tutte le zone" not in every.button_texts

    await user.send("ala di stura")
    candidates = await user.wait_for(lambda m: len(zone_buttons(m)) == 3)
    await user.press("7 · Ciriacese-Valli di Lanzo", message=candidates)
    await user.wait_for("Come parteciperai")
    conversation = await bot.services.conversations.get(1070)
    assert conversation is not None and conversation.data["zone"] == 7
    assert "zone_only" not in conversation.data

    english = api.user(1071, "Carl", language_code="en")
    await at_zone_step(english)
    await english.send("Viù")
    candidates = await english.wait_for("is not verified yet")
    assert len(zone_buttons(candidates)) == 3
    assert "🗺 All zones" in candidates.button_texts


async def test_unmapped_comune_without_candidates_shows_every_zone(
    api: FakeBotApi, bot: BotHarness
) -> None:
    bot.services.comuni = ComuneIndex([Comune("Ala di Stura", None, "001003", "")])
    user = api.user(1080, "Dario")
    await at_zone_step(user)
    await user.send("Ala di Stura")
    unmapped = await user.wait_for("Non conosco ancora la Zona")
    assert len(zone_buttons(unmapped)) == 11
    assert "🗺 Tutte le zone" not in unmapped.button_texts


async def test_database_from_the_older_comuni_file_is_brought_up_to_date(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """A database seeded from the older bundled file (Ciriè unknown) gets the newer zones at
    start-up; a zone an organiser imported stays."""
    harness = BotHarness(api, tmp_path)
    db = await Database.open(harness.database)
    try:
        await ComuniRepository(db).replace_all(
            [
                ComuneRow("cirie", "Ciriè", "001086", None, "NON VERIFICATO (zona 2/6/7/9)"),
                ComuneRow(
                    "ala di stura", "Ala di Stura", "001003", None, "NON VERIFICATO (zona 2/6/7/9)"
                ),
                ComuneRow("condove", "Condove", "001093", 7, "elenco.ods"),
            ]
        )
    finally:
        await db.close()
    await harness.start()
    try:
        index = harness.services.comuni
        cirie, ala, condove = (
            index.lookup("Ciriè"),
            index.lookup("Ala di Stura"),
            index.lookup("Condove"),
        )
        assert cirie is not None and cirie.zone == 7
        assert ala is not None and ala.candidate_zones == (6, 7, 9)
        assert condove is not None and (condove.zone, condove.source) == (7, "elenco.ods")
        assert len(index) == 3  # comuni removed by an earlier --replace are not re-added
        user = api.user(1090, "Elio")
        await at_zone_step(user)
        await user.send("Cirie'")
        await user.wait_for("fa parte della Zona 7")
    finally:
        await harness.stop()
