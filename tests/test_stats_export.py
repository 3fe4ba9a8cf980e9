"""/statistiche, the registrations export (chat and CLI) and ``psm-bot qr``."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.cli import main
from bot.sandbox.botapi.server import FakeBotApi
from bot.sandbox.botapi.users import FakeUser
from bot.stats.figures import split_messages
from config.event import load_event_config
from storage.attendance import AttendanceRepository
from storage.db import Database
from storage.registrations import Registration, RegistrationRepository
from tests.harness import (
    ROME,
    BotHarness,
    cli_environment,
    config_with,
    new_registration,
    register_directly,
    with_db,
)

ORGANISER = 9300
FACILITATOR = 9301
REFERENT = 9302
EVENT = "copianificazione-2023"
COLUMNS = [
    "registration_id",
    "event_id",
    "event",
    "event_date",
    "name",
    "zone",
    "zone_name",
    "venue_id",
    "venue",
    "mode",
    "status",
    "waitlist_position",
    "organisation",
    "category",
    "language",
    "registered_at",
    "updated_at",
    "cancelled_at",
    "checked_in_at",
    "checked_in_via",
]


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotHarness]:
    config = config_with(pinerolo=2)
    async with BotHarness(api, tmp_path, organisers=[ORGANISER], config=config) as harness:
        yield harness


async def registered(
    bot: BotHarness,
    user_id: int,
    name: str,
    zone: int = 5,
    mode: str = "in_person",
    organisation: str | None = None,
    category: str | None = None,
) -> Registration:
    """A participant stored directly (the chat registration has its own tests)."""
    await bot.services.users.record_consent(user_id, bot.clock.now())
    return await register_directly(
        bot.services,
        user_id,
        name,
        zone=zone,
        mode=mode,
        organisation=organisation,
        category=category,
        waitlist=True,
    )


@pytest.fixture
async def crowd(bot: BotHarness) -> dict[str, Registration]:
    """Pinerolo full (2 places) with one waiting, one online, one in Ciriè, one cancelled."""
    people = {
        "anna": await registered(bot, 4101, "Anna Bianchi", organisation="Comune di Pinerolo"),
        "bruno": await registered(bot, 4102, "Bruno Rossi", category="impresa"),
        "carla": await registered(bot, 4103, "Carla Verdi"),  # waitlisted
        "dario": await registered(bot, 4104, "Dario Neri", zone=1, mode="online"),
        "ugo": await registered(bot, 4105, '=HYPERLINK("http://x")', zone=7),  # Ciriè
        "zeno": await registered(bot, 4106, "Zeno Bassi", zone=2),
    }
    await bot.services.registrations.cancel(people["zeno"].id, 120, bot.clock.now())
    await bot.services.users.set_reachable(4104, False)  # Dario blocked the bot
    bot.clock.set(dt.datetime(2023, 12, 5, 9, 20, tzinfo=ROME))
    return people


async def check_in(bot: BotHarness, registration: Registration) -> None:
    """Mark a registration present as the desk link would."""
    store = AttendanceRepository(bot.services.db)
    assert await store.check_in(registration.id, registration.user_id or 0, bot.clock.now())


def visible(user: FakeUser, since: int) -> str:
    return "\n".join(m.content for m in user.messages[since:])


async def test_stats_for_each_role(
    api: FakeBotApi, bot: BotHarness, crowd: dict[str, Registration]
) -> None:
    await check_in(bot, crowd["anna"])
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/statistiche")
    await organiser.wait_for("Per sede")
    await organiser.settle()
    text = visible(organiser, 0)
    assert all(len(m.text or "") < 4096 for m in organiser.messages)
    assert "📊 Dalle strategie alle azioni" in text and "martedì 5 dicembre 2023" in text
    assert "Iscrizioni attive: 5 (confermate: 4, in lista d'attesa: 1) · annullate: 1" in text
    assert "In presenza: 3 · online: 1" in text
    assert "Presenti (check-in): 1 · non raggiungibili: 1" in text
    assert "1 · Torino Città: 0 / 1 / 0 / 0" in text
    assert "2 · AMT Ovest: 0 / 0 / 0 / 0" in text  # Zeno cancelled
    assert "5 · Pinerolese: 2 / 0 / 1 / 1" in text
    assert "7 · Ciriacese-Valli di Lanzo: 1 / 0 / 0 / 0" in text
    assert "Comune di Pinerolo: 2/2 · 1 · 1" in text
    assert "Comune di Ciriè - Palazzo D'Oria: 1/60 · 0 · 0" in text
    # The launch event (27 Sep) has no registrations here, and its one venue.
    assert "Iscrizioni attive: 0 (confermate: 0, in lista d'attesa: 0) · annullate: 0" in text
    assert "Città Metropolitana di Torino - Sala Auditorium: 0/200 · 0 · 0" in text
    assert "Anna" not in text and "Bianchi" not in text  # figures, never names

    await bot.services.roles.store.grant(FACILITATOR, "facilitator", "5", None, bot.clock.now())
    facilitator = api.user(FACILITATOR, "Fede", language_code="en")
    await facilitator.send("/stats")
    await facilitator.wait_for("By zone")
    await facilitator.settle()
    text = visible(facilitator, 0)
    assert "5 · Pinerolese: 2 / 0 / 1 / 1" in text
    assert "Torino Città" not in text and "Active registrations" not in text
    assert "By venue" not in text

    await bot.services.roles.store.grant(REFERENT, "referent", "pinerolo", None, bot.clock.now())
    referent = api.user(REFERENT, "Rita")
    await referent.send("/statistiche")
    await referent.wait_for("Per sede")
    await referent.settle()
    text = visible(referent, 0)
    assert "Comune di Pinerolo: 2/2 · 1 · 1" in text
    assert "Strambino" not in text and "Per zona" not in text
    assert "Verso il nuovo" not in text  # no desk of theirs at the launch event

    participant = api.user(crowd["anna"].user_id or 0, "Anna")
    await participant.send("/statistiche")
    await participant.wait_for("riservato a organizzatori, facilitatori e referenti")


def test_split_messages_keeps_each_under_the_limit() -> None:
    blocks = ["a" * 30, "\n".join("b" * 9 for _ in range(10)), "c" * 30]
    messages = split_messages(blocks, limit=40)
    assert all(len(m) <= 40 for m in messages)
    assert "".join(messages).count("b") == 90 and messages[0] == "a" * 30
    assert split_messages(["x", "y"], limit=40) == ["x\n\ny"]


def read_xlsx(content: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def test_export_from_the_chat(
    api: FakeBotApi, bot: BotHarness, crowd: dict[str, Registration]
) -> None:
    await check_in(bot, crowd["anna"])
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/esporta_iscrizioni")
    events = await organiser.wait_for("di quale incontro")
    assert events.button_texts[-1] == "Tutti gli incontri"
    await organiser.press("Dalle strategie", message=events)
    formats = await organiser.wait_edited(events, lambda m: "formato" in m.content)
    await organiser.press("XLSX", message=formats)
    sent = await organiser.wait_for(lambda m: m.document is not None)
    assert sent.filename == "iscrizioni-copianificazione-2023-20231205-0920.xlsx"
    assert "Iscrizioni · Dalle strategie alle azioni" in sent.content and ": 5." in sent.content
    rows = read_xlsx(sent.document_bytes or b"")
    assert rows[0] == COLUMNS
    by_name = {row[4]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {
        "Anna Bianchi",
        "Bruno Rossi",
        "Carla Verdi",
        "Dario Neri",
        '=HYPERLINK("http://x")',
    }
    anna = by_name["Anna Bianchi"]
    assert anna["registration_id"] == crowd["anna"].id and anna["zone"] == 5
    assert (anna["zone_name"], anna["venue_id"], anna["venue"]) == (
        "Pinerolese",
        "pinerolo",
        "Comune di Pinerolo",
    )
    assert (anna["mode"], anna["status"], anna["organisation"]) == (
        "in_person",
        "confirmed",
        "Comune di Pinerolo",
    )
    assert anna["registered_at"] == dt.datetime(2023, 11, 20, 10, 0)  # local time
    assert anna["checked_in_at"] == dt.datetime(2023, 12, 5, 9, 20)
    assert anna["checked_in_via"] == "self"
    assert anna["event_date"] == dt.datetime(2023, 12, 5, 0, 0)
    carla = by_name["Carla Verdi"]
    assert (carla["status"], carla["waitlist_position"]) == ("waitlisted", 1)
    assert by_name["Bruno Rossi"]["category"] == "impresa"
    assert by_name["Dario Neri"]["venue"] is None and by_name["Dario Neri"]["mode"] == "online"
    # A name that looks like a formula stays text.
    book = openpyxl.load_workbook(io.BytesIO(sent.document_bytes or b""))
    sheet = book.active
    assert sheet is not None
    cells = [row[4] for row in sheet.iter_rows(min_row=2)]
    formula = next(c for c in cells if str(c.value).startswith("="))
    assert formula.data_type == "s"

    await organiser.press("CSV", message=formats)  # the other format from the same buttons
    sent = await organiser.wait_for(lambda m: m.document is not None)
    assert sent.filename is not None and sent.filename.endswith(".csv")
    rows_csv = read_csv(sent.document_bytes or b"")
    assert rows_csv[0] == COLUMNS and len(rows_csv) == 6
    anna_csv = next(row for row in rows_csv if row[4] == "Anna Bianchi")
    assert anna_csv[15] == "2023-11-20 10:00:00" and anna_csv[18] == "2023-12-05 09:20:00"
    assert '\'=HYPERLINK("http://x")' in [row[4] for row in rows_csv]

    # The launch has nobody: a message instead of an empty file.
    await organiser.send("/export_registrations")
    events = await organiser.wait_for("di quale incontro")
    await organiser.press("Verso il nuovo", message=events)
    formats = await organiser.wait_edited(events, lambda m: "formato" in m.content)
    await organiser.press("CSV", message=formats)
    await organiser.wait_for("Nessuna iscrizione attiva")


async def test_export_refused_to_others(
    api: FakeBotApi, bot: BotHarness, crowd: dict[str, Registration]
) -> None:
    await bot.services.roles.store.grant(REFERENT, "referent", "pinerolo", None, bot.clock.now())
    for user_id in (REFERENT, crowd["anna"].user_id or 0):
        user = api.user(user_id, "Someone")
        await user.send("/esporta_iscrizioni")
        refusal = await user.wait_for("riservato agli organizzatori")
        query = await user.press_data("xr|f|csv|*", message=refusal)  # forged
        answer = await user.callback_answer(query)
        assert answer.show_alert and "riservato agli organizzatori" in (answer.text or "")
    organiser = api.user(ORGANISER, "Olga")
    await organiser.send("/esporta_iscrizioni")
    events = await organiser.wait_for("di quale incontro")
    for forged in ("xr|f|pdf|*", "xr|f|csv|no-such-event", "xr|e|nope", "xr|zzz"):
        query = await organiser.press_data(forged, message=events)
        assert (await organiser.callback_answer(query)).text == "Pulsante non valido."
    await organiser.settle()
    assert not [r for r in api.requests if r.method == "sendDocument"]


# --- command line --------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment in tmp_path: no PSM_* variables, no .env; returns the database."""
    return cli_environment(monkeypatch, tmp_path)


