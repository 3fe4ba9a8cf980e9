"""Whether the bot can reach a participant (they blocked or unblocked it)."""

from __future__ import annotations

from telegram import ChatMember, Update

from handlers.context import PsmContext


async def my_chat_member(update: Update, context: PsmContext) -> None:
    """Blocking the bot marks the user unreachable; unblocking marks them reachable again."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    reachable = change.new_chat_member.status not in (ChatMember.BANNED, ChatMember.LEFT)
    await context.services.users.set_reachable(change.from_user.id, reachable)
