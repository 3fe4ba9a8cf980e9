"""Lint, format and type checks, with the configuration in pyproject.toml."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.harness import run_process

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run_tool(name: str, *args: str) -> None:
    executable = BIN / name
    if not executable.exists():
        pytest.fail(f"{executable} not found: install the dev extras (pip install -e '.[dev]')")
    result = run_process([str(executable), *args], cwd=ROOT, timeout=300)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"{name} {' '.join(args)} failed:\n{output}"


def test_ruff_check() -> None:
    run_tool("ruff", "check", "--no-fix", ".")


def test_ruff_format() -> None:
    run_tool("ruff", "format", "--check", "--diff", ".")


def test_mypy() -> None:
    run_tool("mypy")
