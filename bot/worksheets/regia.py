"""The regia's board (``/regia``, ``/control_room``, organisers only): the zones of the
current event in one message, a line each, with a button to read each zone's report, a
refresh button and the button that locks (or unlocks) the facilitators' reports.

A line: the zone; its priority poll (open, closed, none) with the respondents; its
worksheets; its visible contributions and contributors; its report (none, draft with the
time of the last change, submitted with its time). The board is fresh on every press of
"refresh", and it arrives by itself, headed "Zona 5 ha inviato il resoconto", when a zone
submits (the outbox kind ``report_submitted``, payload ``{"event": id, "zone": n}``,
queued by the report flow to every organiser; :meth:`RegiaBoard.render_submitted`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.kernel.buttons import ButtonData
from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.outbox import Outgoing, Prepared
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Keyboard, Message
from bot.polls.service import PollService
from bot.staff.roles import Roles
from bot.worksheets.service import WorksheetService
from config.event import Event, EventConfig
from storage.outbox import OutboxRow
from storage.worksheet_reports import Report

REPORT_SUBMITTED = "report_submitted"  # the outbox kind: a zone submitted its report
_BUTTONS_PER_ROW = 4


class RegiaAction(StrEnum):
    """What a regia button does."""

    REFRESH = "rf"
    REPORT = "rp"  # value: the zone
    LOCK = "lk"
    UNLOCK = "ul"
    DOCX = "dw"
    PPTX = "ds"
    CSV = "ec"
    XLSX = "ex"
    # the plenary's questions with their fates (issue 15, bot/questions/exports.py)
    QUESTIONS_CSV = "qc"
    QUESTIONS_XLSX = "qx"


@dataclass(frozen=True)
class RegiaButton(ButtonData, prefix="g"):
    """A button of the regia (board, synthesis): ``g|<action>|<event>[|<value>]``."""

    action: RegiaAction
    event: str
    value: str | None = None


class RegiaBoard:
    """The board, a zone's report, the lock."""

    def __init__(
        self,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        roles: Roles,
        worksheets: WorksheetService,
        polls: PollService,
    ) -> None:
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.roles = roles
        self.worksheets = worksheets
        self.polls = polls
        self.store = worksheets.store

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    def zone(self, zone: int) -> str:
        """``5 · Pinerolese`` (the number alone for a zone the file no longer has)."""
        return zone_label(self.config, zone) if self.config.has_zone(zone) else str(zone)

    def event(self, event_id: str) -> Event | None:
        """An event with worksheets by id (None: unknown, or no session 2)."""
        try:
            event = self.config.event(event_id)
        except KeyError:
            return None
        return event if event.worksheets is not None else None

    # --- the board --------------------------------------------------------------------------
    async def board(self, event: Event, language: str, headline: str | None = None) -> Message:
        """The board of ``event`` as it stands now (``headline``: a first line, in bold)."""
        t = self.t
        await self.worksheets.all_worksheets(event)  # a closed poll's worksheets are made
        counts = await self.store.zone_counts(event.id)
        reports = await self.store.reports(event.id)
        results = await self.polls.zone_results(event.id)
        locked = await self.store.locked(event.id)
        now = self.worksheets.clock.now()
        lines = [headline] if headline else []
        lines += [
            str(t(language, "regia.board_title", event=event.title.get(language))),
            str(t(language, "regia.board_time", time=self.worksheets.local_time(now))),
            "",
        ]
        submitted = 0
        for zone in self.config.zones:
            found = results.get(zone.number)
            if found is None:
                poll = str(t(language, "regia.poll_none"))
            else:
                fresh = await self.polls.fresh(found[0])
                key = "regia.poll_open" if fresh.is_open else "regia.poll_closed"
                poll = str(t(language, key, respondents=found[1].respondents_total))
            count = counts.get(zone.number)
            sheets = count.worksheets if count else 0
            items = count.contributions if count else 0
            people = count.contributors if count else 0
            report = reports.get(zone.number)
            submitted += bool(report and report.submitted)
            lines.append(
                str(
                    t(
                        language,
                        "regia.board_line",
                        zone=self.zone(zone.number),
                        poll=Raw(poll),
                        sheets=sheets,
                        items=items,
                        people=people,
                        report=Raw(self._report_state(report, language)),
                    )
                )
            )
        total_items = sum(c.contributions for c in counts.values())
        lines += [
            "",
            str(
                t(
                    language,
                    "regia.board_totals",
                    submitted=submitted,
                    zones=len(self.config.zones),
                    items=total_items,
                )
            ),
        ]
        if locked is not None:
            lines.append(str(t(language, "regia.locked", time=self.worksheets.local_time(locked))))
        return Message(Raw("\n".join(lines)), self._board_buttons(event, language, reports, locked))

    def _report_state(self, report: Report | None, language: str) -> str:
        if report is None:
            return str(self.t(language, "regia.report_none"))
        if report.submitted and report.submitted_at is not None:
            when = self.worksheets.local_time(report.submitted_at)
            return str(self.t(language, "regia.report_submitted", time=when))
        return str(
            self.t(
                language, "regia.report_draft", time=self.worksheets.local_time(report.updated_at)
            )
        )

    def _board_buttons(
        self,
        event: Event,
        language: str,
        reports: dict[int, Report],
        locked: dt.datetime | None,
    ) -> Keyboard:
        t = self.t
        zone_buttons = [
            Button(
                t(language, "regia.button_report", zone=zone),
                RegiaButton(RegiaAction.REPORT, event.id, str(zone)).pack(),
            )
            for zone in sorted(reports)
        ]
        rows = [
            zone_buttons[i : i + _BUTTONS_PER_ROW]
            for i in range(0, len(zone_buttons), _BUTTONS_PER_ROW)
        ]
        rows.append(
            [Button(t(language, "regia.button_refresh"), self._pack(RegiaAction.REFRESH, event))]
        )
        lock = RegiaAction.UNLOCK if locked is not None else RegiaAction.LOCK
        key = "regia.button_unlock" if locked is not None else "regia.button_lock"
        rows.append([Button(t(language, key), self._pack(lock, event))])
        return rows

    @staticmethod
    def _pack(action: RegiaAction, event: Event) -> str:
        return RegiaButton(action, event.id).pack()

    # --- a zone's report --------------------------------------------------------------------
    # --- the lock ---------------------------------------------------------------------------
    async def set_lock(self, event: Event, locked: bool, by: int) -> bool:
        """Lock (or unlock) the event's reports; True if that changed something."""
        if locked:
            return await self.store.lock(event.id, by, self.worksheets.clock.now())
        return await self.store.unlock(event.id)

    # --- outbox kind report_submitted -------------------------------------------------------
    async def render_submitted(self, row: OutboxRow, now: dt.datetime) -> Prepared:
        """The fresh board, headed "Zona 5 ha inviato il resoconto", to an organiser."""
        if not self.roles.is_organiser(row.user_id):
            return Prepared(None, skip="not_organiser")
        event = self.event(str(row.payload.get("event", "")))
        zone = row.payload.get("zone")
        if event is None or not isinstance(zone, int):
            return Prepared(None, skip="unknown_event")
        language = await self.languages.of_user(row.user_id)
        headline = str(self.t(language, "regia.report_arrived", zone=self.zone(zone)))
        board = await self.board(event, language, headline)
        return Prepared(Outgoing(text=board.text, buttons=board.buttons))

    # --- who may ----------------------------------------------------------------------------
    async def language(self, who: Who) -> str:
        """The language to answer ``who`` in."""
        return await self.languages.of(who)
