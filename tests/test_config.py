"""Tests for the event configuration (config/event/, default_event.yaml) and the settings."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from config.event import (
    AgendaKind,
    AttendanceMode,
    EventConfig,
    EventConfigError,
    bundled_event_file,
    load_event_config,
    parse_event_config,
)
from config.settings import MissingTokenError, Settings, load_settings
from tests.harness import broken, clean_environment, config_from, only_error

ROME = ZoneInfo("Europe/Rome")
UTC = dt.UTC

EXPECTED_VENUES = {
    1: "cmt",
    2: "cmt",
    3: "cmt",
    4: "cmt",
    5: "pinerolo",
    6: "condove",
    7: "cirie",
    8: "cirie",
    9: "strambino",
    10: "strambino",
    11: "riva",
}

CO_PLANNING_AGENDA = [
    ("accesso", "09:15", "09:30", AgendaKind.ARRIVAL, False),
    ("plenaria-apertura", "09:30", "09:40", AgendaKind.PLENARY, True),
    ("strategie", "09:40", "10:00", AgendaKind.PLENARY, True),
    ("spostamento", "10:00", "10:10", AgendaKind.TRANSFER, False),
    ("sessione-1", "10:10", "10:30", AgendaKind.TABLE_SESSION, False),
    ("sessione-2a", "10:30", "11:20", AgendaKind.TABLE_SESSION, False),
    ("pausa-1", "11:20", "11:25", AgendaKind.BREAK, False),
    ("sessione-2b", "11:25", "12:10", AgendaKind.TABLE_SESSION, False),
    ("pausa-2", "12:10", "12:20", AgendaKind.BREAK, False),
    ("plenaria-chiusura", "12:20", "13:00", AgendaKind.PLENARY, True),
]


@pytest.fixture(scope="module")
def config() -> EventConfig:
    return load_event_config()


@pytest.fixture(scope="module")
def bundled_text() -> str:
    return bundled_event_file().read_text(encoding="utf-8")


def hm(value: dt.time) -> str:
    return value.strftime("%H:%M")


# --- the bundled file ---------------------------------------------------------------------


def test_bundled_file_loads(config: EventConfig) -> None:
    assert config.process.timezone == "Europe/Rome"
    assert config.tz == ROME
    assert [event.id for event in config.events] == ["lancio-2023", "copianificazione-2023"]


def test_launch_event(config: EventConfig) -> None:
    event = config.event("lancio-2023")
    assert event.date == dt.date(2023, 9, 27)
    assert event.modes == [AttendanceMode.IN_PERSON, AttendanceMode.ONLINE]
    assert event.venue == "cmt-auditorium"
    assert not event.tables_by_zone
    assert hm(event.agenda[0].start) == "16:00"
    assert hm(event.agenda[-1].end) == "18:30"
    assert config.starts_at(event) == dt.datetime(2023, 9, 27, 16, 0, tzinfo=ROME)
    assert config.ends_at(event) == dt.datetime(2023, 9, 27, 18, 30, tzinfo=ROME)
    # everyone in person is at the auditorium, whatever their zone
    assert {config.venue_for(event, zone).id for zone in EXPECTED_VENUES} == {"cmt-auditorium"}


def test_co_planning_event_agenda(config: EventConfig) -> None:
    event = config.event("copianificazione-2023")
    assert event.date == dt.date(2023, 12, 5)
    assert event.venue is None
    assert event.tables_by_zone
    assert len(event.agenda) == 10
    actual = [
        (item.id, hm(item.start), hm(item.end), item.kind, item.hybrid) for item in event.agenda
    ]
    assert actual == CO_PLANNING_AGENDA
    assert [event.item_id(i) for i in range(10)] == [row[0] for row in CO_PLANNING_AGENDA]


def test_zones_and_venue_mapping(config: EventConfig) -> None:
    assert len(config.zones) == 11
    assert [zone.number for zone in config.zones] == list(range(1, 12))
    assert {zone.number: zone.venue for zone in config.zones} == EXPECTED_VENUES
    event = config.event("copianificazione-2023")
    for zone, venue in EXPECTED_VENUES.items():
        assert config.venue_for(event, zone).id == venue
    assert config.has_zone(11)
    assert not config.has_zone(12)
    with pytest.raises(KeyError):
        config.zone(12)


def test_axes(config: EventConfig) -> None:
    assert [axis.id for axis in config.axes] == ["1", "2", "3", "4", "5", "6"]
    assert config.axes[5].title.get("it") == "Salute"
    assert config.axes[5].title.get("en") == "Health"
    # no strategies listed: each axis is itself a poll item
    assert config.poll_items() == [(axis, None) for axis in config.axes]


def test_coordinates_only_for_cirie_and_strambino(config: EventConfig) -> None:
    with_pin = {venue.id for venue in config.venues if venue.has_coordinates}
    assert with_pin == {"cirie", "strambino"}
    for venue in config.venues:
        if venue.id not in with_pin:
            assert venue.latitude is None and venue.longitude is None


def test_hybrid_items_are_the_plenaries(config: EventConfig) -> None:
    for event in config.events:
        for item in event.agenda:
            assert item.hybrid == (item.kind is AgendaKind.PLENARY), (event.id, item.id)


def test_every_zone_venue_exists(config: EventConfig) -> None:
    venue_ids = {venue.id for venue in config.venues}
    assert {zone.venue for zone in config.zones} <= venue_ids


# --- parse_event_config errors ------------------------------------------------------------


def test_unknown_zone_venue(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["zones"][4].update(venue="nowhere"))
    line = only_error(errors, "zones[5].venue")
    assert "'nowhere'" in line


def test_end_before_start(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["events"][1]["agenda"][3].update(end="9:50"))
    line = only_error(errors, "events[copianificazione-2023].agenda[spostamento].end")
    assert "the end 9:50 is not after the start 10:00" in line


def test_end_equal_to_start(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["events"][0]["agenda"][0].update(end="16:00"))
    only_error(errors, "events[lancio-2023].agenda[plenaria].end")


def test_overlapping_agenda_items(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["events"][1]["agenda"][2].update(start="9:35"))
    line = only_error(errors, "events[copianificazione-2023].agenda[strategie].start")
    assert "overlaps" in line and "9:40" in line


def test_duplicate_zone_number(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["zones"][5].update(number=5))
    line = only_error(errors, "zones[#6].number")
    assert "zone 5 is defined twice" in line


def test_unknown_time_zone(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["process"].update(timezone="Europe/Torino"))
    line = only_error(errors, "process.timezone")
    assert "Europe/Torino" in line


def test_unknown_field(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["venues"][2].update(capacty=40))
    line = only_error(errors, "venues[pinerolo].capacty")
    assert "unknown field" in line


def test_missing_required_field(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["events"][0].pop("date"))
    line = only_error(errors, "events[lancio-2023].date")
    assert "missing" in line


def test_invalid_yaml_names_the_line() -> None:
    text = "process:\n  name: x\n venues: [\n"
    with pytest.raises(EventConfigError) as info:
        parse_event_config(text, "bad.yaml")
    assert len(info.value.errors) == 1
    assert info.value.errors[0].startswith("line 3, ")
    assert "not valid YAML" in info.value.errors[0]


def test_invalid_yaml_in_the_bundled_text(bundled_text: str) -> None:
    lines = bundled_text.splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("zones:")) + 2
    lines[number - 1] = "  - {number: 1, name: Torino Città, venue: cmt"  # unclosed flow map
    with pytest.raises(EventConfigError) as info:
        parse_event_config("\n".join(lines) + "\n")
    (error,) = info.value.errors
    assert error.startswith("line ")
    reported = int(error.split(",")[0].removeprefix("line "))
    assert number <= reported <= number + 1


def test_not_a_mapping() -> None:
    with pytest.raises(EventConfigError) as info:
        parse_event_config("- just\n- a list\n")
    assert "mapping" in info.value.errors[0]


def test_unknown_event_venue(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["events"][0].update(venue="nowhere"))
    line = only_error(errors, "events[lancio-2023].venue")
    assert "'nowhere'" in line


def test_duplicate_event_id(bundled_data: dict[str, Any]) -> None:
    errors = broken(bundled_data, lambda d: d["events"][1].update(id="lancio-2023"))
    line = only_error(errors, "events[#2].id")
    assert "lancio-2023" in line


def test_online_mode_needs_a_hybrid_item(bundled_data: dict[str, Any]) -> None:
    def no_hybrid(data: dict[str, Any]) -> None:
        for item in data["events"][0]["agenda"]:
            item["hybrid"] = False

    errors = broken(bundled_data, no_hybrid)
    line = only_error(errors, "events[lancio-2023].modes")
    assert "hybrid" in line


def test_all_semantic_errors_are_reported(bundled_data: dict[str, Any]) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["zones"][4]["venue"] = "nowhere"
        data["zones"][5]["number"] = 5
        data["events"][0]["venue"] = "elsewhere"
        data["events"][1]["agenda"][3]["end"] = "9:50"
        data["events"][1]["agenda"][2]["start"] = "9:35"

    errors = broken(bundled_data, mutate)
    fields = [error.split(": ")[0] for error in errors]
    assert sorted(fields) == sorted(
        [
            "zones[#5].venue",  # two zones are number 5: named by position
            "zones[#6].number",
            "events[lancio-2023].venue",
            "events[copianificazione-2023].agenda[spostamento].end",
            "events[copianificazione-2023].agenda[strategie].start",
        ]
    )


def test_all_shape_errors_are_reported(bundled_data: dict[str, Any]) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["process"]["timezone"] = "Mars/Base"
        data["venues"][2]["capacty"] = 40
        data["events"][0].pop("date")
        data["events"][1]["agenda"][0]["kind"] = "party"

    errors = broken(bundled_data, mutate)
    fields = [error.split(": ")[0] for error in errors]
    assert sorted(fields) == sorted(
        [
            "process.timezone",
            "venues[pinerolo].capacty",
            "events[lancio-2023].date",
            "events[copianificazione-2023].agenda[accesso].kind",
        ]
    )


def test_load_event_config_reports_the_file(tmp_path: Path, bundled_data: dict[str, Any]) -> None:
    bundled_data["zones"][0]["venue"] = "nowhere"
    path = tmp_path / "event.yaml"
    path.write_text(yaml.safe_dump(bundled_data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(EventConfigError) as info:
        load_event_config(path)
    assert info.value.lines()[0].startswith(f"{path}: zones[1].venue: sede sconosciuta ")


def test_load_event_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EventConfigError) as info:
        load_event_config(tmp_path / "missing.yaml")
    assert "cannot read" in info.value.errors[0]


# --- times, registration windows, agendas -------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # well before both events
        (dt.datetime(2023, 9, 1, 12, 0, tzinfo=ROME), ["lancio-2023", "copianificazione-2023"]),
        # during the launch (registration closes at its end by default)
        (dt.datetime(2023, 9, 27, 17, 0, tzinfo=ROME), ["lancio-2023", "copianificazione-2023"]),
        (dt.datetime(2023, 9, 27, 16, 29, tzinfo=UTC), ["lancio-2023", "copianificazione-2023"]),
        # 18:30 in Rome is 16:30 UTC: the launch has just ended
        (dt.datetime(2023, 9, 27, 16, 30, tzinfo=UTC), ["copianificazione-2023"]),
        # during the co-planning day; 13:00 CET is 12:00 UTC
        (dt.datetime(2023, 12, 5, 11, 59, tzinfo=UTC), ["copianificazione-2023"]),
        (dt.datetime(2023, 12, 5, 12, 0, tzinfo=UTC), []),
        (dt.datetime(2024, 1, 1, tzinfo=UTC), []),
    ],
)
def test_open_events(config: EventConfig, now: dt.datetime, expected: list[str]) -> None:
    assert [event.id for event in config.open_events(now)] == expected


def test_open_events_sorted_soonest_first(bundled_data: dict[str, Any]) -> None:
    bundled_data["events"].reverse()
    config = config_from(bundled_data)
    now = dt.datetime(2023, 9, 1, tzinfo=UTC)
    assert [event.id for event in config.open_events(now)] == [
        "lancio-2023",
        "copianificazione-2023",
    ]


def test_registration_closes(bundled_data: dict[str, Any]) -> None:
    # a local (naive) date-time in the file is read in the process time zone
    bundled_data["events"][1]["registration_closes"] = dt.datetime(2023, 12, 1, 12, 0)
    config = config_from(bundled_data)
    event = config.event("copianificazione-2023")
    closes = config.registration_closes_at(event)
    assert closes == dt.datetime(2023, 12, 1, 12, 0, tzinfo=ROME)
    assert closes.utcoffset() == dt.timedelta(hours=1)
    before = dt.datetime(2023, 12, 1, 10, 59, tzinfo=UTC)
    after = dt.datetime(2023, 12, 1, 11, 0, tzinfo=UTC)
    assert "copianificazione-2023" in [e.id for e in config.open_events(before)]
    assert "copianificazione-2023" not in [e.id for e in config.open_events(after)]
    # the event itself has not started: only registration is over
    assert after < config.starts_at(event)


def test_registration_closed_by_flag(bundled_data: dict[str, Any]) -> None:
    bundled_data["events"][0]["registration_open"] = False
    config = config_from(bundled_data)
    now = dt.datetime(2023, 9, 1, tzinfo=UTC)
    assert [event.id for event in config.open_events(now)] == ["copianificazione-2023"]


def test_agenda_for_modes(config: EventConfig) -> None:
    event = config.event("copianificazione-2023")
    online = config.agenda_for(event, AttendanceMode.ONLINE)
    assert [item.id for item in online] == ["plenaria-apertura", "strategie", "plenaria-chiusura"]
    assert all(item.hybrid for item in online)
    assert config.agenda_for(event, AttendanceMode.IN_PERSON) == event.agenda
    launch = config.event("lancio-2023")
    assert config.agenda_for(launch, AttendanceMode.ONLINE) == launch.agenda


def test_starts_at_summer_and_winter_time(config: EventConfig) -> None:
    september = config.starts_at(config.event("lancio-2023"))
    assert september.tzinfo == ROME
    assert september.utcoffset() == dt.timedelta(hours=2)  # CEST
    assert september.astimezone(UTC) == dt.datetime(2023, 9, 27, 14, 0, tzinfo=UTC)

    december = config.starts_at(config.event("copianificazione-2023"))
    assert december.tzinfo == ROME
    assert december.utcoffset() == dt.timedelta(hours=1)  # CET
    assert december.astimezone(UTC) == dt.datetime(2023, 12, 5, 8, 15, tzinfo=UTC)

    last = config.event("copianificazione-2023")
    assert config.starts_at(last, 9).astimezone(UTC) == dt.datetime(2023, 12, 5, 11, 20, tzinfo=UTC)
    assert config.ends_at(last).astimezone(UTC) == dt.datetime(2023, 12, 5, 12, 0, tzinfo=UTC)


def test_unquoted_times(bundled_text: str) -> None:
    assert 'start: "9:15"' in bundled_text
    text = (
        bundled_text.replace('start: "9:15"', "start: 9:15")  # YAML 1.1 reads 555
        .replace('end: "9:30"', "end: 09:30")  # a plain string
        .replace('start: "16:00"', "start: 16:00")
    )
    assert yaml.safe_load("t: 9:15")["t"] == 555  # the reason for the special case
    config = parse_event_config(text)
    first = config.event("copianificazione-2023").agenda[0]
    assert first.start == dt.time(9, 15)
    assert first.end == dt.time(9, 30)
    assert config.event("lancio-2023").agenda[0].start == dt.time(16, 0)


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("24:00", "not a time of day"),  # YAML 1.1: the integer 1440
        ("9.15", "not a time of day"),  # YAML: the float 9.15
        ('"09:15Z"', "without a UTC offset"),
        ('"09:15+01:00"', "without a UTC offset"),
        ('"25:00"', "not a time of day"),
    ],
)
def test_times_pydantic_would_misread(bundled_text: str, written: str, problem: str) -> None:
    # a number would be taken as seconds in UTC; an aware time used to crash the checks
    text = bundled_text.replace('end: "18:30"', f"end: {written}")
    assert text != bundled_text
    with pytest.raises(EventConfigError) as info:
        parse_event_config(text)
    line = only_error(info.value.errors, "events[lancio-2023].agenda[plenaria].end")
    assert problem in line


def test_time_with_a_dot(bundled_data: dict[str, Any]) -> None:
    bundled_data["events"][1]["agenda"][0]["start"] = "9.15"
    config = config_from(bundled_data)
    assert config.event("copianificazione-2023").agenda[0].start == dt.time(9, 15)


def test_plain_text_stands_for_every_language(bundled_data: dict[str, Any]) -> None:
    bundled_data["events"][0]["title"] = "Solo italiano"
    config = config_from(bundled_data)
    title = config.event("lancio-2023").title
    assert title.get("it") == "Solo italiano"
    assert title.get("en") == "Solo italiano"


# --- settings -----------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No PSM_* variables, and a working directory without a .env file."""
    clean_environment(monkeypatch, tmp_path)
    return monkeypatch


