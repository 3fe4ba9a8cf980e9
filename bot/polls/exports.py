"""Exports of poll results: the ``answers_export`` and ``results_by_zone`` views as files.

- CSV: two files, ``<name>-answers.csv`` (one row per answer) and ``<name>-results.csv``
  (one row per poll, zone and option).
- XLSX: one workbook with the two sheets ``answers`` and ``results``.

Both are written by :mod:`bot.spreadsheet` (``;``-separated UTF-8 CSV with a BOM, text that
could run as a formula neutralised — a quick poll's answers are typed by a facilitator —,
numbers as numbers, a bold frozen header with filters in XLSX). The columns are the views'
(``storage.poll_results.VIEW_COLUMNS``, documented in the README); the views' ``time`` (UTC ISO
text) becomes a real date and time in the event's time zone. No personal data: a respondent
is an anonymous number within each poll.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from bot.kernel.spreadsheet import Table, Value, to_csv, to_xlsx
from storage.poll_results import VIEW_COLUMNS
from storage.polls import PollRepository

FORMATS = ("csv", "xlsx")
SHEETS = (("answers", "answers_export"), ("results", "results_by_zone"))
_TIME_COLUMNS = frozenset({"time"})


def _cell(column: str, value: Any) -> Value:
    """A view's value as a typed cell: the UTC ISO ``time`` as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return value
    if column in _TIME_COLUMNS and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return str(value)


def view_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A view's rows as a :class:`~bot.spreadsheet.Table` of typed cells."""
    cells = [
        [_cell(column, value) for column, value in zip(columns, row, strict=True)] for row in rows
    ]
    return Table(title, tuple(columns), cells, widths={"option_label": 40, "question": 40})


async def export_results(
    store: PollRepository,
    fmt: str,
    name: str,
    tz: dt.tzinfo,
    *,
    event_id: str | None = None,
    zones: Iterable[int] | None = None,
) -> list[tuple[str, bytes]]:
    """The export files (file name, content) in ``fmt`` ("csv" or "xlsx"), times in ``tz``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (use csv or xlsx)")
    zone_list = list(zones) if zones is not None else None
    tables = [
        view_table(title, VIEW_COLUMNS[view], await store.view(view, event_id, zone_list))
        for title, view in SHEETS
    ]
    if fmt == "xlsx":
        return [(f"{name}.xlsx", to_xlsx(tables, tz))]
    return [(f"{name}-{table.title}.csv", to_csv(table, tz)) for table in tables]
