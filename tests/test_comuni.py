"""Tests for bot.registration.comuni, comuni_files and comuni_import: normalisation, lookup,
zones typed by people, candidate zones, a newer bundled file, import of the official zone
mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import CoveredTableCell, Table, TableCell, TableRow
from odf.text import P

from bot.registration.comuni import (
    Comune,
    ComuneIndex,
    OutOfRange,
    bundled_comuni,
    normalise,
    parse_zone_answer,
    refresh_from_bundled,
)
from bot.registration.comuni_files import ComuniFileError, MappingRow, read_mapping_file
from bot.registration.comuni_import import UnknownComuniError, apply_mapping

ZONES = {
    1: "Torino Città",
    2: "AMT Ovest",
    3: "AMT Sud",
    4: "AMT Nord",
    5: "Pinerolese",
    6: "Valli di Susa e Sangone",
    7: "Ciriacese-Valli di Lanzo",
    8: "Canavese occidentale",
    9: "Eporediese",
    10: "Chivassese",
    11: "Chierese-Carmagnolese",
}


@pytest.fixture(scope="module")
def index() -> ComuneIndex:
    return ComuneIndex(bundled_comuni())


# --- normalise ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("CIRIÈ", "cirie"),
        ("Ciriè", "CIRIE'"),
        ("Sant'Ambrogio di Torino", "sant ambrogio di torino"),
        ("Sant’Ambrogio  di   Torino", "SANT AMBROGIO DI TORINO"),
        ("Pont-Canavese", "pont canavese"),
        ("  Sauze d'Oulx ", "sauze d oulx"),
        ("S. Mauro", "s mauro"),
        ("Agliè", "aglie"),
    ],
)
def test_normalise_equivalences(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


def test_normalise_output() -> None:
    assert normalise("CIRIÈ") == "cirie"
    assert normalise("Sant'Ambrogio di Torino") == "sant ambrogio di torino"
    assert normalise(" Riva  presso\tChieri ") == "riva presso chieri"
    assert normalise("") == ""


# --- bundled data ---------------------------------------------------------------------------


def test_bundled_counts() -> None:
    comuni = bundled_comuni()
    assert len(comuni) == 312
    assert sum(1 for c in comuni if c.zone is not None) == 223
    assert all(c.source for c in comuni)  # every row says where its zone was read
    # zones 1-5, 8, 10 and 11 are complete; 6, 7 and 9 in part
    unverified = [c for c in comuni if c.zone is None]
    assert len(unverified) == 89
    assert all(c.candidate_zones == (6, 7, 9) for c in unverified)
    assert all(c.zone is None or 1 <= c.zone <= 11 for c in comuni)
    assert all(c.istat is not None and len(c.istat) == 6 for c in comuni)
    assert len({normalise(c.name) for c in comuni}) == 312
    # a fresh list every time: callers may mutate it
    comuni.clear()
    assert len(bundled_comuni()) == 312


def test_bundled_sample() -> None:
    by_name = {c.name: c for c in bundled_comuni()}
    assert by_name["Torino"].zone == 1
    assert by_name["Torino"].istat == "001272"
    assert by_name["Pinerolo"].zone == 5
    # host towns of the zone tables, "unknown" in the older file
    assert by_name["Ciriè"].zone == 7
    assert by_name["Ivrea"].zone == 9
    assert by_name["Condove"].zone == 6
    assert by_name["Ciriè"].candidate_zones == ()
    assert by_name["Ala di Stura"].zone is None
    assert by_name["Ala di Stura"].source == "NON VERIFICATO (zona 6/7/9)"
    assert by_name["Ala di Stura"].candidate_zones == (6, 7, 9)


# --- lookup / suggest -----------------------------------------------------------------------


def test_lookup(index: ComuneIndex) -> None:
    assert len(index) == 312
    chieri = index.lookup("chieri")
    assert chieri is not None
    assert (chieri.name, chieri.zone) == ("Chieri", 11)
    cirie = index.lookup("CIRIÈ")
    assert cirie is not None
    assert cirie.name == "Ciriè"
    pinerolo = index.lookup("Comune di Pinerolo")
    assert pinerolo is not None
    assert (pinerolo.name, pinerolo.zone) == ("Pinerolo", 5)
    sant = index.lookup("sant’ambrogio di torino")
    assert sant is not None
    assert sant.name == "Sant'Ambrogio di Torino"


def test_lookup_unmapped_and_missing(index: ComuneIndex) -> None:
    ala = index.lookup("ala di stura")
    assert ala is not None
    assert ala.zone is None
    assert index.lookup("Milano") is None
    assert index.lookup("") is None
    assert index.lookup("Pinerollo") is None


def _names(comuni: list[Comune]) -> list[str]:
    return [c.name for c in comuni]


def test_suggest_misspellings(index: ComuneIndex) -> None:
    assert _names(index.suggest("Pinerollo"))[0] == "Pinerolo"
    chirie = _names(index.suggest("Chirie"))
    assert "Chieri" in chirie or "Ciriè" in chirie
    assert _names(index.suggest("Strambinno"))[0] == "Strambino"
    assert _names(index.suggest("pinero"))[0] == "Pinerolo"
    assert "Caselle Torinese" in _names(index.suggest("Caselle"))
    assert index.suggest("zzzzzz") == []
    assert index.suggest("") == []


def test_suggest_exact_once_and_limit(index: ComuneIndex) -> None:
    result = _names(index.suggest("Strambino", limit=3))
    assert result[0] == "Strambino"
    assert result.count("Strambino") == 1
    assert len(result) <= 3
    assert len(index.suggest("San", limit=2)) <= 2
    assert index.suggest("Pinerolo", limit=0) == []


# --- CSV import -----------------------------------------------------------------------------


def test_csv_semicolon_bom(tmp_path: Path) -> None:
    path = tmp_path / "zone.csv"
    path.write_text(
        "Elenco comuni\n\nComune;Zona omogenea\nPinerolo;5\nCIRIE';Zona 7\nSant'Ambrogio;VI\n",
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_mapping_file(path, ZONES)
    assert rows == [
        MappingRow(line=4, name="Pinerolo", zone=5),
        MappingRow(line=5, name="CIRIE'", zone=7),
        MappingRow(line=6, name="Sant'Ambrogio", zone=6),
    ]


def test_csv_comma_cp1252_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "zone.csv"
    text = 'Codice ISTAT comune,Comune,Zona\n001086,Ciriè,"7 - Ciriacese-Valli di Lanzo"\n'
    path.write_bytes(text.encode("cp1252"))
    rows = read_mapping_file(path, ZONES)
    assert rows == [MappingRow(line=2, name="Ciriè", zone=7)]


def test_csv_tab_delimited(tmp_path: Path) -> None:
    path = tmp_path / "zone.csv"
    path.write_text("comune\tzona\nIvrea\t9\nChivasso\tChivassese\n", encoding="utf-8")
    rows = read_mapping_file(path, ZONES)
    assert [(r.name, r.zone) for r in rows] == [("Ivrea", 9), ("Chivasso", 10)]


@pytest.mark.parametrize(
    ("cell", "zone"),
    [
        ("5", 5),
        ("5.0", 5),
        ("5,0", 5),
        ("Zona 5", 5),
        ("ZONA OMOGENEA 5", 5),
        ("zona omogenea n. 5", 5),
        ("5 - Pinerolese", 5),
        ("V", 5),
        ("Zona V", 5),
        ("zona omogenea xi", 11),
        ("Pinerolese", 5),
        ("PINEROLESE", 5),
        ("Chierese-Carmagnolese", 11),
        ("chierese carmagnolese", 11),
        ("Zona Pinerolese", 5),
        ("Torino Città", 1),
        ("Ciriacese - Valli di Lanzo", 7),
    ],
)
def test_zone_formats(tmp_path: Path, cell: str, zone: int) -> None:
    path = tmp_path / "zone.csv"
    path.write_text(f'Comune;Zona\nPinerolo;"{cell}"\n', encoding="utf-8")
    assert read_mapping_file(path, ZONES) == [MappingRow(line=2, name="Pinerolo", zone=zone)]


def test_errors_listed_with_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "zone.csv"
    path.write_text(
        "\n".join(
            [
                "Comune;Zona",  # 1
                "Pinerolo;5",  # 2
                "Foo;12",  # 3
                "Bar;Zona Z",  # 4
                "Chieri;11",  # 5
                "PINEROLO;6",  # 6 duplicate, different zone
                "Chieri;11",  # 7 duplicate, same zone: fine
                "Baz;5 - Chivassese",  # 8 number and name disagree
                "Qux;XIV",  # 9
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ComuniFileError) as info:
        read_mapping_file(path, ZONES)
    errors = info.value.errors
    assert len(errors) == 5
    assert errors[0] == "row 3: unknown zone '12' for 'Foo' (zones are 1-11)"
    assert errors[1].startswith("row 4: unknown zone 'Zona Z' for 'Bar'")
    assert errors[2].startswith("row 6: 'PINEROLO' is listed twice")
    assert "row 2" in errors[2]
    assert errors[3].startswith("row 8: unknown zone '5 - Chivassese' for 'Baz'")
    assert errors[4].startswith("row 9: unknown zone 'XIV' for 'Qux'")
    assert str(info.value).count("\n") == 4


def test_no_header(tmp_path: Path) -> None:
    path = tmp_path / "zone.csv"
    path.write_text("Elenco Comuni per Zona omogenea\nPinerolo;5\n", encoding="utf-8")
    with pytest.raises(ComuniFileError, match="no header"):
        read_mapping_file(path, ZONES)


def test_first_row_without_zone_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "zone.csv"
    path.write_text("Comune;Zona\nPinerolo;\nChieri;11\n", encoding="utf-8")
    with pytest.raises(ComuniFileError) as info:
        read_mapping_file(path, ZONES)
    assert info.value.errors == [
        "row 2: no zone for 'Pinerolo' (the zone cell is empty and there is no zone above it)"
    ]


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_excel_rejected(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"zone{suffix}"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(ComuniFileError, match=r"save it as \.ods or \.csv"):
        read_mapping_file(path, ZONES)


def test_unsupported_and_missing(tmp_path: Path) -> None:
    with pytest.raises(ComuniFileError, match="unsupported"):
        read_mapping_file(tmp_path / "zone.pdf", ZONES)
    with pytest.raises(ComuniFileError, match="not found"):
        read_mapping_file(tmp_path / "missing.csv", ZONES)
    bad = tmp_path / "bad.ods"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ComuniFileError, match=r"\.ods"):
        read_mapping_file(bad, ZONES)


# --- ODS import -----------------------------------------------------------------------------


def _text_cell(text: str) -> TableCell:
    cell = TableCell(valuetype="string")
    cell.addElement(P(text=text))
    return cell


def _float_cell(value: float) -> TableCell:
    cell = TableCell(valuetype="float", value=value)
    cell.addElement(P(text=str(value).replace(".", ",")))  # displayed the Italian way
    return cell


def _row(*cells: TableCell | CoveredTableCell, repeat: int = 1) -> TableRow:
    row = TableRow(numberrowsrepeated=repeat) if repeat > 1 else TableRow()
    for cell in cells:
        row.addElement(cell)
    return row


def _empty(repeat: int = 1) -> TableCell:
    return TableCell(numbercolumnsrepeated=repeat) if repeat > 1 else TableCell()


def _write_official_ods(path: Path) -> None:
    doc = OpenDocumentSpreadsheet()

    notes = Table(name="Note")
    notes.addElement(_row(_text_cell("Fonte: Città Metropolitana di Torino")))
    doc.spreadsheet.addElement(notes)

    sheet = Table(name="Elenco")
    # row 1: title in one cell mentioning both words (must not be taken for the header)
    sheet.addElement(_row(_text_cell("Elenco Comuni per Zona omogenea")))
    # rows 2-3: blank (repeated)
    sheet.addElement(_row(_empty(1024), repeat=2))
    # row 4: header, with a repeated empty column before it
    sheet.addElement(_row(_empty(2), _text_cell("Comune"), _empty(), _text_cell("Zona omogenea")))
    # row 5: zone written once...
    sheet.addElement(
        _row(_empty(2), _text_cell("Pinerolo"), _empty(), _text_cell("5 - Pinerolese"))
    )
    # rows 6-7: ...and carried down (covered cell as in a vertical merge, then an empty one)
    sheet.addElement(_row(_empty(2), _text_cell("Airasca"), _empty(), CoveredTableCell()))
    sheet.addElement(_row(_empty(2), _text_cell("Bricherasio"), _empty(3)))
    # rows 8-9: two identical repeated rows (same comune, same zone: not a conflict)
    sheet.addElement(_row(_empty(2), _text_cell("Cavour"), _empty(), _float_cell(5), repeat=2))
    # row 10: blank
    sheet.addElement(_row(_empty(8)))
    # row 11: zone given as a number cell, comune with an apostrophe instead of the accent
    sheet.addElement(_row(_empty(2), _text_cell("CIRIE'"), _empty(), _float_cell(7.0)))
    # row 12: a repeated header (as on every printed page) is skipped
    sheet.addElement(_row(_empty(2), _text_cell("Comune"), _empty(), _text_cell("Zona omogenea")))
    # row 13: roman numeral; then the usual huge tail of empty rows
    sheet.addElement(_row(_empty(2), _text_cell("Chieri"), _empty(), _text_cell("Zona XI")))
    sheet.addElement(_row(_empty(1024), repeat=1_048_000))
    doc.spreadsheet.addElement(sheet)
    doc.save(str(path))


def test_ods_official_layout(tmp_path: Path) -> None:
    path = tmp_path / "elenco.ods"
    _write_official_ods(path)
    rows = read_mapping_file(path, ZONES)
    assert rows == [
        MappingRow(line=5, name="Pinerolo", zone=5),
        MappingRow(line=6, name="Airasca", zone=5),
        MappingRow(line=7, name="Bricherasio", zone=5),
        MappingRow(line=8, name="Cavour", zone=5),
        MappingRow(line=11, name="CIRIE'", zone=7),
        MappingRow(line=13, name="Chieri", zone=11),
    ]


def test_ods_errors_use_sheet_rows(tmp_path: Path) -> None:
    doc = OpenDocumentSpreadsheet()
    sheet = Table(name="Foglio1")
    sheet.addElement(_row(_empty(), repeat=3))  # rows 1-3 blank
    sheet.addElement(_row(_text_cell("Comune"), _text_cell("Zona")))  # row 4
    sheet.addElement(_row(_text_cell("Ivrea"), _text_cell("9")))  # row 5
    sheet.addElement(_row(_text_cell("Foo"), _float_cell(12)))  # row 6
    sheet.addElement(_row(_text_cell("IVREA"), _text_cell("Zona 8")))  # row 7
    doc.spreadsheet.addElement(sheet)
    path = tmp_path / "bad.ods"
    doc.save(str(path))
    with pytest.raises(ComuniFileError) as info:
        read_mapping_file(path, ZONES)
    assert info.value.errors == [
        "row 6: unknown zone '12' for 'Foo' (zones are 1-11)",
        "row 7: 'IVREA' is listed twice with different zones (zone 9 at row 5, zone 8 here)",
    ]


def test_ods_without_header(tmp_path: Path) -> None:
    doc = OpenDocumentSpreadsheet()
    sheet = Table(name="Foglio1")
    sheet.addElement(_row(_text_cell("Pinerolo"), _text_cell("5")))
    doc.spreadsheet.addElement(sheet)
    path = tmp_path / "nohead.ods"
    doc.save(str(path))
    with pytest.raises(ComuniFileError, match="no header"):
        read_mapping_file(path, ZONES)


# --- apply_mapping --------------------------------------------------------------------------

CURRENT = [
    Comune("Pinerolo", 5, "001191", "press"),
    Comune("Ciriè", None, "001086", "NON VERIFICATO"),
    Comune("Avigliana", None, "001013", "NON VERIFICATO"),
    Comune("Chieri", 11, "001078", "press"),
    Comune("Ivrea", 8, "001125", "press"),
]
FILE_ROWS = [
    MappingRow(2, "PINEROLO", 5),  # unchanged
    MappingRow(3, "CIRIE'", 7),  # set (was unverified)
    MappingRow(4, "Ivrea", 9),  # changed
    MappingRow(5, "Pinerollo", 5),  # unknown: added with allow_new
]


def test_apply_complete() -> None:
    result, change = apply_mapping(
        CURRENT, FILE_ROWS, replace=False, source="elenco.ods", allow_new=True
    )
    by_name = {c.name: c for c in result}
    assert [c.name for c in result] == [
        "Pinerolo",
        "Ciriè",
        "Avigliana",
        "Chieri",
        "Ivrea",
        "Pinerollo",
    ]
    # official name and ISTAT code kept, source updated
    assert by_name["Ciriè"] == Comune("Ciriè", 7, "001086", "elenco.ods")
    assert by_name["Pinerolo"] == Comune("Pinerolo", 5, "001191", "elenco.ods")
    assert by_name["Avigliana"] == CURRENT[2]  # not in the file: untouched
    assert by_name["Chieri"] == CURRENT[3]
    assert by_name["Pinerollo"] == Comune("Pinerollo", 5, None, "elenco.ods")

    assert change.unchanged == 1
    assert [(b.name, b.zone, a.zone) for b, a in change.changed] == [
        ("Ciriè", None, 7),
        ("Ivrea", 8, 9),
    ]
    assert _names(change.added) == ["Pinerollo"]
    assert change.unknown_names == ["Pinerollo"]
    assert change.did_you_mean == {"Pinerollo": "Pinerolo"}
    assert change.removed == []
    assert _names(change.still_unverified) == ["Avigliana"]

    lines = change.summary_lines()
    assert "zone set for 1 comune (were unverified)" in lines
    assert "zone changed for 1: Ivrea 8 -> 9" in lines
    assert (
        "added 1 new comune not matching any known comune (check the spelling): "
        "Pinerollo (zone 5, did you mean Pinerolo?)"
    ) in lines
    assert "unchanged: 1" in lines
    assert "still without a zone: 1 comune: Avigliana" in lines
    assert not any(line.startswith("removed") for line in lines)


def test_apply_replace() -> None:
    result, change = apply_mapping(
        CURRENT, FILE_ROWS, replace=True, source="elenco.ods", allow_new=True
    )
    assert _names(result) == ["Pinerolo", "Ciriè", "Ivrea", "Pinerollo"]
    assert _names(change.removed) == ["Avigliana", "Chieri"]
    assert change.unchanged == 1
    assert len(change.changed) == 2
    assert change.still_unverified == []
    lines = change.summary_lines()
    assert "removed 2 comuni not in the file: Avigliana, Chieri" in lines
    assert not any(line.startswith("still without") for line in lines)


def test_apply_bundled_with_full_file() -> None:
    current = bundled_comuni()
    zones_for_unverified = {6, 7, 9}
    rows = [
        MappingRow(n, c.name.upper(), c.zone if c.zone is not None else 6)
        for n, c in enumerate(current, start=2)
    ]
    result, change = apply_mapping(current, rows, replace=True, source="test")
    assert len(result) == 312
    assert all(c.zone is not None for c in result)
    assert all(c.istat is not None for c in result)  # matched despite the upper case
    assert change.unchanged == 223
    assert len(change.changed) == 89
    assert all(b.zone is None and a.zone in zones_for_unverified for b, a in change.changed)
    assert change.added == change.removed == []
    lines = change.summary_lines()
    assert lines[0] == "zone set for 89 comuni (were unverified)"
    assert "unchanged: 223" in lines


def test_apply_nothing() -> None:
    result, change = apply_mapping(CURRENT, [], replace=False, source="x")
    assert result == CURRENT
    assert change.summary_lines()[0] == "unchanged: 0"


def test_read_then_apply(tmp_path: Path) -> None:
    path = tmp_path / "elenco.ods"
    _write_official_ods(path)
    rows = read_mapping_file(path, ZONES)
    result, change = apply_mapping(bundled_comuni(), rows, replace=False, source=path.name)
    index = ComuneIndex(result)
    cirie = index.lookup("Ciriè")
    assert cirie is not None
    assert (cirie.zone, cirie.istat, cirie.source) == (7, "001086", "elenco.ods")
    assert change.unknown_names == []
    assert len(result) == 312


@pytest.mark.parametrize("replace", [False, True])
def test_apply_refuses_unknown_comuni(replace: bool) -> None:
    """A name that is no comune of the list (Atlantide, a misspelling) refuses the file."""
    rows = [
        MappingRow(2, "Pinerolo", 5),
        MappingRow(3, "Atlantide", 4),
        MappingRow(4, "Pinerollo", 5),
    ]
    with pytest.raises(UnknownComuniError) as info:
        apply_mapping(CURRENT, rows, replace=replace, source="elenco.csv")
    assert [row.line for row in info.value.rows] == [3, 4]
    assert info.value.errors == [
        "row 3: 'Atlantide' is not a comune of the list",
        "row 4: 'Pinerollo' is not a comune of the list (did you mean Pinerolo?)",
    ]
    assert isinstance(info.value, ComuniFileError)


def test_apply_many_unknown_comuni_lists_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Close spellings are looked for only for the names a report shows: an 8,000-row file
    costs 20 searches, not 8,000 (each as long as the mapping), so the import is linear."""
    searched: list[str] = []
    suggest = ComuneIndex.suggest

    def counting(self: ComuneIndex, text: str, limit: int = 3) -> list[Comune]:
        searched.append(text)
        return suggest(self, text, limit)

    monkeypatch.setattr(ComuneIndex, "suggest", counting)
    rows = [MappingRow(n + 2, f"Comune Nuovo {n}", n % 11 + 1) for n in range(8000)]
    with pytest.raises(UnknownComuniError) as info:
        apply_mapping(bundled_comuni(), rows, replace=False, source="big.csv")
    assert len(info.value.rows) == 8000
    assert len(info.value.errors) == 21
    assert info.value.errors[0] == "row 2: 'Comune Nuovo 0' is not a comune of the list"
    assert info.value.errors[-1] == "... and 7980 more not in the list"
    assert len(searched) == 20

    searched.clear()
    result, change = apply_mapping(
        bundled_comuni(), rows, replace=False, source="big.csv", allow_new=True
    )
    assert len(result) == 8312
    assert len(change.added) == 8000
    assert len(searched) == 20
    # a second import over the grown mapping still searches only for the names it shows
    searched.clear()
    more = [MappingRow(n + 2, f"Altro {n}", 1) for n in range(8000)]
    apply_mapping(result, more, replace=False, source="more.csv", allow_new=True)
    assert len(searched) == 20