def test_settings_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.bot_token is None
    assert settings.api_base_url is None
    assert settings.database == Path("psm-bot.sqlite3")
    assert settings.event_file is None
    assert settings.organisers == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1, 2,3", [1, 2, 3]), ("42", [42]), ("", []), ("7;8", [7, 8]), (" 5 , ", [5])],
)
def test_settings_organisers(clean_env: pytest.MonkeyPatch, raw: str, expected: list[int]) -> None:
    clean_env.setenv("PSM_ORGANISERS", raw)
    assert load_settings().organisers == expected


def test_settings_api_base_url_trailing_slash(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSM_API_BASE_URL", "http://127.0.0.1:8081/")
    assert load_settings().api_base_url == "http://127.0.0.1:8081"


def test_settings_paths(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("PSM_DATABASE", str(tmp_path / "db.sqlite3"))
    clean_env.setenv("PSM_EVENT_FILE", "my-event.yaml")
    settings = load_settings()
    assert settings.database == tmp_path / "db.sqlite3"
    assert settings.event_file == Path("my-event.yaml")


def test_token_missing(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingTokenError) as info:
        load_settings().token()
    assert "PSM_BOT_TOKEN" in str(info.value)


def test_token_blank(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PSM_BOT_TOKEN", "   ")
    with pytest.raises(MissingTokenError):
        load_settings().token()


def test_token_is_secret(clean_env: pytest.MonkeyPatch) -> None:
    secret = "123456:ABC-secret-token-value"
    clean_env.setenv("PSM_BOT_TOKEN", f" {secret} ")
    settings = load_settings()
    assert settings.token() == secret
    assert secret not in repr(settings)
    assert secret not in str(settings)
    assert secret not in settings.model_dump_json()


def test_settings_read_dotenv_in_the_working_directory(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("PSM_ORGANISERS=9,10\nPSM_BOT_TOKEN=1:x\n", encoding="utf-8")
    settings = load_settings()
    assert settings.organisers == [9, 10]
    assert settings.token() == "1:x"
    # the environment wins over .env
    clean_env.setenv("PSM_ORGANISERS", "11")
    assert Settings().organisers == [11]


# --- the organiser's language, names by id, every problem at once ---------------------------


def test_every_message_in_both_languages_with_the_same_placeholders() -> None:
    import string as _string

    from config.messages import CLI_LANGUAGES, MESSAGES

    for code, texts in MESSAGES.items():
        assert set(texts) == set(CLI_LANGUAGES), code
        fields = [
            {name for _, name, _, _ in _string.Formatter().parse(texts[language]) if name}
            for language in CLI_LANGUAGES
        ]
        assert fields[0] == fields[1], code


def test_errors_are_in_italian_by_default(bundled_data: dict[str, Any]) -> None:
    bundled_data["venues"][2]["capacity"] = -3
    text = yaml.safe_dump(bundled_data, allow_unicode=True)
    with pytest.raises(EventConfigError) as info:
        parse_event_config(text, "f.yaml")
    assert info.value.lines() == [
        "f.yaml: venues[pinerolo].capacity: dev'essere maggiore di 0 (è -3)"
    ]
    assert info.value.lines("en") == [
        "f.yaml: venues[pinerolo].capacity: must be greater than 0 (it is -3)"
    ]


@pytest.mark.parametrize(
    ("mutate", "field", "hint"),
    [
        (lambda d: d["events"][1].update(date="5/12/2023"), "date", "AAAA-MM-GG"),
        (
            lambda d: d["events"][1]["agenda"][0].update(start="nove"),
            "agenda[accesso].start",
            '"9:15"',
        ),
        (lambda d: d["events"][1].update(id="Co Pianificazione"), "id", "es. sessione-1"),
        (
            lambda d: d["events"][1]["agenda"][0].update(kind="party"),
            "agenda[accesso].kind",
            "arrival, plenary",
        ),
        (
            lambda d: d["events"][1]["reminders"][0].update(valid_for="domani"),
            "reminders[vigilia-presenza].valid_for",
            "6h",
        ),
    ],
)
def test_errors_hint_the_expected_form(
    bundled_data: dict[str, Any], mutate: Callable[[dict[str, Any]], object], field: str, hint: str
) -> None:
    changed = copy.deepcopy(bundled_data)
    mutate(changed)
    with pytest.raises(EventConfigError) as info:
        parse_event_config(yaml.safe_dump(changed, allow_unicode=True), "f.yaml")
    (line,) = info.value.messages("it")
    label = "Co Pianificazione" if field == "id" else "copianificazione-2023"  # as written
    assert line.startswith(f"events[{label}].{field}: "), line
    assert hint in line


def test_items_without_an_id_are_named_by_position(bundled_data: dict[str, Any]) -> None:
    del bundled_data["events"][1]["agenda"][3]["id"]
    bundled_data["events"][1]["agenda"][3]["end"] = "9:55"
    with pytest.raises(EventConfigError) as info:
        config_from(bundled_data)
    (line,) = info.value.errors
    assert line.startswith("events[copianificazione-2023].agenda[#4].end: ")


def test_a_broken_reminder_does_not_hide_the_agenda(bundled_data: dict[str, Any]) -> None:
    bundled_data["events"][1]["reminders"][0]["audience"] = "tutti"  # shape
    bundled_data["events"][1]["agenda"][2]["start"] = "9:35"  # order
    bundled_data["events"][1]["reminders"][1]["when"]["relative_to"] = "item:nope"
    with pytest.raises(EventConfigError) as info:
        config_from(bundled_data)
    fields = sorted(error.split(": ")[0] for error in info.value.errors)
    assert fields == [
        "events[copianificazione-2023].agenda[strategie].start",
        "events[copianificazione-2023].reminders[vigilia-online].when.relative_to",
        "events[copianificazione-2023].reminders[vigilia-presenza].audience",
    ]


def test_tab_indentation_gets_a_hint() -> None:
    with pytest.raises(EventConfigError) as info:
        parse_event_config("process:\n\tname: x\n")
    (line,) = info.value.messages("it")
    assert line.startswith("riga 2, colonna 1: YAML non valido")
    assert "usa gli spazi, non il tasto Tab" in line
