"""The plenary questions, the participants' side, without Telegram: ``/domanda`` from the
first question to the row stored once (anonymous and pre-moderated, named and public, the
round table's axis windows), ``/domande`` with supports, withdrawals, pages and one's own
questions, and every refusal (nothing stored)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.conversation import Content, FlowButton
from bot.kernel.people import Who
from bot.kernel.replies import Message, Outcome
from bot.questions.asking import AskStep, clean_question
from bot.questions.listing import PAGE
from bot.questions.policy import open_window
from bot.questions.question_buttons import ListButton, OpenListButton, SupportButton
from config.event import AttendanceMode
from storage.questions import NewQuestion, Question, QuestionAction, QuestionStatus
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    CARLA,
    CO_PLANNING,
    EMMA,
    LAUNCH,
    Domain,
    data_of,
    labels,
    person,
    question,
    started,
    texts,
)
from tests.harness import ROME

OPENING = dt.datetime(2023, 12, 5, 9, 31, tzinfo=ROME)  # "plenaria-apertura", 9:30-9:40
STRATEGIES = dt.datetime(2023, 12, 5, 9, 41, tzinfo=ROME)  # "strategie", 9:40-10:00
TABLES = dt.datetime(2023, 12, 5, 10, 30, tzinfo=ROME)  # the tables: no window
AFTER = dt.datetime(2023, 12, 5, 13, 5, tzinfo=ROME)  # the closing plenary ended at 13:00
ROUND_TABLE = dt.datetime(2023, 9, 27, 17, 5, tzinfo=ROME)  # launch: the window of axis 1
DIANA = person(105, "Diana", "Neri")  # online


@pytest.fixture
async def domain(tmp_path: Path) -> AsyncIterator[Domain]:
    """5 Dec at 9:31, the opening plenary's window open: Anna, Bruno, Carla and Emma (in
    English) in person, Diana online, all confirmed; the moderators' feed recorded."""
    async with started(tmp_path, now=OPENING) as running:
        for who in (ANNA, BRUNO, CARLA, EMMA):
            await running.register(who)
        await running.register(DIANA, mode=AttendanceMode.ONLINE)
        yield running


def fed(domain: Domain) -> list[Question]:
    """Replace the moderators' feed with a recorder; the questions it receives."""
    received: list[Question] = []

    async def feed(question: Question) -> None:
        received.append(question)

    domain.flows.questions.flow.on_new_question = feed
    return received


async def ask(domain: Domain, who: Who, text: str | None = None) -> Outcome:
    return await domain.flows.questions.question_command(who, text)


async def stored(domain: Domain) -> list[Question]:
    return await domain.services.questions.listing(CO_PLANNING, list(QuestionStatus))


async def press(domain: Domain, who: Who, data: str) -> Outcome:
    return await domain.flows.questions.press(who, data)


async def publish(domain: Domain, who: Who, text: str, *, window: str = "plenaria-apertura") -> int:
    """A named question stored directly (published), as if confirmed."""
    registration = await domain.services.registrations.active(CO_PLANNING, who.user_id)
    assert registration is not None
    new = NewQuestion(
        CO_PLANNING,
        window,
        text,
        registration.id,
        registration.mode,
        "it",
        named=True,
        shown_name=who.full_name,
        status=QuestionStatus.PUBLISHED,
    )
    added, _ = await domain.services.questions.add(new, domain.clock.now())
    return added.id


def edited(outcome: Outcome) -> Message:
    assert outcome.edit is not None, outcome
    return outcome.edit


def text_of(outcome: Outcome) -> str:
    return str(edited(outcome).text)


