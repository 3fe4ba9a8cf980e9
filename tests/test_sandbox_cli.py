"""``psm-bot sandbox`` and ``make run`` without a token: the decision, the database refused,
the first line, the page served by the real process, stopping with Ctrl+C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.sandbox import NO_TOKEN_LINE, choose, options, page_url, refusal
from tests.harness import cli_environment, environ_without_psm, settings_for

PSM_BOT = Path(sys.executable).with_name("psm-bot")
ROOT = Path(__file__).resolve().parents[1]


def test_make_run_chooses_the_sandbox_without_a_token(tmp_path: Path) -> None:
    assert choose(settings_for(tmp_path / "db", token="")) == "sandbox"
    assert choose(settings_for(tmp_path / "db", token="   ")) == "sandbox"
    assert choose(settings_for(tmp_path / "db", token="123:abc")) == "run"
    assert "psm-bot run --or-sandbox" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_settings_and_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cli_environment(monkeypatch, tmp_path)
    settings = settings_for(tmp_path / "psm.sqlite3")
    chosen = options(settings)
    assert (chosen.host, chosen.port) == ("127.0.0.1", 8080)
    assert chosen.database == (tmp_path / "sandbox.sqlite3").resolve()
    monkeypatch.setenv("PSM_SANDBOX_PORT", "9090")
    monkeypatch.setenv("PSM_SANDBOX_HOST", "0.0.0.0")
    monkeypatch.setenv("PSM_SANDBOX_DATABASE", str(tmp_path / "rehearsal.sqlite3"))
    from config.settings import load_settings

    loaded = load_settings()
    chosen = options(loaded)
    assert (chosen.host, chosen.port, chosen.database.name) == (
        "0.0.0.0",
        9090,
        "rehearsal.sqlite3",
    )
    assert options(loaded, port=1234, host="127.0.0.1").port == 1234
    assert page_url("0.0.0.0", 9090) == "http://127.0.0.1:9090/"


def test_the_production_database_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    production = cli_environment(monkeypatch, tmp_path)
    assert main(["sandbox", "--database", str(production)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "PSM_DATABASE" in err
    production.write_bytes(b"")
    link = tmp_path / "link.sqlite3"
    link.symlink_to(production)
    settings = settings_for(production)
    assert refusal(settings, options(settings, database=link)) is not None
    assert refusal(settings, options(settings, database=tmp_path / "other.sqlite3")) is None
    assert not (tmp_path / "other.sqlite3").exists()


def _start(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = environ_without_psm(
        PSM_DATABASE=str(tmp_path / "psm.sqlite3"),
        PSM_SANDBOX_DATABASE=str(tmp_path / "sandbox.sqlite3"),
        PSM_SANDBOX_PORT="0",
    )
    return subprocess.Popen(
        [str(PSM_BOT), *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return err


def _url(line: str) -> str:
    return next(word for word in line.split() if word.startswith("http://"))


@pytest.mark.skipif(not PSM_BOT.exists(), reason="the psm-bot script is not installed")
def test_make_run_without_a_token_says_it_is_the_sandbox_and_serves_the_page(
    tmp_path: Path,
) -> None:
    process = _start(["run", "--or-sandbox"], tmp_path)
    try:
        assert process.stdout is not None
        first = process.stdout.readline().rstrip("\n")
        assert first == NO_TOKEN_LINE
        second = process.stdout.readline()
        assert "psm-bot sandbox" in second and "Ctrl+C" in second
        assert str((tmp_path / "sandbox.sqlite3").resolve()) in second
        with urllib.request.urlopen(_url(second) + "api/state", timeout=10) as response:
            state = json.load(response)
        assert state["database"] == str((tmp_path / "sandbox.sqlite3").resolve())
        assert state["moments"] and state["templates"]
    finally:
        err = _stop(process)
    assert "SANDBOX-local" not in err, "no token in the log"
    assert (tmp_path / "sandbox.sqlite3").exists()
    assert not (tmp_path / "psm.sqlite3").exists()


@pytest.mark.skipif(not PSM_BOT.exists(), reason="the psm-bot script is not installed")
def test_sandbox_fresh_starts_empty(tmp_path: Path) -> None:
    stale = tmp_path / "sandbox.sqlite3"
    stale.write_bytes(b"not a database")
    process = _start(["sandbox", "--fresh", "--port", "0"], tmp_path)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("psm-bot sandbox: the real bot on a local simulation of Telegram")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(_url(first) + "api/state", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.1)
    finally:
        _stop(process)
    assert stale.read_bytes()[:15] == b"SQLite format 3"


def test_make_run_with_a_token_runs_the_real_bot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("PSM_BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("PSM_EVENT_FILE", str(tmp_path / "missing.yaml"))
    assert main(["run", "--or-sandbox"]) == 2  # psm-bot run's own checks: the event file
    out, err = capsys.readouterr()
    assert "sandbox" not in out + err
    assert "missing.yaml" in err
