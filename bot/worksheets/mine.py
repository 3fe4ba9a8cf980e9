"""``/contributi`` (``/my_contributions``): a participant's own contributions, to withdraw one.

The list shows each contribution of the current event (strategy, section, the text or
"📷 photo" with its caption, the time), :data:`PAGE` a message (so a page stays far below
Telegram's 4,096 characters even with 500-character texts), with ◀︎ ▶︎ between pages. While
contributions are open each active one has a withdraw button: pressing it withdraws it at
once (no confirmation: it is one tap, and contributing again is as easy), answers with a
toast and shows the same page again, in place. A contribution the facilitator hid stays in
the list (it is still the participant's) but cannot be withdrawn; withdrawn ones leave it.
"""

from __future__ import annotations

import logging

from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog, Raw, escape
from bot.kernel.replies import Button, Keyboard, Message, Outcome
from bot.worksheets.access import ContributionGate
from bot.worksheets.contribution_buttons import MineButton, WithdrawButton
from bot.worksheets.service import WorksheetService
from config.event import Event, EventConfig
from storage.worksheets import Contribution, ItemStatus, Worksheet

log = logging.getLogger(__name__)

PAGE = 5  # contributions a message
PER_ROW = 5  # withdraw buttons a row


class MyContributions:
    """The participant's list and its withdraw buttons."""

    def __init__(
        self,
        config: EventConfig,
        catalog: Catalog,
        service: WorksheetService,
        gate: ContributionGate,
    ) -> None:
        self.config = config
        self.t = catalog
        self.service = service
        self.gate = gate
        self.store = service.store

    async def command(self, user_id: int, language: str) -> Outcome:
        """``/contributi``: the first page."""
        return Outcome().add(await self.page(user_id, language, 0))

    async def turn(self, user_id: int, language: str, page: int) -> Outcome:
        """◀︎ / ▶︎ (or "my contributions" under a saved one): that page, in place."""
        return Outcome(edit=await self.page(user_id, language, page))

    async def withdraw(self, user_id: int, language: str, item_id: int, page: int) -> Outcome:
        """Withdraw one's own contribution while contributions are open; the page again."""
        event = self.service.current_event()
        if event is None:
            return Outcome(alert=self.t(language, "contrib.no_event"), close_keyboard=False)
        if self.gate.window_refusal(event, language) is not None:
            return Outcome(
                alert=self.t(language, "contrib.withdraw_closed"),
                edit=await self.page(user_id, language, page),
            )
        if not await self.store.withdraw_own(item_id, user_id, self.gate.now()):
            return Outcome(
                alert=self.t(language, "contrib.withdraw_gone"),
                edit=await self.page(user_id, language, page),
            )
        log.info("contribution withdrawn: event=%s item=%d", event.id, item_id)
        return Outcome(
            toast=self.t(language, "contrib.withdrawn"),
            edit=await self.page(user_id, language, page),
        )

    async def page(self, user_id: int, language: str, page: int) -> Message:
        """One page of the list (the last one if ``page`` is past it)."""
        event = self.service.current_event()
        if event is None:
            return Message(self.t(language, "contrib.no_event"))
        items = await self.store.own_items(event.id, user_id)
        if not items:
            return Message(self.t(language, "contrib.mine_none"))
        pages = (len(items) + PAGE - 1) // PAGE
        page = max(0, min(page, pages - 1))
        shown = items[page * PAGE : (page + 1) * PAGE]
        sheets = await self._sheets(shown)
        first = sheets.get(shown[0].worksheet_id)
        zone = zone_label(self.config, first.zone) if first is not None else ""
        lines = [
            self._line(event, page * PAGE + n, item, sheets.get(item.worksheet_id), language)
            for n, item in enumerate(shown, start=1)
        ]
        parts = [str(self.t(language, "contrib.mine_header", count=len(items), zone=zone))]
        parts += lines
        if pages > 1:
            parts.append(str(self.t(language, "contrib.mine_page", page=page + 1, pages=pages)))
        is_open = self.gate.window_refusal(event, language) is None
        parts.append(
            str(self.t(language, "contrib.mine_open" if is_open else "contrib.mine_closed"))
        )
        return Message(
            Raw("\n\n".join(parts)), self._buttons(shown, page, pages, is_open, language)
        )

    async def _sheets(self, items: list[Contribution]) -> dict[int, Worksheet]:
        found: dict[int, Worksheet] = {}
        for item in items:
            if item.worksheet_id not in found:
                sheet = await self.store.worksheet(item.worksheet_id)
                if sheet is not None:
                    found[sheet.id] = sheet
        return found

    def _line(
        self, event: Event, number: int, item: Contribution, sheet: Worksheet | None, language: str
    ) -> str:
        title = self.service.title(sheet, language) if sheet is not None else "?"
        if item.kind == "photo":
            body = self.t(language, "contrib.photo_item", caption=item.text or "—")
        else:
            body = Raw(escape(item.text))
        return str(
            self.t(
                language,
                "contrib.mine_item",
                number=number,
                title=title,
                section=self.service.section_title(event, item.section, language),
                time=self.service.local_time(item.created_at),
                body=body,
            )
        )

    def _buttons(
        self, shown: list[Contribution], page: int, pages: int, is_open: bool, language: str
    ) -> Keyboard:
        rows: Keyboard = []
        if is_open:
            withdraw = [
                Button(
                    self.t(language, "contrib.withdraw_button", number=page * PAGE + n),
                    WithdrawButton(item.id, page).pack(),
                )
                for n, item in enumerate(shown, start=1)
                if item.status == ItemStatus.ACTIVE
            ]
            rows += [withdraw[i : i + PER_ROW] for i in range(0, len(withdraw), PER_ROW)]
        turn: list[Button] = []
        if page > 0:
            turn.append(Button("◀︎", MineButton(page - 1).pack()))
        if page < pages - 1:
            turn.append(Button("▶︎", MineButton(page + 1).pack()))
        if turn:
            rows.append(turn)
        return rows
