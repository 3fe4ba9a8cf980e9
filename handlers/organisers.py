"""Organiser commands for staff: invitations (facilitators, referents, moderators), staff
list, role removal."""

from __future__ import annotations

from telegram import Update

from bot.staff.flows import read_staff_button
from bot.staff.roles import FACILITATOR, REFERENT
from handlers.context import PsmContext
from handlers.render import render, who


async def invite_facilitator(update: Update, context: PsmContext) -> None:
    """/invita_facilitatore (organisers): a one-time link that makes someone a zone facilitator."""
    await render(context, update, await context.flows.staff.ask_invite(who(update), FACILITATOR))


async def invite_referent(update: Update, context: PsmContext) -> None:
    """/invita_referente (organisers): a one-time link that makes someone a venue referent."""
    await render(context, update, await context.flows.staff.ask_invite(who(update), REFERENT))


async def invite_moderator(update: Update, context: PsmContext) -> None:
    """/invita_moderatore (organisers): a one-time link that makes someone a moderator of the
    plenaries' questions (of one event, or of every event)."""
    outcome = await context.flows.staff.ask_moderator_invite(who(update), context.bot.username)
    await render(context, update, outcome)


async def staff(update: Update, context: PsmContext) -> None:
    """/staff (organisers): facilitators, referents and open invitations, with their buttons."""
    await render(context, update, await context.flows.staff.list_staff(who(update)))


async def my_id(update: Update, context: PsmContext) -> None:
    """/mioid, /myid (anyone): the user's numeric Telegram id, for PSM_ORGANISERS."""
    await render(context, update, await context.flows.staff.my_id(who(update)))


async def staff_button(update: Update, context: PsmContext) -> None:
    """Staff buttons (organisers): create or revoke an invitation, remove a role."""
    assert update.callback_query is not None
    button = read_staff_button(update.callback_query.data)
    outcome = await context.flows.staff.button(who(update), button, context.bot.username)
    await render(context, update, outcome)
