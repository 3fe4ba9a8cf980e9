"""The chats the sandbox page shows, from the local Bot API server's records.

Every change the page must see (a new message, an edit, a deletion, a callback answer)
gets a sequence number, shared by every chat: the page asks for what changed after the
last number it saw (``GET /api/chats/{user_id}?after=n``) and listens to the events
(``GET /api/events``) to know when to ask. An edited message comes again with its new
number and the same ``message_id`` (the page updates it in place); a deleted one comes again
with ``"deleted": true``. The photos of an album are one message (the first one's id).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.botapi import FakeBotApi, SentMessage
from bot.sandbox.render import to_html

log = logging.getLogger(__name__)

Version = tuple[int, bool]


@dataclass
class _Seen:
    """What the feed knows of one message: the version it numbered, its number, its date."""

    version: Version
    seq: int
    date: str


@dataclass
class Notice:
    """A callback answer shown to the user: a toast, or an alert when ``alert``."""

    seq: int
    text: str
    alert: bool


@dataclass
class _ChatLog:
    seen: dict[int, _Seen] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)


def file_url(file_id: str) -> str:
    """The page's address of a file the local server keeps."""
    return f"/files/{file_id}"


def map_url(latitude: float, longitude: float) -> str:
    """A map of a point (OpenStreetMap; the page opens it in a new tab)."""
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"
        f"#map=17/{latitude:.6f}/{longitude:.6f}"
    )


def _buttons(message: SentMessage) -> list[list[dict[str, str]]]:
    rows = []
    for row in message.raw.get("reply_markup", {}).get("inline_keyboard", []):
        out = []
        for button in row:
            item = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                item["data"] = str(button["callback_data"])
            if "url" in button:
                item["url"] = str(button["url"])
            out.append(item)
        rows.append(out)
    return rows


def _html(raw: dict[str, Any]) -> str:
    if "text" in raw:
        return to_html(raw.get("text"), raw.get("entities"))
    return to_html(raw.get("caption"), raw.get("caption_entities"))


def _photo_url(raw: dict[str, Any]) -> str | None:
    sizes = raw.get("photo") or []
    return file_url(sizes[-1]["file_id"]) if sizes else None


