"""``psm-bot run`` when it cannot start: one clear line and exit code 2, never a traceback.

The database is checked first (not SQLite, read-only, a folder, a full disk, a newer
schema), then the Bot API server: a rejected token is one line without the token; a server
that cannot be reached is tried again with a growing pause, one log line per attempt.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import Backoff, serve
from bot.cli import main
from bot.cli.running import run
from config.event import load_event_config
from config.settings import load_settings
from storage import db as storage_db
from storage.db import Database
from storage.errors import DatabaseError, database_error, is_disk_full
from tests.harness import (
    bot_api_server,
    cli_environment,
    environ_without_psm,
    free_port,
    migrated,
    run_process,
    settings_for,
)

PSM_BOT = Path(sys.executable).with_name("psm-bot")
TOKEN = "123456:TEST-TOKEN"
WRONG_TOKEN = "654321:wrong-secret-token-value"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment with a token and an unreachable server; returns the database."""
    database = cli_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("PSM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PSM_API_BASE_URL", f"http://127.0.0.1:{free_port()}")
    return database


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    """What the command printed: nothing on stdout, exactly one line on stderr."""
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err.strip()


# --- the database --------------------------------------------------------------------------


def test_database_that_is_not_sqlite(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env.write_bytes(os.urandom(4096))
    assert main(["run"]) == 2
    line = one_line(capsys)
    assert line == (
        f"psm-bot: {env} is not a psm-bot database (not an SQLite file): set PSM_DATABASE to "
        "another file, or move this one away"
    )


def test_database_path_is_a_folder(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env.mkdir()
    assert main(["run"]) == 2
    assert one_line(capsys).startswith(f"psm-bot: {env} is a folder, not a database file")


def test_database_folder_missing(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = env.parent / "nowhere" / "psm.sqlite3"
    monkeypatch.setenv("PSM_DATABASE", str(target))
    assert main(["run"]) == 2
    assert one_line(capsys) == (
        f"psm-bot: cannot create {target}: the folder {target.parent} does not exist"
    )


def test_database_from_a_newer_psm_bot(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    migrated(env)
    with sqlite3.connect(env) as conn:
        conn.execute("PRAGMA user_version = 999")
    assert main(["run"]) == 2
    line = one_line(capsys)
    assert line.startswith(f"psm-bot: {env} is at schema version 999, but this psm-bot knows")
    assert "upgrade psm-bot" in line


def test_full_disk_at_start(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # SQLite's own "database or disk is full" (SQLITE_FULL), from a file allowed two pages
    monkeypatch.setattr(storage_db, "PRAGMAS", [*storage_db.PRAGMAS, "PRAGMA max_page_count=2"])
    assert main(["run"]) == 2
    assert one_line(capsys) == (
        f"psm-bot: the disk is full: {env} cannot be written (free some space)"
    )


def test_full_disk_from_the_system() -> None:
    error = OSError(28, "No space left on device")
    assert is_disk_full(error)
    assert str(database_error("x.db", error)).startswith("the disk is full: x.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files: see the next test")
def test_read_only_database_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    migrated(env)
    env.chmod(0o444)
    try:
        assert main(["run"]) == 2
    finally:
        env.chmod(0o644)
    assert one_line(capsys).startswith(f"psm-bot: {env} is read-only")


def test_read_only_file_system(env: Path, tmp_path: Path) -> None:
    """The database's folder mounted read-only (a private mount namespace, as root)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) for a read-only bind mount")
    folder = tmp_path / "ro"
    folder.mkdir()
    database = folder / "psm.sqlite3"
    migrated(database)
    script = f'mount --bind -o ro "{folder}" "{folder}" && exec "{PSM_BOT}" run'
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("cannot create a mount namespace here")
    result = run_process(
        ["unshare", "-m", "sh", "-c", script], env={**os.environ, "PSM_DATABASE": str(database)}
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"psm-bot: {database} is on a read-only file system: psm-bot must write the database "
        "and its journal next to it (set PSM_DATABASE to a writable place)"
    ]


# --- the Bot API server --------------------------------------------------------------------


async def test_token_rejected_is_one_line_without_the_token(tmp_path: Path) -> None:
    """The real command against the fake server, which answers 401 to another token."""
    database = tmp_path / "psm.sqlite3"
    await (await Database.open(database)).close()  # migrated: no migration lines either
    async with bot_api_server(token=TOKEN) as api:
        env = environ_without_psm(
            PSM_BOT_TOKEN=WRONG_TOKEN, PSM_API_BASE_URL=api.url, PSM_DATABASE=str(database)
        )
        process = await asyncio.create_subprocess_exec(
            str(PSM_BOT),
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert api.stats["401"] >= 1
    assert process.returncode == 2
    assert out == b""
    assert err.decode().splitlines() == [
        "psm-bot: Telegram rejected the token: check PSM_BOT_TOKEN "
        f"(Bot API server {api.url}, PSM_API_BASE_URL)"
    ]
    assert b"wrong-secret" not in out + err


def test_unreachable_server_is_tried_again(
    env: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    settings = load_settings()
    assert run(settings, backoff=Backoff(first=0.01, cap=0.02, attempts=4)) == 2
    line = one_line(capsys)
    server = settings.api_base_url
    assert line.startswith(f"psm-bot: cannot reach the Bot API server at {server} (")
    assert line.endswith("gave up after 4 attempts")
    retries = [r.getMessage() for r in caplog.records if r.name == "bot.app"]
    assert len(retries) == 3  # one line per attempt, the pause growing up to its cap
    for attempt, (message, pause) in enumerate(
        zip(retries, ("0.01", "0.02", "0.02"), strict=True), 1
    ):
        assert message.startswith(
            f"cannot reach the Bot API server at {server} (attempt {attempt}: "
        )
        assert message.endswith(f"trying again in {pause} s")
    assert "Traceback" not in caplog.text


def test_default_backoff_grows_to_a_minute_and_never_gives_up() -> None:
    backoff = Backoff()
    assert [backoff.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.delay(10_000) == 60
    assert backoff.attempts is None


async def test_the_bot_starts_once_the_server_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    settings = settings_for(
        tmp_path / "psm.sqlite3", token=TOKEN, api_base_url=f"http://127.0.0.1:{port}"
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(
            settings,
            load_event_config(),
            backoff=Backoff(first=0.05, cap=0.05),
            stop=stop,
            poll_timeout=1,
        )
    )

    async def logged(text: str) -> None:
        while not any(text in record.getMessage() for record in caplog.records):
            assert not task.done(), task
            await asyncio.sleep(0.01)

    await asyncio.wait_for(logged("(attempt 2: "), 10)
    async with bot_api_server(token=TOKEN, port=port):
        await asyncio.wait_for(logged("psm-bot is running as @psm_test_bot"), 10)
        stop.set()
        await asyncio.wait_for(task, 10)
    assert any(r.getMessage() == "psm-bot stopped" for r in caplog.records)


def test_database_error_is_one_line_for_other_commands(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.write_bytes(b"not a database at all" * 100)
    assert main(["schedule"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().endswith(
        f"psm-bot: {env} is not a psm-bot database (not an SQLite file): set PSM_DATABASE to "
        "another file, or move this one away"
    )
    assert isinstance(database_error(env, RuntimeError("x")), DatabaseError)
