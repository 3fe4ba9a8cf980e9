"""The chat state the sandbox page is served: Telegram's HTML, buttons, edits in place,
documents, photos, albums, venues, callback answers as notices, the command menu."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
)

from bot.sandbox.botapi import FakeBotApi
from bot.sandbox.feed import ChatFeed
from bot.sandbox.render import to_html
from tests.harness import bot_api_server

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81"
    b"\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
NOW = dt.datetime(2026, 12, 5, 9, 15, tzinfo=dt.UTC)


def test_html_as_telegram_renders_it() -> None:
    text = "Ciao Mario <3 & benvenuto! 👋 vedi sito"
    entities = [
        {"type": "bold", "offset": 5, "length": 5},
        {"type": "italic", "offset": 5, "length": 11},
        {"type": "text_link", "offset": 35, "length": 4, "url": "https://example.org/?a=1&b=2"},
    ]
    assert to_html(text, entities) == (
        "Ciao <i><b>Mario</b> &lt;3 &amp; </i>benvenuto! 👋 vedi "
        '<a href="https://example.org/?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">sito</a>'
    )
    assert (
        to_html("x", [{"type": "text_link", "offset": 0, "length": 1, "url": "javascript:x"}])
        == "x"
    )
    assert to_html("<script>", []) == "&lt;script&gt;"
    quote = to_html("a\nb", [{"type": "blockquote", "offset": 0, "length": 3}])
    assert quote == "<blockquote>a\nb</blockquote>"
    spoiler = to_html("pst", [{"type": "spoiler", "offset": 0, "length": 3}])
    assert spoiler == "<tg-spoiler>pst</tg-spoiler>"
    pre = to_html("x = 1", [{"type": "pre", "offset": 0, "length": 5, "language": "python"}])
    assert pre == '<pre><code class="language-python">x = 1</code></pre>'
    assert to_html("", []) == ""


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakeBotApi, Bot, ChatFeed]]:
    async with bot_api_server() as api:
        api.user(501, "Mario", language_code="it")
        feed = ChatFeed(api, lambda: NOW)
        feed.watch(501)
        async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as bot:
            yield api, bot, feed


async def test_messages_buttons_and_edits_in_place(
    served: tuple[FakeBotApi, Bot, ChatFeed],
) -> None:
    _api, bot, feed = served
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Sì", callback_data="yes")],
            [InlineKeyboardButton("Mappa", url="https://example.org/map")],
        ]
    )
    sent = await bot.send_message(
        501, "<b>Ciao</b> &amp; benvenuto", parse_mode="HTML", reply_markup=keyboard
    )
    chat = feed.chat(501)
    [message] = chat["messages"]
    assert message["html"] == "<b>Ciao</b> &amp; benvenuto"
    assert message["from"] == "bot" and message["edited"] is False
    assert message["date"] == NOW.isoformat()
    assert message["buttons"] == [
        [{"text": "Sì", "data": "yes"}],
        [{"text": "Mappa", "url": "https://example.org/map"}],
    ]
    seq = chat["seq"]
    assert feed.chat(501, after=seq)["messages"] == []
    await bot.edit_message_text("<i>Fatto</i>", 501, sent.message_id, parse_mode="HTML")
    again = feed.chat(501, after=seq)
    [edited] = again["messages"]
    assert edited["message_id"] == sent.message_id and edited["seq"] > seq
    assert edited["html"] == "<i>Fatto</i>" and edited["edited"] is True
    assert edited["buttons"] == []
    await bot.delete_message(501, sent.message_id)
    [deleted] = feed.chat(501, after=again["seq"])["messages"]
    assert deleted["deleted"] is True


async def test_documents_photos_albums_and_venues(served: tuple[FakeBotApi, Bot, ChatFeed]) -> None:
    api, bot, feed = served
    await bot.send_document(
        501,
        b"BEGIN:VCALENDAR",
        filename="evento.ics",
        caption="Il <b>calendario</b>",
        parse_mode="HTML",
    )
    await bot.send_photo(501, PNG, caption="grafico")
    await bot.send_media_group(
        501, [InputMediaPhoto(PNG, caption="uno"), InputMediaPhoto(PNG, caption="due")]
    )
    await bot.send_venue(501, 44.885, 7.331, "Comune di Pinerolo", "Piazza Vittorio Veneto 1")
    document, photo, album, venue = feed.chat(501)["messages"]
    assert document["document"]["name"] == "evento.ics"
    assert document["html"] == "Il <b>calendario</b>"
    stored = api.files[document["document"]["url"].removeprefix("/files/")]
    assert stored.data == b"BEGIN:VCALENDAR"
    assert photo["photo"]["url"].startswith("/files/") and photo["html"] == "grafico"
    assert [item["html"] for item in album["album"]] == ["uno", "due"]
    assert venue["venue"]["title"] == "Comune di Pinerolo"
    assert venue["venue"]["address"] == "Piazza Vittorio Veneto 1"
    assert (
        "openstreetmap.org" in venue["venue"]["map_url"] and "44.885" in venue["venue"]["map_url"]
    )


async def test_callback_answers_become_notices_and_the_menu_follows_the_scope(
    served: tuple[FakeBotApi, Bot, ChatFeed],
) -> None:
    api, bot, feed = served
    await bot.set_my_commands([BotCommand("start", "Inizia")])
    assert feed.chat(501)["commands"] == [{"command": "start", "description": "Inizia"}]
    await bot.set_my_commands([BotCommand("presenze", "Presenze")], scope=BotCommandScopeChat(501))
    assert feed.chat(501)["commands"] == [{"command": "presenze", "description": "Presenze"}]
    sent = await bot.send_message(
        501,
        "Scegli",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    user = api.users[501]
    message = api.chat(501).by_id[sent.message_id]
    first = await user.press_data("a", message=message)
    await bot.answer_callback_query(first, "Salvato")
    second = await user.press_data("a", message=message)
    await bot.answer_callback_query(second, "Non più valido", show_alert=True)
    third = await user.press_data("a", message=message)
    await bot.answer_callback_query(third)  # no text: nothing to show
    notices = feed.chat(501)["notices"]
    assert [(n["text"], n["alert"]) for n in notices] == [
        ("Salvato", False),
        ("Non più valido", True),
    ]


async def test_an_invalid_request_is_a_warning_never_a_crash(
    served: tuple[FakeBotApi, Bot, ChatFeed], caplog: pytest.LogCaptureFixture
) -> None:
    api, _bot, feed = served
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api.base_url}{api.token}/sendMessage", json={"chat_id": 501}) as response,
    ):
        assert response.status == 400  # as Telegram: text is required
    with caplog.at_level("WARNING", logger="bot.sandbox.feed"):
        feed.scan()
    assert any("invalid Bot API request" in r.getMessage() for r in caplog.records)
    assert api.clear_errors(), "recorded, then forgotten for the test's plugin"
    assert feed.chat(501)["messages"] == []
