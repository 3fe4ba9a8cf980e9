"""Roles granted in the chat (facilitators per zone, referents per venue) and their invites."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage._time import from_db, to_db
from storage.db import Database


@dataclass(frozen=True)
class Grant:
    """A role held by a user: facilitator of a zone or referent of a venue."""

    user_id: int
    role: str
    scope: str
    granted_at: dt.datetime
    name: str | None = None  # their Telegram name when they accepted the invitation


@dataclass(frozen=True)
class Invite:
    """A one-time invitation link to a role."""

    token: str
    role: str
    scope: str
    created_by: int
    created_at: dt.datetime
    expires_at: dt.datetime
    used_by: int | None
    revoked: bool

    def usable(self, now: dt.datetime) -> bool:
        """Not used, not revoked, not expired."""
        return self.used_by is None and not self.revoked and now < self.expires_at


class RoleRepository:
    """Reads and writes ``roles`` and ``invites``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def grants(self, user_id: int | None = None, role: str | None = None) -> list[Grant]:
        """Grants, optionally of one user and/or one role."""
        clauses, params = [], []
        for column, value in (("user_id", user_id), ("role", role)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._db.fetchall(
            f"SELECT user_id, role, scope, granted_at, name FROM roles {where} "
            "ORDER BY role, scope",
            params,
        )
        return [
            Grant(
                r["user_id"],
                r["role"],
                r["scope"],
                from_db(r["granted_at"]) or dt.datetime.min,
                r["name"],
            )
            for r in rows
        ]

    async def grant(
        self, user_id: int, role: str, scope: str, granted_by: int | None, now: dt.datetime
    ) -> None:
        """Give a role (idempotent)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO roles (user_id, role, scope, granted_by, granted_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, role, scope, granted_by, to_db(now)),
            )

    async def revoke(self, user_id: int, role: str, scope: str) -> bool:
        """Take a role away; True if the user had it."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM roles WHERE user_id = ? AND role = ? AND scope = ?",
                (user_id, role, scope),
            )
            return cursor.rowcount > 0

    async def create_invite(
        self,
        token: str,
        role: str,
        scope: str,
        created_by: int,
        now: dt.datetime,
        expires_at: dt.datetime,
    ) -> None:
        """Store a new invitation."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO invites (token, role, scope, created_by, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (token, role, scope, created_by, to_db(now), to_db(expires_at)),
            )

    async def invite(self, token: str) -> Invite | None:
        """An invitation by its token."""
        row = await self._db.fetchone(
            "SELECT token, role, scope, created_by, created_at, expires_at, used_by, revoked_at "
            "FROM invites WHERE token = ?",
            (token,),
        )
        if row is None:
            return None
        created, expires = from_db(row["created_at"]), from_db(row["expires_at"])
        assert created is not None and expires is not None
        return Invite(
            row["token"],
            row["role"],
            row["scope"],
            row["created_by"],
            created,
            expires,
            row["used_by"],
            row["revoked_at"] is not None,
        )

    async def open_invites(self, now: dt.datetime) -> list[Invite]:
        """Invitations still usable."""
        rows = await self._db.fetchall(
            "SELECT token FROM invites WHERE used_by IS NULL AND revoked_at IS NULL "
            "AND expires_at > ? ORDER BY created_at",
            (to_db(now),),
        )
        found = [await self.invite(row["token"]) for row in rows]
        return [invite for invite in found if invite is not None]

    async def use_invite(
        self, token: str, user_id: int, now: dt.datetime, name: str | None = None
    ) -> Invite | None:
        """Redeem an invitation (once): grants its role; None if not usable.

        ``name`` (their Telegram name) is kept with every role of that user, for the staff list.
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE token = ? AND used_by IS NULL "
                "AND revoked_at IS NULL AND expires_at > ?",
                (user_id, to_db(now), token, to_db(now)),
            )
            if cursor.rowcount != 1:
                return None
            async with conn.execute(
                "SELECT role, scope, created_by FROM invites WHERE token = ?", (token,)
            ) as found:
                row = await found.fetchone()
            assert row is not None
            await conn.execute(
                "INSERT OR IGNORE INTO roles (user_id, role, scope, granted_by, granted_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, row["role"], row["scope"], row["created_by"] or None, to_db(now)),
            )
            if name is not None:
                await conn.execute("UPDATE roles SET name = ? WHERE user_id = ?", (name, user_id))
        return await self.invite(token)

    async def revoke_invite(self, token: str, now: dt.datetime) -> bool:
        """Revoke an unused invitation; True if it was still open."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE invites SET revoked_at = ? WHERE token = ? AND used_by IS NULL "
                "AND revoked_at IS NULL",
                (to_db(now), token),
            )
            return cursor.rowcount == 1
