"""Online meeting links: shared per session (set from the chat) and personal per registrant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from storage._time import to_db
from storage.db import Database


class LinkRepository:
    """Reads and writes ``online_links`` and ``personal_links``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def shared(self, event_id: str) -> dict[str, str]:
        """Links set from the chat for an event: agenda item id ('' = whole event) -> url."""
        rows = await self._db.fetchall(
            "SELECT item_id, url FROM online_links WHERE event_id = ?", (event_id,)
        )
        return {row["item_id"]: row["url"] for row in rows}

    async def set_shared(
        self, event_id: str, item_id: str, url: str, set_by: int | None, now: dt.datetime
    ) -> None:
        """Set the link of a session; '' sets it for every session (dropping per-session ones)."""
        async with self._db.transaction() as conn:
            if item_id == "":
                await conn.execute("DELETE FROM online_links WHERE event_id = ?", (event_id,))
            await conn.execute(
                "INSERT INTO online_links (event_id, item_id, url, set_by, set_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id, item_id) DO UPDATE SET "
                "url = excluded.url, set_by = excluded.set_by, set_at = excluded.set_at",
                (event_id, item_id, url, set_by, to_db(now)),
            )

    async def personal(self, registration_id: int) -> str | None:
        """A registrant's own link, if imported."""
        row = await self._db.fetchone(
            "SELECT url FROM personal_links WHERE registration_id = ?", (registration_id,)
        )
        return str(row["url"]) if row else None

    async def set_personal(self, links: Mapping[int, str], now: dt.datetime) -> None:
        """Store personal links (registration id -> url), replacing older ones."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO personal_links (registration_id, url, set_at) VALUES (?, ?, ?) "
                "ON CONFLICT (registration_id) DO UPDATE SET url = excluded.url, "
                "set_at = excluded.set_at",
                [(registration_id, url, to_db(now)) for registration_id, url in links.items()],
            )
