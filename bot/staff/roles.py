"""Who may do what: organisers (PSM_ORGANISERS), facilitators of a zone, venue referents,
moderators of the plenaries' questions.

Organisers can do everything. A facilitator acts on their own zone(s) only; a venue referent
marks attendance at their venue; a moderator moderates the questions of one event (scope: the
event id) or of every event (scope ``*``), and organisers moderate too. Roles other than
organiser are granted by one-time invite links (see :mod:`bot.staff.flows`).
"""

from __future__ import annotations

from collections.abc import Collection

from storage.roles import RoleRepository

FACILITATOR, REFERENT = "facilitator", "referent"
MODERATOR = "moderator"  # the plenaries' questions (bot/questions/moderation.py)
EVERY_EVENT = "*"  # a moderator's scope: every event


class Roles:
    """Role checks for handlers and domain logic."""

    def __init__(self, organisers: Collection[int], store: RoleRepository) -> None:
        self.organisers = frozenset(organisers)
        self.store = store

    def is_organiser(self, user_id: int) -> bool:
        """Whether the user is an organiser."""
        return user_id in self.organisers

    async def facilitator_zones(self, user_id: int) -> set[int]:
        """The zones the user facilitates (empty for others)."""
        return {int(g.scope) for g in await self.store.grants(user_id, FACILITATOR)}

    async def referent_venues(self, user_id: int) -> set[str]:
        """The venues the user is referent of."""
        return {g.scope for g in await self.store.grants(user_id, REFERENT)}

    async def can_act_on_zone(self, user_id: int, zone: int) -> bool:
        """Organisers act on every zone, facilitators on their own."""
        return self.is_organiser(user_id) or zone in await self.facilitator_zones(user_id)

    async def is_moderator(self, user_id: int, event_id: str) -> bool:
        """Organisers, and moderators of this event (or of every event)."""
        if self.is_organiser(user_id):
            return True
        scopes = {g.scope for g in await self.store.grants(user_id, MODERATOR)}
        return event_id in scopes or EVERY_EVENT in scopes

    async def moderators(self, event_id: str) -> list[int]:
        """The moderators of this event (granted for it or for every event), by id; organisers
        are not listed (they moderate when an event has no moderator)."""
        grants = await self.store.grants(role=MODERATOR)
        return sorted({g.user_id for g in grants if g.scope in (event_id, EVERY_EVENT)})

    async def names(self, user_id: int) -> set[str]:
        """The user's roles: any of "organiser", "facilitator", "referent", "moderator"."""
        names = {grant.role for grant in await self.store.grants(user_id)}
        if self.is_organiser(user_id):
            names.add("organiser")
        return names

    async def is_staff(self, user_id: int) -> bool:
        """Organiser, facilitator, referent or moderator."""
        return self.is_organiser(user_id) or bool(await self.store.grants(user_id))
