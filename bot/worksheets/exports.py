"""Exports of session 2: every contribution and every report text, one row per item, as CSV
or XLSX through the one safe writer (:mod:`bot.kernel.spreadsheet`: a text typed by a
participant that starts like a formula is exported as text, never run).

Columns (:data:`COLUMNS`): ``event_id``, ``zone``, ``strategy`` and ``strategy_title``,
``section`` (empty for a report's free note), ``text``, ``kind`` (``text`` or ``photo`` for
a contribution, ``report`` for a report's section text, ``note`` for its free note),
``source`` (``participant`` or ``facilitator``: a report is the facilitator's),
``starred``, ``hidden``, ``merged`` (1 when merged into another, whose id is ``merged_into``),
``item_id`` (contributions), ``photo_file_id`` (Telegram's id of a photo), ``report_status``
(``draft`` or ``submitted``, reports), ``time`` (contributions: when sent; reports: when
submitted, else last changed; in the event's time zone). Withdrawn contributions are not
exported; no personal data (contributions are the zone's, not the person's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.kernel.spreadsheet import Table, Value, int_cell, text_cell, time_cell, to_csv, to_xlsx
from storage.worksheets import WorksheetRepository

FORMATS = ("csv", "xlsx")
COLUMNS = (
    "event_id",
    "zone",
    "strategy",
    "strategy_title",
    "section",
    "text",
    "kind",
    "source",
    "starred",
    "hidden",
    "merged",
    "merged_into",
    "item_id",
    "photo_file_id",
    "report_status",
    "time",
)


async def contribution_rows(
    store: WorksheetRepository, event_id: str | None, title: Callable[[str], str]
) -> list[list[Value]]:
    """Every item of the event (or all events): contributions, then report texts."""
    rows: list[list[Value]] = []
    for row in await store.export_view("contributions_export", event_id):
        strategy = str(row["strategy"])
        rows.append(
            [
                text_cell(row["event_id"]),
                int_cell(row["zone"]),
                strategy,
                title(strategy),
                text_cell(row["section"]),
                text_cell(row["text"]),
                text_cell(row["kind"]),
                text_cell(row["source"]),
                int_cell(row["starred"]),
                int_cell(row["hidden"]),
                int(row["merged_into"] is not None),
                int_cell(row["merged_into"]),
                int_cell(row["item_id"]),
                text_cell(row["photo_file_id"]),
                None,
                time_cell(row["time"]),
            ]
        )
    for row in await store.export_view("reports_export", event_id):
        strategy = str(row["strategy"])
        section = str(row["section"])
        rows.append(
            [
                text_cell(row["event_id"]),
                int_cell(row["zone"]),
                strategy,
                title(strategy),
                section or None,
                text_cell(row["text"]),
                "report" if section else "note",
                "facilitator",
                0,
                0,
                0,
                None,
                None,
                None,
                text_cell(row["status"]),
                time_cell(row["submitted_at"] or row["updated_at"]),
            ]
        )
    return rows


async def export_contributions(
    store: WorksheetRepository,
    fmt: str,
    name: str,
    tz: dt.tzinfo,
    title: Callable[[str], str],
    *,
    event_id: str | None = None,
) -> tuple[str, bytes, int]:
    """(file name, content, rows) of the export in ``fmt`` ("csv" or "xlsx")."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (use csv or xlsx)")
    rows = await contribution_rows(store, event_id, title)
    table = Table("contributi", COLUMNS, rows, widths={"text": 60, "strategy_title": 40})
    content = to_xlsx([table], tz) if fmt == "xlsx" else to_csv(table, tz)
    return f"{name}.{fmt}", content, len(rows)
