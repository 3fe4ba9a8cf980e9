"""Turning a domain :class:`~bot.replies.Outcome` into Bot API calls."""

from __future__ import annotations

import contextlib
import logging

from telegram import (
    CallbackQuery,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.app import set_user_menu
from bot.context import PsmContext
from bot.registration import Who
from bot.replies import Copy, Document, Message, Outcome, Photo, Reply, VenuePin
from bot.transport import inline_keyboard

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def who(update: Update) -> Who:
    """The domain view of the user behind an update."""
    user = update.effective_user
    assert user is not None
    return Who(user.id, user.first_name, user.last_name, user.language_code)


async def send(context: PsmContext, chat_id: int, reply: Reply) -> None:
    """Send one reply to a chat."""
    bot = context.bot
    if isinstance(reply, Message):
        await bot.send_message(
            chat_id,
            reply.text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=inline_keyboard(reply.buttons),
        )
    elif isinstance(reply, VenuePin):
        await bot.send_venue(
            chat_id,
            latitude=reply.latitude,
            longitude=reply.longitude,
            title=reply.title,
            address=reply.address,
        )
    elif isinstance(reply, Copy):
        await bot.copy_message(chat_id, reply.from_chat, reply.message_id)
    elif isinstance(reply, Document):
        await bot.send_document(
            chat_id,
            document=reply.content,
            filename=reply.filename,
            caption=reply.caption or None,
            parse_mode=ParseMode.HTML,
        )
    elif isinstance(reply, Photo):
        await bot.send_photo(
            chat_id,
            photo=reply.content,
            filename=reply.filename,
            caption=reply.caption or None,
            parse_mode=ParseMode.HTML,
        )


async def render(context: PsmContext, update: Update, outcome: Outcome) -> None:
    """Answer the button press (if any), send the replies, then notify other users."""
    query: CallbackQuery | None = update.callback_query
    if query is not None:
        text = outcome.alert or outcome.toast
        await query.answer(text=text, show_alert=outcome.alert is not None)
        if outcome.edit is not None and query.message is not None:
            with contextlib.suppress(BadRequest):  # unchanged, or too old to edit
                await query.edit_message_text(
                    outcome.edit.text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=inline_keyboard(outcome.edit.buttons),
                )
        elif outcome.close_keyboard and query.message is not None:
            with contextlib.suppress(BadRequest):  # already without buttons, or too old
                await query.edit_message_reply_markup(reply_markup=None)
    chat = update.effective_chat
    for user_id in outcome.refresh_menus:
        await set_user_menu(context.bot, context.services, user_id)
    if chat is not None:
        for reply in outcome.replies:
            await send(context, chat.id, reply)
    for notice in outcome.notices:
        try:
            for reply in notice.replies:
                await send(context, notice.user_id, reply)
        except Forbidden:
            await context.services.users.set_reachable(notice.user_id, False)
        except TelegramError as exc:
            log.warning("could not notify a participant: %s", type(exc).__name__)
