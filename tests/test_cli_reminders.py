"""Tests for the reminder commands of ``psm-bot`` (``schedule``, ``import-links``), in-process."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.cli import common, main
from bot.kernel.clock import FakeClock
from bot.reminders.planner import ReminderPlanner
from config.event import load_event_config
from storage.db import Database
from storage.links import LinkRepository
from storage.outbox import OutboxRepository, OutboxRow, Planned
from storage.registrations import Registration, RegistrationRepository, Status
from tests.harness import (
    bundled_event_data,
    cli_environment,
    new_registration,
    with_db,
    write_text,
    write_yaml,
)

ROME = ZoneInfo("Europe/Rome")
NOW = dt.datetime(2023, 11, 20, 9, 0, tzinfo=dt.UTC)
LAUNCH, CO_PLANNING = "lancio-2023", "copianificazione-2023"
OLD_LINK = "https://meet.example.org/psm-condiviso"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The commands' clock, at NOW (two weeks before the co-planning day)."""
    fake = FakeClock(NOW)
    monkeypatch.setattr(common, "CLOCK", fake)
    return fake


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FakeClock) -> Path:
    """A clean environment in tmp_path: no PSM_* variables, no .env, the clock at NOW;
    returns the database."""
    return cli_environment(monkeypatch, tmp_path)


def database_line(database: Path) -> str:
    """What every command that reads the database prints first, on stderr."""
    return f"database: {database.resolve()}\n"


Person = tuple[str, int, str, int]  # event, user id, mode, zone

CONFIG = load_event_config()


async def create(db: Database, *people: Person, capacity: int | None = None) -> list[Registration]:
    """Store registrations (in person at the zone's venue, or the event's venue)."""
    repository = RegistrationRepository(db)
    created = []
    for event_id, user_id, mode, zone in people:
        new = new_registration(CONFIG, user_id, event=event_id, zone=zone, mode=mode)
        created.append(await repository.create(new, capacity, NOW))
    return created


def register(database: Path, *people: Person) -> list[Registration]:
    return with_db(database, lambda db: create(db, *people))


def personal(database: Path, registration_id: int) -> str | None:
    return with_db(database, lambda db: LinkRepository(db).personal(registration_id))


def outbox_rows(database: Path, **filters: Any) -> list[OutboxRow]:
    return with_db(database, lambda db: OutboxRepository(db).rows(**filters))


# --- schedule ----------------------------------------------------------------------------

LINE = re.compile(
    r"^  \S+ (?P<due>\d\d/\d\d \d\d:\d\d)  (?P<rule>\S+) +(?P<audience>everyone|in person|online)"
    r" +(?P<count>\d+) recipient\(s\)  until (?P<until>\d\d/\d\d \d\d:\d\d)(?P<rest>.*)$"
)


def schedule_lines(out: str) -> dict[str, list[tuple[str, ...]]]:
    """The output of ``schedule``: per event, (due, rule, audience, count, until, rest)."""
    events: dict[str, list[tuple[str, ...]]] = {}
    current: list[tuple[str, ...]] | None = None
    for line in out.splitlines()[1:]:
        if not line.strip():
            continue
        if not line.startswith(" "):
            current = events.setdefault(line.split(":")[0], [])
            continue
        match = LINE.match(line)
        assert match is not None, line
        assert current is not None
        current.append(tuple(match.group(g).strip() for g in LINE.groupindex))
    return events


@pytest.fixture
def people(env: Path) -> dict[str, Registration]:
    """A few registrations of both events; some no longer (or not yet) count."""

    async def setup(db: Database) -> dict[str, Registration]:
        anna, bruno, carlo, dora = await create(
            db,
            (CO_PLANNING, 1, "in_person", 5),  # Pinerolo
            (CO_PLANNING, 2, "in_person", 9),  # Strambino
            (CO_PLANNING, 3, "online", 1),
            (CO_PLANNING, 4, "online", 11),
        )
        # Pinerolo is full (1 place): on the waiting list
        (waiting,) = await create(db, (CO_PLANNING, 5, "in_person", 5), capacity=1)
        assert waiting.status is Status.WAITLISTED
        (gone,) = await create(db, (CO_PLANNING, 6, "online", 3))
        await RegistrationRepository(db).cancel(gone.id, None, NOW)
        _, launch_carlo, _ = await create(
            db,
            (LAUNCH, 1, "in_person", 5),
            (LAUNCH, 3, "online", 1),
            (LAUNCH, 7, "in_person", 11),
        )
        return {
            "anna": anna,
            "bruno": bruno,
            "carlo": carlo,
            "dora": dora,
            "waiting": waiting,
            "launch_carlo": launch_carlo,
        }

    return with_db(env, setup)


