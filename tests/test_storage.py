"""Tests for storage/: the SQLite database, its migrations and the repositories."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from storage.comuni import ComuneRow, ComuniRepository
from storage.conversations import Conversation, ConversationRepository
from storage.db import Database, DatabaseTooNewError
from storage.migrations import MIGRATIONS
from storage.registrations import (
    AlreadyRegisteredError,
    NewRegistration,
    Registration,
    RegistrationRepository,
    Status,
)
from storage.users import UserRepository
from tests.harness import minutes_from

T0 = dt.datetime(2023, 11, 20, 9, 0, tzinfo=dt.UTC)
EVENT = "copianificazione-2023"
OTHER_EVENT = "lancio-2023"


at = minutes_from(T0)  # at(3): three minutes after T0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "psm.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def regs(db: Database) -> RegistrationRepository:
    return RegistrationRepository(db)


def new(
    user_id: int,
    *,
    venue: str | None = "cirie",
    mode: str = "in_person",
    zone: int = 7,
    event: str = EVENT,
) -> NewRegistration:
    return NewRegistration(
        event_id=event,
        user_id=user_id,
        display_name=f"Persona {user_id}",
        zone=zone,
        mode=mode,
        venue_id=venue if mode == "in_person" else None,
        organisation="Comune di Ciriè",
        category="comune",
        language="it",
    )


async def status_of(regs: RegistrationRepository, registration: Registration) -> Status:
    current = await regs.get(registration.id)
    assert current is not None
    return current.status


# --- Database -------------------------------------------------------------------------------


async def test_open_sets_pragmas(db: Database) -> None:
    journal = await db.fetchone("PRAGMA journal_mode")
    foreign_keys = await db.fetchone("PRAGMA foreign_keys")
    synchronous = await db.fetchone("PRAGMA synchronous")
    assert journal is not None and journal[0] == "wal"
    assert foreign_keys is not None and foreign_keys[0] == 1
    assert synchronous is not None and synchronous[0] == 1  # NORMAL


async def test_open_applies_every_migration(db: Database, tmp_path: Path) -> None:
    assert await db.schema_version() == len(MIGRATIONS)
    tables = {
        row["name"]
        for row in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert {"users", "conversations", "registrations", "comuni"} <= tables
    assert (tmp_path / "psm.sqlite3").is_file()


async def test_reopen_does_not_reapply(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "psm.sqlite3"
    caplog.set_level(logging.INFO, logger="storage.db")
    first = await Database.open(path)
    await ComuniRepository(first).replace_all([ComuneRow("cirie", "Ciriè", "001086", 7, "x")])
    await first.close()
    applied = [r for r in caplog.records if "migration" in r.getMessage()]
    assert len(applied) == len(MIGRATIONS)

    caplog.clear()
    second = await Database.open(path)
    try:
        assert await second.schema_version() == len(MIGRATIONS)
        assert await ComuniRepository(second).count() == 1  # data kept, tables not recreated
        assert not [r for r in caplog.records if "migration" in r.getMessage()]
    finally:
        await second.close()


async def test_database_too_new_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "newer.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 3}")
    raw.close()

    opened: list[aiosqlite.Connection] = []
    real_connect = aiosqlite.connect

    def spy(*args: Any, **kwargs: Any) -> aiosqlite.Connection:
        connection = real_connect(*args, **kwargs)
        opened.append(connection)
        return connection

    monkeypatch.setattr(aiosqlite, "connect", spy)  # the module storage.db calls
    with pytest.raises(DatabaseTooNewError) as info:
        await Database.open(path)
    assert info.value.found == len(MIGRATIONS) + 3
    assert info.value.known == len(MIGRATIONS)
    assert "upgrade psm-bot" in str(info.value)
    (connection,) = opened
    with pytest.raises(ValueError):  # closed: no active connection
        await connection.execute("SELECT 1")
    # the file was not touched
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 3
        assert raw.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
    raw.close()


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    store = ComuniRepository(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO comuni (key, name, zone) VALUES ('pinerolo', 'Pinerolo', 5)"
            )
            raise RuntimeError("boom")
    assert await store.count() == 0
    # the connection is usable again afterwards
    await store.replace_all([ComuneRow("pinerolo", "Pinerolo", None, 5, "")])
    assert await store.count() == 1


# --- registrations: create ------------------------------------------------------------------


async def test_create_confirmed_then_waitlisted(regs: RegistrationRepository) -> None:
    first = await regs.create(new(1), capacity=2, now=at(0))
    second = await regs.create(new(2), capacity=2, now=at(1))
    third = await regs.create(new(3), capacity=2, now=at(2))
    assert first.status is Status.CONFIRMED
    assert second.status is Status.CONFIRMED
    assert third.status is Status.WAITLISTED
    assert await regs.waitlist_position(third) == 1
    assert await regs.waitlist_position(first) is None
    assert await regs.confirmed_in_person(EVENT, "cirie") == 2
    assert third.display_name == "Persona 3"
    assert third.created_at == at(2)
    assert third.active


async def test_capacity_is_per_venue_and_event(regs: RegistrationRepository) -> None:
    await regs.create(new(1), capacity=1, now=at(0))
    elsewhere = await regs.create(new(2, venue="strambino", zone=9), capacity=1, now=at(1))
    other_event = await regs.create(new(3, event=OTHER_EVENT), capacity=1, now=at(2))
    assert elsewhere.status is Status.CONFIRMED
    assert other_event.status is Status.CONFIRMED


async def test_online_is_never_waitlisted(regs: RegistrationRepository) -> None:
    for user in (1, 2):
        await regs.create(new(user), capacity=2, now=at(user))
    online = await regs.create(new(3, mode="online"), capacity=2, now=at(3))
    assert online.status is Status.CONFIRMED
    assert online.venue_id is None
    assert await regs.waitlist_position(online) is None
    # online participants do not take in-person places
    assert await regs.confirmed_in_person(EVENT, "cirie") == 2


async def test_no_capacity_means_no_limit(regs: RegistrationRepository) -> None:
    created = [await regs.create(new(user), capacity=None, now=at(user)) for user in range(30)]
    assert {r.status for r in created} == {Status.CONFIRMED}


async def test_already_registered(regs: RegistrationRepository) -> None:
    first = await regs.create(new(1), capacity=2, now=at(0))
    with pytest.raises(AlreadyRegisteredError):
        await regs.create(new(1, mode="online"), capacity=2, now=at(1))
    # another event is fine
    other = await regs.create(new(1, event=OTHER_EVENT), capacity=2, now=at(2))
    assert [r.id for r in await regs.active_for_user(1)] == [first.id, other.id]
    assert (await regs.active(EVENT, 1)) == first
    # a waitlisted registration is active too
    await regs.create(new(2), capacity=1, now=at(3))
    assert (await regs.active(EVENT, 2)) is not None
    waiting = await regs.create(new(3), capacity=1, now=at(4))
    assert waiting.status is Status.WAITLISTED
    with pytest.raises(AlreadyRegisteredError):
        await regs.create(new(3), capacity=1, now=at(5))


async def test_register_again_after_cancelling(regs: RegistrationRepository) -> None:
    first = await regs.create(new(1), capacity=2, now=at(0))
    await regs.cancel(first.id, capacity=2, now=at(1))
    again = await regs.create(new(1), capacity=2, now=at(2))
    assert again.id != first.id
    assert again.status is Status.CONFIRMED
    assert [r.id for r in await regs.for_event(EVENT)] == [again.id]


async def test_concurrent_creates_respect_capacity(regs: RegistrationRepository) -> None:
    created = await asyncio.gather(
        *(regs.create(new(user), capacity=10, now=T0) for user in range(1, 51))
    )
    confirmed = [r for r in created if r.status is Status.CONFIRMED]
    waitlisted = [r for r in created if r.status is Status.WAITLISTED]
    assert len(confirmed) == 10
    assert len(waitlisted) == 40
    assert await regs.confirmed_in_person(EVENT, "cirie") == 10
    positions = [await regs.waitlist_position(r) for r in waitlisted]
    assert sorted(p for p in positions if p is not None) == list(range(1, 41))
    assert len({r.id for r in created}) == 50


# --- registrations: cancel ------------------------------------------------------------------


async def test_cancel_confirmed_promotes_first_in_line(regs: RegistrationRepository) -> None:
    a = await regs.create(new(1), capacity=2, now=at(0))
    await regs.create(new(2), capacity=2, now=at(1))
    c = await regs.create(new(3), capacity=2, now=at(2))
    d = await regs.create(new(4), capacity=2, now=at(3))
    assert (c.status, d.status) == (Status.WAITLISTED, Status.WAITLISTED)

    promoted = await regs.cancel(a.id, capacity=2, now=at(10))
    assert [r.id for r in promoted] == [c.id]
    assert promoted[0].status is Status.CONFIRMED
    assert promoted[0].user_id == 3
    assert await status_of(regs, a) is Status.CANCELLED
    assert await status_of(regs, c) is Status.CONFIRMED
    d_now = await regs.get(d.id)
    assert d_now is not None
    assert await regs.waitlist_position(d_now) == 1
    assert await regs.confirmed_in_person(EVENT, "cirie") == 2


async def test_cancel_waitlisted_promotes_nobody(regs: RegistrationRepository) -> None:
    a = await regs.create(new(1), capacity=1, now=at(0))
    b = await regs.create(new(2), capacity=1, now=at(1))
    c = await regs.create(new(3), capacity=1, now=at(2))
    assert await regs.cancel(b.id, capacity=1, now=at(5)) == []
    assert await status_of(regs, a) is Status.CONFIRMED
    assert await status_of(regs, b) is Status.CANCELLED
    c_now = await regs.get(c.id)
    assert c_now is not None and c_now.status is Status.WAITLISTED
    assert await regs.waitlist_position(c_now) == 1


async def test_cancel_online_promotes_nobody(regs: RegistrationRepository) -> None:
    await regs.create(new(1), capacity=1, now=at(0))
    waiting = await regs.create(new(2), capacity=1, now=at(1))
    online = await regs.create(new(3, mode="online"), capacity=1, now=at(2))
    assert await regs.cancel(online.id, capacity=1, now=at(3)) == []
    assert await status_of(regs, waiting) is Status.WAITLISTED


async def test_cancel_twice_and_unknown(regs: RegistrationRepository) -> None:
    a = await regs.create(new(1), capacity=1, now=at(0))
    b = await regs.create(new(2), capacity=1, now=at(1))
    assert [r.id for r in await regs.cancel(a.id, capacity=1, now=at(2))] == [b.id]
    assert await regs.cancel(a.id, capacity=1, now=at(3)) == []  # already cancelled
    assert await status_of(regs, a) is Status.CANCELLED
    assert await regs.cancel(9999, capacity=1, now=at(4)) == []


# --- registrations: move --------------------------------------------------------------------


async def test_move_to_a_full_venue(regs: RegistrationRepository) -> None:
    a = await regs.create(new(1, venue="cirie", zone=7), capacity=1, now=at(0))
    b = await regs.create(new(2, venue="cirie", zone=8), capacity=1, now=at(1))
    c = await regs.create(new(3, venue="strambino", zone=9), capacity=1, now=at(2))
    assert (a.status, b.status, c.status) == (
        Status.CONFIRMED,
        Status.WAITLISTED,
        Status.CONFIRMED,
    )
    placement = await regs.move(
        a.id,
        zone=9,
        mode="in_person",
        venue_id="strambino",
        capacity=1,
        old_capacity=1,
        now=at(10),
    )
    assert placement.registration.status is Status.WAITLISTED
    assert placement.registration.venue_id == "strambino"
    assert placement.registration.zone == 9
    assert await regs.waitlist_position(placement.registration) == 1
    assert [r.id for r in placement.promoted] == [b.id]
    assert placement.promoted[0].status is Status.CONFIRMED
    assert await status_of(regs, c) is Status.CONFIRMED
    assert await regs.confirmed_in_person(EVENT, "cirie") == 1
    assert await regs.confirmed_in_person(EVENT, "strambino") == 1


async def test_move_to_a_venue_with_room(regs: RegistrationRepository) -> None:
    a = await regs.create(new(1), capacity=1, now=at(0))
    b = await regs.create(new(2), capacity=1, now=at(1))
    placement = await regs.move(
        a.id,
        zone=5,
        mode="in_person",
        venue_id="pinerolo",
        capacity=40,
        old_capacity=1,
        now=at(5),
    )
    assert placement.registration.status is Status.CONFIRMED
    assert [r.id for r in placement.promoted] == [b.id]


async def test_move_to_online_frees_the_place(regs: RegistrationRepository) -> None:
    a = await regs.create(new(1), capacity=1, now=at(0))
    b = await regs.create(new(2), capacity=1, now=at(1))
    placement = await regs.move(
        a.id, zone=7, mode="online", venue_id=None, capacity=None, old_capacity=1, now=at(2)
    )
    assert placement.registration.status is Status.CONFIRMED
    assert placement.registration.mode == "online"
    assert [r.id for r in placement.promoted] == [b.id]


async def test_move_within_the_same_venue_keeps_status(regs: RegistrationRepository) -> None:
    a = await regs.create(new(1, zone=7), capacity=1, now=at(0))
    b = await regs.create(new(2, zone=7), capacity=1, now=at(1))
    c = await regs.create(new(3, zone=7), capacity=1, now=at(2))

    kept = await regs.move(
        a.id, zone=8, mode="in_person", venue_id="cirie", capacity=1, old_capacity=1, now=at(3)
    )
    assert kept.registration.status is Status.CONFIRMED
    assert kept.registration.zone == 8
    assert kept.promoted == []

    # a waitlisted participant keeps their place in line
    still = await regs.move(
        b.id, zone=8, mode="in_person", venue_id="cirie", capacity=1, old_capacity=1, now=at(4)
    )
    assert still.registration.status is Status.WAITLISTED
    assert still.promoted == []
    assert await regs.waitlist_position(still.registration) == 1
    c_now = await regs.get(c.id)
    assert c_now is not None
    assert await regs.waitlist_position(c_now) == 2


async def test_move_unknown_registration(regs: RegistrationRepository) -> None:
    with pytest.raises(KeyError):
        await regs.move(
            42, zone=7, mode="online", venue_id=None, capacity=None, old_capacity=None, now=T0
        )


# --- registrations: erase -------------------------------------------------------------------


async def test_erase_user(db: Database, regs: RegistrationRepository) -> None:
    users = UserRepository(db)
    conversations = ConversationRepository(db)
    await users.record_consent(1, at(0))
    await users.set_language(1, "en", at(0))
    await conversations.save(Conversation(1, "change", "confirm", "tok", {"zone": 8}), at(0))
    await conversations.save(Conversation(2, "register", "name", "tok2"), at(0))

    held = await regs.create(new(1), capacity=1, now=at(1))
    online = await regs.create(new(1, mode="online", event=OTHER_EVENT), capacity=1, now=at(2))
    waiting = await regs.create(new(2), capacity=1, now=at(3))
    old = await regs.create(new(1, venue="riva", zone=11, event="old"), capacity=5, now=at(4))
    await regs.cancel(old.id, capacity=5, now=at(5))

    promoted = await regs.erase_user(1, {(EVENT, "cirie"): 1}, at(10))
    assert [r.id for r in promoted] == [waiting.id]
    assert promoted[0].status is Status.CONFIRMED

    for registration, status in ((held, Status.ERASED), (online, Status.ERASED)):
        after = await regs.get(registration.id)
        assert after is not None
        assert after.user_id is None
        assert after.display_name is None
        assert after.organisation is None
        assert after.category is None
        assert after.status is status
        assert not after.active
        # anonymous data for statistics stays
        assert after.zone == registration.zone
        assert after.mode == registration.mode
    cancelled = await regs.get(old.id)
    assert cancelled is not None
    assert cancelled.status is Status.CANCELLED
    assert cancelled.user_id is None and cancelled.display_name is None

    assert await users.get(1) is None
    assert await conversations.get(1) is None
    assert await conversations.get(2) is not None  # others untouched
    assert await regs.active_for_user(1) == []
    remaining = await db.fetchone(
        "SELECT COUNT(*) FROM registrations WHERE user_id = 1 OR display_name = 'Persona 1'"
    )
    assert remaining is not None and remaining[0] == 0


async def test_erase_unknown_user(regs: RegistrationRepository) -> None:
    assert await regs.erase_user(777, {}, T0) == []


# --- conversations --------------------------------------------------------------------------


async def test_conversation_round_trip(db: Database) -> None:
    repo = ConversationRepository(db)
    assert await repo.get(5) is None
    data: dict[str, Any] = {
        "name": "Niccolò Sant'Ambrogio",
        "comune": "Ciriè",
        "zone": 7,
        "consented": True,
        "nested": {"città": ["Agliè", "Pecetto"]},
    }
    await repo.save(Conversation(5, "register", "name", "abc123", data), at(0))
    loaded = await repo.get(5)
    assert loaded == Conversation(5, "register", "name", "abc123", data, at(0))
    stored = await db.fetchone("SELECT data FROM conversations WHERE user_id = 5")
    assert stored is not None and "Ciriè" in stored[0]  # kept readable, not \u-escaped

    await repo.save(Conversation(5, "register", "zone", "def456", {"zone": 8}), at(1))
    updated = await repo.get(5)
    assert updated is not None
    assert (updated.step, updated.token, updated.data) == ("zone", "def456", {"zone": 8})
    assert updated.updated_at == at(1)

    await repo.delete(5)
    assert await repo.get(5) is None
    await repo.delete(5)  # deleting nothing is fine


async def test_naive_datetime_is_refused(db: Database) -> None:
    repo = ConversationRepository(db)
    with pytest.raises(ValueError):
        await repo.save(Conversation(5, "register", "name", "t"), dt.datetime(2023, 1, 1))
    assert await repo.get(5) is None


# --- users ----------------------------------------------------------------------------------


async def test_users(db: Database) -> None:
    users = UserRepository(db)
    assert await users.get(1) is None

    await users.record_consent(1, at(0))
    user = await users.get(1)
    assert user is not None
    assert user.consent_at == at(0)
    assert user.language is None
    assert user.reachable is True

    await users.set_language(1, "en", at(1))
    user = await users.get(1)
    assert user is not None
    assert (user.language, user.consent_at) == ("en", at(0))

    await users.set_reachable(1, False)
    user = await users.get(1)
    assert user is not None and user.reachable is False
    await users.set_reachable(1, True)
    user = await users.get(1)
    assert user is not None and user.reachable is True

    # a language choice alone creates the user, without consent
    await users.set_language(2, "it", at(2))
    other = await users.get(2)
    assert other is not None
    assert (other.language, other.consent_at) == ("it", None)

    # reachability of an unknown user creates nothing
    await users.set_reachable(3, False)
    assert await users.get(3) is None


async def test_user_language_is_checked(db: Database) -> None:
    users = UserRepository(db)
    with pytest.raises(sqlite3.IntegrityError):
        await users.set_language(1, "de", T0)
    assert await users.get(1) is None


# --- comuni ---------------------------------------------------------------------------------


async def test_comuni_replace_all(db: Database) -> None:
    repo = ComuniRepository(db)
    assert await repo.count() == 0
    assert await repo.all() == []
    rows = [
        ComuneRow("pinerolo", "Pinerolo", "001191", 5, "bundled"),
        ComuneRow("cirie", "Ciriè", "001086", 7, "bundled"),
        ComuneRow("avigliana", "Avigliana", "001013", None, "NON VERIFICATO"),
    ]
    await repo.replace_all(rows)
    assert await repo.count() == 3
    assert [row.key for row in await repo.all()] == ["avigliana", "cirie", "pinerolo"]
    assert (await repo.all())[1] == rows[1]

    replacement = [ComuneRow("avigliana", "Avigliana", "001013", 6, "import.csv")]
    await repo.replace_all(replacement)
    assert await repo.count() == 1
    assert await repo.all() == replacement

    await repo.replace_all([])
    assert await repo.count() == 0


async def test_comuni_replace_all_is_atomic(db: Database) -> None:
    repo = ComuniRepository(db)
    original = [ComuneRow("cirie", "Ciriè", None, 7, "")]
    await repo.replace_all(original)
    duplicate_keys = [ComuneRow("x", "X", None, 1, ""), ComuneRow("x", "X bis", None, 2, "")]
    with pytest.raises(sqlite3.IntegrityError):
        await repo.replace_all(duplicate_keys)
    assert await repo.all() == original


async def test_transactions_nest_and_roll_back_together(db: Database) -> None:
    users = UserRepository(db)
    now = dt.datetime(2023, 11, 20, tzinfo=dt.UTC)
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await users.record_consent(501, now)  # a repository's own write joins in
            async with db.transaction():
                await db.write("INSERT INTO users (user_id, created_at) VALUES (502, 'x')")
            raise RuntimeError("the outer part fails")
    assert await users.get(501) is None and await users.get(502) is None
    async with db.transaction():
        await users.record_consent(503, now)
        with pytest.raises(ValueError):
            async with db.transaction():  # an inner part fails alone (a savepoint)
                await users.record_consent(504, now)
                raise ValueError
    assert await users.get(503) is not None and await users.get(504) is None


async def test_grouped_writes_commit_together_and_fail_together(db: Database) -> None:
    await db.write("CREATE TABLE hot (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    sql = "INSERT INTO hot (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    trips = 0
    original = db._conn.executemany

    async def counting(*args: Any) -> Any:
        nonlocal trips
        trips += 1
        return await original(*args)

    db._conn.executemany = counting  # type: ignore[method-assign,assignment]
    await asyncio.gather(*(db.write_grouped((sql, [(k, f"v{k}")])) for k in range(200)))
    assert trips <= 2  # 200 writers, one or two groups
    row = await db.fetchone("SELECT COUNT(*) FROM hot")
    assert row is not None and row[0] == 200
    bad = "INSERT INTO hot (k, v) VALUES (?, ?)"  # a duplicate key fails the whole group
    results = await asyncio.gather(
        db.write_grouped((bad, [(1000, "a")])),
        db.write_grouped((bad, [(1, "dup")])),
        return_exceptions=True,
    )
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results)
    assert await db.fetchone("SELECT v FROM hot WHERE k = 1000") is None
