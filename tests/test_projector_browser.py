"""The projector page in a real browser: Playwright drives headless Chromium (Debian's
``/usr/bin/chromium``, as the sandbox's browser tests do) against the real bot's web server
(``PSM_WEB_PORT`` on a free port) and the fake Bot API. Screenshots of each step go to
``tests/artifacts/projector/`` (16:9 and 4:3).

Without a browser the module is skipped with one line saying why.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.botapi.server import FakeBotApi
from storage.questions import QuestionAction, QuestionStatus
from tests.harness import free_port
from tests.projector_support import (
    ORGANISER,
    SESSION_1,
    ProjectorBot,
    ask,
    people,
    priority_polls,
)

CHROMIUM = Path(os.environ.get("SANDBOX_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).parent / "artifacts" / "projector"
if not CHROMIUM.exists():
    pytest.skip(
        f"projector browser tests skipped: no Chromium at {CHROMIUM}", allow_module_level=True
    )
if importlib.util.find_spec("playwright") is None:
    pytest.skip(
        "projector browser tests skipped: playwright is not installed", allow_module_level=True
    )

from playwright.async_api import Page, ViewportSize, expect  # noqa: E402

from tests.test_sandbox_browser import browser_page  # noqa: E402

WIDE = ViewportSize(width=1920, height=1080)  # 16:9
SQUARE = ViewportSize(width=1024, height=768)  # 4:3
LIVE_MS = 2000  # the target: a change on the screen within 2 seconds


async def shot(page: Page, name: str) -> Path:
    """Save a screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    return path


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[ProjectorBot]:
    async with ProjectorBot(api, tmp_path) as harness:
        yield harness


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    async with browser_page(tmp_path, width=WIDE["width"], height=WIDE["height"]) as opened:
        yield opened


async def test_questions_live_without_reload(bot: ProjectorBot, page: Page) -> None:
    await page.goto(bot.page())
    await expect(page.locator("#no-questions")).to_have_text("Ancora nessuna domanda")
    await expect(page.locator("#window-state")).to_contain_text("domande aperte fino alle 9:40")
    await expect(page.locator("#join-username")).to_contain_text("@")
    await expect(page.locator("#join-qr")).to_be_visible()
    await shot(page, "01-empty")

    regs = await people(bot, 6)
    lit = await ask(bot, regs[0], "Come saranno usati i fondi del PNRR nelle valli?")
    first = await ask(bot, regs[1], "Quali trasporti tra Pinerolo e Torino?", name="Anna Rossi")
    await ask(bot, regs[2], "Ci sarà un secondo incontro in primavera?", axis="2")
    for reg in regs[:3]:
        await bot.questions.toggle_support(first.id, reg, bot.clock.now())
    await bot.questions.change(
        lit.id, QuestionStatus.HIGHLIGHTED, QuestionAction.HIGHLIGHTED, ORGANISER, bot.clock.now()
    )
    highlighted = page.locator("#highlighted-text")
    await expect(highlighted).to_have_text(lit.text, timeout=LIVE_MS)
    rows = page.locator("#question-list li")
    await expect(rows).to_have_count(2, timeout=LIVE_MS)
    await expect(rows.first.locator(".q-text")).to_have_text(first.text)
    await expect(rows.first.locator(".count .n")).to_have_text("3")
    await expect(rows.first.locator(".q-meta")).to_have_text("Anna Rossi")
    await expect(rows.nth(1).locator(".q-meta")).to_contain_text("anonima")
    await page.evaluate("window.__still = 'the same page'")
    await page.wait_for_timeout(900)  # the fade-in ends
    await shot(page, "02-questions-16x9")

    # a new question published and a support given: on the screen within 2 s, no reload
    newer = await ask(bot, regs[3], "Chi coordina i tavoli di zona dopo oggi?")
    for reg in regs[3:6]:
        await bot.questions.toggle_support(newer.id, reg, bot.clock.now())
    await bot.questions.toggle_support(first.id, regs[4], bot.clock.now())
    await expect(rows).to_have_count(3, timeout=LIVE_MS)
    await expect(rows.first.locator(".count .n")).to_have_text("4", timeout=LIVE_MS)
    await expect(rows.nth(1).locator(".q-text")).to_have_text(newer.text)
    assert await page.evaluate("window.__still") == "the same page"
    assert await page.evaluate("document.body.dataset.transport") == "sse"
    await page.wait_for_timeout(900)
    await shot(page, "03-questions-live")

    await page.set_viewport_size(SQUARE)
    await page.wait_for_timeout(300)
    await shot(page, "04-questions-4x3")
    box = await page.locator(".join").bounding_box()
    assert box is not None and box["y"] + box["height"] <= SQUARE["height"] + 1


