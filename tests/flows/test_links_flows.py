"""Online links through the flows: the organiser's /imposta_link conversation (event, session,
URL) with corrections for whoever had another link, /importa_link with a CSV file, and the
participant's /link window."""

from __future__ import annotations

import datetime as dt

from bot.kernel.conversation import Content
from bot.reminders.links import MAX_CSV_BYTES
from config.event import AttendanceMode
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    CO_PLANNING,
    EVENT_DAY,
    STAFF,
    Domain,
    csv_file,
    labels,
    question,
    texts,
)

LINK = "https://meet.example.org/psm"
NEW_LINK = "https://meet.example.org/psm-new"
CO_PLANNING_TITLE = "Dalle strategie alle azioni - evento di co-pianificazione"


def csv_document(content: bytes, message_id: int = 50) -> Content:
    """A CSV file sent as a document."""
    return Content(
        "document",
        message_id,
        filename="links.csv",
        size=len(content),
        download=csv_file(content),
        chat_id=STAFF.user_id,
    )


async def set_link(domain: Domain, url: str) -> str:
    """The organiser sets ``url`` for every session of the co-planning day; the answer."""
    out = await domain.flows.links.set_link(STAFF)
    out = await domain.press(STAFF, out, CO_PLANNING_TITLE)
    out = await domain.press(STAFF, out, "Tutte le sessioni ibride")
    (answer,) = texts(await domain.say(STAFF, url))
    return answer


# --- /imposta_link ----------------------------------------------------------------------------
async def test_set_link_is_for_organisers(domain: Domain) -> None:
    out = await domain.flows.links.set_link(ANNA)
    assert texts(out) == [domain.t("it", "roles.organisers_only")]
    assert await domain.conversation(ANNA) is None


async def test_set_link_asks_event_session_and_url(domain: Domain) -> None:
    out = await domain.flows.links.set_link(STAFF)
    assert question(out).text == domain.t("it", "link.ask_event") and len(labels(out)) == 2
    out = await domain.press(STAFF, out, CO_PLANNING_TITLE)
    assert question(out).text == domain.t("it", "link.ask_session", event=CO_PLANNING_TITLE)
    assert labels(out) == [
        "Tutte le sessioni ibride",
        "9:30 Plenaria: saluti istituzionali e introduzione ai lavori",
        "12:20 Plenaria: restituzione dei temi emersi (sintesi trasve",  # 60 characters
    ]
    out = await domain.press(STAFF, out, "12:20")
    assert question(out).text == domain.t("it", "link.ask_url", max=512)
    talk = await domain.flows.conversations.open(STAFF)
    assert talk is not None and talk.data.anchor == "plenaria-chiusura"


async def test_an_event_with_one_session_goes_straight_to_the_url(domain: Domain) -> None:
    out = await domain.flows.links.set_link(STAFF)
    out = await domain.press(STAFF, out, "Verso il nuovo Piano")
    assert question(out).text == domain.t("it", "link.ask_url", max=512)


async def test_an_invalid_url_is_explained_and_asked_again(domain: Domain) -> None:
    out = await domain.flows.links.set_link(STAFF)
    await domain.press(STAFF, await domain.press(STAFF, out, CO_PLANNING_TITLE), "Tutte")
    for typed in ("http://meet.example.org/psm", "https://", "meet example org"):
        out = await domain.say(STAFF, typed)
        assert texts(out) == [
            domain.t("it", "link.invalid_url", max=512),
            domain.t("it", "link.ask_url", max=512),
        ]
    assert await domain.step(STAFF) == "url"


async def test_the_link_is_saved_and_counts_the_online_participants(domain: Domain) -> None:
    await domain.register(ANNA)
    await domain.register(BRUNO, mode=AttendanceMode.ONLINE)
    answer = await set_link(domain, LINK)
    saved = domain.t(
        "it", "link.saved", session="Tutte le sessioni ibride", url=LINK, count=1, fixes=0
    )
    assert answer == saved
    assert await domain.services.links.store.shared(CO_PLANNING) == {"": LINK}
    assert await domain.conversation(STAFF) is None


async def test_a_changed_link_is_corrected_for_whoever_had_the_old_one(domain: Domain) -> None:
    bruno = await domain.register(BRUNO, mode=AttendanceMode.ONLINE)
    await set_link(domain, LINK)
    domain.clock.set(EVENT_DAY.replace(minute=20))  # 9:20: /link gives the link
    given = await domain.flows.links.link(BRUNO)
    assert LINK in texts(given)[0]
    answer = await set_link(domain, NEW_LINK)
    assert answer.endswith(": 1.")  # corrections sent: 1
    (fix,) = await domain.outbox(BRUNO, kind="link_fix")
    assert (fix.registration_id, fix.anchor) == (bruno.id, "plenaria-apertura")
    assert fix.status == "pending"


# --- /importa_link ----------------------------------------------------------------------------
async def at_file_step(domain: Domain) -> None:
    out = await domain.flows.links.import_links(STAFF)
    out = await domain.press(STAFF, out, CO_PLANNING_TITLE)
    assert question(out).text == domain.t("it", "link.ask_file", event=CO_PLANNING_TITLE)


