"""Which database the ``psm-bot`` commands use: announced first, never created by a command
that only reads it (``schedule``, ``export``) or needs registrants (``import-links``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.harness import clean_environment, migrated


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty folder as the working directory, no PSM_* variables: the database is the
    default ``./psm-bot.sqlite3``, which does not exist."""
    folder = tmp_path / "empty"
    folder.mkdir()
    clean_environment(monkeypatch, folder)
    return folder / "psm-bot.sqlite3"


def links_file(folder: Path) -> Path:
    path = folder / "links.csv"
    path.write_text("registration_id;link\n1;https://meet.example.org/x\n", encoding="utf-8")
    return path


COMMANDS = {
    "schedule": ["schedule"],
    "export registrations": ["export", "registrations"],
    "export results": ["export", "results"],
}


@pytest.mark.parametrize("command", [*COMMANDS, "import-links"])
def test_a_missing_database_is_refused_and_not_created(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    argv = COMMANDS.get(command) or ["import-links", str(links_file(tmp_path))]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"database: no database at {env}; set PSM_DATABASE to the bot's database file "
        "(nothing was created)"
    ]
    assert list(env.parent.iterdir()) == []  # no database, no empty export file


@pytest.mark.parametrize("command", [*COMMANDS, "import-links"])
def test_commands_say_which_database_they_read(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    migrated(env)
    argv = COMMANDS.get(command) or [
        "import-links",
        str(links_file(tmp_path)),
        "--event",
        "lancio-2023",
    ]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"database: {env}"  # absolute, whatever PSM_DATABASE says


def test_relative_psm_database_is_shown_absolute(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (env.parent / "data").mkdir()
    migrated(env.parent / "data" / "bot.sqlite3")
    monkeypatch.setenv("PSM_DATABASE", "data/../data/bot.sqlite3")
    assert main(["schedule"]) == 0
    assert (
        capsys.readouterr().err.splitlines()[0]
        == f"database: {env.parent / 'data' / 'bot.sqlite3'}"
    )


def test_a_folder_is_not_a_database(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSM_DATABASE", str(env.parent))
    assert main(["schedule"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"database: {env.parent} is a folder, not a database file (set PSM_DATABASE)"
    ]


def test_import_comuni_may_create_the_database(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The official list can be imported before the bot first runs: the new file is named."""
    path = tmp_path / "zone.csv"
    path.write_text("comune;zona\nAla di Stura;7\n", encoding="utf-8")
    assert main(["import-comuni", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"database: {env} (new file)"]
    assert f"saved to {env}" in out
    assert env.exists()
    assert main(["import-comuni", str(path)]) == 0
    assert capsys.readouterr().err.splitlines() == [f"database: {env}"]
