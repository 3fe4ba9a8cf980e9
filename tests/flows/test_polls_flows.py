"""The polls capability through its flows, without Telegram: a :class:`Who` and typed button
data (or a typed text) in, an :class:`Outcome` out.

The domain is built by its composition root (``Services.start``) on a temporary database at
the start of the co-planning day's first table session (5 Dec 2023, 10:10-10:30): a
facilitator opens the priority poll of zone 5; participants tap; forged and stale buttons
change nothing; the quick question and the manual counts are typed through the one
conversation engine, and ``/annulla`` stops them.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import FakeClock
from bot.kernel.conversation import FlowButton
from bot.kernel.people import Who
from bot.kernel.replies import Button, Message, Outcome
from bot.polls.buttons import (
    STAFF_FAMILIES,
    AllZonesPick,
    BallotAction,
    BallotButton,
    CountAction,
    CountButton,
    OpenAction,
    OpenButton,
    PollAction,
    PollButton,
    ResultsAction,
    ResultsButton,
    StaffButton,
    ZoneCommand,
    ZonePick,
)
from bot.polls.counts import POLL_COUNTS, CountStep
from bot.polls.quick import POLL_QUICK, QuickStep
from bot.services import Services
from config.event import load_event_config
from config.settings import Settings
from storage.polls import PRIORITY, QUICK, Poll
from storage.registrations import NewRegistration

ROME = ZoneInfo("Europe/Rome")
EVENT = "copianificazione-2023"
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)  # "Sessione di discussione 1"
ORGANISER = 9000
FAC5 = Who(9105, "Fabio", "Facilitatore")
FAC9 = Who(9109, "Franca", "Facilitatrice")
ANNA, BRUNO, DARIO = Who(3001, "Anna"), Who(3002, "Bruno"), Who(3004, "Dario")
EVA = Who(3005, "Eva")  # zone 9
STRANGER = Who(3999, "Zeno")  # not registered, no role
# Positions of the six bundled axes (what the priority poll ranks without strategies).
DIGITAL, GREEN, MOBILITY, SCHOOL, INCLUSION, HEALTH = range(6)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    """The domain at the first table session: facilitators of zones 5 and 9; Anna and Bruno
    in person at zone 5, Dario online in zone 5, Eva in person at zone 9."""
    settings = Settings(
        bot_token=SecretStr("123456:TEST"),
        database=tmp_path / "polls.sqlite3",
        organisers=[ORGANISER],
        _env_file=None,
    )
    running = await Services.start(settings, load_event_config(), FakeClock(SESSION_1))
    try:
        for who, zone in ((FAC5, 5), (FAC9, 9)):
            await running.roles.store.grant(
                who.user_id, "facilitator", str(zone), ORGANISER, SESSION_1
            )
        for who, zone, mode in (
            (ANNA, 5, "in_person"),
            (BRUNO, 5, "in_person"),
            (DARIO, 5, "online"),
            (EVA, 9, "in_person"),
        ):
            venue = running.config.zone(zone).venue if mode == "in_person" else None
            new = NewRegistration(
                EVENT, who.user_id, who.first_name, zone, mode, venue, None, None, "it"
            )
            await running.registrations.create(new, None, SESSION_1)
        yield running
    finally:
        await running.close()


# --- reading outcomes ---------------------------------------------------------------------
def plain(text: str) -> str:
    """A message's text as the user reads it (no HTML)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def texts(outcome: Outcome) -> str:
    """Every message of an outcome (and its in-place edit), as read."""
    messages = [r for r in outcome.replies if isinstance(r, Message)]
    if outcome.edit is not None:
        messages.append(outcome.edit)
    return "\n".join(plain(m.text) for m in messages)


def buttons(outcome: Outcome) -> list[Button]:
    """Every button of an outcome's messages (and of its edit)."""
    messages = [r for r in outcome.replies if isinstance(r, Message)]
    if outcome.edit is not None:
        messages.append(outcome.edit)
    return [button for m in messages for row in m.buttons for button in row]


def data_of(outcome: Outcome, label: str) -> str:
    """The callback data of the one button whose label contains ``label``."""
    found = [b.data for b in buttons(outcome) if label in b.label and b.data]
    assert len(found) == 1, (label, [b.label for b in buttons(outcome)])
    return found[0]


