"""The systemd unit ``config/deploy/psm-bot.service``: the options the install guide relies
on are there, and ``systemd-analyze verify`` accepts it (skipped, with one line saying so,
where systemd-analyze is not installed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "config" / "deploy" / "psm-bot.service"
INSTALLED = "/opt/psm-bot/.venv/bin/psm-bot"


def options(text: str) -> dict[str, dict[str, list[str]]]:
    """The unit's ``[Section]`` -> option -> values (an option may be repeated)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_unit_has_what_the_guide_promises() -> None:
    unit = options(UNIT.read_text(encoding="utf-8"))
    service = unit["Service"]
    expected = {
        "User": "psm-bot",
        "Group": "psm-bot",
        "EnvironmentFile": "/etc/psm-bot/env",
        "WorkingDirectory": "/var/lib/psm-bot",
        "ExecStart": f"{INSTALLED} run",
        "Restart": "on-failure",
        "TimeoutStopSec": "15",
        "KillSignal": "SIGTERM",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ReadWritePaths": "/var/lib/psm-bot",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "RestrictSUIDSGID": "yes",
        "CapabilityBoundingSet": "",
    }
    for key, value in expected.items():
        assert service.get(key) == [value], key
    assert "network-online.target" in unit["Unit"]["After"][0]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    assert "MemoryDenyWriteExecute" not in service  # libffi: see the comment in the unit


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze not installed: the unit's syntax was not verified")
    # The same unit, with ExecStart naming this checkout's script (verify checks it exists).
    script = Path(sys.executable).with_name("psm-bot")
    if not script.exists():
        pytest.skip("the psm-bot script is not installed: ExecStart cannot be verified")
    copy = tmp_path / "psm-bot.service"
    text = UNIT.read_text(encoding="utf-8")
    assert text.count(INSTALLED) == 1
    copy.write_text(text.replace(INSTALLED, str(script)), encoding="utf-8")
    done = subprocess.run(
        [tool, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "psm-bot.service" not in done.stdout + done.stderr, done.stdout + done.stderr
