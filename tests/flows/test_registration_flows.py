"""Registering, step by step, through the flows: consent, event, name, zone (button, typed
zone, comune, out of range, unverified comune), mode, organisation, category, the summary
(edit, stop, confirm) and what confirming stores: the registration, and the confirmation
rows in the outbox for a person waiting (PERSON priority)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from bot.kernel.people import NAME_MAX
from bot.kernel.replies import Outcome
from bot.registration.wizard import ORGANISATION_MAX
from config.event import AttendanceMode
from storage.outbox import BULK, PERSON
from storage.registrations import Status
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    CO_PLANNING,
    EMMA,
    LAUNCH,
    Domain,
    flow_button,
    labels,
    person,
    question,
    started,
    texts,
)
from tests.harness import BEFORE_LAUNCH, config_with

PINEROLO = "Comune di Pinerolo"
ZONES = 11


async def at_zone(domain: Domain) -> Outcome:
    """Anna, consent given and Telegram name taken: the zone question."""
    out = await domain.flows.participant.start(ANNA)
    out = await domain.press(ANNA, out, "Accetto e continuo")
    return await domain.press(ANNA, out, "Usa «Anna Rossi»")


# --- consent ----------------------------------------------------------------------------------
async def test_start_welcomes_and_asks_consent_storing_nothing_personal(domain: Domain) -> None:
    out = await domain.flows.participant.start(ANNA)
    welcome, consent = texts(out)
    assert "Piano Strategico Metropolitano" in welcome
    assert consent.startswith("<b>Informativa sulla privacy</b>")
    assert labels(out) == ["✅ Accetto e continuo", "Non accetto"]
    assert await domain.step(ANNA) == "consent"
    assert await domain.services.users.get(ANNA.user_id) is None


async def test_declining_consent_stores_nothing(domain: Domain) -> None:
    out = await domain.press(ANNA, await domain.flows.participant.start(ANNA), "Non accetto")
    assert texts(out) == [domain.t("it", "consent.declined")]
    assert await domain.conversation(ANNA) is None
    assert await domain.services.users.get(ANNA.user_id) is None
    assert await domain.services.registrations.active_for_user(ANNA.user_id) == []
    assert await domain.outbox() == []


async def test_accepting_records_consent_and_asks_the_name(domain: Domain) -> None:
    out = await domain.flows.participant.start(ANNA)
    out = await domain.press(ANNA, out, "Accetto e continuo")
    user = await domain.services.users.get(ANNA.user_id)
    assert user is not None and user.consent_at == domain.clock.now()
    assert texts(out) == [domain.t("it", "name.ask", max=NAME_MAX)] and out.in_place
    assert labels(out) == ["Usa «Anna Rossi»"]


async def test_consent_given_once_is_not_asked_again(domain: Domain) -> None:
    await domain.services.users.record_consent(ANNA.user_id, domain.clock.now())
    await domain.flows.participant.start(ANNA)
    assert await domain.step(ANNA) == "name"


# --- event ------------------------------------------------------------------------------------
async def test_the_only_open_event_is_chosen_without_asking(domain: Domain) -> None:
    await at_zone(domain)
    talk = await domain.flows.conversations.open(ANNA)
    assert talk is not None and talk.data.event_id == CO_PLANNING


async def test_with_two_open_events_the_participant_chooses(tmp_path: Path) -> None:
    async with started(tmp_path, now=BEFORE_LAUNCH) as domain:
        out = await domain.press(
            ANNA, await domain.flows.participant.start(ANNA), "Accetto e continuo"
        )
        assert question(out).text == domain.t("it", "event.ask")
        assert len(labels(out)) == 2
        out = await domain.press(ANNA, out, "Verso il nuovo Piano")
        assert await domain.step(ANNA) == "name"
        talk = await domain.flows.conversations.open(ANNA)
        assert talk is not None and talk.data.event_id == LAUNCH


async def test_a_forged_event_is_refused(tmp_path: Path) -> None:
    async with started(tmp_path, now=BEFORE_LAUNCH) as domain:
        out = await domain.press(
            ANNA, await domain.flows.participant.start(ANNA), "Accetto e continuo"
        )
        forged = replace(flow_button(out, "Verso il nuovo Piano"), value="nope")
        out = await domain.flows.conversations.press(ANNA, forged, None)
        assert out.alert == domain.t("it", "button.invalid")
        assert await domain.step(ANNA) == "event"


# --- name -------------------------------------------------------------------------------------
async def test_a_typed_name_is_cleaned_and_taken(domain: Domain) -> None:
    out = await domain.press(ANNA, await domain.flows.participant.start(ANNA), "Accetto e continuo")
    out = await domain.say(ANNA, "  Anna   Maria\u200b Rossi ")
    assert question(out).text.startswith(domain.t("it", "zone.ask"))
    talk = await domain.flows.conversations.open(ANNA)
    assert talk is not None and talk.data.name == "Anna Maria Rossi"


async def test_an_invalid_name_is_explained_and_asked_again(domain: Domain) -> None:
    await domain.press(ANNA, await domain.flows.participant.start(ANNA), "Accetto e continuo")
    for typed in ("\u200b\u3164", "x" * (NAME_MAX + 1)):
        out = await domain.say(ANNA, typed)
        assert texts(out) == [
            domain.t("it", "name.invalid", max=NAME_MAX),
            domain.t("it", "name.ask", max=NAME_MAX),
        ]
        assert await domain.step(ANNA) == "name"


async def test_an_invisible_telegram_name_is_not_offered(domain: Domain) -> None:
    invisible = person(150, "\u3164", "\u200b")
    out = await domain.flows.participant.start(invisible)
    out = await domain.press(invisible, out, "Accetto e continuo")
    assert texts(out) == [domain.t("it", "name.ask", max=NAME_MAX)] and labels(out) == []


# --- zone -------------------------------------------------------------------------------------
async def test_zone_by_button(domain: Domain) -> None:
    zone_question = await at_zone(domain)
    assert len(labels(zone_question)) == ZONES
    out = await domain.press(ANNA, zone_question, "5 · Pinerolese")
    assert question(out).text.startswith("Come parteciperai?")
    assert PINEROLO in question(out).text


async def test_a_typed_zone(domain: Domain) -> None:
    await at_zone(domain)
    out = await domain.say(ANNA, "zona 10")
    assert "Comune di Strambino" in question(out).text  # the venue of zone 10
    assert await domain.step(ANNA) == "mode"


async def test_a_typed_comune_is_found_and_its_zone_offered_first(domain: Domain) -> None:
    await at_zone(domain)
    out = await domain.say(ANNA, "pinerolo")
    found = domain.t("it", "zone.comune_found", comune="Pinerolo", zone="5 · Pinerolese")
    assert question(out).text == found
    assert labels(out)[0] == "✅ Zona 5 · Pinerolese" and len(labels(out)) == ZONES + 1
    out = await domain.press(ANNA, out, "✅ Zona 5")
    assert await domain.step(ANNA) == "mode"


async def test_a_misspelt_comune_gets_suggestions(domain: Domain) -> None:
    await at_zone(domain)
    out = await domain.say(ANNA, "Pinerollo")
    assert question(out).text == domain.t("it", "zone.comune_suggest", typed="Pinerollo")
    out = await domain.press(ANNA, out, "Pinerolo")
    assert question(out).text.startswith("<b>Pinerolo</b> fa parte della Zona 5")


async def test_an_unknown_comune_shows_every_zone(domain: Domain) -> None:
    await at_zone(domain)
    out = await domain.say(ANNA, "Qwertyville")
    assert question(out).text == domain.t("it", "zone.comune_unknown", typed="Qwertyville")
    assert len(labels(out)) == ZONES and await domain.step(ANNA) == "zone"


async def test_a_zone_out_of_range_says_which_exist(domain: Domain) -> None:
    await at_zone(domain)
    out = await domain.say(ANNA, "zona 12")
    expected = domain.t("it", "zone.out_of_range", number=12, zones="1–11")
    assert question(out).text == expected and await domain.step(ANNA) == "zone"


async def test_an_unverified_comune_offers_only_its_possible_zones(domain: Domain) -> None:
    await at_zone(domain)
    out = await domain.say(ANNA, "Ala di Stura")
    assert question(out).text == domain.t("it", "zone.comune_candidates", comune="Ala di Stura")
    assert labels(out) == [
        "6 · Valli di Susa e Sangone",
        "7 · Ciriacese-Valli di Lanzo",
        "9 · Eporediese",
        "🗺 Tutte le zone",
    ]
    out = await domain.press(ANNA, out, "Tutte le zone")
    assert question(out).text == domain.t("it", "zone.ask") and len(labels(out)) == ZONES


async def test_a_deep_link_zone_skips_the_zone_question(domain: Domain) -> None:
    out = await domain.flows.participant.start(ANNA, zone=7)
    out = await domain.press(ANNA, out, "Accetto e continuo")
    out = await domain.press(ANNA, out, "Usa «")
    assert "Ciriè" in question(out).text and await domain.step(ANNA) == "mode"


async def test_a_deep_link_to_no_zone_says_so_and_asks_normally(domain: Domain) -> None:
    out = await domain.flows.participant.start(ANNA, zone=42)
    assert texts(out)[0] == domain.t("it", "start.unknown_zone_link", zone=42)
    talk = await domain.flows.conversations.open(ANNA)
    assert talk is not None and talk.data.preset_zone is None


# --- mode, organisation, category -------------------------------------------------------------
async def test_mode_online(domain: Domain) -> None:
    await at_zone(domain)
    out = await domain.say(ANNA, "5")
    out = await domain.press(ANNA, out, "Online")
    assert question(out).text == domain.t("it", "organisation.ask", max=ORGANISATION_MAX)
    talk = await domain.flows.conversations.open(ANNA)
    assert talk is not None and talk.data.mode == AttendanceMode.ONLINE.value


async def test_organisation_typed_invalid_then_valid(domain: Domain) -> None:
    await at_zone(domain)
    await domain.press(ANNA, await domain.say(ANNA, "5"), "In presenza")
    out = await domain.say(ANNA, "x" * (ORGANISATION_MAX + 1))
    assert texts(out)[0] == domain.t("it", "organisation.invalid", max=ORGANISATION_MAX)
    assert await domain.step(ANNA) == "organisation"
    out = await domain.say(ANNA, PINEROLO)
    assert question(out).text == domain.t("it", "category.ask")
    assert labels(out)[-1] == domain.t("it", "common.skip")


async def test_category_by_button_and_a_forged_one(domain: Domain) -> None:
    await at_zone(domain)
    out = await domain.press(ANNA, await domain.say(ANNA, "5"), "In presenza")
    out = await domain.press(ANNA, out, "Salta")
    forged = replace(flow_button(out, "Impresa"), value="spy")
    refused = await domain.flows.conversations.press(ANNA, forged, None)
    assert refused.alert == domain.t("it", "button.invalid")
    out = await domain.press(ANNA, refused, "Impresa")
    assert "🏷 Categoria: Impresa" in question(out).text


# --- the summary ------------------------------------------------------------------------------
async def test_the_summary_lists_the_answers(domain: Domain) -> None:
    out = await domain.to_summary(ANNA)
    summary = question(out).text
    assert summary.startswith("<b>Controlla i tuoi dati</b>")
    for shown in ("Dalle strategie alle azioni", "Anna Rossi", "5 · Pinerolese", PINEROLO):
        assert shown in summary
    assert labels(out) == ["✅ Conferma l'iscrizione", "✏️ Modifica", "✖️ Annulla"]


async def test_edit_starts_again_from_the_name_keeping_consent_and_event(domain: Domain) -> None:
    out = await domain.press(ANNA, await domain.to_summary(ANNA), "Modifica")
    assert question(out).text == domain.t("it", "name.ask", max=NAME_MAX)
    talk = await domain.flows.conversations.open(ANNA)
    assert talk is not None and talk.data.consented and talk.data.event_id == CO_PLANNING
    assert talk.data.zone is None and talk.data.mode is None


async def test_stop_at_the_summary_stores_nothing(domain: Domain) -> None:
    out = await domain.press(ANNA, await domain.to_summary(ANNA), "✖️ Annulla")
    assert texts(out) == [domain.t("it", "abort.registration")]
    assert await domain.conversation(ANNA) is None
    assert await domain.services.registrations.active_for_user(ANNA.user_id) == []


async def test_confirming_stores_the_registration(domain: Domain) -> None:
    out = await domain.press(ANNA, await domain.to_summary(ANNA), "Conferma", message_id=321)
    (registration,) = await domain.services.registrations.active_for_user(ANNA.user_id)
    assert (registration.event_id, registration.display_name) == (CO_PLANNING, "Anna Rossi")
    assert (registration.zone, registration.mode, registration.venue_id) == (
        5,
        "in_person",
        "pinerolo",
    )
    assert registration.status is Status.CONFIRMED and registration.language == "it"
    assert await domain.conversation(ANNA) is None
    assert out.toast == domain.t("it", "summary.done_toast") and not out.close_keyboard


async def test_the_confirmation_goes_through_the_outbox_for_a_person(domain: Domain) -> None:
    out = await domain.press(ANNA, await domain.to_summary(ANNA), "Conferma", message_id=321)
    rows = {row.dedupe_key: row for row in await domain.outbox(ANNA) if row.priority == PERSON}
    assert list(rows) == out.deliver  # the handler delivers them at once, in this order
    confirmation, calendar = (rows[key] for key in out.deliver)
    assert (confirmation.kind, calendar.kind) == ("confirmation", "calendar")
    assert confirmation.payload == {"edit": 321}  # in place of the summary
    prepared = await domain.services.confirmations.render(confirmation, domain.clock.now())
    assert prepared.message is not None and prepared.message.edit_message_id == 321
    assert "Iscrizione confermata" in str(prepared.message.text)
    reminders = await domain.outbox(ANNA, kind="reminder")
    assert reminders and all(row.priority == BULK for row in reminders)


async def test_a_full_venue_puts_the_registration_on_the_waiting_list(tmp_path: Path) -> None:
    async with started(tmp_path, config=config_with(pinerolo=1)) as domain:
        await domain.register(BRUNO)
        await domain.press(ANNA, await domain.to_summary(ANNA), "Conferma")
        (registration,) = await domain.services.registrations.active_for_user(ANNA.user_id)
        assert registration.status is Status.WAITLISTED
        (row,) = await domain.outbox(ANNA, kind="confirmation")
        prepared = await domain.services.confirmations.render(row, domain.clock.now())
        assert prepared.message is not None
        assert "Sei in lista d'attesa" in str(prepared.message.text)


async def test_registration_closed_meanwhile_stores_nothing(domain: Domain) -> None:
    summary = await domain.to_summary(ANNA)
    domain.clock.advance(dt.timedelta(days=30))  # past the co-planning day
    out = await domain.press(ANNA, summary, "Conferma")
    assert texts(out) == [domain.t("it", "summary.closed")]
    assert await domain.services.registrations.active_for_user(ANNA.user_id) == []
    assert await domain.conversation(ANNA) is None


async def test_the_summary_pressed_again_resends_the_confirmation(domain: Domain) -> None:
    summary = await domain.to_summary(ANNA)
    await domain.press(ANNA, summary, "Conferma")
    again = await domain.press(ANNA, summary, "Conferma")
    assert again.alert == domain.t("it", "summary.already") and again.in_place
    assert "Iscrizione confermata" in texts(again)[0]
    assert [type(reply).__name__ for reply in again.replies] == ["Message", "Document"]
    assert len(await domain.services.registrations.active_for_user(ANNA.user_id)) == 1


async def test_an_english_participant_registers_in_english(domain: Domain) -> None:
    out = await domain.flows.participant.start(EMMA)
    assert texts(out)[1].startswith("<b>Privacy notice</b>")
    out = await domain.press(EMMA, out, "I accept")
    out = await domain.press(EMMA, out, "Use “Emma Brown”")
    assert question(out).text == domain.t("en", "zone.ask")
    out = await domain.press(EMMA, await domain.say(EMMA, "Pinerolo"), "✅ Zone 5")
    assert question(out).text.startswith("How will you attend?")
    out = await domain.press(EMMA, out, "Online")
    out = await domain.press(EMMA, await domain.say(EMMA, "University of Turin"), "Skip")
    assert question(out).text.startswith("<b>Please check your details</b>")
    await domain.press(EMMA, out, "Confirm registration")
    (registration,) = await domain.services.registrations.active_for_user(EMMA.user_id)
    assert registration.language == "en" and registration.organisation == "University of Turin"