# --- zones typed at the zone step ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("5", 5),
        (" 5 ", 5),
        ("Zona 5", 5),
        ("zona5", 5),
        ("ZONA 5", 5),
        ("Zone 5", 5),
        ("z5", 5),
        ("V", 5),
        ("v", 5),
        ("Zona V", 5),
        ("Pinerolese", 5),
        ("pinerolese", 5),
        ("PINEROLESE", 5),
        ("Zona Pinerolese", 5),
        ("5 · Pinerolese", 5),  # the button's label
        ("5 - Pinerolese", 5),
        ("Zona omogenea 5", 5),
        ("11", 11),
        ("XI", 11),
        ("Torino Città", 1),
        ("torino citta", 1),  # without the accent
        ("Ciriacese", 7),  # one part of "Ciriacese-Valli di Lanzo"
        ("Valli di Lanzo", 7),
        ("Chierese", 11),
        ("Carmagnolese", 11),
        ("Valli di Susa", 6),  # the start of exactly one zone's name
        ("Canavese", 8),
        ("AMT Sud", 3),
    ],
)
def test_parse_zone_answer(typed: str, zone: int) -> None:
    assert parse_zone_answer(typed, ZONES) == zone


@pytest.mark.parametrize(
    ("typed", "number"),
    [("Zona 12", 12), ("12", 12), ("zona 0", 0), ("0", 0), ("XII", 12), ("Zona 99", 99)],
)
def test_parse_zone_answer_out_of_range(typed: str, number: int) -> None:
    assert parse_zone_answer(typed, ZONES) == OutOfRange(number, tuple(range(1, 12)))


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "Pinerolo",  # a comune, not a zone
        "10064",  # a postcode
        "Valli",  # the start of two zones' names
        "AMT",  # too short to tell
        "Zona Z",
        "5 - Chivassese",  # number and name disagree
        "Vilar Perosa",
        "Milano",
        "x" * 61,
    ],
)
def test_parse_zone_answer_not_a_zone(typed: str) -> None:
    assert parse_zone_answer(typed, ZONES) is None