def test_schedule_lists_every_rule_with_recipients(
    env: Path, people: dict[str, Registration], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schedule"]) == 0
    out, err = capsys.readouterr()
    assert err == database_line(env)
    assert out.startswith(
        "Reminders (Europe/Rome), now Mon 20/11/2023 10:00; "
        "recipients = current confirmed registrations"
    )
    assert (
        "copianificazione-2023: Dalle strategie alle azioni - evento di co-pianificazione "
        "(2023-12-05)" in out
    )
    assert "lancio-2023: Verso il nuovo Piano Strategico Metropolitano (2023-09-27)" in out
    events = schedule_lines(out)
    assert list(events) == [LAUNCH, CO_PLANNING]
    # the launch is over: its rules are past, and nothing was ever sent
    assert events[LAUNCH] == [
        ("26/09 18:00", "vigilia-online", "online", "1", "27/09 00:00", "past: never sent"),
        ("26/09 18:00", "vigilia-presenza", "in person", "2", "27/09 00:00", "past: never sent"),
        ("27/09 15:45", "link", "online", "1", "27/09 16:00", "past: never sent"),
        ("27/09 19:00", "grazie", "everyone", "3", "29/09 19:00", "past: never sent"),
    ]
    # 2 confirmed in person, 2 online: the waitlisted and the cancelled ones do not count
    assert events[CO_PLANNING] == [
        ("04/12 18:00", "vigilia-online", "online", "2", "05/12 00:00", ""),
        ("04/12 18:00", "vigilia-presenza", "in person", "2", "05/12 00:00", ""),
        ("05/12 07:30", "mattina-online", "online", "2", "05/12 09:00", ""),
        ("05/12 07:30", "mattina-presenza", "in person", "2", "05/12 09:00", ""),
        ("05/12 09:15", "link", "online", "2", "05/12 09:30", "LINK NOT SET"),
        ("05/12 12:05", "link", "online", "2", "05/12 12:20", "LINK NOT SET"),
        ("05/12 12:10", "link-chiusura", "online", "2", "05/12 12:20", "LINK NOT SET"),
        ("05/12 13:30", "grazie", "everyone", "4", "07/12 13:30", ""),
    ]
    for event in CONFIG.events:
        assert {row[1] for row in events[event.id]} == {rule.id for rule in event.reminders}


def test_schedule_shows_links_set_and_planned_rows(
    env: Path, people: dict[str, Registration], capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare(db: Database) -> None:
        links = LinkRepository(db)
        await links.set_shared(CO_PLANNING, "plenaria-apertura", OLD_LINK, 9000, NOW)
        await links.set_shared(LAUNCH, "", OLD_LINK, 9000, NOW)
        outbox = OutboxRepository(db)
        await ReminderPlanner(CONFIG, outbox, RegistrationRepository(db)).plan_all(NOW)
        eve = dt.datetime(2023, 12, 4, 17, 0, tzinfo=dt.UTC)  # 18:00 in Rome
        for row in await outbox.claim_due(eve, 100):
            if row.rule_id == "vigilia-online" and row.user_id == 3:
                await outbox.finish(row.id, "sent", eve, message_id=1)
        await outbox.recover_in_flight(eve)  # the others: back to pending

    with_db(env, prepare)
    assert main(["schedule"]) == 0
    events = schedule_lines(capsys.readouterr().out)
    rest = {(row[1], row[0]): row[5] for row in events[CO_PLANNING]}
    assert rest[("link", "05/12 09:15")] == "link set  [pending 2]"
    assert rest[("link", "05/12 12:05")] == "LINK NOT SET  [pending 2]"
    assert rest[("link-chiusura", "05/12 12:10")] == "LINK NOT SET  [pending 2]"
    assert rest[("vigilia-online", "04/12 18:00")] == "[pending 1, sent 1]"
    # planned for the waitlisted too (a promotion needs no re-planning), not counted
    assert rest[("vigilia-presenza", "04/12 18:00")] == "[pending 3]"
    assert rest[("grazie", "05/12 13:30")] == "[pending 5]"
    # the launch is over (NOW is in November): nothing planned, nothing sent
    assert [row[5] for row in events[LAUNCH]] == ["past: never sent"] * 4


def test_schedule_of_another_event_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bundled_event_data()
    data["events"] = data["events"][1:]
    data["events"][0]["reminders"] = data["events"][0]["reminders"][-1:]  # grazie only
    path = write_yaml(tmp_path / "mine.yaml", data)
    register(env, (LAUNCH, 1, "online", 1))  # the bot's database exists
    assert main(["schedule", str(path)]) == 0
    events = schedule_lines(capsys.readouterr().out)
    assert events == {CO_PLANNING: [("05/12 13:30", "grazie", "everyone", "0", "07/12 13:30", "")]}


def test_schedule_with_a_broken_event_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bundled_event_data()
    data["events"][1]["reminders"][4]["audience"] = "everyone"
    path = write_yaml(tmp_path / "broken.yaml", data)
    assert main(["schedule", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{path}: events[copianificazione-2023].reminders[link].audience: " in err
    assert not env.exists()


# --- import-links ------------------------------------------------------------------------


def test_import_links_stores_personal_links(
    env: Path, tmp_path: Path, people: dict[str, Registration], capsys: pytest.CaptureFixture[str]
) -> None:
    carlo, dora, anna = people["carlo"], people["dora"], people["anna"]
    csv = write_text(
        tmp_path / "links.csv",
        "registration_id;link\n"
        f"{carlo.id};https://meet.example.org/carlo\n"
        f"{dora.id};https://meet.example.org/dora?pwd=1\n"
        "999;https://meet.example.org/nessuno\n"
        f"{people['launch_carlo'].id};https://meet.example.org/lancio\n",
    )
    assert main(["import-links", str(csv), "--event", CO_PLANNING]) == 0
    out, err = capsys.readouterr()
    assert err == database_line(env)
    assert out.splitlines() == [
        "copianificazione-2023: 2 personal link(s) stored",
        "no registration for: row 4, row 5",  # unknown; of another event
        "0 correction(s) queued for participants who already had another link",
    ]
    assert personal(env, carlo.id) == "https://meet.example.org/carlo"
    assert personal(env, dora.id) == "https://meet.example.org/dora?pwd=1"
    assert personal(env, anna.id) is None
    assert personal(env, people["launch_carlo"].id) is None
    assert outbox_rows(env) == []


def test_import_links_by_telegram_id_replaces_older_links(
    env: Path, tmp_path: Path, people: dict[str, Registration], capsys: pytest.CaptureFixture[str]
) -> None:
    carlo = people["carlo"]
    first = write_text(
        tmp_path / "a.csv", f"registration_id,link\n{carlo.id},https://a.example.org/1\n"
    )
    assert main(["import-links", str(first), "--event", CO_PLANNING]) == 0
    second = write_text(tmp_path / "b.csv", "\ufefftelegram_id\tlink\n3\thttps://b.example.org/2\n")
    assert main(["import-links", str(second), "--event", CO_PLANNING]) == 0
    assert "1 personal link(s) stored" in capsys.readouterr().out
    assert personal(env, carlo.id) == "https://b.example.org/2"


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("{carlo};http://meet.example.org/carlo", "row 3: the link must be a https:// address"),
        ("{carlo};https://meet.example.org/a b", "row 3: the link must be a https:// address"),
        ("abc;https://meet.example.org/x", "row 3: registration_id 'abc' is not a number"),
        (";https://meet.example.org/x", "row 3: no participant"),
    ],
)
def test_import_links_with_a_bad_row_imports_nothing(
    env: Path,
    tmp_path: Path,
    people: dict[str, Registration],
    capsys: pytest.CaptureFixture[str],
    rows: str,
    problem: str,
) -> None:
    dora = people["dora"]
    csv = write_text(
        tmp_path / "links.csv",
        "registration_id;link\n"
        f"{dora.id};https://meet.example.org/dora\n"
        f"{rows.format(carlo=people['carlo'].id)}\n",
    )
    assert main(["import-links", str(csv), "--event", CO_PLANNING]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{csv}: {problem}" in err
    assert err.splitlines()[-1] == "nothing was imported"
    assert personal(env, dora.id) is None  # the good row is not imported either
    assert personal(env, people["carlo"].id) is None


def test_import_links_file_problems(
    env: Path, tmp_path: Path, people: dict[str, Registration], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-links", str(tmp_path / "missing.csv")]) == 2
    assert "cannot read the file" in capsys.readouterr().err
    no_header = write_text(tmp_path / "plain.csv", "https://meet.example.org/x\n")
    assert main(["import-links", str(no_header)]) == 2
    assert "the first row must name a participant column" in capsys.readouterr().err
    empty = write_text(tmp_path / "empty.csv", "")
    assert main(["import-links", str(empty)]) == 2
    assert "the file is empty" in capsys.readouterr().err


def test_import_links_unknown_event(
    env: Path, tmp_path: Path, people: dict[str, Registration], capsys: pytest.CaptureFixture[str]
) -> None:
    carlo = people["carlo"]
    csv = write_text(
        tmp_path / "links.csv", f"registration_id;link\n{carlo.id};https://a.example.org\n"
    )
    assert main(["import-links", str(csv), "--event", "nope"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == (
        "--event: 'nope' is not an event with online attendance "
        "(lancio-2023, copianificazione-2023)"
    )
    assert personal(env, carlo.id) is None


def test_import_links_event_without_online_attendance(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bundled_event_data()
    launch = data["events"][0]
    launch["modes"] = ["in_person"]
    launch["reminders"] = [r for r in launch["reminders"] if r.get("audience") != "online"]
    monkeypatch.setenv("PSM_EVENT_FILE", str(write_yaml(tmp_path / "mine.yaml", data)))
    csv = write_text(tmp_path / "links.csv", "registration_id;link\n1;https://a.example.org\n")
    assert main(["import-links", str(csv), "--event", LAUNCH]) == 2
    assert "'lancio-2023' is not an event with online attendance (copianificazione-2023)" in (
        capsys.readouterr().err
    )


@pytest.fixture
def future_event(env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """The co-planning event moved far ahead, so its sessions are not over yet."""
    day = dt.date(2099, 12, 5)
    data = bundled_event_data()
    data["events"][1]["date"] = day
    path = write_yaml(tmp_path / "future.yaml", data)
    monkeypatch.setenv("PSM_EVENT_FILE", str(path))
    return day


def sent_link(database: Path, registration: Registration, anchor: str, url: str) -> None:
    """Record that ``registration`` was sent ``url`` in the link reminder of ``anchor``."""

    async def send(db: Database) -> None:
        outbox = OutboxRepository(db)
        planned = Planned(
            dedupe_key=f"reminder:{registration.id}:link:{anchor}",
            kind="reminder",
            user_id=registration.user_id or 0,
            due_at=NOW,
            registration_id=registration.id,
            event_id=registration.event_id,
            rule_id="link",
            anchor=anchor,
        )
        assert await outbox.add([planned], NOW) == 1
        (row,) = await outbox.claim_due(NOW, 10)
        await outbox.finish(row.id, "sent", NOW, message_id=1, sent_link=url)

    with_db(database, send)


def test_import_links_queues_one_correction(
    env: Path,
    tmp_path: Path,
    future_event: dt.date,
    capsys: pytest.CaptureFixture[str],
) -> None:
    carlo, dora, anna = register(
        env,
        (CO_PLANNING, 3, "online", 1),
        (CO_PLANNING, 4, "online", 11),
        (CO_PLANNING, 1, "in_person", 5),
    )
    sent_link(env, carlo, "plenaria-apertura", OLD_LINK)
    sent_link(env, dora, "plenaria-apertura", "https://meet.example.org/dora")
    csv = write_text(
        tmp_path / "links.csv",
        "registration_id;link\n"
        f"{carlo.id};https://meet.example.org/carlo\n"
        f"{dora.id};https://meet.example.org/dora\n",  # the one Dora already has
    )
    # no --event: the upcoming event with online registrants (the launch is over)
    assert main(["import-links", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "copianificazione-2023: 2 personal link(s) stored" in out
    assert "1 correction(s) queued for participants who already had another link" in out

    (fix,) = outbox_rows(env, kind="link_fix")
    assert fix.registration_id == carlo.id
    assert fix.user_id == 3
    assert fix.event_id == CO_PLANNING
    assert fix.anchor == "plenaria-apertura"
    assert fix.status == "pending"
    assert fix.due_at == NOW  # at once
    # worth sending until the end of the session (the 9:30-10:00 block)
    assert fix.expires_at == dt.datetime(2099, 12, 5, 10, 0, tzinfo=ROME)
    assert fix.dedupe_key.startswith(f"linkfix:{carlo.id}:plenaria-apertura:")

    # importing the same file again queues nothing more
    assert main(["import-links", str(csv)]) == 0
    assert "0 correction(s) queued" in capsys.readouterr().out
    assert len(outbox_rows(env, kind="link_fix")) == 1
    assert personal(env, anna.id) is None


def test_import_links_no_correction_for_sessions_over(
    env: Path,
    tmp_path: Path,
    clock: FakeClock,
    people: dict[str, Registration],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After the event a link already sent is history: nothing is queued."""
    clock.set(dt.datetime(2023, 12, 6, 9, 0, tzinfo=ROME))
    carlo = people["carlo"]
    sent_link(env, carlo, "plenaria-apertura", OLD_LINK)
    csv = write_text(
        tmp_path / "links.csv", f"registration_id;link\n{carlo.id};https://x.example.org\n"
    )
    assert main(["import-links", str(csv), "--event", CO_PLANNING]) == 0
    assert "0 correction(s) queued" in capsys.readouterr().out
    assert outbox_rows(env, kind="link_fix") == []
    assert personal(env, carlo.id) == "https://x.example.org"


# --- schedule: what is past ------------------------------------------------------------------


def test_schedule_marks_past_rules_with_what_happened(
    env: Path, clock: FakeClock, people: dict[str, Registration], capsys: pytest.CaptureFixture[str]
) -> None:
    """On the day, at 12:15: the rules whose time is over say what happened to them."""

    async def deliver(db: Database) -> None:
        outbox = OutboxRepository(db)
        await ReminderPlanner(CONFIG, outbox, RegistrationRepository(db)).plan_all(NOW)
        eve = dt.datetime(2023, 12, 4, 18, 0, tzinfo=ROME)
        for row in await outbox.claim_due(eve, 100):
            if row.rule_id == "vigilia-online" and row.user_id == 4:
                await outbox.finish(row.id, "skipped", eve, reason="unreachable")
            elif row.rule_id == "vigilia-presenza" and row.user_id == 5:  # the waitlisted
                await outbox.finish(row.id, "skipped", eve, reason="waitlisted")
            else:
                await outbox.finish(row.id, "sent", eve, message_id=1)
        # the bot was down in the morning: the 7:30 messages are still pending, expired;
        # the 9:15 link was skipped (no link set); the 12:05 link is being sent
        for row in await outbox.rows(status="pending"):
            if row.rule_id == "link" and row.anchor == "plenaria-apertura":
                await outbox.finish(row.id, "skipped", eve, reason="no_link")

    with_db(env, deliver)
    clock.set(dt.datetime(2023, 12, 5, 12, 15, tzinfo=ROME))
    assert main(["schedule"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Reminders (Europe/Rome), now Tue 05/12/2023 12:15;")
    events = schedule_lines(out)
    rest = {(row[1], row[0]): row[5] for row in events[CO_PLANNING]}
    assert rest == {
        ("vigilia-online", "04/12 18:00"): "past: sent 1, skipped 1 (unreachable 1)",
        ("vigilia-presenza", "04/12 18:00"): "past: sent 2, skipped 1 (waitlisted 1)",
        ("mattina-online", "05/12 07:30"): "past: not sent (expired) 2",
        ("mattina-presenza", "05/12 07:30"): "past: not sent (expired) 3",
        ("link", "05/12 09:15"): "past: skipped 2 (no_link 2)",
        ("link", "05/12 12:05"): "DUE NOW  LINK NOT SET  [pending 2]",
        ("link-chiusura", "05/12 12:10"): "DUE NOW  LINK NOT SET  [pending 2]",
        ("grazie", "05/12 13:30"): "[pending 5]",  # upcoming
    }
    assert [row[5] for row in events[LAUNCH]] == ["past: never sent"] * 4


def test_schedule_in_an_empty_folder_creates_nothing(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schedule"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"database: no database at {env.resolve()}")
    assert not env.exists()


# --- import-links: which event ----------------------------------------------------------------


def links_csv(tmp_path: Path, *rows: str, column: str = "registration_id") -> Path:
    return write_text(tmp_path / "links.csv", f"{column};link\n" + "".join(f"{r}\n" for r in rows))


def test_import_links_chooses_the_event_with_online_registrants(
    env: Path, tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the launch both events are upcoming; only the co-planning has online
    registrants: the links are for it (not for the first event of the file)."""
    clock.set(dt.datetime(2023, 9, 20, 10, 0, tzinfo=ROME))
    _, carlo = register(env, (LAUNCH, 1, "in_person", 5), (CO_PLANNING, 3, "online", 1))
    csv = links_csv(tmp_path, f"{carlo.id};https://meet.example.org/carlo")
    assert main(["import-links", str(csv)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "event: copianificazione-2023 (Dalle strategie alle azioni - evento di co-pianificazione, "
        "2023-12-05): the upcoming event with online registrants",
        "copianificazione-2023: 1 personal link(s) stored",
    ]
    assert personal(env, carlo.id) == "https://meet.example.org/carlo"


def test_import_links_chooses_the_event_the_file_names(
    env: Path, tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    clock.set(dt.datetime(2023, 9, 20, 10, 0, tzinfo=ROME))
    launch_anna, carlo, dora = register(
        env, (LAUNCH, 1, "online", 5), (CO_PLANNING, 3, "online", 1), (CO_PLANNING, 4, "online", 2)
    )
    csv = links_csv(
        tmp_path, f"{carlo.id};https://meet.example.org/c", f"{dora.id};https://meet.example.org/d"
    )
    assert main(["import-links", str(csv)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(
        "the upcoming event whose online registrants the file names"
    )
    assert out.splitlines()[0].startswith("event: copianificazione-2023 ")
    assert personal(env, carlo.id) == "https://meet.example.org/c"
    assert personal(env, launch_anna.id) is None


def test_import_links_asks_for_the_event_when_several_fit(
    env: Path, tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """Telegram ids of people registered online for both upcoming events: --event is asked."""
    clock.set(dt.datetime(2023, 9, 20, 10, 0, tzinfo=ROME))
    launch_carlo, carlo = register(env, (LAUNCH, 3, "online", 1), (CO_PLANNING, 3, "online", 1))
    csv = links_csv(tmp_path, "3;https://meet.example.org/carlo", column="telegram_id")
    assert main(["import-links", str(csv)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[1:] == [
        "--event: several upcoming events have online registrants: "
        "lancio-2023 (2023-09-27, 1 online, 1 row(s) of the file); "
        "copianificazione-2023 (2023-12-05, 1 online, 1 row(s) of the file); give --event ID",
        "nothing was imported",
    ]
    assert personal(env, carlo.id) is None
    assert personal(env, launch_carlo.id) is None
    assert main(["import-links", str(csv), "--event", LAUNCH]) == 0
    assert personal(env, launch_carlo.id) == "https://meet.example.org/carlo"


def test_import_links_without_upcoming_online_registrants(
    env: Path, tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    (anna,) = register(env, (CO_PLANNING, 1, "in_person", 5))
    csv = links_csv(tmp_path, f"{anna.id};https://meet.example.org/a")
    assert main(["import-links", str(csv)]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == [
        "--event: no upcoming event has online registrants: give --event ID",
        "nothing was imported",
    ]
    assert personal(env, anna.id) is None