# --- what users do ------------------------------------------------------------------------
async def press_staff(services: Services, who: Who, data: str) -> Outcome:
    """A staff button pressed, routed as the handlers route it."""
    return await services.flows.polls.press(who, StaffButton.parse(data))


async def tap(services: Services, who: Who, data: str) -> Outcome:
    """A ballot button pressed, routed as the handlers route it."""
    return await services.flows.polls.tap(who, BallotButton.unpack(data))


async def press_flow(services: Services, who: Who, outcome: Outcome, label: str) -> Outcome:
    """A conversation button (a set-up's) pressed."""
    button = FlowButton.unpack(data_of(outcome, label))
    assert button is not None
    return await services.flows.conversations.press(who, button, None)


async def say(services: Services, who: Who, text: str) -> Outcome:
    """A text typed in the private chat, through the one text path of every flow."""
    return await services.flows.participant.text(who, text)


async def open_priority(services: Services, who: Who = FAC5, label: str = "max 3") -> Poll:
    """The facilitator opens the priority poll from /sondaggio; the poll as stored."""
    panel = await services.flows.polls.poll_command(who)
    opened = await press_staff(services, who, data_of(panel, label))
    assert "Sondaggio aperto" in texts(opened), texts(opened)
    open_polls = await services.polls.open_polls(EVENT, 5 if who == FAC5 else 9)
    assert len(open_polls) == 1
    return open_polls[0]


async def ballot_rows(services: Services, poll: Poll) -> set[int]:
    """The users whose ballot is queued in the outbox."""
    return {row.user_id for row in await services.outbox.rows(kind="poll")}


# --- opening, tapping ---------------------------------------------------------------------
async def test_opening_a_poll_queues_ballots_for_the_in_person_table(services: Services) -> None:
    panel = await services.flows.polls.poll_command(FAC5)
    assert "Zona 5" in texts(panel) and "Iscritti in presenza al tavolo: 2" in texts(panel)
    data = data_of(panel, "Apri il sondaggio")
    assert StaffButton.parse(data) == OpenButton(OpenAction.PRIORITY, 5, 3)
    opened = await press_staff(services, FAC5, data)
    assert opened.toast == "Sondaggio aperto"
    assert "fino a 3 scelte" in texts(opened) and "10:30" in texts(opened)
    poll = (await services.polls.open_polls(EVENT, 5))[0]
    assert poll.kind == PRIORITY and poll.max_choices == 3 and poll.is_open
    assert await ballot_rows(services, poll) == {ANNA.user_id, BRUNO.user_id}  # not Dario
    # the status buttons are the poll's codecs
    assert StaffButton.parse(data_of(opened, "Chiudi")) == PollButton(PollAction.CLOSE, poll.id)
    # a second priority poll in the same zone is refused
    again = await press_staff(services, FAC5, data)
    assert again.alert is not None and "già un sondaggio" in again.alert


async def test_a_tap_is_stored_and_answered_at_once(services: Services) -> None:
    poll = await open_priority(services)
    ballot = services.ballots.ballot(poll, "it", [], None)
    salute = next(b.data for row in ballot.buttons for b in row if "Salute" in b.label)
    assert salute is not None
    assert BallotButton.unpack(salute) == BallotButton(poll.id, BallotAction.TAP, HEALTH)
    out = await tap(services, ANNA, salute)
    assert out.toast == "1ª scelta: Salute" and out.alert is None
    assert out.edit is not None and "1️⃣ Salute" in [b.label for b in buttons(out)]
    assert "Da confermare" in plain(out.edit.text)
    registration = await services.registrations.active(EVENT, ANNA.user_id)
    assert registration is not None
    assert await services.polls.store.ballot(poll.id, registration.id) == ([HEALTH], None)
    confirmed = await tap(services, ANNA, BallotButton(poll.id, BallotAction.CONFIRM).pack())
    assert confirmed.toast == "✅ Risposta registrata"
    assert await services.polls.store.answer_rows(poll.id) == [(registration.id, HEALTH, 1)]


async def test_too_many_choices_are_refused_and_change_nothing(services: Services) -> None:
    poll = await open_priority(services)
    for position in (HEALTH, SCHOOL, INCLUSION):
        await tap(services, ANNA, BallotButton(poll.id, BallotAction.TAP, position).pack())
    refused = await tap(services, ANNA, BallotButton(poll.id, BallotAction.TAP, GREEN).pack())
    assert refused.alert == (
        "Puoi scegliere al massimo 3 voci: tocca una voce già scelta per toglierla."
    )
    assert refused.edit is None and not refused.close_keyboard
    registration = await services.registrations.active(EVENT, ANNA.user_id)
    assert registration is not None
    picks, _ = await services.polls.store.ballot(poll.id, registration.id)
    assert picks == [HEALTH, SCHOOL, INCLUSION]


