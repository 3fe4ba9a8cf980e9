"""A registration once made: the overview and its buttons (ManageButton), changing zone or
mode (with the warning for a full venue), cancelling (the first on the waiting list promoted,
told through the outbox), erasing one's data."""

from __future__ import annotations

from pathlib import Path

from bot.kernel.people import NAME_MAX
from bot.kernel.replies import Document, Outcome
from bot.registration.manage import ManageAction, ManageButton
from config.event import AttendanceMode
from storage.outbox import PERSON
from storage.registrations import Status
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    CARLA,
    CO_PLANNING,
    LAUNCH,
    Domain,
    data_of,
    labels,
    question,
    started,
    texts,
)
from tests.harness import BEFORE_LAUNCH, config_with


async def manage(domain: Domain, overview: Outcome, label: str) -> Outcome:
    """Press the button under a registration labelled ``label``."""
    button = ManageButton.unpack(data_of(overview, label))
    assert button is not None
    return await domain.flows.manage.press(ANNA, button)


async def test_the_overview_shows_the_registration_and_its_buttons(domain: Domain) -> None:
    await domain.register(ANNA)
    out = await domain.flows.participant.start(ANNA)
    assert texts(out)[0].startswith("✅ <b>La tua iscrizione</b> (confermata)")
    assert [ManageButton.unpack(data_of(out, label)) for label in labels(out)] == [
        ManageButton(ManageAction.ZONE, CO_PLANNING),
        ManageButton(ManageAction.MODE, CO_PLANNING),
        ManageButton(ManageAction.CANCEL, CO_PLANNING),
    ]
    assert await domain.conversation(ANNA) is None


async def test_the_overview_offers_the_other_open_event(tmp_path: Path) -> None:
    async with started(tmp_path, now=BEFORE_LAUNCH) as domain:
        await domain.register(ANNA, event=LAUNCH, zone=1)
        out = await domain.flows.participant.start(ANNA)
        assert texts(out)[-1] == domain.t("it", "manage.other_events")
        out = await manage(domain, out, "Dalle strategie alle azioni")
        assert out.in_place and await domain.step(ANNA) == "name"  # consent already given
        talk = await domain.flows.conversations.open(ANNA)
        assert talk is not None and talk.data.event_id == CO_PLANNING


async def test_change_zone(domain: Domain) -> None:
    registration = await domain.register(ANNA)
    out = await manage(domain, await domain.flows.participant.start(ANNA), "Cambia zona")
    assert question(out).text == domain.t("it", "zone.ask") and out.in_place
    out = await domain.press(ANNA, out, "9 · Eporediese")
    assert question(out).text.startswith("<b>Nuovi dati dell'iscrizione</b>")
    assert "9 · Eporediese" in question(out).text and "⚠️" not in question(out).text
    out = await domain.press(ANNA, out, "Sì, modifica")
    assert texts(out)[0] == domain.t("it", "change.done")
    assert isinstance(out.replies[-1], Document)  # the confirmation again, with its calendar
    changed = await domain.registration(registration.id)
    assert (changed.zone, changed.venue_id, changed.status) == (9, "strambino", Status.CONFIRMED)


async def test_change_zone_by_a_typed_comune(domain: Domain) -> None:
    registration = await domain.register(ANNA)
    await manage(domain, await domain.flows.participant.start(ANNA), "Cambia zona")
    out = await domain.press(ANNA, await domain.say(ANNA, "Ivrea"), "✅ Zona")
    await domain.press(ANNA, out, "Sì, modifica")
    assert (await domain.registration(registration.id)).zone == 9


async def test_moving_to_a_full_venue_warns_and_waitlists(tmp_path: Path) -> None:
    async with started(tmp_path, config=config_with(strambino=1)) as domain:
        await domain.register(BRUNO, zone=9)
        registration = await domain.register(ANNA)
        out = await manage(domain, await domain.flows.participant.start(ANNA), "Cambia zona")
        out = await domain.press(ANNA, out, "10 · Chivassese")
        warning = domain.t("it", "change.full_warning", venue="Comune di Strambino")
        assert question(out).text.endswith(warning)
        await domain.press(ANNA, out, "Sì, modifica")
        moved = await domain.registration(registration.id)
        assert (moved.venue_id, moved.status) == ("strambino", Status.WAITLISTED)


async def test_change_mode_to_online(domain: Domain) -> None:
    registration = await domain.register(ANNA)
    out = await manage(domain, await domain.flows.participant.start(ANNA), "Cambia modalità")
    assert question(out).text.startswith("Come parteciperai?")
    out = await domain.press(ANNA, out, "Online")
    assert "Online (plenarie ibride)" in question(out).text
    await domain.press(ANNA, out, "Sì, modifica")
    changed = await domain.registration(registration.id)
    assert (changed.mode, changed.venue_id) == (AttendanceMode.ONLINE.value, None)


