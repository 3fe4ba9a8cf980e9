"""Online links: organisers set or import them, participants ask for them."""

from __future__ import annotations

from telegram import Update

from handlers.context import PsmContext
from handlers.render import render, who

MAX_CSV_BYTES = 2_000_000


async def link(update: Update, context: PsmContext) -> None:
    """/link: the online link when the session is near, otherwise when it will be available."""
    await render(context, update, await context.flows.links.link(who(update)))


async def set_link(update: Update, context: PsmContext) -> None:
    """/imposta_link, /set_link (organisers): set the online link of an event or a session."""
    await render(context, update, await context.flows.links.set_link(who(update)))


async def import_links(update: Update, context: PsmContext) -> None:
    """/importa_link, /import_links (organisers): import personal links from a CSV file."""
    await render(context, update, await context.flows.links.import_links(who(update)))


async def document(update: Update, context: PsmContext) -> None:
    """A file: the personal-links CSV when one was asked for, otherwise a polite note."""
    assert update.message is not None and update.message.document is not None
    file = update.message.document
    flows = context.flows
    if file.file_size is not None and file.file_size > MAX_CSV_BYTES:
        await render(context, update, await flows.other_content(who(update)))
        return
    data = bytes(await (await file.get_file()).download_as_bytearray())
    outcome = await flows.links.import_file(who(update), file.file_name or "", data)
    await render(context, update, outcome)