async def test_forged_and_out_of_place_buttons_change_nothing(services: Services) -> None:
    poll = await open_priority(services)
    forged = (
        f"p|{poll.id}|t|42",  # no such option
        f"p|{poll.id}|t|-1",  # a negative position is no position
        f"p|{poll.id}|ax|-1",
        f"p|{poll.id}|ok|3",  # confirm takes no value
        f"p|{poll.id}|t",  # a tap needs one
        "p|999999|t|0",  # no such poll
        f"p|{poll.id}|zz",
        f"p|{poll.id}|t|x",
        "p|",
        "p|f",
    )
    for data in forged:
        out = await tap(services, ANNA, data)
        assert out.alert == "Pulsante non valido.", data
        assert out.edit is None and out.toast is None, data
    other_zone = await tap(services, EVA, BallotButton(poll.id, BallotAction.TAP, 0).pack())
    assert other_zone.alert is not None and "altra Zona" in other_zone.alert
    online = await tap(services, DARIO, BallotButton(poll.id, BallotAction.CONFIRM).pack())
    assert online.alert is not None and "in presenza" in online.alert
    assert await services.polls.store.answer_rows(poll.id) == []
    registration = await services.registrations.active(EVENT, ANNA.user_id)
    assert registration is not None
    assert await services.polls.store.ballot(poll.id, registration.id) == ([], None)

    # staff buttons: the presser's role is checked every time
    not_mine = await press_staff(services, FAC9, PollButton(PollAction.CLOSE, poll.id).pack())
    assert not_mine.alert == "Pulsante non valido."
    refused = await press_staff(services, STRANGER, "p|f|op|5|3")
    assert refused.alert is not None and "facilitatori" in refused.alert
    for data in ("p|f|op|5|9", "p|f|op|5", "p|f|qk|5|3", "p|f|mk|1|0|-1", "p|f|zz|1", "p|f|"):
        out = await press_staff(services, FAC5, data)
        assert out.alert == "Pulsante non valido.", data
    assert (await services.polls.poll(poll.id)) == poll  # still open, unchanged


async def test_closing_by_hand_shows_the_results(services: Services) -> None:
    poll = await open_priority(services)
    await tap(services, ANNA, BallotButton(poll.id, BallotAction.TAP, HEALTH).pack())
    await tap(services, ANNA, BallotButton(poll.id, BallotAction.CONFIRM).pack())
    ask = await press_staff(services, FAC5, PollButton(PollAction.CLOSE, poll.id).pack())
    assert "Chiudere ora" in texts(ask)
    closed = await press_staff(services, FAC5, data_of(ask, "Sì, chiudi"))
    assert closed.toast == "Sondaggio chiuso" and "Ha risposto 1 persona" in texts(closed)
    assert not (await services.polls.poll(poll.id) or poll).is_open
    late = await tap(services, ANNA, BallotButton(poll.id, BallotAction.TAP, SCHOOL).pack())
    assert late.alert is not None and "chiuso" in late.alert


# --- the quick question on the engine -----------------------------------------------------
async def test_a_quick_question_is_typed_through_the_engine(services: Services) -> None:
    panel = await services.flows.polls.poll_command(FAC5)
    asked = await press_staff(services, FAC5, data_of(panel, "Domanda rapida"))
    assert "Scrivimi la domanda" in texts(asked)
    stored = await services.conversations.get(FAC5.user_id)
    assert stored is not None and (stored.flow, stored.step) == (POLL_QUICK, QuickStep.TEXT)

    invalid = await say(services, FAC5, "Solo una domanda")
    assert "Mi servono" in texts(invalid)
    assert FlowButton.unpack(data_of(invalid, "Annulla")) is not None  # still cancellable

    preview = await say(services, FAC5, "Facciamo la pausa alle 11?\nSì\nNo\nPiù tardi")
    assert "Facciamo la pausa alle 11?" in texts(preview) and "• Più tardi" in texts(preview)
    stored = await services.conversations.get(FAC5.user_id)
    assert stored is not None and stored.step == QuickStep.CHOICE
    # at the choice, text is not an answer: the preview again
    again = await say(services, FAC5, "una sola")
    assert "Si può dare una sola risposta" in texts(again)

    opened = await press_flow(services, FAC5, again, "Una sola risposta")
    assert opened.toast == "Sondaggio aperto" and opened.in_place
    assert await services.conversations.get(FAC5.user_id) is None
    quick = (await services.polls.polls(EVENT, 5, kind=QUICK))[0]
    assert quick.question == "Facciamo la pausa alle 11?" and quick.max_choices == 1
    assert [o.label for o in quick.options] == ["Sì", "No", "Più tardi"]
    assert await ballot_rows(services, quick) == {ANNA.user_id, BRUNO.user_id}
    answered = await tap(services, ANNA, BallotButton(quick.id, BallotAction.TAP, 1).pack())
    assert answered.toast == "✅ Risposta registrata"


