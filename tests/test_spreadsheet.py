"""The one spreadsheet writer (bot/spreadsheet.py) and the exports that go through it.

Hostile text — what a spreadsheet would run as a formula — must come back as text from
every export; numbers stay numbers, times are real dates in the event's time zone, and the
XLSX header is bold, frozen and filtered. The end-to-end paths (the chat exports, the
broadcast report) are tested in their own files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.kernel.spreadsheet import Table, Value, neutralise, sheet_title, to_csv, to_xlsx
from bot.polls.exports import export_results
from bot.stats import export as registrations_export
from config.event import load_event_config
from storage.db import Database
from storage.outbox import Planned
from storage.polls import NewPoll, PollOption, PollRepository
from storage.registrations import NewRegistration, RegistrationRepository
from storage.stats import StatsRepository

ROME = ZoneInfo("Europe/Rome")
EVENT = "copianificazione-2023"
NOW = dt.datetime(2023, 12, 5, 9, 15, tzinfo=dt.UTC)  # 10:15 in Rome
HOSTILE = [
    "=cmd|' /C calc'!A0",
    "=1+1",
    '=HYPERLINK("http://x","y")',
    "+39 011 861 1111",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def cells_of(content: bytes) -> list[openpyxl.cell.cell.Cell]:
    """Every cell of every sheet of a workbook."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def read_csv(content: bytes) -> list[list[str]]:
    """A CSV export read back: BOM first, ``;`` between cells."""
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def assert_header(sheet: Any, columns: int) -> None:
    """Bold, frozen, with an autofilter over the whole table."""
    assert sheet.freeze_panes == "A2"
    letter = sheet.cell(1, columns).column_letter
    ref = sheet.auto_filter.ref or ""
    assert ref.startswith(f"A1:{letter}") and int(ref[3 + len(letter) :]) >= sheet.max_row
    assert [cell.font.bold for cell in sheet[1]] == [True] * columns


# --- the writer ---------------------------------------------------------------------------------


ROWS: list[list[Value]] = [[text, -3, NOW, dt.date(2023, 12, 5)] for text in HOSTILE]
ROWS += [
    ["plain", 2.5, None, None],
    ["bell\x07 and\x00 nul", 0.25, dt.datetime(2023, 7, 1, 8, 0, tzinfo=dt.UTC), None],
    [None, None, None, None],
]
TABLE = Table("prova", ("text", "number", "when", "day"), ROWS)


def test_xlsx_text_is_never_a_formula() -> None:
    content = to_xlsx([TABLE], ROME)
    assert all(cell.data_type != "f" for cell in cells_of(content))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None and sheet.title == "prova"
    body = list(sheet.iter_rows(min_row=2))
    for text, row in zip(HOSTILE, body, strict=False):
        cell = row[0]
        shown = text.replace("\r", "\n")  # XML has no bare CR: a line feed, still quoted
        assert (cell.value, cell.data_type, cell.quotePrefix) == (shown, "s", True)
    assert body[len(HOSTILE)][0].quotePrefix is False  # plain text keeps no prefix
    assert_header(sheet, 4)


def test_xlsx_numbers_and_dates() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx([TABLE], ROME))).active
    assert sheet is not None
    first = [cell for cell in sheet[2]]
    assert first[1].value == -3 and first[1].data_type == "n"  # a negative number is a number
    assert first[2].value == dt.datetime(2023, 12, 5, 10, 15)  # UTC 9:15 is 10:15 in Rome
    assert first[2].is_date and first[2].number_format == "yyyy-mm-dd hh:mm:ss"
    assert first[3].value == dt.datetime(2023, 12, 5) and first[3].number_format == "yyyy-mm-dd"
    summer = [cell.value for cell in sheet[len(HOSTILE) + 3]]
    assert summer == ["bell and nul", 0.25, dt.datetime(2023, 7, 1, 10, 0), None]  # CEST
    assert all(cell.value is None for cell in sheet[len(HOSTILE) + 4])
    widths = [sheet.column_dimensions[letter].width for letter in "ABCD"]
    assert widths[2] >= 19 and all(8 <= width <= 50 for width in widths)


def test_csv_neutralises_text_only() -> None:
    rows = read_csv(to_csv(TABLE, ROME))
    assert rows[0] == ["text", "number", "when", "day"]
    for text, row in zip(HOSTILE, rows[1:], strict=False):
        assert row == ["'" + text, "-3", "2023-12-05 10:15:00", "2023-12-05"]
    assert rows[len(HOSTILE) + 1] == ["plain", "2,5", "", ""]  # decimal comma (Italian Excel)
    assert rows[len(HOSTILE) + 2] == ["bell and nul", "0,25", "2023-07-01 10:00:00", ""]
    assert rows[-1] == ["", "", "", ""]
    assert to_csv(TABLE, ROME).count(b"\r\n") == len(TABLE.rows) + 1


