"""Fake Telegram Bot API HTTP server for end-to-end tests of the bot (the server is the
sandbox's, :mod:`bot.sandbox.botapi`; PTB helpers and the pytest plugin are here).

Typical use (see ``tests/test_fakebot.py``)::

    async with FakeBotApi() as api:
        app = Application.builder().token(api.token).base_url(api.base_url)
              .base_file_url(api.base_file_url).build()
        async with running_application(app):
            mario = api.user(1001, "Mario")
            await mario.send("/start")
            msg = await mario.next_message()
"""

from bot.sandbox.botapi import (
    DEFAULT_TOKEN,
    ApiError,
    CallbackAnswer,
    ChatState,
    FakeBotApi,
    FakeUser,
    HtmlParseError,
    ParsedText,
    RequestRecord,
    SentMessage,
    Spec,
    StoredFile,
    load_spec,
    parse_html,
)

from .ptb import running_application

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "CallbackAnswer",
    "ChatState",
    "FakeBotApi",
    "FakeUser",
    "HtmlParseError",
    "ParsedText",
    "RequestRecord",
    "SentMessage",
    "Spec",
    "StoredFile",
    "load_spec",
    "parse_html",
    "running_application",
]
