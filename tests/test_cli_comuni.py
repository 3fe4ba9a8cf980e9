"""``psm-bot import-comuni``: unknown comuni refused unless --allow-new, error lines naming the
file once, a database seeded from the older bundled file brought up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from storage.comuni import ComuneRow, ComuniRepository
from tests.harness import cli_environment, stored_comuni, with_db, write_csv


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment in tmp_path: no PSM_* variables, no .env; returns the database."""
    return cli_environment(monkeypatch, tmp_path)


def test_import_comuni_refuses_unknown_comuni(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name that is no comune of the list is refused with its row, unless --allow-new."""
    good = write_csv(tmp_path / "good.csv", "comune;zona\nAla di Stura;7\n")
    assert main(["import-comuni", str(good)]) == 0
    capsys.readouterr()
    before = stored_comuni(env)

    path = write_csv(tmp_path / "extra.csv", "comune;zona\nPinerolo;5\nAtlantide;4\nPinerollo;5\n")
    assert main(["import-comuni", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"database: {env.resolve()}",
        f"{path}: row 3: 'Atlantide' is not a comune of the list",
        f"{path}: row 4: 'Pinerollo' is not a comune of the list (did you mean Pinerolo?)",
        "2 name(s) not in the list of comuni: check the spelling, "
        "or give --allow-new to add them as new comuni",
        "nothing was imported",
    ]
    assert stored_comuni(env) == before

    assert main(["import-comuni", "--allow-new", str(path)]) == 0
    assert "added 2 new comuni" in capsys.readouterr().out
    comuni = stored_comuni(env)
    assert comuni["Atlantide"].zone == 4
    assert comuni["Atlantide"].istat is None


def test_import_comuni_unknown_comuni_create_no_database(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "extra.csv", "comune;zona\nAtlantide;4\n")
    assert main(["import-comuni", str(path)]) == 2
    assert "nothing was imported" in capsys.readouterr().err
    assert not env.exists()


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        (
            "bad1.csv",
            "Elenco\nPinerolo;5\n",
            "no header row found; expected a row with a 'Comune' column and a 'Zona' column",
        ),
        ("bad2.ods", "not a zip", "cannot read it as an .ods spreadsheet"),
        ("bad3.xlsx", "PK", "Excel files are not supported; save it as .ods or .csv"),
        ("bad4.pdf", "%PDF", "unsupported file type '.pdf'; use .ods or .csv"),
    ],
)
def test_import_comuni_errors_name_the_file_once(
    env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str,
    error: str,
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert main(["import-comuni", str(path)]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith(f"{path}: {error}")
    assert first.count(name) == 1  # not "bad1.csv: bad1.csv: ..."
    missing = tmp_path / "missing.csv"
    assert main(["import-comuni", str(missing)]) == 2
    assert capsys.readouterr().err.splitlines()[0] == f"{missing}: file not found"


def test_import_comuni_takes_the_newer_bundled_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database seeded from the older bundled file (Ciriè, Ivrea unknown) gets the newer
    file's zones on the next import, and keeps what an organiser imported."""
    older = [
        ComuneRow("cirie", "Ciriè", "001086", None, "NON VERIFICATO (zona 2/6/7/9)"),
        ComuneRow("ivrea", "Ivrea", "001125", None, "NON VERIFICATO (zona 2/6/7/9)"),
        ComuneRow("condove", "Condove", "001093", 7, "mine.ods"),
        ComuneRow("pinerolo", "Pinerolo", "001191", 5, "x"),
    ]
    with_db(env, lambda db: ComuniRepository(db).replace_all(older))
    path = write_csv(tmp_path / "zone.csv", "comune;zona\nPinerolo;5\n")
    assert main(["import-comuni", str(path)]) == 0
    comuni = stored_comuni(env)
    assert (comuni["Ciriè"].zone, comuni["Ivrea"].zone) == (7, 9)
    assert comuni["Condove"].zone == 7  # the organiser's import, not the file's 6
    assert comuni["Pinerolo"].source == "zone.csv"
