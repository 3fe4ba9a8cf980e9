"""Simulated Telegram users: they enqueue updates and wait for the bot's answers."""

# The waiting helpers take explicit ``timeout`` arguments on purpose (test-facing API).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import copy
import mimetypes
import re
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from .markup import utf16_len
from .models import CallbackAnswer, ChatState, RequestRecord, SentMessage, StoredFile

T = TypeVar("T")


class UserApi(Protocol):
    """What a simulated user uses of the server (:class:`~bot.sandbox.botapi.FakeBotApi`);
    a protocol, so that the users and the server do not import each other."""

    bot_user: dict[str, Any]
    requests: list[RequestRecord]
    callback_queries: dict[str, dict[str, Any]]
    callback_answers: dict[str, CallbackAnswer]

    def enqueue_update(self, payload: dict[str, Any], *, check: bool = True) -> dict[str, Any]:
        """Queue an update for the bot."""
        ...

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,
        describe: Callable[[], str] | None = None,
        *,
        poll_interval: float | None = 0.02,
    ) -> T:
        """Wait until ``predicate()`` is truthy."""
        ...

    async def settle(self, idle: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until nothing happens for ``idle`` seconds."""
        ...

    def store_file(
        self,
        data: bytes,
        *,
        kind: str = "document",
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store a file the user sends."""
        ...

    def _unique(self, prefix: str = "") -> str: ...

    def _media_object(self, stored: StoredFile, kind: str, params: dict[str, Any]) -> Any: ...

    def _new_user_message(
        self,
        chat: ChatState,
        user: FakeUser,
        content: dict[str, Any],
        *,
        file: StoredFile | None = None,
    ) -> SentMessage: ...


__all__ = ["FakeUser", "MessageMatcher"]

MessageMatcher = str | re.Pattern[str] | Callable[[SentMessage], bool]
ButtonMatcher = str | Callable[[dict[str, Any]], bool]

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
# 1x1 transparent PNG
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4810000000049454e44ae426082"
)


def _matches(msg: SentMessage, match: MessageMatcher) -> bool:
    if isinstance(match, str):
        return match in msg.content or (msg.text is not None and match in msg.text)
    if isinstance(match, re.Pattern):
        return match.search(msg.content) is not None
    return bool(match(msg))


