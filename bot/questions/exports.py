"""Exports of the plenary's questions: one row per question with its fate, as CSV or XLSX
through the one safe writer (:mod:`bot.kernel.spreadsheet`: a question typed like a formula,
``=HYPERLINK(...)``, is exported as text, never run).

The rows are the ``questions_export`` view (migration 10) plus the window's title and the
fate, derived as the record derives it (:mod:`bot.questions.record`: "not reached" is a
published question still open after its window closed). Columns (:data:`COLUMNS`):
``question_id``, ``event_id``, ``window_id``, ``window_title`` (Italian, like the other
exports' titles), ``axis``, ``text``, ``mode`` (``in_person`` / ``online``), ``language``,
``name`` (only where the asker chose to show it; empty once erased or purged), ``status``
(as stored), ``fate`` (``answered``, ``not_reached``, ``merged``, ``hidden``,
``not_moderated``; during a window also ``answering`` and ``open``), ``fate_text`` (the fate
in words: "risposta alle 9:38", "unita alla #3", "nascosta: linguaggio offensivo..."),
``hide_reason`` (the reason's key), ``merged_into``, ``supports`` (its own supporters and
those of the questions merged into it, each person once), ``created_at``, ``published_at``,
``highlighted_at``, ``answered_at`` (local time). The XLSX has a second sheet, ``storia``:
every change of every question (``question_id``, ``time``, ``action``, ``detail``: the
reason or the question merged into), without who made it. No Telegram ids, no registration
ids: the file can go to whoever writes the minutes.
"""

from __future__ import annotations

import datetime as dt

from bot.kernel.spreadsheet import Table, Value, int_cell, text_cell, time_cell, to_csv, to_xlsx
from bot.questions.record import Entry, RecordBuilder, RecordText
from config.event import EventConfig
from storage.question_record import QuestionRecordRepository
from storage.questions import QuestionRepository, QuestionStatus

FORMATS = ("csv", "xlsx")
COLUMNS = (
    "question_id",
    "event_id",
    "window_id",
    "window_title",
    "axis",
    "text",
    "mode",
    "language",
    "name",
    "status",
    "fate",
    "fate_text",
    "hide_reason",
    "merged_into",
    "supports",
    "created_at",
    "published_at",
    "highlighted_at",
    "answered_at",
)
STORY_COLUMNS = ("question_id", "time", "action", "detail")
LANGUAGE = "it"  # the exports' words, as the other exports' titles


class QuestionExports:
    """The questions' export files (the chat and the command line share it)."""

    def __init__(
        self,
        config: EventConfig,
        store: QuestionRepository,
        record_store: QuestionRecordRepository,
        builder: RecordBuilder,
        words: RecordText,
    ) -> None:
        self.config = config
        self.store = store
        self.record_store = record_store
        self.builder = builder
        self.words = words

    async def any(self, event_id: str) -> bool:
        """Whether the event received any question (the export buttons are shown then)."""
        return await self.store.count(event_id, list(QuestionStatus)) > 0

    async def _entries(self, event_id: str | None, now: dt.datetime) -> dict[int, Entry]:
        entries: dict[int, Entry] = {}
        for event in self.config.events:
            if event_id is None or event.id == event_id:
                record = await self.builder.build(event, now)
                entries.update((entry.id, entry) for entry in record.entries)
        return entries

    def _titles(self) -> dict[tuple[str, str], str]:
        return {
            (event.id, slot.id): slot.title.get(LANGUAGE)
            for event in self.config.events
            for slot in self.config.question_windows(event)
        }

    async def rows(self, event_id: str | None, now: dt.datetime) -> list[list[Value]]:
        """One row per question (of one event, or every event), in the order asked."""
        entries = await self._entries(event_id, now)
        titles = self._titles()
        rows: list[list[Value]] = []
        for row in await self.store.export_rows(event_id):
            entry = entries.get(int(row["question_id"]))
            fate = entry.fate.value if entry is not None else None
            words = self.words
            rows.append(
                [
                    int_cell(row["question_id"]),
                    text_cell(row["event_id"]),
                    text_cell(row["window_id"]),
                    titles.get((str(row["event_id"]), str(row["window_id"]))),
                    text_cell(row["axis"]),
                    text_cell(row["text"]),
                    text_cell(row["mode"]),
                    text_cell(row["language"]),
                    text_cell(row["name"]),
                    text_cell(row["status"]),
                    fate,
                    words.fate(entry, LANGUAGE) if entry is not None else None,
                    text_cell(row["hide_reason"]),
                    int_cell(row["merged_into"]),
                    int_cell(row["supports"]),
                    time_cell(row["created_at"]),
                    time_cell(row["published_at"]),
                    time_cell(row["highlighted_at"]),
                    time_cell(row["answered_at"]),
                ]
            )
        return rows

    async def export(
        self, fmt: str, name: str, now: dt.datetime, *, event_id: str | None = None
    ) -> tuple[str, bytes, int]:
        """(file name, content, rows) of the export in ``fmt`` ("csv" or "xlsx")."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r} (use csv or xlsx)")
        rows = await self.rows(event_id, now)
        tz = self.config.tz
        table = Table("domande", COLUMNS, rows, widths={"text": 60, "fate_text": 40})
        if fmt == "csv":
            return f"{name}.csv", to_csv(table, tz), len(rows)
        story: list[list[Value]] = [
            [s.question_id, s.at, s.action, s.detail]
            for s in await self.record_store.stories(event_id)
        ]
        content = to_xlsx([table, Table("storia", STORY_COLUMNS, story)], tz)
        return f"{name}.xlsx", content, len(rows)
