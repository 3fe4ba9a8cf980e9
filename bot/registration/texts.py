"""How a registration reads: the welcome, the privacy notice, the answers listed, the status."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.format import date_text, venue_text, zone_label
from bot.kernel.i18n import Catalog, Raw
from config.event import AttendanceMode, Event, EventConfig
from storage.registrations import Registration, RegistrationRepository, Status


@dataclass(frozen=True)
class Answers:
    """What a registration says (or will say once confirmed), for the summary."""

    name: str
    zone: int
    mode: AttendanceMode
    organisation: str | None = None
    category: str | None = None

    @classmethod
    def of(cls, registration: Registration) -> Answers:
        """A stored registration's answers."""
        return cls(
            registration.display_name or "",
            registration.zone,
            AttendanceMode(registration.mode),
            registration.organisation,
            registration.category,
        )


class RegistrationTexts:
    """The texts of registration that several steps share."""

    def __init__(
        self, config: EventConfig, catalog: Catalog, registrations: RegistrationRepository
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.registrations = registrations

    def event(self, event_id: object) -> Event | None:
        """The event of that id, if the event file still has it."""
        try:
            return self.config.event(str(event_id))
        except KeyError:
            return None

    def event_title(self, language: str, event_id: str) -> str:
        """An event's title (its id when the file no longer has it)."""
        event = self.event(event_id)
        return event.title.get(language) if event else event_id

    def welcome(self, language: str) -> Raw:
        """The welcome naming the process."""
        process = self.config.process
        text = process.welcome.get(language) if process.welcome else ""
        return self.catalog(
            language, "start.welcome", process=process.name.get(language), text=text
        )

    def privacy(self, language: str) -> str:
        """The event file's privacy notice."""
        return self.config.process.privacy_notice.get(language)

    def details(self, language: str, event: Event, answers: Answers) -> Raw:
        """The answers, as the summary lists them."""
        t = self.catalog
        where: Raw
        if answers.mode is AttendanceMode.IN_PERSON:
            venue = self.config.venue_for(event, answers.zone)
            where = t(language, "summary.in_person", venue=venue_text(venue))
        else:
            where = t(language, "summary.online")
        none = t(language, "common.none")
        return t(
            language,
            "summary.details",
            event=event.title.get(language),
            date=date_text(self.catalog, language, event.date),
            name=answers.name,
            zone=zone_label(self.config, answers.zone),
            where=where,
            organisation=answers.organisation or none,
            category=t(language, f"category.{answers.category}") if answers.category else none,
        )

    async def status(
        self, registration: Registration, language: str, *, overview: bool = False
    ) -> Raw:
        """A registration's status with its details (``overview``: as /iscrizione shows it)."""
        event = self.event(registration.event_id)
        assert event is not None
        details = self.details(language, event, Answers.of(registration))
        if registration.status is Status.WAITLISTED:
            position = await self.registrations.waitlist_position(registration)
            venue = self.config.venue(registration.venue_id or "")
            key = "registration.current_waitlisted" if overview else "registration.waitlisted"
            return self.catalog(
                language, key, details=details, position=position or 1, venue=venue.name
            )
        key = "registration.current" if overview else "registration.confirmed"
        return self.catalog(language, key, details=details)
