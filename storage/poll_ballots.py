"""The ballots and answers of the polls (``poll_ballots``, ``poll_answers``): a participant's
picks as they tap, and their confirmed answer, written with the other taps of the moment.

Part of :class:`storage.polls.PollRepository` (one repository for the poll tables, in three
modules by job: polls, ballots, results).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from storage._time import to_db
from storage.db import Database


@dataclass(frozen=True)
class Voter:
    """A participant's active registration for a poll's event, and their ballot if any.

    One query joins ``registrations``, ``poll_ballots`` and ``users`` on every tap, so only
    what a tap needs is read: a projection, not a :class:`storage.registrations.Registration`.
    """

    registration_id: int
    zone: int
    mode: str
    status: str
    picks: list[int]
    answer: list[int] | None
    has_ballot: bool
    language: str | None = None  # the participant's explicit language choice, if any


def positions(text: str | None) -> list[int] | None:
    """Option positions stored as JSON (picks, an answer); None when there are none."""
    if text is None:
        return None
    value = json.loads(text)
    return [int(v) for v in value] if isinstance(value, list) else None


class BallotStore:
    """Reads and writes ballots and answers (mixed into :class:`storage.polls.PollRepository`)."""

    _db: Database

    async def voter(self, poll_id: int, event_id: str, user_id: int) -> Voter | None:
        """The user's active registration for the event and their ballot in the poll."""
        rows = await self._db.fetchall(
            "SELECT r.id, r.zone, r.mode, r.status, b.picks, b.answer, b.poll_id, u.language "
            "FROM registrations r LEFT JOIN poll_ballots b "
            "ON b.poll_id = ? AND b.registration_id = r.id "
            "LEFT JOIN users u ON u.user_id = r.user_id "
            "WHERE r.event_id = ? AND r.user_id = ? AND r.status IN ('confirmed', 'waitlisted')",
            (poll_id, event_id, user_id),
        )
        if not rows:
            return None
        row = rows[0]
        return Voter(
            registration_id=row[0],
            zone=row[1],
            mode=row[2],
            status=row[3],
            picks=positions(row[4]) or [],
            answer=positions(row[5]),
            has_ballot=row[6] is not None,
            language=row[7],
        )

    async def ballot(
        self, poll_id: int, registration_id: int
    ) -> tuple[list[int], list[int] | None]:
        """(picks, confirmed answer) of a ballot; ([], None) when there is none."""
        row = await self._db.fetchone(
            "SELECT picks, answer FROM poll_ballots WHERE poll_id = ? AND registration_id = ?",
            (poll_id, registration_id),
        )
        if row is None:
            return [], None
        return positions(row[0]) or [], positions(row[1])

    async def add_ballot(self, poll_id: int, registration_id: int, now: dt.datetime) -> None:
        """Give a registration a ballot (a participant asking for the poll again)."""
        await self._db.write_grouped(
            (
                "INSERT OR IGNORE INTO poll_ballots (poll_id, registration_id, updated_at) "
                "VALUES (?, ?, ?)",
                [(poll_id, registration_id, to_db(now))],
            )
        )

    async def save_picks(
        self, poll_id: int, registration_id: int, picks: Sequence[int], now: dt.datetime
    ) -> None:
        """Store the picks being made (in tap order), with other taps of the moment."""
        await self._db.write_grouped(
            (
                "INSERT INTO poll_ballots (poll_id, registration_id, picks, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (poll_id, registration_id) DO UPDATE SET "
                "picks = excluded.picks, updated_at = excluded.updated_at",
                [(poll_id, registration_id, json.dumps(list(picks)), to_db(now))],
            )
        )

    async def save_answer(
        self,
        poll_id: int,
        registration_id: int,
        picks: Sequence[int],
        ranked: bool,
        now: dt.datetime,
    ) -> None:
        """Replace the participant's answer with ``picks`` (rank = order when ``ranked``)."""
        encoded = json.dumps(list(picks))
        await self._db.write_grouped(
            (
                "INSERT INTO poll_ballots (poll_id, registration_id, picks, answer, answered_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (poll_id, registration_id) "
                "DO UPDATE SET picks = excluded.picks, answer = excluded.answer, "
                "answered_at = excluded.answered_at, updated_at = excluded.updated_at",
                [(poll_id, registration_id, encoded, encoded, to_db(now), to_db(now))],
            ),
            (
                "DELETE FROM poll_answers WHERE poll_id = ? AND registration_id = ?",
                [(poll_id, registration_id)],
            ),
            (
                "INSERT INTO poll_answers (poll_id, registration_id, position, rank, answered_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (poll_id, registration_id, position, rank if ranked else None, to_db(now))
                    for rank, position in enumerate(picks, start=1)
                ],
            ),
        )

    async def answer_rows(self, poll_id: int) -> list[tuple[int, int, int | None]]:
        """Every stored answer row (registration, position, rank) of a poll."""
        rows = await self._db.fetchall(
            "SELECT registration_id, position, rank FROM poll_answers WHERE poll_id = ? "
            "ORDER BY registration_id, rank, position",
            (poll_id,),
        )
        return [(row[0], row[1], row[2]) for row in rows]
