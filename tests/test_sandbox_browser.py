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

from playwright.async_api import Locator, Page, async_playwright  # noqa: E402

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


# --- the real sandbox in the browser -----------------------------------------------------

from tests.sandbox_support import Client, running_sandbox  # noqa: E402

LINK = "https://meet.example.org/psm-sandbox"


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Client]:
    async with running_sandbox(tmp_path) as client:
        yield client


@pytest.fixture
async def page(sandbox: Client, tmp_path: Path) -> AsyncIterator[Page]:
    async with browser_page(tmp_path) as opened:
        await opened.goto(sandbox.url)
        await opened.locator("#database", has_text="sandbox.sqlite3").wait_for()
        yield opened


def pane(page: Page, index: int = 0) -> Locator:
    """One of the page's chat panes."""
    return page.locator(".pane").nth(index)


async def add_persona(page: Page, label: str) -> None:
    """Add a persona from the template with this label; it opens in the active pane."""
    count = await page.locator("#personas li").count()
    await page.locator("#template").select_option(label=label)
    await page.locator("#add-persona").get_by_role("button").click()
    await page.locator("#personas li").nth(count).wait_for()


async def press(chat: Locator, button: str, message: str | None = None) -> None:
    """Press a button (by a part of its label) of the latest bot message with such a button
    (and containing ``message``, when given)."""
    bubbles = chat.locator(".msg.bot", has=chat.page.locator(".keyboard button", has_text=button))
    if message is not None:
        bubbles = bubbles.filter(has_text=message)
    await bubbles.last.locator(".keyboard button", has_text=button).first.click()


async def type_in(chat: Locator, text: str) -> None:
    """Type a message and send it with Enter."""
    box = chat.locator(".composer .text")
    await box.fill(text)
    await box.press("Enter")


async def see(chat: Locator, text: str, within: float = 15_000) -> Locator:
    """Wait until a bot message containing ``text`` shows in the chat."""
    found = chat.locator(".msg.bot", has_text=text).last
    await found.wait_for(timeout=within)
    return found


async def jump(page: Page, moment: str) -> None:
    """Move the rehearsal clock to a moment with its button (accepting the warning)."""
    before = await page.locator("#now-text").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    await page.locator("#moments button", has_text=moment).click()
    await page.wait_for_function(
        "before => document.querySelector('#now-text').textContent !== before", arg=before
    )


async def test_a_new_participant_registers_in_italian(page: Page, sandbox: Client) -> None:
    await add_persona(page, "Nuovo partecipante (italiano)")
    chat = pane(page)
    await chat.get_by_role("button", name="AVVIA").click()
    await see(chat, "rivacy")
    await shot(page, "register-1-privacy")
    await press(chat, "Accetto")
    await see(chat, "A quale incontro")
    await press(chat, "co-pianificazione")
    await see(chat, "nome")
    await press(chat, "Usa")
    await see(chat, "Zona")
    await press(chat, "5 · Pinerolese")
    await see(chat, "Come parteciperai")
    await press(chat, "presenza")
    await see(chat, "ente")
    await type_in(chat, "Comune di Pinerolo")
    await see(chat, "categoria")
    await shot(page, "register-2-typed")
    await press(chat, "Salta")
    await see(chat, "Controlla")
    await press(chat, "Conferma")
    confirmed = await see(chat, "confermata")
    document = chat.locator(".document a", has_text=".ics")
    await document.wait_for()
    async with page.expect_download() as download:
        await document.click()
    assert (await download.value).suggested_filename.endswith(".ics")
    # the venue of zone 5, in bold with its address (a map link too when the event file
    # gives its coordinates: the bundled one does not)
    config = sandbox.sandbox.config
    venue = config.venue_for(config.event(rehearsed(sandbox)), 5)
    assert await confirmed.locator("b", has_text=venue.name).count()
    assert venue.address in await confirmed.inner_text()
    await shot(page, "register-3-ics-and-venue")


async def test_an_organiser_sets_the_link_and_online_gets_it(page: Page, sandbox: Client) -> None:
    await add_persona(page, "Partecipante zona 1, online")
    await page.get_by_label("Due chat affiancate").check()
    await add_persona(page, "Organizzatore")
    organiser, online = pane(page, 1), pane(page, 0)
    await organiser.locator(".msg.bot").first.wait_for()  # the organiser said /start
    await type_in(organiser, "/imposta_link")
    await see(organiser, "Per quale incontro")
    await press(organiser, "Dalle strategie")
    await see(organiser, "per quale sessione")
    await press(organiser, "Tutte le sessioni")
    await see(organiser, "Mandami il link")
    await type_in(organiser, LINK)
    await see(organiser, "Link salvato")
    await shot(page, "link-1-set")
    await jump(page, "15 minuti prima della plenaria")
    message = await see(online, LINK, within=20_000)
    assert await message.locator(f'a[href="{LINK}"][target=_blank]').count() == 1  # clickable
    await shot(page, "link-2-received")