async def test_poll_and_synthesis_modes(api: FakeBotApi, tmp_path: Path, page: Page) -> None:
    async with ProjectorBot(api, tmp_path, now=SESSION_1) as bot:
        await page.goto(bot.page() + "?mode=poll")
        await expect(page.locator("#no-poll")).to_have_text("Ancora nessun sondaggio")
        await priority_polls(bot, {5: [[0, 1], [0, 2]], 9: [[2, 0], [1]], 6: [[0]]})
        bars = page.locator("#poll-bars li")
        await expect(bars.first.locator(".bar-count")).to_have_text("4 scelte", timeout=LIVE_MS)
        await expect(page.locator("#poll-meta")).to_contain_text("Tutte le Zone")
        await page.wait_for_timeout(900)  # the bars grow
        await shot(page, "05-poll")

        await page.keyboard.press("3")  # the synthesis, by key
        await expect(page.locator("#heatmap tbody tr").first).to_be_visible()
        assert "mode=synthesis" in page.url
        await expect(page.locator("#heatmap thead th")).to_have_count(1 + 3 + 1)  # zones + mean
        await expect(page.locator("#top-strategies li")).to_have_count(3)  # chosen ones only
        await shot(page, "06-synthesis")

        await page.locator("#mode-questions").click()  # and back, by button
        await expect(page.locator("#questions")).to_be_visible()
        await expect(page.locator("#no-questions")).to_be_visible()


async def test_the_english_page_and_the_forged_link(bot: ProjectorBot, page: Page) -> None:
    await page.goto(bot.page() + "?lang=en")
    await expect(page.locator("#no-questions")).to_have_text("No questions yet")
    await expect(page.locator("#mode-poll")).to_contain_text("Poll")
    token = bot.token()
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = await page.goto(bot.page(forged))
    assert response is not None and response.status == 403
    await expect(page.locator("h1").first).to_have_text("Link non valido")
    await expect(page.locator("h1").nth(1)).to_have_text("Invalid link")
    await shot(page, "07-forged")


async def test_the_link_expires_on_the_screen(bot: ProjectorBot, page: Page) -> None:
    await page.goto(bot.page())
    await expect(page.locator("#no-questions")).to_be_visible()
    bot.fake_clock.set(dt.datetime(2023, 12, 6, 0, 0, 1, tzinfo=bot.config.tz))
    # the stream ends at the next ping or change: a change now ends it at once
    (reg,) = await people(bot, 1)
    await ask(bot, reg, "Troppo tardi?")
    await asyncio.sleep(0)
    await expect(page.locator("#expired")).to_be_visible(timeout=20_000)
    await expect(page.locator("#expired-text")).to_contain_text("scaduto")


async def test_without_server_sent_events_the_page_asks_every_two_seconds(
    bot: ProjectorBot, page: Page
) -> None:
    await page.route("**/events?*", lambda route: route.abort())  # a proxy that blocks them
    await page.goto(bot.page())
    await expect(page.locator("#no-questions")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-transport", "polling")
    (reg,) = await people(bot, 1)
    await ask(bot, reg, "Arriva anche senza eventi dal server?")
    await expect(page.locator("#question-list li")).to_have_count(1, timeout=3000)


async def test_the_page_goes_on_after_a_restart_of_the_bot(
    api: FakeBotApi, tmp_path: Path, page: Page
) -> None:
    bot = ProjectorBot(api, tmp_path)
    bot.web_port = free_port()  # the same address before and after
    async with bot:
        regs = await people(bot, 2)
        await ask(bot, regs[0], "Prima del riavvio?")
        await page.goto(bot.page())
        rows = page.locator("#question-list li")
        await expect(rows).to_have_count(1)
        await page.evaluate("window.__still = 'the same page'")
        await bot.restart()  # a deploy, or a crash and systemd's restart
        await ask(bot, regs[1], "Dopo il riavvio?")
        await expect(rows).to_have_count(2, timeout=8000)
        assert await page.evaluate("window.__still") == "the same page"
