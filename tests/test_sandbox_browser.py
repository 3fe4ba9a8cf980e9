"""The sandbox in a real browser: Playwright drives headless Chromium (Debian's
``/usr/bin/chromium``) against the real sandbox, started in this process on free ports
with a temporary database. A screenshot of each step goes to ``tests/artifacts/sandbox/``.

Without a browser (no ``/usr/bin/chromium`` or no ``playwright``) the module is skipped with
one line saying why (``make test`` shows skips' reasons with ``-rs``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import bot.sandbox

CHROMIUM = Path(os.environ.get("SANDBOX_CHROMIUM", "/usr/bin/chromium"))
STATIC = Path(bot.sandbox.__file__).parent / "static"
ARTIFACTS = Path(__file__).parent / "artifacts" / "sandbox"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing_browser() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (.ci/run installs Debian's chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


_REASON = _missing_browser()
if _REASON is not None:
    pytest.skip(f"sandbox browser tests skipped: {_REASON}", allow_module_level=True)

from playwright.async_api import Page, async_playwright  # noqa: E402

Browser = Page  # what the tests drive: one page of a fresh headless Chromium


@asynccontextmanager
async def browser_page(
    tmp_path: Path, *, width: int = 1400, height: int = 860
) -> AsyncIterator[Page]:
    """A page of a fresh headless Chromium (its own user-data dir under ``tmp_path``)."""
    async with async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
            locale="it-IT",
            timezone_id="Europe/Rome",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page
            assert not errors, f"JavaScript errors on the page: {errors}"
        finally:
            await context.close()


async def shot(page: Page, name: str) -> Path:
    """Save a screenshot of the page as a test artifact; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    return path
