"""Tests for the reminder rules of the event file: when each occurrence is due and until when
(time zone, daylight saving), agenda selectors, validation errors, durations and audiences.

Pure: no database, no Telegram.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.planner import applies, hybrid_sessions
from config.event import (
    EventConfig,
    Reminder,
    ReminderSlot,
    check_link,
    load_event_config,
    parse_duration,
    select_items,
    semantic_errors,
)
from storage.registrations import Registration, Status
from tests.harness import broken, only_error

ROME = ZoneInfo("Europe/Rome")
UTC = dt.UTC
LAUNCH, CO_PLANNING = 0, 1  # indexes of the two bundled events

# Indexes of the co-planning event's reminder rules in the bundled file.
VIGILIA_PRESENZA, VIGILIA_ONLINE, MATTINA_PRESENZA, MATTINA_ONLINE = 0, 1, 2, 3
LINK, LINK_CHIUSURA, GRAZIE = 4, 5, 6
RULE_IDS = [
    "vigilia-presenza",
    "vigilia-online",
    "mattina-presenza",
    "mattina-online",
    "link",
    "link-chiusura",
    "grazie",
]


@pytest.fixture(scope="module")
def config() -> EventConfig:
    return load_event_config()


def changed(data: dict[str, Any], mutate: Callable[[dict[str, Any]], object]) -> EventConfig:
    """The bundled data mutated and validated (both passes): it must be valid.

    The data already went through YAML, so this skips the (slow) dump and re-parse.
    """
    copied = copy.deepcopy(data)
    mutate(copied)
    config = EventConfig.model_validate(copied)
    assert semantic_errors(config) == []
    return config


def rules(data: dict[str, Any], event: int = CO_PLANNING) -> list[dict[str, Any]]:
    reminders = data["events"][event]["reminders"]
    assert isinstance(reminders, list)
    return reminders


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ROME)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def slots_of(config: EventConfig, event: int = CO_PLANNING) -> list[ReminderSlot]:
    return config.reminder_slots(config.events[event])


def slot(config: EventConfig, rule_id: str, anchor: str | None = None) -> ReminderSlot:
    """The single occurrence of a rule (of the co-planning event), optionally by anchor."""
    found = [
        s
        for s in slots_of(config)
        if s.rule.id == rule_id and (anchor is None or s.anchor == anchor)
    ]
    assert len(found) == 1, found
    return found[0]


def offset_hours(value: dt.datetime) -> float:
    delta = value.utcoffset()
    assert delta is not None
    return delta.total_seconds() / 3600


def added_rule(**fields: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation adding a rule to the co-planning event."""

    def mutate(data: dict[str, Any]) -> None:
        rules(data).append({"id": "prova", "text": "Ciao {name}, alle {time}.", **fields})

    return mutate


# --- the bundled rules -------------------------------------------------------------------

DEC4, DEC5, DEC7 = dt.date(2023, 12, 4), dt.date(2023, 12, 5), dt.date(2023, 12, 7)

# rule, anchor, due, expires, session start, session end (all local, Europe/Rome)
CO_PLANNING_SLOTS = [
    (
        "vigilia-online",
        "plenaria-apertura",
        local(DEC4, 18),
        local(DEC5, 0),
        local(DEC5, 9, 30),
        local(DEC5, 9, 40),
    ),
    ("vigilia-presenza", "", local(DEC4, 18), local(DEC5, 0), local(DEC5, 9, 15), local(DEC5, 13)),
    (
        "mattina-online",
        "plenaria-apertura",
        local(DEC5, 7, 30),
        local(DEC5, 9),
        local(DEC5, 9, 30),
        local(DEC5, 9, 40),
    ),
    (
        "mattina-presenza",
        "",
        local(DEC5, 7, 30),
        local(DEC5, 9),
        local(DEC5, 9, 15),
        local(DEC5, 13),
    ),
    # 9:30-9:40 and 9:40-10:00 are back to back: one hybrid block, one link
    (
        "link",
        "plenaria-apertura",
        local(DEC5, 9, 15),
        local(DEC5, 9, 30),
        local(DEC5, 9, 30),
        local(DEC5, 10),
    ),
    (
        "link",
        "plenaria-chiusura",
        local(DEC5, 12, 5),
        local(DEC5, 12, 20),
        local(DEC5, 12, 20),
        local(DEC5, 13),
    ),
    # anchored to the break (due at its start), about the closing plenary
    (
        "link-chiusura",
        "plenaria-chiusura",
        local(DEC5, 12, 10),
        local(DEC5, 12, 20),
        local(DEC5, 12, 20),
        local(DEC5, 13),
    ),
    ("grazie", "", local(DEC5, 13, 30), local(DEC7, 13, 30), local(DEC5, 13), local(DEC5, 13)),
]


