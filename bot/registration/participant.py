"""What a participant asks the bot outside a flow's steps: /start, /programma, /privacy,
/aiuto, /lingua, /annulla, and the polite answers to what it does not understand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import Clock
from bot.kernel.conversation import Content, Conversations
from bot.kernel.format import agenda_block
from bot.kernel.i18n import LANGUAGES, Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Message, Outcome
from bot.registration.manage import Manage
from bot.registration.texts import RegistrationTexts
from bot.registration.wizard import RegistrationFlow
from config.event import AttendanceMode, EventConfig
from storage.registrations import RegistrationRepository
from storage.users import UserRepository


@dataclass(frozen=True)
class LanguageButton(ButtonData, prefix="l"):
    """A language choice of ``/lingua``."""

    language: str


HelpSections = Callable[[int, str], Awaitable[Raw]]  # (user, language): their roles' commands


class Participant:
    """The participant's commands and the fallbacks."""

    def __init__(
        self,
        conversations: Conversations,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        texts: RegistrationTexts,
        wizard: RegistrationFlow,
        manage: Manage,
        registrations: RegistrationRepository,
        users: UserRepository,
        help_sections: HelpSections,
    ) -> None:
        self.conversations = conversations
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.texts = texts
        self.wizard = wizard
        self.manage = manage
        self.registrations = registrations
        self.users = users
        self.help_sections = help_sections

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    async def start(self, who: Who, zone: int | None = None) -> Outcome:
        """``/start`` (``zone``: from a ``zonaN`` deep link) and ``/iscrizione``: register,
        resume where one was, or see one's registrations to manage them."""
        language = await self.languages.of(who)
        out = Outcome()
        talk = await self.conversations.open(who, language=language, out=out)
        if talk is not None:
            talk.say(self.t(language, "flow.resume"))
            return await self.conversations.ask(talk, who)
        if await self.conversations.is_open(who.user_id):
            await self.conversations.end(who.user_id)  # a flow this version no longer has
        if zone is not None and not self.config.has_zone(zone):
            out.add(Message(self.t(language, "start.unknown_zone_link", zone=zone)))
            zone = None
        registrations = await self.registrations.active_for_user(who.user_id)
        if registrations:
            return await self.manage.overview(who, language, out, registrations)
        if not await self.wizard.candidates(who.user_id):
            return out.add(Message(self.t(language, "start.no_open_events")))
        out.add(Message(self.texts.welcome(language)))
        return await self.wizard.begin(who, language, out, preset_zone=zone)

    async def agenda(self, who: Who) -> Outcome:
        """``/programma``: the participant's own agenda, or the open events' programmes."""
        language = await self.languages.of(who)
        out = Outcome()
        registrations = await self.registrations.active_for_user(who.user_id)
        for registration in registrations:
            event = self.texts.event(registration.event_id)
            if event is not None:
                mode = AttendanceMode(registration.mode)
                out.add(Message(agenda_block(self.catalog, language, self.config, event, mode)))
        if not registrations:
            events = self.config.open_events(self.clock.now())
            for event in events:
                out.add(Message(agenda_block(self.catalog, language, self.config, event, None)))
            key = "agenda.not_registered" if events else "start.no_open_events"
            out.add(Message(self.t(language, key)))
        return out

    async def privacy(self, who: Who) -> Outcome:
        """``/privacy``: the privacy notice."""
        language = await self.languages.of(who)
        notice = self.texts.privacy(language)
        return Outcome().add(Message(self.t(language, "privacy.text", notice=notice)))

    async def help(self, who: Who) -> Outcome:
        """``/aiuto``: what a participant can do, then what each of the user's roles can do."""
        language = await self.languages.of(who)
        text = self.t(language, "help.text", process=self.config.process.short_name)
        roles = await self.help_sections(who.user_id, language)
        return Outcome().add(Message(Raw(text + roles)))

    async def choose_language(self, who: Who) -> Outcome:
        """``/lingua``: buttons to pick Italian or English."""
        language = await self.languages.of(who)
        buttons = [
            [
                Button("🇮🇹 Italiano", LanguageButton("it").pack()),
                Button("🇬🇧 English", LanguageButton("en").pack()),
            ]
        ]
        return Outcome().add(Message(self.t(language, "language.ask"), buttons))

    async def set_language(self, who: Who, button: LanguageButton | None) -> Outcome:
        """A language button: remember the choice and continue in that language."""
        if button is None or button.language not in LANGUAGES:
            return await self.conversations.invalid(who, "button.invalid")
        choice = button.language
        await self.users.set_language(who.user_id, choice, self.clock.now())
        out = Outcome(toast=self.t(choice, "language.set"), refresh_menus=[who.user_id])
        out.add(Message(self.t(choice, "language.set")))
        out.in_place = True
        return await self.conversations.reask(who, out, choice)

    async def abort(self, who: Who) -> Outcome:
        """``/annulla``: stop the open conversation, or offer to cancel a registration."""
        stopped = await self.conversations.stop(who)
        if stopped is not None:
            return stopped
        return await self.manage.offer_cancel(who, await self.languages.of(who))

    async def text(self, who: Who, text: str, message: Content | None = None) -> Outcome:
        """A plain text message: the answer to the current question, if any."""
        answered = await self.conversations.text(who, text, message)
        if answered is not None:
            return answered
        language = await self.languages.of(who)
        return Outcome().add(Message(self.t(language, "fallback.no_conversation")))

    async def content(self, who: Who, content: Content) -> Outcome:
        """A sticker, photo, file...: for the open conversation, or a polite note."""
        answered = await self.conversations.content(who, content)
        if answered is not None:
            return answered
        language = await self.languages.of(who)
        return Outcome().add(Message(self.t(language, "fallback.unsupported")))

    async def unknown_command(self, who: Who) -> Outcome:
        """A command the bot does not know: a short note, then the current question."""
        language = await self.languages.of(who)
        out = Outcome().add(Message(self.t(language, "fallback.unknown_command")))
        return await self.conversations.reask(who, out, language)

    async def group_message(self, who: Who) -> Outcome:
        """A command in a group: an invitation to write in private."""
        language = await self.languages.of(who)
        return Outcome().add(Message(self.t(language, "fallback.group")))
