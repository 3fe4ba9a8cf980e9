"""The board's buttons (``w|...``): checked against the presser's zones, then acted on.

Every press re-reads what it acts on: a worksheet or item of a zone the presser does not act
on (a forged button), or one that is gone (a replaced worksheet), is refused with an alert
and changes nothing. Hide, star and merge answer with the section's page again, in place of
the pressed message, so the board stays one message that is always current.
"""

from __future__ import annotations

from bot.kernel.people import Who
from bot.kernel.replies import Message, Outcome
from bot.worksheets.board import BoardViews
from bot.worksheets.board_buttons import BoardAction, BoardButton
from bot.worksheets.board_edit import AddItemFlow, StrategyFlow
from bot.worksheets.desk import SheetDesk
from bot.worksheets.report import ReportFlows
from storage.worksheets import Contribution, ItemStatus, Worksheet

A = BoardAction
_SHEET_ACTIONS = {A.SHEET, A.SECTION, A.HIDDEN, A.PHOTOS, A.ADD_ITEM, A.REPLACE}
_ITEM_ACTIONS = {A.HIDE, A.RESTORE, A.STAR, A.MERGE, A.INTO}


class BoardFlows:
    """``/scheda`` and every ``w|`` button (the report's go to :class:`ReportFlows`)."""

    def __init__(
        self,
        desk: SheetDesk,
        views: BoardViews,
        add_item: AddItemFlow,
        strategy: StrategyFlow,
        reports: ReportFlows,
    ) -> None:
        self.desk = desk
        self.views = views
        self.add_item = add_item
        self.strategy = strategy
        self.reports = reports

    async def command(self, who: Who) -> Outcome:
        """``/scheda``, ``/worksheet``: the zone's worksheets (or the zone picker)."""
        return await self.views.command(who)

    async def press(self, who: Who, button: BoardButton | None) -> Outcome:
        """A ``w|`` button: routed by its action, after the role check."""
        language = await self.desk.languages.of(who)
        if button is None:
            return self.desk.alert(language, "button.invalid")
        action = button.action
        if action is A.READ:
            return await self.reports.read_button(who, language, button.a, button.b)
        if action is A.REPORT_ZONE:
            return await self.reports.start(who, language, button.a)
        if action in (A.ZONE, A.ADD_SHEET):
            if not await self.desk.may_act(who.user_id, button.a):
                return self.desk.alert(language, "board.not_yours")
            if self.desk.sheets.current_event() is None:
                return self.desk.alert(language, "board.no_event")
            if action is A.ADD_SHEET:
                return await self.strategy.start_add(who, language, button.a)
            view = await self.views.zone_view(who.user_id, language, button.a)
            return Outcome(edit=view, toast=self.desk.t(language, "board.updated"))
        if action in _SHEET_ACTIONS:
            return await self._sheet_press(who, language, button)
        return await self._item_press(who, language, button)

    async def _sheet_press(self, who: Who, language: str, button: BoardButton) -> Outcome:
        found = await self.desk.sheet_for(who.user_id, button.a)
        if found is None:
            return self.desk.alert(language, "board.not_yours")
        sheet, event = found
        action, views = button.action, self.views
        view: Message | None
        if action is A.SHEET:
            view = await views.sheet_view(who.user_id, language, sheet, event)
        elif action is A.SECTION:
            view = await views.section_view(who.user_id, language, sheet, event, button.b, button.c)
        elif action is A.HIDDEN:
            view = await views.hidden_view(language, sheet, event, button.b)
        elif action is A.PHOTOS:
            return await views.photos(language, sheet, event, button.b)
        elif action is A.ADD_ITEM:
            return await self.add_item.start(who, language, sheet.id, button.b)
        else:
            return await self.strategy.start_replace(who, language, sheet.id)
        if view is None:
            return self.desk.alert(language, "board.gone")
        return Outcome(edit=view)

    async def _item(self, who: Who, item_id: int) -> tuple[Contribution, Worksheet] | None:
        """An item of a worksheet the user acts on (None: not theirs, or withdrawn)."""
        item = await self.desk.store.item(item_id)
        if item is None or item.status == ItemStatus.WITHDRAWN:
            return None
        found = await self.desk.sheet_for(who.user_id, item.worksheet_id)
        return (item, found[0]) if found is not None else None

    async def _item_press(self, who: Who, language: str, button: BoardButton) -> Outcome:
        found = await self._item(who, button.a)
        if found is None:
            return self.desk.alert(language, "board.not_yours")
        item, sheet = found
        store, now, action = self.desk.store, self.desk.now(), button.action
        page = button.b
        toast = None
        if action is A.MERGE:
            return Outcome(edit=await self.views.merge_picker(language, item, button.b))
        if action is A.HIDE:
            if not item.visible:
                return self.desk.alert(language, "board.already_hidden")
            await store.set_status(item.id, ItemStatus.HIDDEN, now, only_from=ItemStatus.ACTIVE)
            toast = self.desk.t(language, "board.hidden_done", id=item.id)
        elif action is A.STAR:
            await store.set_starred(item.id, not item.starred, now)
            key = "board.unstarred_done" if item.starred else "board.starred_done"
            toast = self.desk.t(language, key, id=item.id)
        elif action is A.RESTORE:
            await store.set_status(item.id, ItemStatus.ACTIVE, now, only_from=ItemStatus.HIDDEN)
            await store.merge(item.id, None, now)
            toast = self.desk.t(language, "board.restored_done", id=item.id)
            page = 0
        else:  # INTO: fold item into button.b
            target = await self.desk.store.item(button.b)
            if target is None or target.worksheet_id != item.worksheet_id or not target.visible:
                return self.desk.alert(language, "board.merge_invalid")
            if target.id == item.id or not item.visible:
                return self.desk.alert(language, "board.merge_invalid")
            await store.merge(item.id, target.id, now)
            # what was folded into the duplicate follows it
            for other in await store.items([item.worksheet_id]):
                if other.merged_into == item.id:
                    await store.merge(other.id, target.id, now)
            toast = self.desk.t(language, "board.merged_done", id=item.id, into=target.id)
            page = 0
        event = self.desk.event_of(sheet)
        assert event is not None
        index = self.views.section_index(event, item.section)
        view = await self.views.section_view(who.user_id, language, sheet, event, index, page)
        assert view is not None
        return Outcome(edit=view, toast=toast)
