"""What the board, the report and the reminders share: who acts on which zone, the catalog,
the clock, and the items as the staff read them.

Access (issue 12): organisers act on every zone, a facilitator on the zone(s) they facilitate,
a venue referent on the zones whose table is at their venue. Every entry point and every
button checks it again (:meth:`SheetDesk.may_act`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.kernel.clock import Clock
from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog, Raw, escape
from bot.kernel.people import Languages, has_visible, strip_invisible
from bot.kernel.replies import Outcome
from bot.staff.roles import Roles
from bot.worksheets.service import WorksheetService
from config.event import Event, EventConfig
from storage.worksheets import Contribution, Origin, Worksheet, WorksheetRepository


def short(text: str, size: int = 40) -> str:
    """``text`` on one line cut to ``size`` characters (with an ellipsis), for a button."""
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def clean_block(value: str, limit: int) -> str | None:
    """A typed text of 1..limit characters that may span lines (a report's synthesis):
    invisible characters removed, spaces tidied, at most two line breaks in a row; None when
    empty, invisible or too long."""
    lines = [" ".join(strip_invisible(line).split()) for line in value.splitlines()]
    text = "\n".join(lines).strip("\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    if not 1 <= len(text) <= limit or not has_visible(text):
        return None
    return text


class SheetDesk:
    """The collaborators and small helpers of the board, the report and the reminders."""

    def __init__(
        self,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        sheets: WorksheetService,
        wake_outbox: Callable[[], Awaitable[None]],
    ) -> None:
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.sheets = sheets
        self.store: WorksheetRepository = sheets.store
        self.wake_outbox = wake_outbox

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    def now(self) -> dt.datetime:
        """The clock's time."""
        return self.clock.now()

    def zone(self, zone: int) -> str:
        """A zone's label (``5 · Pinerolese``)."""
        return zone_label(self.config, zone)

    def alert(self, language: str, key: str, **params: object) -> Outcome:
        """A pop-up answer to a button; the pressed message stays as it is."""
        return Outcome(alert=self.t(language, key, **params), close_keyboard=False)

    # --- access -----------------------------------------------------------------------------
    async def zones(self, user_id: int) -> list[int]:
        """The zones the user acts on (organisers: all; none for participants)."""
        if self.roles.is_organiser(user_id):
            return [zone.number for zone in self.config.zones]
        found = set(await self.roles.facilitator_zones(user_id))
        venues = await self.roles.referent_venues(user_id)
        found |= {zone.number for zone in self.config.zones if zone.venue in venues}
        return sorted(z for z in found if self.config.has_zone(z))

    async def may_act(self, user_id: int, zone: int) -> bool:
        """Whether the user acts on ``zone``."""
        return zone in await self.zones(user_id)

    def event_of(self, sheet: Worksheet) -> Event | None:
        """The event of a worksheet (None when the event file no longer has it)."""
        try:
            return self.config.event(sheet.event_id)
        except KeyError:
            return None

    async def sheet_for(self, user_id: int, sheet_id: int) -> tuple[Worksheet, Event] | None:
        """An active worksheet the user acts on, with its event (None: not theirs, gone)."""
        sheet = await self.store.worksheet(sheet_id)
        if sheet is None or not sheet.active or not await self.may_act(user_id, sheet.zone):
            return None
        event = self.event_of(sheet)
        return (sheet, event) if event is not None and event.worksheets is not None else None

    # --- items ------------------------------------------------------------------------------
    def source(self, item: Contribution, zone: int, language: str) -> Raw:
        """Where an item comes from, at zone level only: never a participant's name."""
        key = "board.from_facilitator" if item.origin == Origin.FACILITATOR else "board.from_zone"
        return self.t(language, key, zone=zone)

    def item_line(self, item: Contribution, zone: int, language: str, *, new: bool = False) -> str:
        """``#12 ⭐ text (source)`` for the board (HTML)."""
        marks = ("⭐ " if item.starred else "") + ("🆕 " if new else "")
        body = f"📷 {escape(item.text)}" if item.kind == "photo" else escape(item.text)
        if item.kind == "photo" and not item.text:
            body = "📷"
        return f"<b>#{item.id}</b> {marks}{body} <i>({self.source(item, zone, language)})</i>"