class FakeUser:
    """A simulated user with a private chat with the bot.

    Actions (``send``, ``press``...) enqueue realistic updates in the server's global queue;
    waiting helpers (``next_message``, ``wait_for``...) read the chat transcript with a
    per-user cursor of consumed messages.
    """

    def __init__(
        self,
        api: UserApi,
        chat: ChatState,
        *,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
        is_premium: bool | None = None,
    ) -> None:
        self.api = api
        self.chat = chat
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.language_code = language_code
        self.username = username
        self.is_premium = is_premium
        # message id -> text version consumed; a message whose text the bot has edited since
        # (a conversation's next question in place of the last one) is new again
        self.consumed: dict[int, int] = {}
        self.sent: list[SentMessage] = []
        self.callback_query_ids: list[str] = []

    # ------------------------------------------------------------------ identity
    @property
    def user_dict(self) -> dict[str, Any]:
        """The Telegram ``User`` object of this user."""
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        if self.is_premium:
            out["is_premium"] = True
        return out

    @property
    def chat_id(self) -> int:
        """Id of the private chat with the bot (= user id)."""
        return self.chat.id

    @property
    def blocked(self) -> bool:
        """True if the user blocked the bot (sends answer 403)."""
        return self.chat.blocked

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r}>"

    # ------------------------------------------------------------------ transcript
    @property
    def messages(self) -> list[SentMessage]:
        """Bot messages in this chat (not deleted), in order."""
        return self.chat.messages

    @property
    def all_messages(self) -> list[SentMessage]:
        """Every bot message in this chat, deleted ones included."""
        return self.chat.bot_messages

    @property
    def last(self) -> SentMessage | None:
        """The latest (not deleted) bot message, or None."""
        msgs = self.chat.messages
        return msgs[-1] if msgs else None

    @staticmethod
    def text_version(message: SentMessage) -> int:
        """How many times the bot changed what the message says (not just its buttons)."""
        return sum(1 for edit in message.edits if edit.get("method") != "editMessageReplyMarkup")

    def is_consumed(self, message: SentMessage) -> bool:
        """Whether this version of the message was returned by next_message/wait_for."""
        seen = self.consumed.get(message.message_id)
        return seen is not None and seen >= self.text_version(message)

    def consume(self, message: SentMessage) -> None:
        """Mark the current version of ``message`` as seen."""
        self.consumed[message.message_id] = self.text_version(message)

    @property
    def unconsumed(self) -> list[SentMessage]:
        """Bot messages (or new versions of them) not yet returned by :meth:`next_message`/
        :meth:`wait_for`."""
        return [m for m in self.chat.bot_messages if not self.is_consumed(m)]

    def describe(self) -> str:
        """Human-readable transcript of the chat (used in timeout errors)."""
        lines = [
            f"chat {self.id} ({self.first_name}) received {len(self.all_messages)} message(s):"
        ]
        for m in self.chat.all_messages:
            who = "bot " if m.from_bot else "user"
            mark = " [consumed]" if m.from_bot and self.is_consumed(m) else ""
            lines.append(f"  {who} {m!r}{mark}")
        failed = [
            r
            for r in self.api.requests[-200:]
            if r.status not in (0, 200) and r.params.get("chat_id") == self.id
        ]
        for r in failed[-5:]:
            lines.append(f"  failed request {r.method}: {r.status} {r.description}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ waiting
    async def next_message(self, timeout: float = 5.0) -> SentMessage:
        """Return the next bot message not consumed yet (waiting for it if needed)."""

        def find() -> SentMessage | None:
            for m in self.chat.bot_messages:
                if not self.is_consumed(m):
                    return m
            return None

        msg = await self.api.wait_until(
            find, timeout, lambda: "no new message.\n" + self.describe(), poll_interval=None
        )
        self.consume(msg)
        return msg

    async def wait_for(self, match: MessageMatcher, timeout: float = 5.0) -> SentMessage:
        """Return the first unconsumed (or future) bot message matching and consume it.

        ``match`` is a substring of the visible text/caption (or of the raw HTML), a compiled
        regex searched in the visible text, or a predicate on :class:`SentMessage`.
        """

        def find() -> SentMessage | None:
            for m in self.chat.bot_messages:
                if not self.is_consumed(m) and _matches(m, match):
                    return m
            return None

        msg = await self.api.wait_until(
            find,
            timeout,
            lambda: f"no message matching {match!r}.\n" + self.describe(),
            poll_interval=None,
        )
        self.consume(msg)
        return msg

    async def wait_edited(
        self,
        message: SentMessage,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,
    ) -> SentMessage:
        """Wait until ``message`` was edited ``count`` times (or ``predicate`` holds)."""

        def done() -> SentMessage | None:
            ok = predicate(message) if predicate else message.edit_count >= count
            return message if ok else None

        seen = await self.api.wait_until(
            done,
            timeout,
            lambda: (
                f"message {message!r} not edited as expected "
                f"(edits: {message.edit_count}).\n" + self.describe()
            ),
        )
        if message.message_id in self.consumed:  # the awaited edit is seen with the message
            self.consume(seen)
        return seen

    async def wait_deleted(self, message: SentMessage, timeout: float = 5.0) -> None:
        """Wait until the bot deletes ``message``."""
        await self.api.wait_until(
            lambda: message.deleted,
            timeout,
            lambda: f"{message!r} not deleted.\n" + self.describe(),
        )

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until an arbitrary ``predicate()`` is truthy (re-checked on every change)."""
        return await self.api.wait_until(predicate, timeout, self.describe)

    async def callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        """Wait for the bot's ``answerCallbackQuery`` to ``query_id`` and return it."""
        return await self.api.wait_until(
            lambda: self.api.callback_answers.get(query_id),
            timeout,
            lambda: f"callback query {query_id} was not answered.\n" + self.describe(),
        )

    async def settle(self, idle: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until the bot fetched every update and made no request for ``idle`` s."""
        await self.api.settle(idle, timeout)

    async def expect_no_more_messages(self, idle: float = 0.2) -> None:
        """Settle, then assert that every bot message to this chat has been consumed."""
        await self.settle(idle)
        extra = self.unconsumed
        if extra:
            raise AssertionError(f"unexpected message(s) {extra!r}.\n{self.describe()}")

    # ------------------------------------------------------------------ actions
    def _message_update(
        self, content: dict[str, Any], *, reply_to: SentMessage | None = None, file: Any = None
    ) -> SentMessage:
        if self.chat.blocked:
            # a user who blocked the bot must restart it before writing: Telegram sends
            # my_chat_member (kicked -> member) first
            self._chat_member_update("member")
        if reply_to is not None:
            reply = copy.deepcopy(reply_to.raw)
            reply.pop("reply_to_message", None)
            content = {"reply_to_message": reply, **content}
        msg = self.api._new_user_message(self.chat, self, content, file=file)
        self.sent.append(msg)
        self.api.enqueue_update({"message": copy.deepcopy(msg.raw)})
        return msg

    async def send(
        self,
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to: SentMessage | None = None,
    ) -> SentMessage:
        """Send a text message. A leading ``/command`` gets its ``bot_command`` entity."""
        content: dict[str, Any] = {"text": text}
        ents = list(entities or [])
        if entities is None:
            m = _COMMAND_RE.match(text)
            if m:
                ents.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
        if ents:
            content["entities"] = ents
        msg = self._message_update(content, reply_to=reply_to)
        await asyncio.sleep(0)
        return msg

    async def send_sticker(self, emoji: str = "👍") -> SentMessage:
        """Send a (regular, static) sticker."""
        stored = self.api.store_file(b"RIFF....WEBP", kind="sticker", mime_type="image/webp")
        sticker = self.api._media_object(stored, "sticker", {"emoji": emoji})
        msg = self._message_update({"sticker": sticker}, file=stored)
        await asyncio.sleep(0)
        return msg

    async def send_photo(self, data: bytes = TINY_PNG, caption: str | None = None) -> SentMessage:
        """Send a photo (Telegram delivers a list of sizes)."""
        stored = self.api.store_file(data, kind="photo")
        content: dict[str, Any] = {"photo": self.api._media_object(stored, "photo", {})}
        if caption:
            content["caption"] = caption
        msg = self._message_update(content, file=stored)
        await asyncio.sleep(0)
        return msg

    async def send_document(
        self,
        name: str = "file.txt",
        data: bytes = b"hello",
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> SentMessage:
        """Send a document; the bot can download it with getFile."""
        mime = mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        stored = self.api.store_file(data, kind="document", file_name=name, mime_type=mime)
        content: dict[str, Any] = {"document": self.api._media_object(stored, "document", {})}
        if caption:
            content["caption"] = caption
        msg = self._message_update(content, file=stored)
        await asyncio.sleep(0)
        return msg

    async def send_location(self, latitude: float, longitude: float) -> SentMessage:
        """Send a location."""
        msg = self._message_update({"location": {"latitude": latitude, "longitude": longitude}})
        await asyncio.sleep(0)
        return msg

    async def send_contact(
        self,
        phone_number: str = "+393331234567",
        first_name: str | None = None,
        last_name: str | None = None,
        *,
        own: bool = True,
    ) -> SentMessage:
        """Send a contact (``own=True``: the user's own, as with a request_contact button)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
        }
        last = last_name if last_name is not None else (self.last_name if own else None)
        if last:
            contact["last_name"] = last
        if own:
            contact["user_id"] = self.id
        msg = self._message_update({"contact": contact})
        await asyncio.sleep(0)
        return msg

    async def edit(self, message: SentMessage, text: str) -> SentMessage:
        """Edit one of the user's own text messages (an ``edited_message`` update)."""
        if message.from_bot:
            raise AssertionError("a user can only edit their own messages")
        message.edits.append(message.snapshot())
        message.text = message.plain_text = text
        message.raw["text"] = text
        message.raw["edit_date"] = message.raw["date"] + 1
        self.api.enqueue_update({"edited_message": copy.deepcopy(message.raw)})
        await asyncio.sleep(0)
        return message

    def _keyboard_message(self) -> SentMessage:
        for m in reversed(self.chat.messages):
            if m.inline_keyboard:
                return m
        raise AssertionError("no bot message with an inline keyboard.\n" + self.describe())

    def find_button(
        self, button: ButtonMatcher, message: SentMessage | None = None
    ) -> tuple[SentMessage, dict[str, Any]]:
        """Find an inline button (exact text, else unique case-insensitive substring)."""
        msg = message or self._keyboard_message()
        buttons = [b for row in msg.inline_keyboard for b in row]
        if callable(button):
            found = [b for b in buttons if button(b)]
        else:
            found = [b for b in buttons if b.get("text") == button]
            if not found:
                needle = button.lower()
                found = [b for b in buttons if needle in str(b.get("text", "")).lower()]
        if len(found) != 1:
            what = "ambiguous" if found else "not found"
            raise AssertionError(
                f"button {button!r} {what} in {msg!r}; buttons: {[b.get('text') for b in buttons]}"
            )
        return msg, found[0]

    async def press(self, button: ButtonMatcher, message: SentMessage | None = None) -> str:
        """Press an inline button of ``message`` (default: the latest one with a keyboard).

        ``button`` is the exact text, a unique substring, or a predicate on the button dict.
        Returns the callback query id (see :meth:`callback_answer`).
        """
        msg, found = self.find_button(button, message)
        if "callback_data" not in found:
            raise AssertionError(f"button {found!r} has no callback_data (it can't be pressed)")
        return await self.press_data(found["callback_data"], message=msg)

    async def press_data(self, data: str, message: SentMessage | None = None) -> str:
        """Send a callback query with arbitrary (possibly forged) ``data``."""
        qid, payload = self.prepare_press(data, message)
        self.api.enqueue_update(payload)
        await asyncio.sleep(0)
        return qid

    def prepare_press(
        self, data: str, message: SentMessage | None = None
    ) -> tuple[str, dict[str, Any]]:
        """A callback query ready to enqueue (benchmarks build them ahead): its id and
        the update payload."""
        msg = message
        if msg is None:
            try:
                msg = self._keyboard_message()
            except AssertionError:
                msg = self.last
        if msg is None:
            raise AssertionError("no bot message to attach the callback query to")
        if msg.deleted:
            raise AssertionError(f"{msg!r} was deleted: its buttons can't be pressed")
        qid = self.api._unique(str(self.id % 1000 + 1000))
        query = {
            "id": qid,
            "from": self.user_dict,
            "message": copy.deepcopy(msg.raw),
            "chat_instance": str(-7_000_000_000_000_000 - self.chat.id),
            "data": data,
        }
        self.api.callback_queries[qid] = query
        self.callback_query_ids.append(qid)
        return qid, {"callback_query": query}

    async def vote(self, message: SentMessage, option_ids: list[int]) -> None:
        """Answer the (non-anonymous) poll of ``message`` (a ``poll_answer`` update)."""
        poll = message.raw.get("poll")
        if poll is None:
            raise AssertionError(f"{message!r} has no poll")
        for i in option_ids:
            poll["options"][i]["voter_count"] += 1
        poll["total_voter_count"] += 1
        self.api.enqueue_update(
            {
                "poll_answer": {
                    "poll_id": poll["id"],
                    "user": self.user_dict,
                    "option_ids": list(option_ids),
                    "option_persistent_ids": [
                        poll["options"][i]["persistent_id"] for i in option_ids
                    ],
                }
            }
        )
        await asyncio.sleep(0)

    async def my_chat_member(self, status: str = "kicked") -> None:
        """Send a ``my_chat_member`` update: ``"kicked"`` = user blocked the bot,
        ``"member"`` = user (re)started it. Also sets the blocked state used for sends.

        A blocked user who sends a message first unblocks the bot automatically (an extra
        ``my_chat_member`` "member" update precedes the message), as in Telegram.
        """
        self._chat_member_update(status)
        await asyncio.sleep(0)

    def _chat_member_update(self, status: str) -> None:
        if status not in ("kicked", "member"):
            raise ValueError("status must be 'kicked' or 'member'")
        old = "member" if status == "kicked" else "kicked"

        def member(state: str) -> dict[str, Any]:
            out: dict[str, Any] = {"status": state, "user": dict(self.api.bot_user)}
            if state == "kicked":
                out["until_date"] = 0
            return out

        self.chat.blocked = status == "kicked"
        self.api.enqueue_update(
            {
                "my_chat_member": {
                    "chat": self.chat.chat_dict,
                    "from": self.user_dict,
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(status),
                }
            }
        )

    async def block(self) -> None:
        """The user blocks the bot (my_chat_member kicked + sends answer 403)."""
        await self.my_chat_member("kicked")

    async def unblock(self) -> None:
        """The user unblocks/restarts the bot (my_chat_member member)."""
        await self.my_chat_member("member")