# --- candidate zones and a newer bundled file --------------------------------------------------


@pytest.mark.parametrize(
    ("source", "candidates"),
    [
        ("NON VERIFICATO (zona 6/7/9)", (6, 7, 9)),
        ("NON VERIFICATO (zona 2/6/7/9)", (2, 6, 7, 9)),
        ("non verificato (zone 9, 6)", (6, 9)),
        ("NON VERIFICATO", ()),
        ("", ()),
    ],
)
def test_candidate_zones(source: str, candidates: tuple[int, ...]) -> None:
    assert Comune("Ala di Stura", None, "001003", source).candidate_zones == candidates
    # a verified zone has no candidates, whatever the source says
    assert Comune("Ala di Stura", 7, "001003", source).candidate_zones == ()


def test_refresh_from_bundled() -> None:
    """A database seeded from the older file takes the newer file's zones, except where an
    organiser imported a zone."""
    bundled = [
        Comune("Ciriè", 7, "001086", "torinoggi.it 2022"),
        Comune("Ivrea", 9, "001125", "quotidianocanavese.it"),
        Comune("Ala di Stura", None, "001003", "NON VERIFICATO (zona 6/7/9)"),
        Comune("Pinerolo", 5, "001191", "press"),
        Comune("Condove", 6, "001093", "lavalsusa.it"),
        Comune("Chieri", 11, "001078", "press 2024"),
    ]
    stored = [
        Comune("Ciriè", None, "001086", "NON VERIFICATO (zona 2/6/7/9)"),  # older file
        Comune("IVREA", None, "001125", "NON VERIFICATO (zona 2/6/7/9)"),  # older file
        Comune("Ala di Stura", None, "001003", "NON VERIFICATO (zona 2/6/7/9)"),
        Comune("Pinerolo", 5, "001191", "press"),  # the same
        Comune("Condove", 7, "001093", "elenco.ods"),  # imported by an organiser: kept
        Comune("Chieri", 10, "001078", "press 2024"),  # the file's, since corrected
        Comune("Atlantide", 4, None, "extra.csv"),  # added by an import: kept
    ]
    assert refresh_from_bundled(stored, bundled) == [
        bundled[0],
        bundled[1],
        bundled[2],
        bundled[5],
    ]
    assert refresh_from_bundled(bundled, bundled) == []
