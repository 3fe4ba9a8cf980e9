"""Benchmark (issue 10, item 13): what a registration costs, and a crowd registering while a
broadcast goes out.

A broadcast to 2,000 participants starts; a few seconds later 200 new people start
registering, at random moments within one minute, each taking one to three seconds to read
and answer every question (the consent, the name button, a zone, in person or online, the
organisation typed by half of them and skipped by the others, the category skipped, the
summary confirmed). The fake Bot API runs in a process of its own and enforces Telegram's
limits as its Bot FAQ and its developers describe them: about one message a second per chat
after a short burst (sending and editing alike), and about 30 a second of *bulk
notifications* — a message to someone who wrote or pressed in the last few seconds is an
answer, counted only against that chat (tdlib/td#3034).

Prints:

- Bot API calls per registration (messages sent and edited in that chat, the calendar file
  included; answers to button presses are not messages): mean and max, target at most 9;
- from each press or message of a registering person to the bot's answer appearing in
  their chat: p50 and p99, target p99 at most 1 s;
- the broadcast's sustained rate, first to last delivery, as a fraction of 30/s: target at
  least 0.9; with the 429s received.

    .venv/bin/python bench/bench_registration.py [--people 200] [--recipients 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Command, Report, Server, percentile, serve_commands
from bot.app import build_application, running, tune_garbage_collector
from bot.kernel.clock import FakeClock
from bot.sandbox.botapi.models import SentMessage
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser, MessageMatcher
from config.event import load_event_config
from tests.harness import bot_api_server, new_registration, settings_for

ROME = ZoneInfo("Europe/Rome")
NOW = dt.datetime(2023, 11, 20, 10, 0, tzinfo=ROME)  # registration for 5 Dec is open
BROADCAST_EVENT = "lancio-2023"  # the broadcast's audience (the crowd is not in it)
ORGANISER = 42
FIRST_RECIPIENT = 50_000_000
FIRST_PERSON = 60_000_000
RATE = 30
ZONE_LABELS = [f"{zone.number} · {zone.name}" for zone in load_event_config().zones]
MESSAGE_METHODS = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument"}
MESSAGE_METHODS |= {"sendVenue", "sendPhoto", "copyMessage"}


report = Report(48, 10, 8)  # name, value, target columns


# --- the fake Bot API and the crowd, in their own process --------------------------------------


def serve(conn: Connection) -> None:
    """The server process: a FakeBotApi with Telegram's limits, driven by commands."""
    asyncio.run(_serve(conn))


async def _serve(conn: Connection) -> None:
    async with bot_api_server() as api:
        api.enforce_rate(RATE, 1, chat_burst=5, replies_exempt=10.0)
        commands: dict[str, Command] = {
            "source": _source,
            "crowd": _crowd,
            "broadcast": _broadcast_figures,
        }
        await serve_commands(conn, api, commands)


async def _source(api: FakeBotApi, argument: None) -> int:
    """The organiser's message to broadcast; returns its id."""
    organiser = api.user(ORGANISER, "Org")
    sent = await organiser.send("Comunicazione: il tavolo inizia alle 10:10.")
    return sent.message_id


async def _answer(
    user: FakeUser, latencies: list[float], act: Any, question: MessageMatcher
) -> SentMessage:
    """Do something (press, type), then wait for the bot's next question; time it."""
    started = time.monotonic()
    await act()
    message = await user.wait_for(question, timeout=60)
    latencies.append(time.monotonic() - started)
    return message


async def _person(
    api: FakeBotApi, user_id: int, delay: float, rng: random.Random, latencies: list[float]
) -> None:
    """One person registering at a human pace."""
    user = api.user(user_id, f"Persona{user_id % 1000}", "Test")
    await asyncio.sleep(delay)

    async def think() -> None:
        await asyncio.sleep(rng.uniform(1.0, 3.0))

    question = await _answer(user, latencies, lambda: user.send("/start"), "Informativa")
    steps = [
        ("Accetto e continuo", "nome"),
        ("Usa", "Scegli la tua"),
        (rng.choice(ZONE_LABELS), "Come parteciperai"),
        (rng.choice(["presenza", "Online"]), "ente"),
    ]
    for button, following in steps:
        await think()
        pressed = question
        question = await _answer(
            user, latencies, lambda b=button, m=pressed: user.press(b, message=m), following
        )
    await think()
    if rng.random() < 0.5:
        act: Any = lambda: user.send("Comune di Pinerolo")  # noqa: E731
    else:
        act = lambda m=question: user.press("Salta", message=m)  # noqa: E731
    question = await _answer(user, latencies, act, "categoria")
    await think()
    pressed = question
    question = await _answer(
        user, latencies, lambda: user.press("Salta", message=pressed), "Controlla"
    )
    await think()
    pressed = question
    await _answer(
        user,
        latencies,
        lambda: user.press("Conferma", message=pressed),
        lambda m: "confermata" in m.content or "attesa" in m.content,
    )
    await user.wait_for(lambda m: m.document is not None, timeout=60)


