"""The regia from the chat (organisers only; facilitators and participants get a polite
refusal): ``/regia`` (the board, :mod:`bot.worksheets.regia`), ``/sintesi`` (session 1's
synthesis and heatmap, then session 2 strategy by strategy,
:mod:`bot.worksheets.synthesis_text`), the documents for the plenary and the exports of
contributions (buttons under ``/sintesi``'s last message), and ``/invia_sintesi``
(:mod:`bot.worksheets.final`). Every regia button (``g|<action>|<event>[|<value>]``) is
checked against the presser's role and the event every time.

The synthesis documents are written in the language of the organiser's chat (Italian by
default; the command line takes ``--lang``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.kernel.clock import Clock
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Document, Message, Outcome, Photo
from bot.polls.service import PollService
from bot.polls.texts import ResultsPresenter
from bot.questions.exports import QuestionExports
from bot.staff.roles import Roles
from bot.worksheets.documents_text import DocumentInput, DocumentText
from bot.worksheets.exports import export_contributions
from bot.worksheets.final import FinalSynthesisFlow
from bot.worksheets.regia import RegiaAction, RegiaBoard, RegiaButton
from bot.worksheets.service import WorksheetService
from bot.worksheets.synthesis import SynthesisBuilder
from bot.worksheets.synthesis_text import SynthesisText
from config.event import Event, EventConfig

DOCUMENT_FORMATS = ("docx", "pptx")


class SynthesisDocuments:
    """The synthesis documents of an event (the chat and the command line share it)."""

    def __init__(
        self,
        catalog: Catalog,
        worksheets: WorksheetService,
        polls: PollService,
        presenter: ResultsPresenter,
        questions: QuestionExports | None = None,
    ) -> None:
        self.catalog = catalog
        self.worksheets = worksheets
        self.presenter = presenter
        self.questions = questions  # the plenary's questions, in a section of their own
        self.builder = SynthesisBuilder(worksheets, polls, questions.builder if questions else None)

    async def document(self, event: Event, fmt: str, language: str) -> tuple[str, bytes]:
        """(file name, content) of the ``docx`` or ``pptx`` synthesis of ``event``."""
        if fmt not in DOCUMENT_FORMATS:
            raise ValueError(f"unknown format {fmt!r} (use docx or pptx)")
        view = await self.builder.build(event)
        heatmap = None
        if view.polls.zones:
            heatmap = await self.presenter.synthesis_chart(event, view.polls, language)
        given = DocumentInput(view, heatmap, language)
        words = self.questions.words if self.questions is not None else None
        text = DocumentText(self.catalog, self.worksheets, language, words)
        # python-docx/python-pptx are imported when a document is made, not at start-up
        from bot.worksheets.documents_docx import synthesis_docx
        from bot.worksheets.documents_pptx import synthesis_pptx

        write = synthesis_docx if fmt == "docx" else synthesis_pptx
        # python-docx/python-pptx are synchronous: a worker thread keeps the bot answering
        return f"sintesi-{event.id}.{fmt}", await asyncio.to_thread(write, given, text)


class RegiaFlows:
    """``/regia``, ``/sintesi``, ``/invia_sintesi`` and the regia's buttons."""

    def __init__(
        self,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        worksheets: WorksheetService,
        polls: PollService,
        presenter: ResultsPresenter,
        final: FinalSynthesisFlow,
        polls_synthesis: Callable[[Who], Awaitable[Outcome]],
        report_text: Callable[[Event, int, str], Awaitable[Raw]],
        questions: QuestionExports | None = None,
    ) -> None:
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.worksheets = worksheets
        self.polls = polls
        self.presenter = presenter
        self.final = final
        self.polls_synthesis = polls_synthesis  # session 1's /sintesi, for events without sheets
        self.report_text = report_text  # a zone's report as its facilitator reads it
        self.board = RegiaBoard(languages, config, catalog, roles, worksheets, polls)
        self.questions = questions  # the plenary's questions: exports, the documents' section
        self.documents = SynthesisDocuments(catalog, worksheets, polls, presenter, questions)
        self.text = SynthesisText(catalog, worksheets)

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    async def _organiser(self, who: Who) -> tuple[str, Event | None, Outcome | None]:
        """(language, the current event, the refusal if ``who`` may not or there is none)."""
        language = await self.languages.of(who)
        if not self.roles.is_organiser(who.user_id):
            return language, None, Outcome().add(Message(self.t(language, "roles.organisers_only")))
        event = self.worksheets.current_event()
        if event is None:
            return language, None, Outcome().add(Message(self.t(language, "regia.no_event")))
        return language, event, None

    # --- commands ---------------------------------------------------------------------------
    async def control_room(self, who: Who) -> Outcome:
        """``/regia``: the board of every zone of the current event."""
        language, event, refused = await self._organiser(who)
        if refused is not None or event is None:
            return refused or Outcome()
        return Outcome().add(await self.board.board(event, language))

    async def synthesis(self, who: Who) -> Outcome:
        """``/sintesi``: session 1's synthesis with its heatmap, then session 2 by strategy,
        then the buttons for the documents and the exports. Without any event with worksheets
        (an event file with no session 2), session 1's synthesis as before."""
        if self.roles.is_organiser(who.user_id) and self.worksheets.current_event() is None:
            return await self.polls_synthesis(who)
        language, event, refused = await self._organiser(who)
        if refused is not None or event is None:
            return refused or Outcome()
        view = await self.documents.builder.build(event)
        out = Outcome()
        out.add(Message(self.presenter.synthesis_text(event, view.polls, language)))
        if view.polls.zones:
            out.add(Photo(await self.presenter.synthesis_chart(event, view.polls, language)))
        for text in self.text.messages(view, language):
            out.add(Message(text))
        buttons = self._file_buttons(event, language)
        if self.questions is not None and await self.questions.any(event.id):
            buttons.append(  # the plenary's questions, once there are any (issue 15)
                [
                    self._button(event, language, "record.button_csv", RegiaAction.QUESTIONS_CSV),
                    self._button(event, language, "record.button_xlsx", RegiaAction.QUESTIONS_XLSX),
                ]
            )
        return out.add(Message(self.t(language, "regia.files_ask"), buttons))

    def _button(self, event: Event, language: str, key: str, action: RegiaAction) -> Button:
        return Button(self.t(language, key), RegiaButton(action, event.id).pack())

    def _file_buttons(self, event: Event, language: str) -> list[list[Button]]:
        def button(key: str, action: RegiaAction) -> Button:
            return Button(self.t(language, key), RegiaButton(action, event.id).pack())

        return [
            [
                button("regia.button_docx", RegiaAction.DOCX),
                button("regia.button_pptx", RegiaAction.PPTX),
            ],
            [
                button("regia.button_csv", RegiaAction.CSV),
                button("regia.button_xlsx", RegiaAction.XLSX),
            ],
        ]

    async def send_synthesis(self, who: Who) -> Outcome:
        """``/invia_sintesi``: the final synthesis file to every registrant."""
        return await self.final.start(who)

    # --- buttons ----------------------------------------------------------------------------
    async def press(self, who: Who, button: RegiaButton | None) -> Outcome:
        """A regia button (None: ``g|...`` data that is none of them)."""
        language = await self.languages.of(who)
        if not self.roles.is_organiser(who.user_id):
            return Outcome(alert=self.t(language, "roles.organisers_only"))
        event = self.board.event(button.event) if button is not None else None
        if button is None or event is None:
            return Outcome(alert=self.t(language, "button.invalid"))
        match button.action:
            case RegiaAction.REFRESH:
                board = await self.board.board(event, language)
                return Outcome(toast=self.t(language, "regia.refreshed"), edit=board)
            case RegiaAction.REPORT:
                return await self._report(event, language, button.value)
            case RegiaAction.LOCK | RegiaAction.UNLOCK:
                locking = button.action is RegiaAction.LOCK
                changed = await self.board.set_lock(event, locking, who.user_id)
                key = "regia.lock_done" if locking else "regia.unlock_done"
                board = await self.board.board(event, language)
                toast = self.t(language, key if changed else "regia.lock_unchanged")
                return Outcome(toast=toast, edit=board)
            case RegiaAction.DOCX | RegiaAction.PPTX:
                fmt = "docx" if button.action is RegiaAction.DOCX else "pptx"
                filename, content = await self.documents.document(event, fmt, language)
                caption = self.t(language, f"regia.caption_{fmt}", event=event.title.get(language))
                out = Outcome(toast=self.t(language, "regia.file_toast"), close_keyboard=False)
                return out.add(Document(filename, content, caption))
            case RegiaAction.CSV | RegiaAction.XLSX:
                return await self._export(event, language, button.action)
            case RegiaAction.QUESTIONS_CSV | RegiaAction.QUESTIONS_XLSX:
                return await self._questions(event, language, button.action)
        return Outcome(alert=self.t(language, "button.invalid"))

    async def _report(self, event: Event, language: str, value: str | None) -> Outcome:
        if value is None or not value.isdigit() or not self.config.has_zone(int(value)):
            return Outcome(alert=self.t(language, "button.invalid"))
        out = Outcome(close_keyboard=False)
        return out.add(Message(await self.report_text(event, int(value), language)))

    async def _export(self, event: Event, language: str, action: RegiaAction) -> Outcome:
        fmt = "csv" if action is RegiaAction.CSV else "xlsx"
        filename, content, rows = await export_contributions(
            self.worksheets.store,
            fmt,
            f"contributi-{event.id}",
            self.config.tz,
            lambda strategy: self.worksheets.strategy_title(strategy, "it"),
            event_id=event.id,
        )
        caption = self.t(
            language, "regia.caption_export", event=event.title.get(language), rows=rows
        )
        out = Outcome(toast=self.t(language, "regia.file_toast"), close_keyboard=False)
        return out.add(Document(filename, content, caption))

    async def _questions(self, event: Event, language: str, action: RegiaAction) -> Outcome:
        """The plenary's questions with their fates, as a file (issue 15)."""
        if self.questions is None:
            return Outcome(alert=self.t(language, "button.invalid"))
        fmt = "csv" if action is RegiaAction.QUESTIONS_CSV else "xlsx"
        filename, content, rows = await self.questions.export(
            fmt, f"domande-{event.id}", self.clock.now(), event_id=event.id
        )
        caption = self.t(
            language, "record.caption_export", event=event.title.get(language), rows=rows
        )
        out = Outcome(toast=self.t(language, "regia.file_toast"), close_keyboard=False)
        return out.add(Document(filename, content, caption))