def test_co_planning_slots(config: EventConfig) -> None:
    actual = [
        (s.rule.id, s.anchor, s.due_at, s.expires_at, s.session_start, s.session_end)
        for s in slots_of(config)
    ]
    assert actual == CO_PLANNING_SLOTS
    # every rule of the event has at least one occurrence
    event = config.events[CO_PLANNING]
    assert {s.rule.id for s in slots_of(config)} == {rule.id for rule in event.reminders}
    # December is CET (+1); the times are local clock times
    for s in slots_of(config):
        assert offset_hours(s.due_at) == 1, s
        assert s.due_at.astimezone(ROME).utcoffset() == dt.timedelta(hours=1)
    assert slot(config, "link", "plenaria-apertura").due_at == utc(2023, 12, 5, 8, 15)
    assert slot(config, "vigilia-presenza").due_at == utc(2023, 12, 4, 17, 0)


def test_co_planning_slot_sessions(config: EventConfig) -> None:
    sessions = {(s.rule.id, s.anchor): s.session for s in slots_of(config)}
    assert sessions[("vigilia-presenza", "")] is None  # about the event as a whole
    assert sessions[("grazie", "")] is None
    opening = sessions[("link", "plenaria-apertura")]
    assert opening is not None and opening.id == "plenaria-apertura"
    closing = sessions[("link-chiusura", "plenaria-chiusura")]
    assert closing is not None and closing.id == "plenaria-chiusura"
    assert closing.title.get("en").startswith("Plenary: cross-zone synthesis")


def test_slots_are_sorted_by_due_time(config: EventConfig) -> None:
    for event in config.events:
        due = [(s.due_at, s.rule.id) for s in config.reminder_slots(event)]
        assert due == sorted(due)


def test_launch_slots(config: EventConfig) -> None:
    def row(s: ReminderSlot) -> tuple[str, ...]:
        times = (s.due_at, s.expires_at, s.session_start, s.session_end)
        return (s.rule.id, s.anchor, *(f"{t.astimezone(ROME):%d/%m %H:%M}" for t in times))

    assert [row(s) for s in slots_of(config, LAUNCH)] == [
        ("vigilia-online", "", "26/09 18:00", "27/09 00:00", "27/09 16:00", "27/09 18:30"),
        ("vigilia-presenza", "", "26/09 18:00", "27/09 00:00", "27/09 16:00", "27/09 18:30"),
        ("link", "plenaria", "27/09 15:45", "27/09 16:00", "27/09 16:00", "27/09 18:30"),
        ("grazie", "", "27/09 19:00", "29/09 19:00", "27/09 18:30", "27/09 18:30"),
    ]
    # late September is CEST (+2)
    assert all(offset_hours(s.due_at) == 2 for s in slots_of(config, LAUNCH))
    link = next(s for s in slots_of(config, LAUNCH) if s.rule.id == "link")
    assert link.due_at == utc(2023, 9, 27, 13, 45)
    assert link.session is not None and link.session.id == "plenaria"


def test_hybrid_sessions_of_the_bundled_events(config: EventConfig) -> None:
    co_planning = hybrid_sessions(config, config.events[CO_PLANNING])
    assert [(s.anchor, s.start, s.end) for s in co_planning] == [
        ("plenaria-apertura", local(DEC5, 9, 30), local(DEC5, 10)),
        ("plenaria-chiusura", local(DEC5, 12, 20), local(DEC5, 13)),
    ]
    launch = hybrid_sessions(config, config.events[LAUNCH])
    assert [s.anchor for s in launch] == ["plenaria"]


# --- daylight saving ---------------------------------------------------------------------

OCT26, OCT27, OCT29 = dt.date(2024, 10, 26), dt.date(2024, 10, 27), dt.date(2024, 10, 29)
MAR30, MAR31, APR2 = dt.date(2024, 3, 30), dt.date(2024, 3, 31), dt.date(2024, 4, 2)


def on(day: dt.date, *mutations: Callable[[dict[str, Any]], object]) -> Callable[[Any], None]:
    """A mutation moving the co-planning event to ``day`` (then applying ``mutations``)."""

    def mutate(data: dict[str, Any]) -> None:
        data["events"][CO_PLANNING]["date"] = day
        for extra in mutations:
            extra(data)

    return mutate


