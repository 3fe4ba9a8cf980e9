"""The session-2 notice: at the start of the contribution window, each zone's participants
learn their table's worksheets and how to contribute, with one button per worksheet.

Planned by the periodic tick (:meth:`WorksheetNotices.plan`, idempotent): while the current
event's contributions are open, every zone that has worksheets (made from its closed
priority poll on first need) gets one outbox row (kind :data:`KIND`) per confirmed
registration of the zone — in person, and online too when the event allows online
contributions — with the dedupe key ``sheets:<event>:<zone>:<registration>`` (so a zone
whose poll closes late gets its notice when its worksheets appear, and someone registered
during the session gets it too), expiring at the window's end. A zone without worksheets
gets no notice. Each row is rendered when it is delivered (:meth:`WorksheetNotices.render`),
in the participant's language, with the worksheets as they are then; a registration
cancelled or moved meanwhile gets nothing.
"""

from __future__ import annotations

import datetime as dt

from bot.kernel.format import ellipsis, zone_label
from bot.kernel.i18n import Catalog, Raw, escape
from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.replies import Button, Keyboard
from bot.worksheets.contribution_buttons import ContributeButton
from bot.worksheets.contributions import LABEL_MAX
from bot.worksheets.service import TEXT_MAX, WorksheetService
from config.event import AttendanceMode, Event, EventConfig
from storage.outbox import OutboxRepository, OutboxRow, Planned
from storage.recipients import RecipientRepository
from storage.registrations import RegistrationRepository, Status
from storage.users import UserRepository
from storage.worksheets import Worksheet

KIND = "worksheets"


class WorksheetNotices:
    """Plans and renders the session-2 notice (outbox kind :data:`KIND`)."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        service: WorksheetService,
        registrations: RegistrationRepository,
        recipients: RecipientRepository,
        outbox: OutboxRepository,
        users: UserRepository,
    ) -> None:
        self.config = config
        self.t = catalog
        self.service = service
        self.registrations = registrations
        self.recipients = recipients
        self.outbox = outbox
        self.users = users
        # (event, zone) -> the registrations' version when its notices were planned: nothing
        # to plan again until a registration changes.
        self._planned: dict[tuple[str, int], int] = {}

    async def plan(self, now: dt.datetime) -> int:
        """Queue the notice for every zone with worksheets while contributions are open;
        returns how many rows are new."""
        event = self.service.current_event()
        window = self.service.window(event) if event is not None else None
        if event is None or event.worksheets is None or window is None:
            return 0
        if not window.is_open(now):
            return 0
        version = self.registrations.version
        mode = None if event.worksheets.online else AttendanceMode.IN_PERSON.value
        new = 0
        for zone in self.config.zones:
            key = (event.id, zone.number)
            if self._planned.get(key) == version:
                continue
            if not await self.service.worksheets(event, zone.number):
                continue  # no notice without worksheets (yet)
            people = await self.recipients.recipients(
                event.id, statuses=(Status.CONFIRMED.value,), zones=[zone.number], mode=mode
            )
            planned = [
                Planned(
                    dedupe_key=f"sheets:{event.id}:{zone.number}:{person.registration_id}",
                    kind=KIND,
                    user_id=person.user_id,
                    due_at=now,
                    expires_at=window.closes,
                    registration_id=person.registration_id,
                    event_id=event.id,
                    payload={"zone": zone.number},
                )
                for person in people
            ]
            new += await self.outbox.add(planned, now)
            self._planned[key] = version
        return new

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """Outbox kind :data:`KIND`: the notice, if the person is still at the zone's table
        and the zone still has worksheets."""
        event = self.config.event(row.event_id) if row.event_id else None
        zone = int(row.payload.get("zone", 0))
        registration = (
            await self.registrations.get(row.registration_id) if row.registration_id else None
        )
        if event is None or event.worksheets is None:
            return Prepared(None, skip="no_worksheets")
        if (
            registration is None
            or registration.status is not Status.CONFIRMED
            or registration.zone != zone
            or (registration.mode != AttendanceMode.IN_PERSON.value and not event.worksheets.online)
        ):
            return Prepared(None, skip="not_at_table")
        sheets = await self.service.worksheets(event, zone)
        if not sheets:
            return Prepared(None, skip="no_worksheets")
        user = await self.users.get(row.user_id)
        language = user.language if user is not None and user.language else registration.language
        text, buttons = self.notice(event, zone, sheets, language)
        return Prepared(Outgoing(text=text, buttons=buttons))

    def notice(
        self, event: Event, zone: int, sheets: list[Worksheet], language: str
    ) -> tuple[str, Keyboard]:
        """The notice's text (HTML) and its buttons, one per worksheet."""
        window = self.service.window(event)
        assert window is not None
        titles = [self.service.title(sheet, language) for sheet in sheets]
        sections = []
        for section in self.service.sections(event):
            hint = f": {escape(section.hint.get(language))}" if section.hint is not None else ""
            sections.append(f"• <b>{escape(section.title.get(language))}</b>{hint}")
        text = self.t(
            language,
            "contrib.notice",
            zone=zone_label(self.config, zone),
            opens=self.service.local_time(window.opens),
            closes=self.service.local_time(window.closes),
            sheets=Raw("\n".join(f"{n}. {escape(t)}" for n, t in enumerate(titles, start=1))),
            sections=Raw("\n".join(sections)),
            max=TEXT_MAX,
        )
        buttons: Keyboard = [
            [Button(f"✍️ {n}. {ellipsis(title, LABEL_MAX)}", ContributeButton(sheet.id).pack())]
            for n, (sheet, title) in enumerate(zip(sheets, titles, strict=True), start=1)
        ]
        return str(text), buttons
