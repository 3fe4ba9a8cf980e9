"""The registrations export: CSV or XLSX, from the chat (organisers) or ``psm-bot export``.

One row per registration — active ones (confirmed, waitlisted); the command line can add the
cancelled ones. Erased registrations have no personal data left and are never exported.
Columns (:data:`COLUMNS`, stable English names so scripts and the personal-links import can
rely on them): ``registration_id`` (what ``/importa_link`` and ``psm-bot import-links``
expect), ``event_id``, ``event``, ``event_date``, ``name``, ``zone``, ``zone_name``,
``venue_id``, ``venue``, ``mode`` (in_person / online), ``status`` (confirmed / waitlisted /
cancelled), ``waitlist_position``, ``organisation``, ``category``, ``language``,
``registered_at``, ``updated_at``, ``cancelled_at``, ``checked_in_at``, ``checked_in_via``
(``self`` at the desk QR, ``staff`` when a referent or organiser marked it).

The Telegram id is *not* exported: the registration id is enough to join with other files,
and a spreadsheet travels further than the bot's database (data minimisation).

The file is written by :mod:`bot.spreadsheet`, like every export: times are local times of
``process.timezone`` (CSV: ``2023-12-05 09:20:00``; XLSX: real dates), CSV is UTF-8 with a
BOM and ``;`` as separator, XLSX has a bold frozen header row with filters, and text a
spreadsheet would run as a formula (a name starting with ``=``, ``+``, ``-``, ``@``, a tab or
CR) stays text. Personal data reach organisers only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import Clock
from bot.kernel.format import event_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import Languages, Who
from bot.kernel.replies import Button, Document, Keyboard, Message, Outcome
from bot.kernel.spreadsheet import Table, Value, to_csv, to_xlsx
from bot.staff.roles import Roles
from config.event import EventConfig
from storage.stats import ExportRow, StatsRepository

FORMATS = ("csv", "xlsx")
ALL_EVENTS = "*"


@dataclass(frozen=True)
class ExportButton(ButtonData, prefix="xr"):
    """The registrations export's buttons: ``e`` an event (``value``: its id or "all"),
    ``f`` a format (``value``: csv or xlsx) for ``event``."""

    step: str
    value: str
    event: str | None = None


COLUMNS = (
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
)
WIDTHS = {"name": 28, "event": 36, "venue": 36, "organisation": 30, "zone_name": 24}


def table(config: EventConfig, rows: Sequence[ExportRow]) -> list[list[Value]]:
    """The export as typed cells (header excluded); times stay aware, the writer localises."""
    events = {event.id: event for event in config.events}
    venues = {venue.id: venue for venue in config.venues}
    zones = {zone.number: zone for zone in config.zones}
    cells: list[list[Value]] = []
    for row in rows:
        r = row.registration
        event = events.get(r.event_id)
        venue = venues.get(r.venue_id or "")
        zone = zones.get(r.zone)
        via: str | None = None
        if row.checked_in_by_self is not None:
            via = "self" if row.checked_in_by_self else "staff"
        cells.append(
            [
                r.id,
                r.event_id,
                event.title.get("it") if event else None,
                event.date if event else None,
                r.display_name,
                r.zone,
                zone.name if zone else None,
                r.venue_id,
                venue.name if venue else None,
                r.mode,
                r.status.value,
                row.waitlist_position,
                r.organisation,
                r.category,
                r.language,
                r.created_at,
                r.updated_at,
                r.cancelled_at,
                r.checked_in_at,
                via,
            ]
        )
    return cells


def render(cells: list[list[Value]], file_format: str, tz: dt.tzinfo) -> bytes:
    """The file content in ``csv`` or ``xlsx`` (:mod:`bot.spreadsheet`), times in ``tz``."""
    sheet = Table("iscrizioni", COLUMNS, cells, widths=WIDTHS)
    if file_format == "xlsx":
        return to_xlsx([sheet], tz)
    if file_format == "csv":
        return to_csv(sheet, tz)
    raise ValueError(f"unknown format {file_format!r}")


def filename(event_id: str | None, file_format: str, now: dt.datetime, config: EventConfig) -> str:
    """``iscrizioni-<event or tutti>-<YYYYMMDD-HHMM>.<format>`` (local time)."""
    stamp = now.astimezone(config.tz).strftime("%Y%m%d-%H%M")
    return "-".join(("iscrizioni", event_id or "tutti", stamp)) + "." + file_format


async def export(
    config: EventConfig,
    store: StatsRepository,
    event_id: str | None,
    file_format: str,
    *,
    include_cancelled: bool = False,
) -> tuple[bytes, int]:
    """The file for one event (or all, with None) and how many registrations it has."""
    events = [event_id] if event_id is not None else None
    rows = await store.export_rows(events, include_cancelled=include_cancelled)
    return render(table(config, rows), file_format, config.tz), len(rows)


class ExportFlows:
    """``/esporta_iscrizioni``: event, then format, then the file (organisers only).

    Buttons are stateless (``xr|e|<event>``, ``xr|f|<format>|<event>``, ``*`` = all events)
    and re-checked on every press.
    """

    def __init__(
        self,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        store: StatsRepository,
    ) -> None:
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.store = store

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    def _events_keyboard(self, language: str) -> Keyboard:
        t = self.t
        config = self.config
        buttons: Keyboard = [
            [
                Button(
                    event_label(self.catalog, language, config, event),
                    ExportButton("e", event.id).pack(),
                )
            ]
            for event in sorted(config.events, key=config.starts_at)
        ]
        buttons.append(
            [Button(t(language, "export.all_events"), ExportButton("e", ALL_EVENTS).pack())]
        )
        return buttons

    async def ask(self, who: Who) -> Outcome:
        """The event buttons, or a polite refusal."""
        language = await self.languages.of(who)
        t = self.t
        if not self.roles.is_organiser(who.user_id):
            return Outcome().add(Message(t(language, "roles.organisers_only")))
        return Outcome().add(
            Message(t(language, "export.ask_event"), self._events_keyboard(language))
        )

    def _event_title(self, language: str, event_id: str) -> str | None:
        if event_id == ALL_EVENTS:
            return str(self.t(language, "export.all_events"))
        for event in self.config.events:
            if event.id == event_id:
                return event.title.get(language)
        return None

    async def button(self, who: Who, button: ExportButton | None) -> Outcome:
        """An export button: pick the format, then send the file."""
        language = await self.languages.of(who)
        t = self.t
        if not self.roles.is_organiser(who.user_id):
            return Outcome(alert=t(language, "roles.organisers_only"), close_keyboard=False)
        invalid = Outcome(alert=t(language, "button.invalid"), close_keyboard=False)
        if button is not None and button.step == "e" and button.event is None:
            title = self._event_title(language, button.value)
            if title is None:
                return invalid
            keyboard = [
                [
                    Button(
                        t(language, "export.csv"), ExportButton("f", "csv", button.value).pack()
                    ),
                    Button(
                        t(language, "export.xlsx"), ExportButton("f", "xlsx", button.value).pack()
                    ),
                ]
            ]
            return Outcome(edit=Message(t(language, "export.ask_format", event=title), keyboard))
        if button is None or button.step != "f" or button.value not in FORMATS or not button.event:
            return invalid
        file_format, event_id = button.value, button.event
        title = self._event_title(language, event_id)
        if title is None:
            return invalid
        only = None if event_id == ALL_EVENTS else event_id
        content, count = await export(self.config, self.store, only, file_format)
        out = Outcome(close_keyboard=False)
        if count == 0:
            return out.add(Message(t(language, "export.empty", event=title)))
        name = filename(only, file_format, self.clock.now(), self.config)
        out.toast = t(language, "export.sent_toast")
        return out.add(
            Document(name, content, t(language, "export.caption", event=title, count=count))
        )