def test_autumn_change_cest_to_cet(bundled_data: dict[str, Any]) -> None:
    """27 Oct 2024 3:00 CEST -> 2:00 CET: the day before is +2, the day itself +1."""
    config = changed(bundled_data, on(OCT27))
    event = config.events[CO_PLANNING]
    assert offset_hours(config.starts_at(event)) == 1
    assert config.starts_at(event) == utc(2024, 10, 27, 8, 15)

    eve = slot(config, "vigilia-presenza")
    assert eve.due_at == local(OCT26, 18) == utc(2024, 10, 26, 16, 0)
    assert offset_hours(eve.due_at) == 2
    assert eve.expires_at == utc(2024, 10, 26, 22, 0)  # local midnight, still CEST
    assert eve.session_start == utc(2024, 10, 27, 8, 15)  # {time} is 9:15 local, +1

    morning = slot(config, "mattina-presenza")
    assert morning.due_at == utc(2024, 10, 27, 6, 30)  # 7:30 CET
    assert offset_hours(morning.due_at) == 1
    assert morning.expires_at == utc(2024, 10, 27, 8, 0)

    link = slot(config, "link", "plenaria-apertura")
    assert link.due_at == utc(2024, 10, 27, 8, 15)  # 9:30 - 15m = 9:15 CET
    assert offset_hours(link.due_at) == 1
    assert link.due_at.astimezone(ROME).time() == dt.time(9, 15)
    assert link.expires_at == utc(2024, 10, 27, 8, 30)

    thanks = slot(config, "grazie")
    assert thanks.due_at == local(OCT27, 13, 30) == utc(2024, 10, 27, 12, 30)
    assert thanks.expires_at == local(OCT29, 13, 30)


def test_spring_change_cet_to_cest(bundled_data: dict[str, Any]) -> None:
    """31 Mar 2024 2:00 CET -> 3:00 CEST: the day before is +1, the day itself +2."""
    config = changed(bundled_data, on(MAR31))
    eve = slot(config, "vigilia-online")
    assert eve.due_at == utc(2024, 3, 30, 17, 0)
    assert offset_hours(eve.due_at) == 1
    assert eve.expires_at == local(MAR31, 0) == utc(2024, 3, 30, 23, 0)
    assert eve.session_start == utc(2024, 3, 31, 7, 30)  # 9:30 CEST

    link = slot(config, "link", "plenaria-chiusura")
    assert link.due_at == utc(2024, 3, 31, 10, 5)  # 12:05 CEST
    assert offset_hours(link.due_at) == 2

    thanks = slot(config, "grazie")
    assert thanks.due_at == utc(2024, 3, 31, 11, 30)
    assert thanks.expires_at == local(APR2, 13, 30)


def test_day_before_is_the_same_clock_time_across_the_change(
    bundled_data: dict[str, Any],
) -> None:
    """``-1d`` is "the day before at the same clock time", not 24 elapsed hours."""
    config = changed(
        bundled_data,
        on(OCT27, added_rule(when={"offset": "-1d"}, valid_for="1h")),
    )
    rule = slot(config, "prova")
    assert rule.due_at.astimezone(ROME).replace(tzinfo=None) == dt.datetime(2024, 10, 26, 9, 15)
    assert rule.due_at == utc(2024, 10, 26, 7, 15)  # 25 real hours before 9:15 CET
    assert rule.expires_at == utc(2024, 10, 26, 8, 15)


def test_negative_minutes_offset_from_an_item(bundled_data: dict[str, Any]) -> None:
    config = changed(
        bundled_data,
        on(OCT27, added_rule(when={"relative_to": "item:sessione-1", "offset": "-15m"})),
    )
    rule = slot(config, "prova")
    assert rule.anchor == "sessione-1"
    assert rule.due_at == local(OCT27, 9, 55) == utc(2024, 10, 27, 8, 55)
    assert rule.expires_at == local(OCT27, 10, 10)  # until_start of the anchor item
    assert (rule.session_start, rule.session_end) == (local(OCT27, 10, 10), local(OCT27, 10, 30))


