"""Data retention: ``psm-bot purge`` after ``process.retention_until`` erases every personal
value and keeps the anonymous results (polls, counts, contributions, reports, figures);
``check-config`` refuses a date before the last event; abandoned conversations go."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.cli import common, main
from bot.kernel.clock import FakeClock
from bot.sandbox.botapi.server import FakeBotApi
from bot.services import Services
from handlers.operations import Operations
from storage.retention import forget_abandoned_conversations
from tests.harness import (
    ROME,
    BotHarness,
    at,
    bundled_event_data,
    cli_environment,
    config_from,
    register_directly,
    settings_for,
    write_yaml,
)
from tests.regia_seed import FACILITATOR, SESSION_1, closed_poll, contribute, people, report

PERSON, OTHER = 987_654_321, 876_543_219
NAMES = ("Zenobia", "Quarantotto", "Ermenegilda", "Scafandro")
RESULTS = (
    "SELECT poll_id, zone, option_id, chosen, first_choices, score, respondents "
    "FROM results_by_zone ORDER BY poll_id, option_id"
)
KEPT = {
    "registrations": "SELECT id, event_id, zone, mode, venue_id, status, category "
    "FROM registrations ORDER BY id",
    "answers": "SELECT * FROM poll_answers ORDER BY poll_id, registration_id, position",
    "counts": "SELECT poll_id, position, rank, count FROM poll_manual_counts",
    "contributions": "SELECT id, worksheet_id, section, kind, text, photo, status, "
    "registration_id FROM contributions ORDER BY id",
    "reports": "SELECT * FROM report_texts ORDER BY report_id, worksheet_id, section",
    "results": RESULTS,
}


def read(database: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(database)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def traces(database: Path) -> list[str]:
    """Every table.column holding one of the Telegram ids (as a number or in text) or names."""
    ids = [PERSON, OTHER, FACILITATOR]
    pattern = re.compile("|".join(rf"(?<!\d){i}(?!\d)" for i in ids))
    names = [n.casefold() for n in NAMES]
    conn = sqlite3.connect(database)
    found = []
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = conn.execute(f"SELECT * FROM {table}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    hit = (
                        value in ids
                        if isinstance(value, int)
                        else isinstance(value, str)
                        and (
                            bool(pattern.search(value)) or any(n in value.casefold() for n in names)
                        )
                    )
                    if hit:
                        found.append(f"{table}.{column} = {value!r}")
    finally:
        conn.close()
    return found


async def seed(database: Path, event_file: Path) -> None:
    """A co-planning day's data: registrations with names and organisations, a closed poll
    with a manual count, contributions, a submitted report, a conversation half-way, a
    personal link, a participant's language, a facilitator's role."""
    data = bundled_event_data()
    config = config_from(data)
    services = await Services.start(settings_for(database), config, FakeClock(SESSION_1))
    try:
        first = await register_directly(
            services, PERSON, "Zenobia Quarantotto", organisation="Studio Quarantotto"
        )
        await register_directly(
            services, OTHER, "Ermenegilda Scafandro", category="cittadino", mode="online"
        )
        crowd = await people(services, 5, range(5000, 5004))
        sheets = await closed_poll(services, 5, [first.id, *crowd], [[0, 1, 2], [1, 0, 2]] * 3)
        assert sheets[0].poll_id is not None
        await services.polls.store.set_manual(sheets[0].poll_id, 0, 1, 4, FACILITATOR, SESSION_1)
        await contribute(services, sheets[0], "declinazione", "Più treni", registration=first.id)
        await contribute(services, sheets[0], "declinazione", "Piste ciclabili")
        await report(services, 5, {(sheets[0].id, "declinazione"): "Treni e bici"})
        db = services.db
        await db.write(
            "INSERT INTO conversations (user_id, flow, step, token, data, updated_at) "
            "VALUES (?, 'registration', 'organisation', 't', '{\"name\": \"Zenobia\"}', ?)",
            (OTHER, "2023-12-05T09:00:00+00:00"),
        )
        await db.write(
            "INSERT INTO personal_links (registration_id, url, set_at) VALUES (?, ?, ?)",
            (first.id, "https://meet.example.org/zenobia-quarantotto", "2023-12-04T10:00:00+00:00"),
        )
        await services.users.set_language(PERSON, "en", SESSION_1)
        await db.write(
            "INSERT INTO roles (user_id, role, scope, granted_by, granted_at, name) "
            "VALUES (?, 'facilitator', '5', ?, '2023-12-01T10:00:00+00:00', 'Ottavio Scafandro')",
            (FACILITATOR, PERSON),
        )
    finally:
        await services.close()
    write_yaml(event_file, data | {"process": data["process"] | {"retention_until": "2024-06-30"}})


def command(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_purge_keeps_the_results_and_erases_the_rest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = cli_environment(monkeypatch, tmp_path)
    event_file = tmp_path / "event.yaml"
    asyncio.run(seed(database, event_file))
    monkeypatch.setenv("PSM_EVENT_FILE", str(event_file))
    before = {name: read(database, sql) for name, sql in KEPT.items()}
    assert traces(database)  # the seed holds names and ids
    assert before["results"] and before["answers"] and before["counts"]

    monkeypatch.setattr(common, "CLOCK", FakeClock(dt.datetime(2024, 6, 29, 23, 0, tzinfo=ROME)))
    code, out, err = command("purge")
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == (
        "purge: personal data is kept until 2024-06-30 (process.retention_until): nothing "
        "erased (--dry-run shows what would be)"
    )
    code, out, _ = command("purge", "--dry-run")
    assert code == 0
    assert "would erase: names, organisations and Telegram ids of registrations: 6" in out
    assert "would erase: personal meeting links: 1" in out
    assert traces(database)  # a dry run changes nothing

    monkeypatch.setattr(common, "CLOCK", FakeClock(dt.datetime(2024, 6, 30, 0, 5, tzinfo=ROME)))
    code, out, _ = command("purge")
    assert code == 0
    lines = out.splitlines()
    assert "erased: names, organisations and Telegram ids of registrations: 6" in lines
    assert "erased: participants (language, consent): 1" in lines
    assert "erased: conversations in progress: 1" in lines
    assert "erased: staff roles (with their names): 1" in lines
    assert "kept: poll answers: 15" in lines
    assert "kept: contributions (text and photos, without who): 2" in lines
    assert traces(database) == []
    after = {name: read(database, sql) for name, sql in KEPT.items()}
    assert after == before  # the results, counts, contributions and reports are intact
    code, out, _ = command("purge")  # again: nothing left to erase
    assert code == 0 and all(
        line.endswith(": 0") for line in out.splitlines() if line.startswith("erased:")
    )


def test_purge_without_a_retention_date(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cli_environment(monkeypatch, tmp_path)
    code, out, err = command("purge")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "purge: the event file sets no process.retention_until (the date personal data is "
        "erased): nothing erased"
    ]


def test_check_config_wants_the_retention_date_after_the_last_event(
    tmp_path: Path, bundled_data: dict[str, Any]
) -> None:
    bundled_data["process"]["retention_until"] = "2023-12-05"
    path = write_yaml(tmp_path / "event.yaml", bundled_data)
    code, _, err = command("check-config", str(path), "--lang", "en")
    assert code == 2
    assert err.splitlines()[0] == (
        f"{path}: process.retention_until: 2023-12-05 is not after the last event "
        "(2023-12-05): personal data is erased when the process has ended"
    )
    bundled_data["process"]["retention_until"] = "2023-13-01"
    code, _, err = command("check-config", str(write_yaml(path, bundled_data)), "--lang", "en")
    assert code == 2 and "process.retention_until: '2023-13-01' is not a valid date" in err
    bundled_data["process"]["retention_until"] = "2024-06-30"
    code, _, _ = command("check-config", str(write_yaml(path, bundled_data)))
    assert code == 0


async def test_abandoned_conversations_are_forgotten(tmp_path: Path) -> None:
    config = config_from(bundled_event_data())
    services = await Services.start(
        settings_for(tmp_path / "p.sqlite3"), config, FakeClock(SESSION_1)
    )
    try:
        for user, when in ((1, "2023-11-20T10:00:00+00:00"), (2, "2023-12-04T10:00:00+00:00")):
            await services.db.write(
                "INSERT INTO conversations (user_id, flow, step, token, data, updated_at) "
                "VALUES (?, 'registration', 'zone', 't', '{}', ?)",
                (user, when),
            )
        gone = await forget_abandoned_conversations(services.db, SESSION_1 - dt.timedelta(days=7))
        assert gone == 1
        rows = await services.db.fetchall("SELECT user_id FROM conversations")
        assert [row[0] for row in rows] == [2]
    finally:
        await services.close()


async def test_the_running_bot_announces_then_purges(api: FakeBotApi, tmp_path: Path) -> None:
    """A week before: each organiser is told once, through the outbox, in their language;
    on the day: the data is erased; every day: abandoned conversations go."""
    data = bundled_event_data()
    data["process"]["retention_until"] = "2023-12-20"
    organiser, participant = 9300, 4400
    bot = BotHarness(
        api, tmp_path, now=at(12, 10), config=config_from(data), organisers=[organiser, 9301]
    )
    async with bot:
        org = api.user(organiser, "Org")
        api.user(9301, "Other organiser")
        await bot.services.db.write(  # a registration begun on 12 December and abandoned
            "INSERT INTO conversations (user_id, flow, step, token, data, updated_at) "
            "VALUES (?, 'registration', 'zone', 't', '{}', '2023-12-12T09:00:00+00:00')",
            (participant,),
        )
        await register_directly(bot.services, 4401, "Ermenegilda Scafandro")
        assert bot.app is not None
        operations = bot.app.bot_data.operations
        assert isinstance(operations, Operations)
        retention = operations.retention
        assert retention is not None
        assert await retention.daily() is None  # 12 December: nothing yet
        await bot.drain()
        assert not [m for m in org.messages if "Cancellazione" in m.content]
        await bot.at(at(13, 10))  # a week before the 20th
        await retention.daily()
        await retention.daily()  # once only
        await bot.drain()
        notice = await org.wait_for("Cancellazione dei dati personali")
        assert "Il 20/12/2023 il bot cancellerà" in notice.content
        assert len([m for m in org.messages if "Cancellazione" in m.content]) == 1
        await bot.at(at(19, 10))
        await retention.daily()
        assert await bot.services.db.fetchall("SELECT * FROM conversations") == []
        await bot.at(at(20, 0, 30))  # the day (local): erased
        report = await retention.daily()
        assert report is not None
        # the abandoned conversation went the day before the purge (7 days without answer)
        assert dict(report.erased)["conversations in progress"] == 0
        rows = await bot.services.db.fetchall("SELECT user_id, display_name FROM registrations")
        assert [tuple(row) for row in rows] == [(None, None)]
