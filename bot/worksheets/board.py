"""The facilitator's board (``/scheda``, ``/worksheet``): a zone's worksheets, live.

``/scheda`` shows the zone's worksheets (an organiser, or a referent of a venue with several
tables, picks the zone first); a worksheet shows its sections with their counts; a section
shows its items, :data:`PAGE_SIZE` a page (a section of 30 items stays within Telegram's
4,096 characters and 100 buttons), each with its buttons: hide (off topic: it stays in the
record, under "hidden", and can be shown again), star/unstar (a key point: it pre-fills the
report), merge (pick the item it duplicates in the same worksheet: the duplicate is folded
into it and shown under it as "+1"). A section's photos come as albums.

Live, not pushed (a decision): every view reads the database when it is opened or refreshed
(🔄); new contributions do not send the facilitator messages, which at a table of 40 people
would bury the board. Each view says how many items are new since the user's last look at
it (kept in memory: a restart makes everything "seen").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from bot.kernel.i18n import Raw, escape
from bot.kernel.people import Who
from bot.kernel.replies import Album, Button, Keyboard, Message, Outcome
from bot.worksheets.board_buttons import BoardAction, BoardButton
from bot.worksheets.desk import SheetDesk, short
from bot.worksheets.service import MAX_WORKSHEETS
from config.event import Event
from storage.worksheets import Contribution, ItemStatus, Worksheet

PAGE_SIZE = 6  # items a page: 6 x (500 characters + marks) stays under 4,096
PICK_SIZE = 10  # items a page of the merge picker
A = BoardAction


def _button(label: str, action: BoardAction, a: int, b: int = 0, c: int = 0) -> Button:
    return Button(label, BoardButton.of(action, a, b, c))


class BoardViews:
    """``/scheda`` and the board's views (the buttons are routed by
    :class:`~bot.worksheets.board_press.BoardFlows`)."""

    def __init__(self, desk: SheetDesk) -> None:
        self.desk = desk
        self.t = desk.t
        self._seen: dict[tuple[int, int, str], dt.datetime] = {}  # (user, sheet, section)

    # --- entry ------------------------------------------------------------------------------
    async def command(self, who: Who) -> Outcome:
        """``/scheda``: the zone's worksheets, or "which zone?" for several zones."""
        language = await self.desk.languages.of(who)
        zones = await self.desk.zones(who.user_id)
        if not zones:
            return Outcome().add(Message(self.t(language, "board.staff_only")))
        if self.desk.sheets.current_event() is None:
            return Outcome().add(Message(self.t(language, "board.no_event")))
        if len(zones) == 1:
            return Outcome().add(await self.zone_view(who.user_id, language, zones[0]))
        return Outcome().add(self.zone_picker(language, zones, A.ZONE))

    def zone_picker(self, language: str, zones: list[int], action: BoardAction) -> Message:
        """ "Which zone?", one button per zone."""
        buttons: Keyboard = [[_button(self.desk.zone(z), action, z)] for z in zones]
        return Message(self.t(language, "board.pick_zone"), buttons)

    # --- views ------------------------------------------------------------------------------
    async def zone_view(self, user_id: int, language: str, zone: int) -> Message:
        """The zone's worksheets: each with its count of items, and new ones since last look."""
        event = self.desk.sheets.current_event()
        assert event is not None
        sheets = await self.desk.sheets.worksheets(event, zone)
        header = self.t(language, "board.zone_title", zone=self.desk.zone(zone))
        buttons: Keyboard = []
        if not sheets:
            text = Raw(f"{header}\n\n{self.t(language, 'worksheets.none_yet', zone=zone)}")
        else:
            items = await self.desk.store.items(w.id for w in sheets)
            lines = []
            for number, sheet in enumerate(sheets, start=1):
                visible = [i for i in items if i.worksheet_id == sheet.id and i.visible]
                new = self._new(user_id, sheet, None, visible)
                title = self.desk.sheets.title(sheet, language)
                lines.append(
                    self.t(
                        language,
                        "board.zone_line",
                        number=number,
                        title=title,
                        n=len(visible),
                        new=new,
                    )
                )
                buttons.append([_button(f"{number}. {short(title)}", A.SHEET, sheet.id)])
            text = Raw("\n".join([header, "", *lines]))
        if len(sheets) < MAX_WORKSHEETS:
            buttons.append([_button(self.t(language, "board.add_sheet"), A.ADD_SHEET, zone)])
        buttons.append([_button(self.t(language, "board.refresh"), A.ZONE, zone)])
        return Message(text, buttons)

    async def sheet_view(
        self, user_id: int, language: str, sheet: Worksheet, event: Event
    ) -> Message:
        """A worksheet: its sections with their counts (⭐ starred, new since last look)."""
        items = [i for i in await self.desk.store.items([sheet.id]) if i.visible]
        title = self.desk.sheets.title(sheet, language)
        lines = [
            self.t(language, "board.sheet_title", zone=self.desk.zone(sheet.zone), title=title)
        ]
        buttons: Keyboard = []
        for index, section in enumerate(self.desk.sheets.sections(event)):
            inside = [i for i in items if i.section == section.id]
            new = self._new(user_id, sheet, section.id, inside)
            name = section.title.get(language)
            lines.append(
                self.t(
                    language,
                    "board.section_line",
                    section=name,
                    n=len(inside),
                    starred=sum(1 for i in inside if i.starred),
                    new=new,
                )
            )
            buttons.append(
                [_button(f"{short(name, 34)} ({len(inside)})", A.SECTION, sheet.id, index)]
            )
        self._seen[(user_id, sheet.id, "")] = self.desk.now()
        buttons.append([_button(self.t(language, "board.replace"), A.REPLACE, sheet.id)])
        buttons.append(
            [
                _button(self.t(language, "board.back"), A.ZONE, sheet.zone),
                _button(self.t(language, "board.refresh"), A.SHEET, sheet.id),
            ]
        )
        return Message(Raw("\n".join(lines)), buttons)

    async def section_view(
        self, user_id: int, language: str, sheet: Worksheet, event: Event, index: int, page: int
    ) -> Message | None:
        """A section's items, a page of them, each with hide/star/merge (None: no section)."""
        sections = self.desk.sheets.sections(event)
        if not 0 <= index < len(sections):
            return None
        section = sections[index]
        every = [i for i in await self.desk.store.items([sheet.id]) if i.section == section.id]
        visible = [i for i in every if i.visible]
        merged = Counter(
            i.merged_into
            for i in every
            if i.merged_into is not None and i.status == ItemStatus.ACTIVE
        )
        seen = self._seen.get((user_id, sheet.id, section.id))
        pages = max(1, -(-len(visible) // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        shown = visible[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        title = self.desk.sheets.title(sheet, language)
        header = self.t(
            language,
            "board.section_title",
            zone=self.desk.zone(sheet.zone),
            title=title,
            section=section.title.get(language),
            page=page + 1,
            pages=pages,
            n=len(visible),
        )
        lines = [header, ""]
        buttons: Keyboard = []
        for item in shown:
            line = self.desk.item_line(
                item, sheet.zone, language, new=seen is not None and item.created_at > seen
            )
            if merged[item.id]:
                line += "\n    " + self.t(language, "board.merged_count", count=merged[item.id])
            lines.append(line)
            buttons.append(self._item_row(language, item, page))
        if not shown:
            lines.append(self.t(language, "board.section_empty"))
        buttons += self._section_nav(language, sheet, index, page, pages, every)
        self._seen[(user_id, sheet.id, section.id)] = self.desk.now()
        return Message(Raw("\n".join(lines)), buttons)

    def _item_row(self, language: str, item: Contribution, page: int) -> list[Button]:
        star = "board.unstar" if item.starred else "board.star"
        return [
            _button(self.t(language, "board.hide", id=item.id), A.HIDE, item.id, page),
            _button(self.t(language, star, id=item.id), A.STAR, item.id, page),
            _button(self.t(language, "board.merge", id=item.id), A.MERGE, item.id, 0),
        ]

    def _section_nav(
        self,
        language: str,
        sheet: Worksheet,
        index: int,
        page: int,
        pages: int,
        every: list[Contribution],
    ) -> Keyboard:
        rows: Keyboard = []
        paging: list[Button] = []
        if page > 0:
            paging.append(_button("◀", A.SECTION, sheet.id, index, page - 1))
        if page < pages - 1:
            paging.append(_button("▶", A.SECTION, sheet.id, index, page + 1))
        if paging:
            rows.append(paging)
        extra: list[Button] = []
        photos = sum(1 for i in every if i.visible and i.kind == "photo" and i.photo)
        if photos:
            extra.append(
                _button(self.t(language, "board.photos", n=photos), A.PHOTOS, sheet.id, index)
            )
        hidden = sum(1 for i in every if not i.visible)
        if hidden:
            extra.append(
                _button(self.t(language, "board.hidden", n=hidden), A.HIDDEN, sheet.id, index)
            )
        if extra:
            rows.append(extra)
        rows.append([_button(self.t(language, "board.add_item"), A.ADD_ITEM, sheet.id, index)])
        rows.append(
            [
                _button(self.t(language, "board.back"), A.SHEET, sheet.id),
                _button(self.t(language, "board.refresh"), A.SECTION, sheet.id, index, page),
            ]
        )
        return rows

    async def hidden_view(
        self, language: str, sheet: Worksheet, event: Event, index: int
    ) -> Message | None:
        """A section's hidden and merged items, each with "show again"."""
        sections = self.desk.sheets.sections(event)
        if not 0 <= index < len(sections):
            return None
        section = sections[index]
        items = await self.desk.store.items([sheet.id])
        gone = [i for i in items if i.section == section.id and not i.visible][-30:]
        lines = [
            self.t(language, "board.hidden_title", section=section.title.get(language)),
            "",
        ]
        buttons: Keyboard = []
        for item in gone:
            key = "board.was_merged" if item.merged_into is not None else "board.was_hidden"
            state = self.t(language, key, id=item.merged_into or 0)
            lines.append(f"{self.desk.item_line(item, sheet.zone, language)} · {state}")
            buttons.append(
                [_button(self.t(language, "board.restore", id=item.id), A.RESTORE, item.id)]
            )
        if not gone:
            lines.append(self.t(language, "board.section_empty"))
        buttons.append([_button(self.t(language, "board.back"), A.SECTION, sheet.id, index)])
        return Message(Raw("\n".join(lines)), buttons)

    async def photos(self, language: str, sheet: Worksheet, event: Event, index: int) -> Outcome:
        """The section's photos (visible ones) as albums of up to 10."""
        sections = self.desk.sheets.sections(event)
        if not 0 <= index < len(sections):
            return self.desk.alert(language, "board.gone")
        section = sections[index]
        items = await self.desk.store.items([sheet.id])
        photos = [
            (i.photo, f"#{i.id} {escape(short(i.text, 200))}".strip())
            for i in items
            if i.section == section.id and i.visible and i.kind == "photo" and i.photo
        ]
        if not photos:
            return self.desk.alert(language, "board.no_photos")
        return Outcome(close_keyboard=False).add(Album(photos))

    async def merge_picker(self, language: str, item: Contribution, page: int) -> Message:
        """ "Which item does #12 duplicate?": the worksheet's other visible items, its own
        section first, :data:`PICK_SIZE` a page."""
        items = [
            i
            for i in await self.desk.store.items([item.worksheet_id])
            if i.visible and i.id != item.id
        ]
        items.sort(key=lambda i: (i.section != item.section, i.id))
        pages = max(1, -(-len(items) // PICK_SIZE))
        page = min(max(page, 0), pages - 1)
        buttons: Keyboard = [
            [_button(f"#{i.id} {short(i.text or '📷', 40)}", A.INTO, item.id, i.id)]
            for i in items[page * PICK_SIZE : (page + 1) * PICK_SIZE]
        ]
        paging: list[Button] = []
        if page > 0:
            paging.append(_button("◀", A.MERGE, item.id, page - 1))
        if page < pages - 1:
            paging.append(_button("▶", A.MERGE, item.id, page + 1))
        if paging:
            buttons.append(paging)
        back = await self._back_to_item(item)
        buttons.append([Button(self.t(language, "board.back"), back)])
        key = "board.merge_pick" if items else "board.merge_none"
        text = self.t(language, key, id=item.id, text=short(item.text or "📷", 80))
        return Message(text, buttons)

    async def _back_to_item(self, item: Contribution) -> str:
        sheet = await self.desk.store.worksheet(item.worksheet_id)
        event = self.desk.event_of(sheet) if sheet is not None else None
        sections = [s.id for s in self.desk.sheets.sections(event)] if event else []
        index = sections.index(item.section) if item.section in sections else 0
        return BoardButton.of(A.SECTION, item.worksheet_id, index)

    def _new(
        self,
        user_id: int,
        sheet: Worksheet,
        section: str | None,
        items: list[Contribution],
    ) -> int:
        """How many of ``items`` came after the user's last look (at the section, or at any
        of the worksheet's views); 0 the first time."""
        if section is None:
            looks = [t for (u, s, _), t in self._seen.items() if u == user_id and s == sheet.id]
            seen = min(looks) if looks else None
        else:
            seen = self._seen.get((user_id, sheet.id, section))
        return sum(1 for i in items if seen is not None and i.created_at > seen)

    def section_index(self, event: Event, section: str) -> int:
        """The position of a section in the event's list (0 if gone)."""
        ids = [s.id for s in self.desk.sheets.sections(event)]
        return ids.index(section) if section in ids else 0