def test_absolute_time(bundled_data: dict[str, Any]) -> None:
    """``at:`` is a local time (or carries its own offset); by default valid until the start."""
    config = changed(
        bundled_data,
        on(
            OCT27,
            added_rule(when={"at": dt.datetime(2024, 10, 26, 12, 0)}),
            lambda data: rules(data).append(
                {
                    "id": "assoluto-utc",
                    "when": {"at": "2024-10-27T05:00:00+00:00"},
                    "valid_for": "2h",
                    "text": "Buongiorno {name}",
                }
            ),
        ),
    )
    rule = slot(config, "prova")
    assert rule.due_at == utc(2024, 10, 26, 10, 0)  # 12:00 CEST
    assert rule.anchor == ""
    assert rule.session is None
    # about the event: until its start, and {time} is the event's start
    assert rule.expires_at == rule.session_start == local(OCT27, 9, 15)
    assert rule.session_end == local(OCT27, 13)
    early = slot(config, "assoluto-utc")
    assert early.due_at == utc(2024, 10, 27, 5, 0)
    assert early.due_at.astimezone(ROME).time() == dt.time(6, 0)  # CET
    assert early.expires_at == utc(2024, 10, 27, 7, 0)


def test_absolute_time_after_the_start_needs_a_duration(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, on(OCT27, added_rule(when={"at": "2024-10-27 14:00"})))
    error = only_error(errors, "events[copianificazione-2023].reminders[prova].valid_for")
    assert "until_start ends before the reminder is due (27/10 14:00)" in error
    config = changed(
        bundled_data, on(OCT27, added_rule(when={"at": "2024-10-27 14:00"}, valid_for="1d"))
    )
    assert slot(config, "prova").expires_at == local(dt.date(2024, 10, 28), 14)


@pytest.mark.parametrize(
    ("when", "valid_for", "due", "expires"),
    [
        ({"relative_to": "item:sessione-1", "offset": "-5m"}, "until_start", (10, 5), (10, 10)),
        ({"relative_to": "item:sessione-1", "offset": "-5m"}, "until_end", (10, 5), (10, 30)),
        ({"relative_to": "item:sessione-1", "offset": "-5m"}, "20m", (10, 5), (10, 25)),
        ({"relative_to": "item:sessione-1", "offset": "-5m"}, "1h30m", (10, 5), (11, 35)),
        ({"relative_to": "item:sessione-1", "offset": "-5m"}, 90, (10, 5), (11, 35)),
        ({"offset": "-45m"}, "until_start", (8, 30), (9, 15)),  # event start
        ({"offset": "-45m"}, "until_end", (8, 30), (13, 0)),  # event end
        ({"relative_to": "event_end", "offset": "-10m"}, "until_end", (12, 50), (13, 0)),
        ({"relative_to": "each:hybrid_block", "offset": "-15m"}, "until_end", (9, 15), (10, 0)),
    ],
)
def test_valid_for(
    bundled_data: dict[str, Any],
    when: dict[str, Any],
    valid_for: object,
    due: tuple[int, int],
    expires: tuple[int, int],
) -> None:
    config = changed(bundled_data, on(OCT27, added_rule(when=when, valid_for=valid_for)))
    first = next(s for s in slots_of(config) if s.rule.id == "prova")
    assert first.due_at == local(OCT27, *due)
    assert first.expires_at == local(OCT27, *expires)


def test_about_sets_the_session_and_its_window(bundled_data: dict[str, Any]) -> None:
    config = changed(
        bundled_data,
        added_rule(
            when={"relative_to": "item:sessione-2b", "offset": "-1h"},
            about="plenaria-chiusura",
            valid_for="until_end",
        ),
    )
    rule = slot(config, "prova")
    assert rule.anchor == "plenaria-chiusura"
    assert rule.due_at == local(DEC5, 10, 25)  # still from the anchor item
    assert rule.session is not None and rule.session.id == "plenaria-chiusura"
    assert (rule.session_start, rule.expires_at) == (local(DEC5, 12, 20), local(DEC5, 13))


def test_each_selector_repeats_the_rule(bundled_data: dict[str, Any]) -> None:
    config = changed(
        bundled_data, added_rule(when={"relative_to": "each:table_session", "offset": "-5m"})
    )
    found = [(s.anchor, s.due_at, s.expires_at) for s in slots_of(config) if s.rule.id == "prova"]
    assert found == [
        ("sessione-1", local(DEC5, 10, 5), local(DEC5, 10, 10)),
        ("sessione-2a", local(DEC5, 10, 25), local(DEC5, 10, 30)),
        ("sessione-2b", local(DEC5, 11, 20), local(DEC5, 11, 25)),
    ]


