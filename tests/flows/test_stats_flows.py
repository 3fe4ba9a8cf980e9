"""Figures and the registrations export through the flows: /statistiche scoped to the
asker's role (counts only), /esporta_iscrizioni with its ExportButtons (event, format, file)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.staff.roles import FACILITATOR, REFERENT
from bot.stats.export import ALL_EVENTS, COLUMNS, ExportButton
from config.event import AttendanceMode
from tests.flows.helpers import (
    ANNA,
    BRUNO,
    CARLA,
    CO_PLANNING,
    EMMA,
    LAUNCH,
    STAFF,
    Domain,
    data_of,
    document,
    labels,
    person,
    question,
    started,
    texts,
)
from tests.harness import config_with

FABIO = person(9200, "Fabio", "Facilitatore")  # zone 5
RITA = person(9100, "Rita", "Referente")  # the Pinerolo venue
TITLE = "Dalle strategie alle azioni - evento di co-pianificazione"


@pytest.fixture
async def figures(tmp_path: Path) -> AsyncIterator[Domain]:
    """One place in Pinerolo: Anna has it (and checked in), Bruno waits; Carla is online and
    blocked the bot; Emma cancelled."""
    async with started(tmp_path, config=config_with(pinerolo=1)) as domain:
        services, now = domain.services, domain.clock.now()
        anna = await domain.register(ANNA)
        await domain.register(BRUNO)
        await domain.register(CARLA, zone=9, mode=AttendanceMode.ONLINE)
        emma = await domain.register(EMMA, zone=9)
        await services.registrations.cancel(emma.id, 60, now)
        await domain.flows.attendance.store.check_in(anna.id, STAFF.user_id, now)
        await services.users.set_reachable(CARLA.user_id, False)
        await services.roles.store.grant(FABIO.user_id, FACILITATOR, "5", STAFF.user_id, now)
        await services.roles.store.grant(RITA.user_id, REFERENT, "pinerolo", STAFF.user_id, now)
        yield domain


def zone_line(domain: Domain, zone: str, *counts: int) -> str:
    in_person, online, waitlisted, present = counts
    return domain.t(
        "it",
        "stats.zone_line",
        zone=zone,
        in_person=in_person,
        online=online,
        waitlisted=waitlisted,
        present=present,
    )


PINEROLO_LINE = "Comune di Pinerolo: 1/1 · 1 · 1"  # taken/capacity · waiting · present


# --- /statistiche -----------------------------------------------------------------------------
async def test_stats_are_for_staff(figures: Domain) -> None:
    out = await figures.flows.stats.overview(ANNA)
    assert texts(out) == [figures.t("it", "stats.staff_only")]


async def test_an_organiser_sees_every_figure(figures: Domain) -> None:
    launch, co_planning = texts(await figures.flows.stats.overview(STAFF))
    assert launch.startswith("📊 <b>Verso il nuovo Piano Strategico Metropolitano</b>")
    totals = figures.t(
        "it",
        "stats.totals",
        active=3,
        confirmed=2,
        waitlisted=1,
        cancelled=1,
        in_person=1,
        online=1,
        present=1,
        unreachable=1,
    )
    assert co_planning.startswith(f"📊 <b>{TITLE}</b>") and totals in co_planning
    assert zone_line(figures, "5 · Pinerolese", 1, 0, 1, 1) in co_planning
    assert zone_line(figures, "9 · Eporediese", 0, 1, 0, 0) in co_planning
    assert PINEROLO_LINE in co_planning
    assert "Anna" not in co_planning  # counts, never names


async def test_a_facilitator_sees_their_zone(figures: Domain) -> None:
    _, co_planning = texts(await figures.flows.stats.overview(FABIO))
    assert zone_line(figures, "5 · Pinerolese", 1, 0, 1, 1) in co_planning
    assert "9 · Eporediese" not in co_planning and "Iscrizioni attive" not in co_planning


async def test_a_referent_sees_their_venue(figures: Domain) -> None:
    (co_planning,) = texts(await figures.flows.stats.overview(RITA))  # not at the launch
    assert co_planning.startswith(f"📊 <b>{TITLE}</b>") and PINEROLO_LINE in co_planning
    assert "Per zona" not in co_planning


# --- /esporta_iscrizioni ----------------------------------------------------------------------
async def test_export_is_for_organisers(figures: Domain) -> None:
    assert texts(await figures.flows.exports.ask(FABIO)) == [
        figures.t("it", "roles.organisers_only")
    ]
    pressed = await figures.flows.exports.button(FABIO, ExportButton("f", "csv", ALL_EVENTS))
    assert pressed.alert == figures.t("it", "roles.organisers_only") and pressed.replies == []


async def test_export_asks_the_event_then_the_format(figures: Domain) -> None:
    out = await figures.flows.exports.ask(STAFF)
    assert question(out).text == figures.t("it", "export.ask_event")
    assert [ExportButton.unpack(data_of(out, label)) for label in labels(out)] == [
        ExportButton("e", LAUNCH),
        ExportButton("e", CO_PLANNING),
        ExportButton("e", ALL_EVENTS),
    ]
    out = await figures.flows.exports.button(STAFF, ExportButton("e", CO_PLANNING))
    assert out.edit is not None  # the question changes in place
    assert out.edit.text == figures.t("it", "export.ask_format", event=TITLE)
    assert [button.data for button in out.edit.buttons[0]] == [
        ExportButton("f", "csv", CO_PLANNING).pack(),
        ExportButton("f", "xlsx", CO_PLANNING).pack(),
    ]


async def test_the_csv_file(figures: Domain) -> None:
    out = await figures.flows.exports.button(STAFF, ExportButton("f", "csv", CO_PLANNING))
    file = document(out)
    assert file.filename == "iscrizioni-copianificazione-2023-20231120-1000.csv"
    assert file.caption == figures.t("it", "export.caption", event=TITLE, count=3)
    assert out.toast == figures.t("it", "export.sent_toast")
    header, *rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig")), delimiter=";"))
    assert tuple(header) == COLUMNS
    names = {row[COLUMNS.index("name")]: row[COLUMNS.index("status")] for row in rows}
    assert names == {
        "Anna Rossi": "confirmed",
        "Bruno Bianchi": "waitlisted",
        "Carla Verdi": "confirmed",
    }
    telegram_ids = {str(who.user_id) for who in (ANNA, BRUNO, CARLA)}
    assert not telegram_ids & {cell for row in rows for cell in row}  # data minimisation


async def test_the_xlsx_file_of_every_event(figures: Domain) -> None:
    out = await figures.flows.exports.button(STAFF, ExportButton("f", "xlsx", ALL_EVENTS))
    file = document(out)
    assert file.filename == "iscrizioni-tutti-20231120-1000.xlsx"
    assert file.content.startswith(b"PK")  # a zip: an Office Open XML workbook


async def test_an_event_with_no_registration(figures: Domain) -> None:
    out = await figures.flows.exports.button(STAFF, ExportButton("f", "csv", LAUNCH))
    launch = "Verso il nuovo Piano Strategico Metropolitano"
    assert texts(out) == [figures.t("it", "export.empty", event=launch)]


@pytest.mark.parametrize(
    "button",
    [
        ExportButton("e", "no-such-event"),
        ExportButton("f", "pdf", ALL_EVENTS),
        ExportButton("f", "csv"),
        ExportButton("f", "csv", "no-such-event"),
        ExportButton("x", "csv", ALL_EVENTS),
        None,
    ],
    ids=repr,
)
async def test_a_forged_export_button(figures: Domain, button: ExportButton | None) -> None:
    out = await figures.flows.exports.button(STAFF, button)
    assert out.alert == figures.t("it", "button.invalid") and out.replies == []
    assert not out.close_keyboard
