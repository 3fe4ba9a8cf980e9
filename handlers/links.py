"""Online links: organisers set or import them, participants ask for them."""

from __future__ import annotations

from telegram import Update

from handlers.context import PsmContext
from handlers.render import render, who


async def link(update: Update, context: PsmContext) -> None:
    """/link: the online link when the session is near, otherwise when it will be available."""
    await render(context, update, await context.flows.links.link(who(update)))


async def set_link(update: Update, context: PsmContext) -> None:
    """/imposta_link, /set_link (organisers): set the online link of an event or a session."""
    await render(context, update, await context.flows.links.set_link(who(update)))


async def import_links(update: Update, context: PsmContext) -> None:
    """/importa_link, /import_links (organisers): import personal links from a CSV file."""
    await render(context, update, await context.flows.links.import_links(who(update)))
