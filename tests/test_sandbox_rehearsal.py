"""The rehearsal: the events shifted to the coming days, the moments, the clock jumps."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from bot.sandbox.rehearsal import RehearsalClock, day_shifts, moments, shift_events
from tests.harness import config_from, write_yaml
from tests.sandbox_support import TODAY, containing, running_sandbox


def test_the_bundled_events_become_tomorrow_and_in_a_week() -> None:
    config = shift_events(None, TODAY)
    dates = {event.id: event.date for event in config.events}
    assert dates == {
        "lancio-2023": TODAY + dt.timedelta(days=1),
        "copianificazione-2023": TODAY + dt.timedelta(days=7 + 1),
    }
    assert [
        e.id for e in config.open_events(dt.datetime.combine(TODAY, dt.time(10), tzinfo=config.tz))
    ]


def test_gaps_are_kept_up_to_a_week_and_dated_fields_move(
    tmp_path: Path, bundled_data: dict[str, Any]
) -> None:
    first, second = bundled_data["events"]
    first["date"] = dt.date(2024, 3, 1)
    first["registration_closes"] = "2024-02-28T12:00:00+01:00"
    second["date"] = dt.date(2024, 3, 4)
    path = write_yaml(tmp_path / "event.yaml", bundled_data)
    assert day_shifts(config_from(bundled_data), TODAY) == {
        first["id"]: TODAY + dt.timedelta(days=1) - dt.date(2024, 3, 1),
        second["id"]: TODAY + dt.timedelta(days=4) - dt.date(2024, 3, 4),
    }
    config = shift_events(path, TODAY)
    launch = config.event(first["id"])
    assert launch.date == TODAY + dt.timedelta(days=1)
    assert config.event(second["id"]).date == TODAY + dt.timedelta(days=4)
    assert launch.registration_closes is not None
    closes = launch.registration_closes.astimezone(config.tz)
    assert (closes.date(), closes.time()) == (TODAY - dt.timedelta(days=1), dt.time(12, 0))


def test_the_moments_of_the_bundled_file() -> None:
    config = shift_events(None, TODAY)
    day = TODAY + dt.timedelta(days=8)
    local = {m.id: m.when.astimezone(config.tz) for m in moments(config)}
    expected = {
        "eve": (day - dt.timedelta(days=1), dt.time(18, 0)),
        "day": (day, dt.time(9, 15)),
        "plenary": (day, dt.time(9, 15)),  # the opening plenary (hybrid) at 9:30
        "session1": (day, dt.time(10, 10)),
        "questions_opening": (day, dt.time(9, 30)),  # its question window (issue 15)
        "session2": (day, dt.time(10, 30)),
        "report_deadline": (day, dt.time(12, 10)),
        "questions_closing": (day, dt.time(12, 20)),  # the closing plenary's window
        "after": (day, dt.time(13, 30)),
    }
    assert {key: (when.date(), when.time()) for key, when in local.items()} == expected
    labels = {m.id: m.as_json("en")["label"] for m in moments(config)}
    assert labels["eve"] == "The evening before (reminder)"


def test_the_clock_follows_real_time_from_where_it_was_set() -> None:
    start = dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)
    clock = RehearsalClock(start)
    time.sleep(0.02)
    assert start < clock.now() < start + dt.timedelta(seconds=5)
    clock.set(start - dt.timedelta(days=1))
    assert clock.now() < start - dt.timedelta(hours=23)


async def test_jumps_deliver_what_is_due_and_back_unsends_nothing(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as client:
        p5 = await client.persona("p5")
        uid = p5["user_id"]
        await client.wait_message(uid, lambda m: "document" in m)
        clock = await client.post("/api/clock", {"moment": "eve"})
        assert clock["now_text"].endswith(", 18:00")
        assert {m["id"] for m in clock["moments"]} >= {"eve", "session1", "after"}
        reminder = await client.wait_message(uid, containing("Domani"))
        count = len(await client.messages(uid))
        await client.post(
            "/api/clock", {"at": (TODAY + dt.timedelta(days=2)).isoformat() + "T10:00"}
        )
        state = await client.get("/api/state")
        assert state["now_text"].startswith("giovedì 3 dicembre 2026, 10:0")
        await client.post("/api/clock", {"moment": "eve"})
        await client.sandbox.api.settle(0.1)
        messages = await client.messages(uid)
        assert len(messages) == count, "nothing unsent, nothing sent twice"
        assert reminder in messages


async def test_the_online_link_arrives_when_the_clock_reaches_its_window(tmp_path: Path) -> None:
    from bot.sandbox.rehearsal import rehearsed_event
    from storage.links import LinkRepository

    link = "https://meet.example.org/psm-plenaria"
    async with running_sandbox(tmp_path) as client:
        services = client.sandbox.services
        online = await client.persona("p1_online")
        uid = online["user_id"]
        await client.wait_message(uid, lambda m: "document" in m)
        event = rehearsed_event(services.config)
        await LinkRepository(services.db).set_shared(event.id, "", link, None, services.clock.now())
        assert not [m for m in await client.messages(uid) if link in m["html"]]
        await client.post("/api/clock", {"moment": "plenary"})
        message = await client.wait_message(uid, containing(link))
        assert f'href="{link}"' in message["html"] or link in message["html"]
