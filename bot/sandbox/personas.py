"""The sandbox's personas: simulated Telegram users, each with its own id and chat.

Templates: ``new_it``/``new_en`` (nobody yet: the page shows Telegram's START button),
``p5`` (zone 5, in person) and ``p1_online`` (zone 1, online): registered for the rehearsed
event directly through the repositories, as the chat's last step does it (consent, language,
the registration, its confirmation and .ics in the outbox, its reminders planned), so
their chat receives the confirmation and the calendar file as after a real registration;
``fac5`` (facilitator of zone 5) and ``referent`` (referent of zone 5's venue, Pinerolo):
given an invitation by the sandbox's organiser and redeeming it in their chat with
``/start inv_...``, as the bot grants staff roles; ``moderator`` (moderator of the
rehearsed event's plenary questions, invited the same way; not registered: the role needs
no registration, and its chat shows the moderators' menu); ``organiser``: one of the sandbox's
organiser ids (``PSM_ORGANISERS`` of the sandbox), who says ``/start``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.sandbox.botapi import FakeBotApi, FakeUser
from bot.sandbox.rehearsal import rehearsed_event
from bot.services import Services
from bot.staff.flows import INVITE_PREFIX
from bot.staff.roles import FACILITATOR, MODERATOR, REFERENT
from storage.registrations import AlreadyRegisteredError, NewRegistration

log = logging.getLogger(__name__)

# Organisers are settings (PSM_ORGANISERS): the sandbox reserves these ids for them.
ORGANISER_IDS = tuple(range(7_900_001, 7_900_011))
FIRST_USER_ID = 7_100_001


@dataclass(frozen=True)
class Template:
    """A kind of persona the page can add."""

    id: str
    role: str
    language: str
    name: str
    label: dict[str, str]


TEMPLATES = (
    Template(
        "new_it",
        "new",
        "it",
        "Giulia Rossi",
        {"it": "Nuovo partecipante (italiano)", "en": "New participant (Italian)"},
    ),
    Template(
        "new_en",
        "new",
        "en",
        "Emma Clarke",
        {"it": "Nuovo partecipante (inglese)", "en": "New participant (English)"},
    ),
    Template(
        "p5",
        "participant",
        "it",
        "Marco Bianchi",
        {"it": "Partecipante zona 5, in presenza", "en": "Participant, zone 5, in person"},
    ),
    Template(
        "p1_online",
        "participant",
        "it",
        "Sara Conti",
        {"it": "Partecipante zona 1, online", "en": "Participant, zone 1, online"},
    ),
    Template(
        "fac5",
        "facilitator",
        "it",
        "Luca Ferrero",
        {"it": "Facilitatore zona 5", "en": "Facilitator, zone 5"},
    ),
    Template(
        "referent",
        "referent",
        "it",
        "Anna Gallo",
        {"it": "Referente della sede (Pinerolo)", "en": "Venue referent (Pinerolo)"},
    ),
    Template(
        "moderator",
        "moderator",
        "it",
        "Marta Bellini",
        {"it": "Moderatore delle domande", "en": "Questions moderator"},
    ),
    Template(
        "organiser", "organiser", "it", "Paola Marino", {"it": "Organizzatore", "en": "Organiser"}
    ),
)
BY_ID = {template.id: template for template in TEMPLATES}


class PersonaError(ValueError):
    """A persona that cannot be added (unknown template, no organiser id left)."""


@dataclass(frozen=True)
class Persona:
    """One simulated user of the page."""

    id: str
    user_id: int
    name: str
    label: str
    language: str
    role: str

    def as_json(self) -> dict[str, object]:
        """The persona as the page reads it."""
        return asdict(self)


class Personas:
    """The personas added so far, and how to add one.

    They are kept in ``path`` (JSON, next to the sandbox's database, deleted with it): after
    a restart on the same database they come back with their ids (their roles and
    registrations are in the database; their chats' history is not kept), and a new
    persona never takes the id of an old one.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.all: list[Persona] = []
        self._next_user = FIRST_USER_ID
        self.path = path

    def load(self, api: FakeBotApi) -> None:
        """Bring back the personas of the last run (their users and chats, empty)."""
        if self.path is None or not self.path.is_file():
            return
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            personas = [Persona(**row) for row in rows]
        except (OSError, ValueError, TypeError):
            log.warning("sandbox: %s is unreadable: starting without personas", self.path.name)
            return
        for persona in personas:
            first, _, last = persona.name.partition(" ")
            api.user(persona.user_id, first, last or None, language_code=persona.language)
            self.all.append(persona)
            if persona.user_id < ORGANISER_IDS[0]:
                self._next_user = max(self._next_user, persona.user_id + 1)

    def save(self) -> None:
        """Write the personas down (see the class)."""
        if self.path is not None:
            rows = [persona.as_json() for persona in self.all]
            self.path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")

    def templates(self, language: str = "it") -> list[dict[str, str]]:
        """``[{"id", "label"}]`` of every template."""
        return [{"id": t.id, "label": t.label[language]} for t in TEMPLATES]

    def by_user(self, user_id: int) -> Persona | None:
        """The persona with this Telegram user id."""
        return next((p for p in self.all if p.user_id == user_id), None)

    def _user_id(self, template: Template) -> int:
        if template.role != "organiser":
            self._next_user += 1
            return self._next_user - 1
        used = {p.user_id for p in self.all}
        free = [uid for uid in ORGANISER_IDS if uid not in used]
        if not free:
            raise PersonaError(f"at most {len(ORGANISER_IDS)} organisers")
        return free[0]

    async def add(self, template_id: str, api: FakeBotApi, services: Services) -> Persona:
        """Create the persona's user and chat, and give it its role as the bot would."""
        template = BY_ID.get(template_id)
        if template is None:
            known = ", ".join(BY_ID)
            raise PersonaError(f"unknown template {template_id!r} (known: {known})")
        user_id = self._user_id(template)
        same = sum(1 for p in self.all if p.id.startswith(template.id + "-")) + 1
        name = template.name if same == 1 else f"{template.name} {same}"
        first, _, last = name.partition(" ")
        user = api.user(user_id, first, last or None, language_code=template.language)
        persona = Persona(
            f"{template.id}-{same}",
            user_id,
            name,
            template.label[template.language],
            template.language,
            template.role,
        )
        self.all.append(persona)
        self.save()
        await _prepare(template, user, services)
        return persona


async def _prepare(template: Template, user: FakeUser, services: Services) -> None:
    """Bring a persona to where its template says (registered, staff)."""
    if template.role == "participant":
        zone, mode = (5, "in_person") if template.id == "p5" else (1, "online")
        await register(
            services,
            user.id,
            user.first_name + (f" {user.last_name}" if user.last_name else ""),
            zone,
            mode,
            template.language,
        )
    elif template.role in ("facilitator", "referent", "moderator"):
        event = rehearsed_event(services.config)
        role, scope = {
            "facilitator": (FACILITATOR, "5"),
            "referent": (REFERENT, services.config.venue_for(event, 5).id),
            "moderator": (MODERATOR, event.id),  # the rehearsed event's plenaries
        }[template.role]
        token = secrets.token_urlsafe(12)
        now = services.clock.now()
        await services.roles.store.create_invite(
            token, role, scope, ORGANISER_IDS[0], now, now + dt.timedelta(days=1)
        )
        await user.send(f"/start {INVITE_PREFIX}{token}")
        await _until_granted(services, user.id, role)
    elif template.role == "organiser":
        await user.send("/start")


async def _until_granted(services: Services, user_id: int, role: str) -> None:
    """Wait (10 s at most) until the bot granted the role: the persona is ready when added."""
    for _ in range(200):
        if await services.roles.store.grants(user_id, role):
            return
        await asyncio.sleep(0.05)
    log.warning("sandbox: a %s persona did not get its role in 10 s", role)


async def register(
    services: Services, user_id: int, name: str, zone: int, mode: str, language: str
) -> None:
    """Register a user for the rehearsed event as the chat's confirmation step does."""
    config, now = services.config, services.clock.now()
    event = rehearsed_event(config)
    venue = config.venue_for(event, zone) if mode == "in_person" else None
    await services.users.record_consent(user_id, now)
    await services.users.set_language(user_id, language, now)
    new = NewRegistration(
        event_id=event.id,
        user_id=user_id,
        display_name=name,
        zone=zone,
        mode=mode,
        venue_id=venue.id if venue else None,
        organisation=None,
        category=None,
        language=language,
    )
    try:
        registration = await services.registrations.create(
            new, venue.capacity if venue else None, now
        )
    except AlreadyRegisteredError:
        return
    await services.confirmations.plan(registration)
    await services.planner.plan(registration, now)
    await services.tick()
