"""Tests of the fake Bot API server itself, driven by a real (minimal) PTB Application."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.sandbox.botapi import FakeBotApi, HtmlParseError, load_spec, parse_html
from tests.fakebot import running_application
from tests.fakebot.ptb import application_builder
from tests.harness import run_process

ROOT = Path(__file__).resolve().parent.parent
USER_ID = 1001

# ---------------------------------------------------------------------------- the bot under test


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_user is not None and update.message is not None
    args = " ".join(context.args or [])
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Sì, iscrivimi", callback_data="yes")],
            [InlineKeyboardButton("Sito", url="https://example.org")],
        ]
    )
    await update.message.reply_text(
        f"Ciao <b>{html.escape(update.effective_user.first_name)}</b>! args=[{args}]",
        parse_mode="HTML",
        reply_markup=keyboard,
    )


async def _doc(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_document(
        document=b"zona;iscritti\n5;12\n",
        filename="report.csv",
        caption="Il <i>report</i>",
        parse_mode="HTML",
    )


async def _place(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_venue(
        latitude=45.07, longitude=7.68, title="Cascina Roccafranca", address="Via Rubino 45"
    )


async def _menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(
        "Scegli", reply_markup=ReplyKeyboardMarkup([["Zona 1", "Zona 2"]], one_time_keyboard=True)
    )


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    if query.data == "yes":
        await query.answer("Registrato!", show_alert=True)
        await query.edit_message_text("Fatto ✅")
    else:
        await query.answer("Pulsante scaduto")


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def _user_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.document is not None
    file = await update.message.document.get_file()
    data = await file.download_as_bytearray()
    await update.message.reply_text(
        f"ricevuto {update.message.document.file_name}: {len(data)} byte, {bytes(data[:5])!r}"
    )


async def _member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.my_chat_member is not None
    context.bot_data.setdefault("member", []).append(update.my_chat_member.new_chat_member.status)


def _build(api: FakeBotApi) -> Application[Any, Any, Any, Any, Any, Any]:
    app = application_builder(api).build()
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CommandHandler("doc", _doc))
    app.add_handler(CommandHandler("place", _place))
    app.add_handler(CommandHandler("menu", _menu))
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(MessageHandler(filters.Document.ALL, _user_document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_handler(ChatMemberHandler(_member, ChatMemberHandler.MY_CHAT_MEMBER))
    return app


@pytest.fixture
async def app(fake_api: FakeBotApi) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    application = _build(fake_api)
    async with running_application(application, poll_timeout=1):
        yield application


# ---------------------------------------------------------------------------- conversations


async def test_echo_and_bootstrap(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    mario = fake_api.user(USER_ID, "Mario")
    await mario.send("ciao a tutti")
    msg = await mario.next_message(timeout=3)
    assert msg.text == "ciao a tutti"
    assert msg.method == "sendMessage"
    assert msg.raw["from"]["username"] == "psm_test_bot"
    assert msg.raw["chat"] == {"id": USER_ID, "type": "private", "first_name": "Mario"}
    assert msg.message_id == 2  # user message #1, bot answer #2 (one counter per chat)
    assert [r.method for r in fake_api.requests[:2]] == ["getMe", "deleteWebhook"]
    assert fake_api.delivered == {USER_ID: 1}
    await mario.expect_no_more_messages(idle=0.1)


async def test_deep_link_html_and_button_press(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    mario = fake_api.user(USER_ID, "Mario <3")
    await mario.send("/start zona5")
    update = fake_api.updates_log[-1]
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    msg = await mario.wait_for("Ciao")
    assert msg.text == "Ciao <b>Mario &lt;3</b>! args=[zona5]"
    assert msg.plain_text == "Ciao Mario <3! args=[zona5]"
    assert msg.entities == [{"type": "bold", "offset": 5, "length": 8}]
    assert msg.buttons == [("Sì, iscrivimi", "yes"), ("Sito", "https://example.org")]

    qid = await mario.press("iscrivimi")  # unique substring
    answer = await mario.callback_answer(qid)
    assert (answer.text, answer.show_alert) == ("Registrato!", True)
    await mario.wait_edited(msg)
    assert msg.plain_text == "Fatto ✅"
    assert msg.reply_markup is None  # editMessageText without reply_markup drops the keyboard
    assert msg.edited[0]["plain_text"] == "Ciao Mario <3! args=[zona5]"
    assert "reply_markup" not in msg.raw and msg.raw["edit_date"] >= msg.date

    with pytest.raises(AssertionError, match="no bot message with an inline keyboard"):
        await mario.press("Sito")
    qid = await mario.press_data("forged", message=msg)
    assert (await mario.callback_answer(qid)).text == "Pulsante scaduto"
    await mario.expect_no_more_messages(idle=0.1)


async def test_press_errors_and_reply_keyboard(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    mario = fake_api.user(USER_ID)
    await mario.send("/start")
    msg = await mario.next_message()
    with pytest.raises(AssertionError, match="not found"):
        mario.find_button("Nope", msg)
    with pytest.raises(AssertionError, match="no callback_data"):
        await mario.press("Sito")
    await mario.send("/menu")
    menu = await mario.next_message()
    assert menu.reply_keyboard == [["Zona 1", "Zona 2"]]
    assert "reply_markup" not in menu.raw  # only inline keyboards are echoed by Telegram


async def test_send_document_and_download(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    mario = fake_api.user(USER_ID)
    await mario.send("/doc")
    msg = await mario.next_message()
    assert msg.method == "sendDocument"
    assert msg.document_bytes == b"zona;iscritti\n5;12\n"
    assert msg.filename == "report.csv"
    assert msg.mime_type == "text/csv"
    assert msg.plain_caption == "Il report"
    document = msg.document
    assert document is not None and document["file_size"] == 19
    tg_file = await app.bot.get_file(document["file_id"])
    assert tg_file.file_path is not None and tg_file.file_path.endswith(".csv")
    assert bytes(await tg_file.download_as_bytearray()) == b"zona;iscritti\n5;12\n"


async def test_user_document_is_downloadable(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    mario = fake_api.user(USER_ID)
    await mario.send_document("elenco.ods", b"PK\x03\x04data")
    msg = await mario.next_message()
    assert msg.text == "ricevuto elenco.ods: 8 byte, b'PK\\x03\\x04d'"


async def test_venue_location_photo_copy_forward(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    bot = app.bot
    mario = fake_api.user(USER_ID)
    luigi = fake_api.user(1002, "Luigi")
    await mario.send("/place")
    venue = await mario.next_message()
    assert venue.venue == {
        "location": {"latitude": 45.07, "longitude": 7.68},
        "title": "Cascina Roccafranca",
        "address": "Via Rubino 45",
    }
    loc = await bot.send_location(USER_ID, latitude=45.0, longitude=7.5)
    assert loc.location is not None and loc.location.latitude == 45.0
    photo = await bot.send_photo(USER_ID, photo=b"\x89PNG fake", caption="mappa")
    assert photo.photo and photo.photo[-1].width == 800
    copied = await bot.copy_message(1002, from_chat_id=USER_ID, message_id=venue.message_id)
    assert copied.message_id == 1
    assert luigi.messages[0].venue == venue.venue
    forwarded = await bot.forward_message(1002, from_chat_id=USER_ID, message_id=photo.message_id)
    assert forwarded.forward_origin is not None
    assert luigi.messages[1].plain_caption == "mappa"
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(1002, from_chat_id=USER_ID, message_id=999)
    await bot.send_chat_action(USER_ID, "typing")
    chat = await bot.get_chat(USER_ID)
    assert chat.first_name == "Mario"
    assert await bot.delete_message(USER_ID, photo.message_id)
    assert photo.message_id not in [m.message_id for m in mario.messages]
    assert fake_api.chat(USER_ID).deleted[0].message_id == photo.message_id
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER_ID, photo.message_id)


async def test_edit_not_modified_and_reply_markup(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    bot = app.bot
    mario = fake_api.user(USER_ID)
    kb = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(USER_ID, "uno", reply_markup=kb)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("uno", USER_ID, sent.message_id, reply_markup=kb)
    kb2 = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="b")]])
    edited = await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=kb2)
    assert isinstance(edited, type(sent)) and edited.reply_markup == kb2
    msg = mario.messages[0]
    assert msg.buttons == [("B", "b")] and msg.edit_count == 1
    await bot.edit_message_text("due", USER_ID, sent.message_id, reply_markup=kb2)
    assert (msg.plain_text, msg.edit_count) == ("due", 2)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", USER_ID, 999)
    assert fake_api.errors == []  # regular API errors are not validation errors


# ---------------------------------------------------------------------------- validation


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")
async def test_validation_errors_are_recorded(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    bot = app.bot
    fake_api.user(USER_ID)

    with pytest.raises(BadRequest, match=r"(?i)text: required field"):
        await bot.do_api_request("sendMessage", api_kwargs={"chat_id": USER_ID})
    assert fake_api.clear_errors() == [
        "sendMessage: text: required field of sendMessage is missing"
    ]

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendMesage", api_kwargs={"chat_id": USER_ID, "text": "x"})
    assert fake_api.clear_errors() == ["unknown Bot API method 'sendMesage'"]

    with pytest.raises(BadRequest, match=r"(?i)too long: 5000 characters"):
        await bot.send_message(USER_ID, "x" * 5000)
    assert len(fake_api.clear_errors()) == 1

    # 4096 characters after entity parsing are fine, even if the HTML source is longer
    await bot.send_message(USER_ID, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")

    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)callback_data: must be 1-64 bytes, got 66 bytes"):
        await bot.send_message(USER_ID, "a", reply_markup=too_long)
    assert len(fake_api.clear_errors()) == 1

    for bad in (
        "<b>unclosed",
        "a < b",
        "Tom & Jerry",
        "<div>x</div>",
        "<b><i>x</b></i>",
        '<span class="x">s</span>',
        "<br/>",
    ):
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(USER_ID, bad, parse_mode="HTML")
        assert len(fake_api.clear_errors()) == 1, bad

    with pytest.raises(BadRequest, match=r"(?i)parse_mode 'MarkdownV2' is not allowed"):
        await bot.send_message(USER_ID, "*x*", parse_mode="MarkdownV2")
    fake_api.clear_errors()

    with pytest.raises(BadRequest, match=r"(?i)unknown parameter"):
        await bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": USER_ID, "text": "x", "colour": "red"}
        )
    fake_api.clear_errors()

    with pytest.raises(BadRequest, match=r"(?i)expected Integer"):
        await bot.do_api_request(
            "deleteMessage", api_kwargs={"chat_id": USER_ID, "message_id": "abc"}
        )
    fake_api.clear_errors()

    with pytest.raises(BadRequest, match=r"(?i)exactly one of"):
        await bot.do_api_request(
            "sendMessage",
            api_kwargs={
                "chat_id": USER_ID,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "no action"}]]},
            },
        )
    fake_api.clear_errors()

    with pytest.raises(BadRequest, match=r"(?i)description: too short"):
        await bot.set_my_commands([BotCommand("start", "")])
    fake_api.clear_errors()

    # nested type errors inside a union (reply_markup) point at the right type
    with pytest.raises(
        BadRequest,
        match=r"(?i)inline_keyboard\[0\]\[0\].callback_data: expected "
        "String",
    ):
        await bot.do_api_request(
            "sendMessage",
            api_kwargs={
                "chat_id": USER_ID,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": 5}]]},
            },
        )
    fake_api.clear_errors()


async def test_chat_not_found_is_not_a_validation_error(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await app.bot.send_message(4242, "hello?")
    assert fake_api.errors == []
    fake_api.register_chat(-100123, "supergroup", title="Organizzatori")
    await app.bot.send_message(-100123, "ciao gruppo")
    assert fake_api.chat(-100123).messages[0].plain_text == "ciao gruppo"


async def test_commands_and_menu_button(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    bot = app.bot
    fake_api.user(USER_ID)
    await bot.set_my_commands([BotCommand("start", "Inizia"), BotCommand("zona", "La tua zona")])
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands([BotCommand("admin", "Pannello")], scope=BotCommandScopeChat(USER_ID))
    assert [c["command"] for c in fake_api.get_commands()] == ["start", "zona"]
    assert fake_api.get_commands(language_code="en") == [
        {"command": "start", "description": "Start"}
    ]
    assert fake_api.get_commands({"type": "chat", "chat_id": USER_ID}) == [
        {"command": "admin", "description": "Pannello"}
    ]
    commands = await bot.get_my_commands()
    assert [c.command for c in commands] == ["start", "zona"]
    await bot.delete_my_commands(language_code="en")
    assert fake_api.get_commands(language_code="en") == []
    await bot.set_chat_menu_button()
    assert (await bot.get_me()).username == "psm_test_bot"


async def test_ptb_defaults_and_media_group(fake_api: FakeBotApi) -> None:
    """With ``Defaults(parse_mode=HTML)`` PTB also sends parse_mode to methods without it.

    The fake is strict by default; tolerating it is opt-in (psm-bot, which sets Defaults,
    opts in: ``tests.harness.bot_api_server``).
    """
    fake_api.user(USER_ID)
    fake_api.tolerated_unknown_params = frozenset({"parse_mode"})
    bot = ExtBot(fake_api.token, base_url=fake_api.base_url, defaults=Defaults(parse_mode="HTML"))
    async with bot:
        await bot.send_location(USER_ID, latitude=45.0, longitude=7.0)
        assert fake_api.warnings == ["sendLocation: ignored unknown parameter parse_mode='HTML'"]
        sent = await bot.send_media_group(
            USER_ID,
            [InputMediaPhoto(b"img1", caption="<b>uno</b>"), InputMediaPhoto(b"img2")],
        )
        assert [m.caption for m in sent] == ["uno", None]
        assert sent[0].caption_entities[0].type == "bold"
        assert sent[0].media_group_id == sent[1].media_group_id
        assert fake_api.chat(USER_ID).messages[2].document_bytes == b"img2"
        # documents can't be mixed with photos in an album
        with pytest.raises(BadRequest, match=r"(?i)matches none of"):
            await bot.send_media_group(
                USER_ID, [InputMediaPhoto(b"i"), InputMediaDocument(b"x", filename="a.txt")]
            )
        assert len(fake_api.clear_errors()) == 1
        poll = await bot.send_poll(
            USER_ID, "Quale <i>zona</i>?", ["Zona 1", "Zona 2"], is_anonymous=False
        )
        assert poll.poll is not None and poll.poll.question == "Quale <i>zona</i>?"
        voter = fake_api.user(1002, "Luigi")
        await voter.vote(fake_api.chat(USER_ID).messages[-1], [1])
        assert fake_api.updates_log[-1]["poll_answer"]["option_ids"] == [1]
        closed = await bot.stop_poll(USER_ID, poll.message_id)
        assert closed.is_closed and closed.options[1].voter_count == 1
    assert fake_api.errors == []


# ---------------------------------------------------------------------------- failures


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_and_blocked_user(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    bot = app.bot
    mario = fake_api.user(USER_ID)

    fake_api.fail_next("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter) as exc_info:
        await bot.send_message(USER_ID, "uno")
    assert exc_info.value.retry_after in (3, dt.timedelta(seconds=3))
    assert fake_api.last_call("sendMessage").status == 429
    await bot.send_message(USER_ID, "due")  # one-shot failure

    fake_api.enforce_rate(global_per_second=30, per_chat_per_second=1)
    await bot.send_message(USER_ID, "tre")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER_ID, "quattro")
    assert fake_api.stats["429"] == 2
    fake_api.enforce_rate(None, None)

    fake_api.block_user(USER_ID)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER_ID, "cinque")
    fake_api.unblock_user(USER_ID)

    await mario.block()
    await fake_api.wait_until(lambda: app.bot_data.get("member") == ["kicked"])
    with pytest.raises(Forbidden):
        await bot.send_message(USER_ID, "sei")
    await mario.unblock()
    await fake_api.wait_until(lambda: app.bot_data.get("member") == ["kicked", "member"])
    await bot.send_message(USER_ID, "sette")
    await mario.block()
    await mario.send("sono tornato")  # writing again restarts the bot: member update first
    echo = await mario.wait_for("sono tornato")
    assert app.bot_data["member"] == ["kicked", "member", "kicked", "member"]
    assert [m.plain_text for m in mario.messages] == ["due", "tre", "sette", "sono tornato"]
    assert echo.message_id == mario.sent[-1].message_id + 1
    assert fake_api.delivered[USER_ID] == 4
    assert fake_api.errors == []


async def test_rate_limiter_retry_after_is_integer_seconds() -> None:
    from bot.sandbox.botapi.common import _RateLimiter

    limiter = _RateLimiter(global_per_second=2, per_chat_per_second=None)
    assert limiter.hit(1, 100.0) is None
    assert limiter.hit(2, 100.2) is None
    assert limiter.hit(3, 100.3) == 1
    assert limiter.hit(3, 101.01) is None  # the first hit left the window


# ---------------------------------------------------------------------------- raw HTTP


async def test_raw_http_long_polling_and_encodings(fake_api: FakeBotApi) -> None:
    base = f"{fake_api.url}/bot{fake_api.token}"
    mario = fake_api.user(USER_ID)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake_api.url}/botBAD:TOKEN/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.get(f"{base}/GETME") as resp:  # method names are case-insensitive
            assert (await resp.json())["result"]["id"] == 123456

        # long polling: nothing queued -> waits ~timeout, returns []
        started = time.monotonic()
        async with http.get(f"{base}/getUpdates", params={"timeout": "1"}) as resp:
            assert (await resp.json())["result"] == []
        assert 0.9 < time.monotonic() - started < 2

        # an update arriving during the poll is returned immediately
        async def later() -> None:
            await asyncio.sleep(0.1)
            await mario.send("hey")

        started = time.monotonic()
        task = asyncio.create_task(later())
        async with http.post(f"{base}/getUpdates", json={"timeout": 5}) as resp:
            updates = (await resp.json())["result"]
        await task
        assert time.monotonic() - started < 1
        assert [u["message"]["text"] for u in updates] == ["hey"]
        first_id = updates[0]["update_id"]

        await mario.send("a")
        await mario.send("b")
        async with http.post(f"{base}/getUpdates", data={"limit": "2"}) as resp:
            got = [u["message"]["text"] for u in (await resp.json())["result"]]
        assert got == ["hey", "a"]  # not confirmed yet
        async with http.post(f"{base}/getUpdates", data={"offset": str(first_id + 1)}) as resp:
            got = [u["message"]["text"] for u in (await resp.json())["result"]]
        assert got == ["a", "b"]

        # allowed_updates filters (and drops) other update types
        async with http.post(
            f"{base}/getUpdates",
            data={"offset": str(first_id + 3), "allowed_updates": json.dumps(["callback_query"])},
        ) as resp:
            assert (await resp.json())["result"] == []
        await mario.send("dropped")
        async with http.post(f"{base}/getUpdates") as resp:
            assert (await resp.json())["result"] == []
        assert fake_api.dropped_updates[-1]["message"]["text"] == "dropped"

        # JSON body with typed values; multipart upload with attach://
        async with http.post(
            f"{base}/sendMessage",
            json={"chat_id": USER_ID, "text": "json", "disable_notification": True},
        ) as resp:
            assert (await resp.json())["result"]["text"] == "json"
        form = aiohttp.FormData()
        form.add_field("chat_id", str(USER_ID))
        form.add_field("document", "attach://f1")
        form.add_field("f1", b"1,2\n", filename="dati.csv", content_type="text/csv")
        async with http.post(f"{base}/sendDocument", data=form) as resp:
            result = (await resp.json())["result"]
        assert result["document"]["file_name"] == "dati.csv"
        assert mario.last is not None and mario.last.document_bytes == b"1,2\n"

        # a second poller terminates the first one with 409 Conflict
        first = asyncio.create_task(http.post(f"{base}/getUpdates", data={"timeout": "2"}))
        await asyncio.sleep(0.05)
        async with http.post(f"{base}/getUpdates", data={"timeout": "0"}) as resp:
            assert resp.status == 200
        async with await first as resp:
            assert resp.status == 409
    assert fake_api.errors == []


async def test_throughput(fake_api: FakeBotApi) -> None:
    """The fake must not be the bottleneck of load tests (~1000 requests/s on loopback)."""
    fake_api.user(USER_ID)
    url = f"{fake_api.url}/bot{fake_api.token}/sendMessage"
    n = 1000
    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(i: int) -> None:
            async with http.post(url, data={"chat_id": str(USER_ID), "text": f"m{i}"}) as resp:
                assert resp.status == 200
                await resp.read()

        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.monotonic() - started
    assert fake_api.delivered[USER_ID] == n
    assert elapsed < 3, f"{n} requests took {elapsed:.2f}s"


# ---------------------------------------------------------------------------- waiting helpers


async def test_waiting_helpers_report_the_transcript(
    fake_api: FakeBotApi, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    mario = fake_api.user(USER_ID)
    await mario.send("primo")
    await mario.send("secondo")
    second = await mario.wait_for("secondo")
    first = await mario.next_message()  # wait_for consumed only "secondo"
    assert (first.plain_text, second.plain_text) == ("primo", "secondo")
    with pytest.raises(AssertionError, match=r"(?s)no new message.*primo.*consumed"):
        await mario.next_message(timeout=0.2)
    await mario.settle(idle=0.1)
    assert mario.unconsumed == []


# ---------------------------------------------------------------------------- spec & parser


def test_spec_is_complete() -> None:
    spec = load_spec()
    assert spec.version == "Bot API 10.1"
    assert spec.unresolved_types() == set()
    assert spec.canonical_method("SENDMESSAGE") == "sendMessage"
    button = spec.types["InlineKeyboardButton"]
    assert button.one_of_mode == "exactly" and "callback_data" in button.one_of
    assert "text" not in button.one_of and "style" not in button.one_of
    text = spec.methods["sendMessage"].fields["text"]
    assert (text.min_len, text.max_len, text.after_entities) == (1, 4096, True)
    assert spec.types["BotCommandScopeChat"].fields["type"].const == "chat"


def test_html_parser() -> None:
    parsed = parse_html('😀 <b>bold <i>both</i></b> <a href="https://x.org/?a=1&amp;b=2">l</a>')
    assert parsed.text == "😀 bold both l"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 9},  # the emoji is 2 UTF-16 code units
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "url": "https://x.org/?a=1&b=2", "offset": 13, "length": 1},
    ]
    pre = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert pre.entities == [{"type": "pre", "language": "python", "offset": 0, "length": 5}]
    assert parse_html("a &lt; b &#38; &#x41; &quot;").text == 'a < b & A "'
    assert (
        parse_html("<tg-spoiler>s</tg-spoiler><blockquote expandable>q</blockquote>").entities[1][
            "type"
        ]
        == "expandable_blockquote"
    )
    for bad in ("<b>", "</b>", "a<b", "1 < 2", "&nbsp;", "<a>x</a>", "<img src=x>"):
        with pytest.raises(HtmlParseError):
            parse_html(bad)


# ---------------------------------------------------------------------------- pytest plugin


def test_plugin_fails_tests_with_invalid_requests(tmp_path: Path) -> None:
    test_file = tmp_path / "test_invalid.py"
    test_file.write_text(
        "from telegram import Bot\n"
        "from telegram.error import BadRequest\n"
        "import pytest\n"
        "from bot.sandbox.botapi import FakeBotApi\n\n"
        "async def test_with_fixture(fake_api):\n"
        "    fake_api.user(1)\n"
        "    async with Bot(fake_api.token, base_url=fake_api.base_url) as bot:\n"
        "        with pytest.raises(BadRequest):\n"
        "            await bot.send_message(1, 'x' * 5000)\n\n"
        "async def test_own_instance():\n"
        "    async with FakeBotApi() as api:\n"
        "        api.user(1)\n"
        "        async with Bot(api.token, base_url=api.base_url) as bot:\n"
        "            with pytest.raises(BadRequest):\n"
        "                await bot.send_message(1, '<b>', parse_mode='HTML')\n\n"
        "async def test_valid(fake_api):\n"
        "    fake_api.user(1)\n"
        "    async with Bot(fake_api.token, base_url=fake_api.base_url) as bot:\n"
        "        await bot.send_message(1, 'ok')\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    plugin = ["-p", "tests.fakebot.pytest_plugin", "-o", "asyncio_mode=auto"]
    proc = run_process(
        [sys.executable, "-m", "pytest", "-q", *plugin, "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        env=env,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "2 failed, 1 passed" in out, out
    assert "too long: 5000 characters" in out and "can't parse entities" in out


def test_flood_control_chat_burst_and_replies() -> None:
    from bot.sandbox.botapi.common import _RateLimiter

    one_chat = _RateLimiter(None, 1, chat_burst=3)
    assert [one_chat.hit(7, 100.0) for _ in range(3)] == [None, None, None]  # a short burst
    assert one_chat.hit(7, 100.0) == 1  # then one a second
    assert one_chat.hit(7, 101.0) is None
    bulk = _RateLimiter(2, 1, chat_burst=3, replies_exempt=5.0)
    assert [bulk.hit(chat, 102.0) for chat in (10, 11, 12)] == [None, None, 1]  # 2 a second
    bulk.last_from_user[12] = 101.5  # chat 12's user just pressed: this is an answer
    assert bulk.hit(12, 102.0) is None