# --- select_items ------------------------------------------------------------------------


def test_selectors_on_the_bundled_agenda(config: EventConfig) -> None:
    event = config.events[CO_PLANNING]
    assert select_items(event, "hybrid_block") == [[1, 2], [9]]
    assert select_items(event, "hybrid") == [[1], [2], [9]]
    assert select_items(event, "plenary") == [[1], [2], [9]]
    assert select_items(event, "hybrid_plenary") == [[1], [2], [9]]
    assert select_items(event, "table_session") == [[4], [5], [7]]
    assert select_items(event, "break") == [[6], [8]]
    assert select_items(event, "arrival") == [[0]]
    launch = config.events[LAUNCH]
    assert select_items(launch, "hybrid_block") == [[0]]
    assert select_items(launch, "break") == []
    assert select_items(launch, "arrival") == []


def test_hybrid_block_merges_only_back_to_back_hybrid_items(
    bundled_data: dict[str, Any],
) -> None:
    def hybrid_tables_and_gap(data: dict[str, Any]) -> None:
        agenda = data["events"][CO_PLANNING]["agenda"]
        agenda[4]["hybrid"] = True  # sessione-1: after the (in person) move to the tables
        agenda[5]["hybrid"] = True  # sessione-2a: right after sessione-1
        agenda[6]["hybrid"] = True  # pausa-1
        agenda[7]["start"] = "11:30"  # sessione-2b hybrid, 5 minutes after pausa-1
        agenda[7]["hybrid"] = True

    config = changed(bundled_data, hybrid_tables_and_gap)
    event = config.events[CO_PLANNING]
    assert select_items(event, "hybrid_block") == [[1, 2], [4, 5, 6], [7], [9]]
    assert select_items(event, "hybrid") == [[1], [2], [4], [5], [6], [7], [9]]
    assert select_items(event, "hybrid_plenary") == [[1], [2], [9]]
    assert select_items(event, "table_session") == [[4], [5], [7]]
    sessions = hybrid_sessions(config, event)
    assert [(s.anchor, s.start, s.end) for s in sessions] == [
        ("plenaria-apertura", local(DEC5, 9, 30), local(DEC5, 10)),
        ("sessione-1", local(DEC5, 10, 10), local(DEC5, 11, 25)),
        ("sessione-2b", local(DEC5, 11, 30), local(DEC5, 12, 10)),
        ("plenaria-chiusura", local(DEC5, 12, 20), local(DEC5, 13)),
    ]
    links = [(s.anchor, s.due_at) for s in slots_of(config) if s.rule.id == "link"]
    assert links == [
        ("plenaria-apertura", local(DEC5, 9, 15)),
        ("sessione-1", local(DEC5, 9, 55)),
        ("sessione-2b", local(DEC5, 11, 15)),
        ("plenaria-chiusura", local(DEC5, 12, 5)),
    ]


def test_a_hybrid_plenary_not_hybrid_is_not_selected(bundled_data: dict[str, Any]) -> None:
    config = changed(
        bundled_data,
        lambda data: data["events"][CO_PLANNING]["agenda"][2].update(hybrid=False),
    )
    event = config.events[CO_PLANNING]
    assert select_items(event, "hybrid_block") == [[1], [9]]
    assert select_items(event, "plenary") == [[1], [2], [9]]
    assert select_items(event, "hybrid_plenary") == [[1], [9]]
    link = slot(config, "link", "plenaria-apertura")
    assert link.session_end == local(DEC5, 9, 40)


# --- validation --------------------------------------------------------------------------


def test_unknown_anchor_item(bundled_data: dict[str, Any]) -> None:
    errors = broken(
        bundled_data, lambda d: rules(d)[VIGILIA_ONLINE]["when"].update(relative_to="item:nope")
    )
    error = only_error(
        errors, "events[copianificazione-2023].reminders[vigilia-online].when.relative_to"
    )
    assert "unknown agenda item 'item:nope'" in error
    assert "plenaria-apertura" in error  # lists the known ids


def test_unknown_each_selector(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: rules(d)[LINK]["when"].update(relative_to="each:nope"))
    error = only_error(errors, "events[copianificazione-2023].reminders[link].when.relative_to")
    assert "unknown anchor 'each:nope'" in error
    assert "each:<hybrid_block|" in error


def test_unknown_anchor_kind(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: rules(d)[LINK]["when"].update(relative_to="lunch"))
    assert "unknown anchor 'lunch'" in only_error(
        errors, "events[copianificazione-2023].reminders[link].when.relative_to"
    )