def test_neutralise_and_sheet_titles() -> None:
    assert neutralise("Anna") == "Anna" and neutralise("") == ""
    assert neutralise("a=b") == "a=b" and neutralise("'=1") == "'=1"
    assert all(neutralise(text).startswith("'") for text in HOSTILE)
    taken: set[str] = set()
    assert sheet_title("a/b:c", taken) == "a_b_c"
    assert sheet_title("A/B:C", taken) == "A_B_C (2)"
    assert len(sheet_title("x" * 40, taken)) == 31


def test_naive_datetimes_are_refused() -> None:
    naive = Table("t", ("when",), [[dt.datetime(2023, 12, 5, 9, 0)]])
    with pytest.raises(ValueError, match="naive"):
        to_csv(naive, ROME)
    with pytest.raises(ValueError, match="naive"):
        to_xlsx([naive], ROME)


# --- through the exports ------------------------------------------------------------------------


async def test_registrations_export_keeps_hostile_names_and_organisations_text(
    tmp_path: Path,
) -> None:
    config = load_event_config()
    db = await Database.open(tmp_path / "hostile.sqlite3")
    try:
        repository = RegistrationRepository(db)
        for index, text in enumerate(HOSTILE):
            await repository.create(
                NewRegistration(
                    EVENT, 100 + index, text, 5, "in_person", "pinerolo", text, None, "it"
                ),
                None,
                NOW,
            )
        store = StatsRepository(db)
        content, count = await registrations_export.export(config, store, EVENT, "xlsx")
        assert count == len(HOSTILE)
        assert all(cell.data_type != "f" for cell in cells_of(content))
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        assert sheet is not None
        columns = [cell.value for cell in sheet[1]]
        assert columns == list(registrations_export.COLUMNS)
        assert_header(sheet, len(columns))
        body = [dict(zip(columns, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
        shown = sorted(text.replace("\r", "\n") for text in HOSTILE)
        assert sorted(row["name"].value for row in body) == shown
        for row in body:
            for column in ("name", "organisation"):
                assert row[column].data_type == "s" and row[column].quotePrefix
            assert row["registered_at"].value == dt.datetime(2023, 12, 5, 10, 15)
            assert row["zone"].value == 5 and row["registration_id"].data_type == "n"

        content, _ = await registrations_export.export(config, store, EVENT, "csv")
        rows = read_csv(content)
        name, organisation = rows[0].index("name"), rows[0].index("organisation")
        assert sorted(row[name] for row in rows[1:]) == sorted("'" + t for t in HOSTILE)
        assert all(row[organisation] == row[name] for row in rows[1:])
    finally:
        await db.close()


async def test_results_export_keeps_quick_poll_text_and_types(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "results.sqlite3")
    try:
        registration = await RegistrationRepository(db).create(
            NewRegistration("ev", 1, "P", 5, "in_person", "v", None, None, "it"), None, NOW
        )
        store = PollRepository(db)
        options = [PollOption(i, str(i + 1), None, text) for i, text in enumerate(HOSTILE[:5])]

        def no_message(poll_id: int, registration_id: int) -> Planned | None:
            return None

        poll = await store.create(
            NewPoll(
                "quick", "ev", 5, "s1", 1, False, 1, NOW + dt.timedelta(hours=1), options, "=1+1"
            ),
            [registration.id],
            no_message,
            NOW,
        )
        assert poll is not None
        await store.save_answer(poll.id, registration.id, [1], True, NOW)
        await store.set_manual(poll.id, 0, None, 2, 1, NOW + dt.timedelta(minutes=5))

        ((_, workbook),) = await export_results(store, "xlsx", "r", ROME, event_id="ev")
        assert all(cell.data_type != "f" for cell in cells_of(workbook))
        book = openpyxl.load_workbook(io.BytesIO(workbook))
        for sheet in book.worksheets:
            assert_header(sheet, sheet.max_column)
        answers = [list(row) for row in book["answers"].iter_rows(values_only=True)]
        header = answers[0]
        by_source = {row[header.index("source")]: row for row in answers[1:]}
        telegram, manual = by_source["telegram"], by_source["manual"]
        assert telegram[header.index("option_label")] == "=1+1"
        assert telegram[header.index("time")] == dt.datetime(2023, 12, 5, 10, 15)
        assert manual[header.index("option_label")] == HOSTILE[0]
        assert manual[header.index("time")] == dt.datetime(2023, 12, 5, 10, 20)
        assert manual[header.index("count")] == 2
        results = [list(row) for row in book["results"].iter_rows(values_only=True)]
        assert {row[results[0].index("question")] for row in results[1:]} == {"=1+1"}
        normalised = results[0].index("score_normalised")
        assert all(isinstance(row[normalised], float | int) for row in results[1:])

        files = dict(await export_results(store, "csv", "r", ROME, event_id="ev"))
        rows = read_csv(files["r-answers.csv"])
        labels = {row[rows[0].index("option_label")] for row in rows[1:]}
        assert labels == {"'=1+1", "'" + HOSTILE[0]}
        assert {row[rows[0].index("time")] for row in rows[1:]} == {
            "2023-12-05 10:15:00",
            "2023-12-05 10:20:00",
        }
        results_csv = read_csv(files["r-results.csv"])
        assert {row[results_csv[0].index("question")] for row in results_csv[1:]} == {"'=1+1"}
    finally:
        await db.close()
