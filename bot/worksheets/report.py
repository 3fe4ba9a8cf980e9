"""``/resoconto`` (``/report``) and reading a zone's report.

- :meth:`ReportFlows.command`: the facilitator's report (zone picked first when the user acts
  on several zones), run by :class:`~bot.worksheets.report_flow.ReportFlow`.
- :meth:`ReportFlows.read` (for part C's regia board too): a zone's report as an
  :class:`Outcome`, :meth:`ReportFlows.report_text` as HTML text; checked against the
  reader's zones (organisers read every zone). The regia's board shows the same text
  (one page for a report, whoever reads it); the notice of a submitted report is the regia's
  board itself (:meth:`bot.worksheets.regia.RegiaBoard.render_submitted`).
"""

from __future__ import annotations

from bot.kernel.i18n import Raw, escape
from bot.kernel.people import Who
from bot.kernel.replies import Button, Keyboard, Message, Outcome
from bot.worksheets.board_buttons import BoardAction, BoardButton
from bot.worksheets.desk import SheetDesk
from bot.worksheets.report_flow import ReportData, ReportFlow
from config.event import Event
from storage.worksheet_reports import NOTE


class ReportFlows:
    """The report's entry points, its reading and its outbox notice."""

    def __init__(self, desk: SheetDesk, flow: ReportFlow) -> None:
        self.desk = desk
        self.flow = flow
        self.t = desk.t

    async def command(self, who: Who) -> Outcome:
        """``/resoconto``: the zone's report (or "which zone?")."""
        language = await self.desk.languages.of(who)
        zones = await self.desk.zones(who.user_id)
        if not zones:
            return Outcome().add(Message(self.t(language, "board.staff_only")))
        if len(zones) == 1:
            return await self.start(who, language, zones[0], in_place=False)
        buttons: Keyboard = [
            [Button(self.desk.zone(z), BoardButton.of(BoardAction.REPORT_ZONE, z))] for z in zones
        ]
        return Outcome().add(Message(self.t(language, "report.pick_zone"), buttons))

    async def start(self, who: Who, language: str, zone: int, *, in_place: bool = True) -> Outcome:
        """The zone's report: the summary when something is written, else the first slot."""
        if not await self.desk.may_act(who.user_id, zone):
            return self.desk.alert(language, "board.not_yours")
        event = self.desk.sheets.current_event()
        if event is None:
            return Outcome().add(Message(self.t(language, "board.no_event")))
        locked = await self.desk.store.locked(event.id)
        if locked is not None and not self.desk.roles.is_organiser(who.user_id):
            at = self.desk.sheets.local_time(locked)
            return Outcome().add(Message(self.t(language, "report.locked", time=at)))
        if not await self.desk.sheets.worksheets(event, zone):
            text = self.t(language, "worksheets.none_yet", zone=zone)
            return Outcome().add(Message(text))
        report = await self.desk.store.report(event.id, zone)
        data = ReportData(event.id, zone, summary=report is not None and bool(report.texts))
        out = Outcome(in_place=in_place)
        return await self.flow.conversations.begin(who, self.flow, data, language=language, out=out)

    # --- reading ----------------------------------------------------------------------------
    async def read(self, who: Who, event_id: str, zone: int) -> Outcome:
        """A zone's report, formatted, for whoever acts on the zone (organisers: all)."""
        language = await self.desk.languages.of(who)
        return await self._read(who, language, event_id, zone)

    async def _read(self, who: Who, language: str, event_id: str, zone: int) -> Outcome:
        if not await self.desk.may_act(who.user_id, zone):
            return self.desk.alert(language, "board.not_yours")
        try:
            event = self.desk.config.event(event_id)
        except KeyError:
            return self.desk.alert(language, "board.gone")
        text = await self.report_text(event, zone, language)
        return Outcome(close_keyboard=False).add(Message(text))

    async def read_button(self, who: Who, language: str, zone: int, event_index: int) -> Outcome:
        """The "Read the report" button of the regia's notice."""
        events = self.desk.config.events
        if not 0 <= event_index < len(events):
            return self.desk.alert(language, "board.gone")
        return await self._read(who, language, events[event_index].id, zone)

    async def report_text(self, event: Event, zone: int, language: str) -> Raw:
        """The zone's report as HTML: its state, then each worksheet's sections and note."""
        report = await self.desk.store.report(event.id, zone)
        texts = report.texts if report else {}
        lines: list[str] = [
            self.t(language, "report.read_title", zone=self.desk.zone(zone)),
            self.flow.state_line(event, report, language),
        ]
        sheets = await self.desk.sheets.worksheets(event, zone)
        sections = [s.id for s in self.desk.sheets.sections(event)] + [NOTE]
        for number, sheet in enumerate(sheets, start=1):
            lines += ["", f"<b>{number}. {escape(self.desk.sheets.title(sheet, language))}</b>"]
            for section in sections:
                text = texts.get((sheet.id, section))
                if section == NOTE and not text:
                    continue
                name = self.flow.slot_title(event, (sheet, section), language)
                if text:
                    lines.append(f"<u>{escape(name)}</u>\n{escape(text)}")
                else:
                    lines.append(f"<u>{escape(name)}</u>: —")
        if not sheets:
            lines += ["", self.t(language, "worksheets.none_yet", zone=zone)]
        return Raw("\n".join(lines))
