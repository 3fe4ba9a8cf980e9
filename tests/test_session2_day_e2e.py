"""The morning of 5 December 2023 through the fake Bot API, session 1 to the plenary's
documents, with nothing of session 2 seeded in the database: everything comes through the
chat.

Two zones, 5 Pinerolese and 9 Eporediese, each with a facilitator invited by the organiser
and participants registered in the chat (in person, one online, one in English). Session 1:
the facilitators open the priority polls, participants vote, the polls close at 10:30 (the
periodic tick). Session 2: the worksheets notice arrives; participants contribute in
Italian and English, a photo with a caption, one withdraws a contribution, one text is
refused as too long. Zone 5's facilitator, on ``/scheda``, hides an off-topic item, stars a
key point, merges a duplicate and adds a spoken item; writes ``/resoconto``, the bot is
restarted in the middle, the report is finished and submitted; the organiser gets the
regia board as the notice and reads the report. At 12:00 the deadline reminder reaches zone
9's facilitator only. ``/sintesi`` shows session 2 with the starred item, without the hidden
one nor the merged duplicate; the Word document and the slides from its buttons are read
back with python-docx and python-pptx.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from docx import Document
from pptx import Presentation

from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from storage.worksheets import ItemStatus
from tests.harness import ROME, BotHarness, answer, register

ORGANISER, FAC5, FAC9 = 9000, 9105, 9109
BALLOT = "priorità per la tua Zona"
NOTICE_IT, NOTICE_EN = "Sessione 2: le schede di lavoro", "Session 2: the worksheets"


def at(hour: int, minute: int) -> dt.datetime:
    """A time of the morning of 5 December 2023 (Rome)."""
    return dt.datetime(2023, 12, 5, hour, minute, tzinfo=ROME)


# What the tables say.
ASL = "ASL TO3 e le farmacie rurali"  # zone 5, actors: starred
ASL_DUPLICATE = "asl to3, farmacie rurali"  # merged into ASL
LUNCH = "A che ora è il pranzo?"  # off-topic: hidden
TELEMEDICINE = "Telemedicina nei comuni di montagna"  # withdrawn by its author
VOLUNTEERS = "The volunteer drivers' association of the valleys"  # in English
BOARD_PHOTO = "Il cartellone del tavolo: comunità energetiche"
SPOKEN = "Coinvolgere i medici di base delle valli"  # the facilitator's, from the discussion
HOUSES = "Case della comunità in ogni valle"  # zone 5's report, local declination
PROJECTS = "Il progetto Farmacia dei servizi"  # zone 5's report, projects
IVREA = "Il Comune di Ivrea e la rete dei consultori"  # zone 9, actors


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with BotHarness(api, tmp_path, now=at(10, 5), organisers=[ORGANISER]) as harness:
        yield harness


async def invite(organiser: FakeUser, zone: str, facilitator: FakeUser) -> None:
    """The organiser's invitation link for ``zone``, opened by ``facilitator``."""
    await organiser.send("/invita_facilitatore")
    await answer(organiser, "Di quale", zone)
    message = await organiser.wait_for("🔑")
    link = next(word for word in message.content.split() if "start=inv_" in word)
    await facilitator.send(f"/start {link.split('start=')[1]}")
    await facilitator.wait_for("Ora sei")


async def open_poll(facilitator: FakeUser) -> None:
    """The facilitator opens the zone's priority poll from /sondaggio."""
    await facilitator.send("/sondaggio")
    panel = await facilitator.wait_for("Iscritti in presenza")
    await facilitator.press("Apri il sondaggio", message=panel)
    await facilitator.wait_for("Sondaggio aperto")


async def vote(user: FakeUser, labels: list[str], confirm: str = "Conferma") -> None:
    """Tap the strategies in order of priority, then confirm."""
    ballot = await user.wait_for(lambda m: BALLOT in m.content or "priorities" in m.content)
    for label in [*labels, confirm]:
        await user.callback_answer(await user.press(label, message=ballot))


