"""The participant's commands outside a flow's steps — /start resuming, /programma, /privacy,
/aiuto (with each staff role's section), /lingua, /annulla with and without a conversation —
and the polite answers to what the bot does not understand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.kernel.conversation import Content
from bot.registration.manage import ManageAction, ManageButton
from bot.registration.participant import LanguageButton
from bot.staff.roles import FACILITATOR, REFERENT
from config.event import AttendanceMode
from storage.conversations import Conversation
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    EMMA,
    LAUNCH,
    STAFF,
    Domain,
    data_of,
    labels,
    question,
    started,
    texts,
)
from tests.harness import BEFORE_LAUNCH

TABLE_SESSION = "Sessione di discussione 1"  # in person only
PLENARY = "Plenaria: saluti istituzionali"  # hybrid
PARTICIPANT_HELP = "/iscrizione - iscriviti"


def sticker() -> Content:
    return Content("sticker", 5, chat_id=ANNA.user_id)


# --- /start -----------------------------------------------------------------------------------
async def test_start_during_registration_resumes_it(domain: Domain) -> None:
    out = await domain.press(ANNA, await domain.flows.participant.start(ANNA), "Accetto")
    out = await domain.press(ANNA, out, "Usa «")
    out = await domain.flows.participant.start(ANNA)
    assert texts(out) == [domain.t("it", "flow.resume"), domain.t("it", "zone.ask")]
    assert await domain.step(ANNA) == "zone"


async def test_start_with_no_open_event_says_so(domain: Domain) -> None:
    domain.clock.advance(dt.timedelta(days=60))
    out = await domain.flows.participant.start(ANNA)
    assert texts(out) == [domain.t("it", "start.no_open_events")]
    assert await domain.conversation(ANNA) is None


async def test_start_drops_a_conversation_of_a_flow_no_longer_run(domain: Domain) -> None:
    old = Conversation(ANNA.user_id, "retired_flow", "step", "abcdefgh", {})
    await domain.services.conversations.save(old, domain.clock.now())
    await domain.flows.participant.start(ANNA)
    stored = await domain.conversation(ANNA)
    assert stored is not None and (stored.flow, stored.step) == ("register", "consent")


# --- /programma, /privacy, /aiuto -------------------------------------------------------------
async def test_agenda_of_a_registered_participant_follows_the_mode(domain: Domain) -> None:
    await domain.register(ANNA)
    await domain.register(BRUNO, mode=AttendanceMode.ONLINE)
    (in_person,) = texts(await domain.flows.participant.agenda(ANNA))
    (online,) = texts(await domain.flows.participant.agenda(BRUNO))
    assert TABLE_SESSION in in_person and PLENARY in in_person
    assert TABLE_SESSION not in online and PLENARY in online


async def test_agenda_without_a_registration_shows_the_open_events(tmp_path: Path) -> None:
    async with started(tmp_path, now=BEFORE_LAUNCH) as domain:
        *programmes, note = texts(await domain.flows.participant.agenda(ANNA))
        assert len(programmes) == 2 and note == domain.t("it", "agenda.not_registered")
        domain.clock.advance(dt.timedelta(days=120))
        assert texts(await domain.flows.participant.agenda(ANNA)) == [
            domain.t("it", "start.no_open_events")
        ]


async def test_privacy_shows_the_event_files_notice(domain: Domain) -> None:
    (text,) = texts(await domain.flows.participant.privacy(EMMA))
    notice = domain.config.process.privacy_notice.get("en")
    assert text == domain.t("en", "privacy.text", notice=notice)


async def test_help_of_a_participant(domain: Domain) -> None:
    (text,) = texts(await domain.flows.participant.help(ANNA))
    assert text == domain.t("it", "help.text", process="PSM Torino 2024|2026")


async def test_help_adds_each_staff_roles_section(domain: Domain) -> None:
    roles, now = domain.services.roles.store, domain.clock.now()
    await roles.grant(ANNA.user_id, FACILITATOR, "5", STAFF.user_id, now)
    await roles.grant(ANNA.user_id, REFERENT, "pinerolo", STAFF.user_id, now)
    (text,) = texts(await domain.flows.participant.help(ANNA))
    assert PARTICIPANT_HELP in text
    assert domain.t("it", "help.facilitator", scope="5 · Pinerolese") in text
    assert domain.t("it", "help.referent", scope="Comune di Pinerolo") in text
    assert "/messaggio" in text and "/presenze" in text
    (organiser,) = texts(await domain.flows.participant.help(STAFF))
    assert domain.t("it", "help.organiser") in organiser and "/esporta_iscrizioni" in organiser


# --- /lingua ----------------------------------------------------------------------------------
async def test_language_offers_both(domain: Domain) -> None:
    out = await domain.flows.participant.choose_language(ANNA)
    assert question(out).text == domain.t("it", "language.ask")
    assert [LanguageButton.unpack(data_of(out, label)) for label in labels(out)] == [
        LanguageButton("it"),
        LanguageButton("en"),
    ]


async def test_choosing_english_is_remembered_and_the_question_asked_in_it(
    domain: Domain,
) -> None:
    await domain.flows.participant.start(ANNA)  # registering: the consent, in Italian
    out = await domain.flows.participant.set_language(ANNA, LanguageButton("en"))
    assert out.toast == domain.t("en", "language.set") and out.refresh_menus == [ANNA.user_id]
    assert out.in_place
    assert texts(out)[0] == domain.t("en", "language.set")
    assert question(out).text.startswith("<b>Privacy notice</b>")
    user = await domain.services.users.get(ANNA.user_id)
    assert user is not None and user.language == "en"
    assert texts(await domain.flows.participant.privacy(ANNA))[0].startswith("<b>Privacy")


async def test_an_unknown_language_is_refused(domain: Domain) -> None:
    for button in (LanguageButton("fr"), None):
        out = await domain.flows.participant.set_language(ANNA, button)
        assert out.alert == domain.t("it", "button.invalid")
    assert await domain.services.users.get(ANNA.user_id) is None


# --- /annulla ---------------------------------------------------------------------------------
async def test_abort_during_registration_stops_it(domain: Domain) -> None:
    await domain.flows.participant.start(ANNA)
    out = await domain.flows.participant.abort(ANNA)
    assert texts(out) == [domain.t("it", "abort.registration")]
    assert await domain.conversation(ANNA) is None


async def test_abort_with_nothing_to_stop_or_cancel(domain: Domain) -> None:
    out = await domain.flows.participant.abort(ANNA)
    assert texts(out) == [domain.t("it", "abort.nothing")]


async def test_abort_with_one_registration_asks_to_cancel_it(domain: Domain) -> None:
    await domain.register(ANNA)
    out = await domain.flows.participant.abort(ANNA)
    assert question(out).text.startswith("Vuoi davvero annullare l'iscrizione")
    assert await domain.step(ANNA) == "confirm"


async def test_abort_with_two_registrations_asks_which(tmp_path: Path) -> None:
    async with started(tmp_path, now=BEFORE_LAUNCH) as domain:
        await domain.register(ANNA)
        await domain.register(ANNA, event=LAUNCH, zone=1)
        out = await domain.flows.participant.abort(ANNA)
        assert question(out).text == domain.t("it", "abort.which")
        assert ManageButton.unpack(data_of(out, "Verso il nuovo")) == ManageButton(
            ManageAction.CANCEL, LAUNCH
        )
        assert await domain.conversation(ANNA) is None


# --- fallbacks --------------------------------------------------------------------------------
async def test_text_without_a_conversation(domain: Domain) -> None:
    assert texts(await domain.say(ANNA, "ciao")) == [domain.t("it", "fallback.no_conversation")]


async def test_content_without_a_conversation(domain: Domain) -> None:
    out = await domain.send(ANNA, sticker())
    assert texts(out) == [domain.t("it", "fallback.unsupported")]


async def test_a_sticker_where_a_name_is_expected(domain: Domain) -> None:
    await domain.press(ANNA, await domain.flows.participant.start(ANNA), "Accetto")
    out = await domain.send(ANNA, sticker())
    assert texts(out)[0] == domain.t("it", "flow.expect_text")
    assert await domain.step(ANNA) == "name"


async def test_text_where_a_button_is_expected(domain: Domain) -> None:
    await domain.flows.participant.start(ANNA)
    out = await domain.say(ANNA, "va bene")
    assert texts(out)[0] == domain.t("it", "flow.use_buttons")
    assert labels(out) == ["✅ Accetto e continuo", "Non accetto"]


async def test_an_unknown_command_then_the_current_question(domain: Domain) -> None:
    assert texts(await domain.flows.participant.unknown_command(ANNA)) == [
        domain.t("it", "fallback.unknown_command")
    ]
    await domain.flows.participant.start(EMMA)
    out = await domain.flows.participant.unknown_command(EMMA)
    assert texts(out)[0] == domain.t("en", "fallback.unknown_command")
    assert question(out).text.startswith("<b>Privacy notice</b>")  # the question again
    assert labels(out) == ["✅ I accept, continue", "I do not accept"]


async def test_a_command_in_a_group(domain: Domain) -> None:
    out = await domain.flows.participant.group_message(EMMA)
    assert texts(out) == [domain.t("en", "fallback.group")]
