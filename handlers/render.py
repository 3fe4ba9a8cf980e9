"""Turning a domain :class:`~bot.replies.Outcome` into Bot API calls (through bot.transport)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.error import Forbidden, TelegramError

from bot.kernel.i18n import Raw
from bot.kernel.people import Who
from bot.kernel.replies import Message, Outcome, Reply
from handlers.bot_api import BotApi
from handlers.context import PsmContext
from handlers.menus import set_user_menu

log = logging.getLogger(__name__)


def who(update: Update) -> Who:
    """The domain view of the user behind an update."""
    user = update.effective_user
    assert user is not None
    return Who(user.id, user.first_name, user.last_name, user.language_code)


def merge_messages(replies: list[Reply]) -> list[Reply]:
    """Consecutive texts as one message where the earlier ones have no buttons (a note and
    the question after it, a confirmation and its programme): one Bot API call, not two."""
    merged: list[Reply] = []
    for reply in replies:
        previous = merged[-1] if merged else None
        if isinstance(reply, Message) and isinstance(previous, Message) and not previous.buttons:
            merged[-1] = Message(Raw(f"{previous.text}\n\n{reply.text}"), reply.buttons)
        else:
            merged.append(reply)
    return merged


async def send(context: PsmContext, chat_id: int, reply: Reply) -> None:
    """Send one reply to a chat."""
    await BotApi(context.bot).send(chat_id, reply)


async def render(context: PsmContext, update: Update, outcome: Outcome) -> None:
    """Answer the button press (if any), send the replies, then notify other users."""
    api = BotApi(context.bot)
    replies = merge_messages(outcome.replies)
    query: CallbackQuery | None = update.callback_query
    if query is not None:
        text = outcome.alert or outcome.toast
        await query.answer(text=text, show_alert=outcome.alert is not None)
    for user_id in outcome.refresh_menus:  # the menu is right by the time the answer shows
        await set_user_menu(context.bot, context.services, user_id)
    if query is not None:
        pressed = query.message
        if pressed is not None:
            if outcome.edit is not None:
                await api.edit(pressed.chat.id, pressed.message_id, outcome.edit)
            elif outcome.in_place and replies and isinstance(replies[0], Message):
                await api.edit(pressed.chat.id, pressed.message_id, replies[0])
                replies = replies[1:]
            elif outcome.close_keyboard:
                await api.remove_buttons(pressed.chat.id, pressed.message_id)
    chat = update.effective_chat
    if chat is not None:
        for reply in replies:
            await api.send(chat.id, reply)
    if outcome.deliver and context.services.sender is not None:
        await context.services.sender.deliver_now(outcome.deliver)
    for notice in outcome.notices:
        try:
            for reply in merge_messages(notice.replies):
                await api.send(notice.user_id, reply)
        except Forbidden:
            await context.services.users.set_reachable(notice.user_id, False)
        except TelegramError as exc:
            log.warning("could not notify a participant: %s", type(exc).__name__)