async def contribute(
    user: FakeUser,
    notice: SentMessage,
    sheet: str,
    section: str,
    text: str | None,
    *,
    photo_caption: str | None = None,
    english: bool = False,
) -> SentMessage:
    """From the notice's button for ``sheet``: the section, the text (or a photo), confirm."""
    await user.press(lambda b: sheet in str(b.get("text", "")), message=notice)
    question = await user.wait_for("Which section" if english else "In quale sezione")
    await user.press(section, message=question)
    await user.wait_for("Write your contribution" if english else "Scrivi il tuo contributo")
    if text is not None:
        await user.send(text)
    else:
        await user.send_photo(caption=photo_caption)
    summary = await user.wait_for("Your contribution" if english else "Il tuo contributo")
    await user.press("Confirm" if english else "Conferma", message=summary)
    return await user.wait_for("Contribution saved" if english else "Contributo salvato")


def item_id(section: SentMessage, text: str) -> int:
    """The board's number of the item showing ``text``."""
    found = re.search(r"#(\d+) (?:⭐ )?(?:🆕 )?(?:📷 )?" + re.escape(text), section.content)
    assert found is not None, section.content
    return int(found.group(1))


def is_document(suffix: str) -> Callable[[SentMessage], bool]:
    """A matcher for a document sent by the bot whose file name ends with ``suffix``."""
    return lambda m: (
        m.method == "sendDocument"
        and m.document is not None
        and str(m.document.get("file_name", "")).endswith(suffix)
    )