# --- /domanda ---------------------------------------------------------------------------------
async def test_an_anonymous_question_waits_for_a_moderator(domain: Domain) -> None:
    feed = fed(domain)
    out = await ask(domain, ANNA)
    assert "Scrivi la tua domanda (fino a 300 caratteri)" in question(out).text
    assert "Plenaria: saluti istituzionali" in question(out).text
    assert await domain.step(ANNA) == AskStep.TEXT
    out = await domain.say(ANNA, "  Quando   partono\n i bandi  per le aree interne? ")
    assert "asse strategico" in question(out).text
    assert labels(out)[0].startswith("1. Digitalizzazione") and labels(out)[0].endswith("…")
    assert labels(out)[1] == "2. Rivoluzione verde e transizione ecologica"
    assert labels(out)[-2:] == ["Nessun asse in particolare", "✖️ Annulla"]
    out = await domain.press(ANNA, out, "2. Rivoluzione")
    assert labels(out)[0] == "🕶 Anonima" and "Con il mio nome: Anna Rossi" in labels(out)[1]
    out = await domain.press(ANNA, out, "Anonima")
    summary = question(out).text
    assert "Quando partono i bandi per le aree interne?" in summary
    assert "Asse: 2. Rivoluzione verde" in summary and "Nome: anonima" in summary
    assert "la legge un moderatore" in summary
    confirm = out
    out = await domain.press(ANNA, confirm, "Invia la domanda")
    (saved,) = await stored(domain)
    assert saved.status is QuestionStatus.PENDING and not saved.named and saved.axis == "2"
    assert saved.mode == "in_person" and saved.language == "it"
    assert saved.text == "Quando partono i bandi per le aree interne?"
    assert f"Domanda #{saved.id} ricevuta" in texts(out)[0]
    assert data_of(out, "Le domande") == OpenListButton().pack()
    assert [q.id for q in feed] == [saved.id]
    assert await domain.step(ANNA) is None
    # the same confirm again: already sent, nothing stored twice
    again = await domain.press(ANNA, confirm, "Invia la domanda")
    assert again.toast == domain.t("it", "questions.already_sent")
    assert len(await stored(domain)) == 1 and len(feed) == 1


async def test_a_named_question_is_public_at_once_and_text_in_the_command(
    domain: Domain,
) -> None:
    feed = fed(domain)
    out = await ask(domain, DIANA, "Come seguiamo online i lavori dei tavoli?")
    assert "asse strategico" in question(out).text  # the text taken from the command
    out = await domain.press(DIANA, out, "Nessun asse")
    out = await domain.press(DIANA, out, "Con il mio nome")
    assert "Nome: Diana Neri" in question(out).text
    assert "Sarà pubblica subito" in question(out).text
    out = await domain.press(DIANA, out, "Invia la domanda")
    (saved,) = await stored(domain)
    assert saved.status is QuestionStatus.PUBLISHED and saved.name == "Diana Neri"
    assert saved.mode == "online" and saved.axis is None
    assert [e.action for e in await domain.services.questions.story(saved.id)] == [
        QuestionAction.ASKED,
        QuestionAction.PUBLISHED,
    ]
    assert "pubblicata" in texts(out)[0] and len(feed) == 1


async def test_english_change_text_and_a_new_text_at_the_summary(domain: Domain) -> None:
    out = await ask(domain, EMMA)
    assert "Write your question (up to 300 characters)" in question(out).text
    out = await domain.say(EMMA, "First draft")
    out = await domain.press(EMMA, out, "No axis in particular")
    out = await domain.press(EMMA, out, "Anonymous")
    assert "First draft" in question(out).text and "Name: anonymous" in question(out).text
    out = await domain.press(EMMA, out, "Change the text")
    assert await domain.step(EMMA) == AskStep.TEXT
    out = await domain.say(EMMA, "Second draft?")
    assert await domain.step(EMMA) == AskStep.CONFIRM  # the axis and the name kept
    out = await domain.say(EMMA, "Third draft?")  # a text at the summary replaces it
    assert "Third draft?" in question(out).text
    out = await domain.press(EMMA, out, "Send the question")
    (saved,) = await stored(domain)
    assert saved.text == "Third draft?" and saved.language == "en"
    assert "Question #" in texts(out)[0] and "received" in texts(out)[0]


async def test_the_round_tables_windows_give_their_axis(tmp_path: Path) -> None:
    async with started(tmp_path, now=ROUND_TABLE) as domain:
        await domain.register(ANNA, event=LAUNCH)
        out = await ask(domain, ANNA, "Che ruolo avranno le unioni montane?")
        assert await domain.step(ANNA) == AskStep.NAME  # no axis question: the window's
        assert "Anonima" in labels(out)[0]
        out = await domain.press(ANNA, out, "Anonima")
        assert "Asse: 1. Digitalizzazione" in question(out).text
        await domain.press(ANNA, out, "Invia la domanda")
        (saved,) = await domain.services.questions.listing(LAUNCH, list(QuestionStatus))
        assert saved.window_id == "asse-1" and saved.axis == "1"


