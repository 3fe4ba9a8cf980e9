"""Open conversations: the step each user is at, stored so a restart resumes it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from storage._time import from_db, to_db
from storage.db import Database


@dataclass
class Conversation:
    """A user's place in a multi-step flow and the answers given so far."""

    user_id: int
    flow: str
    step: str
    token: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: dt.datetime | None = None


class ConversationRepository:
    """Reads and writes ``conversations``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> Conversation | None:
        """The user's open conversation, if any."""
        row = await self._db.fetchone(
            "SELECT user_id, flow, step, token, data, updated_at FROM conversations "
            "WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        return Conversation(
            row["user_id"],
            row["flow"],
            row["step"],
            row["token"],
            json.loads(row["data"]),
            from_db(row["updated_at"]),
        )

    async def save(self, conversation: Conversation, now: dt.datetime) -> None:
        """Create or replace the user's conversation."""
        conversation.updated_at = now
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO conversations (user_id, flow, step, token, data, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "flow = excluded.flow, step = excluded.step, token = excluded.token, "
                "data = excluded.data, updated_at = excluded.updated_at",
                (
                    conversation.user_id,
                    conversation.flow,
                    conversation.step,
                    conversation.token,
                    json.dumps(conversation.data, ensure_ascii=False),
                    to_db(now),
                ),
            )

    async def delete(self, user_id: int) -> None:
        """End the user's conversation."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))
