"""The one mapping from a domain reply to Bot API calls, used by handlers and by the outbox.

- Texts and captions are HTML; link previews are off: the Application's PTB ``Defaults``
  (:func:`bot.app.build_application`), not repeated on every call. A text longer than
  Telegram allows (4,096 visible characters) goes as several messages split at paragraph
  boundaries, with the buttons on the last part; a caption over 1,024 goes with its file as
  far as it fits and the rest follows as messages (see :mod:`bot.textsplit`).
- Button labels are plain text: a catalog message (HTML with escaped values) is unescaped.
- An edit that Telegram refuses because the message cannot be edited any more (deleted, too
  old, not a text) becomes a new message; "message is not modified" is a success.
- :class:`TelegramTransport` delivers outbox rows and maps Bot API errors to the outbox's
  outcomes (blocked, retry later, failed).
"""

from __future__ import annotations

import contextlib
import html
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram import Message as TelegramMessage
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot.kernel.i18n import Raw
from bot.kernel.outbox import Blocked, DeliveryFailed, Outgoing, RetryLater
from bot.kernel.replies import Album, Copy, Document, Keyboard, Message, Photo, Reply
from bot.kernel.textsplit import CAPTION_LIMIT, TEXT_LIMIT, split_html
from handlers.ratelimit import BULK, Pace, retry_seconds

_NOT_MODIFIED = "message is not modified"


def label_text(label: str) -> str:
    """A button label as plain text (catalog messages are HTML with escaped values)."""
    return html.unescape(label) if isinstance(label, Raw) else label


def inline_keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    """Inline keyboard markup for domain buttons (None when there are none)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label_text(b.label), callback_data=b.data, url=b.url)
                for b in row
            ]
            for row in buttons
        ]
    )


def as_reply(message: Outgoing) -> Reply:
    """The domain reply an outbox message stands for."""
    if message.copy_from_chat is not None and message.copy_message_id is not None:
        return Copy(message.copy_from_chat, message.copy_message_id)
    if message.photo is not None:
        return Photo(message.photo, message.text or "", buttons=message.buttons)
    if message.document is not None:
        name, content = message.document
        return Document(name, content, message.text or "", buttons=message.buttons)
    return Message(message.text or "", message.buttons)


class BotApi:
    """Sends and edits domain replies with a PTB bot (whose rate limiter paces them)."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def send(self, chat_id: int, reply: Reply, pace: Pace | None = None) -> int:
        """Send ``reply`` (in as many messages as it needs); returns the last message's id."""
        if isinstance(reply, Message):
            return await self._send_text(chat_id, reply.text, reply.buttons, pace)
        if isinstance(reply, Copy):
            copied = await self.bot.copy_message(
                chat_id,
                reply.from_chat,
                reply.message_id,
                parse_mode=None,  # no new caption: the copy keeps the organiser's formatting
                rate_limit_args=pace,
            )
            return copied.message_id
        if isinstance(reply, Album):
            return await self._send_album(chat_id, reply, pace)
        return await self._send_media(chat_id, reply, pace)

    async def _send_album(self, chat_id: int, reply: Album, pace: Pace | None) -> int:
        """Photos by file_id, 10 an album (Telegram's limit); one alone as a photo."""
        last = 0
        for start in range(0, len(reply.photos), 10):
            chunk = reply.photos[start : start + 10]
            if len(chunk) == 1:
                file_id, caption = chunk[0]
                sent = await self.bot.send_photo(
                    chat_id,
                    photo=file_id,
                    caption=caption or None,
                    rate_limit_args=pace,
                )
                last = sent.message_id
                continue
            media = [
                InputMediaPhoto(file_id, caption=caption or None) for file_id, caption in chunk
            ]
            album = await self.bot.send_media_group(chat_id, media, rate_limit_args=pace)
            last = album[-1].message_id
        return last

    async def _send_text(
        self, chat_id: int, text: str, buttons: Keyboard, pace: Pace | None
    ) -> int:
        parts = split_html(text, TEXT_LIMIT)
        sent: TelegramMessage | None = None
        for number, part in enumerate(parts, start=1):
            sent = await self.bot.send_message(
                chat_id,
                part,
                reply_markup=inline_keyboard(buttons) if number == len(parts) else None,
                rate_limit_args=pace,
            )
        assert sent is not None
        return sent.message_id

    async def _send_media(self, chat_id: int, reply: Document | Photo, pace: Pace | None) -> int:
        parts = split_html(reply.caption, CAPTION_LIMIT) if reply.caption else [""]
        caption, rest = parts[0], parts[1:]
        markup = None if rest else inline_keyboard(reply.buttons)
        if isinstance(reply, Document):
            sent = await self.bot.send_document(
                chat_id,
                document=reply.content,
                filename=reply.filename,
                caption=caption or None,
                reply_markup=markup,
                rate_limit_args=pace,
            )
        else:
            sent = await self.bot.send_photo(
                chat_id,
                photo=reply.content,
                filename=reply.filename,
                caption=caption or None,
                reply_markup=markup,
                rate_limit_args=pace,
            )
        if rest:
            return await self._send_text(chat_id, "\n\n".join(rest), reply.buttons, pace)
        return sent.message_id

    async def edit(
        self, chat_id: int, message_id: int, message: Message, pace: Pace | None = None
    ) -> int:
        """Show ``message`` in place of ``message_id`` (parts beyond the first follow as new
        messages); a message that can no longer be edited is sent anew. Returns the id of the
        message that carries the buttons."""
        parts = split_html(message.text, TEXT_LIMIT)
        first, rest = parts[0], parts[1:]
        try:
            await self.bot.edit_message_text(
                first,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=None if rest else inline_keyboard(message.buttons),
                rate_limit_args=pace,
            )
        except BadRequest as exc:
            if _NOT_MODIFIED not in exc.message.lower():
                return await self._send_text(chat_id, message.text, message.buttons, pace)
        if rest:
            return await self._send_text(chat_id, "\n\n".join(rest), message.buttons, pace)
        return message_id

    async def remove_buttons(self, chat_id: int, message_id: int) -> None:
        """Take the buttons off a message (already without, or too old: nothing to do)."""
        with contextlib.suppress(BadRequest):
            await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=None
            )


class TelegramTransport:
    """Delivers outbox messages (bulk lane unless a person waits for them)."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.api = BotApi(bot)

    async def deliver(self, user_id: int, message: Outgoing, *, bulk: bool = True) -> int:
        """Send (or edit in place) one outbox message to ``user_id``; returns its message id."""
        pace = BULK if bulk else None
        try:
            reply = as_reply(message)
            if message.edit_message_id is not None and isinstance(reply, Message):
                return await self.api.edit(user_id, message.edit_message_id, reply, pace)
            return await self.api.send(user_id, reply, pace)
        except Forbidden as exc:
            raise Blocked from exc
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise Blocked from exc
            raise DeliveryFailed(exc.message) from exc
        except (TimedOut, NetworkError) as exc:
            # The message may or may not have arrived: retrying risks one duplicate,
            # not retrying risks a loss; a reminder is worth the duplicate.
            raise RetryLater(5.0) from exc

    async def edit(self, user_id: int, message_id: int, message: Outgoing) -> None:
        """Edit a message's text and buttons; an unchanged or vanished message is ignored."""
        try:
            await self.api.bot.edit_message_text(
                message.text or "",
                chat_id=user_id,
                message_id=message_id,
                reply_markup=inline_keyboard(message.buttons),
            )
        except BadRequest:
            pass  # "message is not modified", or deleted by the user
        except Forbidden as exc:
            raise Blocked from exc
