"""What every staff part of the polls shares: who may act on which zone, the language, the
catalog, the zone picker, a set-up's cancel button, and waking the outbox after queueing
messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from bot.kernel.clock import Clock
from bot.kernel.conversation import Talk
from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Keyboard, Message, Outcome
from bot.polls.buttons import AllZonesPick, ZoneCommand, ZonePick
from bot.polls.service import PollService
from bot.staff.roles import Roles
from config.event import EventConfig
from storage.polls import PollRepository

SETUP_TTL = dt.timedelta(hours=1)  # a set-up (a count, a quick question) left this long ends
CANCEL = "x"  # the action of a set-up's cancel button


def short(text: str, size: int = 40) -> str:
    """``text`` cut to ``size`` characters (with an ellipsis), for a button."""
    return text if len(text) <= size else text[: size - 1] + "…"


class StaffDesk:
    """The collaborators and small helpers of the staff's poll flows."""

    def __init__(
        self,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        polls: PollService,
        store: PollRepository,
        wake_outbox: Callable[[], Awaitable[None]],
    ) -> None:
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.polls = polls
        self.store = store
        self.wake_outbox = wake_outbox

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    async def language(self, who: Who) -> str:
        """The language to answer ``who`` in."""
        return await self.languages.of(who)

    def now(self) -> dt.datetime:
        """The clock's time."""
        return self.clock.now()

    def zone(self, zone: int) -> str:
        """A zone's label (``5 · Pinerolese``)."""
        return zone_label(self.config, zone)

    def is_organiser(self, user_id: int) -> bool:
        """Whether the user is an organiser (every zone, and the organisers' commands)."""
        return self.roles.is_organiser(user_id)

    async def staff_zones(self, user_id: int) -> list[int] | None:
        """The zones the user acts on (organisers: all); None for participants."""
        if self.roles.is_organiser(user_id):
            return [zone.number for zone in self.config.zones]
        zones = await self.roles.facilitator_zones(user_id)
        found = sorted(z for z in zones if self.config.has_zone(z))
        return found or None

    async def may_act(self, user_id: int, zone: int) -> bool:
        """Whether the user may act on ``zone`` (its facilitator, or an organiser)."""
        return self.config.has_zone(zone) and await self.roles.can_act_on_zone(user_id, zone)

    def alert(self, language: str, key: str, **params: object) -> Outcome:
        """A pop-up answer to a button; the pressed message stays as it is."""
        return Outcome(alert=self.t(language, key, **params), close_keyboard=False)

    def zone_picker(
        self, language: str, command: ZoneCommand, zones: list[int], *, all_zones: bool = False
    ) -> Outcome:
        """ "Which zone?", a button per zone (and "all zones" for the organisers' results)."""
        buttons: Keyboard = [[Button(self.zone(z), ZonePick(command, z).pack())] for z in zones]
        if all_zones:
            buttons.append([Button(self.t(language, "results.all_zones"), AllZonesPick().pack())])
        return Outcome().add(Message(self.t(language, "poll.pick_zone"), buttons))

    def cancel_row(self, talk: Talk[Any]) -> list[Button]:
        """The cancel button of a set-up's current question (a quick question, a count)."""
        return [talk.button(self.t(talk.language, "poll.cancel_button"), CANCEL)]

    async def drain(self) -> None:
        """Start delivering what was just queued (ballots, notices, results)."""
        await self.wake_outbox()