async def test_an_older_set_up_button_is_stale(services: Services) -> None:
    panel = await services.flows.polls.poll_command(FAC5)
    asked = await press_staff(services, FAC5, data_of(panel, "Domanda rapida"))
    await say(services, FAC5, "Pausa?\nSì\nNo")
    stale = await press_flow(services, FAC5, asked, "Annulla")  # the first question's cancel
    assert stale.alert == "Questo pulsante non è più valido: usa quelli dell'ultimo messaggio."
    assert "Si può dare una sola risposta" in texts(stale)  # the current question again
    assert await services.conversations.get(FAC5.user_id) is not None
    cancelled = await press_flow(services, FAC5, stale, "Annulla")
    assert texts(cancelled) == "Annullato: non ho salvato nulla."
    assert await services.conversations.get(FAC5.user_id) is None
    assert await services.polls.polls(EVENT, 5) == []


async def test_annulla_stops_a_set_up(services: Services) -> None:
    panel = await services.flows.polls.poll_command(FAC5)
    await press_staff(services, FAC5, data_of(panel, "Domanda rapida"))
    stopped = await services.flows.participant.abort(FAC5)
    assert texts(stopped) == "Annullato: non ho salvato nulla."
    assert await services.conversations.get(FAC5.user_id) is None
    after = await say(services, FAC5, "Pausa?\nSì\nNo")  # no longer a quick question
    assert "Non ho capito" in texts(after)
    assert await services.polls.polls(EVENT, 5) == []


async def test_a_set_up_left_for_over_an_hour_is_over(services: Services) -> None:
    poll = await open_priority(services)
    counts = await services.flows.polls.counts_command(FAC5)
    await press_staff(services, FAC5, data_of(counts, "Persone senza Telegram"))
    assert await services.conversations.get(FAC5.user_id) is not None
    clock = services.clock
    assert isinstance(clock, FakeClock)
    clock.advance(dt.timedelta(minutes=61))
    late = await say(services, FAC5, "4")
    assert "Non ho capito" in texts(late)
    assert await services.conversations.get(FAC5.user_id) is None
    assert (await services.polls.store.get(poll.id) or poll).manual_respondents is None


# --- manual counts --------------------------------------------------------------------------
async def test_manual_counts_are_typed_through_the_engine(services: Services) -> None:
    poll = await open_priority(services)
    panel = await services.flows.polls.counts_command(FAC5)  # one poll: its counts at once
    assert "Conteggi a mano" in texts(panel) and "Nessun conteggio" in texts(panel)
    salute = data_of(panel, "Salute")
    assert StaffButton.parse(salute) == CountButton(CountAction.OPTION, poll.id, HEALTH)
    ranks = await press_staff(services, FAC5, salute)
    assert "per quale posizione" in texts(ranks) and not ranks.close_keyboard
    asked = await press_staff(services, FAC5, data_of(ranks, "1ª"))
    assert "Quante persone hanno scelto Salute come 1ª scelta" in texts(asked)
    stored = await services.conversations.get(FAC5.user_id)
    assert stored is not None and (stored.flow, stored.step) == (POLL_COUNTS, CountStep.COUNT)

    invalid = await say(services, FAC5, "tre")
    assert "numero intero" in texts(invalid)
    saved = await say(services, FAC5, "3")
    assert "Conteggio salvato" in texts(saved) and "Salute: 1ª: 3" in texts(saved)
    assert await services.conversations.get(FAC5.user_id) is None
    tally = (await services.polls.store.tallies([poll.id]))[poll.id]
    assert tally.manual == {(HEALTH, 1): 3}

    people = await press_staff(services, FAC5, data_of(saved, "Persone senza Telegram"))
    assert "Quante persone hanno risposto senza Telegram" in texts(people)
    assert not people.close_keyboard  # the counts panel keeps its buttons
    saved = await say(services, FAC5, "4")
    assert "senza Telegram: 4" in texts(saved)
    assert (await services.polls.poll(poll.id) or poll).manual_respondents == 4


