"""Shared by the benchmarks: participants registered straight into storage."""

from __future__ import annotations

import datetime as dt

from bot.services import Services
from storage.registrations import NewRegistration
from tests.fakebot.server import FakeBotApi


async def register_many(
    services: Services,
    api: FakeBotApi,
    event_id: str,
    first_user: int,
    count: int,
    now: dt.datetime,
) -> None:
    """``count`` in-person participants spread over the zones, each with a fake chat.

    The chat path of registration is measured by the tests; benchmarks need the crowd fast.
    Venue capacities are ignored (``None``) so everyone is confirmed.
    """
    zones = services.config.zones
    for index in range(count):
        user_id = first_user + index
        api.user(user_id, f"P{index}")
        zone = zones[index % len(zones)]
        await services.registrations.create(
            NewRegistration(
                event_id,
                user_id,
                f"P{index}",
                zone.number,
                "in_person",
                zone.venue,
                None,
                None,
                "it",
            ),
            None,
            now,
        )
