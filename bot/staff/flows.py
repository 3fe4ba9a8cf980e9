"""Staff roles: organisers invite facilitators (per zone), referents (per venue) and
moderators of the plenaries' questions (per event, or for every event).

An invitation is a one-time deep link ``t.me/<bot>?start=inv_<token>`` valid for 7 days;
whoever opens it first gets the role (and their Telegram name is kept with it, for the
staff list). Organisers list the staff (``/staff``, by name), remove a role, and revoke
invitations not used yet. A moderator's invitation (``/invita_moderatore``) is for the one
upcoming event, or, when several are upcoming, for the event the organiser picks or for every
event (scope ``*``). Buttons here carry no secret state: every press is checked
against the presser's role, so forged data changes nothing.

Also here, as they depend on the roles: ``/aiuto`` (each role's own commands after the
participant ones), ``/mioid`` (the user's numeric id, for ``PSM_ORGANISERS``) and the
erasure of one's data (``/cancella_dati``), which ends the roles granted in the chat.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from bot.kernel.buttons import ButtonData
from bot.kernel.clock import Clock
from bot.kernel.commands import (
    FACILITATOR_COMMANDS,
    MODERATOR_COMMANDS,
    REFERENT_COMMANDS,
    Command,
    role_commands,
)
from bot.kernel.format import zone_label
from bot.kernel.i18n import Catalog, Raw
from bot.kernel.people import NAME_MAX, Languages, Who, clean_text
from bot.kernel.replies import Button, Message, Outcome
from bot.staff.roles import EVERY_EVENT, FACILITATOR, MODERATOR, REFERENT, Roles
from config.event import Event, EventConfig
from storage.broadcasts import BroadcastRepository
from storage.registrations import Registration, RegistrationRepository

INVITE_VALIDITY = dt.timedelta(days=7)
INVITE_PREFIX = "inv_"


@dataclass(frozen=True)
class InviteButton(ButtonData, prefix="o|inv"):
    """Create an invitation: ``kind`` f (facilitator of zone ``scope``), r (referent of
    venue ``scope``) or m (moderator of event ``scope``, or ``*`` for every event)."""

    kind: str
    scope: str


@dataclass(frozen=True)
class RevokeButton(ButtonData, prefix="o|rev"):
    """Revoke an invitation not used yet."""

    token: str


@dataclass(frozen=True)
class RemoveRoleButton(ButtonData, prefix="o|rm"):
    """Remove a role from someone."""

    user_id: int
    role: str
    scope: str


StaffButton = InviteButton | RevokeButton | RemoveRoleButton
STAFF_BUTTONS: tuple[type[InviteButton] | type[RevokeButton] | type[RemoveRoleButton], ...] = (
    InviteButton,
    RevokeButton,
    RemoveRoleButton,
)
ROLE_OF_KIND = {"f": FACILITATOR, "r": REFERENT, "m": MODERATOR}
STAFF_PATTERN = r"^o\|"  # every staff button (each kind is told apart by its codec)


def read_staff_button(data: str | None) -> StaffButton | None:
    """The staff button ``data`` stands for, if any."""
    for codec in STAFF_BUTTONS:
        found = codec.unpack(data)
        if found is not None:
            return found
    return None


class StaffFlows:
    """Invitations, staff list and role removal (organisers), and redeeming invitations."""

    def __init__(
        self,
        languages: Languages,
        config: EventConfig,
        catalog: Catalog,
        clock: Clock,
        roles: Roles,
        registrations: RegistrationRepository,
        broadcasts_store: BroadcastRepository,
    ) -> None:
        self.languages = languages
        self.config = config
        self.catalog = catalog
        self.clock = clock
        self.roles = roles
        self.registrations = registrations
        self.broadcasts_store = broadcasts_store

    def t(self, language: str, key: str, /, **params: object) -> Raw:
        """A catalog message."""
        return self.catalog(language, key, **params)

    def _scope_label(self, role: str, scope: str, language: str = "it") -> str:
        if role == MODERATOR:
            if scope == EVERY_EVENT:
                return str(self.t(language, "staff.every_event"))
            try:
                return self.config.event(scope).title.get(language)
            except KeyError:
                return scope
        if role == FACILITATOR and scope.isdigit() and self.config.has_zone(int(scope)):
            return zone_label(self.config, int(scope))
        if role == REFERENT:
            try:
                return self.config.venue(scope).name
            except KeyError:
                return scope
        return scope

    async def _refuse(self, who: Who) -> Outcome | None:
        language = await self.languages.of(who)
        if self.roles.is_organiser(who.user_id):
            return None
        return Outcome(alert=None).add(Message(self.t(language, "roles.organisers_only")))

    async def ask_invite(self, who: Who, role: str) -> Outcome:
        """``/invita_facilitatore`` / ``/invita_referente``: pick the zone or the venue."""
        refused = await self._refuse(who)
        if refused is not None:
            return refused
        language = await self.languages.of(who)
        t = self.t
        if role == FACILITATOR:
            buttons = [
                [Button(zone_label(self.config, z.number), InviteButton("f", str(z.number)).pack())]
                for z in self.config.zones
            ]
            return Outcome().add(Message(t(language, "staff.pick_zone"), buttons))
        buttons = [[Button(v.name, InviteButton("r", v.id).pack())] for v in self.config.venues]
        return Outcome().add(Message(t(language, "staff.pick_venue"), buttons))

    def upcoming(self) -> list[Event]:
        """The events not over yet, soonest first (what a moderator can be invited for)."""
        now = self.clock.now()
        events = [event for event in self.config.events if now < self.config.ends_at(event)]
        return sorted(events, key=self.config.starts_at)

    async def ask_moderator_invite(self, who: Who, bot_username: str) -> Outcome:
        """``/invita_moderatore``: the invitation at once when at most one event is upcoming;
        otherwise pick the event, or every event."""
        refused = await self._refuse(who)
        if refused is not None:
            return refused
        language = await self.languages.of(who)
        upcoming = self.upcoming()
        if len(upcoming) <= 1:
            scope = upcoming[0].id if upcoming else EVERY_EVENT
            return await self._invitation(who, language, MODERATOR, scope, bot_username)
        buttons = [
            [Button(event.title.get(language), InviteButton("m", event.id).pack())]
            for event in upcoming
        ]
        every = str(self.t(language, "staff.every_event_button"))
        buttons.append([Button(every, InviteButton("m", EVERY_EVENT).pack())])
        return Outcome().add(Message(self.t(language, "staff.pick_event"), buttons))

    def _valid_scope(self, role: str, scope: str) -> bool:
        """The zone, venue or event (or ``*`` for a moderator) exists."""
        if role == FACILITATOR:
            return scope.isdigit() and self.config.has_zone(int(scope))
        if role == REFERENT:
            return scope in {v.id for v in self.config.venues}
        return scope == EVERY_EVENT or scope in {e.id for e in self.config.events}

    async def _invitation(
        self, who: Who, language: str, role: str, scope: str, bot_username: str
    ) -> Outcome:
        """A new one-time invitation to ``role`` of ``scope``, with its revoke button."""
        t = self.t
        now = self.clock.now()
        token = secrets.token_urlsafe(12)
        expires = now + INVITE_VALIDITY
        await self.roles.store.create_invite(token, role, scope, who.user_id, now, expires)
        link = f"https://t.me/{bot_username}?start={INVITE_PREFIX}{token}"
        local = expires.astimezone(self.config.tz)
        text = t(
            language,
            f"staff.invite_{role}",
            scope=self._scope_label(role, scope, language),
            link=link,
            expires=f"{local:%d/%m/%Y %H:%M}",
        )
        return Outcome().add(
            Message(text, [[Button(t(language, "staff.revoke"), RevokeButton(token).pack())]])
        )

    async def button(self, who: Who, button: StaffButton | None, bot_username: str) -> Outcome:
        """Organiser buttons: create an invitation, revoke one, remove a role."""
        language = await self.languages.of(who)
        t = self.t
        if not self.roles.is_organiser(who.user_id):
            return Outcome(alert=t(language, "roles.organisers_only"))
        now = self.clock.now()
        if isinstance(button, InviteButton) and button.kind in ROLE_OF_KIND:
            role = ROLE_OF_KIND[button.kind]
            if not self._valid_scope(role, button.scope):
                return Outcome(alert=t(language, "button.invalid"))
            return await self._invitation(who, language, role, button.scope, bot_username)
        if isinstance(button, RevokeButton):
            if await self.roles.store.revoke_invite(button.token, now):
                return Outcome(toast=t(language, "staff.revoked")).add(
                    Message(t(language, "staff.revoked"))
                )
            return Outcome(alert=t(language, "staff.not_revocable"))
        if isinstance(button, RemoveRoleButton):
            user_id, role, scope = button.user_id, button.role, button.scope
            if role not in (FACILITATOR, REFERENT, MODERATOR):
                return Outcome(alert=t(language, "button.invalid"))
            if not await self.roles.store.revoke(user_id, role, scope):
                return Outcome(alert=t(language, "button.stale"))
            out = Outcome(refresh_menus=[user_id])
            return out.add(
                Message(
                    t(
                        language,
                        "staff.removed",
                        role=t(language, f"staff.{role}"),
                        scope=self._scope_label(role, scope, language),
                    )
                )
            )
        return Outcome(alert=t(language, "button.invalid"))

    async def _name(self, user_id: int, telegram_name: str | None) -> str | None:
        """How /staff names someone: the name they registered with, else their Telegram name
        when they accepted the invitation."""
        for registration in await self.registrations.active_for_user(user_id):
            if registration.display_name:
                return registration.display_name
        return telegram_name

    async def list_staff(self, who: Who) -> Outcome:
        """``/staff``: facilitators and referents with remove buttons, open invitations."""
        refused = await self._refuse(who)
        if refused is not None:
            return refused
        language = await self.languages.of(who)
        t = self.t
        out = Outcome()
        grants = await self.roles.store.grants()
        if not grants:
            out.add(Message(t(language, "staff.none")))
        for grant in grants:
            name = await self._name(grant.user_id, grant.name)
            label = t(
                language,
                "staff.member",
                name=name or t(language, "staff.no_name"),
                role=t(language, f"staff.{grant.role}"),
                scope=self._scope_label(grant.role, grant.scope, language),
                user=grant.user_id,
            )
            out.add(
                Message(
                    label,
                    [
                        [
                            Button(
                                t(language, "staff.remove"),
                                RemoveRoleButton(grant.user_id, grant.role, grant.scope).pack(),
                            )
                        ]
                    ],
                )
            )
        for invite in await self.roles.store.open_invites(self.clock.now()):
            local = invite.expires_at.astimezone(self.config.tz)
            text = t(
                language,
                "staff.open_invite",
                role=t(language, f"staff.{invite.role}"),
                scope=self._scope_label(invite.role, invite.scope, language),
                expires=f"{local:%d/%m/%Y %H:%M}",
            )
            out.add(
                Message(
                    text, [[Button(t(language, "staff.revoke"), RevokeButton(invite.token).pack())]]
                )
            )
        return out

    async def redeem(self, who: Who, token: str) -> Outcome:
        """``/start inv_<token>``: take the role the invitation offers, if it is still valid."""
        language = await self.languages.of(who)
        t = self.t
        name = clean_text(who.full_name, NAME_MAX)
        invite = await self.roles.store.use_invite(token, who.user_id, self.clock.now(), name)
        if invite is None:
            return Outcome().add(Message(t(language, "staff.invalid_invite")))
        out = Outcome(refresh_menus=[who.user_id])
        return out.add(
            Message(
                t(
                    language,
                    f"staff.welcome_{invite.role}",
                    scope=self._scope_label(invite.role, invite.scope, language),
                )
            )
        )

    # --- /aiuto and /mioid -----------------------------------------------------------------
    def _command_lines(self, language: str, commands: tuple[Command, ...]) -> list[str]:
        return [
            str(
                self.t(
                    language,
                    "help.line",
                    command=command.name_in(language),
                    description=self.t(language, f"commands.{command.canonical}"),
                )
            )
            for command in commands
        ]

    async def help_sections(self, user_id: int, language: str) -> Raw:
        """The commands of each role the user has, after the participant ones (HTML)."""
        t = self.t
        sections: list[str] = []
        if self.roles.is_organiser(user_id):  # every staff command, in menu order
            lines = self._command_lines(language, role_commands({"organiser"}))
            return Raw("\n\n" + "\n".join([t(language, "help.organiser"), *lines]))
        listed: set[Command] = set()  # a command two roles share is listed once
        own_commands = (
            (FACILITATOR, FACILITATOR_COMMANDS),
            (REFERENT, REFERENT_COMMANDS),
            (MODERATOR, MODERATOR_COMMANDS),
        )
        for role, own in own_commands:
            grants = await self.roles.store.grants(user_id, role)
            if not grants:
                continue
            scopes = ", ".join(self._scope_label(role, g.scope, language) for g in grants)
            commands = tuple(command for command in own if command not in listed)
            listed.update(commands)
            lines = self._command_lines(language, commands)
            sections.append("\n".join([t(language, f"help.{role}", scope=scopes), *lines]))
        return Raw("".join(f"\n\n{section}" for section in sections))

    async def my_id(self, who: Who) -> Outcome:
        """``/mioid``: the user's numeric Telegram id (what ``PSM_ORGANISERS`` lists)."""
        language = await self.languages.of(who)
        return Outcome().add(Message(self.t(language, "myid.text", id=who.user_id)))

    # --- erasure (/cancella_dati) ------------------------------------------------------------
    async def _roles_text(self, user_id: int, language: str) -> Raw:
        """The user's roles granted in the chat, e.g. "facilitatore di 5 · Pinerolese"."""
        t = self.t
        return Raw(
            ", ".join(
                str(
                    t(
                        language,
                        "staff.role_of",
                        role=t(language, f"staff.{grant.role}"),
                        scope=self._scope_label(grant.role, grant.scope, language),
                    )
                )
                for grant in await self.roles.store.grants(user_id)
            )
        )

    async def _active_broadcasts(self, user_id: int) -> int:
        active = await self.broadcasts_store.with_status("scheduled", "sending")
        return sum(1 for broadcast in active if broadcast.created_by == user_id)

    async def erase_question(self, user_id: int, language: str) -> Raw:
        """The confirmation question of ``/cancella_dati``: what goes, and for staff that
        their roles end (an organiser's, which comes from the settings, does not)."""
        t = self.t
        parts = [str(t(language, "erase.ask"))]
        roles = await self._roles_text(user_id, language)
        if roles:
            parts.append(str(t(language, "erase.ask_roles", roles=roles)))
        if self.roles.is_organiser(user_id):
            parts.append(str(t(language, "erase.ask_organiser")))
        broadcasts = await self._active_broadcasts(user_id)
        if broadcasts:
            parts.append(str(t(language, "erase.ask_broadcasts", count=broadcasts)))
        return Raw("\n\n".join(parts))

    async def erase(self, user_id: int, language: str, out: Outcome) -> list[Registration]:
        """Erase the user's data everywhere (ending their roles) and say so in ``out``.

        Returns whoever was promoted into the places they held.
        """
        t = self.t
        roles = await self._roles_text(user_id, language)
        capacities = {
            (event.id, venue.id): venue.capacity
            for event in self.config.events
            for venue in self.config.venues
        }
        promoted = await self.registrations.erase_user(user_id, capacities, self.clock.now())
        out.add(Message(t(language, "erase.done")))
        if roles:
            out.add(Message(t(language, "erase.roles_ended", roles=roles)))
            out.refresh_menus.append(user_id)
        if self.roles.is_organiser(user_id):
            out.add(Message(t(language, "erase.organiser_kept")))
        return promoted