def test_unknown_about(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: rules(d)[LINK_CHIUSURA].update(about="nope"))
    error = only_error(errors, "events[copianificazione-2023].reminders[link-chiusura].about")
    assert "unknown agenda item 'nope'" in error


def test_link_rule_must_be_for_online(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: rules(d)[LINK].update(audience="everyone"))
    error = only_error(errors, "events[copianificazione-2023].reminders[link].audience")
    assert "online link must be for audience: online" in error


def test_online_audience_needs_online_attendance(bundled_data: dict[str, Any]) -> None:
    def in_person_only(data: dict[str, Any]) -> None:
        event = data["events"][LAUNCH]
        event["modes"] = ["in_person"]
        event["reminders"] = [r for r in event["reminders"] if r["id"] != "link"]

    errors = broken(bundled_data, in_person_only)
    error = only_error(
        errors, "events[lancio-2023].reminders[vigilia-online].audience"
    )  # vigilia-online
    assert "the event has no online attendance" in error


def test_unknown_zone_in_a_rule(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: rules(d)[VIGILIA_PRESENZA].update(zones=[5, 12]))
    error = only_error(errors, "events[copianificazione-2023].reminders[vigilia-presenza].zones")
    assert "unknown zone 12 (zones: 1, 2, 3" in error


def test_unknown_venue_in_a_rule(bundled_data: dict[str, Any]) -> None:
    errors = broken(
        bundled_data, lambda d: rules(d)[VIGILIA_PRESENZA].update(venues=["cirie", "nowhere"])
    )
    error = only_error(errors, "events[copianificazione-2023].reminders[vigilia-presenza].venues")
    assert "unknown venue 'nowhere' (venues: cmt-auditorium" in error


def test_unknown_placeholder(bundled_data: dict[str, Any]) -> None:
    errors = broken(
        bundled_data, lambda d: rules(d)[VIGILIA_PRESENZA]["text"].update(it="Ciao {nome}!")
    )
    error = only_error(errors, "events[copianificazione-2023].reminders[vigilia-presenza].text.it")
    assert "unknown placeholder(s) {nome}" in error
    assert "{name}" in error  # lists the known ones


def test_unknown_placeholder_in_a_single_language_text(bundled_data: dict[str, Any]) -> None:
    """A plain string is the Italian text: one error, not a second one for a missing en."""
    errors = broken(
        bundled_data, lambda d: rules(d)[VIGILIA_PRESENZA].update(text="Ciao {nome}, {evento}")
    )
    error = only_error(errors, "events[copianificazione-2023].reminders[vigilia-presenza].text.it")
    assert "unknown placeholder(s) {evento}, {nome}" in error


def test_link_text_without_link(bundled_data: dict[str, Any]) -> None:
    errors = broken(
        bundled_data, lambda d: rules(d)[LINK]["text"].update(en="In 15 minutes: {session}")
    )
    error = only_error(errors, "events[copianificazione-2023].reminders[link].text.en")
    assert "must contain {link}" in error


def test_duplicate_rule_id(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: rules(d)[GRAZIE].update(id="link"))
    error = only_error(errors, "events[copianificazione-2023].reminders[#7].id")
    assert "the id 'link' is already used by reminders[#5]" in error


def test_the_same_rule_id_in_two_events_is_fine(config: EventConfig) -> None:
    ids = [{rule.id for rule in event.reminders} for event in config.events]
    assert "link" in ids[0] and "link" in ids[1]


@pytest.mark.parametrize(
    ("index", "valid_for", "due"),
    [
        (GRAZIE, "until_start", "05/12 13:30"),  # event_end + 30m is after the event end
        (GRAZIE, "until_end", "05/12 13:30"),
        (VIGILIA_PRESENZA, "0m", "04/12 18:00"),
        (VIGILIA_PRESENZA, "-1h", "04/12 18:00"),
        (LINK, "until_end", None),  # fine: 9:15 until 10:00
    ],
)
def test_valid_for_ending_before_the_due_time(
    bundled_data: dict[str, Any], index: int, valid_for: str, due: str | None
) -> None:
    def mutate(data: dict[str, Any]) -> None:
        rules(data)[index]["valid_for"] = valid_for

    if due is None:
        changed(bundled_data, mutate)
        return
    error = only_error(
        broken(bundled_data, mutate),
        f"events[copianificazione-2023].reminders[{RULE_IDS[index]}].valid_for",
    )
    assert f"{valid_for} ends before the reminder is due ({due})" in error
    assert error.endswith("it would never be sent")


