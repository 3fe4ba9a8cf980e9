"""What the domain logic answers, independent of Telegram: texts, buttons, files, photos, copies.

Handlers turn these into Bot API calls; the domain never touches Telegram objects.
Texts are HTML (see :mod:`bot.i18n`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    """An inline button: either callback data or a URL.

    The label is plain text for Telegram; a catalog message (:class:`bot.i18n.Raw`, HTML with
    escaped values) is turned back into plain text where buttons become Bot API markup.
    """

    label: str
    data: str | None = None
    url: str | None = None


Keyboard = list[list[Button]]


@dataclass(frozen=True)
class Message:
    """A text message, optionally with an inline keyboard."""

    text: str
    buttons: Keyboard = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    """A file to send, with an optional caption (HTML) and buttons."""

    filename: str
    content: bytes
    caption: str = ""
    buttons: Keyboard = field(default_factory=list)


@dataclass(frozen=True)
class Copy:
    """A copy of an existing message (e.g. a broadcast preview)."""

    from_chat: int
    message_id: int


@dataclass(frozen=True)
class Photo:
    """An image (a results chart), with an optional caption (HTML) and buttons."""

    content: bytes
    caption: str = ""
    filename: str = "chart.png"
    buttons: Keyboard = field(default_factory=list)


@dataclass(frozen=True)
class Album:
    """Photos already on Telegram, sent again by their ``file_id`` as one album (2-10; one
    alone is sent as a photo), each with an optional caption (HTML)."""

    photos: list[tuple[str, str]]  # (file_id, caption)


Reply = Message | Document | Copy | Photo | Album


@dataclass(frozen=True)
class Notice:
    """Messages for another user (e.g. someone promoted from a waiting list)."""

    user_id: int
    replies: list[Reply]


@dataclass
class Outcome:
    """Everything one user action produces."""

    replies: list[Reply] = field(default_factory=list)
    alert: str | None = None  # shown as a pop-up when the action was a button press
    toast: str | None = None  # shown briefly when the action was a button press
    notices: list[Notice] = field(default_factory=list)
    close_keyboard: bool = True  # remove the buttons of the message that was pressed
    refresh_menus: list[int] = field(default_factory=list)  # users whose menu changed
    edit: Message | None = None  # replace the pressed message (text and buttons) with this
    # A conversation's next step: the first message replaces the pressed one (one call
    # instead of removing its buttons and sending a new message).
    in_place: bool = False
    deliver: list[str] = field(default_factory=list)  # outbox rows (dedupe keys) to send now

    def add(self, *replies: Reply) -> Outcome:
        """Append replies and return self, for chaining."""
        self.replies.extend(replies)
        return self