async def test_cancelling_a_count_stores_nothing(services: Services) -> None:
    poll = await open_priority(services)
    panel = await services.flows.polls.counts_command(FAC5)
    ranks = await press_staff(services, FAC5, data_of(panel, "Salute"))
    asked = await press_staff(services, FAC5, data_of(ranks, "ordine non noto"))
    cancelled = await press_flow(services, FAC5, asked, "Annulla")
    assert cancelled.edit is not None
    assert plain(cancelled.edit.text) == "Annullato: non ho salvato nulla."
    assert (await services.polls.store.tallies([poll.id]))[poll.id].manual == {}
    assert "Non ho capito" in texts(await say(services, FAC5, "3"))


async def test_a_count_after_losing_the_zone_is_refused(services: Services) -> None:
    poll = await open_priority(services)
    panel = await services.flows.polls.counts_command(FAC5)
    await press_staff(services, FAC5, data_of(panel, "Persone senza Telegram"))
    await services.roles.store.revoke(FAC5.user_id, "facilitator", "5")
    refused = await say(services, FAC5, "4")
    assert "facilitatori" in texts(refused)
    assert (await services.polls.poll(poll.id) or poll).manual_respondents is None


# --- the codecs -----------------------------------------------------------------------------
STAFF_EXAMPLES: list[tuple[ButtonData, str]] = [
    (ZonePick(ZoneCommand.COUNTS, 5), "p|f|z|c|5"),
    (AllZonesPick(), "p|f|z|r|all"),
    (OpenButton(OpenAction.PRIORITY, 5, 3), "p|f|op|5|3"),
    (OpenButton(OpenAction.QUICK, 5), "p|f|qk|5"),
    (PollButton(PollAction.STATUS, 12), "p|f|st|12"),
    (CountButton(CountAction.OPTION, 12, 4), "p|f|mo|12|4"),
    (CountButton(CountAction.RANK, 12, 4, 0), "p|f|mk|12|4|0"),
    (ResultsButton(ResultsAction.EXPORT, "xlsx"), "p|f|ex|xlsx"),
    (ResultsButton(ResultsAction.SEND, EVENT), f"p|f|sr|{EVENT}"),
    (ResultsButton(ResultsAction.SEND_CANCEL), "p|f|sn"),
]


@pytest.mark.parametrize(("button", "data"), STAFF_EXAMPLES)
def test_staff_buttons_keep_their_wire_format(button: ButtonData, data: str) -> None:
    """Buttons already in chats keep working: each codec packs the data it always had, and
    exactly one codec reads it (never the ballots')."""
    assert button.pack() == data
    assert StaffButton.parse(data) == button
    assert [family for family in STAFF_FAMILIES if family.unpack(data) is not None] == [
        type(button)
    ]
    assert BallotButton.unpack(data) is None


def test_ballot_buttons_keep_their_wire_format() -> None:
    assert BallotButton(7, BallotAction.TAP, 2).pack() == "p|7|t|2"
    assert BallotButton(7, BallotAction.CONFIRM).pack() == "p|7|ok"
    assert BallotButton.unpack("p|7|home") == BallotButton(7, BallotAction.HOME)
    assert StaffButton.parse("p|7|t|2") is None
    assert BallotButton.pattern() == r"^p\|" and StaffButton.pattern() == r"^p\|f\|"


def test_a_prefix_of_several_parts() -> None:
    """A family may live under several prefix parts; data that only starts alike is not it."""
    assert ZonePick.unpack("p|f|z|p|3") == ZonePick(ZoneCommand.PANEL, 3)
    assert ZonePick.unpack("p|f|zz|p|3") is None
    assert ZonePick.unpack("p|f") is None
    assert AllZonesPick.unpack("p|f|z|r|all") == AllZonesPick()
    assert AllZonesPick.unpack("p|f|z|r|all|x") is None
    with pytest.raises(TypeError):

        class Empty(ButtonData, prefix="a||b"):  # an empty part
            pass
