"""What the local Bot API server's modules share: constants, the error answer, flood control."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any, TypeVar

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