async def test_bad_texts_and_content_change_nothing(domain: Domain) -> None:
    out = await ask(domain, ANNA, "x" * 301)
    assert texts(out)[0] == domain.t("it", "questions.too_long", length=301, max=300)
    assert await domain.step(ANNA) == AskStep.TEXT
    out = await domain.say(ANNA, "\u200b \u2800 ")
    assert domain.t("it", "questions.empty", max=300) in texts(out)[0]
    sticker = Content("sticker", 5, chat_id=ANNA.user_id)
    out = await domain.send(ANNA, sticker)
    assert domain.t("it", "questions.only_text") in texts(out)[0]
    voice = Content("voice", 6, chat_id=ANNA.user_id)
    out = await domain.send(ANNA, voice)
    assert domain.t("it", "questions.only_text") in texts(out)[0]
    assert await domain.step(ANNA) == AskStep.TEXT
    out = await domain.say(ANNA, "Una domanda giusta?")
    out = await domain.press(ANNA, out, "Nessun asse")
    out = await domain.press(ANNA, out, "Anonima")
    out = await domain.say(ANNA, "y" * 400)  # too long at the summary: the draft kept
    assert domain.t("it", "questions.too_long", length=400, max=300) in texts(out)[0]
    assert "Una domanda giusta?" in question(out).text
    out = await domain.press(ANNA, out, "Annulla")
    assert text_of(out) == domain.t("it", "questions.cancelled")
    assert await stored(domain) == [] and await domain.step(ANNA) is None
    assert clean_question("a\x00b\u202ec  d") == "abc d"


async def test_forged_and_stale_buttons_are_refused(domain: Domain) -> None:
    out = await ask(domain, ANNA, "Una domanda?")
    token = flow_token(out)
    forged = FlowButton(token, "a", "99")  # no such axis
    answered = await domain.flows.conversations.press(ANNA, forged, None)
    assert answered.alert == domain.t("it", "button.invalid")
    assert await domain.step(ANNA) == AskStep.AXIS
    old = await domain.flows.conversations.press(ANNA, FlowButton("oldtoken", "ok"), None)
    assert old.alert == domain.t("it", "button.stale")
    for data in ("q|s|abc|0", "q|s|999|0", "q|p|x", "q|zz"):
        refused = await press(domain, BRUNO, data)
        assert refused.alert is not None
    assert await stored(domain) == []


def flow_token(outcome: Outcome) -> str:
    button = FlowButton.unpack(data_of(outcome, "Nessun asse"))
    assert button is not None
    return button.token


async def test_refusals_outside_windows_and_for_who_is_not_confirmed(domain: Domain) -> None:
    stranger = person(150, "Pia", "Nessuno")
    out = await ask(domain, stranger)
    assert "devi essere iscritto/a" in texts(out)[0] and "/iscrizione" in texts(out)[0]
    cancelled = person(151, "Ugo", "Annullato")
    registration = await domain.register(cancelled)
    await domain.services.registrations.cancel(registration.id, None, domain.clock.now())
    out = await ask(domain, cancelled)
    assert "Hai annullato l'iscrizione" in texts(out)[0]
    domain.clock.set(TABLES)
    out = await ask(domain, ANNA)
    assert "si apre oggi alle 12:20" in texts(out)[0] and "Plenaria: restituzione" in texts(out)[0]
    listed = await domain.flows.questions.questions_command(ANNA)
    assert texts(listed) == texts(out)
    domain.clock.set(AFTER)
    out = await ask(domain, ANNA)
    assert "Le domande di oggi sono chiuse" in texts(out)[0]
    assert "l'elenco delle domande e di cosa ne è stato" in texts(out)[0]
    assert await domain.step(ANNA) is None and await stored(domain) == []


async def test_the_window_closing_before_the_confirmation(domain: Domain) -> None:
    out = await ask(domain, ANNA, "Una domanda lenta?")
    out = await domain.press(ANNA, out, "Nessun asse")
    out = await domain.press(ANNA, out, "Anonima")
    domain.clock.set(STRATEGIES)  # the opening's window closed, the next one is open
    out = await domain.press(ANNA, out, "Invia la domanda")
    refused = text_of(out)
    assert "si è chiuso: la domanda non è stata inviata" in refused
    assert "Una domanda lenta?" in refused and "Ora è aperto «Le strategie" in refused
    assert await stored(domain) == [] and await domain.step(ANNA) is None


