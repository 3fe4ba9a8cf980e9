"""``/contributo`` (``/contribute``): a participant's contribution to a worksheet.

A conversation on the kernel's engine (:class:`ContributionFlow`, steps
:class:`ContributionStep`): the worksheet (asked only when the zone has more than one: with
one, the question would have one answer), the section (titles and hints from the event
file), then the contribution itself — a text of 1 to :data:`TEXT_MAX` characters (line
breaks kept: a post-it's list stays a list), or a photo (a post-it board, a flipchart) with
an optional caption — and a summary to confirm, change the section, or cancel. A new text
or photo sent at the summary replaces the one there.

On confirm the contribution is written at once (:meth:`WorksheetRepository.add`), with the
confirming question's token as its ``dedupe`` key: a second press of the same button finds
the conversation over and is answered "already saved" (a stale handler), nothing stored
twice. The answer offers "add another" to the same worksheet (a :class:`ContributeButton`,
valid after the conversation) and the participant's list (``/contributi``).
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.kernel.conversation import (
    NEXT,
    Content,
    Conversations,
    FlowButton,
    FlowData,
    Handled,
    Talk,
)
from bot.kernel.format import ellipsis
from bot.kernel.i18n import Catalog, Raw, escape
from bot.kernel.people import Who, has_visible, strip_invisible
from bot.kernel.replies import Button, Keyboard, Message, Outcome, Reply
from bot.worksheets.access import ContributionGate, Contributor, Refusal
from bot.worksheets.contribution_buttons import ContributeButton, MineButton
from bot.worksheets.service import TEXT_MAX, WorksheetService
from storage.worksheets import NewContribution, Origin, Worksheet

log = logging.getLogger(__name__)

CONTRIBUTE = "contribute"
SHEET, SECTION, CONFIRM, CANCEL = "s", "x", "ok", "no"
TEXT, PHOTO = "text", "photo"
LABEL_MAX = 48  # characters of a strategy title on a button


class ContributionStep(StrEnum):
    """The steps of a contribution."""

    WORKSHEET = "worksheet"
    SECTION = "section"
    CONTENT = "content"  # the text or the photo
    CONFIRM = "confirm"


@dataclass
class ContributionData(FlowData):
    """The contribution being written."""

    event: str
    registration: int
    zone: int
    worksheet: int | None = None
    section: str | None = None
    kind: str | None = None  # "text" or "photo"
    text: str = ""
    photo: str | None = None  # the photo's Telegram file_id


def clean_contribution(value: str) -> str:
    """A contribution's text as stored: invisible and control characters removed, spaces
    collapsed within lines, at most one blank line between paragraphs, trimmed (may be '')."""
    lines = [" ".join(strip_invisible(line).split()) for line in value.splitlines()]
    kept: list[str] = []
    for line in lines:
        line = "".join(c for c in line if unicodedata.category(c) != "Cc")
        if line or (kept and kept[-1]):
            kept.append(line)
    text = "\n".join(kept).strip()
    return text if has_visible(text) else ""


def dedupe_key(token: str) -> str:
    """The ``dedupe`` key of the contribution confirmed with a question's ``token``."""
    return f"c:{token}"


def _label(title: str) -> str:
    return ellipsis(title, LABEL_MAX)


