"""The facilitator's report (``/resoconto``), a conversation on the engine.

The report is a walk through *slots*: for each worksheet of the zone, each section of the
event file and then the worksheet's free note (section ``NOTE``). A slot shows its current
text, or, when nothing was written yet, a proposal made of the section's starred items; the
facilitator sends a new text (1-1500 characters, line breaks kept), keeps the one shown, or
leaves it empty. Every answer is written at once (:meth:`WorksheetRepository.save_text`) and
the engine stores the position, so a restart resumes at the same slot with the draft intact.

The summary lists every slot (shortened) with a button to edit it, and "Submit": before the
event's deadline (event file ``worksheets.report_deadline``, bundled 12:10), after it only
organisers (a facilitator is told the deadline and asks the regia). Submitting tells every
organiser at once (outbox kind ``report_submitted``). A submitted report stays editable —
it stays submitted, "edited at" is shown, "Done" tells the regia it changed — until the regia
locks the event's reports; then every save is refused. A report conversation left
:data:`REPORT_TTL` without an answer is over (the draft stays; ``/resoconto`` reopens it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.kernel.conversation import NEXT, Content, Conversations, FlowData, Handled, Talk
from bot.kernel.i18n import Raw, escape
from bot.kernel.people import Who
from bot.kernel.replies import Button, Keyboard, Message, Outcome, Reply
from bot.worksheets.desk import SheetDesk, clean_block, short
from bot.worksheets.service import REPORT_TEXT_MAX
from config.event import Event
from storage.outbox import PERSON, OutboxRepository, Planned
from storage.worksheet_reports import NOTE, Report
from storage.worksheets import Worksheet

REPORT = "report"
REPORT_SUBMITTED = "report_submitted"  # the outbox kind that tells the regia
NOTICE_VALIDITY = dt.timedelta(hours=12)
# A report left this long without an answer is over (its draft stays in the database): a
# text typed the next day is not taken as a section's synthesis.
REPORT_TTL = dt.timedelta(hours=3)
KEEP, SKIP, CLEAR, SUMMARY, CLOSE, EDIT, SUBMIT, DONE = (
    "k",
    "s",
    "c",
    "y",
    "q",
    "e",
    "ok",
    "d",
)


class ReportStep(StrEnum):
    """The steps of the report."""

    SLOT = "slot"  # one section's synthesis (or the note) of one worksheet
    SUMMARY = "summary"


@dataclass
class ReportData(FlowData):
    """Where the facilitator is in the zone's report (the texts are in the database)."""

    event: str
    zone: int
    cursor: int = 0
    summary: bool = False
    back: bool = False  # editing one slot from the summary: back to it afterwards


Slot = tuple[Worksheet, str]  # a worksheet and a section id (NOTE: the free note)


