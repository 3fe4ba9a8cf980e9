"""The outbox's delivery through the Bot API (python-telegram-bot), errors mapped to outcomes."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.outbox import Blocked, DeliveryFailed, Outgoing, RetryLater
from bot.replies import Keyboard

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def inline_keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    """Inline keyboard markup for domain buttons (None when there are none)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row]
            for row in buttons
        ]
    )


class TelegramTransport:
    """Sends outbox messages with a PTB bot (whose rate limiter paces them)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, user_id: int, message: Outgoing) -> int:
        """Send a text or copy a message to ``user_id``; returns the new message id."""
        try:
            if message.copy_from_chat is not None and message.copy_message_id is not None:
                copied = await self.bot.copy_message(
                    user_id, message.copy_from_chat, message.copy_message_id
                )
                return copied.message_id
            if message.photo is not None:
                photo = await self.bot.send_photo(
                    user_id,
                    photo=message.photo,
                    caption=message.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=inline_keyboard(message.buttons),
                )
                return photo.message_id
            if message.document is not None:
                name, content = message.document
                sent = await self.bot.send_document(
                    user_id,
                    document=content,
                    filename=name,
                    caption=message.text,
                    parse_mode=ParseMode.HTML,
                )
                return sent.message_id
            sent = await self.bot.send_message(
                user_id,
                message.text or "",
                parse_mode=ParseMode.HTML,
                link_preview_options=_NO_PREVIEW,
                reply_markup=inline_keyboard(message.buttons),
            )
            return sent.message_id
        except Forbidden as exc:
            raise Blocked from exc
        except RetryAfter as exc:
            raise RetryLater(
                exc.retry_after.total_seconds()
                if hasattr(exc.retry_after, "total_seconds")
                else float(exc.retry_after)
            ) from exc
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
            await self.bot.edit_message_text(
                message.text or "",
                chat_id=user_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=_NO_PREVIEW,
                reply_markup=inline_keyboard(message.buttons),
            )
        except BadRequest:
            pass  # "message is not modified", or deleted by the user
        except Forbidden as exc:
            raise Blocked from exc
