"""The comune -> zone mapping, seeded from the bundled file and completed by imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class ComuneRow:
    """One stored comune."""

    key: str
    name: str
    istat: str | None
    zone: int | None
    source: str


class ComuniRepository:
    """Reads and writes ``comuni``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[ComuneRow]:
        """Every comune, by name."""
        rows = await self._db.fetchall(
            "SELECT key, name, istat, zone, source FROM comuni ORDER BY key"
        )
        return [ComuneRow(r["key"], r["name"], r["istat"], r["zone"], r["source"]) for r in rows]

    async def count(self) -> int:
        """How many comuni are stored."""
        row = await self._db.fetchone("SELECT COUNT(*) FROM comuni")
        return int(row[0]) if row else 0

    async def replace_all(self, comuni: Sequence[ComuneRow]) -> None:
        """Replace the whole mapping in one transaction."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM comuni")
            await conn.executemany(
                "INSERT INTO comuni (key, name, istat, zone, source) VALUES (?, ?, ?, ?, ?)",
                [(c.key, c.name, c.istat, c.zone, c.source) for c in comuni],
            )

    async def upsert(self, comuni: Sequence[ComuneRow]) -> None:
        """Store these comuni (by key), leaving the others as they are, in one transaction."""
        if not comuni:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO comuni (key, name, istat, zone, source) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET name = excluded.name, istat = excluded.istat, "
                "zone = excluded.zone, source = excluded.source",
                [(c.key, c.name, c.istat, c.zone, c.source) for c in comuni],
            )
