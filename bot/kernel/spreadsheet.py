"""The one spreadsheet writer every export goes through: a :class:`Table` to CSV or XLSX.

A table is a header and typed rows; a cell is ``str``, ``int``, ``float``, ``datetime``,
``date`` or ``None``. The same rules hold for every export (registrations, poll results,
a broadcast's "not reached" report, and whatever is added later):

- **Text is never a formula.** Text starting with ``=``, ``+``, ``-``, ``@``, a tab, a
  carriage return or a line feed (what Excel, LibreOffice and Google Sheets may run as a
  formula or a DDE call: ``=cmd|' /C calc'!A0``) is neutralised: in CSV prefixed with an
  apostrophe ``'`` (OWASP's advice for CSV injection; the apostrophe is visible and marks
  the cell as typed text), in XLSX stored as a text cell with Excel's "quote prefix" (it
  stays text even when the cell is edited). Only text is neutralised: ``-3`` as a number
  stays a number. Characters an XLSX file cannot hold (C0 controls other than tab, newline
  and CR) are dropped from text in both formats; in XLSX a CR is a line feed (as XML reads
  it).
- **CSV**: UTF-8 with a byte-order mark, ``;`` as separator, CRLF line ends, a header row —
  what Excel with Italian settings opens with a double click (there the comma is the
  decimal separator, so decimals are written with a comma too: ``0,25``). Times are
  ``YYYY-MM-DD HH:MM:SS`` in the event's time zone, dates ``YYYY-MM-DD`` (ISO forms any
  Excel reads as dates). Empty cells are empty.
- **XLSX** (openpyxl): one sheet per table; numbers as numbers, times as real Excel dates
  in the event's time zone (naive local time with a date number format), a bold header row,
  frozen, with an autofilter, and column widths that fit the content (within limits).

Datetimes must be aware (they are converted to the given time zone); dates are calendar
dates and stay as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Value = str | int | float | dt.datetime | dt.date | None

DELIMITER = ";"
#: what a spreadsheet may read as the start of a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MIN_WIDTH, _MAX_WIDTH = 8, 50
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


# --- a database view's cells as spreadsheet values (the exports read SQL views) ---------------
def time_cell(value: object) -> dt.datetime | None:
    """An ISO time from a view (UTC when it has no offset), or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def int_cell(value: object) -> int | None:
    """An integer from a view, or None."""
    return int(value) if isinstance(value, int) else None


def text_cell(value: object) -> str | None:
    """A value from a view as text, None staying None."""
    return str(value) if value is not None else None


@dataclass(frozen=True)
class Table:
    """A header and typed rows; ``title`` names the XLSX sheet (at most 31 characters)."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Value]]
    widths: Mapping[str, float] = field(default_factory=dict)  # column -> width, overrides


def is_dangerous(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula."""
    return text.startswith(FORMULA_START)


def clean_text(text: str) -> str:
    """The text without the control characters a spreadsheet cannot hold."""
    return _ILLEGAL.sub("", text)


def neutralise(text: str) -> str:
    """CSV text that no spreadsheet runs: a leading ``'`` before a dangerous start."""
    text = clean_text(text)
    return "'" + text if is_dangerous(text) else text


def _local(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime in a spreadsheet: give an aware one")
    return value.astimezone(tz).replace(tzinfo=None, microsecond=0)


def _csv_number(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return ""
    return repr(value).replace(".", ",")  # the shortest exact form, decimal comma


def csv_cell(value: Value, tz: dt.tzinfo) -> str:
    """One cell as CSV text (see the module's rules)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _csv_number(value)
    if isinstance(value, dt.datetime):
        return _local(value, tz).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def to_csv(table: Table, tz: dt.tzinfo) -> bytes:
    """The table as CSV: UTF-8 with BOM, ``;``, CRLF, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([neutralise(column) for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(value, tz) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_value(value: Value, tz: dt.tzinfo) -> Value:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dt.datetime):
        return _local(value, tz)
    if isinstance(value, str):  # XML turns a CR into a line feed anyway: say so
        return clean_text(value).replace("\r\n", "\n").replace("\r", "\n")
    return value


def _shown_length(value: Value) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\``, at most 31 characters."""
    base = _SHEET_TITLE_BAD.sub("_", title).strip("'")[:31] or "sheet"
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def to_xlsx(tables: Sequence[Table], tz: dt.tzinfo) -> bytes:
    """The tables as one workbook, one sheet each (see the module's rules)."""
    from openpyxl import Workbook  # only when an XLSX is made (not at start-up)
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    bold = Font(bold=True)
    taken: set[str] = set()
    for index, table in enumerate(tables):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        assert sheet is not None
        sheet.title = sheet_title(table.title, taken)
        widths = [len(column) for column in table.columns]
        for column_index, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=1, column=column_index, value=clean_text(column))
            cell.data_type = "s"
            cell.font = bold
        for row_index, row in enumerate(table.rows, start=2):
            for column_index, raw in enumerate(row, start=1):
                value = _xlsx_value(raw, tz)
                if value is None:
                    continue
                cell = sheet.cell(row=row_index, column=column_index, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # openpyxl takes "=..." for a formula otherwise
                    if is_dangerous(value):
                        cell.quotePrefix = True
                elif isinstance(value, dt.datetime):
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(value, dt.date):
                    cell.number_format = DATE_FORMAT
                if column_index <= len(widths):
                    widths[column_index - 1] = max(widths[column_index - 1], _shown_length(value))
        sheet.freeze_panes = "A2"
        if table.columns:
            last = get_column_letter(len(table.columns))
            sheet.auto_filter.ref = f"A1:{last}{max(len(table.rows) + 1, 1)}"
        for column_index, column in enumerate(table.columns, start=1):
            width = table.widths.get(column)
            if width is None:
                width = min(_MAX_WIDTH, max(_MIN_WIDTH, widths[column_index - 1] + 2))
            sheet.column_dimensions[get_column_letter(column_index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = [
    "DELIMITER",
    "FORMULA_START",
    "Table",
    "Value",
    "clean_text",
    "csv_cell",
    "is_dangerous",
    "neutralise",
    "sheet_title",
    "to_csv",
    "to_xlsx",
]
