"""Packaging: the LICENSE, ``psm-bot --version``, the help without a command, a closed pipe,
read-only commands on a missing database, and no heavy library imported by ``--help``.

Run in real processes (the installed ``psm-bot`` script, or ``python -c``), as an operator
would run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import environ_without_psm

ROOT = Path(__file__).resolve().parents[1]
PSM_BOT = Path(sys.executable).with_name("psm-bot")
needs_script = pytest.mark.skipif(
    not PSM_BOT.exists(), reason="the psm-bot script is not installed"
)
HEAVY = ("matplotlib", "openpyxl", "docx", "pptx", "segno", "odf", "icalendar")


def psm_bot(tmp_path: Path, *args: str, **run: object) -> subprocess.CompletedProcess[str]:
    """``psm-bot ARGS`` in ``tmp_path`` with a clean environment (no token, no database)."""
    env = environ_without_psm(PSM_DATABASE=str(tmp_path / "psm.sqlite3"))
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [str(PSM_BOT), *args],
        cwd=tmp_path,
        env=env,
        capture_output="stdout" not in run,
        stderr=subprocess.PIPE if "stdout" in run else None,
        text=True,
        timeout=60,
        check=False,
        **run,
    )


def test_license_is_mit() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 psm-bot contributors" in text


@needs_script
def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    done = psm_bot(tmp_path, "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"psm-bot {version('psm-bot')}"


@needs_script
def test_no_command_prints_help_and_starts_nothing(tmp_path: Path) -> None:
    done = psm_bot(tmp_path)  # no arguments at all
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: psm-bot")
    assert "run" in done.stdout and "--version" in done.stdout
    assert done.stderr == ""
    assert not (tmp_path / "psm.sqlite3").exists()


@needs_script
@pytest.mark.parametrize("args", [("--help",), ("check-config",)])
def test_closed_pipe_ends_without_traceback(tmp_path: Path, args: tuple[str, ...]) -> None:
    """As ``psm-bot ... | head`` when head has gone: the read end is closed before the write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = psm_bot(tmp_path, *args, stdout=write_end)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr
    assert "BrokenPipeError" not in done.stderr and "Exception ignored" not in done.stderr
    # argparse drops a failed write of the help itself (exit 0); our output: exit 1
    assert done.returncode == (0 if args == ("--help",) else 1)


@needs_script
def test_piped_into_head(tmp_path: Path) -> None:
    """A real shell pipe: ``psm-bot --help | head -1``."""
    script = f'"{PSM_BOT}" --help | head -1; "{PSM_BOT}" check-config | head -1'
    done = subprocess.run(
        ["sh", "-c", script],
        cwd=tmp_path,
        env=environ_without_psm(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.splitlines()[0].startswith("usage: psm-bot")
    assert len(done.stdout.splitlines()) == 2
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@needs_script
@pytest.mark.parametrize(
    "args",
    [("schedule",), ("export", "registrations"), ("export", "results"), ("export", "synthesis")],
)
def test_read_only_commands_refuse_a_missing_database(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = psm_bot(tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"database: no database at {tmp_path / 'psm.sqlite3'}; set PSM_DATABASE to the bot's "
        "database file (nothing was created)"
    ]
    assert not (tmp_path / "psm.sqlite3").exists()


@pytest.mark.parametrize("module", ["bot.cli", "bot.app"])
def test_start_up_imports_no_heavy_library(module: str) -> None:
    """``import bot.cli`` (what ``--help`` runs) and ``bot.app`` (the bot) import none of them."""
    probe = (
        f"import sys, {module}, bot.cli; bot.cli._parser().format_help(); "
        f"print(' '.join(sorted(n for n in {HEAVY!r} if n in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=environ_without_psm(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "", f"{module} imports {done.stdout.strip()}"


def test_dev_tools_are_pinned_exactly() -> None:
    """A new release of a test tool must not turn CI red: each is ``==`` a version."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dev = project["project"]["optional-dependencies"]["dev"]
    loose = [requirement for requirement in dev if "==" not in requirement]
    assert loose == []
    names = {requirement.split("==")[0].lower() for requirement in dev}
    assert {"pytest", "pytest-asyncio", "ruff", "mypy", "import-linter"} <= names
