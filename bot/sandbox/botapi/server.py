"""A fake Telegram Bot API HTTP server for end-to-end tests of a python-telegram-bot bot.

The bot under test talks to :class:`FakeBotApi` through PTB's normal ``base_url``; the test
simulates users with :class:`~bot.sandbox.botapi.users.FakeUser` and asserts on the transcripts.
Every request is validated against the Bot API spec; invalid requests are recorded in
:attr:`FakeBotApi.errors` and answered with HTTP 400 (unknown methods: 404, like Telegram).

:class:`FakeBotApi` is built in layers, one module each: ``base`` (state, lifecycle, chats,
updates, waiting, the log), ``transport`` (HTTP, validation, dispatch, injected failures and
flood control), ``content`` (files, texts and entities, new messages and edits), ``sending``
(the send methods), and here the rest (edits, callbacks, commands, chats, files); ``common``
holds the constants, :class:`ApiError` and the rate limiter.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import PurePosixPath
from typing import Any

from .common import (
    _MEDIA_KINDS,
    ApiError,
)
from .models import CallbackAnswer, ChatState, RequestRecord
from .sending import ServerSending
from .webhook import ServerWebhook

__all__ = ["FakeBotApi"]


class FakeBotApi(ServerWebhook, ServerSending):
    """Fake Telegram Bot API server (aiohttp) with spec validation and simulated users.

    Use it as ``async with FakeBotApi() as api:`` (or :meth:`start`/:meth:`stop`), point PTB at
    :attr:`base_url`/:attr:`base_file_url`, create users with :meth:`user`.
    """

    # the other methods: edits, callbacks, commands, chats, files

    def _m_editmessagetext(self, params: dict[str, Any], record: RequestRecord) -> Any:
        msg = self._editable(params)
        if msg is None:
            return True
        if "text" not in msg.raw:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if params.get("text") is None:
            raise ApiError(400, "Bad Request: rich messages are not emulated")
        plain, entities = self._text_and_entities(params, "text", "entities")
        markup = params.get("reply_markup")
        return self._apply_edit(
            msg,
            "editMessageText",
            {
                "text": plain,
                "entities": entities,
                "reply_markup": markup,
                "_attrs": {
                    "text": params["text"],
                    "plain_text": plain,
                    "reply_markup": copy.deepcopy(markup),
                },
            },
        )

    def _m_editmessagecaption(self, params: dict[str, Any], record: RequestRecord) -> Any:
        msg = self._editable(params)
        if msg is None:
            return True
        if not any(k in msg.raw for k in _MEDIA_KINDS):
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        if params.get("caption") is not None:
            content, caption, plain = self._caption_content(params)
        else:
            content, caption, plain = {}, None, None
        markup = params.get("reply_markup")
        return self._apply_edit(
            msg,
            "editMessageCaption",
            {
                "caption": content.get("caption"),
                "caption_entities": content.get("caption_entities"),
                "reply_markup": markup,
                "_attrs": {
                    "caption": caption,
                    "plain_caption": plain,
                    "reply_markup": copy.deepcopy(markup),
                },
            },
        )

    def _m_editmessagereplymarkup(self, params: dict[str, Any], record: RequestRecord) -> Any:
        msg = self._editable(params)
        if msg is None:
            return True
        markup = params.get("reply_markup")
        return self._apply_edit(
            msg,
            "editMessageReplyMarkup",
            {
                "reply_markup": markup,
                "_attrs": {"reply_markup": copy.deepcopy(markup)},
            },
        )

    def _m_editmessagemedia(self, params: dict[str, Any], record: RequestRecord) -> Any:
        msg = self._editable(params)
        if msg is None:
            return True
        media = params["media"]
        kind = media["type"]
        value = self._attached(media["media"], record)
        stored = self._file_param(value, kind, media)
        sub = {**media, "_parsed": {}}
        content, caption, plain = self._caption_content(sub)
        markup = params.get("reply_markup")
        return self._apply_edit(
            msg,
            "editMessageMedia",
            {
                kind: self._media_object(stored, kind, media),
                "caption": content.get("caption"),
                "caption_entities": content.get("caption_entities"),
                "reply_markup": markup,
                "_attrs": {
                    "caption": caption,
                    "plain_caption": plain,
                    "file": stored,
                    "reply_markup": copy.deepcopy(markup),
                },
            },
        )

    def _m_deletemessage(self, params: dict[str, Any], record: RequestRecord) -> Any:
        msg = self._find_message(params, "delete")
        msg.deleted = True
        self._notify()
        return True

    def _m_deletemessages(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        for mid in params["message_ids"]:
            msg = chat.by_id.get(mid)
            if msg is not None:
                msg.deleted = True
        self._notify()
        return True

    def _m_answercallbackquery(self, params: dict[str, Any], record: RequestRecord) -> Any:
        qid = params["callback_query_id"]
        if qid not in self.callback_queries or qid in self.callback_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.callback_answers[qid] = CallbackAnswer(
            callback_query_id=qid,
            text=params.get("text"),
            show_alert=bool(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=params.get("cache_time"),
            time=time.time(),
        )
        self._notify()
        return True

    def _m_setmycommands(self, params: dict[str, Any], record: RequestRecord) -> Any:
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands[key] = copy.deepcopy(params["commands"])
        return True

    def _m_getmycommands(self, params: dict[str, Any], record: RequestRecord) -> Any:
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        return copy.deepcopy(self.commands.get(key, []))

    def _m_deletemycommands(self, params: dict[str, Any], record: RequestRecord) -> Any:
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands.pop(key, None)
        return True

    def _m_setchatmenubutton(self, params: dict[str, Any], record: RequestRecord) -> Any:
        button = params.get("menu_button") or {"type": "default"}
        if params.get("chat_id") is not None:
            self._chat_of(params).menu_button = button
        else:
            self.bot_texts[("menu_button", "")] = json.dumps(button)
        return True

    def _m_getchatmenubutton(self, params: dict[str, Any], record: RequestRecord) -> Any:
        if params.get("chat_id") is not None:
            button = self._chat_of(params).menu_button
            if button is not None:
                return button
        stored = self.bot_texts.get(("menu_button", ""))
        return json.loads(stored) if stored else {"type": "default"}

    def _set_bot_text(self, kind: str, params: dict[str, Any]) -> bool:
        self.bot_texts[(kind, params.get("language_code") or "")] = params.get(kind) or ""
        return True

    def _m_setmydescription(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._set_bot_text("description", params)

    def _m_setmyshortdescription(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._set_bot_text("short_description", params)

    def _m_setmyname(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._set_bot_text("name", params)

    def _m_getmydescription(self, params: dict[str, Any], record: RequestRecord) -> Any:
        lang = params.get("language_code") or ""
        return {"description": self.bot_texts.get(("description", lang), "")}

    def _m_getmyshortdescription(self, params: dict[str, Any], record: RequestRecord) -> Any:
        lang = params.get("language_code") or ""
        return {"short_description": self.bot_texts.get(("short_description", lang), "")}

    def _m_getmyname(self, params: dict[str, Any], record: RequestRecord) -> Any:
        lang = params.get("language_code") or ""
        return {"name": self.bot_texts.get(("name", lang), self.bot_user["first_name"])}

    def _m_getchat(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        gift_types = self.spec.types["AcceptedGiftTypes"].required
        return {
            **chat.chat_dict,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(gift_types, False),
        }

    def _chat_member(self, chat: ChatState, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_user["id"]:
            user = dict(self.bot_user)
        elif user_id in self.users:
            user = self.users[user_id].user_dict
        else:
            raise ApiError(400, "Bad Request: user not found")
        if chat.type == "private" and user_id == chat.id and chat.blocked:
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": "member", "user": user}

    def _m_getchatmember(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._chat_member(self._chat_of(params), int(params["user_id"]))

    def _m_getchatmembercount(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        return 2 if chat.type == "private" else 1 + len(self.users)

    def _m_getchatadministrators(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return []

    def _m_getfile(self, params: dict[str, Any], record: RequestRecord) -> Any:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if not stored.file_path:
            ext = PurePosixPath(stored.file_name or "").suffix
            if not ext and stored.kind == "photo":
                ext = ".jpg"
            stored.file_path = f"{stored.kind}s/file_{self._unique()}{ext}"
        return {
            "file_id": params["file_id"],
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def _m_exportchatinvitelink(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return f"https://t.me/+fake{self._unique()}"