def test_rule_matching_no_item(bundled_data: dict[str, Any]) -> None:
    errors = broken(
        bundled_data,
        lambda d: rules(d, LAUNCH).append(
            {"id": "pausa", "when": {"relative_to": "each:break"}, "text": "Pausa!"}
        ),
    )
    error = only_error(errors, "events[lancio-2023].reminders[pausa].when")
    assert "each:break matches no agenda item" in error


@pytest.mark.parametrize("field", ["offset", "valid_for"])
def test_bad_duration(bundled_data: dict[str, Any], field: str) -> None:
    def mutate(data: dict[str, Any]) -> None:
        if field == "offset":
            rules(data)[LINK]["when"]["offset"] = "-15x"
        else:
            rules(data)[LINK]["valid_for"] = "-15x"

    path = "events[copianificazione-2023].reminders[link]." + (
        "when.offset" if field == "offset" else "valid_for"
    )
    error = only_error(broken(bundled_data, mutate), path)
    assert "'-15x' is not a duration" in error


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("http://meet.example.org/psm", "must be a https:// address"),
        ("https://meet.example.org/psm 5 dicembre", "no spaces"),
        ("https://meet.example.org/" + "a" * 500, "longer than 512 characters"),
        ("https://localhost/psm", "with a host name"),
        ("meet.example.org/psm", "must be a https:// address"),
    ],
)
def test_bad_online_link(bundled_data: dict[str, Any], link: str, problem: str) -> None:
    on_event = broken(bundled_data, lambda d: d["events"][LAUNCH].update(online_link=link))
    assert problem in only_error(on_event, "events[lancio-2023].online_link")
    on_item = broken(
        bundled_data, lambda d: d["events"][CO_PLANNING]["agenda"][9].update(online_link=link)
    )
    assert problem in only_error(
        on_item, "events[copianificazione-2023].agenda[plenaria-chiusura].online_link"
    )
    with pytest.raises(ValueError, match=problem.replace("/", ".")):
        check_link(link)


def test_good_online_links(bundled_data: dict[str, Any]) -> None:
    longest = "https://meet.example.org/" + "a" * (512 - len("https://meet.example.org/"))
    assert check_link(f"  {longest} ") == longest
    assert check_link("https://meet.example.org:8443/j/123?pwd=x#y") == (
        "https://meet.example.org:8443/j/123?pwd=x#y"
    )
    config = changed(
        bundled_data,
        lambda d: d["events"][CO_PLANNING]["agenda"][9].update(online_link=longest),
    )
    assert config.events[CO_PLANNING].agenda[9].online_link == longest


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Ciao {name", "expected '}' before end of string"),
        ("Ciao name}", "Single '}' encountered"),
        ("Ciao {name}{", "Single '{' encountered"),
    ],
)
def test_broken_brace(bundled_data: dict[str, Any], text: str, problem: str) -> None:
    errors = broken(bundled_data, lambda d: rules(d)[GRAZIE]["text"].update(en=text))
    error = only_error(errors, "events[copianificazione-2023].reminders[grazie].text.en")
    assert problem in error
    assert error.endswith("(write {{ and }} for braces)")


def test_doubled_braces_are_literal(bundled_data: dict[str, Any]) -> None:
    config = changed(
        bundled_data, lambda d: rules(d)[GRAZIE]["text"].update(en="Thanks {{{name}}}")
    )
    assert config.events[CO_PLANNING].reminders[GRAZIE].text.get("en") == "Thanks {{{name}}}"


def test_every_problem_is_reported(bundled_data: dict[str, Any]) -> None:
    def mutate(data: dict[str, Any]) -> None:
        rules(data)[VIGILIA_PRESENZA]["zones"] = [99]
        rules(data)[LINK]["audience"] = "in_person"
        rules(data)[GRAZIE]["id"] = "vigilia-presenza"

    errors = broken(bundled_data, mutate)
    assert [error.split(": ")[0] for error in errors] == [
        "events[copianificazione-2023].reminders[#1].zones",  # two rules are vigilia-presenza
        "events[copianificazione-2023].reminders[link].audience",
        "events[copianificazione-2023].reminders[#7].id",
    ]


