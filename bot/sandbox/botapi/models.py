"""Data kept by the fake server: chats, transcripts, files, request log."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CallbackAnswer",
    "ChatState",
    "RequestRecord",
    "SentMessage",
    "StoredFile",
]


@dataclass(slots=True)
class StoredFile:
    """A file known to the fake server (uploaded by the bot or sent by a simulated user)."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    kind: str = "document"
    file_path: str = ""

    @property
    def file_size(self) -> int:
        """Size of the content in bytes."""
        return len(self.data)


@dataclass(slots=True)
class RequestRecord:
    """One request received by the server (kept in :attr:`FakeBotApi.requests`)."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 0
    description: str | None = None
    result: Any = None
    files: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if the request was answered with HTTP 200."""
        return self.status == 200


@dataclass(slots=True)
class CallbackAnswer:
    """What the bot answered to a callback query (``answerCallbackQuery``)."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    time: float


@dataclass(eq=False)
class SentMessage:
    """A message in a chat transcript.

    ``text`` is the text exactly as the bot sent it (HTML markup included); ``plain_text`` is the
    text after entity parsing (what the user sees). ``raw`` is the Telegram ``Message`` object as
    the Bot API would return it now (it follows edits). ``edits`` holds the previous versions.
    """

    chat_id: int
    message_id: int
    method: str
    date: int
    raw: dict[str, Any]
    from_bot: bool = True
    text: str | None = None
    plain_text: str | None = None
    caption: str | None = None
    plain_caption: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    file: StoredFile | None = None
    params: dict[str, Any] = field(default_factory=dict)
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    # ------------------------------------------------------------------ content helpers
    @property
    def content(self) -> str:
        """``plain_text`` or ``plain_caption`` (whatever the user reads), or ``""``."""
        return self.plain_text or self.plain_caption or ""

    @property
    def edit_count(self) -> int:
        """How many times the message was edited."""
        return len(self.edits)

    @property
    def edited(self) -> list[dict[str, Any]]:
        """Edit history: snapshots of the message *before* each edit (oldest first)."""
        return self.edits

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Rows of inline buttons (empty if the message has no inline keyboard)."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Inline buttons as a flat list of ``(text, callback_data or url or None)``."""
        out: list[tuple[str, str | None]] = []
        for row in self.inline_keyboard:
            for button in row:
                out.append((button.get("text", ""), button.get("callback_data", button.get("url"))))
        return out

    @property
    def button_texts(self) -> list[str]:
        """Texts of the inline buttons, flat."""
        return [text for text, _ in self.buttons]

    @property
    def reply_keyboard(self) -> list[list[str]]:
        """Rows of texts of a ReplyKeyboardMarkup (empty if none)."""
        if not self.reply_markup or "keyboard" not in self.reply_markup:
            return []
        return [
            [b if isinstance(b, str) else b.get("text", "") for b in row]
            for row in self.reply_markup["keyboard"]
        ]

    @property
    def document(self) -> dict[str, Any] | None:
        """The ``document`` object of the message, if any."""
        return self.raw.get("document")

    @property
    def document_bytes(self) -> bytes | None:
        """Content of the sent file (document, photo, ...), if any."""
        return self.file.data if self.file else None

    @property
    def filename(self) -> str | None:
        """File name of the sent file, if any."""
        return self.file.file_name if self.file else None

    @property
    def mime_type(self) -> str | None:
        """MIME type of the sent file, if any."""
        return self.file.mime_type if self.file else None

    @property
    def venue(self) -> dict[str, Any] | None:
        """The ``venue`` object of the message, if any."""
        return self.raw.get("venue")

    @property
    def location(self) -> dict[str, Any] | None:
        """The ``location`` object of the message, if any."""
        return self.raw.get("location")

    @property
    def photo(self) -> list[dict[str, Any]] | None:
        """The ``photo`` sizes of the message, if any."""
        return self.raw.get("photo")

    @property
    def poll(self) -> dict[str, Any] | None:
        """The ``poll`` object of the message, if any."""
        return self.raw.get("poll")

    @property
    def entities(self) -> list[dict[str, Any]]:
        """Entities of the text (or caption) as Telegram would report them."""
        return list(self.raw.get("entities") or self.raw.get("caption_entities") or [])

    def snapshot(self) -> dict[str, Any]:
        """A copy of the editable state (used for the edit history)."""
        return {
            "text": self.text,
            "plain_text": self.plain_text,
            "caption": self.caption,
            "plain_caption": self.plain_caption,
            "reply_markup": copy.deepcopy(self.reply_markup),
            "raw": copy.deepcopy(self.raw),
        }

    def __repr__(self) -> str:
        what = self.plain_text if self.plain_text is not None else self.plain_caption
        if what is not None and len(what) > 80:
            what = what[:77] + "..."
        extra = ""
        if self.file is not None:
            extra += f" file={self.file.file_name!r}"
        if self.buttons:
            extra += f" buttons={self.button_texts!r}"
        if self.edits:
            extra += f" edits={len(self.edits)}"
        if self.deleted:
            extra += " DELETED"
        return f"<{self.method} #{self.message_id} {what!r}{extra}>"


@dataclass(eq=False)
class ChatState:
    """State of one chat: identity, message-id counter and transcript."""

    id: int
    type: str = "private"
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    title: str | None = None
    blocked: bool = False
    deactivated: bool = False
    next_message_id: int = 1
    all_messages: list[SentMessage] = field(default_factory=list)
    by_id: dict[int, SentMessage] = field(default_factory=dict)
    delivered: int = 0
    menu_button: dict[str, Any] | None = None

    def new_message_id(self) -> int:
        """Allocate the next message id of the chat (shared by both directions)."""
        mid = self.next_message_id
        self.next_message_id += 1
        return mid

    @property
    def chat_dict(self) -> dict[str, Any]:
        """The ``Chat`` object of this chat."""
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.first_name or ""
            if self.last_name:
                out["last_name"] = self.last_name
        elif self.title is not None:
            out["title"] = self.title
        if self.username:
            out["username"] = self.username
        return out

    @property
    def messages(self) -> list[SentMessage]:
        """Messages the bot sent to this chat and did not delete, in order."""
        return [m for m in self.all_messages if m.from_bot and not m.deleted]

    @property
    def bot_messages(self) -> list[SentMessage]:
        """Every message the bot sent to this chat, deleted ones included."""
        return [m for m in self.all_messages if m.from_bot]

    @property
    def user_messages(self) -> list[SentMessage]:
        """Messages the simulated user sent in this chat."""
        return [m for m in self.all_messages if not m.from_bot]

    @property
    def deleted(self) -> list[SentMessage]:
        """Messages deleted by the bot."""
        return [m for m in self.all_messages if m.deleted]