# --- /domande ---------------------------------------------------------------------------------
async def test_support_withdraw_own_and_waiting(domain: Domain) -> None:
    first = await publish(domain, ANNA, "Prima domanda di Anna?")
    second = await publish(domain, BRUNO, "Domanda di Bruno?")
    out = await ask(domain, ANNA, "Anonima e in attesa?")
    out = await domain.press(ANNA, out, "Nessun asse")
    out = await domain.press(ANNA, out, "Anonima")
    await domain.press(ANNA, out, "Invia la domanda")

    listed = await domain.flows.questions.questions_command(ANNA)
    page = texts(listed)[0]
    assert "2 domande pubbliche" in page and "la tua" in page
    assert "in attesa di moderazione" in page and "Anonima e in attesa?" in page
    assert f"#{first}" not in labels(listed)[:1] and labels(listed)[0] == f"👍 #{second}"
    assert "🔄 1/1" in labels(listed)

    out = await press(domain, CARLA, SupportButton(second, 0).pack())
    assert out.toast == domain.t("it", "questions.supported", number=second)
    assert "la sostieni" in text_of(out) and f"✅ #{second}" in labels_of(edited(out))
    assert text_of(out).index("Domanda di Bruno") < text_of(out).index("Prima domanda")
    await press(domain, ANNA, SupportButton(second, 0).pack())
    supported = await domain.services.questions.get(second)
    assert supported is not None and supported.supports == 2
    out = await press(domain, CARLA, SupportButton(second, 0).pack())  # again: withdrawn
    assert out.toast == domain.t("it", "questions.withdrawn", number=second)
    assert "👍 1 sostegno" in text_of(out)
    own = await press(domain, ANNA, SupportButton(first, 0).pack())
    assert own.alert == domain.t("it", "questions.own_question")
    hidden = await domain.services.questions.change(
        second, QuestionStatus.HIDDEN, QuestionAction.HIDDEN, None, domain.clock.now()
    )
    assert hidden is not None
    gone = await press(domain, CARLA, SupportButton(second, 0).pack())
    assert gone.alert == domain.t("it", "questions.not_public")
    check = await domain.services.questions.get(second)
    assert check is not None and check.supports == 1


def labels_of(message: Message) -> list[str]:
    return [button.label for row in message.buttons for button in row]


async def test_highlighted_first_then_most_supported_and_pages(domain: Domain) -> None:
    ids = [await publish(domain, BRUNO, f"Domanda numero {n}?") for n in range(12)]
    for supporter in (ANNA, CARLA):
        await press(domain, supporter, SupportButton(ids[7], 0).pack())
    await press(domain, ANNA, SupportButton(ids[3], 0).pack())
    highlighted = await domain.services.questions.change(
        ids[10], QuestionStatus.HIGHLIGHTED, QuestionAction.HIGHLIGHTED, None, domain.clock.now()
    )
    assert highlighted is not None
    listed = await domain.flows.questions.questions_command(EMMA)
    page = texts(listed)[0]
    assert "12 public questions" in page and "Page 1 of 3" in page
    assert page.index("Being answered now") < page.index("Domanda numero 10?")
    assert page.index("Domanda numero 10?") < page.index("Domanda numero 7?")
    assert page.index("Domanda numero 7?") < page.index("Domanda numero 3?")
    assert "👍 2 supports" in page and "Diana" not in page
    assert labels(listed)[-2:] == ["🔄 1/3", "▶︎"]
    turned = await press(domain, EMMA, ListButton(1).pack())
    assert "Page 2 of 3" in text_of(turned) and labels_of(edited(turned))[-3:] == [
        "◀︎",
        "🔄 2/3",
        "▶︎",
    ]
    last = await press(domain, EMMA, ListButton(9).pack())  # past the end: the last page
    assert "Page 3 of 3" in text_of(last)
    assert len([b for b in labels_of(edited(last)) if "#" in b]) == 12 - 2 * PAGE
    # a support from page 2 shows page 2 again
    on_two = await press(domain, EMMA, SupportButton(ids[0], 1).pack())
    assert "Page 2 of 3" in text_of(on_two)


async def test_list_from_the_button_under_a_sent_question(domain: Domain) -> None:
    await publish(domain, BRUNO, "Una domanda?")
    out = await press(domain, ANNA, OpenListButton().pack())
    assert not out.close_keyboard and out.edit is None
    assert "1 domanda pubblica" in texts(out)[0]


async def test_supports_of_a_closed_window_are_refused(domain: Domain) -> None:
    question_id = await publish(domain, BRUNO, "Una domanda della prima plenaria?")
    domain.clock.set(STRATEGIES)
    out = await press(domain, ANNA, SupportButton(question_id, 0).pack())
    assert out.alert == domain.t("it", "questions.other_window_question")
    assert "Le strategie" in text_of(out)
    domain.clock.set(TABLES)
    out = await press(domain, ANNA, SupportButton(question_id, 0).pack())
    assert out.alert == domain.t("it", "questions.support_closed")
    check = await domain.services.questions.get(question_id)
    assert check is not None and check.supports == 0


