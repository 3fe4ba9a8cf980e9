"""The event file's question windows: defaults, one per axis, and what check-config refuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.questions.policy import initial_status, next_window, open_window, shown_name
from config.event import Moderation
from storage.questions import QuestionStatus
from tests.harness import broken, config_from, only_error

ROME = dt.timezone(dt.timedelta(hours=1))  # December in Turin


def test_default_one_window_per_hybrid_plenary(bundled_data: dict[str, Any]) -> None:
    config = config_from(bundled_data)
    event = config.event("copianificazione-2023")
    slots = config.question_windows(event)
    assert [(s.id, s.start.time(), s.end.time()) for s in slots] == [
        ("plenaria-apertura", dt.time(9, 30), dt.time(9, 40)),
        ("strategie", dt.time(9, 40), dt.time(10, 0)),
        ("plenaria-chiusura", dt.time(12, 20), dt.time(13, 0)),
    ]
    at_945 = dt.datetime(2023, 12, 5, 9, 45, tzinfo=ROME)
    now = open_window(config, event, at_945)
    assert now is not None and now.id == "strategie" and now.axis is None
    later = next_window(config, event, at_945)
    assert later is not None and later.id == "plenaria-chiusura"
    assert open_window(config, event, dt.datetime(2023, 12, 5, 11, 0, tzinfo=ROME)) is None
    assert next_window(config, event, dt.datetime(2023, 12, 5, 13, 0, tzinfo=ROME)) is None


def test_one_window_per_axis_on_27_september(bundled_data: dict[str, Any]) -> None:
    config = config_from(bundled_data)
    event = config.event("lancio-2023")
    slots = config.question_windows(event)
    assert [s.id for s in slots] == [
        "indirizzi",
        *(f"asse-{n}" for n in range(1, 7)),
        "discussione",
    ]
    third = slots[3]
    assert third.axis is not None and third.axis.id == "3"
    assert third.title.get("it") == third.axis.title.get("it")
    assert slots[-1].end.time() == dt.time(18, 30)  # the item's end by default


def test_disabled_and_moderation(bundled_data: dict[str, Any]) -> None:
    bundled_data["events"][1]["questions"] = {"enabled": False}
    config = config_from(bundled_data)
    assert config.question_windows(config.event("copianificazione-2023")) == []
    event = config.event("lancio-2023")
    assert event.questions.moderation is Moderation.AUTO
    assert initial_status(event, named=False) is QuestionStatus.PENDING
    assert initial_status(event, named=True) is QuestionStatus.PUBLISHED
    pre = event.model_copy(
        update={"questions": event.questions.model_copy(update={"moderation": Moderation.PRE})}
    )
    assert initial_status(pre, named=True) is QuestionStatus.PENDING
    assert shown_name("  Maria   Rossi ") == "Maria Rossi" and shown_name(" ") is None


def test_check_config_refuses_bad_windows(bundled_data: dict[str, Any]) -> None:
    def window(**fields: object) -> Any:
        def mutate(data: dict[str, Any]) -> None:
            data["events"][0]["questions"]["windows"][1].update(fields)

        return mutate

    errors = broken(bundled_data, window(item="nowhere"))
    assert "nowhere" in only_error(errors, "events[lancio-2023].questions.windows[asse-1].item")
    errors = broken(bundled_data, window(axis="9"))
    assert "'9'" in only_error(errors, "events[lancio-2023].questions.windows[asse-1].axis")
    errors = broken(bundled_data, window(start="15:00"))
    assert "asse-1" in only_error(errors, "events[lancio-2023].questions.windows[asse-1]")
    errors = broken(bundled_data, window(id="indirizzi"))
    assert "indirizzi" in only_error(errors, "events[lancio-2023].questions.windows[indirizzi]")
