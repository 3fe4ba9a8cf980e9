"""Reading a comune -> zone import file: the official spreadsheet (.ods) or a CSV.

Pure logic: no Telegram, no SQL, no environment. :func:`read_mapping_file` reads the Città
Metropolitana's official "Elenco Comuni per Zona omogenea" spreadsheet (.ods) or an equivalent
CSV (any common delimiter and encoding) into :class:`MappingRow` s, in one pass over its rows;
every problem of the file is one line of a :class:`ComuniFileError`. Merging the rows into
the mapping is :mod:`bot.registration.comuni_import`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.registration.comuni import BadZone, ZoneParser, normalise


@dataclass(frozen=True)
class MappingRow:
    """One row read from an import file."""

    line: int  # 1-based row number in the file, for error messages
    name: str
    zone: int


class ComuniFileError(Exception):
    """The import file cannot be used; ``errors`` has one human-readable line per problem."""

    errors: list[str]

    def __init__(self, errors: str | Sequence[str]) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


_PROVINCE_SUFFIX_RE = re.compile(r"\s*\((?:to|torino)\)\s*$", re.IGNORECASE)
_HEADER_COMUNE_RE = re.compile(r"comun", re.IGNORECASE)
_HEADER_ZONA_RE = re.compile(r"zona", re.IGNORECASE)
_MAX_REPEATED_ROWS = 10_000


def _clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    return _PROVINCE_SUFFIX_RE.sub("", name).strip()


def _find_header(cells: Sequence[str]) -> tuple[int, int] | None:
    """(comune column, zona column) if this row looks like the header, else None.

    The two columns must be different cells, so a title such as "Elenco Comuni per Zona
    omogenea" in a single cell is not taken for the header. When several cells match, prefer
    the one that is just "Comune"/"Zona ..." over e.g. "Codice ISTAT comune".
    """
    comune_cols = [
        i
        for i, c in enumerate(cells)
        if _HEADER_COMUNE_RE.search(c) and not _HEADER_ZONA_RE.search(c)
    ]
    if not comune_cols:
        comune_cols = [i for i, c in enumerate(cells) if _HEADER_COMUNE_RE.search(c)]
    if not comune_cols:
        return None

    def comune_rank(i: int) -> tuple[int, int]:
        key = normalise(cells[i])
        if key in {"comune", "comuni", "nome comune", "denominazione comune", "denominazione"}:
            return (0, i)
        if "codice" in key or "istat" in key or "cod " in key:
            return (2, i)
        return (1, i)

    comune_col = min(comune_cols, key=comune_rank)
    zona_cols = [i for i, c in enumerate(cells) if i != comune_col and _HEADER_ZONA_RE.search(c)]
    if not zona_cols:
        return None

    def zona_rank(i: int) -> tuple[int, int]:
        return (1 if _HEADER_COMUNE_RE.search(cells[i]) else 0, i)

    return comune_col, min(zona_cols, key=zona_rank)


_RowSource = Iterable[tuple[int, list[str]]]


def _locate_header(
    rows: _RowSource,
) -> tuple[int, list[str], int, int, Iterator[tuple[int, list[str]]]] | None:
    """Find the header; return (its line, its cells, comune col, zona col, the rest)."""
    iterator = iter(rows)
    for line, cells in iterator:
        columns = _find_header(cells)
        if columns is not None:
            return line, cells, columns[0], columns[1], iterator
    return None


def _rows_under_header(rows: _RowSource, zones: Mapping[int, str]) -> list[MappingRow] | None:
    """The mapping rows of a table, read under its header (None: the table has none)."""
    found = _locate_header(rows)
    if found is None:
        return None
    header_line, header, comune_col, zona_col, rest = found
    header_cells = (header[comune_col], header[zona_col])
    return _parse_rows(header_line, comune_col, zona_col, header_cells, rest, zones)


def _parse_rows(
    header_line: int,
    comune_col: int,
    zona_col: int,
    header_cells: tuple[str, str],
    rows: Iterable[tuple[int, list[str]]],
    zones: Mapping[int, str],
) -> list[MappingRow]:
    parser = ZoneParser(zones)
    errors: list[str] = []
    result: list[MappingRow] = []
    seen: dict[str, MappingRow] = {}
    carried: int | None = None
    carried_bad = False  # the zone above was invalid (already reported): don't cascade
    header_keys = (normalise(header_cells[0]), normalise(header_cells[1]))

    for line, cells in rows:
        raw_name = cells[comune_col] if comune_col < len(cells) else ""
        raw_zone = cells[zona_col] if zona_col < len(cells) else ""
        name = _clean_name(raw_name)
        if (normalise(name), normalise(raw_zone)) == header_keys:
            continue  # header repeated (e.g. on each printed page)
        try:
            zone = parser.parse(raw_zone)
        except BadZone as exc:
            if name:
                errors.append(f"row {line}: unknown zone {raw_zone.strip()!r} for {name!r} ({exc})")
                carried, carried_bad = None, True
            continue
        if zone is not None:
            carried, carried_bad = zone, False
        if not name:
            continue  # blank row, or a zone written on a row of its own (carried down)
        if zone is None:
            if carried is None:
                if not carried_bad:
                    errors.append(
                        f"row {line}: no zone for {name!r} "
                        "(the zone cell is empty and there is no zone above it)"
                    )
                continue
            zone = carried
        key = normalise(name)
        previous = seen.get(key)
        if previous is not None:
            if previous.zone != zone:
                errors.append(
                    f"row {line}: {name!r} is listed twice with different zones "
                    f"(zone {previous.zone} at row {previous.line}, zone {zone} here)"
                )
            continue
        row = MappingRow(line=line, name=name, zone=zone)
        seen[key] = row
        result.append(row)

    if errors:
        raise ComuniFileError(errors)
    if not result:
        raise ComuniFileError(f"no comuni found below the header (row {header_line})")
    return result


def _no_header_error() -> ComuniFileError:
    return ComuniFileError(
        "no header row found; expected a row with a 'Comune' column and a 'Zona' column"
    )


# --- CSV ---------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _csv_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(n, row) for n, row in enumerate(reader, start=1)]


def _read_csv(path: Path, zones: Mapping[int, str]) -> list[MappingRow]:
    text = _decode(path.read_bytes())
    candidates = [";", ",", "\t"]
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=";,\t").delimiter
        candidates.remove(sniffed)
        candidates.insert(0, sniffed)
    except (csv.Error, ValueError):
        pass
    for delimiter in candidates:
        found = _rows_under_header(_csv_rows(text, delimiter), zones)
        if found is not None:
            return found
    raise _no_header_error()


# --- ODS ---------------------------------------------------------------------------------

_TABLENS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICENS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXTNS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_CELL_TAGS = {(_TABLENS, "table-cell"), (_TABLENS, "covered-table-cell")}


def _attr(element: Any, namespace: str, name: str) -> str | None:
    value = element.attributes.get((namespace, name))
    return None if value is None else str(value)


def _repeat(element: Any, name: str) -> int:
    value = _attr(element, _TABLENS, name)
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1


def _cell_text(cell: Any) -> str:
    from odf import teletype

    value_type = _attr(cell, _OFFICENS, "value-type")
    if value_type in {"float", "percentage", "currency"}:
        value = _attr(cell, _OFFICENS, "value")
        if value:
            try:
                number = float(value)
            except ValueError:
                return value
            return str(int(number)) if number.is_integer() else value
    paragraphs = [
        str(teletype.extractText(child))
        for child in cell.childNodes
        if getattr(child, "qname", None) in {(_TEXTNS, "p"), (_TEXTNS, "h")}
    ]
    return "\n".join(paragraphs).strip()


def _row_cells(row: Any) -> list[str]:
    cells: list[str] = []
    pending_empty = 0  # repeated empty cells are only materialised if something follows
    for child in row.childNodes:
        if getattr(child, "qname", None) not in _CELL_TAGS:
            continue
        text = _cell_text(child)
        count = _repeat(child, "number-columns-repeated")
        if not text:
            pending_empty += count
            continue
        cells.extend([""] * pending_empty)
        pending_empty = 0
        cells.extend([text] * min(count, 1024))
    return cells


def _ods_rows(table: Any) -> Iterator[tuple[int, list[str]]]:
    from odf.table import TableRow

    line = 0
    for row in table.getElementsByType(TableRow):
        count = _repeat(row, "number-rows-repeated")
        cells = _row_cells(row)
        if not any(cells):
            line += count
            continue
        for _ in range(min(count, _MAX_REPEATED_ROWS)):
            line += 1
            yield line, list(cells)
        line += max(0, count - _MAX_REPEATED_ROWS)


def _read_ods(path: Path, zones: Mapping[int, str]) -> list[MappingRow]:
    from odf.opendocument import load
    from odf.table import Table

    try:
        document = load(str(path))
    except Exception as exc:  # odfpy raises zipfile/xml errors of many kinds
        raise ComuniFileError(f"cannot read it as an .ods spreadsheet ({exc})") from exc
    spreadsheet = getattr(document, "spreadsheet", None)
    if spreadsheet is None:
        raise ComuniFileError("not a spreadsheet")
    for table in spreadsheet.getElementsByType(Table):
        found = _rows_under_header(_ods_rows(table), zones)
        if found is not None:
            return found
    raise _no_header_error()


def read_mapping_file(path: Path, zones: Mapping[int, str]) -> list[MappingRow]:
    """Read the comune -> zone mapping from an import file.

    Accepted files: the Città Metropolitana's official "Elenco Comuni per Zona omogenea"
    spreadsheet (``.ods``) or a CSV (``.csv``, ``.tsv``, ``.txt``) with a comune column and a
    zone column. ``zones`` maps the configured zone numbers to their names.

    * The header row is found automatically: the first row having one cell matching /comun/i
      and a *different* cell matching /zona/i. Rows above it (titles, notes) are ignored, and
      a repetition of the header further down is skipped. Other columns are ignored.
    * CSV: the delimiter is sniffed among ``,`` ``;`` and tab; the encoding is UTF-8 with or
      without BOM (or UTF-16 with BOM), falling back to cp1252, then latin-1.
    * ODS: the first sheet that has such a header is read. Repeated cells and rows
      (``table:number-columns-repeated`` / ``number-rows-repeated``), covered (merged) cells
      and blank rows are handled; numeric cells are read from their value, not their display.
    * Carrying down: when the zone cell is empty but the comune cell is not, the comune gets
      the last zone read above it. This covers layouts where the zone is written once (or in
      a vertically merged cell) for a group of comuni, and a zone written on a row of its own
      with an empty comune cell. Blank rows do not reset the carried zone. A comune with an
      empty zone and no zone above it is an error.
    * Zone formats: ``5``, ``5.0``, ``Zona 5``, ``ZONA OMOGENEA 5``, ``5 - Pinerolese``, roman
      numerals (``V``, ``Zona V``) or a zone name from ``zones`` compared with
      :func:`normalise` (``Pinerolese``, ``chierese carmagnolese``). Anything else, a number
      not in ``zones``, or a number followed by the name of another zone is an error.
    * Comune names are kept as written (whitespace collapsed, a trailing "(TO)" removed);
      rows with an empty comune cell are skipped. A comune listed twice (by
      :func:`normalise`) with different zones is an error; with the same zone the repeat is
      ignored.

    Row numbers (``MappingRow.line`` and error messages) are 1-based rows of the file, or of
    the sheet for .ods. Raises :class:`ComuniFileError` listing *all* the problems found, or
    when the file is missing, of an unsupported type (.xlsx/.xls: "save it as .ods or .csv"),
    has no header, or has no comuni below the header. The messages do not name the file: the
    caller prints its path once in front of each.
    """
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xls", ".xlsm"}:
        raise ComuniFileError("Excel files are not supported; save it as .ods or .csv")
    if suffix not in {".ods", ".csv", ".tsv", ".txt"}:
        raise ComuniFileError(f"unsupported file type {suffix or '(none)'!r}; use .ods or .csv")
    if not path.is_file():
        raise ComuniFileError("file not found")
    try:
        if suffix == ".ods":
            return _read_ods(path, zones)
        return _read_csv(path, zones)
    except OSError as exc:
        raise ComuniFileError(f"cannot read the file ({exc})") from exc