class ChatFeed:
    """Numbers the changes of the watched chats and tells the listeners of the events."""

    def __init__(self, api: FakeBotApi, now: Callable[[], dt.datetime]) -> None:
        self.api = api
        self.now = now
        self.seq = 0
        self._chats: dict[int, _ChatLog] = {}
        self._answers_seen: set[str] = set()
        self._errors_seen = 0
        self._subscribers: list[asyncio.Queue[dict[str, Any] | None]] = []
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        """Listen to the server's changes (numbered in a background task)."""
        self.api.listeners.append(self._dirty.set)
        self._task = asyncio.create_task(self._watch(), name="sandbox chat feed")

    async def stop(self) -> None:
        """Stop listening."""
        with contextlib.suppress(ValueError):
            self.api.listeners.remove(self._dirty.set)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def watch(self, chat_id: int) -> None:
        """Number the changes of this chat (a persona's) from now on."""
        self._chats.setdefault(chat_id, _ChatLog())
        self._dirty.set()

    async def _watch(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                self.scan()
            except Exception:  # never let the page's feed stop the sandbox
                log.exception("sandbox: the chat feed failed to read a change")
            await asyncio.sleep(0.02)  # a burst of changes: one scan

    # --- events -----------------------------------------------------------------------
    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        """A queue of the events (``{"user_id", "seq"}``, ``{"clock"}``, ``{"reset"}``; None:
        the end)."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=1000)
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        """Forget a queue (the page went away)."""
        with contextlib.suppress(ValueError):
            self._subscribers.remove(queue)

    def close_subscribers(self) -> None:
        """End every event stream (the web server is stopping)."""
        for queue in self._subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self._subscribers.clear()

    def take_subscribers(self, other: ChatFeed) -> None:
        """Keep the listeners of a feed this one replaces (after a reset)."""
        self._subscribers.extend(other._subscribers)
        other._subscribers.clear()

    def publish(self, event: dict[str, Any]) -> None:
        """Tell every listener (a listener too slow to keep up loses the oldest event)."""
        for queue in list(self._subscribers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    # --- numbering --------------------------------------------------------------------
    def scan(self) -> None:
        """Number what changed in the watched chats since the last scan; tell the listeners."""
        self._log_invalid_requests()
        changed: dict[int, int] = {}
        for chat_id, chat_log in self._chats.items():
            chat = self.api.chats.get(chat_id)
            if chat is None:
                continue
            for message in chat.all_messages:
                version = (len(message.edits), message.deleted)
                seen = chat_log.seen.get(message.message_id)
                if seen is not None and seen.version == version:
                    continue
                self.seq += 1
                date = seen.date if seen else self.now().isoformat()
                chat_log.seen[message.message_id] = _Seen(version, self.seq, date)
                changed[chat_id] = self.seq
        for qid, answer in self.api.callback_answers.items():
            if qid in self._answers_seen:
                continue
            self._answers_seen.add(qid)
            query = self.api.callback_queries.get(qid, {})
            chat_id = int(query.get("from", {}).get("id", 0))
            if answer.text and chat_id in self._chats:
                self.seq += 1
                self._chats[chat_id].notices.append(
                    Notice(self.seq, answer.text, answer.show_alert)
                )
                changed[chat_id] = self.seq
        for chat_id, seq in changed.items():
            self.publish({"user_id": chat_id, "seq": seq})

    def _log_invalid_requests(self) -> None:
        """A request the real Telegram would refuse is a warning in the log, never a crash."""
        for error in self.api.errors[self._errors_seen :]:
            # what was wrong, not what the message said (it may hold a name): cut at a quote
            reason = error.splitlines()[0].split("'", 1)[0].split('"', 1)[0][:200]
            log.warning("sandbox: invalid Bot API request: %s", reason.rstrip(" :"))
        self._errors_seen = len(self.api.errors)

    # --- serving ----------------------------------------------------------------------
    def chat(self, chat_id: int, after: int = 0) -> dict[str, Any]:
        """What changed in a chat after ``after``: messages, notices, the command menu."""
        self.scan()
        chat_log = self._chats.get(chat_id, _ChatLog())
        chat = self.api.chats.get(chat_id)
        messages: list[dict[str, Any]] = []
        if chat is not None:
            groups: dict[str, list[SentMessage]] = {}
            for message in chat.all_messages:
                group = message.raw.get("media_group_id")
                if group is not None:
                    groups.setdefault(str(group), []).append(message)
            done: set[str] = set()
            for message in chat.all_messages:
                group = message.raw.get("media_group_id")
                members = groups[str(group)] if group is not None else [message]
                if group is not None:
                    if str(group) in done:
                        continue
                    done.add(str(group))
                seqs = [
                    chat_log.seen[m.message_id].seq
                    for m in members
                    if m.message_id in chat_log.seen
                ]
                if not seqs or max(seqs) <= after:
                    continue
                messages.append(self._message(members, max(seqs), chat_log))
        messages.sort(key=lambda m: int(m["seq"]))
        notices = [
            {"seq": n.seq, "text": n.text, "alert": n.alert}
            for n in chat_log.notices
            if n.seq > after
        ]
        return {
            "seq": self.seq,
            "messages": messages,
            "notices": notices,
            "commands": self.commands(chat_id),
        }

    def _message(self, members: list[SentMessage], seq: int, chat_log: _ChatLog) -> dict[str, Any]:
        first = members[0]
        raw = first.raw
        seen = chat_log.seen.get(first.message_id)
        out: dict[str, Any] = {
            "message_id": first.message_id,
            "seq": seq,
            "from": "bot" if first.from_bot else "user",
            "html": _html(raw),
            "date": seen.date if seen else self.now().isoformat(),
            "edited": any(m.edits for m in members),
            "buttons": _buttons(first),
        }
        if any(m.deleted for m in members):
            out["deleted"] = True
        if len(members) > 1 or raw.get("media_group_id") is not None:
            out["html"] = ""
            out["album"] = [
                {"url": _photo_url(m.raw) or self._document_url(m.raw), "html": _html(m.raw)}
                for m in members
            ]
            return out
        document = raw.get("document")
        if document:
            out["document"] = {
                "name": document.get("file_name") or "file",
                "url": file_url(document["file_id"]),
            }
        photo = _photo_url(raw)
        if photo:
            out["photo"] = {"url": photo}
        venue = raw.get("venue")
        if venue:
            location = venue.get("location", {})
            out["venue"] = {
                "title": venue.get("title", ""),
                "address": venue.get("address", ""),
                "map_url": map_url(
                    float(location.get("latitude", 0)), float(location.get("longitude", 0))
                ),
            }
        return out

    @staticmethod
    def _document_url(raw: dict[str, Any]) -> str:
        document = raw.get("document") or {}
        return file_url(document["file_id"]) if "file_id" in document else ""

    def commands(self, chat_id: int) -> list[dict[str, str]]:
        """The command menu Telegram shows in this chat: the narrowest scope the bot set."""
        user = self.api.users.get(chat_id)
        language = (user.language_code or "") if user is not None else ""
        scopes: list[dict[str, Any]] = [
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
        for scope in scopes:
            for code in ([language] if language else []) + [""]:
                found = self.api.get_commands(scope, code)
                if found:
                    return [
                        {"command": str(c["command"]), "description": str(c["description"])}
                        for c in found
                    ]
        return []


def sse(event: dict[str, Any]) -> bytes:
    """One Server-Sent Event."""
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()
