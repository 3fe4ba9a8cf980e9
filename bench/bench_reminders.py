"""Benchmark (issue 3): plan reminders for 10,000 participants, then deliver one reminder to
all of them through the fake Bot API enforcing 30 messages/second (with 429s).

Prints: planning time; sustained send rate as a fraction of 30/s (target >= 0.9); 429s
received; lost and duplicate messages (targets 0 and 0).

    .venv/bin/python bench/bench_reminders.py [--participants 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Report, register_many
from bot.app import build_application, running
from bot.kernel.clock import FakeClock
from config.event import load_event_config
from tests.harness import bot_api_server, settings_for

ROME = ZoneInfo("Europe/Rome")
EVENT = "copianificazione-2023"
RATE = 30


report = Report(34, 14, 10)  # name, value, target columns


async def main(participants: int) -> int:
    config = load_event_config()
    clock = FakeClock(dt.datetime(2023, 11, 20, 10, 0, tzinfo=ROME))
    with tempfile.TemporaryDirectory() as tmp:
        async with bot_api_server() as api:
            settings = settings_for(
                Path(tmp) / "bench.sqlite3",
                token=api.token,
                api_base_url=api.url,
                outbox_interval=0.5,
            )
            application = build_application(settings, config, clock)
            async with running(application, poll_timeout=1, poll_interval=0):
                services = application.bot_data.services
                assert services is not None and services.sender is not None
                # Participants: registered directly in storage (the chat path is measured by
                # the other benchmarks); all in person, no capacity limit for the benchmark.
                await register_many(services, api, EVENT, 10_000_000, participants, clock.now())
                started = time.perf_counter()
                added = await services.planner.plan_all(clock.now())
                planning = time.perf_counter() - started
                report("planning time (s)", f"{planning:.2f}", "-", True)
                print(f"{'':<34} {added:>14}   outbox rows planned")

                api.enforce_rate(RATE, 1)
                api.fail_next("sendMessage", error_code=429, retry_after=1, times=3)
                before = dict(api.delivered)
                clock.set(dt.datetime(2023, 12, 4, 18, 0, tzinfo=ROME))  # the eve reminder
                started = time.perf_counter()
                await services.sender.drain()
                elapsed = time.perf_counter() - started
                delivered = {
                    chat: count - before.get(chat, 0) for chat, count in api.delivered.items()
                }
                got = [delivered.get(10_000_000 + i, 0) for i in range(participants)]
                sent = sum(got)
                times = sorted(
                    r.time
                    for r in api.requests
                    if r.method == "sendMessage"
                    and r.ok
                    and int(r.params.get("chat_id", 0)) >= 10_000_000
                )
                # sustained: from the first delivery to the last
                rate = (len(times) - 1) / (times[-1] - times[0]) / RATE
                report("sustained rate / 30 msg/s", f"{rate:.3f}", ">= 0.9", rate >= 0.9)
                report("messages delivered", f"{sent}", f"{participants}", sent == participants)
                report("429 received", f"{api.stats['429']}", "-", True)
                lost = sum(1 for count in got if count == 0)
                duplicates = sum(count - 1 for count in got if count > 1)
                report("lost", f"{lost}", "0", lost == 0)
                report("duplicates", f"{duplicates}", "0", duplicates == 0)
                print(f"{'':<34} {elapsed:>14.1f}   seconds to deliver")
                return 0 if rate >= 0.9 and lost == 0 and duplicates == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=10_000)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.participants)))
