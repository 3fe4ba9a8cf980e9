"""``/proiettore`` (``/projector``): the link of the room's screen, for organisers and
moderators.

The event: the only one dated today or later, or the one chosen with a button when several
are (``pj|<event>``, re-checked on every press: the role, the event still in the event file
and its day not over). The answer is one message with the link in the text (to copy into the
browser of the computer on the projector) and an "open" URL button; the link holds a secret
token (:mod:`bot.questions.tokens`) valid until the end of the event's day.

Without a public address (``PSM_PUBLIC_URL`` and the bot's web server, ``PSM_WEB_PORT``) the
answer says politely what the IT department must set; nothing else changes.

Moderators are part B's role: :class:`ProjectorFlows` takes ``moderated`` as a callable, the
events a user moderates (their ``moderator`` grants' scopes: event ids, or ``*`` for every
event; a stand-in reading ``roles`` until the merge). A moderator gets the link of the events
they moderate only; organisers of every event.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import Clock
from bot.kernel.format import date_text, event_label, time_text
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Keyboard, Message, Outcome
from bot.questions.tokens import ProjectorTokens, valid_until
from bot.staff.roles import Roles
from config.event import Event, EventConfig

log = logging.getLogger(__name__)

Moderated = Callable[[int], Awaitable[set[str]]]  # user id -> event ids (or "*") moderated
EVERY_EVENT = "*"
PublicUrl = Callable[[], str | None]


@dataclass(frozen=True)
class ProjectorButton(ButtonData, prefix="pj"):
    """The event chosen for the projector's link: ``pj|<event id>``."""

    event: str


def projector_path(token: str) -> str:
    """The page's path on the bot's web server (the token's own folder)."""
    return f"/projector/{token}/"


class ProjectorFlows:
    """The command and its event buttons."""

    def __init__(
        self,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        tokens: ProjectorTokens,
        public_url: PublicUrl,
        moderated: Moderated,
    ) -> None:
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.tokens = tokens
        self.public_url = public_url
        self.moderated = moderated

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    async def scope(self, user_id: int) -> set[str] | None:
        """The events the user may show (``{"*"}``: every one), None for no one's role."""
        if self.roles.is_organiser(user_id):
            return {EVERY_EVENT}
        return await self.moderated(user_id) or None

    def events(self, now: dt.datetime, scope: set[str]) -> list[Event]:
        """The events in ``scope`` whose day is not over, soonest first."""
        upcoming = [
            e
            for e in self.config.events
            if valid_until(self.config, e) > now and (EVERY_EVENT in scope or e.id in scope)
        ]
        return sorted(upcoming, key=self.config.starts_at)

    def link(self, event: Event) -> str | None:
        """The page's address for ``event`` (None without a public address)."""
        base = self.public_url()
        if not base:
            return None
        token = self.tokens.issue(event.id, valid_until(self.config, event))
        log.info("projector link given: event=%s", event.id)
        return base.rstrip("/") + projector_path(token)

    async def command(self, who: Who) -> Outcome:
        """``/proiettore``: the link, the event buttons, or a polite refusal."""
        language = await self.languages.of(who)
        scope = await self.scope(who.user_id)
        if scope is None:
            return Outcome().add(Message(self.t(language, "projector.not_allowed")))
        if not self.public_url():
            return Outcome().add(Message(self.t(language, "projector.no_public_url")))
        events = self.events(self.clock.now(), scope)
        if not events:
            return Outcome().add(Message(self.t(language, "projector.no_event")))
        if len(events) == 1:
            return Outcome().add(self._link_message(events[0], language))
        keyboard: Keyboard = [
            [
                Button(
                    event_label(self.catalog, language, self.config, event),
                    ProjectorButton(event.id).pack(),
                )
            ]
            for event in events
        ]
        return Outcome().add(Message(self.t(language, "projector.choose_event"), keyboard))

    async def button(self, who: Who, button: ProjectorButton | None) -> Outcome:
        """An event button: the link for it, in place of the question."""
        language = await self.languages.of(who)
        scope = await self.scope(who.user_id)
        if scope is None:
            return Outcome(alert=self.t(language, "projector.not_allowed"), close_keyboard=False)
        now = self.clock.now()
        event = None
        if button is not None:
            event = next((e for e in self.events(now, scope) if e.id == button.event), None)
        if event is None:
            return Outcome(alert=self.t(language, "projector.stale_button"), close_keyboard=False)
        message = self._link_message(event, language)
        if not isinstance(message, Message) or not message.buttons:
            return Outcome().add(message)
        return Outcome(edit=message)

    def _link_message(self, event: Event, language: str) -> Message:
        url = self.link(event)
        if url is None:
            return Message(self.t(language, "projector.no_public_url"))
        until = valid_until(self.config, event) - dt.timedelta(minutes=1)
        local = until.astimezone(self.config.tz)
        text = self.t(
            language,
            "projector.link",
            event=event.title.get(language),
            url=url,
            date=date_text(self.catalog, language, local.date()),
            time=time_text(local.time()),
        )
        return Message(text, [[Button(self.t(language, "projector.open_button"), url=url)]])