async def test_import_personal_links_from_a_csv(domain: Domain) -> None:
    bruno = await domain.register(BRUNO, mode=AttendanceMode.ONLINE)
    await at_file_step(domain)
    csv = f"registration_id;link\n{bruno.id};https://meet.example.org/p/1\n999;{LINK}\n"
    out = await domain.send(STAFF, csv_document(csv.encode()))
    assert texts(out) == [domain.t("it", "link.imported", count=1, unknown="row 3", fixes=0)]
    assert await domain.services.links.store.personal(bruno.id) == "https://meet.example.org/p/1"
    assert await domain.conversation(STAFF) is None


async def test_a_csv_with_errors_imports_nothing_and_asks_again(domain: Domain) -> None:
    bruno = await domain.register(BRUNO, mode=AttendanceMode.ONLINE)
    await at_file_step(domain)
    csv = f"telegram_id,link\nabc,{LINK}\n{BRUNO.user_id},http://insecure.example.org\n"
    out = await domain.send(STAFF, csv_document(csv.encode()))
    errors, again = texts(out)
    assert errors.startswith("Il file non è stato importato (3 errori)")
    assert "row 2: telegram_id 'abc' is not a number" in errors
    assert "row 3: the link must be a https:// address" in errors
    assert again == domain.t("it", "link.ask_file", event=CO_PLANNING_TITLE)
    assert await domain.services.links.store.personal(bruno.id) is None
    assert await domain.step(STAFF) == "file"


async def test_text_at_the_file_step_asks_for_the_file(domain: Domain) -> None:
    await at_file_step(domain)
    out = await domain.say(STAFF, "registration_id,link")
    assert texts(out)[0] == domain.t("it", "link.send_file")


async def test_a_photo_or_an_oversized_file_at_the_file_step_asks_for_the_csv(
    domain: Domain,
) -> None:
    await at_file_step(domain)
    oversized = Content("document", 51, size=MAX_CSV_BYTES + 1, download=csv_file(b""))
    for content in (Content("photo", 52), oversized):
        out = await domain.send(STAFF, content)
        assert texts(out)[0] != domain.t("it", "flow.use_buttons")


# --- /link ------------------------------------------------------------------------------------
async def test_link_for_someone_not_registered(domain: Domain) -> None:
    assert texts(await domain.flows.links.link(ANNA)) == [domain.t("it", "link.not_registered")]


async def test_link_for_someone_attending_in_person(domain: Domain) -> None:
    await domain.register(ANNA)
    (text,) = texts(await domain.flows.links.link(ANNA))
    venue = "Comune di Pinerolo"
    assert text == domain.t("it", "link.in_person", event=CO_PLANNING_TITLE, venue=venue)


async def test_link_before_its_window_says_from_when(domain: Domain) -> None:
    await domain.register(BRUNO, mode=AttendanceMode.ONLINE)
    (text,) = texts(await domain.flows.links.link(BRUNO))
    assert text == domain.t(
        "it",
        "link.later",
        session="Plenaria: saluti istituzionali e introduzione ai lavori",
        start="9:30",
        event=CO_PLANNING_TITLE,
        date="martedì 5 dicembre 2023",
        time="9:15",  # when the link rule sends it, 15 minutes before
    )


async def test_link_in_its_window(domain: Domain) -> None:
    bruno = await domain.register(BRUNO, mode=AttendanceMode.ONLINE)
    domain.clock.set(EVENT_DAY.replace(minute=16))
    (not_set,) = texts(await domain.flows.links.link(BRUNO))
    session = "Plenaria: saluti istituzionali e introduzione ai lavori"
    assert not_set == domain.t("it", "link.not_set", session=session)
    await set_link(domain, LINK)
    out = await domain.flows.links.link(BRUNO)
    assert texts(out) == [
        domain.t("it", "link.now", session=session, url=LINK, start="9:30", end="10:00")
    ]
    assert [(button.label, button.url) for button in question(out).buttons[0]] == [
        (domain.t("it", "link.open"), LINK)
    ]
    (given,) = await domain.outbox(BRUNO, kind="link_reply")  # a later change corrects it
    assert (given.registration_id, given.sent_link) == (bruno.id, LINK)


async def test_link_between_sessions_points_to_the_next(domain: Domain) -> None:
    await domain.register(BRUNO, mode=AttendanceMode.ONLINE)
    domain.clock.set(EVENT_DAY + dt.timedelta(hours=1, minutes=30))  # 10:30, at the tables
    (text,) = texts(await domain.flows.links.link(BRUNO))
    assert "«Plenaria: restituzione" in text and "dalle 12:05" in text


async def test_link_after_the_last_session(domain: Domain) -> None:
    await domain.register(BRUNO, mode=AttendanceMode.ONLINE)
    domain.clock.set(EVENT_DAY + dt.timedelta(hours=4, minutes=1))  # 13:01
    (text,) = texts(await domain.flows.links.link(BRUNO))
    assert text == domain.t("it", "link.over", event=CO_PLANNING_TITLE)
