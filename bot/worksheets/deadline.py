"""The report deadline's reminder (outbox kind ``report_reminder``).

From ``worksheets.report_reminder`` before the deadline (bundled: 10 minutes before 12:10)
until the deadline, each tick (:meth:`bot.services.Services.tick`) plans one reminder per
facilitator of every zone that has worksheets and has not submitted its report (once per
event, zone and facilitator: the dedupe key); a reminder expires at the deadline, and one
whose zone submitted meanwhile is skipped when it is due. Nothing is planned once the regia
has locked the reports. Inside the window the zones are looked at every
:data:`PLAN_EVERY` at most (the tick runs every second).
"""

from __future__ import annotations

import datetime as dt

from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.replies import Button
from bot.staff.roles import FACILITATOR
from bot.worksheets.board_buttons import BoardAction, BoardButton
from bot.worksheets.desk import SheetDesk
from storage.outbox import PERSON, OutboxRepository, OutboxRow, Planned

REPORT_REMINDER = "report_reminder"
PLAN_EVERY = dt.timedelta(seconds=15)


class ReportReminders:
    """Plans and renders the deadline's reminders."""

    def __init__(self, desk: SheetDesk, outbox: OutboxRepository) -> None:
        self.desk = desk
        self.outbox = outbox
        self._planned_at: dt.datetime | None = None

    async def plan(self, now: dt.datetime) -> int:
        """Queue the reminders due now; how many were new."""
        event = self.desk.sheets.current_event()
        if event is None or event.worksheets is None:
            return 0
        deadline = self.desk.sheets.deadline(event)
        if deadline is None or not deadline - event.worksheets.report_reminder <= now < deadline:
            return 0
        last = self._planned_at
        if last is not None and last <= now < last + PLAN_EVERY:
            return 0
        self._planned_at = now
        if await self.desk.store.locked(event.id) is not None:
            return 0
        sheets = await self.desk.sheets.all_worksheets(event)
        reports = await self.desk.store.reports(event.id)
        waiting = {
            zone
            for zone, made in sheets.items()
            if made and not (zone in reports and reports[zone].submitted)
        }
        if not waiting:
            return 0
        grants = await self.desk.roles.store.grants(role=FACILITATOR)
        planned = [
            Planned(
                dedupe_key=f"{REPORT_REMINDER}:{event.id}:{grant.scope}:{grant.user_id}",
                kind=REPORT_REMINDER,
                user_id=grant.user_id,
                due_at=now,
                expires_at=deadline,
                event_id=event.id,
                payload={"event": event.id, "zone": int(grant.scope)},
                priority=PERSON,
            )
            for grant in grants
            if grant.scope.isdecimal() and int(grant.scope) in waiting
        ]
        return await self.outbox.add(planned, now) if planned else 0

    async def render(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """The reminder, unless the zone submitted meanwhile or the reports are locked."""
        event_id = str(row.payload.get("event", ""))
        zone = int(row.payload.get("zone", 0))
        report = await self.desk.store.report(event_id, zone)
        if report is not None and report.submitted:
            return Prepared(None, skip="submitted")
        if await self.desk.store.locked(event_id) is not None:
            return Prepared(None, skip="locked")
        try:
            event = self.desk.config.event(event_id)
        except KeyError:
            return Prepared(None, skip="event_removed")
        deadline = self.desk.sheets.deadline(event)
        if deadline is None:
            return Prepared(None, skip="no_deadline")
        language = await self.desk.languages.of_user(row.user_id)
        text = self.desk.t(
            language,
            "report.reminder",
            zone=self.desk.zone(zone),
            time=self.desk.sheets.local_time(deadline),
        )
        button = Button(
            self.desk.t(language, "report.write_button"),
            BoardButton.of(BoardAction.REPORT_ZONE, zone),
        )
        return Prepared(Outgoing(text=text, buttons=[[button]]))
