"""The projector view, server side (no browser): the tokens, ``/proiettore`` through the fake
Bot API, the board's JSON in its three modes, the refusals, the live stream, the web
server's settings (``PSM_WEB_PORT``, ``/healthz`` on it, ``PSM_HEALTH_PORT`` kept)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from bench.projector_delay import events_url, projector_server, projector_update_delay
from bot.app import StartupError, serve
from bot.questions.projector import Mode, decimal, mode_of, pick_window
from bot.questions.projector_flows import ProjectorButton
from bot.questions.projector_live import ProjectorLive
from bot.questions.tokens import Grant, ProjectorTokens, Refusal, valid_until
from bot.sandbox.botapi.server import FakeBotApi
from config.event import load_event_config
from storage.questions import QuestionAction, QuestionStatus
from tests.harness import ROME, free_port, settings_for
from tests.projector_support import (
    DURING,
    EVENT,
    ORGANISER,
    PUBLIC_URL,
    SESSION_1,
    ProjectorBot,
    ask,
    get_json,
    get_text,
    people,
    priority_polls,
)
from tests.sandbox_support import containing, running_sandbox

NOW = dt.datetime(2023, 12, 5, 9, 0, tzinfo=ROME)


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[ProjectorBot]:
    async with ProjectorBot(api, tmp_path) as harness:
        yield harness


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


# --- tokens -------------------------------------------------------------------------------
def test_a_token_holds_its_event_and_expiry_and_is_signed() -> None:
    config = load_event_config()
    event = config.event(EVENT)
    tokens = ProjectorTokens.from_secret(None, "123:abc")
    until = valid_until(config, event)
    assert until == dt.datetime(2023, 12, 6, 0, 0, tzinfo=ROME)
    token = tokens.issue(EVENT, until)
    assert token.startswith(f"{EVENT}.{int(until.timestamp())}.")
    assert tokens.check(token, NOW) == Grant(EVENT, until.astimezone(dt.UTC))
    # expired at midnight after the event's day
    assert tokens.check(token, until) is Refusal.EXPIRED
    assert tokens.check(token, until - dt.timedelta(seconds=1)) == Grant(EVENT, until)
    # altered: another event, a later expiry, a changed signature, garbage
    event_id, stamp, signature = token.split(".")
    assert tokens.check(f"lancio-2023.{stamp}.{signature}", NOW) is Refusal.FORGED
    assert tokens.check(f"{event_id}.{int(stamp) + 86400}.{signature}", NOW) is Refusal.FORGED
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert tokens.check(f"{event_id}.{stamp}.{flipped}", NOW) is Refusal.FORGED
    for junk in ("", "x", f"{event_id}.{stamp}", "../../etc/passwd", token + "x", "é" * 40):
        assert tokens.check(junk, NOW) is Refusal.FORGED
    # another bot token (or PSM_WEB_SECRET) is another key: the old links stop working
    assert ProjectorTokens.from_secret(None, "123:other").check(token, NOW) is Refusal.FORGED
    secret = ProjectorTokens.from_secret("a long secret", "123:abc")
    assert secret.check(token, NOW) is Refusal.FORGED
    assert isinstance(secret.check(secret.issue(EVENT, until), NOW), Grant)


def test_the_web_settings() -> None:
    settings = settings_for(Path("x.db"), public_url=" https://bot.example.org/psm/ ")
    assert settings.public_url == "https://bot.example.org/psm"
    assert settings.web_host == "127.0.0.1" and settings.web_port is None
    assert settings.web_secret_value() is None
    for bad in ("bot.example.org", "ftp://bot.example.org", "https://x.org/?a=1"):
        with pytest.raises(ValueError, match=r"address"):
            settings_for(Path("x.db"), public_url=bad)


# --- /proiettore ----------------------------------------------------------------------------
async def test_the_link_from_proiettore(
    api: FakeBotApi, bot: ProjectorBot, session: aiohttp.ClientSession
) -> None:
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/proiettore")
    reply = await organiser.wait_for("Proiettore")
    assert "Vale fino alle 23:59 di martedì 5 dicembre 2023" in reply.content
    link = next(url for _, url in reply.buttons if url and url.startswith(PUBLIC_URL))
    assert link in reply.content  # the link in the text too, to copy
    token = link.removeprefix(PUBLIC_URL + "/projector/").rstrip("/")
    assert bot.services.flows.projector.tokens.check(token, DURING) == Grant(
        EVENT, valid_until(bot.config, bot.config.event(EVENT))
    )
    # the same path on the local server is the page
    status, kind, html = await get_text(session, bot.web + link.removeprefix(PUBLIC_URL))
    assert status == 200 and kind == "text/html" and "projector.js" in html

    # a participant is refused politely
    stranger = api.user(4999, "Sara")
    await stranger.send("/projector")
    refusal = await stranger.wait_for("riservato")
    assert "organizzatori e ai moderatori" in refusal.content and not refusal.buttons


async def test_several_events_are_chosen_with_buttons(api: FakeBotApi, tmp_path: Path) -> None:
    before = dt.datetime(2023, 9, 20, 10, 0, tzinfo=ROME)
    async with ProjectorBot(api, tmp_path, now=before) as bot:
        organiser = api.user(ORGANISER, "Olga", language_code="en")
        await organiser.send("/projector")
        question = await organiser.wait_for("Which meeting")
        assert len(question.buttons) == 2
        await organiser.press(question.button_texts[1], message=question)
        edited = await organiser.wait_edited(question)
        assert "Projector" in edited.content and "Valid until 23:59" in edited.content
        # a forged event button: refused with an alert, nothing sent
        forged = ProjectorButton("nessun-evento").pack()
        answer = await organiser.callback_answer(
            await organiser.press_data(forged, message=question)
        )
        assert answer.show_alert and "no longer valid" in (answer.text or "")
        del bot


async def test_without_a_public_address_it_says_what_to_set(
    api: FakeBotApi, tmp_path: Path
) -> None:
    class Plain(ProjectorBot):
        def settings(self):  # type: ignore[no-untyped-def]
            return super().settings().model_copy(update={"public_url": None})

    async with Plain(api, tmp_path):
        organiser = api.user(ORGANISER, "Olga")
        await organiser.send("/proiettore")
        reply = await organiser.wait_for("non è ancora disponibile")
        assert "PSM_PUBLIC_URL" in reply.content and "PSM_WEB_PORT" in reply.content
        assert not reply.buttons


# --- the page's data ------------------------------------------------------------------------
async def test_the_questions_board(bot: ProjectorBot, session: aiohttp.ClientSession) -> None:
    empty = await get_json(session, bot.page() + "board.json")
    assert empty["mode"] == "questions" and empty["questions"] == [] and not empty["highlighted"]
    assert empty["labels"]["no_questions"] == "Ancora nessuna domanda"
    assert empty["window"]["state_text"] == "domande aperte fino alle 9:40"
    assert empty["join"]["username"].startswith("@") and empty["join"]["url"].startswith(
        "https://t.me/"
    )
    regs = await people(bot, 4)
    first = await ask(bot, regs[0], "Quali fondi per la montagna?", name="Anna Rossi", axis="1")
    second = await ask(bot, regs[1], "E i trasporti?")
    lit = await ask(bot, regs[2], "Quando il prossimo incontro?")
    await ask(bot, regs[3], "In attesa", status=QuestionStatus.PENDING)
    for reg in regs[:3]:
        await bot.questions.toggle_support(second.id, reg, DURING)
    await bot.questions.toggle_support(first.id, regs[0], DURING)
    await bot.questions.change(
        lit.id, QuestionStatus.HIGHLIGHTED, QuestionAction.HIGHLIGHTED, ORGANISER, DURING
    )
    board = await get_json(session, bot.page() + "board.json")
    assert board["highlighted"]["text"] == "Quando il prossimo incontro?"
    assert [q["text"] for q in board["questions"]] == [
        "E i trasporti?",
        "Quali fondi per la montagna?",
    ]  # most supported first; pending ones never shown
    top = board["questions"][0]
    assert top["supports"] == 3 and top["supports_text"] == "3 sostegni" and top["name"] is None
    named = board["questions"][1]
    assert named["name"] == "Anna Rossi" and named["supports_text"] == "1 sostegno"
    assert named["axis"]
    assert board["total_text"] == "3 domande"
    english = await get_json(session, bot.page() + "board.json?lang=en")
    assert english["labels"]["answering_now"] == "Being answered now"
    assert english["questions"][0]["supports_text"] == "3 supports"


async def test_the_poll_and_synthesis_modes_with_nothing_yet(
    bot: ProjectorBot, session: aiohttp.ClientSession
) -> None:
    poll = await get_json(session, bot.page() + "board.json?mode=poll")
    assert poll["mode"] == "poll" and poll["poll"] is None
    assert poll["labels"]["no_poll"] == "Ancora nessun sondaggio"
    synthesis = await get_json(session, bot.page() + "board.json?mode=synthesis")
    assert synthesis["mode"] == "synthesis" and synthesis["synthesis"] is None
    unknown = await get_json(session, bot.page() + "board.json?mode=<script>")
    assert unknown["mode"] == "questions"


async def test_forged_and_expired_links_get_nothing(
    bot: ProjectorBot, session: aiohttp.ClientSession
) -> None:
    token = bot.token()
    event_id, stamp, signature = token.split(".")
    forged = f"{event_id}.{int(stamp) + 999}.{signature}"
    status, kind, page = await get_text(session, bot.page(forged))
    assert status == 403 and kind == "text/html"
    assert "Link non valido" in page and "Invalid link" in page and "domanda" not in page
    for path in ("board.json", "events", "qr.svg"):
        assert await get_json(session, bot.page(forged) + path, 403) == {"error": "forged"}
    bot.fake_clock.set(dt.datetime(2023, 12, 6, 0, 0, tzinfo=ROME))
    status, _, page = await get_text(session, bot.page(token))
    assert status == 403 and "Link scaduto" in page and "Link expired" in page
    assert await get_json(session, bot.page(token) + "board.json", 403) == {"error": "expired"}
    # without the trailing slash: a relative redirect to the page's folder
    status, _, _ = await get_text(session, bot.page(token).rstrip("/"))
    assert status == 302


async def test_the_qr_code_and_the_static_files(
    bot: ProjectorBot, session: aiohttp.ClientSession
) -> None:
    status, kind, svg = await get_text(session, bot.page() + "qr.svg")
    assert status == 200 and kind == "image/svg+xml" and svg.lstrip().startswith("<svg")
    for name in ("projector.js", "projector.css"):
        status, _, body = await get_text(session, bot.web + f"/projector/static/{name}")
        assert status == 200 and body


async def test_the_stream_shows_a_change_within_two_seconds(
    bot: ProjectorBot, session: aiohttp.ClientSession
) -> None:
    (reg,) = await people(bot, 1)
    question = await ask(bot, reg, "Ci saranno fondi?")

    def supported(count: int) -> Callable[[dict[str, object]], bool]:
        def shows(board: dict[str, object]) -> bool:
            listed = board.get("questions")
            return isinstance(listed, list) and any(q["supports"] == count for q in listed)

        return shows

    async def toggle() -> None:
        await bot.questions.toggle_support(question.id, reg, DURING)

    # through the bot's own web server, as a page on the screen
    delay = await projector_update_delay(
        session, bot.page() + "events?mode=questions", toggle, supported(1)
    )
    assert 0 < delay < 2.0
    # and through projector_server, what the benchmark uses (the support withdrawn)
    async with projector_server(bot.services) as base:
        url = events_url(base, bot.services, EVENT)
        assert 0 < await projector_update_delay(session, url, toggle, supported(0)) < 2.0


async def test_healthz_on_the_web_server_and_on_its_own_port(
    api: FakeBotApi, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    health = free_port()

    class Both(ProjectorBot):
        def settings(self):  # type: ignore[no-untyped-def]
            return super().settings().model_copy(update={"health_port": health})

    async with Both(api, tmp_path) as bot:
        for url in (bot.web + "/healthz", f"http://127.0.0.1:{health}/healthz"):
            async with session.get(url) as response:
                assert response.status in (200, 503)
                assert "healthy" in await response.json()


def test_every_page_label_is_in_both_catalogs() -> None:
    from bot.kernel.i18n import Catalog
    from bot.questions.projector import LABELS

    catalog = Catalog.load()
    states = ("window_open", "window_closed", "window_later")
    plural = ("supports", "total", "choices", "respondents")
    for language in ("it", "en"):
        keys = catalog.keys(language)
        for label in (*LABELS, *states, *plural):
            assert any(k.startswith(f"projector.page.{label}") for k in keys), (language, label)
        for refusal in ("forged", "expired"):
            for part in ("title", "body"):
                assert f"projector.refused.{refusal}.{part}" in keys


async def test_the_poll_mode_pools_the_zones_and_the_synthesis_mode(
    api: FakeBotApi, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with ProjectorBot(api, tmp_path, now=SESSION_1) as bot:
        options = bot.services.polls.priority_options()
        await priority_polls(bot, {5: [[0, 1], [0]], 9: [[2, 0]]})
        board = await get_json(session, bot.page() + "board.json?mode=poll")
        poll = board["poll"]
        assert poll["open"] and poll["where"] == "Tutte le Zone"
        assert poll["respondents_text"] == "3 risposte"
        first = poll["bars"][0]
        assert first["key"] == options[0].key and first["count"] == 3 and first["share"] == 1.0
        assert first["count_text"] == "3 scelte"
        assert [b["count"] for b in poll["bars"][1:3]] == [1, 1]

        synthesis = (await get_json(session, bot.page() + "board.json?mode=synthesis"))["synthesis"]
        assert [z["number"] for z in synthesis["zones"]] == [5, 9]
        assert synthesis["top"][0]["key"] == options[0].key
        row = synthesis["rows"][0]
        assert row["key"] == options[0].key and len(row["cells"]) == 2
        assert "," in row["overall_text"]  # Italian decimals
        english = await get_json(session, bot.page() + "board.json?mode=synthesis&lang=en")
        assert "." in english["synthesis"]["rows"][0]["overall_text"]


async def test_a_web_port_in_use_is_one_line(api: FakeBotApi, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = settings_for(
            tmp_path / "psm.sqlite3", token=api.token, api_base_url=api.url, web_port=port
        )
        with pytest.raises(StartupError) as caught:
            await serve(settings, load_event_config(), poll_timeout=1)
    line = str(caught.value)
    assert line.startswith(f"cannot listen for the web server on 127.0.0.1:{port} (")
    assert line.endswith("check PSM_WEB_HOST and PSM_WEB_PORT")


async def test_the_sandbox_serves_the_organisers_link(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with running_sandbox(tmp_path) as client:
        organiser = await client.persona("organiser")
        user_id = organiser["user_id"]
        await client.post(f"/api/chats/{user_id}/send", {"text": "/proiettore"})
        choose = await client.wait_message(user_id, containing("Per quale incontro"))
        data = choose["buttons"][-1][0]["data"]  # the sandbox's events: the rehearsed one last
        await client.post(
            f"/api/chats/{user_id}/press", {"message_id": choose["message_id"], "data": data}
        )
        found = await client.wait_message(user_id, containing("/projector/"))
        link = next(
            button["url"]
            for row in found["buttons"]
            for button in row
            if button.get("url", "").startswith(client.url)
        )
        status, kind, page = await get_text(session, link)
        assert status == 200 and kind == "text/html" and "projector.js" in page
        board = await get_json(session, link + "board.json")
        assert board["mode"] == "questions" and board["join"]["username"] == "@psm_sandbox_bot"


def test_which_window_the_screen_follows() -> None:
    config = load_event_config()
    launch = config.event("lancio-2023")
    day = dt.date(2023, 9, 27)

    def at(hour: int, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ROME)

    before = pick_window(config, launch, at(15, 0))
    assert before is not None and (before.slot.id, before.state) == ("indirizzi", "later")
    during = pick_window(config, launch, at(17, 15))
    assert during is not None and (during.slot.id, during.state) == ("asse-2", "open")
    between = pick_window(config, launch, at(18, 45))
    assert between is not None and (between.slot.id, between.state) == ("discussione", "closed")
    assert decimal(12.5, "it") == "12,5" and decimal(12.5, "en") == "12.5"
    assert mode_of("poll") is Mode.POLL and mode_of("<x>") is Mode.QUESTIONS and mode_of(None)


async def test_a_watched_board_is_pushed_only_when_it_changes() -> None:
    state = {"n": 0}

    async def build(key: tuple[str, str, str]) -> dict[str, object]:
        return {"n": state["n"]}

    live = ProjectorLive(build, every=0.02)
    key = ("e", "questions", "it")
    queue, first = await live.subscribe(key)
    other, again = await live.subscribe(key)
    assert first == again == '{"n":0}' and live.watched == 1
    await asyncio.sleep(0.1)
    assert queue.empty()  # nothing changed: nothing sent
    state["n"] = 1
    assert await asyncio.wait_for(queue.get(), 1) == '{"n":1}'
    assert await asyncio.wait_for(other.get(), 1) == '{"n":1}'
    live.unsubscribe(key, queue)
    live.unsubscribe(key, other)
    assert live.watched == 0  # the last page gone, the watcher stops
    await live.close()


def test_the_page_fetches_nothing_from_the_internet() -> None:
    from bot.questions.projector_site import STATIC

    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, path
