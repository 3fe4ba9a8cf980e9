"""Every Telegram handler, registered in one place, in the order that matters."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.attendance.flows import CheckinButton
from bot.broadcasts.service import BroadcastButton
from bot.kernel.commands import (
    FACILITATOR_COMMANDS,
    MODERATOR_COMMANDS,
    ORGANISER_COMMANDS,
    OTHER_COMMANDS,
    PARTICIPANT_COMMANDS,
    REFERENT_COMMANDS,
)
from bot.polls.buttons import BallotButton, StaffButton
from bot.questions import moderation_buttons, question_buttons
from bot.questions.projector_flows import ProjectorButton
from bot.registration.manage import ManageButton
from bot.registration.participant import LanguageButton
from bot.staff.flows import STAFF_PATTERN
from bot.stats.export import ExportButton
from bot.worksheets import contribution_buttons
from bot.worksheets.board_buttons import BoardButton
from bot.worksheets.regia import RegiaButton
from handlers import (
    attendance,
    broadcasts,
    contributions,
    errors,
    links,
    membership,
    moderation,
    organisers,
    polls,
    projector,
    questions,
    record,
    regia,
    registration,
    stats,
    worksheets,
)
from handlers.context import PsmApplication

_PARTICIPANT_CALLBACKS: dict[str, Any] = {
    "register": registration.register,
    "agenda": registration.agenda,
    "link": links.link,
    "cancel": registration.cancel,
    "privacy": registration.privacy,
    "delete_my_data": registration.delete_my_data,
    "language": registration.language,
    "help": registration.help_command,
    "contribute": contributions.contribute,  # session 2 (handlers/contributions.py)
    "my_contributions": contributions.my_contributions,
    "question": questions.question,  # plenaries, part A (handlers/questions.py)
    "questions": questions.questions,
    "myid": organisers.my_id,  # /mioid: in no menu, listed by /aiuto
}
# Staff commands: every callback checks the role itself and refuses politely.
_STAFF_CALLBACKS: dict[str, Any] = {
    "set_link": links.set_link,
    "import_links": links.import_links,
    "invite_facilitator": organisers.invite_facilitator,
    "invite_referent": organisers.invite_referent,
    "invite_moderator": organisers.invite_moderator,  # questions, part B
    "staff": organisers.staff,
    "broadcast": broadcasts.broadcast,
    "broadcasts": broadcasts.broadcasts,
    "stats": stats.stats,
    "checkin": attendance.checkin,
    "export_registrations": stats.export_registrations,
}
# Polls at the zone tables (handlers/polls.py); /sondaggio also serves participants.
_POLL_CALLBACKS: dict[str, Any] = {
    "poll": polls.poll,
    "counts": polls.counts,
    "results": polls.results,
    "export": polls.export,
    "synthesis": polls.synthesis,
    "send_results": polls.send_results,
}
# Session 2, part B: the facilitator's board and report (handlers/worksheets.py).
_BOARD_CALLBACKS: dict[str, Any] = {
    "worksheet": worksheets.worksheet,
    "report": worksheets.report,
}
# Questions at the plenaries, part B: the moderators' queue (handlers/moderation.py).
_MODERATION_CALLBACKS: dict[str, Any] = {"moderate": moderation.moderate}
# Part C, the regia (handlers/regia.py): /sintesi becomes the whole synthesis.
_REGIA_CALLBACKS: dict[str, Any] = {
    "control_room": regia.control_room,
    "synthesis": regia.synthesis,
    "send_synthesis": regia.send_synthesis,
}
# Issue 15, part D (handlers/record.py): the list of questions to every registrant.
_RECORD_CALLBACKS: dict[str, Any] = {"send_questions": record.send_questions}
# Issue 15, part C: the projector's link (handlers/projector.py); order does not matter.
_PROJECTOR_CALLBACKS: dict[str, Any] = {"projector": projector.projector}


def register(application: PsmApplication) -> None:
    """Add all handlers to ``application``; the first matching handler of a group wins."""
    private = filters.ChatType.PRIVATE
    new_messages = filters.UpdateType.MESSAGE  # edits of old messages are ignored

    # 1. Commands, Italian name first, English alias second. Commands come before the text
    #    handler so "/annulla" is never taken as an answer (a name, a comune...).
    application.add_handler(CommandHandler("start", registration.start, filters=private))
    # the regia's last: /sintesi is the whole synthesis (session 1, then session 2)
    callbacks = (
        _PARTICIPANT_CALLBACKS
        | _STAFF_CALLBACKS
        | _POLL_CALLBACKS
        | _BOARD_CALLBACKS
        | _MODERATION_CALLBACKS
        | _REGIA_CALLBACKS
        | _RECORD_CALLBACKS
        | _PROJECTOR_CALLBACKS
    )
    commands = (
        PARTICIPANT_COMMANDS
        + OTHER_COMMANDS
        + FACILITATOR_COMMANDS
        + REFERENT_COMMANDS
        + MODERATOR_COMMANDS
        + ORGANISER_COMMANDS
    )
    for command in dict.fromkeys(commands):
        application.add_handler(
            CommandHandler(list(command.names), callbacks[command.canonical], filters=private)
        )
    # 2. Buttons, routed by the prefix of their family's codec; the last handler takes
    #    everything else (a conversation's buttons, and stale or forged data, answered with an
    #    alert by the conversation engine).
    application.add_handler(
        CallbackQueryHandler(registration.language_button, pattern=LanguageButton.pattern())
    )
    application.add_handler(
        CallbackQueryHandler(registration.manage_button, pattern=ManageButton.pattern())
    )
    application.add_handler(CallbackQueryHandler(organisers.staff_button, pattern=STAFF_PATTERN))
    application.add_handler(
        CallbackQueryHandler(broadcasts.cancel_button, pattern=BroadcastButton.pattern())
    )
    application.add_handler(
        CallbackQueryHandler(attendance.checkin_button, pattern=CheckinButton.pattern())
    )
    application.add_handler(
        CallbackQueryHandler(stats.export_button, pattern=ExportButton.pattern())
    )
    # Polls: staff actions (p|f|...) first, since the ballots' prefix (p|<poll>|...) is theirs
    # too.
    application.add_handler(CallbackQueryHandler(polls.staff_button, pattern=StaffButton.pattern()))
    application.add_handler(
        CallbackQueryHandler(polls.ballot_button, pattern=BallotButton.pattern())
    )
    application.add_handler(  # session 2: contribute, my contributions, withdraw (c|...)
        CallbackQueryHandler(contributions.button, pattern=contribution_buttons.pattern())
    )
    application.add_handler(  # session 2: the facilitator's board (w|...)
        CallbackQueryHandler(worksheets.board_button, pattern=BoardButton.pattern())
    )
    application.add_handler(CallbackQueryHandler(regia.button, pattern=RegiaButton.pattern()))
    application.add_handler(  # questions, part B: the moderators' cards and queue (qm|...)
        CallbackQueryHandler(moderation.button, pattern=moderation_buttons.pattern())
    )
    application.add_handler(  # issue 15, part C: /proiettore's event buttons (pj|...)
        CallbackQueryHandler(projector.projector_button, pattern=ProjectorButton.pattern())
    )
    application.add_handler(  # plenary questions, participants: q|s|, q|p|, q|l only (the
        # moderators' and projector's q-buttons, if any, are other patterns)
        CallbackQueryHandler(questions.button, pattern=question_buttons.pattern())
    )
    application.add_handler(CallbackQueryHandler(registration.button))
    # 3. Free input in private chats: unknown commands, then text, then anything else (a
    #    photo, a file...: the conversation engine gives it to the open flow, e.g. the
    #    message a broadcast copies or the CSV of personal links).
    application.add_handler(
        MessageHandler(private & new_messages & filters.COMMAND, registration.unknown_command)
    )
    application.add_handler(
        MessageHandler(private & new_messages & filters.TEXT, registration.text)
    )
    application.add_handler(MessageHandler(private & new_messages, registration.other_content))
    # 4. Groups: the bot only works in private chats.
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, registration.group_message)
    )
    # 5. Blocked / unblocked.
    application.add_handler(
        ChatMemberHandler(membership.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_error_handler(errors.on_error)
