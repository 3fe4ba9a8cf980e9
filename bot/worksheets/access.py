"""Who may contribute, to which worksheet, and the polite refusals when not.

A contributor is someone with a **confirmed** registration for the current event
(:meth:`~bot.worksheets.service.WorksheetService.current_event`): in person, or online when
the event allows it (``worksheets.online``, default yes). A waiting-list registration is
not at a table yet, so it is refused like no registration, with its own words. Contributions
are open during the event's contribution window only (from the start of the first
contribution session to the end of the last: 10:30-12:10 on 5 December), and only to the
active worksheets of one's own zone. Each refusal says why and, where it can, when
contributing is possible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.kernel.format import date_text, zone_label
from bot.kernel.i18n import Catalog, Raw
from bot.worksheets.service import WorksheetService
from config.event import AttendanceMode, Event, EventConfig
from storage.registrations import Registration, RegistrationRepository, Status
from storage.worksheets import Worksheet


@dataclass(frozen=True)
class Contributor:
    """A participant who may contribute now: their event, registration and zone's worksheets."""

    event: Event
    registration: Registration
    worksheets: list[Worksheet]

    @property
    def zone(self) -> int:
        """The participant's zone (their table)."""
        return self.registration.zone

    def sheet(self, worksheet_id: int) -> Worksheet | None:
        """One of the zone's active worksheets, by id."""
        return next((w for w in self.worksheets if w.id == worksheet_id), None)


class Refusal(Raw):
    """Why someone cannot contribute (the message, HTML)."""

    __slots__ = ()


class ContributionGate:
    """Checks a participant, the time and a worksheet before anything is asked or stored."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        service: WorksheetService,
        registrations: RegistrationRepository,
    ) -> None:
        self.config = config
        self.t = catalog
        self.service = service
        self.registrations = registrations

    def now(self) -> dt.datetime:
        """The clock's time."""
        return self.service.clock.now()

    async def contributor(self, user_id: int, language: str) -> Contributor | Refusal:
        """The participant, if they may contribute now (else why not)."""
        event = self.service.current_event()
        if event is None or event.worksheets is None:
            return Refusal(self.t(language, "contrib.no_event"))
        registration = await self.registrations.active(event.id, user_id)
        refused = self._registration_refusal(event, registration, language)
        if refused is not None:
            return refused
        assert registration is not None
        refused = self.window_refusal(event, language)
        if refused is not None:
            return refused
        worksheets = await self.service.worksheets(event, registration.zone)
        if not worksheets:
            return Refusal(
                self.t(
                    language, "worksheets.none_yet", zone=zone_label(self.config, registration.zone)
                )
            )
        return Contributor(event, registration, worksheets)

    def _registration_refusal(
        self, event: Event, registration: Registration | None, language: str
    ) -> Refusal | None:
        title = event.title.get(language)
        if registration is None:
            return Refusal(self.t(language, "contrib.not_registered", event=title))
        if registration.status is not Status.CONFIRMED:
            return Refusal(self.t(language, "contrib.waitlisted", event=title))
        online = registration.mode == AttendanceMode.ONLINE.value
        if online and event.worksheets is not None and not event.worksheets.online:
            return Refusal(self.t(language, "contrib.online_not_allowed"))
        return None

    def window_refusal(self, event: Event, language: str) -> Refusal | None:
        """Contributions are not open now: when they open, or that they are closed."""
        window = self.service.window(event)
        if window is None:
            return Refusal(self.t(language, "contrib.no_event"))
        now = self.now()
        if now < window.opens:
            return Refusal(
                self.t(
                    language,
                    "contrib.not_yet",
                    time=self.service.local_time(window.opens),
                    date=date_text(
                        self.t, language, window.opens.astimezone(self.config.tz).date()
                    ),
                    until=self.service.local_time(window.closes),
                )
            )
        if now >= window.closes:
            return Refusal(
                self.t(language, "contrib.closed", time=self.service.local_time(window.closes))
            )
        return None

    async def sheet(
        self, contributor: Contributor, worksheet_id: int, language: str
    ) -> Worksheet | Refusal:
        """The worksheet a button names, if it is one of the contributor's zone, active."""
        sheet = contributor.sheet(worksheet_id)
        if sheet is not None:
            return sheet
        found = await self.service.store.worksheet(worksheet_id)
        if found is None:
            return Refusal(self.t(language, "contrib.stale"))
        if found.event_id != contributor.event.id or found.zone != contributor.zone:
            return Refusal(
                self.t(
                    language, "contrib.other_zone", zone=zone_label(self.config, contributor.zone)
                )
            )
        return Refusal(
            self.t(  # the facilitator took it off the zone's list
                language, "contrib.sheet_closed", title=self.service.title(found, language)
            )
        )
