"""Exports of poll results: the ``answers_export`` and ``results_by_zone`` views as files.

- CSV: two files, ``<name>-answers.csv`` (one row per answer) and ``<name>-results.csv``
  (one row per poll, zone and option), UTF-8 with a byte-order mark so spreadsheet programs
  read the accents, comma-separated, a header row.
- XLSX (openpyxl): one workbook with the two sheets ``answers`` and ``results``.

The columns are the views' (``storage.polls.VIEW_COLUMNS``, documented in the README); no
personal data: a respondent is an anonymous number within each poll.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

from storage.polls import VIEW_COLUMNS, PollRepository

FORMATS = ("csv", "xlsx")
SHEETS = (("answers", "answers_export"), ("results", "results_by_zone"))


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file (UTF-8 with BOM, comma, header row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """An Excel workbook with one sheet per (title, columns, rows)."""
    workbook = Workbook()
    first = True
    for title, columns, rows in sheets:
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        sheet.title = title
        sheet.append(list(columns))
        for row in rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(10, min(40, len(column) + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def export_results(
    store: PollRepository,
    fmt: str,
    name: str,
    *,
    event_id: str | None = None,
    zones: Iterable[int] | None = None,
) -> list[tuple[str, bytes]]:
    """The export files (file name, content) in ``fmt`` ("csv" or "xlsx")."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (use csv or xlsx)")
    zone_list = list(zones) if zones is not None else None
    sheets = [
        (title, VIEW_COLUMNS[view], await store.view(view, event_id, zone_list))
        for title, view in SHEETS
    ]
    if fmt == "xlsx":
        return [(f"{name}.xlsx", xlsx_bytes(sheets))]
    return [(f"{name}-{title}.csv", csv_bytes(columns, rows)) for title, columns, rows in sheets]
