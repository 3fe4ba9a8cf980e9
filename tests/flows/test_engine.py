"""The conversation engine on its own, with a small flow of the test's (a colour, a number,
a confirmation): tokens, stale and forged buttons, what NEXT, None and an Outcome mean, texts
and content where they are (not) expected, /annulla, re-asking, the typed data stored."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

import pytest

from bot.attendance.flows import CheckinData
from bot.broadcasts.flows import BroadcastData
from bot.kernel.conversation import (
    NEXT,
    Content,
    Conversations,
    FlowButton,
    FlowData,
    Handled,
    Talk,
)
from bot.kernel.people import Who
from bot.kernel.replies import Message, Outcome, Reply
from bot.registration.manage import ChangeData
from bot.registration.wizard import RegistrationData
from bot.reminders.links import LinkData
from storage.conversations import Conversation
from tests.flows.helpers import ANNA, EMMA, Domain, flow_button, texts


class Step(StrEnum):
    COLOUR = "colour"
    NUMBER = "number"
    DONE = "done"


@dataclass
class SurveyData(FlowData):
    colour: str | None = None
    number: int | None = None
    notes: list[str] = field(default_factory=list)


class Survey:
    """Colour (buttons), number (typed), then OK: the engine's contract in a few lines."""

    name: ClassVar[str] = "survey"
    data_type = SurveyData
    text_steps: frozenset[str] = frozenset({Step.NUMBER})

    def __init__(self, conversations: Conversations) -> None:
        self.conversations = conversations
        self.any_message = False  # whether the colour step takes whatever is sent

    def stopped(self, talk: Talk[SurveyData]) -> str:
        return "abort.done"

    async def next_step(self, talk: Talk[SurveyData], who: Who | None) -> str:
        if talk.data.colour is None:
            return Step.COLOUR
        return Step.NUMBER if talk.data.number is None else Step.DONE

    async def question(self, talk: Talk[SurveyData], who: Who | None) -> list[Reply]:
        if talk.step == Step.COLOUR:
            buttons = [[talk.button("Red", "c", "red")], [talk.button("Blue", "c", "blue")]]
            return [Message("Colour?", buttons)]
        if talk.step == Step.NUMBER:
            return [Message("Number?")]
        data = talk.data
        return [Message(f"{data.colour} {data.number}?", [[talk.button("OK", "ok")]])]

    async def on_button(
        self, talk: Talk[SurveyData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        if talk.step == Step.COLOUR and action == "c" and value in ("red", "blue"):
            talk.data.colour = value
            return NEXT
        if talk.step == Step.DONE and action == "ok":
            await self.conversations.end(who.user_id)
            talk.say("Saved")
            return talk.out
        return None

    async def on_text(self, talk: Talk[SurveyData], text: str, who: Who) -> Handled:
        if talk.step != Step.NUMBER:
            return None
        if not text.isdigit():
            talk.say("A number, please")
            return await self.conversations.ask(talk, who)
        talk.data.number = int(text)
        return NEXT

    async def on_content(self, talk: Talk[SurveyData], content: Content, who: Who) -> Handled:
        if talk.step != Step.COLOUR or content.kind not in ("sticker", "text"):
            return None
        talk.data.notes.append(content.kind)
        talk.say("Noted")
        return await self.conversations.ask(talk, who)

    def takes_any_message(self, talk: Talk[SurveyData]) -> bool:
        return self.any_message and talk.step == Step.COLOUR


@pytest.fixture
def survey(domain: Domain) -> Survey:
    flow = Survey(domain.flows.conversations)
    domain.flows.conversations.add(flow)
    return flow


async def begin(domain: Domain, survey: Survey, who: Who = ANNA) -> Outcome:
    return await domain.flows.conversations.begin(who, survey, SurveyData())


def photo(message_id: int = 7) -> Content:
    return Content("photo", message_id, chat_id=ANNA.user_id)


# --- tokens and buttons ---------------------------------------------------------------------
async def test_begin_stores_the_step_and_asks_under_a_fresh_token(
    domain: Domain, survey: Survey
) -> None:
    out = await begin(domain, survey)
    assert texts(out) == ["Colour?"]
    stored = await domain.conversation(ANNA)
    assert stored is not None and (stored.flow, stored.step) == ("survey", "colour")
    assert flow_button(out, "Red") == FlowButton(stored.token, "c", "red")


async def test_next_asks_the_next_step_in_place_of_the_question(
    domain: Domain, survey: Survey
) -> None:
    first = await begin(domain, survey)
    out = await domain.press(ANNA, first, "Red")
    assert texts(out) == ["Number?"] and out.in_place and out.alert is None
    stored = await domain.conversation(ANNA)
    assert stored is not None and stored.data == {"colour": "red"}
    assert stored.token != flow_button(first, "Red").token


async def test_a_button_of_an_older_question_is_stale(domain: Domain, survey: Survey) -> None:
    first = await begin(domain, survey)
    await domain.press(ANNA, first, "Red")
    out = await domain.press(ANNA, first, "Blue")
    assert out.alert == domain.t("it", "button.stale")
    assert texts(out) == ["Number?"]  # the current question again, not in place
    assert not out.in_place
    stored = await domain.conversation(ANNA)
    assert stored is not None and stored.data == {"colour": "red"}


async def test_a_forged_button_with_the_current_token_is_invalid(
    domain: Domain, survey: Survey
) -> None:
    out = await begin(domain, survey)
    forged = FlowButton(flow_button(out, "Red").token, "c", "green")
    out = await domain.flows.conversations.press(ANNA, forged, None)
    assert out.alert == domain.t("it", "button.invalid")
    assert texts(out) == ["Colour?"] and await domain.step(ANNA) == "colour"


async def test_a_forged_token_is_stale(domain: Domain, survey: Survey) -> None:
    await begin(domain, survey)
    out = await domain.flows.conversations.press(ANNA, FlowButton("nottoken", "c", "red"), None)
    assert out.alert == domain.t("it", "button.stale") and texts(out) == ["Colour?"]


async def test_an_outcome_is_the_answer_and_nothing_is_asked_after_it(
    domain: Domain, survey: Survey
) -> None:
    out = await domain.press(ANNA, await begin(domain, survey), "Blue")
    out = await domain.say(ANNA, "7")
    assert texts(out) == ["blue 7?"]
    out = await domain.press(ANNA, out, "OK")
    assert texts(out) == ["Saved"] and out.in_place
    assert await domain.conversation(ANNA) is None


async def test_a_press_without_a_conversation_is_stale(domain: Domain, survey: Survey) -> None:
    out = await domain.flows.conversations.press(ANNA, FlowButton("abcdefgh", "c", "red"), None)
    assert out.alert == domain.t("it", "button.stale") and out.replies == []


async def test_a_stale_handler_has_the_first_look(domain: Domain, survey: Survey) -> None:
    async def known(who: Who, button: FlowButton) -> Outcome | None:
        return Outcome(toast="seen") if button.action == "old" else None

    domain.flows.conversations.on_stale(known)
    await begin(domain, survey)
    conversations = domain.flows.conversations
    assert (await conversations.press(ANNA, FlowButton("x", "old"), None)).toast == "seen"
    other = await conversations.press(ANNA, FlowButton("x", "new"), None)
    assert other.alert == domain.t("it", "button.stale")


# --- texts and content ------------------------------------------------------------------------
async def test_text_where_buttons_are_expected_asks_again(domain: Domain, survey: Survey) -> None:
    await begin(domain, survey)
    out = await domain.say(ANNA, "red")
    assert texts(out) == [domain.t("it", "flow.use_buttons"), "Colour?"]


async def test_the_flow_may_answer_a_bad_text_itself(domain: Domain, survey: Survey) -> None:
    await domain.press(ANNA, await begin(domain, survey), "Red")
    out = await domain.say(ANNA, "many")
    assert texts(out) == ["A number, please", "Number?"]
    assert await domain.step(ANNA) == "number"


async def test_content_at_a_text_step_asks_for_text(domain: Domain, survey: Survey) -> None:
    await domain.press(ANNA, await begin(domain, survey), "Red")
    out = await domain.send(ANNA, photo())
    assert texts(out) == [domain.t("it", "flow.expect_text"), "Number?"]


async def test_content_at_a_button_step_asks_for_the_buttons(
    domain: Domain, survey: Survey
) -> None:
    await begin(domain, survey)
    out = await domain.send(ANNA, photo())
    assert texts(out) == [domain.t("it", "flow.use_buttons"), "Colour?"]
    out = await domain.send(ANNA, Content("sticker", 8, chat_id=ANNA.user_id))
    assert texts(out) == ["Noted", "Colour?"]  # the flow takes this one


async def test_a_step_that_takes_any_message_gets_text_as_content(
    domain: Domain, survey: Survey
) -> None:
    survey.any_message = True
    await begin(domain, survey)
    out = await domain.say(ANNA, "hello")
    assert texts(out) == ["Noted", "Colour?"]
    talk = await domain.flows.conversations.open(ANNA)
    assert talk is not None and talk.data == SurveyData(notes=["text"])


async def test_without_a_conversation_the_engine_answers_nothing(domain: Domain) -> None:
    conversations = domain.flows.conversations
    assert await conversations.text(ANNA, "hello") is None
    assert await conversations.content(ANNA, photo()) is None
    assert await conversations.stop(ANNA) is None


async def test_the_engine_speaks_the_users_language(domain: Domain, survey: Survey) -> None:
    await begin(domain, survey, EMMA)
    out = await domain.say(EMMA, "red")
    assert texts(out)[0] == domain.t("en", "flow.use_buttons")
    await domain.services.users.set_language(EMMA.user_id, "it", domain.clock.now())
    out = await domain.say(EMMA, "red")  # an explicit /lingua choice wins over the client's
    assert texts(out)[0] == domain.t("it", "flow.use_buttons")


# --- stop, reask, invalid ---------------------------------------------------------------------
async def test_stop_ends_the_conversation_with_the_flows_words(
    domain: Domain, survey: Survey
) -> None:
    await begin(domain, survey)
    out = await domain.flows.conversations.stop(ANNA)
    assert out is not None and texts(out) == [domain.t("it", "abort.done")]
    assert await domain.conversation(ANNA) is None


async def test_reask_appends_the_current_question(domain: Domain, survey: Survey) -> None:
    conversations = domain.flows.conversations
    alone = await conversations.reask(ANNA, Outcome().add(Message("Note")))
    assert texts(alone) == ["Note"]  # no conversation: nothing to ask
    await begin(domain, survey)
    out = await conversations.reask(ANNA, Outcome().add(Message("Note")))
    assert texts(out) == ["Note", "Colour?"]
    stored = await domain.conversation(ANNA)  # asked under a fresh token
    assert stored is not None and flow_button(out, "Red").token == stored.token


async def test_invalid_alerts_and_asks_again(domain: Domain, survey: Survey) -> None:
    await begin(domain, survey)
    out = await domain.flows.conversations.invalid(ANNA, "manage.busy")
    assert out.alert == domain.t("it", "manage.busy") and texts(out) == ["Colour?"]


async def test_a_conversation_of_a_flow_no_longer_run_is_ignored(domain: Domain) -> None:
    gone = Conversation(ANNA.user_id, "retired", "step", "abcdefgh", {"x": 1})
    await domain.services.conversations.save(gone, domain.clock.now())
    conversations = domain.flows.conversations
    assert await conversations.open(ANNA) is None
    assert await conversations.text(ANNA, "hello") is None


async def test_begin_replaces_the_open_conversation(domain: Domain, survey: Survey) -> None:
    await domain.flows.participant.start(ANNA)  # registering: the consent
    assert await domain.step(ANNA) == "consent"
    await begin(domain, survey)
    stored = await domain.conversation(ANNA)
    assert stored is not None and (stored.flow, stored.step) == ("survey", "colour")


# --- typed data -------------------------------------------------------------------------------
def test_to_json_keeps_only_the_answers_given() -> None:
    assert SurveyData().to_json() == {}
    answered = SurveyData(colour="red", number=0, notes=["text"])
    assert answered.to_json() == {"colour": "red", "number": 0, "notes": ["text"]}


def test_from_json_drops_what_an_older_version_stored() -> None:
    assert SurveyData.from_json({"colour": "blue", "size": "XL"}) == SurveyData(colour="blue")


async def test_the_stored_data_comes_back_typed(domain: Domain, survey: Survey) -> None:
    await domain.press(ANNA, await begin(domain, survey), "Red")
    await domain.say(ANNA, "12")
    stored = await domain.conversation(ANNA)
    assert stored is not None and stored.data == {"colour": "red", "number": 12}
    talk = await domain.flows.conversations.open(ANNA)
    assert talk is not None and talk.data == SurveyData(colour="red", number=12)


@pytest.mark.parametrize(
    "data",
    [
        RegistrationData(
            consented=True,
            event_id="copianificazione-2023",
            name="Anna",
            zone_only=[6, 7, 9],
            zone_lead="<b>Ala di Stura</b>",
            zone_extra=[["Pinerolo", "cm", "001191"]],
            organisation_done=True,
        ),
        ChangeData(registration_id=3, event_id="lancio-2023", what="mode", mode="online"),
        LinkData(event_id="lancio-2023", anchor=""),
        CheckinData(venues=["pinerolo", "cirie"], venue_id="cirie"),
        BroadcastData(facilitator_zones=[5], source_chat=9, source_message=4, kind="zone"),
    ],
    ids=lambda data: type(data).__name__,
)
def test_every_flows_data_round_trips_through_json(data: FlowData) -> None:
    stored = json.loads(json.dumps(data.to_json()))
    assert type(data).from_json(stored) == data