async def test_a_facilitator_opens_the_poll_and_two_vote(page: Page, sandbox: Client) -> None:
    await add_persona(page, "Partecipante zona 5, in presenza")
    await add_persona(page, "Partecipante zona 5, in presenza")
    await page.get_by_label("Due chat affiancate").check()
    await add_persona(page, "Facilitatore zona 5")
    facilitator = pane(page, 1)
    await jump(page, "Sessione 1 ai tavoli")
    await type_in(facilitator, "/sondaggio")
    await see(facilitator, "Iscritti in presenza")
    await press(facilitator, "Apri il sondaggio")
    await see(facilitator, "Sondaggio aperto")
    await shot(page, "poll-1-opened")
    personas = page.locator("#personas li button")
    for index, choice in ((0, "Salute"), (1, "Istruzione")):
        await page.locator(".pane").nth(0).click()
        await personas.nth(index).click()
        voter = pane(page, 0)
        await see(voter, "priorità per la tua Zona", within=20_000)
        await press(voter, choice, "priorità")
        await voter.locator(".keyboard button", has_text="1️⃣").wait_for()
        await press(voter, "Conferma", "priorità")
        await page.locator(".toast", has_text="Risposta registrata").wait_for()
        await shot(page, f"poll-{index + 2}-voted")
    poll = (await sandbox.sandbox.services.polls.open_polls(rehearsed(sandbox), 5))[0]
    rows = await sandbox.sandbox.services.polls.store.answer_rows(poll.id)
    assert len({registration for registration, _, _ in rows}) == 2


async def test_the_moderator_publishes_a_participants_question(page: Page, sandbox: Client) -> None:
    from storage.questions import QuestionStatus

    await add_persona(page, "Partecipante zona 5, in presenza")
    await page.get_by_label("Due chat affiancate").check()
    await add_persona(page, "Moderatore delle domande")
    moderator, participant = pane(page, 1), pane(page, 0)
    await see(moderator, "Ora sei moderatore")  # the invitation redeemed
    await jump(page, "Plenaria di apertura: domande")
    await type_in(participant, "/domanda Quando partono i bandi per i comuni montani?")
    await press(participant, "Nessun asse")
    await press(participant, "Anonima")
    await press(participant, "Invia la domanda")
    await see(participant, "ricevuta")
    await see(moderator, "Nuova domanda")
    await shot(page, "questions-1-feed")
    await press(moderator, "Pubblica", "bandi")
    await see(moderator, "Pubblicata: Marta Bellini")
    await see(participant, "è stata pubblicata")
    await shot(page, "questions-2-published")
    questions = await sandbox.sandbox.services.questions.listing(
        rehearsed(sandbox), list(QuestionStatus)
    )
    assert [(q.text, q.status) for q in questions] == [
        ("Quando partono i bandi per i comuni montani?", QuestionStatus.PUBLISHED)
    ]


def rehearsed(client: Client) -> str:
    """The id of the event the sandbox rehearses."""
    from bot.sandbox.rehearsal import rehearsed_event

    return rehearsed_event(client.sandbox.config).id


async def test_the_crowd_and_reset_from_the_page(page: Page, sandbox: Client) -> None:
    await add_persona(page, "Partecipante zona 5, in presenza")
    await page.locator("#crowd-zone").fill("5")
    await page.locator("#crowd-count").fill("4")
    await page.locator("#crowd").get_by_role("button").click()
    await page.locator("#crowd-result", has_text="4 partecipanti aggiunti").wait_for(timeout=30_000)
    await shot(page, "crowd-added")
    await page.locator("#crowd-zone").fill("99")
    await page.locator("#crowd").get_by_role("button").click()
    await page.locator(".toast.error", has_text="99").wait_for()

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Ricomincia da zero").click()
    await page.locator(".toast", has_text="azzerata").wait_for(timeout=30_000)
    assert await page.locator("#personas li").count() == 0
    assert await sandbox.get("/api/state") is not None
    state = await sandbox.get("/api/state")
    assert state["personas"] == []


async def test_the_page_in_english_and_a_new_participant_in_english(
    page: Page, sandbox: Client
) -> None:
    await page.get_by_role("button", name="English").click()
    await page.locator("#moments button", has_text="15 minutes before the plenary").wait_for()
    await add_persona(page, "New participant (English)")
    chat = pane(page)
    await chat.get_by_role("button", name="START").click()
    await see(chat, "rivacy")
    await press(chat, "I accept")
    await see(chat, "event")
    await shot(page, "english-1-event")
    assert await page.get_attribute("html", "lang") == "en"
