"""The local Bot API server's state: chats, users, updates, waiting, the request log."""

# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, ClassVar, cast

from aiohttp import web

from .common import (
    DEFAULT_TOKEN,
    ApiError,
    T,
    _Failure,
    _RateLimiter,
)
from .models import CallbackAnswer, ChatState, RequestRecord, SentMessage, StoredFile
from .spec import Spec, TypeRef, load_spec
from .users import FakeUser, UserApi


class ServerBase:
    """The state of :class:`~bot.sandbox.botapi.server.FakeBotApi` (its first layer): its
    lifecycle, chats and users, updates and long polls, waiting, the request log."""

    #: every started instance (weakly referenced), checked for errors by the pytest plugin
    instances: ClassVar[weakref.WeakSet[ServerBase]] = weakref.WeakSet()

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        spec: Spec | None = None,
        parse_modes: Iterable[str] = ("HTML",),
        self_check: bool = True,
        tolerated_unknown_params: Iterable[str] = (),
        bot_first_name: str = "PSM Bot",
        bot_username: str = "psm_test_bot",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.spec = spec or load_spec()
        #: served over TLS with this context (an https:// :attr:`url`) when given
        self.ssl_context = ssl_context
        self.token = token
        self.host = host
        self.port = port
        self.parse_modes = frozenset(parse_modes)
        self.self_check = self_check
        self.tolerated_unknown_params = frozenset(tolerated_unknown_params)
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.me: dict[str, Any] = dict(self.bot_user)
        for f in self.spec.types["User"].fields.values():
            if "Returned only in getMe" in f.description and f.alts == (TypeRef("Boolean"),):
                self.me[f.name] = False
        self.me["can_join_groups"] = True

        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.requests: list[RequestRecord] = []
        self.stats: Counter[str] = Counter()
        self.method_counts: Counter[str] = Counter()
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, FakeUser] = {}
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.polls: dict[str, SentMessage] = {}
        self.webhook_url = ""
        self.sent: list[SentMessage] = []  # every bot message, all chats, in order
        self.dropped_updates: list[dict[str, Any]] = []
        self.updates_log: list[dict[str, Any]] = []
        #: called (without arguments) after every change: the sandbox's chat feed listens
        self.listeners: list[Callable[[], None]] = []

        update_fields = set(self.spec.types["Update"].fields) - {"update_id"}
        self._default_allowed = frozenset(
            update_fields - {"chat_member", "message_reaction", "message_reaction_count"}
        )
        self.allowed_updates: frozenset[str] = self._default_allowed
        self._pending: deque[dict[str, Any]] = deque()
        self._next_update_id = 100_000_001
        self._max_fetched_id = 0
        self._poll_waiter: asyncio.Future[str] | None = None
        self._changed = asyncio.Event()
        self._inflight = 0
        self._last_activity = time.monotonic()
        self._failures: deque[_Failure] = deque()
        self._rate: _RateLimiter | None = None
        self._counter = 0
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._url: str | None = None
        self._handlers: dict[str, Callable[[dict[str, Any], RequestRecord], Any]] = {}
        for name in self.spec.methods:
            handler = getattr(self, f"_m_{name.lower()}", None)
            if handler is not None:
                self._handlers[name] = handler

    # ================================================================== lifecycle
    async def stop(self) -> None:
        """Release pending long polls and stop the server."""
        self._stopping = True
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("stop")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:PORT`` (``https://`` over TLS)."""
        if self._url is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """Value for PTB ``ApplicationBuilder.base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB ``ApplicationBuilder.base_file_url``."""
        return f"{self.url}/file/bot"

    # ================================================================== errors
    def assert_no_errors(self) -> None:
        """Fail (AssertionError) if any request was invalid or the fake detected a bug."""
        if self.errors:
            listing = "\n  ".join(self.errors)
            raise AssertionError(f"{len(self.errors)} invalid Bot API request(s):\n  {listing}")

    def clear_errors(self) -> list[str]:
        """Return and forget the recorded errors (for tests that provoke them on purpose)."""
        errors, self.errors = self.errors, []
        return errors

    # ================================================================== chats & users
    def _resolve_chat(self, value: Any) -> ChatState | None:
        if isinstance(value, int):
            return self.chats.get(value)
        if isinstance(value, str):
            if value.lstrip("-").isdigit():
                return self.chats.get(int(value))
            if value.startswith("@"):
                wanted = value[1:].lower()
                for chat in self.chats.values():
                    if chat.username and chat.username.lower() == wanted:
                        return chat
        return None

    @staticmethod
    def _scope_key(scope: dict[str, Any] | None) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    def user(
        self,
        user_id: int,
        first_name: str = "Mario",
        last_name: str | None = None,
        language_code: str | None = "it",
        username: str | None = None,
        *,
        is_premium: bool | None = None,
    ) -> FakeUser:
        """Register (or return the existing) simulated user and its private chat."""
        existing = self.users.get(user_id)
        if existing is not None:
            return existing
        chat = self.chats.get(user_id)
        if chat is None:
            chat = ChatState(
                id=user_id,
                type="private",
                first_name=first_name,
                last_name=last_name,
                username=username,
            )
            self.chats[user_id] = chat
        user = FakeUser(
            cast("UserApi", self),  # the whole FakeBotApi, whose base this class is
            chat,
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            language_code=language_code,
            username=username,
            is_premium=is_premium,
        )
        self.users[user_id] = user
        return user

    def register_chat(
        self,
        chat_id: int,
        type: str = "group",
        title: str | None = "Test group",
        username: str | None = None,
    ) -> ChatState:
        """Register a non-private chat (group, supergroup, channel) the bot may write to."""
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = ChatState(id=chat_id, type=type, title=title, username=username)
            self.chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> ChatState:
        """The state/transcript of a known chat (KeyError if unknown)."""
        return self.chats[chat_id]

    def block_user(self, user_id: int, blocked: bool = True) -> None:
        """Make sends to ``user_id`` fail with 403 "bot was blocked by the user"."""
        self.chats[user_id].blocked = blocked

    def unblock_user(self, user_id: int) -> None:
        """Undo :meth:`block_user`."""
        self.block_user(user_id, False)

    def deactivate_user(self, user_id: int) -> None:
        """Make sends to ``user_id`` fail with 403 "user is deactivated"."""
        self.chats[user_id].deactivated = True

    @property
    def delivered(self) -> dict[int, int]:
        """Number of messages successfully delivered per chat id."""
        return {cid: chat.delivered for cid, chat in self.chats.items() if chat.delivered}

    # ================================================================== updates
    def enqueue_update(self, payload: dict[str, Any], *, check: bool = True) -> dict[str, Any]:
        """Append a raw update (without ``update_id``) to the global queue; return it.

        ``check=False`` skips checking it against the spec (for a benchmark that checked its
        updates before the timed part).
        """
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        if self.self_check and check:
            for err in self.update_problems(update):
                self.errors.append(f"fakebot bug (update): {err}")
        self._pending.append(update)
        self.updates_log.append(update)
        if self._rate is not None:
            sender = (update.get("message") or update.get("callback_query") or {}).get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                self._rate.last_from_user[sender["id"]] = time.monotonic()
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("updates")
        self._notify()
        return update

    def update_problems(self, payload: dict[str, Any]) -> list[str]:
        """What is wrong with an update payload (with or without ``update_id``) per the spec."""
        return list(self.spec.check_value({"update_id": 1, **payload}, "Update"))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (fetched or not)."""
        return list(self._pending)

    def _undelivered(self) -> bool:
        return bool(self._pending) and self._pending[-1]["update_id"] > self._max_fetched_id

    def _select_updates(self, limit: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        dropped: set[int] = set()
        for update in self._pending:
            kind = next((k for k in update if k != "update_id"), "")
            if kind not in self.allowed_updates:
                self.dropped_updates.append(update)
                dropped.add(update["update_id"])
                continue
            out.append(update)
            if len(out) >= limit:
                break
        if dropped:
            self._pending = deque(u for u in self._pending if u["update_id"] not in dropped)
        return out

    async def _get_updates(self, params: dict[str, Any], record: RequestRecord) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        if "allowed_updates" in params:
            allowed = params["allowed_updates"]
            self.allowed_updates = frozenset(allowed) if allowed else self._default_allowed
        if offset is not None:
            if offset < 0:
                while len(self._pending) > -offset:
                    self._pending.popleft()
            else:
                while self._pending and self._pending[0]["update_id"] < offset:
                    self._pending.popleft()
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("conflict")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            updates = self._select_updates(limit)
            remaining = deadline - loop.time()
            if updates or remaining <= 0 or self._stopping:
                break
            waiter: asyncio.Future[str] = loop.create_future()
            self._poll_waiter = waiter
            try:
                reason = await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                reason = "timeout"
            finally:
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
            if reason == "conflict":
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            if reason == "stop":
                return []
        if updates:
            self._max_fetched_id = max(self._max_fetched_id, updates[-1]["update_id"])
            self._last_activity = time.monotonic()
            self._notify()
        return updates

    # ================================================================== waiting
    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
        for listener in self.listeners:
            listener()

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,
        describe: Callable[[], str] | None = None,
        *,
        poll_interval: float | None = 0.02,
    ) -> T:
        """Wait until ``predicate()`` is truthy; return its value.

        The predicate is re-checked on every server-side change (request, update, edit...).
        Since it may also depend on state the server can't see (e.g. the bot's database), it
        is re-checked every ``poll_interval`` seconds too (None: server events only).
        Raises AssertionError with ``describe()`` (plus recorded errors) on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                msg = describe() if describe else "condition not met"
                if self.errors:
                    msg += "\nRecorded Bot API errors:\n  " + "\n  ".join(self.errors)
                raise AssertionError(f"timeout after {timeout}s: {msg}")
            if poll_interval is not None:
                remaining = min(remaining, poll_interval)
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def settle(self, idle: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until every update was fetched and no bot request happened for ``idle`` s.

        getUpdates long polls don't count as activity.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            busy = self._inflight > 0 or self._undelivered()
            quiet = time.monotonic() - self._last_activity
            if not busy and quiet >= idle:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"bot did not settle within {timeout}s (in-flight requests: "
                    f"{self._inflight}, unfetched updates: {self._undelivered()})"
                )
            wait = remaining if busy else min(idle - quiet, remaining)
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), max(wait, 0.001))

    # ================================================================== log helpers
    def calls(self, method: str | None = None) -> list[RequestRecord]:
        """Logged requests, optionally only those to ``method`` (case-insensitive)."""
        if method is None:
            return list(self.requests)
        canonical = self.spec.canonical_method(method) or method
        return [r for r in self.requests if r.method == canonical]

    def last_call(self, method: str) -> RequestRecord:
        """The last logged request to ``method`` (AssertionError if none)."""
        calls = self.calls(method)
        if not calls:
            raise AssertionError(f"no {method} request was made")
        return calls[-1]

    def get_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands stored by setMyCommands for (scope, language_code)."""
        return list(self.commands.get((self._scope_key(scope), language_code), []))
