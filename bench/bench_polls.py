"""Benchmark (issue 5): 500 participants of one zone answering the priority poll within one
second, through the fake Bot API; then the synthesis for 11 zones and 5,000 participants.

Each participant presses three strategies and "Confirm" (2,000 button presses). Two runs,
each with its own zone of 500 and its own poll:

- **within one second** (the issue's figure): the 2,000 presses reach the update queue at an
  even pace over one second, everyone's first tap first, then the second, the third and the
  confirmations — each of the 500 completes an answer inside that second;
- **all at once** (a harsher case, no target): the 2,000 presses are queued at the same
  instant, so the last one waits for all the others.

Prints, for each, p50 and p99 from a press's update being queued to the server receiving
the bot's answerCallbackQuery for it (target p99 at most 0.7 s for the first), and answers
stored: participants whose confirmed answer is exactly their three taps in order, each
stored once (target 500 of 500); then the time to compute the synthesis (SQL aggregation +
maths) of 11 zones and 5,000 participants with generated answers (target at most 1 s) and
the heatmap drawing time.

The fake Bot API runs in a process of its own (as Telegram is not in the bot's process), so
the bot has one of the machine's cores to itself. Every press costs the bot a Bot API update
to parse, a trip to SQLite (grouped with the other presses of the moment: one transaction for
many) and an answerCallbackQuery to send (plus the debounced ballot edits): about 0.6 ms of
CPU on this machine, so about 1,600 presses a second.

    .venv/bin/python bench/bench_polls.py [--participants 500] [--synthesis 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Command, Report, Server, bot_on, percentile, serve_commands
from bot.kernel.clock import FakeClock
from bot.polls.results import Tally, compute_synthesis, poll_result
from bot.sandbox.botapi.server import FakeBotApi
from bot.services import Services
from storage.outbox import Planned
from storage.polls import NewPoll
from tests.harness import bot_api_server, new_registration

ROME = ZoneInfo("Europe/Rome")
EVENT = "copianificazione-2023"
OTHER_EVENT = "lancio-2023"  # the generated synthesis data live apart from the 500
SESSION_1 = dt.datetime(2023, 12, 5, 10, 10, tzinfo=ROME)
FACILITATOR = 42
FIRST_USER = 30_000_000
PACED_ZONE, BURST_ZONE = 5, 6
TAPS = (5, 3, 4)
P99_TARGET = 0.7  # seconds (issue 10: 1 s before, met with a thin margin)
HTTP_CONNECTIONS = int(
    __import__("os").environ.get("BENCH_HTTP", "64")
)  # Salute, Istruzione e ricerca, Inclusione e coesione


report = Report(44, 12, 10)  # name, value, target columns


async def register(services: Services, event: str, user_id: int, zone: int) -> int:
    new = new_registration(services.config, user_id, f"P{user_id}", event=event, zone=zone)
    registration = await services.registrations.create(new, None, services.clock.now())
    return registration.id


def serve(conn: Connection) -> None:
    """The server process: a FakeBotApi driven by commands from the benchmark."""
    asyncio.run(_serve(conn))


async def _serve(conn: Connection) -> None:
    async with bot_api_server() as api:
        commands: dict[str, Command] = {"ballots": _ballots, "press": _press, "settle": _settle}
        await serve_commands(conn, api, commands)


async def _ballots(api: FakeBotApi, user_ids: list[int]) -> bool:
    """Wait until every user has a ballot."""
    users = [api.user(user_id) for user_id in user_ids]
    await api.wait_until(
        lambda: all(any(m.buttons for m in u.messages) for u in users),
        timeout=600,
        poll_interval=0.2,
    )
    return True


async def _settle(api: FakeBotApi, idle: float) -> bool:
    """Wait until the bot made no request for ``idle`` seconds."""
    await api.settle(idle, timeout=600)
    return True


async def _press(api: FakeBotApi, argument: tuple[list[int], list[str], float]) -> list[float]:
    """Queue every press of every user, evenly over ``spread`` seconds (0: all at once);
    the latency of each until the bot answered it."""
    user_ids, datas, spread = argument
    users = [api.user(user_id) for user_id in user_ids]
    ballots = {u.id: next(m for m in u.messages if m.buttons) for u in users}
    # built and checked against the spec ahead, so that queueing them costs the server
    # (which shares the machine with the bot) next to nothing during the timed part
    presses = [user.prepare_press(data, ballots[user.id]) for data in datas for user in users]
    for _, payload in presses:
        problems = api.update_problems(payload)
        assert not problems, problems
    loop = asyncio.get_running_loop()
    start = loop.time()
    queued: dict[str, float] = {}
    for index, (qid, payload) in enumerate(presses):
        due = start + spread * index / len(presses)
        if due > loop.time() + 0.001:
            await asyncio.sleep(due - loop.time())
        api.enqueue_update(payload, check=False)
        queued[qid] = time.time()
    answers = api.callback_answers
    await api.wait_until(
        lambda: all(qid in answers for qid in queued), timeout=600, poll_interval=0.05
    )
    return [answers[qid].time - at for qid, at in queued.items() if qid in answers]


async def answers(
    server: Server,
    services: Services,
    participants: int,
    zone: int,
    spread: float,
) -> bool:
    """Open the zone's poll, deliver the ballots, then every participant taps and confirms,
    their presses queued evenly over ``spread`` seconds (0: all at the same instant)."""
    title = "within one second" if spread else "all at once"
    print(f"-- {participants} participants of zone {zone} answering {title}")
    config = services.config
    first = FIRST_USER + zone * 100_000
    user_ids = [first + index for index in range(participants)]
    await server.call("users", user_ids)
    for user_id in user_ids:
        await register(services, EVENT, user_id, zone)
    await services.roles.store.grant(FACILITATOR + zone, "facilitator", str(zone), None, SESSION_1)
    event = config.event(EVENT)
    session = services.polls.session(event, SESSION_1)
    assert session is not None
    poll = await services.polls.open(event, zone, session, opened_by=FACILITATOR + zone)
    assert poll is not None
    assert services.sender is not None
    started = time.perf_counter()
    await services.sender.drain()
    await server.call("ballots", user_ids)
    print(f"{'':<44} {time.perf_counter() - started:>12.1f}   s to deliver {participants} ballots")
    await server.call("settle", 0.5)

    # Everyone taps three strategies and confirms: 4 x participants button presses.
    datas = [f"p|{poll.id}|t|{position}" for position in TAPS] + [f"p|{poll.id}|ok"]
    latencies: list[float] = await server.call("press", (user_ids, datas, spread))
    presses = len(datas) * participants
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    report("presses answered", f"{len(latencies)}", f"{presses}", len(latencies) == presses)
    report("press -> answer p50 (s)", f"{p50:.3f}", "-", True)
    if spread:
        report("press -> answer p99 (s)", f"{p99:.3f}", f"<= {P99_TARGET}", p99 <= P99_TARGET)
    else:
        report("press -> answer p99 (s), all at once", f"{p99:.3f}", "-", True)
    print(f"{'':<44} {statistics.mean(latencies):>12.3f}   mean (s); max {max(latencies):.3f}")
    if not spread:
        rate = presses / max(latencies)
        print(f"{'':<44} {rate:>12.0f}   presses answered per second")

    rows = await services.polls.store.answer_rows(poll.id)
    per_registration: dict[int, list[tuple[int, int | None]]] = {}
    for registration, position, rank in rows:
        per_registration.setdefault(registration, []).append((position, rank))
    expected = sorted((position, rank) for rank, position in enumerate(TAPS, start=1))
    good = sum(1 for found in per_registration.values() if sorted(found) == expected)
    once = len(rows) == len(TAPS) * len(per_registration)
    report(
        "answers stored (exactly the taps, once)",
        f"{good} of {participants}",
        f"{participants}",
        good == participants and once,
    )
    # let the ballot edits (paced with every other message) finish before going on
    await server.call("settle", 1.0)
    return (p99 <= P99_TARGET or not spread) and good == participants and once


async def synthesis(services: Services, people: int, zones: int = 11) -> bool:
    """Generated answers for ``people`` in ``zones`` zones, then the synthesis, timed."""
    rng = random.Random(5)
    options = services.polls.priority_options()
    now = services.clock.now()

    def nothing(poll_id: int, registration_id: int) -> Planned | None:
        return None

    started = time.perf_counter()
    for zone in range(1, zones + 1):
        members = [
            await register(services, OTHER_EVENT, 40_000_000 + zone * 10_000 + i, zone)
            for i in range(people // zones + (1 if zone <= people % zones else 0))
        ]
        poll = await services.polls.store.create(
            NewPoll("priority", OTHER_EVENT, zone, "tavolo", 3, True, None, now, options),
            members,
            nothing,
            now,
        )
        assert poll is not None
        weights = [rng.random() ** 2 for _ in options]  # each zone has its own taste
        for member in members:
            picks: list[int] = []
            while len(picks) < 3:
                choice = rng.choices(range(len(options)), weights)[0]
                if choice not in picks:
                    picks.append(choice)
            await services.polls.store.save_answer(poll.id, member, picks, True, now)
    print(f"{'':<44} {time.perf_counter() - started:>12.1f}   s to generate {people} answers")
    started = time.perf_counter()
    result, by_zone = await services.polls.synthesis(OTHER_EVENT)
    elapsed = time.perf_counter() - started
    respondents = sum(result.respondents.values())
    report(
        f"synthesis, {len(result.zones)} zones x {respondents} people (s)",
        f"{elapsed:.3f}",
        "<= 1.0",
        elapsed <= 1.0 and respondents == people,
    )
    # the maths alone, on the same tallies
    tallies = [r for _, r in by_zone.values()]
    started = time.perf_counter()
    compute_synthesis({i: r for i, r in enumerate(tallies)}, [o.key for o in options])
    poll_result(Tally([o.key for o in options], 3, True, {}, 0, 0))
    maths = time.perf_counter() - started
    print(f"{'':<44} {maths * 1000:>12.2f}   ms of which maths (the rest is SQL)")
    started = time.perf_counter()
    png = await services.polls.heatmap(result, "it", "Sintesi", "")
    print(f"{'':<44} {time.perf_counter() - started:>12.2f}   s to draw the heatmap ({len(png)} B)")
    return elapsed <= 1.0 and respondents == people


async def main(participants: int, people: int) -> int:
    server = Server(serve)
    try:
        async with bot_on(server, FakeClock(SESSION_1)) as services:
            ok = await answers(server, services, participants, PACED_ZONE, 1.0)
            ok = await answers(server, services, participants, BURST_ZONE, 0.0) and ok
            print("-- the cross-zone synthesis")
            ok = await synthesis(services, people) and ok
    finally:
        server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--synthesis", type=int, default=5000)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.participants, args.synthesis)))
