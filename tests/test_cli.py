"""Tests for the ``psm-bot`` command (bot/cli.py), run in-process."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from config.event import bundled_event_file
from storage.comuni import ComuneRow, ComuniRepository
from storage.db import Database

BOM = "\ufeff"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment in tmp_path: no PSM_* variables, no .env; returns the database."""
    for name in list(os.environ):
        if name.upper().startswith("PSM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "psm.sqlite3"
    monkeypatch.setenv("PSM_DATABASE", str(database))
    return database


def stored(database: Path) -> dict[str, ComuneRow]:
    """The comuni stored in ``database``, by name, read through a new connection."""

    async def read() -> list[ComuneRow]:
        db = await Database.open(database)
        try:
            return await ComuniRepository(db).all()
        finally:
            await db.close()

    return {row.name: row for row in asyncio.run(read())}


def write_csv(path: Path, text: str) -> Path:
    path.write_text(BOM + text, encoding="utf-8")
    return path


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --- check-config ---------------------------------------------------------------------------


def test_check_config_bundled(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(bundled_event_file())]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("OK: Piano Strategico Metropolitano Torino 2024|2026 (Europe/Rome)")
    assert "7 venues, 11 zones, 6 axes" in out
    assert "event lancio-2023" in out
    assert "event copianificazione-2023" in out
    assert "Città Metropolitana di Torino: zones 1, 2, 3, 4 (places: 120)" in out
    assert "Comune di Pinerolo: zones 5 (places: 40)" in out
    assert "Comune di Condove: zones 6 (places: 40)" in out
    assert "Comune di Ciriè - Palazzo D'Oria: zones 7, 8 (places: 60)" in out
    assert "Comune di Strambino: zones 9, 10 (places: 60)" in out
    assert "Comune di Riva presso Chieri - Palazzo Grosso: zones 11 (places: 40)" in out
    assert " 9:15-9:30 " in out
    assert out.count("[hybrid]") == 4
    assert not env.exists()  # checking a file does not create the database


def test_check_config_default_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_check_config_uses_psm_event_file(
    env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = yaml.safe_load(bundled_event_file().read_text(encoding="utf-8"))
    data["process"]["short_name"] = "Prova"
    data["events"] = data["events"][:1]
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("PSM_EVENT_FILE", str(path))
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "event lancio-2023" in out
    assert "copianificazione" not in out


def test_check_config_broken_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data: dict[str, Any] = yaml.safe_load(bundled_event_file().read_text(encoding="utf-8"))
    data["zones"][4]["venue"] = "nowhere"
    data["events"][1]["agenda"][3]["end"] = "9:50"
    data["events"][0]["venue"] = "elsewhere"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    assert main(["check-config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    errors = lines(err)
    assert len(errors) == 4  # one per problem, then a count
    fields = {"zones[4].venue", "events[1].agenda[3].end", "events[0].venue"}
    for field in fields:
        assert sum(line.startswith(f"{path}: {field}: ") for line in errors) == 1, field
    assert errors[-1] == "3 error(s): the event file is not valid"


def test_check_config_shape_error(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data: dict[str, Any] = yaml.safe_load(bundled_event_file().read_text(encoding="utf-8"))
    data["venues"][0]["capacty"] = 10
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: venues[0].capacty: unknown field" in err


def test_check_config_missing_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml: cannot read the file" in err


# --- run --------------------------------------------------------------------------------------


def test_run_without_token(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "PSM_BOT_TOKEN" in err
    assert "Traceback" not in err
    assert not env.exists()


def test_default_command_is_run(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "PSM_BOT_TOKEN" in capsys.readouterr().err


def test_run_with_blank_token(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSM_BOT_TOKEN", "  ")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "PSM_BOT_TOKEN" in err


def test_invalid_setting(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSM_ORGANISERS", "12,abc")
    assert main(["check-config"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("settings: PSM_ORGANISERS: ")
    assert "Traceback" not in err


# --- import-comuni ----------------------------------------------------------------------------


def test_import_comuni_completes_the_mapping(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "zone.csv", "comune;zona\nAlmese;6\nAla di Stura;7\nPinerolo;5\n")
    assert main(["import-comuni", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == f"database: {env.resolve()} (new file)\n"  # allowed to create it
    assert "zone set for 2 comuni (were unverified)" in out
    assert "unchanged: 1" in out
    assert f"saved to {env}" in out

    comuni = stored(env)
    assert len(comuni) == 312  # the bundled mapping, completed
    assert comuni["Almese"].zone == 6
    assert comuni["Almese"].source == "zone.csv"
    assert comuni["Almese"].istat == "001006"
    assert comuni["Ala di Stura"].zone == 7
    assert comuni["Pinerolo"].zone == 5
    assert comuni["Agliè"].zone == 8  # not in the file: kept as bundled
    assert comuni["Agliè"].source != "zone.csv"


def test_import_comuni_builds_on_the_stored_mapping(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_csv(tmp_path / "first.csv", "comune;zona\nAvigliana;6\n")
    assert main(["import-comuni", str(first)]) == 0
    capsys.readouterr()
    second = write_csv(tmp_path / "second.csv", "Comune;Zona\nPinerolo;4\nAVIGLIANA;6\n")
    assert main(["import-comuni", str(second)]) == 0
    out = capsys.readouterr().out
    assert "zone changed for 1: Pinerolo 5 -> 4" in out
    assert "unchanged: 1" in out
    comuni = stored(env)
    assert comuni["Avigliana"].zone == 6  # from the first import, kept
    assert comuni["Pinerolo"].zone == 4
    assert "AVIGLIANA" not in comuni  # matched to the official name


def test_import_comuni_unknown_zone_changes_nothing(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_csv(tmp_path / "good.csv", "comune;zona\nAvigliana;6\n")
    assert main(["import-comuni", str(good)]) == 0
    capsys.readouterr()
    before = stored(env)

    bad = write_csv(tmp_path / "bad.csv", "comune;zona\nPinerolo;4\nAvigliana;12\n")
    assert main(["import-comuni", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{bad}: row 3: unknown zone '12' for 'Avigliana'" in err
    assert "nothing was imported" in err
    assert stored(env) == before
    assert before["Pinerolo"].zone == 5


def test_import_comuni_unknown_zone_creates_no_database(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_csv(tmp_path / "bad.csv", "comune;zona\nAvigliana;12\n")
    assert main(["import-comuni", str(bad)]) == 2
    assert "12" in capsys.readouterr().err
    assert not env.exists()


def test_import_comuni_replace(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(
        tmp_path / "all.csv", "comune;zona\nAvigliana;6\nPinerolo;5\nCiriè;7\nNuovo Comune;3\n"
    )
    assert main(["import-comuni", "--replace", "--allow-new", str(path)]) == 0
    out = capsys.readouterr().out
    assert "removed 309 comuni not in the file" in out
    assert "added 1 new comune" in out and "Nuovo Comune (zone 3" in out
    comuni = stored(env)
    assert set(comuni) == {"Avigliana", "Pinerolo", "Ciriè", "Nuovo Comune"}
    assert {name: row.zone for name, row in comuni.items()} == {
        "Avigliana": 6,
        "Pinerolo": 5,
        "Ciriè": 7,
        "Nuovo Comune": 3,
    }
    assert comuni["Nuovo Comune"].istat is None
    assert "still without a zone" not in out


def test_import_comuni_unsupported_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "zone.xlsx"
    path.write_bytes(b"PK")
    assert main(["import-comuni", str(path)]) == 2
    err = capsys.readouterr().err
    assert "save it as .ods or .csv" in err
    assert not env.exists()
