"""Participant commands, deep links, conversation buttons, and what users send in between."""

from __future__ import annotations

from telegram import Message as TelegramMessage
from telegram import Update

from bot.attendance.flows import CHECKIN_PREFIX
from bot.kernel.conversation import Content, FlowButton
from bot.registration.manage import ManageButton
from bot.registration.participant import LanguageButton
from bot.registration.wizard import parse_start_payload
from bot.staff.flows import INVITE_PREFIX
from handlers.context import PsmContext
from handlers.render import render, who

MEDIA_KINDS = (
    "animation",
    "photo",
    "document",
    "video",
    "audio",
    "voice",
    "video_note",
    "sticker",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "text",
)


def content_of(message: TelegramMessage) -> Content:
    """What a message carries, as the domain sees it (with the file to download, if any)."""
    kind = next((k for k in MEDIA_KINDS if getattr(message, k, None)), "other")
    document = message.document
    download = None
    if document is not None:

        async def download_document() -> bytes:
            return bytes(await (await document.get_file()).download_as_bytearray())

        download = download_document
    return Content(
        kind=kind,
        message_id=message.message_id,
        caption=message.caption or message.text,
        filename=document.file_name if document else None,
        size=document.file_size if document else None,
        download=download,
        chat_id=message.chat_id,
        file_id=message.photo[-1].file_id if message.photo else None,  # the largest size
    )


async def start(update: Update, context: PsmContext) -> None:
    """/start [zonaN | inv_... | ci_...]: register (a zone preselected), or take an invitation,
    or check in at a venue's desk; when registered, one's registrations to manage."""
    payload = context.args[0] if context.args else ""
    flows = context.flows
    if payload.startswith(INVITE_PREFIX):
        outcome = await flows.staff.redeem(who(update), payload.removeprefix(INVITE_PREFIX))
    elif payload.startswith(CHECKIN_PREFIX):
        outcome = await flows.attendance.desk(who(update), payload.removeprefix(CHECKIN_PREFIX))
    else:
        outcome = await flows.participant.start(who(update), parse_start_payload(payload))
    await render(context, update, outcome)


async def register(update: Update, context: PsmContext) -> None:
    """/iscrizione, /register: register, or see and change one's registration."""
    await render(context, update, await context.flows.participant.start(who(update)))


async def agenda(update: Update, context: PsmContext) -> None:
    """/programma, /agenda: the participant's programme for the day."""
    await render(context, update, await context.flows.participant.agenda(who(update)))


async def cancel(update: Update, context: PsmContext) -> None:
    """/annulla, /cancel: stop the current step, or cancel a registration after confirming."""
    await render(context, update, await context.flows.participant.abort(who(update)))


async def privacy(update: Update, context: PsmContext) -> None:
    """/privacy: the privacy notice."""
    await render(context, update, await context.flows.participant.privacy(who(update)))


async def delete_my_data(update: Update, context: PsmContext) -> None:
    """/cancella_dati, /delete_my_data: erase one's personal data after confirming."""
    await render(context, update, await context.flows.manage.erase(who(update)))


async def help_command(update: Update, context: PsmContext) -> None:
    """/aiuto, /help: what the user can do (participants, and each staff role)."""
    await render(context, update, await context.flows.participant.help(who(update)))


async def language(update: Update, context: PsmContext) -> None:
    """/lingua, /language: buttons to switch between Italian and English."""
    await render(context, update, await context.flows.participant.choose_language(who(update)))


async def language_button(update: Update, context: PsmContext) -> None:
    """Language button: the bot answers in the chosen language from now on."""
    assert update.callback_query is not None
    choice = LanguageButton.unpack(update.callback_query.data)
    await render(context, update, await context.flows.participant.set_language(who(update), choice))


async def manage_button(update: Update, context: PsmContext) -> None:
    """A button under a registration: change its zone or mode, cancel it, register again."""
    assert update.callback_query is not None
    button = ManageButton.unpack(update.callback_query.data)
    if button is None:
        await render(
            context,
            update,
            await context.flows.conversations.invalid(who(update), "button.invalid"),
        )
        return
    await render(context, update, await context.flows.manage.press(who(update), button))


async def button(update: Update, context: PsmContext) -> None:
    """A conversation's button (or stale, forged data): the next step, or an alert."""
    query = update.callback_query
    assert query is not None
    conversations = context.flows.conversations
    pressed = FlowButton.unpack(query.data)
    if pressed is None:
        outcome = await conversations.invalid(who(update), "button.invalid")
    else:
        message_id = query.message.message_id if query.message is not None else None
        outcome = await conversations.press(who(update), pressed, message_id)
    await render(context, update, outcome)


async def text(update: Update, context: PsmContext) -> None:
    """A text message: the answer to the current question (a name, a comune, a link...)."""
    message = update.message
    assert message is not None and message.text is not None
    outcome = await context.flows.participant.text(who(update), message.text, content_of(message))
    await render(context, update, outcome)


async def unknown_command(update: Update, context: PsmContext) -> None:
    """An unknown command: a short note and the current question again."""
    await render(context, update, await context.flows.participant.unknown_command(who(update)))


async def other_content(update: Update, context: PsmContext) -> None:
    """Photos, files, stickers...: what the current step takes, or a polite note."""
    assert update.message is not None
    outcome = await context.flows.participant.content(who(update), content_of(update.message))
    await render(context, update, outcome)


async def group_message(update: Update, context: PsmContext) -> None:
    """A command in a group: an invitation to write in private."""
    await render(context, update, await context.flows.participant.group_message(who(update)))
