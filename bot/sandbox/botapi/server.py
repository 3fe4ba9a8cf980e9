"""A fake Telegram Bot API HTTP server for end-to-end tests of a python-telegram-bot bot.

The bot under test talks to :class:`FakeBotApi` through PTB's normal ``base_url``; the test
simulates users with :class:`~bot.sandbox.botapi.users.FakeUser` and asserts on the transcripts.
Every request is validated against the Bot API spec; invalid requests are recorded in
:attr:`FakeBotApi.errors` and answered with HTTP 400 (unknown methods: 404, like Telegram).
"""

# The waiting helpers take explicit ``timeout`` arguments on purpose (test-facing API).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import mimetypes
import time
import weakref
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from aiohttp import web

from .markup import parse_html, utf16_len
from .models import CallbackAnswer, ChatState, RequestRecord, SentMessage, StoredFile
from .spec import Spec, TypeRef, UploadedFile, load_spec
from .users import FakeUser

__all__ = ["DEFAULT_TOKEN", "ApiError", "FakeBotApi"]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
T = TypeVar("T")
_JSON = "application/json"


class ApiError(Exception):
    """A regular (non-validation) Bot API error answer, e.g. "chat not found"."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass(slots=True)
class _Failure:
    method: str | None
    code: int
    description: str
    parameters: dict[str, Any] | None
    chat_id: int | None
    remaining: int


class _RateLimiter:
    """Flood control: one global sliding one-second window, and a limit per chat.

    Per chat: a sliding one-second window of ``per_chat_per_second`` (``chat_burst`` 1), or a
    token bucket of ``chat_burst`` refilled at ``per_chat_per_second`` ("short bursts are
    allowed", Telegram's Bot FAQ). With ``replies_exempt`` seconds, a message to a chat whose
    user wrote or pressed within that time counts only against the chat's limit, not the
    global one: the ~30 a second is Telegram's limit on bulk notifications, and an answer to
    someone using the bot is not one (tdlib/td#3034: "There is no global limit on the number
    of sent messages for bots").
    """

    def __init__(
        self,
        global_per_second: int | None,
        per_chat_per_second: int | None,
        chat_burst: int = 1,
        replies_exempt: float | None = None,
    ) -> None:
        self.global_limit = global_per_second
        self.chat_limit = per_chat_per_second
        self.chat_burst = chat_burst
        self.replies_exempt = replies_exempt
        self.window = 1.0
        self.global_hits: deque[float] = deque()
        self.chat_hits: dict[int, deque[float]] = {}
        self.chat_tokens: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)
        self.last_from_user: dict[int, float] = {}  # chat -> when its user last wrote/pressed

    def _retry(self, hits: deque[float], limit: int, now: float) -> int | None:
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < limit:
            return None
        return max(1, math.ceil(hits[0] + self.window - now))

    def _chat_retry(self, chat_id: int, now: float) -> int | None:
        """A retry_after if the chat is over its limit (nothing recorded yet)."""
        assert self.chat_limit is not None
        if self.chat_burst <= 1:
            hits = self.chat_hits.setdefault(chat_id, deque())
            return self._retry(hits, self.chat_limit, now)
        tokens, at = self.chat_tokens.get(chat_id, (float(self.chat_burst), now))
        tokens = min(float(self.chat_burst), tokens + (now - at) * self.chat_limit)
        self.chat_tokens[chat_id] = (tokens, now)
        if tokens >= 1:
            return None
        return max(1, math.ceil((1 - tokens) / self.chat_limit))

    def _chat_record(self, chat_id: int, now: float) -> None:
        if self.chat_burst <= 1:
            self.chat_hits.setdefault(chat_id, deque()).append(now)
        else:
            tokens, at = self.chat_tokens[chat_id]
            self.chat_tokens[chat_id] = (tokens - 1, at)

    def hit(self, chat_id: int | None, now: float) -> int | None:
        """Record a request; return a retry_after (seconds) if it exceeds a limit."""
        by_chat = self.chat_limit is not None and chat_id is not None
        if by_chat:
            assert chat_id is not None
            retry = self._chat_retry(chat_id, now)
            if retry is not None:
                return retry
        reply = (
            self.replies_exempt is not None
            and chat_id is not None
            and now - self.last_from_user.get(chat_id, -math.inf) <= self.replies_exempt
        )
        if self.global_limit is not None and not reply:
            retry = self._retry(self.global_hits, self.global_limit, now)
            if retry is not None:
                return retry
            self.global_hits.append(now)
        if by_chat:
            assert chat_id is not None
            self._chat_record(chat_id, now)
        return None


def _is_send_like(method: str) -> bool:
    return (method.startswith("send") and method != "sendChatAction") or method in (
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    )


def _is_rate_limited(method: str) -> bool:
    return _is_send_like(method) or method.startswith("edit")


_MEDIA_KINDS = (
    "document",
    "photo",
    "audio",
    "video",
    "animation",
    "voice",
    "video_note",
    "sticker",
)
_FILE_PREFIX = {
    "document": "BQACAgQ",
    "photo": "AgACAgQ",
    "audio": "CQACAgQ",
    "video": "BAACAgQ",
    "animation": "CgACAgQ",
    "voice": "AwACAgQ",
    "video_note": "DQACAgQ",
    "sticker": "CAACAgQ",
}
_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    *_MEDIA_KINDS,
)


class FakeBotApi:
    """Fake Telegram Bot API server (aiohttp) with spec validation and simulated users.

    Use it as ``async with FakeBotApi() as api:`` (or :meth:`start`/:meth:`stop`), point PTB at
    :attr:`base_url`/:attr:`base_file_url`, create users with :meth:`user`.
    """

    #: every started instance (weakly referenced), checked for errors by the pytest plugin
    instances: ClassVar[weakref.WeakSet[FakeBotApi]] = weakref.WeakSet()

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
    ) -> None:
        self.spec = spec or load_spec()
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
    async def start(self) -> Self:
        """Start listening on ``host`` (random free port unless ``port`` was given)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        port = self._runner.addresses[0][1]
        self._url = f"http://{self.host}:{port}"
        FakeBotApi.instances.add(self)
        return self

    async def stop(self) -> None:
        """Release pending long polls and stop the server."""
        self._stopping = True
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("stop")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:PORT``."""
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
            self,
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

    # ================================================================== failures & limits
    def fail_next(
        self,
        method: str | None = None,
        error_code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        *,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Queue a failure for the next request(s) to ``method`` (None: any but getUpdates).

        429 answers carry ``parameters.retry_after`` (default 1 s) like Telegram's flood
        control; other codes get a Telegram-like default description.
        """
        canonical = None
        if method is not None:
            canonical = self.spec.canonical_method(method)
            if canonical is None:
                raise ValueError(f"unknown Bot API method {method!r}")
        parameters = None
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            description = {
                400: "Bad Request: injected failure",
                403: "Forbidden: bot was blocked by the user",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, f"Error {error_code}")
        self._failures.append(
            _Failure(canonical, error_code, description, parameters, chat_id, times)
        )

    def enforce_rate(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: int | None = 1,
        *,
        chat_burst: int = 1,
        replies_exempt: float | None = None,
    ) -> None:
        """Enable flood control on send*/copy*/forward*/edit* (pass None, None to disable);
        see :class:`_RateLimiter` for ``chat_burst`` and ``replies_exempt``."""
        if global_per_second is None and per_chat_per_second is None:
            self._rate = None
        else:
            self._rate = _RateLimiter(
                global_per_second, per_chat_per_second, chat_burst, replies_exempt
            )

    def _take_failure(self, method: str, chat_id: int | None) -> _Failure | None:
        for failure in self._failures:
            if failure.method is None and method == "getUpdates":
                continue
            if failure.method is not None and failure.method != method:
                continue
            if failure.chat_id is not None and failure.chat_id != chat_id:
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            return failure
        return None

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

    # ================================================================== HTTP
    def _respond(self, status: int, body: dict[str, Any]) -> web.Response:
        return web.Response(
            status=status, body=json.dumps(body, ensure_ascii=False), content_type=_JSON
        )

    def _error_response(self, err: ApiError) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": err.code,
            "description": err.description,
        }
        if err.parameters:
            body["parameters"] = err.parameters
        return self._respond(err.code, body)

    async def _read_params(
        self, request: web.Request, method: str
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.can_read_body:
            ctype = request.content_type
            if ctype == _JSON:
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise ValueError(f"can't parse JSON request body: {exc}") from exc
                if not isinstance(body, dict):
                    raise ValueError("JSON request body must be an object")
                params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = UploadedFile(
                            key, value.filename, value.content_type, value.file.read()
                        )
                    else:
                        params[key] = value
            else:
                data = await request.read()
                if data:
                    raise ValueError(f"unsupported Content-Type {ctype!r}")
        fields = self.spec.methods[method].fields
        for key, uploaded in files.items():
            if key not in params and key in fields:
                params[key] = uploaded
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            self.stats["401"] += 1
            return self._respond(
                401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        name = request.match_info["method"]
        method = self.spec.canonical_method(name)
        if method is None:
            self.errors.append(f"unknown Bot API method {name!r}")
            self.requests.append(RequestRecord(name, {}, time.time(), 404, "Not Found"))
            return self._respond(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        polling = method == "getUpdates"
        if not polling:
            self._inflight += 1
            self._last_activity = time.monotonic()
        try:
            return await self._process(request, method)
        finally:
            if not polling:
                self._inflight -= 1
                self._last_activity = time.monotonic()
                self._notify()

    async def _process(self, request: web.Request, method: str) -> web.Response:
        self.stats["requests"] += 1
        self.method_counts[method] += 1
        record = RequestRecord(method, {}, time.time())
        self.requests.append(record)
        try:
            raw, files = await self._read_params(request, method)
        except ValueError as exc:
            return self._invalid(record, [f"{method}: {exc}"])
        result = self.spec.validate_request(
            method, raw, files, self.parse_modes, self.tolerated_unknown_params
        )
        if result.warnings:
            self.warnings.extend(result.warnings)
        record.params = result.params
        record.files = files
        if result.errors:
            return self._invalid(record, result.errors)
        params = result.params
        params["_parsed"] = result.parsed_texts
        try:
            value = await self._dispatch(method, params, record)
        except ApiError as err:
            record.status, record.description = err.code, err.description
            self.stats[str(err.code)] += 1
            return self._error_response(err)
        finally:
            params.pop("_parsed", None)
        if self.self_check and method != "getUpdates" and self._should_self_check(method):
            schema = self.spec.methods[method]
            if schema.returns:
                for problem in self.spec.check_value(value, schema.returns):
                    self.errors.append(f"fakebot bug ({method} result): {problem}")
        record.status, record.result = 200, value
        return self._respond(200, {"ok": True, "result": value})

    def _should_self_check(self, method: str) -> bool:
        """Check the first results of each method, then one in 50 (keeps requests cheap)."""
        n = self.method_counts[method]
        return n <= 20 or n % 50 == 0

    def _invalid(self, record: RequestRecord, errors: list[str]) -> web.Response:
        self.errors.extend(errors)
        self.stats["invalid"] += 1
        desc = "Bad Request: " + "; ".join(errors)
        record.status, record.description = 400, desc
        return self._respond(400, {"ok": False, "error_code": 400, "description": desc})

    async def _dispatch(self, method: str, params: dict[str, Any], record: RequestRecord) -> Any:
        chat: ChatState | None = None
        if "chat_id" in params and params["chat_id"] is not None:
            chat = self._resolve_chat(params["chat_id"])
            if chat is None:
                raise ApiError(400, "Bad Request: chat not found")
            params["chat_id"] = chat.id
        if "from_chat_id" in params:
            source = self._resolve_chat(params["from_chat_id"])
            if source is None:
                raise ApiError(400, "Bad Request: chat not found")
            params["from_chat_id"] = source.id
        chat_id = chat.id if chat is not None else None
        failure = self._take_failure(method, chat_id)
        if failure is not None:
            raise ApiError(failure.code, failure.description, failure.parameters)
        if chat is not None and (_is_send_like(method) or method == "sendChatAction"):
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
        if self._rate is not None and _is_rate_limited(method):
            retry = self._rate.hit(chat_id, time.monotonic())
            if retry is not None:
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
        if method == "getUpdates":
            return await self._get_updates(params, record)
        handler = self._handlers.get(method)
        if handler is not None:
            value = handler(params, record)
            if isinstance(value, Awaitable):
                value = await value
            return value
        schema = self.spec.methods[method]
        if schema.returns and schema.returns[0] == TypeRef("Boolean"):
            return True
        self.errors.append(
            f"{method}: not emulated by the fake server (returns "
            f"{' or '.join(map(str, schema.returns))}); extend tests/fakebot/server.py"
        )
        raise ApiError(400, f"Bad Request: {method} is not emulated by the fake server")

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._respond(
                401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return self._respond(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    # ================================================================== helpers
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

    def _unique(self, prefix: str = "") -> str:
        self._counter += 1
        return f"{prefix}{self._counter:08d}"

    @staticmethod
    def _scope_key(scope: dict[str, Any] | None) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    def _chat_of(self, params: dict[str, Any]) -> ChatState:
        return self.chats[params["chat_id"]]

    def store_file(
        self,
        data: bytes,
        *,
        kind: str = "document",
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store file content and return it with fresh file_id/file_unique_id."""
        n = self._unique()
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'BQACAgQ')}AAxk{kind[:3]}{n}",
            file_unique_id=f"AgAD{n}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            kind=kind,
        )
        self.files[stored.file_id] = stored
        return stored

    @staticmethod
    def _attached(value: Any, record: RequestRecord) -> Any:
        """Resolve an ``attach://name`` reference of a nested object to the uploaded part."""
        if isinstance(value, str) and value.startswith("attach://"):
            return record.files[value[len("attach://") :]]  # existence checked by validation
        return value

    def _file_param(self, value: Any, kind: str, params: dict[str, Any]) -> StoredFile:
        if isinstance(value, UploadedFile):
            name = value.filename
            if kind == "photo":
                name = None
            mime = value.content_type
            if name and (not mime or mime == "application/octet-stream"):
                mime = mimetypes.guess_type(name)[0] or mime
            if kind == "photo":
                mime = None
            return self.store_file(value.data, kind=kind, file_name=name, mime_type=mime)
        if isinstance(value, str):
            stored = self.files.get(value)
            if stored is not None:
                return stored
            if value.startswith(("http://", "https://")):
                name = PurePosixPath(value.split("?", 1)[0]).name or None
                if kind == "photo":
                    name = None
                mime = mimetypes.guess_type(name)[0] if name else None
                return self.store_file(b"", kind=kind, file_name=name, mime_type=mime)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _media_object(self, stored: StoredFile, kind: str, params: dict[str, Any]) -> Any:
        base: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if kind == "photo":
            small = {
                **base,
                "file_id": stored.file_id + "_s",
                "file_unique_id": stored.file_unique_id + "s",
                "width": 90,
                "height": 90,
                "file_size": min(stored.file_size, 1500),
            }
            self.files.setdefault(small["file_id"], stored)
            return [small, {**base, "width": 800, "height": 800, "file_size": stored.file_size}]
        base["file_size"] = stored.file_size
        if kind in ("document", "audio", "video", "animation") and stored.file_name:
            base["file_name"] = stored.file_name
        if kind in ("document", "audio", "video", "animation", "voice") and stored.mime_type:
            base["mime_type"] = stored.mime_type
        duration = int(params.get("duration") or 0)
        if kind in ("audio", "voice"):
            base["duration"] = duration
        if kind in ("video", "animation"):
            base.update(
                width=int(params.get("width") or 640),
                height=int(params.get("height") or 360),
                duration=duration,
            )
        if kind == "video_note":
            base.update(length=int(params.get("length") or 240), duration=duration)
        if kind == "sticker":
            base.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
            if params.get("emoji"):
                base["emoji"] = params["emoji"]
        return base

    def _text_and_entities(
        self,
        params: dict[str, Any],
        field: str,
        entities_field: str,
        mode_field: str = "parse_mode",
    ) -> tuple[str, list[dict[str, Any]]]:
        """Plain text and entities of a text-like parameter, as Telegram would store them."""
        text = params[field]
        parsed = params.get("_parsed", {}).get(field)
        if parsed is None and params.get(mode_field) == "HTML":
            parsed = parse_html(text)  # nested texts (e.g. media group captions)
        if parsed is not None:
            plain, entities = parsed.text, list(parsed.entities)  # fresh per request
        else:
            plain, entities = text, list(params.get(entities_field) or [])
        # Telegram trims leading and trailing whitespace
        stripped = plain.strip()
        if stripped != plain:
            lead = utf16_len(plain) - utf16_len(plain.lstrip())
            size = utf16_len(stripped)
            kept = []
            for ent in entities:
                start = max(ent["offset"] - lead, 0)
                end = min(ent["offset"] + ent["length"] - lead, size)
                if end > start:
                    kept.append({**ent, "offset": start, "length": end - start})
            plain, entities = stripped, kept
        return plain, entities

    def _reply_to(self, chat: ChatState, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if not reply:
            return None
        target_chat = chat
        if reply.get("chat_id") is not None:
            found = self._resolve_chat(reply["chat_id"])
            if found is None:
                raise ApiError(400, "Bad Request: chat not found")
            target_chat = found
        target = target_chat.by_id.get(reply["message_id"])
        if target is None or target.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        raw = copy.deepcopy(target.raw)
        raw.pop("reply_to_message", None)
        return raw

    def _new_message(
        self,
        method: str,
        chat: ChatState,
        params: dict[str, Any],
        content: dict[str, Any],
        *,
        text: str | None = None,
        plain_text: str | None = None,
        caption: str | None = None,
        plain_caption: str | None = None,
        file: StoredFile | None = None,
        extra: dict[str, Any] | None = None,
    ) -> SentMessage:
        reply_to = self._reply_to(chat, params)
        mid = chat.new_message_id()
        now = int(time.time())
        raw: dict[str, Any] = {
            "message_id": mid,
            "from": dict(self.bot_user),
            "chat": chat.chat_dict,
            "date": now,
        }
        if extra:
            raw.update(extra)
        if reply_to is not None:
            raw["reply_to_message"] = reply_to
        if params.get("protect_content"):
            raw["has_protected_content"] = True
        raw.update(content)
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            raw["reply_markup"] = markup  # decoded for this request: owned, not copied
        msg = SentMessage(
            chat_id=chat.id,
            message_id=mid,
            method=method,
            date=now,
            raw=raw,
            text=text,
            plain_text=plain_text,
            caption=caption,
            plain_caption=plain_caption,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup if isinstance(markup, dict) else None,
            file=file,
            params={k: v for k, v in params.items() if k != "_parsed"},
        )
        chat.all_messages.append(msg)
        chat.by_id[mid] = msg
        self.sent.append(msg)
        chat.delivered += 1
        self.stats["delivered"] += 1
        self._notify()
        return msg

    def _caption_content(
        self, params: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None, str | None]:
        caption = params.get("caption")
        if caption is None:
            return {}, None, None
        plain, entities = self._text_and_entities(params, "caption", "caption_entities")
        content: dict[str, Any] = {}
        if plain:
            content["caption"] = plain
        if entities:
            content["caption_entities"] = entities
        return content, caption, plain

    def _send_media(self, kind: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_of(params)
        stored = self._file_param(params[kind], kind, params)
        content, caption, plain_caption = self._caption_content(params)
        content[kind] = self._media_object(stored, kind, params)
        if kind == "photo" and params.get("has_spoiler"):
            content["has_media_spoiler"] = True
        msg = self._new_message(
            method,
            chat,
            params,
            content,
            caption=caption,
            plain_caption=plain_caption,
            file=stored,
        )
        return msg.raw

    def _find_message(self, params: dict[str, Any], action: str) -> SentMessage:
        chat = self._chat_of(params)
        msg = chat.by_id.get(params["message_id"])
        if msg is None or msg.deleted:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return msg

    def _editable(self, params: dict[str, Any]) -> SentMessage | None:
        if params.get("inline_message_id") is not None:
            return None
        msg = self._find_message(params, "edit")
        if not msg.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def _apply_edit(self, msg: SentMessage, method: str, changes: dict[str, Any]) -> dict[str, Any]:
        new_raw = copy.deepcopy(msg.raw)
        for key in ("text", "entities", "caption", "caption_entities", "reply_markup"):
            if key in changes:
                if changes[key] in (None, [], ""):
                    new_raw.pop(key, None)
                else:
                    new_raw[key] = copy.deepcopy(changes[key])
        for key in _MEDIA_KINDS:
            if key in changes:
                for other in _MEDIA_KINDS:
                    new_raw.pop(other, None)
                new_raw[key] = changes[key]
        old_cmp = {k: v for k, v in msg.raw.items() if k != "edit_date"}
        new_cmp = {k: v for k, v in new_raw.items() if k != "edit_date"}
        if old_cmp == new_cmp:
            raise ApiError(400, NOT_MODIFIED)
        snapshot = msg.snapshot()
        snapshot["method"] = method
        snapshot["time"] = time.time()
        msg.edits.append(snapshot)
        new_raw["edit_date"] = int(time.time())
        msg.raw = new_raw
        for attr in ("text", "plain_text", "caption", "plain_caption", "reply_markup", "file"):
            if attr in changes.get("_attrs", {}):
                setattr(msg, attr, changes["_attrs"][attr])
        self._notify()
        return new_raw

    def _new_user_message(
        self,
        chat: ChatState,
        user: FakeUser,
        content: dict[str, Any],
        *,
        file: StoredFile | None = None,
    ) -> SentMessage:
        """Record a message sent by a simulated user (used by FakeUser)."""
        mid = chat.new_message_id()
        now = int(time.time())
        raw = {
            "message_id": mid,
            "from": user.user_dict,
            "chat": chat.chat_dict,
            "date": now,
            **content,
        }
        msg = SentMessage(
            chat_id=chat.id,
            message_id=mid,
            method="user",
            date=now,
            raw=raw,
            from_bot=False,
            text=content.get("text"),
            plain_text=content.get("text"),
            caption=content.get("caption"),
            plain_caption=content.get("caption"),
            file=file,
        )
        chat.all_messages.append(msg)
        chat.by_id[mid] = msg
        return msg

    # ================================================================== methods
    def _m_getme(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return dict(self.me)

    def _m_logout(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return True

    def _m_close(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return True

    def _m_setwebhook(self, params: dict[str, Any], record: RequestRecord) -> Any:
        self.webhook_url = params["url"]
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _m_deletewebhook(self, params: dict[str, Any], record: RequestRecord) -> Any:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    def _m_sendmessage(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        plain, entities = self._text_and_entities(params, "text", "entities")
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        msg = self._new_message(
            "sendMessage", chat, params, content, text=params["text"], plain_text=plain
        )
        return msg.raw

    def _m_senddocument(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("document", "sendDocument", params)

    def _m_sendphoto(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("photo", "sendPhoto", params)

    def _m_sendaudio(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("audio", "sendAudio", params)

    def _m_sendvideo(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("video", "sendVideo", params)

    def _m_sendanimation(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("animation", "sendAnimation", params)

    def _m_sendvoice(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("voice", "sendVoice", params)

    def _m_sendvideonote(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("video_note", "sendVideoNote", params)

    def _m_sendsticker(self, params: dict[str, Any], record: RequestRecord) -> Any:
        return self._send_media("sticker", "sendSticker", params)

    def _m_sendlocation(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        location: dict[str, Any] = {
            "latitude": float(params["latitude"]),
            "longitude": float(params["longitude"]),
        }
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if params.get(key) is not None:
                location[key] = params[key]
        msg = self._new_message("sendLocation", chat, params, {"location": location})
        return msg.raw

    def _m_sendvenue(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        venue: dict[str, Any] = {
            "location": location,
            "title": params["title"],
            "address": params["address"],
        }
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if params.get(key) is not None:
                venue[key] = params[key]
        msg = self._new_message(
            "sendVenue",
            chat,
            params,
            {"venue": venue, "location": dict(location)},
            text=None,
            plain_text=None,
        )
        return msg.raw

    def _m_sendcontact(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        contact = {"phone_number": params["phone_number"], "first_name": params["first_name"]}
        for key in ("last_name", "vcard"):
            if params.get(key):
                contact[key] = params[key]
        return self._new_message("sendContact", chat, params, {"contact": contact}).raw

    def _m_senddice(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        emoji = params.get("emoji") or "🎲"
        dice = {"emoji": emoji, "value": 1 + self._counter % 6}
        return self._new_message("sendDice", chat, params, {"dice": dice}).raw

    def _m_sendpoll(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        poll_id = self._unique("5")
        options = []
        for i, opt in enumerate(params["options"]):
            text = opt if isinstance(opt, str) else opt.get("text", "")
            options.append({"persistent_id": f"{poll_id}-{i}", "text": text, "voter_count": 0})
        poll: dict[str, Any] = {
            "id": poll_id,
            "question": params["question"],
            "options": options,
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": params.get("type") or "regular",
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": bool(params.get("allows_revoting", True)),
            "members_only": bool(params.get("members_only", False)),
        }
        msg = self._new_message("sendPoll", chat, params, {"poll": poll})
        self.polls[poll_id] = msg
        return msg.raw

    def _m_stoppoll(self, params: dict[str, Any], record: RequestRecord) -> Any:
        msg = self._find_message(params, "stop poll")
        poll = msg.raw.get("poll")
        if poll is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        if poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        poll["is_closed"] = True
        self._notify()
        return copy.deepcopy(poll)

    def _m_sendmediagroup(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        group_id = self._unique("1")
        out = []
        for item in params["media"]:
            kind = item["type"]
            media = self._attached(item["media"], record)
            stored = self._file_param(media, kind, item)
            sub = {**item, "_parsed": {}}
            content, caption, plain_caption = self._caption_content(sub)
            content[kind] = self._media_object(stored, kind, item)
            msg = self._new_message(
                "sendMediaGroup",
                chat,
                params,
                content,
                caption=caption,
                plain_caption=plain_caption,
                file=stored,
                extra={"media_group_id": group_id},
            )
            out.append(msg.raw)
        return out

    def _m_sendchataction(self, params: dict[str, Any], record: RequestRecord) -> Any:
        self.stats["chat_actions"] += 1
        return True

    def _copy_content(self, source: SentMessage, params: dict[str, Any]) -> dict[str, Any]:
        content = {k: copy.deepcopy(v) for k, v in source.raw.items() if k in _CONTENT_KEYS}
        if "caption" in params and any(k in content for k in _MEDIA_KINDS):
            cap_content, _, _ = self._caption_content(params)
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(cap_content)
        return content

    def _source_message(self, params: dict[str, Any], action: str) -> SentMessage:
        source_chat = self.chats[params["from_chat_id"]]
        source = source_chat.by_id.get(params["message_id"])
        if source is None or source.deleted:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return source

    def _m_copymessage(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        source = self._source_message(params, "copy")
        content = self._copy_content(source, params)
        msg = self._new_message(
            "copyMessage",
            chat,
            params,
            content,
            text=source.text,
            plain_text=source.plain_text,
            caption=params.get("caption", source.caption),
            plain_caption=content.get("caption"),
            file=source.file,
        )
        return {"message_id": msg.message_id}

    def _m_forwardmessage(self, params: dict[str, Any], record: RequestRecord) -> Any:
        chat = self._chat_of(params)
        source = self._source_message(params, "forward")
        content = {k: copy.deepcopy(v) for k, v in source.raw.items() if k in _CONTENT_KEYS}
        origin = {"type": "user", "date": source.date, "sender_user": source.raw["from"]}
        content["forward_origin"] = origin
        msg = self._new_message(
            "forwardMessage",
            chat,
            params,
            content,
            text=source.text,
            plain_text=source.plain_text,
            caption=source.caption,
            plain_caption=source.plain_caption,
            file=source.file,
        )
        return msg.raw

    def _m_copymessages(self, params: dict[str, Any], record: RequestRecord) -> Any:
        out = []
        for mid in params["message_ids"]:
            sub = {**params, "message_id": mid}
            sub.pop("message_ids", None)
            out.append(self._m_copymessage(sub, record))
        return out

    def _m_forwardmessages(self, params: dict[str, Any], record: RequestRecord) -> Any:
        out = []
        for mid in params["message_ids"]:
            sub = {**params, "message_id": mid}
            sub.pop("message_ids", None)
            out.append({"message_id": self._m_forwardmessage(sub, record)["message_id"]})
        return out

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
