"""Moderation of the plenaries' questions through the flows: the moderator role and its
invitation, the feed of new questions (to moderators, else organisers), publish, hide with a
reason, merge (counts, refusals), highlight (the previous one becomes answered), answered,
show again, not answered, two moderators at once, forged buttons, refusals, /moderazione,
the moderation modes, and the askers' notices in Italian and English."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.commands import role_commands
from bot.questions import policy
from bot.staff.flows import INVITE_PREFIX, read_staff_button
from bot.staff.roles import EVERY_EVENT, MODERATOR
from config.event import Moderation
from storage.questions import QuestionAction, QuestionStatus
from tests.flows.helpers import (
    ANNA,
    BOT_USERNAME,
    BRUNO,
    CARLA,
    CO_PLANNING,
    EMMA,
    LAUNCH,
    STAFF,
    Domain,
    data_of,
    labels,
    person,
    question,
    started,
    texts,
)
from tests.flows.moderation_support import (
    DURING,
    as_shown,
    ask,
    card_of,
    notices,
    press,
)
from tests.harness import BEFORE_LAUNCH, bundled_event_data, config_from

MARTA = person(201, "Marta", "Moderatrice")
NINO = person(202, "Nino", "Moderatore")


@pytest.fixture
async def day(tmp_path: Path) -> AsyncIterator[Domain]:
    """The co-planning day during the opening plenary, Marta moderating its questions."""
    async with started(tmp_path, now=DURING) as running:
        await running.services.roles.store.grant(
            MARTA.user_id, MODERATOR, CO_PLANNING, STAFF.user_id, DURING
        )
        yield running


def invite_token(text: str) -> str:
    found = re.search(rf"\?start={INVITE_PREFIX}([\w-]+)", text)
    assert found is not None, text
    return found.group(1)


# --- the role ------------------------------------------------------------------------------
async def test_inviting_a_moderator_for_the_one_upcoming_event(domain: Domain) -> None:
    refused = await domain.flows.staff.ask_moderator_invite(ANNA, BOT_USERNAME)
    assert texts(refused) == [domain.t("it", "roles.organisers_only")]
    out = await domain.flows.staff.ask_moderator_invite(STAFF, BOT_USERNAME)
    title = domain.config.event(CO_PLANNING).title.get("it")
    text = question(out).text
    assert f"moderatore/moderatrice delle domande per <b>{title}</b>" in text
    welcome = await domain.flows.staff.redeem(ANNA, invite_token(text))
    assert texts(welcome) == [domain.t("it", "staff.welcome_moderator", scope=title)]
    assert welcome.refresh_menus == [ANNA.user_id]
    roles = domain.services.roles
    assert await roles.is_moderator(ANNA.user_id, CO_PLANNING)
    assert not await roles.is_moderator(ANNA.user_id, LAUNCH)
    assert not await roles.is_moderator(BRUNO.user_id, CO_PLANNING)
    assert await roles.is_moderator(STAFF.user_id, LAUNCH)  # organisers moderate too
    assert await roles.moderators(CO_PLANNING) == [ANNA.user_id]
    names = await roles.names(ANNA.user_id)
    assert names == {MODERATOR}
    assert [c.italian for c in role_commands(names)] == ["moderazione", "proiettore"]
    assert "moderazione" in [c.italian for c in role_commands({"organiser"})]
    assert "invita_moderatore" in [c.italian for c in role_commands({"organiser"})]
    help_text = await domain.flows.staff.help_sections(ANNA.user_id, "it")
    assert f"Come moderatore/moderatrice delle domande</b> ({title})" in help_text
    assert "/moderazione - " in help_text

    listed = await domain.flows.staff.list_staff(STAFF)
    member = texts(listed)[0]
    assert member == domain.t(
        "it", "staff.member", name="Anna Rossi", role="moderatore", scope=title, user=ANNA.user_id
    )
    removed = await domain.flows.staff.button(
        STAFF, read_staff_button(data_of(listed, "Rimuovi")), BOT_USERNAME
    )
    assert texts(removed) == [domain.t("it", "staff.removed", role="moderatore", scope=title)]
    assert removed.refresh_menus == [ANNA.user_id]
    assert not await roles.is_moderator(ANNA.user_id, CO_PLANNING)


async def test_several_upcoming_events_pick_one_or_every(tmp_path: Path) -> None:
    async with started(tmp_path, now=BEFORE_LAUNCH) as domain:
        out = await domain.flows.staff.ask_moderator_invite(STAFF, BOT_USERNAME)
        assert question(out).text == domain.t("it", "staff.pick_event")
        assert len(labels(out)) == 3 and labels(out)[-1] == "Tutti gli incontri"
        forged = await domain.flows.staff.button(
            STAFF, read_staff_button("o|inv|m|nosuchevent"), BOT_USERNAME
        )
        assert forged.alert == domain.t("it", "button.invalid")
        picked = await domain.flows.staff.button(
            STAFF, read_staff_button(data_of(out, "Tutti gli incontri")), BOT_USERNAME
        )
        assert "<b>tutti gli incontri</b>" in question(picked).text
        await domain.flows.staff.redeem(BRUNO, invite_token(question(picked).text))
        (grant,) = await domain.services.roles.store.grants(BRUNO.user_id)
        assert (grant.role, grant.scope) == (MODERATOR, EVERY_EVENT)
        assert await domain.services.roles.is_moderator(BRUNO.user_id, LAUNCH)
        assert await domain.services.roles.moderators(CO_PLANNING) == [BRUNO.user_id]


# --- the feed ------------------------------------------------------------------------------
async def test_without_moderators_the_organisers_get_the_feed(tmp_path: Path) -> None:
    async with started(tmp_path, now=DURING) as domain:
        asked = await ask(domain, ANNA, "Quando partono i bandi?")
        (row,) = await domain.outbox(kind="question_feed")
        assert row.user_id == STAFF.user_id and row.payload == {"question": asked.id}
        card = await card_of(domain, STAFF, asked)
        text = question(card).text
        assert text.startswith(domain.t("it", "moderation.new"))
        assert "«Quando partono i bandi?»" in text and "👤 anonima" in text
        assert "🏛 in sala" in text and "⏳ In attesa di moderazione" in text
        assert labels(card) == ["✅ Pubblica", "🎤 In risposta ora", "🙈 Nascondi", "🔗 Unisci a…"]


async def test_the_feed_goes_to_the_events_moderators(day: Domain) -> None:
    asked = await ask(day, EMMA, "When will the calls open?", named=True, online=True)
    rows = await day.outbox(kind="question_feed")
    assert [row.user_id for row in rows] == [MARTA.user_id]  # not the organisers
    assert asked.status is QuestionStatus.PUBLISHED  # auto: named ones are public at once
    text = question(await card_of(day, MARTA, asked)).text
    assert "👤 Emma Brown" in text and "💻 online" in text and "👁 Pubblicata" in text
    about = await ask(day, EMMA, "And for the valleys' buses?", named=True, axis="3")
    text = question(await card_of(day, MARTA, about)).text
    assert "· Asse 3: Infrastrutture per una mobilità sostenibile" in text  # the one chosen
    await day.services.question_feed.on_new_question(asked)  # told once
    assert len(await day.outbox(kind="question_feed")) == 2  # each question once
    await day.services.roles.store.revoke(MARTA.user_id, MODERATOR, CO_PLANNING)
    (row,) = rows
    prepared = await day.services.question_feed.render(row, day.clock.now())
    assert prepared.skip == "not_moderator"  # no longer a moderator when it is sent


# --- actions -------------------------------------------------------------------------------
async def test_publishing_a_waiting_question(day: Domain) -> None:
    asked = await ask(day, ANNA, "Chi finanzia le strategie?")
    card = await card_of(day, MARTA, asked)
    done = await press(day, MARTA, card, "Pubblica")
    assert done.toast == "✅ Pubblicata" and not done.close_keyboard
    shown = question(as_shown(done)).text
    assert "👁 Pubblicata" in shown and "✅ Pubblicata: Marta Moderatrice, alle 09:32." in shown
    assert labels(as_shown(done)) == [
        "🎤 In risposta ora",
        "✔️ Risposta data",
        "🙈 Nascondi",
        "🔗 Unisci a…",
    ]
    again = await press(day, MARTA, card, "Pubblica")  # the old card, pressed again
    assert again.alert == day.t("it", "moderation.already")
    assert again.edit is not None and "👁 Pubblicata" in again.edit.text
    story = await day.services.questions.story(asked.id)
    assert [e.action for e in story] == [QuestionAction.ASKED, QuestionAction.PUBLISHED]
    assert story[-1].by_user == MARTA.user_id
    assert await notices(day, ANNA) == [
        day.t("it", "question_notice.published", text="Chi finanzia le strategie?")
    ]


async def test_hiding_with_a_reason_and_showing_again(day: Domain) -> None:
    asked = await ask(day, EMMA, "Buy cheap watches here")
    card = await card_of(day, MARTA, asked)
    reasons = as_shown(await press(day, MARTA, card, "Nascondi"))
    assert day.t("it", "moderation.pick_reason") in question(reasons).text
    assert len(labels(reasons)) == len(policy.HideReason) + 1  # and "back"
    back = await press(day, MARTA, reasons, "Indietro")
    assert labels(as_shown(back)) == labels(card)
    hidden = await press(day, MARTA, reasons, "non è una domanda")
    shown = question(as_shown(hidden)).text
    assert "🙈 Nascosta: non è una domanda (pubblicità, prova, illeggibile)" in shown
    stored = await day.services.questions.get(asked.id)
    assert stored is not None and stored.status is QuestionStatus.HIDDEN
    assert stored.hide_reason == policy.HideReason.NOT_A_QUESTION
    assert labels(as_shown(hidden)) == ["👁 Mostra di nuovo"]
    forged = await day.flows.moderation.press(MARTA, f"qm|hr|{asked.id}|rude")
    assert forged.alert == day.t("it", "moderation.invalid")
    # the asker (English) is told why, in English
    assert await notices(day, EMMA) == [
        day.t(
            "en",
            "question_notice.hidden",
            reason="not a question (advertising, a test, unreadable)",
            text="Buy cheap watches here",
        )
    ]
    again = await press(day, MARTA, as_shown(hidden), "Mostra di nuovo")
    assert "👁 Di nuovo visibile: Marta" in question(as_shown(again)).text
    assert (await notices(day, EMMA))[-1] == day.t(
        "en", "question_notice.shown_again", text="Buy cheap watches here"
    )


async def test_merging_adds_up_the_supporters(day: Domain) -> None:
    first = await ask(day, ANNA, "Quali fondi per la montagna?", status=QuestionStatus.PUBLISHED)
    second = await ask(day, BRUNO, "Ci sono fondi per le valli?", status=QuestionStatus.PUBLISHED)
    third = await ask(day, CARLA, "E per i trasporti?", status=QuestionStatus.PUBLISHED)
    store, now = day.services.questions, day.clock.now()
    anna, bruno, carla = [
        (await day.services.registrations.active_for_user(who.user_id))[0].id
        for who in (ANNA, BRUNO, CARLA)
    ]
    for registration in (anna, bruno):
        await store.toggle_support(first.id, registration, now)
    for registration in (bruno, carla):
        await store.toggle_support(second.id, registration, now)

    card = await card_of(day, MARTA, second)
    targets = as_shown(await press(day, MARTA, card, "Unisci"))
    assert day.t("it", "moderation.pick_target") in question(targets).text
    target_labels = labels(targets)
    assert target_labels[:2] == [
        f"#{first.id} · 👍 2 · Quali fondi per la montagna?",
        f"#{third.id} · 👍 0 · E per i trasporti?",
    ]
    assert not any(f"#{second.id} " in label for label in target_labels)  # not itself
    itself = await day.flows.moderation.press(MARTA, f"qm|mi|{second.id}|{second.id}")
    assert itself.alert == day.t("it", "moderation.itself")
    done = await press(day, MARTA, targets, f"#{first.id} ")
    assert f"🔗 Unita alla #{first.id}" in question(as_shown(done)).text
    merged_into = await store.get(first.id)
    assert merged_into is not None and merged_into.supports == 3  # Anna, Bruno, Carla: once each
    assert await notices(day, BRUNO) == [
        day.t(
            "it",
            "question_notice.merged",
            other="Quali fondi per la montagna?",
            text="Ci sono fondi per le valli?",
        )
    ]
    # a merged question cannot be a target; merging the target elsewhere takes its followers
    refused = await day.flows.moderation.press(MARTA, f"qm|mi|{third.id}|{second.id}")
    assert refused.alert == day.t("it", "moderation.bad_target")
    moved = await day.flows.moderation.press(MARTA, f"qm|mi|{first.id}|{third.id}")
    assert moved.edit is not None
    follower = await store.get(second.id)
    assert follower is not None and follower.merged_into == third.id
    final = await store.get(third.id)
    assert final is not None and final.supports == 3
    # showing a merged question again un-merges it
    shown = await day.flows.moderation.press(MARTA, f"qm|s|{second.id}")
    assert shown.edit is not None
    back = await store.get(second.id)
    assert back is not None and back.status is QuestionStatus.PUBLISHED and back.merged_into is None


async def test_the_merge_targets_are_paged(day: Domain) -> None:
    asked = [
        await ask(day, person(300 + n, f"P{n}"), f"Domanda {n}", status=QuestionStatus.PUBLISHED)
        for n in range(9)
    ]
    card = await card_of(day, MARTA, asked[0])
    first = as_shown(await press(day, MARTA, card, "Unisci"))
    assert len([label for label in labels(first) if label.startswith("#")]) == 6
    second = as_shown(await press(day, MARTA, first, "Successive"))
    assert len([label for label in labels(second) if label.startswith("#")]) == 2
    assert "◀️ Precedenti" in labels(second)


async def test_highlighting_marks_the_previous_one_answered(day: Domain) -> None:
    first = await ask(day, ANNA, "Prima domanda", status=QuestionStatus.PUBLISHED)
    second = await ask(day, EMMA, "Second question", online=True, status=QuestionStatus.PUBLISHED)
    one = await press(day, MARTA, await card_of(day, MARTA, first), "In risposta ora")
    assert one.toast == "🎤 In risposta ora"
    assert labels(as_shown(one)) == ["✔️ Risposta data", "↩️ Non ha avuto risposta"]
    two = await press(day, MARTA, await card_of(day, MARTA, second), "In risposta ora")
    assert two.toast == day.t("it", "moderation.previous_answered", ids=str(first.id))
    store = day.services.questions
    before, now = await store.get(first.id), await store.get(second.id)
    assert before is not None and before.status is QuestionStatus.ANSWERED
    assert now is not None and now.status is QuestionStatus.HIGHLIGHTED
    assert await notices(day, ANNA) == [
        day.t("it", "question_notice.highlighted_in_person", text="Prima domanda"),
        day.t("it", "question_notice.answered", text="Prima domanda"),
    ]
    assert await notices(day, EMMA) == [
        day.t("en", "question_notice.highlighted_online", text="Second question")
    ]
    assert "follow the stream now" in (await notices(day, EMMA))[0]
    # "not answered" reopens the first; "answered" closes the second
    reopened = await day.flows.moderation.press(MARTA, f"qm|r|{first.id}")
    assert reopened.edit is not None and "↩️ Riaperta" in reopened.edit.text
    answered = await day.flows.moderation.press(MARTA, f"qm|a|{second.id}")
    assert answered.edit is not None and "✅ Ha avuto risposta" in answered.edit.text
    assert (await notices(day, EMMA))[-1] == day.t(
        "en", "question_notice.answered", text="Second question"
    )
    assert len(await notices(day, ANNA)) == 2  # each notice once: reopening tells nothing


async def test_two_moderators_pressing_at_once(day: Domain) -> None:
    await day.services.roles.store.grant(NINO.user_id, MODERATOR, "*", STAFF.user_id, DURING)
    asked = await ask(day, ANNA, "Chi decide le priorità?")
    marta_card = await card_of(day, MARTA, asked)
    nino_card = await card_of(day, NINO, asked)
    results = await asyncio.gather(
        press(day, MARTA, marta_card, "Pubblica"),
        press(day, NINO, nino_card, "Nascondi"),
        press(day, NINO, nino_card, "Pubblica"),
    )
    assert results[1].alert is None  # the reasons: a view, nothing changed
    winners = [r for r in (results[0], results[2]) if r.alert is None]
    losers = [r for r in (results[0], results[2]) if r.alert is not None]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].alert == day.t("it", "moderation.already")
    story = await day.services.questions.story(asked.id)
    assert [e.action for e in story].count(QuestionAction.PUBLISHED) == 1
    assert len(await day.outbox(ANNA, "question_notice")) == 1


async def test_forged_buttons_and_other_people(day: Domain) -> None:
    asked = await ask(day, ANNA, "Una domanda")
    for data in (
        "qm|zz|1",
        "qm|p",
        "qm|p|x",
        f"qm|p|{asked.id + 99}",
        "qm|q|nosuch|0|0",
        f"qm|q|{CO_PLANNING}|9|0",
        f"qm|q|{CO_PLANNING}|w|0",
        None,
    ):
        out = await day.flows.moderation.press(MARTA, data)
        assert out.alert == day.t("it", "moderation.invalid"), data
    refused = await day.flows.moderation.press(BRUNO, f"qm|p|{asked.id}")
    assert refused.alert == day.t("it", "moderation.not_allowed")
    queue = await day.flows.moderation.press(BRUNO, f"qm|q|{CO_PLANNING}|0|0")
    assert queue.alert == day.t("it", "moderation.not_allowed")
    assert texts(await day.flows.moderation.command(BRUNO)) == [
        day.t("it", "moderation.not_allowed")
    ]
    stored = await day.services.questions.get(asked.id)
    assert stored is not None and stored.status is QuestionStatus.PENDING
    # a moderator of another event only
    await day.services.roles.store.grant(NINO.user_id, MODERATOR, LAUNCH, STAFF.user_id, DURING)
    other = await day.flows.moderation.press(NINO, f"qm|p|{asked.id}")
    assert other.alert == day.t("it", "moderation.not_allowed")


# --- /moderazione --------------------------------------------------------------------------
async def test_the_queue_waiting_first_then_by_support(day: Domain) -> None:
    waiting = [await ask(day, person(400 + n, f"W{n}"), f"In attesa {n}") for n in range(3)]
    public = [
        await ask(day, person(410 + n, f"P{n}"), f"Pubblica {n}", status=QuestionStatus.PUBLISHED)
        for n in range(4)
    ]
    hidden = await ask(day, person(420, "H"), "Nascosta")
    await day.flows.moderation.press(MARTA, f"qm|hr|{hidden.id}|off_topic")
    registration = (await day.services.registrations.active_for_user(401))[0].id
    await day.services.questions.toggle_support(public[2].id, registration, day.clock.now())
    await day.flows.moderation.press(MARTA, f"qm|hl|{public[3].id}")

    out = await day.flows.moderation.command(MARTA)
    header, *cards, page = texts(out)
    assert "Moderazione delle domande" in header and "aperta ora" in header
    assert "(09:30–09:40)" in header
    assert "⏳ in attesa: 3 · 👁 pubbliche: 4 · ✅ con risposta: 0 · 🙈 nascoste: 1" in header
    assert day.t("it", "moderation.mode_auto") in header
    order = [int(re.search(r"#(\d+)", card).group(1)) for card in cards]  # type: ignore[union-attr]
    assert order == [*(q.id for q in waiting), public[3].id, public[2].id]
    assert page == day.t("it", "moderation.page", page=1, pages=2)
    following = await day.flows.moderation.press(MARTA, data_of(out, "Successive"))
    _, *more, _ = texts(following)
    assert [int(re.search(r"#(\d+)", c).group(1)) for c in more] == [public[0].id, public[1].id]  # type: ignore[union-attr]
    assert "◀️ Precedenti" in labels(following)


async def test_the_queue_between_and_before_windows(tmp_path: Path) -> None:
    async with started(tmp_path) as domain:  # two weeks before: nothing opened yet
        (text,) = texts(await domain.flows.moderation.command(STAFF))
        assert text == domain.t(
            "it",
            "moderation.not_yet",
            window=domain.services.flows.moderation.cards.window_title(
                CO_PLANNING, "plenaria-apertura", "it"
            ),
            event=domain.config.event(CO_PLANNING).title.get("it"),
            date="05/12/2023",
            start="09:30",
        )
        domain.clock.set(DURING.replace(hour=11))  # between the plenaries: the last one
        header, empty = texts(await domain.flows.moderation.command(STAFF))
        assert "chiusa" in header and "(09:40–10:00)" in header
        assert empty == domain.t("it", "moderation.empty")
        domain.clock.set(DURING.replace(day=20))  # days later, none to come: the last one
        header, _ = texts(await domain.flows.moderation.command(STAFF))
        assert "chiusa" in header and "(12:20–13:00)" in header


@pytest.mark.parametrize(
    ("mode", "named", "status"),
    [
        (Moderation.PRE, True, QuestionStatus.PENDING),
        (Moderation.PRE, False, QuestionStatus.PENDING),
        (Moderation.POST, False, QuestionStatus.PUBLISHED),
        (Moderation.POST, True, QuestionStatus.PUBLISHED),
        (Moderation.AUTO, False, QuestionStatus.PENDING),
        (Moderation.AUTO, True, QuestionStatus.PUBLISHED),
    ],
)
async def test_the_moderation_modes(
    tmp_path: Path, mode: Moderation, named: bool, status: QuestionStatus
) -> None:
    data = bundled_event_data()
    for event in data["events"]:
        event["questions"] = {"moderation": mode.value}
    async with started(tmp_path, now=DURING, config=config_from(data)) as domain:
        asked = await ask(domain, ANNA, "Una domanda", named=named)
        assert asked.status is status
        header = texts(await domain.flows.moderation.command(STAFF))[0]
        assert domain.t("it", f"moderation.mode_{mode.value}") in header
        card = question(await card_of(domain, STAFF, asked)).text
        assert ("👤 Anna Rossi" in card) is named


async def test_no_notice_to_an_erased_asker(day: Domain) -> None:
    asked = await ask(day, ANNA, "Domanda di Anna")
    await day.flows.moderation.press(MARTA, f"qm|p|{asked.id}")
    (row,) = await day.outbox(ANNA, "question_notice")
    capacities = {(e.id, v.id): v.capacity for e in day.config.events for v in day.config.venues}
    await day.services.registrations.erase_user(ANNA.user_id, capacities, day.clock.now())
    prepared = await day.services.question_notices.render(row, day.clock.now())
    assert prepared.message is None and prepared.skip == "erased"
    await day.flows.moderation.press(MARTA, f"qm|a|{asked.id}")
    assert await day.outbox(ANNA, "question_notice") == []  # erasure took it; nothing new


async def test_the_other_moderators_messages_follow(day: Domain) -> None:
    await day.services.roles.store.grant(NINO.user_id, MODERATOR, "*", STAFF.user_id, DURING)
    asked = await ask(day, ANNA, "Chi decide le priorità?")
    now = day.clock.now()
    for row in await day.outbox(kind="question_feed"):  # as if the sender had sent them
        await day.services.outbox.finish(row.id, "sent", now, message_id=row.user_id + 70)
    await press(day, MARTA, await card_of(day, MARTA, asked), "Pubblica")
    (update,) = await day.outbox(kind="question_feed_update")
    assert update.user_id == NINO.user_id  # not Marta: her press edited her own message
    feed = day.services.question_feed
    prepared = await feed.render_update(update, now)
    assert prepared.message is not None and prepared.message.edit_message_id == NINO.user_id + 70
    assert "✅ Pubblicata: Marta Moderatrice, alle 09:32." in str(prepared.message.text)
    await day.flows.moderation.press(NINO, f"qm|hr|{asked.id}|offensive")
    assert [row.user_id for row in await day.outbox(kind="question_feed_update")] == [
        NINO.user_id,
        MARTA.user_id,
    ]
    overtaken = await feed.render_update(update, now)
    assert overtaken.message is None and overtaken.skip == "superseded"


async def test_a_merged_question_is_answered_with_its_target(day: Domain) -> None:
    target = await ask(day, ANNA, "Quali fondi?", status=QuestionStatus.PUBLISHED)
    merged = await ask(day, EMMA, "Which funds?", online=True, status=QuestionStatus.PUBLISHED)
    await day.flows.moderation.press(MARTA, f"qm|mi|{merged.id}|{target.id}")
    await day.flows.moderation.press(MARTA, f"qm|hl|{target.id}")
    await day.flows.moderation.press(MARTA, f"qm|a|{target.id}")
    assert await notices(day, EMMA) == [
        day.t("en", "question_notice.merged", other="Quali fondi?", text="Which funds?"),
        day.t("en", "question_notice.highlighted_online", text="Quali fondi?"),
        day.t("en", "question_notice.answered", text="Quali fondi?"),
    ]
    assert len(await notices(day, ANNA)) == 2  # being answered, answered
