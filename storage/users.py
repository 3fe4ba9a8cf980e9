"""Users: language preference, privacy consent, reachability."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage._time import from_db, to_db
from storage.db import Database


@dataclass(frozen=True)
class User:
    """What psm-bot keeps about a Telegram user outside their registrations."""

    user_id: int
    language: str | None
    consent_at: dt.datetime | None
    reachable: bool


class UserRepository:
    """Reads and writes ``users``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.languages_version = 0  # moves with every language choice (for caches of it)

    async def get(self, user_id: int) -> User | None:
        """The user, or None if psm-bot keeps nothing about them."""
        row = await self._db.fetchone(
            "SELECT user_id, language, consent_at, reachable FROM users WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        return User(
            row["user_id"], row["language"], from_db(row["consent_at"]), bool(row["reachable"])
        )

    async def set_language(self, user_id: int, language: str, now: dt.datetime) -> None:
        """Remember an explicit language choice."""
        self.languages_version += 1
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (user_id, language, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language",
                (user_id, language, to_db(now)),
            )
        self.languages_version += 1

    async def record_consent(self, user_id: int, now: dt.datetime) -> None:
        """Record that the user accepted the privacy notice."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (user_id, consent_at, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET consent_at = excluded.consent_at",
                (user_id, to_db(now), to_db(now)),
            )

    async def set_reachable(self, user_id: int, reachable: bool) -> None:
        """Mark whether messages can reach the user (they blocked or unblocked the bot)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE users SET reachable = ? WHERE user_id = ?", (int(reachable), user_id)
            )
