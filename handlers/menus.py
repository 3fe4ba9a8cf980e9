"""The command menus: the participants' default menu in both languages, each staff member's own."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import BadRequest

from bot.kernel.commands import menu
from bot.kernel.i18n import LANGUAGES, Catalog
from bot.services import Services
from handlers.context import PsmContext

log = logging.getLogger(__name__)


def menu_commands(
    catalog: Catalog, language: str, roles: set[str] | None = None
) -> list[BotCommand]:
    """The command menu in ``language`` for a user with these roles."""
    return [BotCommand(name, catalog(language, key)) for name, key in menu(language, roles)]


async def set_default_menus(bot: Bot, catalog: Catalog) -> None:
    """The participant menu in Italian (default) and English (two calls, once polling runs)."""
    for language in LANGUAGES:
        await bot.set_my_commands(
            menu_commands(catalog, language),
            scope=BotCommandScopeDefault(),
            language_code=None if language == "it" else language,
        )


async def set_staff_menus(bot: Bot, services: Services) -> None:
    """Each staff member's menu (two or three calls each: run once polling has started)."""
    staff = set(services.settings.organisers) | {
        grant.user_id for grant in await services.roles.store.grants()
    }
    for user_id in staff:
        await set_user_menu(bot, services, user_id)


async def menus_job(context: PsmContext) -> None:
    """Job run once after start: the participants' menu in both languages, then each staff
    member's (:func:`set_staff_menus`), not in the way of the first getUpdates (with 40 staff
    members, some hundred calls to Telegram; the two default menus alone some 10 ms, and a
    429 on them no longer holds the start). Telegram keeps the menus of the previous run
    meanwhile; a role granted or ended meanwhile sets that user's menu itself, as always."""
    await set_default_menus(context.bot, context.services.catalog)
    await set_staff_menus(context.bot, context.services)


async def set_user_menu(bot: Bot, services: Services, user_id: int) -> None:
    """Show this user the menu of their roles, in their chosen language or in both."""
    roles = await services.roles.names(user_id)
    user = await services.users.get(user_id)
    chosen = user.language if user else None
    scope = BotCommandScopeChat(user_id)
    try:
        if chosen is not None:  # one menu, whatever the client language
            await bot.set_my_commands(menu_commands(services.catalog, chosen, roles), scope=scope)
            await bot.delete_my_commands(scope=scope, language_code="en")
            return
        for language in LANGUAGES:
            code = None if language == "it" else language
            if roles:
                await bot.set_my_commands(
                    menu_commands(services.catalog, language, roles),
                    scope=scope,
                    language_code=code,
                )
            else:  # back to the default participant menu
                await bot.delete_my_commands(scope=scope, language_code=code)
    except BadRequest:  # no chat with this user yet
        log.info("menu not set for one user: no chat with the bot yet")