def seed(database: Path) -> list[Registration]:
    """Three registrations for the co-planning day, one of them cancelled."""
    config = load_event_config()
    now = dt.datetime(2023, 11, 20, 9, 0, tzinfo=dt.UTC)

    async def run(db: Database) -> list[Registration]:
        repository = RegistrationRepository(db)
        made = []
        for user_id, zone, mode in ((1, 5, "in_person"), (2, 9, "in_person"), (3, 1, "online")):
            new = new_registration(config, user_id, zone=zone, mode=mode)
            made.append(await repository.create(new, None, now))
        await repository.cancel(made[2].id, None, now)
        return made

    return with_db(database, run)


def test_cli_export_registrations(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = seed(env)
    out = tmp_path / "iscritti.xlsx"
    assert main(["export", "registrations", "--format", "xlsx", "--out", str(out)]) == 0
    assert f"2 registration(s) written to {out}" in capsys.readouterr().out
    rows = read_xlsx(out.read_bytes())
    assert rows[0] == COLUMNS
    assert [(row[0], row[4], row[8]) for row in rows[1:]] == [
        (made[0].id, "Persona 1", "Comune di Pinerolo"),
        (made[1].id, "Persona 2", "Comune di Strambino"),
    ]

    assert main(["export", "registrations", "--event", EVENT, "--include-cancelled"]) == 0
    written = sorted(tmp_path.glob("iscrizioni-copianificazione-2023-*.csv"))
    assert len(written) == 1
    rows_csv = read_csv(written[0].read_bytes())
    assert [row[10] for row in rows_csv[1:]] == [
        "cancelled",
        "confirmed",
        "confirmed",
    ]  # zone 1, 5, 9
    assert rows_csv[1][17] != ""  # cancelled_at

    assert main(["export", "registrations", "--event", "lancio-2023", "--out", "x.csv"]) == 0
    assert read_csv((tmp_path / "x.csv").read_bytes()) == [COLUMNS]
    capsys.readouterr()

    assert main(["export", "registrations", "--event", "nope"]) == 2
    assert "unknown event 'nope'" in capsys.readouterr().err
    # Poll results go through the polls export (bot/exports.py): here only the wiring.
    assert main(["export", "results", "--format", "xlsx", "--out", "risultati.xlsx"]) == 0
    assert (tmp_path / "risultati.xlsx").read_bytes().startswith(b"PK")
    assert main(["export", "results", "--event", "nope"]) == 2
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["export", "registrations", "--format", "pdf"])


