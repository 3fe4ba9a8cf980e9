"""Warnings about a valid event file: things that work, but not as the organiser may expect.

``psm-bot check-config`` prints them after the summary; they do not make the file invalid.

- **Every event is over**: nobody can register (the bundled file's events are in 2023).
- **Texts Telegram will not take whole**: a message is at most 4,096 characters and a
  caption 1,024 (counted as Telegram does, on the visible text: tags do not count, ``&amp;``
  is one character, in UTF-16 code units). The bot splits longer ones at paragraph
  boundaries; the warning says which text of the file ends up in such a message: the welcome,
  the privacy notice in the consent question, an event's programme in the confirmation
  (with the longest name, organisation and venue a participant can have) and in
  ``/programma``, each reminder (with the longest name, venue and a 512-character link), an
  event title in the results-export caption.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.kernel.format import agenda_block, date_text, venue_text, zone_label
from bot.kernel.i18n import LANGUAGES, Catalog, Raw
from bot.kernel.textsplit import visible_length
from config.event import LINK_MAX, AttendanceMode, Event, EventConfig, Reminder, item_names
from config.messages import Issue, Msg

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

# The longest answers a participant can give (bot/registration.py: NAME_MAX,
# ORGANISATION_MAX); the checks assume the worst.
LONGEST_NAME = 80
LONGEST_ORGANISATION = 120


def config_warnings(config: EventConfig, catalog: Catalog, now: dt.datetime) -> list[Issue]:
    """Every warning about ``config`` at ``now``, in the order of the file."""
    warnings = list(_over(config, now))
    warnings += TextLengths(config, catalog).warnings()
    return warnings


def _over(config: EventConfig, now: dt.datetime) -> list[Issue]:
    last = max(config.events, key=config.ends_at)
    if now < config.ends_at(last):
        return []
    return [Issue("events", Msg("all_events_over", {"date": last.date.isoformat()}))]


@dataclass(frozen=True)
class _Measured:
    """One message a text of the file ends up in, and how long it gets."""

    what: Msg
    length: int
    limit: int


class TextLengths:
    """The messages the file's texts end up in, measured with the longest participant data."""

    def __init__(self, config: EventConfig, catalog: Catalog) -> None:
        self.config = config
        self.t = catalog

    def warnings(self) -> list[Issue]:
        """One warning per text and language whose longest message is over the limit."""
        found: list[Issue] = []
        process = self.config.process
        for language in LANGUAGES:
            measured = []
            if process.welcome is not None:
                welcome = self.t(
                    language,
                    "start.welcome",
                    process=process.name.get(language),
                    text=process.welcome.get(language),
                )
                measured.append(("process.welcome", self._message("what_welcome", welcome)))
            notice = process.privacy_notice.get(language)
            consent = self.t(language, "consent.ask", notice=notice)
            privacy = self.t(language, "privacy.text", notice=notice)
            measured.append(
                ("process.privacy_notice", self._message("what_consent", consent)),
            )
            measured.append(("process.privacy_notice", self._message("what_privacy", privacy)))
            found += self._over_limit(measured, language)
        labels = item_names([event.id for event in self.config.events])
        for label, event in zip(labels, self.config.events, strict=True):
            found += self._event(f"events[{label}]", event)
        return found

    def _event(self, where: str, event: Event) -> list[Issue]:
        found = []
        for language in LANGUAGES:
            measured = []
            for mode in event.modes:
                mode_name = Msg(f"mode_{mode.value}")
                agenda = agenda_block(self.t, language, self.config, event, mode)
                measured.append(
                    (f"{where}.agenda", self._message("what_agenda", agenda, mode=mode_name))
                )
                confirmation = Raw(f"{self._status(language, event, mode)}\n\n{agenda}")
                measured.append(
                    (
                        f"{where}.agenda",
                        self._message("what_confirmation", confirmation, mode=mode_name),
                    )
                )
            caption = self.t(language, "results.export_caption", event=event.title.get(language))
            measured.append(
                (f"{where}.title", self._caption("what_export_caption", caption)),
            )
            found += self._over_limit(measured, language)
            rules = item_names([rule.id for rule in event.reminders])
            for label, rule in zip(rules, event.reminders, strict=True):
                if language == "en" and not rule.text.en:
                    continue  # the Italian text is used, and measured once
                values = self._values(event, language, rule)
                text = rule.text.get(language).format_map(values)
                found += self._over_limit(
                    [
                        (
                            f"{where}.reminders[{label}].text.{language}",
                            self._message("what_reminder", text),
                        )
                    ],
                    language,
                )
        return found

    def _status(self, language: str, event: Event, mode: AttendanceMode) -> str:
        """The registration status with the longest answers (bot/registration.py)."""
        t = self.t
        venues = [self.config.venue_for(event, zone.number) for zone in self.config.zones]
        venue = max(venues, key=lambda v: len(v.name) + len(v.address))
        if mode is AttendanceMode.IN_PERSON:
            where = t(language, "summary.in_person", venue=venue_text(venue))
        else:
            where = t(language, "summary.online")
        zone = max(self.config.zones, key=lambda z: len(z.name)).number
        categories = ("comune", "ente_pubblico", "impresa", "associazione", "universita")
        category = max((t(language, f"category.{c}") for c in categories), key=len)
        details = t(
            language,
            "summary.details",
            event=event.title.get(language),
            date=date_text(t, language, event.date),
            name="N" * LONGEST_NAME,
            zone=zone_label(self.config, zone),
            where=where,
            organisation="O" * LONGEST_ORGANISATION,
            category=category,
        )
        confirmed = t(language, "registration.confirmed", details=details)
        waitlisted = t(
            language, "registration.waitlisted", details=details, position=999, venue=venue.name
        )
        return max(confirmed, waitlisted, key=visible_length)

    def _values(self, event: Event, language: str, rule: Reminder) -> dict[str, str]:
        """The longest values of a reminder's placeholders (bot/reminders.py)."""
        venues = self.config.venues
        slots = [slot for slot in self.config.reminder_slots(event) if slot.rule is rule]
        titles = [s.session.title.get(language) for s in slots if s.session is not None]
        return {
            "name": "N" * LONGEST_NAME,
            "event": event.title.get(language),
            "date": date_text(self.t, language, event.date),
            "venue": max((v.name for v in venues), key=len),
            "address": max((v.address for v in venues), key=len),
            "time": "23:59",
            "session": max([*titles, event.title.get(language)], key=len),
            "arrival": "23:59",
            "link": "L" * LINK_MAX if rule.link else "",
        }

    @staticmethod
    def _message(code: str, text: str, **params: object) -> _Measured:
        return _Measured(Msg(code, params), visible_length(text), MESSAGE_LIMIT)

    @staticmethod
    def _caption(code: str, text: str) -> _Measured:
        return _Measured(Msg(code), visible_length(text), CAPTION_LIMIT)

    @staticmethod
    def _over_limit(measured: list[tuple[str, _Measured]], language: str) -> list[Issue]:
        """For each field, the longest of its messages that is over its limit."""
        worst: dict[str, _Measured] = {}
        for path, item in measured:
            if item.length <= item.limit:
                continue
            current = worst.get(path)
            if current is None or item.length - item.limit > current.length - current.limit:
                worst[path] = item
        return [
            Issue(
                path,
                Msg(
                    "caption_split" if item.limit == CAPTION_LIMIT else "message_split",
                    {
                        "message": item.what,
                        "language": Msg(f"language_{language}"),
                        "length": item.length,
                        "limit": item.limit,
                    },
                ),
            )
            for path, item in worst.items()
        ]