async def _crowd(
    api: FakeBotApi, argument: tuple[list[int], float, int]
) -> tuple[list[float], list[int], float]:
    """Everyone registers, starting at random moments within ``window`` seconds; returns
    the latencies, the message calls per person and how long it took."""
    user_ids, window, seed = argument
    rng = random.Random(seed)
    latencies: list[float] = []
    started = time.monotonic()
    await asyncio.gather(
        *(
            _person(api, user_id, rng.uniform(0, window), random.Random(rng.random()), latencies)
            for user_id in user_ids
        )
    )
    await api.settle(0.5, timeout=60)
    per_person = {user_id: 0 for user_id in user_ids}
    for request in api.requests:
        chat = request.params.get("chat_id")
        if request.method in MESSAGE_METHODS and chat in per_person and request.ok:
            per_person[chat] += 1
    return latencies, list(per_person.values()), time.monotonic() - started


async def _broadcast_figures(api: FakeBotApi, recipients: list[int]) -> tuple[list[float], int]:
    """When each broadcast copy was delivered, and how many 429s the server answered."""
    wanted = set(recipients)
    times = sorted(
        r.time
        for r in api.requests
        if r.method == "copyMessage" and r.ok and r.params.get("chat_id") in wanted
    )
    return times, api.stats["429"]


# --- the bot ------------------------------------------------------------------------------------


async def main(people: int, recipients: int) -> int:
    config = load_event_config()
    clock = FakeClock(NOW)
    server = Server(serve)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_for(
                Path(tmp) / "bench.sqlite3",
                token=server.token,
                api_base_url=server.url,
                organisers=[ORGANISER],
                outbox_interval=0.2,
            )
            recipient_ids = [FIRST_RECIPIENT + i for i in range(recipients)]
            await server.call("users", recipient_ids)
            source = await server.call("source")
            application = build_application(settings, config, clock)
            tune_garbage_collector()  # as `psm-bot run` does
            async with running(application, poll_timeout=1, poll_interval=0):
                services = application.bot_data.services
                assert services is not None
                zones = config.zones
                for index, user_id in enumerate(recipient_ids):
                    zone = zones[index % len(zones)]
                    new = new_registration(
                        config,
                        user_id,
                        f"P{index}",
                        event=BROADCAST_EVENT,
                        zone=zone.number,
                        mode="online",
                    )
                    await services.registrations.create(new, None, clock.now())
                await services.broadcasts_store.create(
                    created_by=ORGANISER,
                    source_chat=ORGANISER,
                    source_message=source,
                    content="text",
                    audience={"event": BROADCAST_EVENT, "kind": "all"},
                    scheduled_at=clock.now(),
                    now=clock.now(),
                )
                print(f"-- a broadcast to {recipients}; {people} people register meanwhile")
                await asyncio.sleep(3.0)  # the broadcast is under way
                person_ids = [FIRST_PERSON + i for i in range(people)]
                latencies, calls, took = await server.call("crowd", (person_ids, 60.0, 7))
                while await services.broadcasts_store.unreported():  # noqa: ASYNC110
                    await asyncio.sleep(0.5)
                times, throttled = await server.call("broadcast", recipient_ids)
    finally:
        server.stop()
    registered = sum(1 for c in calls if c)
    print(f"{'':<48} {took:>10.1f}   s for {registered} registrations")
    mean_calls, max_calls = statistics.mean(calls), max(calls)
    report("Bot API calls per registration (mean)", f"{mean_calls:.2f}", "-", True)
    report("Bot API calls per registration (max)", f"{max_calls}", "<= 9", max_calls <= 9)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    report("press/message -> answer p50 (s)", f"{p50:.3f}", "-", True)
    report("press/message -> answer p99 (s)", f"{p99:.3f}", "<= 1.0", p99 <= 1.0)
    print(f"{'':<48} {max(latencies):>10.3f}   max (s), {len(latencies)} answers")
    rate = (len(times) - 1) / (times[-1] - times[0]) / RATE if len(times) > 1 else 0.0
    report("broadcast sustained rate / 30 msg/s", f"{rate:.3f}", ">= 0.9", rate >= 0.9)
    report("broadcast delivered", f"{len(times)}", f"{recipients}", len(times) == recipients)
    print(f"{'':<48} {throttled:>10}   429 received")
    ok = max_calls <= 9 and p99 <= 1.0 and rate >= 0.9 and len(times) == recipients
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--recipients", type=int, default=2000)
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(main(arguments.people, arguments.recipients)))