def test_cli_export_without_database(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "registrations"]) == 2
    assert "no database" in capsys.readouterr().err
    assert not env.exists()


PNG = b"\x89PNG\r\n\x1a\n"


def test_cli_qr(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["qr"]) == 2
    assert "PSM_BOT_USERNAME" in capsys.readouterr().err
    assert main(["qr", "--bot-username", "no way"]) == 2
    capsys.readouterr()

    out = tmp_path / "codes"
    assert main(["qr", "--out", str(out), "--bot-username", "@PsmTorinoBot"]) == 0
    printed = capsys.readouterr().out
    assert "https://t.me/PsmTorinoBot?start=ci_pinerolo" in printed
    config = load_event_config()
    expected = {f"checkin-{v.id}.png" for v in config.venues} | {
        f"zona-{z.number}.png" for z in config.zones
    }
    assert {p.name for p in out.glob("*.png")} == expected
    assert all(p.read_bytes().startswith(PNG) for p in out.glob("*.png"))
    index = (out / "index.html").read_text("utf-8")
    assert 'src="checkin-riva.png"' in index and "?start=zona11" in index
    lines = (out / "index.txt").read_text("utf-8").splitlines()
    assert len(lines) == len(expected)
    assert (
        "zona-5.png\tIscrizione · Zona 5 · Pinerolese\thttps://t.me/PsmTorinoBot?start=zona5"
        in (lines)
    )

    monkeypatch.setenv("PSM_BOT_USERNAME", "OtherBot")
    assert main(["qr"]) == 0
    assert (tmp_path / "qr" / "checkin-cmt.png").read_bytes().startswith(PNG)
    assert "start=ci_cmt" in (tmp_path / "qr" / "index.txt").read_text("utf-8")