class ReportFlow:
    """The report's conversation (see the module doc)."""

    name: ClassVar[str] = REPORT
    data_type = ReportData
    text_steps: frozenset[str] = frozenset({ReportStep.SLOT})

    def __init__(
        self, desk: SheetDesk, conversations: Conversations, outbox: OutboxRepository
    ) -> None:
        self.desk = desk
        self.conversations = conversations
        self.outbox = outbox
        self.t = desk.t

    # --- what the report is made of ---------------------------------------------------------
    async def slots(self, event: Event, zone: int) -> list[Slot]:
        """Every (worksheet, section) of the zone's report, the note last per worksheet."""
        sections = [s.id for s in self.desk.sheets.sections(event)] + [NOTE]
        sheets = await self.desk.sheets.worksheets(event, zone)
        return [(sheet, section) for sheet in sheets for section in sections]

    async def proposal(self, sheet: Worksheet, section: str) -> str:
        """The starred items of a section, one a line: the pre-filled synthesis."""
        if section == NOTE:
            return ""
        items = await self.desk.store.items([sheet.id])
        lines = [
            f"• {i.text}" if i.text else "• 📷"
            for i in items
            if i.section == section and i.visible and i.starred
        ]
        text = "\n".join(lines)
        return text if len(text) <= REPORT_TEXT_MAX else text[: REPORT_TEXT_MAX - 1] + "…"

    def slot_title(self, event: Event, slot: Slot, language: str) -> str:
        """A slot's name: its section's title, or "Free note"."""
        if slot[1] == NOTE:
            return self.desk.t(language, "report.note_title")
        return self.desk.sheets.section_title(event, slot[1], language)

    # --- the flow ---------------------------------------------------------------------------
    async def next_step(self, talk: Talk[ReportData], who: Who | None) -> str:
        """The slot at the cursor, or the summary."""
        data = talk.data
        event = self.desk.config.event(data.event)
        if data.summary or data.cursor >= len(await self.slots(event, data.zone)):
            data.summary = True
            return ReportStep.SUMMARY
        return ReportStep.SLOT

    async def question(self, talk: Talk[ReportData], who: Who | None) -> list[Reply]:
        """The slot's text or proposal with its buttons; or the summary."""
        data, language = talk.data, talk.language
        event = self.desk.config.event(data.event)
        slots = await self.slots(event, data.zone)
        report = await self.desk.store.report(event.id, data.zone)
        if talk.step == ReportStep.SUMMARY:
            return [await self._summary(talk, event, slots, report)]
        sheet, section = slots[data.cursor]
        numbers = {s.id: n for n, s in enumerate(dict.fromkeys(s for s, _ in slots), start=1)}
        current = report.texts.get((sheet.id, section)) if report else None
        proposal = "" if current else await self.proposal(sheet, section)
        lines = [
            self.t(
                language,
                "report.slot_title",
                zone=self.desk.zone(data.zone),
                number=numbers[sheet.id],
                sheets=len(numbers),
                title=self.desk.sheets.title(sheet, language),
                section=self.slot_title(event, (sheet, section), language),
                step=data.cursor + 1,
                steps=len(slots),
            ),
            "",
        ]
        if current:
            lines += [self.t(language, "report.current"), f"<i>{escape(current)}</i>", ""]
        elif proposal:
            lines += [self.t(language, "report.proposal"), f"<i>{escape(proposal)}</i>", ""]
        else:
            lines += [self.t(language, "report.empty"), ""]
        lines.append(self.t(language, "report.slot_ask", max=REPORT_TEXT_MAX))
        buttons: Keyboard = []
        if current or proposal:
            buttons.append([talk.button(self.t(language, "report.keep"), KEEP)])
        else:
            buttons.append([talk.button(self.t(language, "report.skip"), SKIP)])
        if current:
            buttons.append([talk.button(self.t(language, "report.clear"), CLEAR)])
        buttons.append(
            [
                talk.button(self.t(language, "report.to_summary"), SUMMARY),
                talk.button(self.t(language, "report.close"), CLOSE),
            ]
        )
        return [Message(Raw("\n".join(lines)), buttons)]

    async def _summary(
        self, talk: Talk[ReportData], event: Event, slots: list[Slot], report: Report | None
    ) -> Message:
        language, data = talk.language, talk.data
        texts = report.texts if report else {}
        lines: list[str] = [
            self.t(language, "report.summary_title", zone=self.desk.zone(data.zone))
        ]
        lines.append(self.state_line(event, report, language))
        buttons: Keyboard = []
        row: list[Button] = []
        numbers: dict[int, int] = {}
        for index, slot in enumerate(slots):
            sheet, section = slot
            if sheet.id not in numbers:
                numbers[sheet.id] = len(numbers) + 1
                heading = escape(self.desk.sheets.title(sheet, language))
                lines += ["", f"<b>{numbers[sheet.id]}. {heading}</b>"]
            name = self.slot_title(event, slot, language)
            text = texts.get((sheet.id, section))
            shown = escape(short(text, 120)) if text else "—"
            lines.append(f"• <u>{escape(name)}</u>: {shown}")
            row.append(talk.button(f"✏️ {numbers[sheet.id]}·{short(name, 14)}", EDIT, str(index)))
            if len(row) == 2:
                buttons.append(row)
                row = []
        if row:
            buttons.append(row)
        if report is not None and report.submitted:
            buttons.append([talk.button(self.t(language, "report.done"), DONE)])
        else:
            deadline = self.desk.sheets.deadline(event)
            when = self.desk.sheets.local_time(deadline) if deadline else "—"
            lines += ["", self.t(language, "report.deadline_line", time=when)]
            buttons.append([talk.button(self.t(language, "report.submit"), SUBMIT)])
        buttons.append([talk.button(self.t(language, "report.close"), CLOSE)])
        return Message(Raw("\n".join(lines)), buttons)

    def state_line(self, event: Event, report: Report | None, language: str) -> Raw:
        """ "Submitted at 11:58 (edited at 12:03)", "Draft, not submitted" or "Not started"."""
        if report is None:
            return self.t(language, "report.state_none")
        if not report.submitted or report.submitted_at is None:
            return self.t(language, "report.state_draft")
        at = self.desk.sheets.local_time(report.submitted_at)
        if report.updated_at > report.submitted_at:
            edited = self.desk.sheets.local_time(report.updated_at)
            return self.t(language, "report.state_edited", time=at, edited=edited)
        return self.t(language, "report.state_submitted", time=at)

    async def _locked(self, talk: Talk[ReportData], who: Who) -> Outcome | None:
        """The regia locked the reports: the conversation ends, nothing is saved."""
        locked = await self.desk.store.locked(talk.data.event)
        if locked is None or self.desk.roles.is_organiser(who.user_id):
            return None
        await self.conversations.end(who.user_id)
        at = self.desk.sheets.local_time(locked)
        return Outcome().add(Message(self.t(talk.language, "report.locked", time=at)))

    async def _slot(self, talk: Talk[ReportData]) -> Slot | None:
        event = self.desk.config.event(talk.data.event)
        slots = await self.slots(event, talk.data.zone)
        return slots[talk.data.cursor] if 0 <= talk.data.cursor < len(slots) else None

    async def _save(self, talk: Talk[ReportData], who: Who, slot: Slot, text: str | None) -> None:
        data = talk.data
        await self.desk.store.save_text(
            data.event, data.zone, slot[0].id, slot[1], text, who.user_id, self.desk.now()
        )

    def _advance(self, data: ReportData) -> None:
        if data.back:
            data.summary, data.back = True, False
        else:
            data.cursor += 1

    async def on_text(self, talk: Talk[ReportData], text: str, who: Who) -> Handled:
        """A section's synthesis (or the note): saved, then the next slot."""
        if talk.step != ReportStep.SLOT:
            return None
        if (locked := await self._locked(talk, who)) is not None:
            return locked
        slot = await self._slot(talk)
        if slot is None:
            talk.data.summary = True
            return NEXT
        cleaned = clean_block(text, REPORT_TEXT_MAX)
        if cleaned is None:
            key = "report.too_long" if len(text) > REPORT_TEXT_MAX else "report.text_invalid"
            talk.say(self.t(talk.language, key, max=REPORT_TEXT_MAX, length=len(text)))
            return await self.conversations.ask(talk, who)
        await self._save(talk, who, slot, cleaned)
        talk.say(self.t(talk.language, "report.saved"))
        self._advance(talk.data)
        return NEXT

    async def on_button(
        self, talk: Talk[ReportData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """Keep, skip, clear, summary, edit a slot, submit, done, close."""
        data, language = talk.data, talk.language
        if action == CLOSE:
            await self.conversations.end(who.user_id)
            return Outcome(edit=Message(self.t(language, "report.closed")))
        if talk.step == ReportStep.SLOT:
            return await self._slot_button(talk, action, who)
        if action == EDIT and value.isdecimal():
            event = self.desk.config.event(data.event)
            if int(value) >= len(await self.slots(event, data.zone)):
                return None
            data.cursor, data.summary, data.back = int(value), False, True
            return NEXT
        if action in (SUBMIT, DONE):
            return await self._submit(talk, who, edited=action == DONE)
        return None

    async def _slot_button(self, talk: Talk[ReportData], action: str, who: Who) -> Handled:
        data = talk.data
        if action == SUMMARY:
            data.summary, data.back = True, False
            return NEXT
        if action not in (KEEP, SKIP, CLEAR):
            return None
        if (locked := await self._locked(talk, who)) is not None:
            return locked
        slot = await self._slot(talk)
        if slot is None:
            data.summary = True
            return NEXT
        if action == CLEAR:
            await self._save(talk, who, slot, None)
            return NEXT  # the same slot, now empty
        if action == KEEP:
            report = await self.desk.store.report(data.event, data.zone)
            if report is None or (slot[0].id, slot[1]) not in report.texts:
                proposal = await self.proposal(*slot)
                if proposal:
                    await self._save(talk, who, slot, proposal)
        self._advance(data)
        return NEXT

    async def _submit(self, talk: Talk[ReportData], who: Who, *, edited: bool) -> Handled:
        """Send the report to the regia (or tell it the report changed)."""
        data, language = talk.data, talk.language
        if (locked := await self._locked(talk, who)) is not None:
            return locked
        event = self.desk.config.event(data.event)
        now = self.desk.now()
        report = await self.desk.store.report(event.id, data.zone)
        if report is None or not report.texts:
            talk.say(self.t(language, "report.nothing_written"))
            return await self.conversations.ask(talk, who)
        deadline = self.desk.sheets.deadline(event)
        late = deadline is not None and now >= deadline
        if not edited and late and not self.desk.roles.is_organiser(who.user_id):
            assert deadline is not None
            when = self.desk.sheets.local_time(deadline)
            talk.say(self.t(language, "report.too_late", time=when))
            return await self.conversations.ask(talk, who)
        first = await self.desk.store.submit(event.id, data.zone, who.user_id, now)
        keys = await self.notify_regia(event, data.zone, now, edited=not first)
        await self.conversations.end(who.user_id)
        key = "report.submitted" if first else "report.updated"
        text = self.t(
            language, key, zone=self.desk.zone(data.zone), time=self.desk.sheets.local_time(now)
        )
        return Outcome(edit=Message(text), deliver=keys)

    async def notify_regia(
        self, event: Event, zone: int, now: dt.datetime, *, edited: bool
    ) -> list[str]:
        """One ``report_submitted`` outbox row per organiser; their dedupe keys."""
        stamp = now.isoformat() if edited else "first"
        planned = [
            Planned(
                dedupe_key=f"{REPORT_SUBMITTED}:{event.id}:{zone}:{organiser}:{stamp}",
                kind=REPORT_SUBMITTED,
                user_id=organiser,
                due_at=now,
                expires_at=now + NOTICE_VALIDITY,
                event_id=event.id,
                payload={"event": event.id, "zone": zone, "edited": edited},
                priority=PERSON,
            )
            for organiser in sorted(self.desk.roles.organisers)
        ]
        await self.outbox.add(planned, now)
        return [p.dedupe_key for p in planned]

    async def on_content(self, talk: Talk[ReportData], content: Content, who: Who) -> Handled:
        """A report is typed (a sticker or a photo gets "please type")."""
        return None

    def takes_any_message(self, talk: Talk[ReportData]) -> bool:
        """Texts and buttons."""
        return False

    def stopped(self, talk: Talk[ReportData]) -> str:
        """``/annulla``: the draft stays."""
        return "report.closed"