class ContributionFlow:
    """The contribution's conversation (see the module doc)."""

    name: ClassVar[str] = CONTRIBUTE
    data_type = ContributionData
    text_steps: frozenset[str] = frozenset({ContributionStep.CONTENT})

    def __init__(
        self,
        conversations: Conversations,
        catalog: Catalog,
        service: WorksheetService,
        gate: ContributionGate,
    ) -> None:
        self.conversations = conversations
        self.t = catalog
        self.service = service
        self.gate = gate
        self.store = service.store

    # --- entry points -----------------------------------------------------------------------
    async def begin(
        self, who: Who, language: str, contributor: Contributor, sheet: Worksheet | None = None
    ) -> Outcome:
        """Start a contribution (on ``sheet`` if given; on the only one if there is one)."""
        registration = contributor.registration
        data = ContributionData(contributor.event.id, registration.id, registration.zone)
        if sheet is not None:
            data.worksheet = sheet.id
        elif len(contributor.worksheets) == 1:
            data.worksheet = contributor.worksheets[0].id
        return await self.conversations.begin(who, self, data, language=language)

    async def on_stale(self, who: Who, button: FlowButton) -> Outcome | None:
        """A confirm pressed again after it was saved: "already saved", not "not valid"."""
        if button.action != CONFIRM:
            return None
        if await self.store.by_dedupe(dedupe_key(button.token)) is None:
            return None
        language = await self.conversations.languages.of(who)
        return Outcome(toast=self.t(language, "contrib.already_saved"), close_keyboard=False)

    # --- the engine's side ------------------------------------------------------------------
    async def next_step(self, talk: Talk[ContributionData], who: Who | None) -> str:
        """Worksheet, section, content, confirm: the first not answered."""
        data = talk.data
        if data.worksheet is None:
            return ContributionStep.WORKSHEET
        if data.section is None:
            return ContributionStep.SECTION
        if data.kind is None:
            return ContributionStep.CONTENT
        return ContributionStep.CONFIRM

    async def question(self, talk: Talk[ContributionData], who: Who | None) -> list[Reply]:
        """The current step's question."""
        step = talk.step
        if step == ContributionStep.WORKSHEET:
            return [await self._ask_worksheet(talk)]
        if step == ContributionStep.SECTION:
            return [await self._ask_section(talk)]
        if step == ContributionStep.CONTENT:
            return [await self._ask_content(talk)]
        return [await self._summary(talk)]

    def _cancel_row(self, talk: Talk[ContributionData]) -> list[Button]:
        return [talk.button(self.t(talk.language, "contrib.cancel_button"), CANCEL)]

    async def _sheets(self, talk: Talk[ContributionData]) -> list[Worksheet]:
        event = self.service.config.event(talk.data.event)
        return await self.service.worksheets(event, talk.data.zone)

    async def _ask_worksheet(self, talk: Talk[ContributionData]) -> Message:
        language = talk.language
        rows: Keyboard = [
            [
                talk.button(
                    f"{n}. {ellipsis(self.service.title(s, language), LABEL_MAX)}", SHEET, str(s.id)
                )
            ]
            for n, s in enumerate(await self._sheets(talk), start=1)
        ]
        lines = "\n".join(
            f"{n}. {escape(self.service.title(s, language))}"
            for n, s in enumerate(await self._sheets(talk), start=1)
        )
        text = self.t(language, "contrib.ask_worksheet", sheets=Raw(lines))
        return Message(text, [*rows, self._cancel_row(talk)])

    async def _title(self, talk: Talk[ContributionData]) -> str:
        sheet = await self.store.worksheet(talk.data.worksheet or 0)
        return self.service.title(sheet, talk.language) if sheet is not None else "?"

    async def _ask_section(self, talk: Talk[ContributionData]) -> Message:
        language = talk.language
        event = self.service.config.event(talk.data.event)
        sections = self.service.sections(event)
        lines = []
        for section in sections:
            hint = f": {escape(section.hint.get(language))}" if section.hint is not None else ""
            lines.append(f"• <b>{escape(section.title.get(language))}</b>{hint}")
        text = self.t(
            language,
            "contrib.ask_section",
            title=await self._title(talk),
            sections=Raw("\n".join(lines)),
        )
        rows: Keyboard = [
            [talk.button(section.title.get(language), SECTION, section.id)] for section in sections
        ]
        return Message(text, [*rows, self._cancel_row(talk)])

    async def _where(self, talk: Talk[ContributionData]) -> dict[str, str]:
        event = self.service.config.event(talk.data.event)
        section = self.service.section_title(event, talk.data.section or "", talk.language)
        return {"title": await self._title(talk), "section": section}

    async def _ask_content(self, talk: Talk[ContributionData]) -> Message:
        text = self.t(talk.language, "contrib.ask_content", max=TEXT_MAX, **await self._where(talk))
        change = talk.button(self.t(talk.language, "contrib.change_section"), SECTION)
        return Message(text, [[change], self._cancel_row(talk)])

    async def _summary(self, talk: Talk[ContributionData]) -> Message:
        language, data = talk.language, talk.data
        if data.kind == PHOTO:
            body = self.t(language, "contrib.photo_item", caption=data.text or "—")
        else:
            body = Raw(escape(data.text))
        text = self.t(language, "contrib.summary", body=body, **await self._where(talk))
        buttons: Keyboard = [
            [talk.button(self.t(language, "contrib.confirm_button"), CONFIRM)],
            [
                talk.button(self.t(language, "contrib.change_section"), SECTION),
                talk.button(self.t(language, "contrib.cancel_button"), CANCEL),
            ],
        ]
        return Message(text, buttons)

    async def on_button(
        self,
        talk: Talk[ContributionData],
        action: str,
        value: str,
        who: Who,
        pressed: int | None,
    ) -> Handled:
        """Cancel; a worksheet; a section; change the section; confirm."""
        data, step = talk.data, talk.step
        if action == CANCEL:
            await self.conversations.end(who.user_id)
            return Outcome(edit=Message(self.t(talk.language, "contrib.cancelled")))
        if action == SHEET and step == ContributionStep.WORKSHEET and value.isdecimal():
            if not any(s.id == int(value) for s in await self._sheets(talk)):
                return None
            data.worksheet = int(value)
            return NEXT
        if action == SECTION and not value and step != ContributionStep.SECTION:
            data.section = None  # "change the section": asked again, the content kept
            return NEXT
        if action == SECTION and step == ContributionStep.SECTION:
            event = self.service.config.event(data.event)
            if self.service.section(event, value) is None:
                return None
            data.section = value
            return NEXT
        if action == CONFIRM and step == ContributionStep.CONFIRM:
            return await self._save(talk, who)
        return None

    async def on_text(self, talk: Talk[ContributionData], text: str, who: Who) -> Handled:
        """The contribution's text (at the summary: a new text replaces it)."""
        if talk.step not in (ContributionStep.CONTENT, ContributionStep.CONFIRM):
            return None
        cleaned = clean_contribution(text)
        if not cleaned:
            return await self._again(talk, who, self.t(talk.language, "contrib.empty"))
        if len(cleaned) > TEXT_MAX:
            message = self.t(talk.language, "contrib.too_long", length=len(cleaned), max=TEXT_MAX)
            return await self._again(talk, who, message)
        talk.data.kind, talk.data.text, talk.data.photo = TEXT, cleaned, None
        return NEXT

    async def on_content(self, talk: Talk[ContributionData], content: Content, who: Who) -> Handled:
        """A photo (with its caption) is a contribution; anything else is refused politely."""
        language = talk.language
        if talk.step not in (ContributionStep.CONTENT, ContributionStep.CONFIRM):
            return None
        if content.kind != PHOTO or not content.file_id:
            return await self._again(talk, who, self.t(language, "contrib.only_text_or_photo"))
        caption = clean_contribution(content.caption or "")
        if len(caption) > TEXT_MAX:
            message = self.t(
                language, "contrib.caption_too_long", length=len(caption), max=TEXT_MAX
            )
            return await self._again(talk, who, message)
        talk.data.kind, talk.data.text, talk.data.photo = PHOTO, caption, content.file_id
        return NEXT

    async def _again(self, talk: Talk[ContributionData], who: Who, note: Raw) -> Outcome:
        """A short note, then the current question again (nothing taken)."""
        talk.say(note)
        return await self.conversations.ask(talk, who)

    async def _save(self, talk: Talk[ContributionData], who: Who) -> Outcome:
        """Check again (the window, the registration, the worksheet), then store it."""
        language, data = talk.language, talk.data
        contributor = await self.gate.contributor(who.user_id, language)
        if isinstance(contributor, Refusal) or contributor.registration.id != data.registration:
            await self.conversations.end(who.user_id)
            refusal = contributor if isinstance(contributor, Refusal) else None
            message = refusal or self.t(language, "contrib.registration_changed")
            return Outcome(edit=Message(self.t(language, "contrib.not_saved", why=message)))
        sheet = await self.gate.sheet(contributor, data.worksheet or 0, language)
        if isinstance(sheet, Refusal):
            await self.conversations.end(who.user_id)
            return Outcome(edit=Message(self.t(language, "contrib.not_saved", why=sheet)))
        new = NewContribution(
            worksheet_id=sheet.id,
            section=data.section or "",
            kind=data.kind or TEXT,
            text=data.text,
            origin=Origin.PARTICIPANT,
            photo=data.photo,
            registration_id=data.registration,
            dedupe=dedupe_key(talk.token),
        )
        where = await self._where(talk)
        await self.store.add(new, self.service.clock.now())
        await self.conversations.end(who.user_id)
        log.info(
            "contribution stored: event=%s zone=%d worksheet=%d kind=%s",
            data.event,
            data.zone,
            sheet.id,
            new.kind,
        )
        text = self.t(language, "contrib.saved", **where)
        buttons: Keyboard = [
            [
                Button(
                    self.t(language, "contrib.add_another", title=ellipsis(where["title"], 32)),
                    ContributeButton(sheet.id).pack(),
                )
            ],
            [Button(self.t(language, "contrib.my_list_button"), MineButton(0).pack())],
        ]
        return Outcome().add(Message(text, buttons))

    def takes_any_message(self, talk: Talk[ContributionData]) -> bool:
        """Texts are texts (a photo comes as content)."""
        return False

    def stopped(self, talk: Talk[ContributionData]) -> str:
        """``/annulla``: nothing stored."""
        return "contrib.cancelled"