async def test_the_morning_of_5_december(api: FakeBotApi, bot: BotHarness) -> None:
    olga = api.user(ORGANISER, "Olga")
    fabio, franca = api.user(FAC5, "Fabio"), api.user(FAC9, "Franca")
    anna, bruno = api.user(3001, "Anna"), api.user(3002, "Bruno")
    emma = api.user(3003, "Emma", language_code="en")
    dario = api.user(3004, "Dario")
    eva, ugo = api.user(3011, "Eva"), api.user(3012, "Ugo")

    # --- before the tables: staff invited, participants registered in the chat -------------
    await invite(olga, "5 · Pinerolese", fabio)
    await invite(olga, "9 · Eporediese", franca)
    await register(anna)
    await register(bruno)
    await register(emma, mode="In person", english=True)
    await register(dario, mode="Online")
    await register(eva, zone="9 · Eporediese", organisation="Comune di Ivrea")
    await register(ugo, zone="9 · Eporediese", organisation=None)

    # --- session 1: the priority polls, closed at 10:30 by the periodic tick ---------------
    await bot.at(at(10, 10))
    await open_poll(fabio)
    await open_poll(franca)
    await bot.drain()
    await vote(anna, ["Salute", "Rivoluzione verde"])
    await vote(bruno, ["Salute", "Istruzione"])
    await vote(emma, ["Health", "Green revolution"], confirm="Confirm")
    await vote(eva, ["Infrastrutture", "Salute"])
    await vote(ugo, ["Infrastrutture", "Salute", "Digitalizzazione"])
    assert all(BALLOT not in m.content for m in dario.messages)  # online: no table poll
    await api.settle(0.05)
    bot.clock.set(at(10, 30))
    await bot.services.tick()  # closes the polls, plans the session-2 notices
    await bot.drain()
    assert "è chiuso" in (await anna.wait_for("è chiuso")).content

    # --- session 2: the notice, with one button per worksheet ------------------------------
    notice = {user.id: await user.wait_for(NOTICE_IT) for user in (anna, bruno, dario, eva, ugo)}
    assert [t.split(". ", 1)[1] for t in notice[anna.id].button_texts] == [
        "Salute",
        "Rivoluzione verde e transizione ecologica",
        "Istruzione e ricerca",
    ]
    assert len(notice[dario.id].button_texts) == 3  # online registrants of the zone too
    assert "Zona 9 · Eporediese" in notice[eva.id].content
    english = await emma.wait_for(NOTICE_EN)
    assert "Health" in english.button_texts[0] and "How to contribute" in english.content

    bot.clock.set(at(10, 35))
    await contribute(anna, notice[anna.id], "Salute", "Reti di attori", ASL)
    await contribute(bruno, notice[bruno.id], "Salute", "Reti di attori", ASL_DUPLICATE)
    await contribute(dario, notice[dario.id], "Salute", "Reti di attori", LUNCH)
    await contribute(emma, english, "Health", "Networks of actors", VOLUNTEERS, english=True)
    await contribute(dario, notice[dario.id], "Salute", "Declinazione locale", TELEMEDICINE)
    bot.clock.set(at(10, 50))
    await contribute(
        bruno,
        notice[bruno.id],
        "Rivoluzione verde",
        "Precondizioni",
        None,
        photo_caption=BOARD_PHOTO,
    )
    # Eva's first try is too long: refused, nothing stored, the question again.
    await eva.press(lambda b: "Salute" in str(b.get("text", "")), message=notice[eva.id])
    await eva.press("Reti di attori", message=await eva.wait_for("In quale sezione"))
    await eva.wait_for("Scrivi il tuo contributo")
    await eva.send("La rete dei consultori " + "e " * 250)
    assert "massimo è 500" in (await eva.wait_for("troppo lungo")).content
    await eva.send(IVREA)
    await eva.press("Conferma", message=await eva.wait_for("Il tuo contributo"))
    await eva.wait_for("Contributo salvato")

    # Dario withdraws his telemedicine contribution from /contributi.
    await dario.send("/contributi")
    mine = await dario.wait_for("I tuoi contributi")
    assert LUNCH in mine.content and TELEMEDICINE in mine.content
    assert mine.button_texts == ["↩️ 1", "↩️ 2"]  # oldest first: the lunch, the telemedicine
    withdrawn = await dario.callback_answer(await dario.press("↩️ 2", message=mine))
    assert withdrawn.text == "Contributo ritirato."
    await dario.wait_edited(mine, lambda m: TELEMEDICINE not in m.content)

    await emma.send("/my_contributions")  # in English, her own only
    hers = await emma.wait_for("Your contribution (1)")
    assert VOLUNTEERS in hers.content and ASL not in hers.content

    # --- zone 5's board: hide, star, merge, a spoken item ---------------------------------
    bot.clock.set(at(11, 30))
    await fabio.send("/scheda")
    zone = await fabio.wait_for("Schede di lavoro · Zona 5")
    await fabio.press("1. Salute", message=zone)
    sheet = await fabio.wait_for("Sezioni")
    await fabio.press(lambda b: str(b.get("text", "")).startswith("Reti di attori"), message=sheet)
    section = await fabio.wait_for(ASL)
    assert VOLUNTEERS in section.content and "Anna" not in section.content
    asl, dup, lunch = (item_id(section, text) for text in (ASL, ASL_DUPLICATE, LUNCH))
    await fabio.press(f"🙈 #{lunch}", message=section)
    section = await fabio.wait_for(lambda m: LUNCH not in m.content and ASL in m.content)
    await fabio.press(f"☆ #{asl}", message=section)
    section = await fabio.wait_for(lambda m: f"⭐ #{asl}" in str(m.buttons))
    await fabio.press(f"🔗 #{dup}", message=section)
    picker = await fabio.wait_for("doppione")
    await fabio.press(f"#{asl} ", message=picker)
    section = await fabio.wait_for("+1")
    await fabio.press("Aggiungi un contributo", message=section)
    await fabio.wait_for("emerso dalla discussione")
    await fabio.send(SPOKEN)
    await fabio.press("✅ Aggiungi", message=await fabio.wait_for("Aggiungo questo contributo"))
    await fabio.wait_for(SPOKEN)
    store = bot.services.worksheets.store
    hidden, merged, starred = [await store.item(i) for i in (lunch, dup, asl)]
    assert hidden is not None and hidden.status == ItemStatus.HIDDEN
    assert merged is not None and merged.merged_into == asl
    assert starred is not None and starred.starred

    # --- zone 5's report, the bot restarted in the middle ----------------------------------
    bot.clock.set(at(11, 40))
    await fabio.send("/resoconto")
    first = await fabio.wait_for("passo 1 di 18")
    assert "Salute" in first.content and "Declinazione locale" in first.content
    await fabio.send(HOUSES)
    second = await fabio.wait_for("passo 2 di 18")
    assert "Progetti e programmi" in second.content
    await bot.restart()  # a new Application on the same database, mid-report
    await fabio.send(PROJECTS)  # taken as step 2's text: the conversation resumed
    third = await fabio.wait_for("passo 3 di 18")
    assert ASL in third.content and "Proposta dai punti chiave" in third.content
    # Step 3 is left to the board: from the summary, the table's contributions stand.
    await fabio.press("Riepilogo", message=third)
    summary = await fabio.wait_for("Riepilogo del resoconto")
    assert HOUSES in summary.content and PROJECTS in summary.content
    bot.clock.set(at(11, 50))
    await fabio.press("Invia alla regia", message=summary)
    await fabio.wait_for("inviato alla regia alle 11:50")

    # The organiser gets the regia board as the notice, and reads the report from it.
    await bot.drain()
    board = await olga.wait_for("ha inviato il resoconto")
    assert "Resoconti inviati: 1 su 11" in board.content
    assert "5 · Pinerolese: ✅ 3 risp. · 🗂 3 · 💬 4 (3 pers.) · 📨 inviato 11:50" in board.content
    assert "9 · Eporediese: ✅ 2 risp. · 🗂 3 · 💬 1 (1 pers.) · 📝 —" in board.content
    await olga.press("📄 Zona 5", message=board)
    read = await olga.wait_for("Resoconto · Zona 5")
    assert HOUSES in read.content and "Inviato alle 11:50" in read.content

    # --- 12:00: the reminder reaches zone 9 only --------------------------------------------
    await bot.at(at(12, 0))
    await bot.services.tick()
    await bot.drain()
    reminder = await franca.wait_for("⏰")
    assert "Zona 9" in reminder.content and "12:10" in reminder.content
    await fabio.settle()
    assert not [m for m in fabio.messages if "⏰" in m.content]

    # --- /sintesi: session 2 with the starred item, not the hidden nor the duplicate -------
    bot.clock.set(at(12, 5))
    await olga.send("/sintesi")
    files = await olga.wait_for("le strategie al lavoro")
    text = files.content
    health = text[text.index("Salute\n") :]
    assert "2 zone: Z5, Z9" in health
    assert f"⭐ {ASL} (Z5)" in health and f"{IVREA} (Z9)" in health and VOLUNTEERS in health
    assert f"{HOUSES} (Z5)" in health and f"{SPOKEN} (Z5)" in health
    assert LUNCH not in text and ASL_DUPLICATE not in text and TELEMEDICINE not in text
    assert f"📷 {BOARD_PHOTO} (Z5)" in text
    assert "Documenti per la plenaria" in files.content

    # The Word document and the slides, from the buttons, read back.
    await olga.press("Word", message=files)
    word = await olga.wait_for(is_document(".docx"))
    doc = Document(io.BytesIO(word.document_bytes or b""))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    headings = {
        p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 2"
    }
    for strategy in (
        "Salute",
        "Rivoluzione verde e transizione ecologica",
        "Istruzione e ricerca",
        "Infrastrutture per una mobilità sostenibile",
        "Digitalizzazione, innovazione, competitività e cultura",
    ):
        assert strategy in headings, strategy
    assert "Zone: 5 · Pinerolese, 9 · Eporediese" in paragraphs  # Salute, both zones
    assert "Allegato: Zona 5 · Pinerolese" in paragraphs
    assert "Allegato: Zona 9 · Eporediese" in paragraphs
    assert f"★ {ASL} (Z5)" in paragraphs and f"{IVREA} (Z9)" in paragraphs
    assert f"{HOUSES} (Z5)" in paragraphs and "Inviato alle 11:50." in paragraphs
    assert LUNCH not in paragraphs and ASL_DUPLICATE not in paragraphs
    assert TELEMEDICINE not in paragraphs

    await olga.press("Slide", message=files)
    slides = await olga.wait_for(is_document(".pptx"))
    deck = Presentation(io.BytesIO(slides.document_bytes or b""))
    titles = [slide.shapes.title.text_frame.text for slide in deck.slides if slide.shapes.title]
    assert "Salute" in titles and "Infrastrutture per una mobilità sostenibile" in titles
    health_slide = deck.slides[titles.index("Salute")]
    shown = "\n".join(
        shape.text_frame.text for shape in health_slide.shapes if shape.has_text_frame
    )
    notes = health_slide.notes_slide.notes_text_frame.text if health_slide.has_notes_slide else ""
    assert "Z5" in shown and "Z9" in shown
    assert f"★ {ASL} (Z5)" in shown and f"{IVREA} (Z9)" in shown + notes
    assert LUNCH not in shown + notes and ASL_DUPLICATE not in shown + notes