async def test_keeping_it_as_it_is_changes_nothing(domain: Domain) -> None:
    registration = await domain.register(ANNA)
    out = await manage(domain, await domain.flows.participant.start(ANNA), "Cambia zona")
    out = await domain.press(ANNA, await domain.press(ANNA, out, "1 · Torino"), "No, lascia")
    assert texts(out) == [domain.t("it", "abort.done")]
    assert await domain.registration(registration.id) == registration
    assert await domain.conversation(ANNA) is None


async def test_cancel_promotes_the_first_on_the_waiting_list(tmp_path: Path) -> None:
    async with started(tmp_path, config=config_with(pinerolo=1)) as domain:
        registration = await domain.register(ANNA)
        await domain.services.planner.plan(registration, domain.clock.now())
        waiting = await domain.register(BRUNO)
        assert waiting.status is Status.WAITLISTED
        out = await manage(domain, await domain.flows.participant.start(ANNA), "Annulla l'iscr")
        title = "Dalle strategie alle azioni - evento di co-pianificazione"
        assert question(out).text == domain.t("it", "cancel.ask", event=title)
        out = await domain.press(ANNA, out, "Sì, annulla")
        assert texts(out) == [domain.t("it", "cancel.done", event=title)]
        assert (await domain.registration(registration.id)).status is Status.CANCELLED
        assert (await domain.registration(waiting.id)).status is Status.CONFIRMED
        told = [row for row in await domain.outbox(BRUNO) if row.priority == PERSON]
        assert [row.kind for row in told] == ["promotion", "calendar"]
        assert out.deliver == [row.dedupe_key for row in told]
        reminders = await domain.outbox(ANNA, kind="reminder")
        assert reminders and {row.reason for row in reminders} == {"registration_cancelled"}


async def test_a_manage_button_during_another_conversation_is_refused(tmp_path: Path) -> None:
    async with started(tmp_path, now=BEFORE_LAUNCH) as domain:
        await domain.register(ANNA, event=LAUNCH, zone=1)
        overview = await domain.flows.participant.start(ANNA)
        await manage(domain, overview, "Dalle strategie")  # registering for the other event
        out = await manage(domain, overview, "Cambia zona")
        assert out.alert == domain.t("it", "manage.busy") and not out.in_place
        assert texts(out) == [domain.t("it", "name.ask", max=NAME_MAX)]  # the current step
        assert await domain.step(ANNA) == "name"


async def test_a_button_of_a_cancelled_registration_is_stale(domain: Domain) -> None:
    registration = await domain.register(ANNA)
    overview = await domain.flows.participant.start(ANNA)
    await domain.services.registrations.cancel(registration.id, 40, domain.clock.now())
    out = await manage(domain, overview, "Cambia zona")
    assert out.alert == domain.t("it", "button.stale")
    assert await domain.conversation(ANNA) is None


async def test_erase_asks_then_erases_everything_personal(tmp_path: Path) -> None:
    async with started(tmp_path, config=config_with(pinerolo=1)) as domain:
        registration = await domain.register(ANNA, organisation="Comune di Pinerolo")
        waiting = await domain.register(CARLA)
        out = await domain.flows.manage.erase(ANNA)
        assert question(out).text == domain.t("it", "erase.ask")
        out = await domain.press(ANNA, out, "Sì, cancella i miei dati")
        assert texts(out) == [domain.t("it", "erase.done")]
        erased = await domain.registration(registration.id)
        assert erased.status is Status.ERASED
        assert (erased.user_id, erased.display_name, erased.organisation) == (None, None, None)
        assert await domain.services.users.get(ANNA.user_id) is None
        assert (await domain.registration(waiting.id)).status is Status.CONFIRMED
        assert out.deliver and all(
            row.user_id == CARLA.user_id
            for row in await domain.outbox()
            if row.dedupe_key in out.deliver
        )


async def test_erase_kept_changes_nothing(domain: Domain) -> None:
    registration = await domain.register(ANNA)
    out = await domain.press(ANNA, await domain.flows.manage.erase(ANNA), "No, lascia")
    assert texts(out) == [domain.t("it", "abort.done")]
    assert await domain.registration(registration.id) == registration


async def test_only_the_buttons_answer_a_confirmation(domain: Domain) -> None:
    await domain.register(ANNA)
    await domain.flows.manage.erase(ANNA)
    out = await domain.say(ANNA, "sì")
    assert texts(out) == [domain.t("it", "flow.use_buttons"), domain.t("it", "erase.ask")]
    assert await domain.step(ANNA) == "confirm"
