"""The board's two set-ups, on the conversation engine: adding an item, choosing a strategy.

- :class:`AddItemFlow`: the facilitator adds an item from the spoken discussion (a text of
  1-500 characters) or a photo of a board (with an optional caption) to a section; a
  preview, then "Add" (stored once per press: the question's token is its dedupe key). The
  item's origin is ``facilitator``, ``added_by`` their Telegram id.
- :class:`StrategyFlow`: add a worksheet for another strategy of the event file, or replace
  one (the replaced worksheet is kept, inactive, with its items); pick, then confirm.

Both are dropped after :data:`SETUP_TTL` without an answer; ``/annulla`` stops them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.kernel.conversation import NEXT, Content, Conversations, FlowData, Handled, Talk
from bot.kernel.i18n import Raw, escape
from bot.kernel.people import Who, clean_text
from bot.kernel.replies import Button, Keyboard, Message, Outcome, Reply
from bot.worksheets.board import BoardViews
from bot.worksheets.desk import SheetDesk, short
from bot.worksheets.service import TEXT_MAX
from storage.worksheets import NewContribution, Origin

SETUP_TTL = dt.timedelta(hours=1)
SHEET_ADD, SHEET_STRATEGY = "sheet_add", "sheet_strategy"
CANCEL, CONFIRM, PICK = "x", "ok", "p"


class AddStep(StrEnum):
    """The steps of adding an item."""

    CONTENT = "content"  # a text or a photo
    CONFIRM = "confirm"


@dataclass
class AddData(FlowData):
    """The item being added."""

    sheet: int
    section: int
    text: str | None = None
    photo: str | None = None


class AddItemFlow:
    """The facilitator adds an item (text or photo) to a section."""

    name: ClassVar[str] = SHEET_ADD
    data_type = AddData
    text_steps: frozenset[str] = frozenset({AddStep.CONTENT})

    def __init__(self, desk: SheetDesk, views: BoardViews, conversations: Conversations) -> None:
        self.desk = desk
        self.views = views
        self.conversations = conversations
        self.t = desk.t

    async def start(self, who: Who, language: str, sheet: int, section: int) -> Outcome:
        """ "Add an item" of a section: ask for the text or photo."""
        found = await self.desk.sheet_for(who.user_id, sheet)
        if found is None or not 0 <= section < len(self.desk.sheets.sections(found[1])):
            return self.desk.alert(language, "board.not_yours")
        return await self.conversations.begin(
            who, self, AddData(sheet, section), language=language, out=Outcome(in_place=True)
        )

    async def next_step(self, talk: Talk[AddData], who: Who | None) -> str:
        """The content, then the confirmation."""
        data = talk.data
        return AddStep.CONTENT if data.text is None and data.photo is None else AddStep.CONFIRM

    def _cancel(self, talk: Talk[AddData]) -> list[Button]:
        return [talk.button(self.t(talk.language, "board.cancel"), CANCEL)]

    async def question(self, talk: Talk[AddData], who: Who | None) -> list[Reply]:
        """ "Send the text or a photo", or the preview with "Add"."""
        language, data = talk.language, talk.data
        found = await self.desk.store.worksheet(data.sheet)
        event = self.desk.event_of(found) if found is not None else None
        sections = self.desk.sheets.sections(event) if event is not None else []
        section = sections[data.section].title.get(language) if data.section < len(sections) else ""
        title = self.desk.sheets.title(found, language) if found is not None else ""
        if talk.step == AddStep.CONTENT:
            text = self.t(language, "board.add_ask", title=title, section=section, max=TEXT_MAX)
            return [Message(text, [self._cancel(talk)])]
        body = f"📷 {escape(data.text or '')}" if data.photo else escape(data.text or "")
        preview = self.t(language, "board.add_preview", title=title, section=section)
        buttons: Keyboard = [
            [talk.button(self.t(language, "board.add_confirm"), CONFIRM)],
            self._cancel(talk),
        ]
        return [Message(Raw(f"{preview}\n\n{body}"), buttons)]

    async def on_text(self, talk: Talk[AddData], text: str, who: Who) -> Handled:
        """The spoken item (else why it is refused)."""
        if talk.step != AddStep.CONTENT:
            return None
        cleaned = clean_text(text, TEXT_MAX)
        if cleaned is None:
            talk.say(self.t(talk.language, "board.text_invalid", max=TEXT_MAX, length=len(text)))
            return await self.conversations.ask(talk, who)
        talk.data.text = cleaned
        return NEXT

    async def on_content(self, talk: Talk[AddData], content: Content, who: Who) -> Handled:
        """A photo of a board (with its caption); anything else: "a text or a photo"."""
        if talk.step != AddStep.CONTENT:
            return None
        if content.kind != "photo" or not content.file_id:
            talk.say(self.t(talk.language, "board.text_or_photo"))
            return await self.conversations.ask(talk, who)
        caption = clean_text(content.caption or "", TEXT_MAX) if content.caption else ""
        if caption is None:
            talk.say(self.t(talk.language, "board.text_invalid", max=TEXT_MAX, length=0))
            return await self.conversations.ask(talk, who)
        talk.data.photo, talk.data.text = content.file_id, caption
        return NEXT

    async def on_button(
        self, talk: Talk[AddData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """Cancel, or "Add": the item is stored and the section shown."""
        language, data = talk.language, talk.data
        if action == CANCEL:
            await self.conversations.end(who.user_id)
            return Outcome(edit=Message(self.t(language, "board.add_cancelled")))
        if action != CONFIRM or talk.step != AddStep.CONFIRM:
            return None
        found = await self.desk.sheet_for(who.user_id, data.sheet)
        await self.conversations.end(who.user_id)
        if found is None:
            return Outcome(edit=Message(self.t(language, "board.not_yours")))
        sheet, event = found
        section = self.desk.sheets.sections(event)[data.section]
        new = NewContribution(
            worksheet_id=sheet.id,
            section=section.id,
            kind="photo" if data.photo else "text",
            text=data.text or "",
            origin=Origin.FACILITATOR,
            photo=data.photo,
            added_by=who.user_id,
            dedupe=f"fac:{who.user_id}:{talk.token}",
        )
        await self.desk.store.add(new, self.desk.now())
        view = await self.views.section_view(
            who.user_id, language, sheet, event, data.section, 10_000
        )
        assert view is not None
        return Outcome(toast=self.t(language, "board.added"), edit=view)

    def takes_any_message(self, talk: Talk[AddData]) -> bool:
        """A photo is taken as content, a text as text."""
        return False

    def stopped(self, talk: Talk[AddData]) -> str:
        """``/annulla``: nothing is added."""
        return "board.add_cancelled"


class StrategyStep(StrEnum):
    """The steps of choosing a strategy."""

    PICK = "pick"
    CONFIRM = "confirm"


@dataclass
class StrategyData(FlowData):
    """A strategy to add to a zone (``replace``: the worksheet it takes the place of)."""

    zone: int
    event: str
    replace: int = 0
    strategy: str | None = None


class StrategyFlow:
    """Add a worksheet, or replace one, with a strategy of the event file."""

    name: ClassVar[str] = SHEET_STRATEGY
    data_type = StrategyData
    text_steps: frozenset[str] = frozenset()

    def __init__(self, desk: SheetDesk, views: BoardViews, conversations: Conversations) -> None:
        self.desk = desk
        self.views = views
        self.conversations = conversations
        self.t = desk.t

    async def start_add(self, who: Who, language: str, zone: int) -> Outcome:
        """ "Add a strategy" of the zone's worksheets."""
        event = self.desk.sheets.current_event()
        if event is None or not await self.desk.may_act(who.user_id, zone):
            return self.desk.alert(language, "board.not_yours")
        data = StrategyData(zone, event.id)
        return await self.conversations.begin(
            who, self, data, language=language, out=Outcome(in_place=True)
        )

    async def start_replace(self, who: Who, language: str, sheet_id: int) -> Outcome:
        """ "Replace the strategy" of a worksheet."""
        found = await self.desk.sheet_for(who.user_id, sheet_id)
        if found is None:
            return self.desk.alert(language, "board.not_yours")
        sheet, event = found
        data = StrategyData(sheet.zone, event.id, replace=sheet.id)
        return await self.conversations.begin(
            who, self, data, language=language, out=Outcome(in_place=True)
        )

    async def next_step(self, talk: Talk[StrategyData], who: Who | None) -> str:
        """The strategy, then the confirmation."""
        return StrategyStep.PICK if talk.data.strategy is None else StrategyStep.CONFIRM

    async def _taken(self, data: StrategyData) -> set[str]:
        event = self.desk.config.event(data.event)
        return {w.strategy for w in await self.desk.sheets.worksheets(event, data.zone)}

    async def question(self, talk: Talk[StrategyData], who: Who | None) -> list[Reply]:
        """The strategies the zone has no worksheet for; or "replace X with Y?"."""
        language, data = talk.language, talk.data
        cancel = [talk.button(self.t(language, "board.cancel"), CANCEL)]
        titles = self.desk.sheets.strategy_title
        old = await self.desk.store.worksheet(data.replace) if data.replace else None
        if talk.step == StrategyStep.PICK:
            taken = await self._taken(data)
            buttons: Keyboard = [
                [talk.button(short(titles(key, language), 60), PICK, key)]
                for key in self.desk.sheets.strategies()
                if key not in taken
            ]
            key = "board.strategy_pick_replace" if old else "board.strategy_pick_add"
            title = titles(old.strategy, language) if old else ""
            text = self.t(language, key, zone=self.desk.zone(data.zone), title=title)
            return [Message(text, [*buttons, cancel])]
        new = titles(data.strategy or "", language)
        if old is not None:
            text = self.t(
                language,
                "board.strategy_confirm_replace",
                old=titles(old.strategy, language),
                new=new,
            )
        else:
            text = self.t(
                language, "board.strategy_confirm_add", new=new, zone=self.desk.zone(data.zone)
            )
        return [Message(text, [[talk.button(self.t(language, "board.confirm"), CONFIRM)], cancel])]

    async def on_button(
        self, talk: Talk[StrategyData], action: str, value: str, who: Who, pressed: int | None
    ) -> Handled:
        """A strategy; then confirm (the worksheet is added or replaced) or cancel."""
        language, data = talk.language, talk.data
        if action == CANCEL:
            await self.conversations.end(who.user_id)
            return Outcome(edit=Message(self.t(language, "board.strategy_cancelled")))
        if talk.step == StrategyStep.PICK and action == PICK:
            if value not in self.desk.sheets.strategies() or value in await self._taken(data):
                return None
            data.strategy = value
            return NEXT
        if talk.step != StrategyStep.CONFIRM or action != CONFIRM or data.strategy is None:
            return None
        await self.conversations.end(who.user_id)
        if not await self.desk.may_act(who.user_id, data.zone):
            return Outcome(edit=Message(self.t(language, "board.not_yours")))
        event = self.desk.config.event(data.event)
        made = None
        if data.replace:
            old = await self.desk.sheet_for(who.user_id, data.replace)
            if old is not None:
                made = await self.desk.sheets.replace(old[0], data.strategy, who.user_id)
        else:
            made = await self.desk.sheets.add(event, data.zone, data.strategy, who.user_id)
        view = await self.views.zone_view(who.user_id, language, data.zone)
        key = "board.strategy_done" if made is not None else "board.strategy_failed"
        return Outcome(toast=self.t(language, key), edit=view)

    async def on_text(self, talk: Talk[StrategyData], text: str, who: Who) -> Handled:
        """Buttons only."""
        return None

    async def on_content(self, talk: Talk[StrategyData], content: Content, who: Who) -> Handled:
        """Buttons only."""
        return None

    def takes_any_message(self, talk: Talk[StrategyData]) -> bool:
        """Buttons only."""
        return False

    def stopped(self, talk: Talk[StrategyData]) -> str:
        """``/annulla``: nothing changes."""
        return "board.strategy_cancelled"