async def test_merged_supporters_count_once_and_the_after_support_hook(domain: Domain) -> None:
    target = await publish(domain, BRUNO, "Quali fondi per i comuni?")
    merged = await publish(domain, CARLA, "Ci sono fondi per i piccoli comuni?")
    heard: list[tuple[str, str, int]] = []

    async def after(event: str, window: str, question: int) -> None:
        heard.append((event, window, question))

    domain.flows.questions.listing.after_support = after
    for who in (ANNA, EMMA):
        await press(domain, who, SupportButton(merged, 0).pack())
    await press(domain, ANNA, SupportButton(target, 0).pack())
    assert heard[-1] == (CO_PLANNING, "plenaria-apertura", target) and len(heard) == 3
    done = await domain.services.questions.change(
        merged,
        QuestionStatus.MERGED,
        QuestionAction.MERGED,
        None,
        domain.clock.now(),
        merged_into=target,
    )
    assert done is not None
    listed = texts(await domain.flows.questions.questions_command(DIANA))[0]
    assert "1 domanda pubblica" in listed and "👍 2 sostegni" in listed  # Anna once, Emma
    stored_target = await domain.services.questions.get(target)
    assert stored_target is not None and stored_target.supports == 2  # as storage counts


async def test_a_waiting_list_registration_and_english_refusals(tmp_path: Path) -> None:
    async with started(tmp_path, now=OPENING) as domain:
        waiting = person(160, "Lia", "Attesa")
        registration = await domain.register(waiting)
        await domain.services.db.write(
            "UPDATE registrations SET status = 'waitlisted' WHERE id = ?", (registration.id,)
        )
        domain.services.registrations.version += 1
        out = await ask(domain, waiting)
        assert "lista d'attesa" in texts(out)[0] and await domain.step(waiting) is None
        await domain.register(EMMA)
        domain.clock.set(TABLES)
        out = await ask(domain, EMMA)
        assert "opens today at 12:20" in texts(out)[0]
        domain.clock.set(AFTER)
        out = await domain.flows.questions.questions_command(EMMA)
        assert "Today's questions are closed" in texts(out)[0]
        assert "what became of them" in texts(out)[0]


async def test_before_the_day_and_after_every_event(tmp_path: Path) -> None:
    async with started(tmp_path) as domain:  # 20 November
        out = await ask(domain, ANNA)
        assert "si apre alle 9:30 di martedì 5 dicembre 2023" in texts(out)[0]
        assert "«Plenaria: saluti istituzionali e introduzione ai lavori»" in texts(out)[0]
        domain.clock.set(dt.datetime(2024, 1, 10, 10, 0, tzinfo=ROME))
        out = await ask(domain, ANNA)
        assert texts(out) == [domain.t("it", "questions.none_planned")]


async def test_the_gate_opens_the_windows_policy_opens(domain: Domain) -> None:
    gate = domain.flows.questions.gate
    for event_id, day in ((CO_PLANNING, dt.date(2023, 12, 5)), (LAUNCH, dt.date(2023, 9, 27))):
        event = domain.config.event(event_id)
        for minutes in range(8 * 60, 19 * 60, 5):
            now = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=ROME)
            domain.clock.set(now)
            expected = open_window(domain.config, event, now)
            found = gate.open_now()
            assert (found[1] if found is not None else None) == expected, now


async def test_the_next_window_is_of_ones_own_event(tmp_path: Path) -> None:
    """Registered for 5 December only: on 20 November the launch's windows of 27 September
    are past, and on 26 September (before the launch) the next window named is still the
    co-planning's, not the launch's that the person does not attend."""
    async with started(tmp_path, now=dt.datetime(2023, 9, 26, 10, 0, tzinfo=ROME)) as domain:
        await domain.register(ANNA)
        out = await ask(domain, ANNA)
        assert "5 dicembre 2023" in texts(out)[0], texts(out)
        assert "27 settembre" not in texts(out)[0]


async def test_a_press_after_erasure_speaks_telegrams_language_again(domain: Domain) -> None:
    """Anna chose English, pressed (English kept between presses), then erased her data:
    her choice went with it, so the next press is refused in Telegram's Italian."""
    first = await publish(domain, BRUNO, "Quali fondi per le valli?")
    await domain.services.users.set_language(ANNA.user_id, "en", domain.clock.now())
    out = await press(domain, ANNA, SupportButton(first, 0).pack())
    assert out.toast == "👍 You support question #1".replace("1", str(first))
    await domain.services.registrations.erase_user(ANNA.user_id, {}, domain.clock.now())
    out = await press(domain, ANNA, SupportButton(first, 0).pack())
    refusal = " ".join(str(part) for part in (out.alert, out.toast, out.edit) if part)
    assert "iscritto" in refusal and "registered" not in refusal, refusal