# --- parse_duration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-15m", dt.timedelta(minutes=-15)),
        ("15m", dt.timedelta(minutes=15)),
        ("1d", dt.timedelta(days=1)),
        ("-1d", dt.timedelta(days=-1)),
        ("+2h30m", dt.timedelta(hours=2, minutes=30)),
        ("2h 30m", dt.timedelta(hours=2, minutes=30)),
        ("- 1d 2h", -dt.timedelta(days=1, hours=2)),
        ("90s", dt.timedelta(seconds=90)),
        ("0m", dt.timedelta(0)),
        (90, dt.timedelta(minutes=90)),
        (-30, dt.timedelta(minutes=-30)),
        (0, dt.timedelta(0)),
        (dt.timedelta(hours=3), dt.timedelta(hours=3)),
    ],
)
def test_parse_duration(value: object, expected: dt.timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize(
    "value", ["-15x", "", "15", "m", "1.5h", "h1", "1d-2h", "--1d", "domani", 1.5, True, None]
)
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(value)


def test_valid_duration() -> None:
    def rule(valid_for: object) -> Reminder:
        return Reminder.model_validate({"id": "r", "when": {}, "text": "x", "valid_for": valid_for})

    assert rule("until_start").valid_duration() is None
    assert rule("until_end").valid_duration() is None
    assert rule("6h").valid_duration() == dt.timedelta(hours=6)
    assert rule(90).valid_duration() == dt.timedelta(minutes=90)
    assert rule(90).valid_for == "90m"
    with pytest.raises(ValueError, match="is not a duration"):
        rule("until_later")


# --- applies -----------------------------------------------------------------------------

NOW = dt.datetime(2023, 11, 20, 9, 0, tzinfo=UTC)


def registration(
    mode: str = "in_person",
    zone: int = 7,
    venue: str | None = "cirie",
    status: Status = Status.CONFIRMED,
) -> Registration:
    return Registration(
        id=1,
        event_id="copianificazione-2023",
        user_id=1001,
        display_name="Anna",
        zone=zone,
        mode=mode,
        venue_id=venue if mode == "in_person" else None,
        organisation=None,
        category=None,
        status=status,
        language="it",
        created_at=NOW,
        updated_at=NOW,
    )


def make_rule(**fields: Any) -> Reminder:
    return Reminder.model_validate({"id": "r", "when": {}, "text": "Ciao {name}", **fields})


ANNA = registration()  # in person, zone 7, Ciriè
BRUNO = registration(zone=5, venue="pinerolo")  # in person, zone 5, Pinerolo
CARLA = registration(mode="online", zone=7)  # online, zone 7
DARIO = registration(mode="online", zone=1)  # online, zone 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, [True, True, True, True]),
        ({"audience": "everyone"}, [True, True, True, True]),
        ({"audience": "in_person"}, [True, True, False, False]),
        ({"audience": "online"}, [False, False, True, True]),
        ({"zones": [7]}, [True, False, True, False]),
        ({"zones": [1, 5]}, [False, True, False, True]),
        ({"audience": "online", "zones": [7]}, [False, False, True, False]),
        ({"audience": "in_person", "zones": [1]}, [False, False, False, False]),
        ({"venues": ["pinerolo"]}, [False, True, False, False]),  # online: no venue
        ({"venues": ["cirie", "pinerolo"]}, [True, True, False, False]),
        ({"venues": ["cirie"], "zones": [5]}, [False, False, False, False]),
        ({"venues": ["cirie"], "zones": [7, 5]}, [True, False, False, False]),
    ],
)
def test_applies(fields: dict[str, Any], expected: list[bool]) -> None:
    rule = make_rule(**fields)
    assert [applies(rule, r) for r in (ANNA, BRUNO, CARLA, DARIO)] == expected


def test_applies_ignores_the_status() -> None:
    """Whether a rule is meant for someone; waiting lists are handled when sending."""
    waitlisted = registration(status=Status.WAITLISTED)
    assert applies(make_rule(audience="in_person"), waitlisted)
    assert not applies(make_rule(audience="online"), waitlisted)


def test_applies_to_the_bundled_rules(config: EventConfig) -> None:
    event = config.events[CO_PLANNING]
    meant = {
        rule.id: [applies(rule, r) for r in (ANNA, CARLA)] for rule in event.reminders
    }  # in person, online
    assert meant == {
        "vigilia-presenza": [True, False],
        "vigilia-online": [False, True],
        "mattina-presenza": [True, False],
        "mattina-online": [False, True],
        "link": [False, True],
        "link-chiusura": [False, True],
        "grazie": [True, True],
    }
