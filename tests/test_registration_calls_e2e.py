"""Registration through the fake Bot API: how many calls it costs, what survives a crash,
long texts, hostile names, stale buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import LinkPreviewOptions

from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from tests.harness import (
    BEFORE_LAUNCH,
    BotHarness,
    answer,
    bundled_event_data,
    config_from,
    register,
)

# Bot API methods that put something in a chat (and count against its limit).
MESSAGE_METHODS = {
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "sendDocument",
    "sendVenue",
    "sendPhoto",
    "copyMessage",
}


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path) as harness:
        yield harness


def chat_calls(api: FakeBotApi, chat_id: int) -> list[str]:
    """The message calls made to one chat, in order."""
    return [
        r.method
        for r in api.requests
        if r.method in MESSAGE_METHODS and r.params.get("chat_id") == chat_id
    ]


async def to_summary(user: FakeUser, zone: str = "5 · Pinerolese") -> SentMessage:
    """Answer every question up to the summary; returns it."""
    await user.send("/start")
    await answer(user, "Informativa", "Accetto e continuo")
    await answer(user, "nome", "Usa")
    await answer(user, "Scegli la tua", zone)
    await answer(user, "Come parteciperai", "presenza")
    await answer(user, "ente", "Salta")
    await answer(user, "categoria", "Salta")
    return await user.wait_for("Controlla")


# --- item 13: one call per step ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "mode"),
    [("8 · Canavese occidentale", "presenza"), ("1 · Torino Città", "Online")],
)
async def test_a_registration_costs_at_most_nine_calls(
    api: FakeBotApi, bot: BotHarness, zone: str, mode: str
) -> None:
    user = api.user(1101, "Nina", "Verdi")
    await register(user, zone=zone, mode=mode)  # the organisation typed, the rest pressed
    await user.settle()
    calls = chat_calls(api, user.id)
    # /start, then one question per step edited in place (a typed answer gets a new one),
    # the confirmation in place of the summary, and the calendar file
    assert len(calls) <= 9, calls
    assert "editMessageReplyMarkup" not in calls  # no call just to take buttons away
    assert calls[-1] == "sendDocument"


# --- item 8: the confirmation goes through the outbox ------------------------------------------


async def test_the_confirmation_survives_a_crash_right_after_confirm(
    api: FakeBotApi, bot: BotHarness
) -> None:
    user = api.user(1110, "Ugo")
    summary = await to_summary(user)
    # the bot stores the registration, then Telegram fails and the process dies
    api.fail_next(None, error_code=500, times=2)  # the button answer, the apology
    await user.press("Conferma", message=summary)
    await user.settle()
    assert await bot.services.registrations.active_for_user(1110)
    await bot.restart()
    await bot.drain()
    confirmed = await user.wait_for("Iscrizione confermata")
    assert confirmed is summary and not confirmed.buttons  # the summary became it
    await user.wait_for(lambda m: m.document is not None)


async def test_a_stale_summary_press_says_already_registered(
    api: FakeBotApi, bot: BotHarness
) -> None:
    user = api.user(1111, "Ada")
    summary = await to_summary(user)
    confirm = next(data for text, data in summary.buttons if "Conferma" in text)
    await user.press("Conferma", message=summary)
    await user.wait_for("Iscrizione confermata")
    await user.wait_for(lambda m: m.document is not None)
    query = await user.press_data(str(confirm), message=summary)  # an old client's view
    answered = await user.callback_answer(query)
    assert answered.show_alert and "già iscritto" in (answered.text or "")
    await user.wait_for(lambda m: m.document is not None)  # the confirmation again
    (registration,) = await bot.services.registrations.active_for_user(1111)
    assert registration.display_name == "Ada"


# --- item 23: an old button mid-registration ---------------------------------------------------


async def test_an_old_register_for_another_event_button_keeps_the_step(
    api: FakeBotApi, tmp_path: Path
) -> None:
    harness = await BotHarness(api, tmp_path, now=BEFORE_LAUNCH).start()
    try:
        user = api.user(1120, "Ezio")
        await user.send("/start")
        await answer(user, "Informativa", "Accetto e continuo")
        await answer(user, "A quale incontro", "Dalle strategie")
        await answer(user, "nome", "Usa")
        await answer(user, "Scegli la tua", "5 · Pinerolese")
        await answer(user, "Come parteciperai", "presenza")
        await answer(user, "ente", "Salta")
        await answer(user, "categoria", "Salta")
        await answer(user, "Controlla", "Conferma")
        await user.wait_for(lambda m: m.document is not None)
        await user.send("/start")
        old = await user.wait_for("Puoi iscriverti anche a")
        await user.send("/start")
        other = await user.wait_for("Puoi iscriverti anche a")
        await user.press("Verso il nuovo", message=other)
        await answer(user, "nome", "Usa")
        await user.wait_for("Scegli la tua")
        query = await user.press("Verso il nuovo", message=old)  # an older one, mid-way
        answered = await user.callback_answer(query)
        assert answered.show_alert and "Stai già compilando" in (answered.text or "")
        conversation = await harness.services.conversations.get(1120)
        assert conversation is not None and conversation.step == "zone"
        assert conversation.data["name"] == "Ezio"
    finally:
        await harness.stop()


# --- items 4 and 5: names ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["\u200b\u200b", "\ufeff", "\u3164\u3164", " \u200b \u2800 "])
async def test_invisible_names_are_refused(api: FakeBotApi, bot: BotHarness, name: str) -> None:
    user = api.user(1130, "Zed")
    await user.send("/start")
    await answer(user, "Informativa", "Accetto e continuo")
    await user.wait_for("nome")
    await user.send(name)
    refused = await user.wait_for("almeno una lettera o una cifra")
    assert "nome" in refused.content  # and the question again
    conversation = await bot.services.conversations.get(1130)
    assert conversation is not None and conversation.step == "name"
    assert "name" not in conversation.data


async def test_direction_changing_characters_are_removed(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1131, "Zed")
    await user.send("/start")
    await answer(user, "Informativa", "Accetto e continuo")
    await user.wait_for("nome")
    await user.send("Mario \u202eRossi\u200b\u2066")
    await user.wait_for("Scegli la tua")
    conversation = await bot.services.conversations.get(1131)
    assert conversation is not None and conversation.data["name"] == "Mario Rossi"


async def test_button_labels_are_plain_text(api: FakeBotApi, bot: BotHarness) -> None:
    user = api.user(1132, "Tom &", "<Jerry>")
    await user.send("/start")
    await answer(user, "Informativa", "Accetto e continuo")
    question = await user.wait_for("nome")
    assert question.button_texts == ["Usa «Tom & <Jerry>»"]
    await user.press("Usa", message=question)
    zone = await user.wait_for("Scegli la tua")
    assert zone is question  # edited in place
    conversation = await bot.services.conversations.get(1132)
    assert conversation is not None and conversation.data["name"] == "Tom & <Jerry>"


# --- item 6: texts longer than Telegram allows -------------------------------------------------


def long_texts_config() -> Any:
    """The bundled event file with a 4,100-character privacy notice and a long welcome."""
    data = bundled_event_data()
    paragraph = "Informativa estesa sul trattamento dei dati personali. " * 12
    notice = "\n\n".join([paragraph.strip()] * 7)
    assert len(notice) > 4100
    data["process"]["privacy_notice"] = {"it": notice, "en": notice}
    data["process"]["welcome"] = {"it": "Benvenuto! " * 300, "en": "Welcome! " * 300}
    return config_from(data)


async def test_a_long_privacy_notice_is_split_and_registration_works(
    api: FakeBotApi, tmp_path: Path
) -> None:
    harness = await BotHarness(api, tmp_path, config=long_texts_config()).start()
    try:
        user = api.user(1140, "Lia")
        await user.send("/start")
        await user.settle()
        parts = user.messages
        assert len(parts) >= 2
        assert all(len(m.content) <= 4096 for m in parts)
        assert [bool(m.buttons) for m in parts] == [False] * (len(parts) - 1) + [True]
        assert not api.errors
        for _ in parts:
            await user.next_message()
        await user.press("Accetto e continuo", message=parts[-1])
        await answer(user, "nome", "Usa")
        await user.wait_for("Scegli la tua")
    finally:
        await harness.stop()


# --- issue 11: parse mode and link previews set once ------------------------------------------


async def test_every_text_is_html_without_link_previews(api: FakeBotApi, bot: BotHarness) -> None:
    """HTML and no link previews are the Application's PTB Defaults (bot/app.py), set once
    instead of on every call: every text, caption and edit still goes as HTML, previews off;
    PTB's parse_mode on methods that take none is all the fake server lets pass."""
    assert bot.app is not None
    defaults = bot.app.bot.defaults
    assert defaults is not None and defaults.parse_mode == "HTML"
    assert defaults.link_preview_options == LinkPreviewOptions(is_disabled=True)
    user = api.user(1150, "Ada")
    await register(user)
    await user.send("/iscrizione")  # the venue's pin and the programme
    await user.settle()
    await user.send("/annulla")
    await answer(user, "Vuoi davvero annullare", "Sì, annulla")
    await user.wait_for("annullata")
    await user.settle()
    texts = [r for r in api.requests if r.method in ("sendMessage", "editMessageText")]
    captions = [r for r in api.requests if r.params.get("caption")]
    assert texts and captions
    for request in texts:
        assert request.params.get("parse_mode") == "HTML", request
        assert request.params.get("link_preview_options") == {"is_disabled": True}, request
    assert all(request.params.get("parse_mode") == "HTML" for request in captions)
    assert all("parse_mode=" in warning for warning in api.warnings)
