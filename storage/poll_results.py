"""What the polls' results are computed from: the tallies of answers, the counts entered by
hand for people without Telegram (``poll_manual_counts``), and the export views
(``answers_export``, ``results_by_zone``).

Part of :class:`storage.polls.PollRepository` (one repository for the poll tables, in three
modules by job: polls, ballots, results).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storage._time import to_db
from storage.db import Database


@dataclass(frozen=True)
class RawTally:
    """Aggregates of one poll straight from SQL (see :class:`bot.results.Tally`)."""

    poll_id: int
    telegram: dict[tuple[int, int | None], int]
    respondents: int
    registered: int
    manual: dict[tuple[int, int | None], int]


# The columns of the export views, in order (the README documents them).
VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "answers_export": (
        "poll_id",
        "poll_kind",
        "event_id",
        "zone",
        "session",
        "option_id",
        "option_label",
        "rank",
        "time",
        "source",
        "count",
        "respondent",
    ),
    "results_by_zone": (
        "poll_id",
        "poll_kind",
        "event_id",
        "zone",
        "session",
        "poll_status",
        "question",
        "option_id",
        "option_label",
        "max_choices",
        "registered",
        "respondents_telegram",
        "respondents_manual",
        "respondents",
        "chosen_telegram",
        "chosen_manual",
        "chosen",
        "first_choices",
        "score_telegram",
        "score_manual",
        "score",
        "score_normalised",
    ),
}


class ResultStore:
    """Reads tallies and views, writes manual counts (mixed into
    :class:`storage.polls.PollRepository`)."""

    _db: Database

    async def tallies(self, poll_ids: Sequence[int]) -> dict[int, RawTally]:
        """Aggregates of several polls in a few grouped queries."""
        if not poll_ids:
            return {}
        marks = ", ".join("?" for _ in poll_ids)
        ids = list(poll_ids)
        telegram: dict[int, dict[tuple[int, int | None], int]] = {p: {} for p in ids}
        manual: dict[int, dict[tuple[int, int | None], int]] = {p: {} for p in ids}
        respondents = dict.fromkeys(ids, 0)
        registered = dict.fromkeys(ids, 0)
        for row in await self._db.fetchall(
            f"SELECT poll_id, position, rank, COUNT(*) FROM poll_answers "
            f"WHERE poll_id IN ({marks}) GROUP BY poll_id, position, rank",
            ids,
        ):
            telegram[row[0]][(row[1], row[2])] = int(row[3])
        for row in await self._db.fetchall(
            f"SELECT poll_id, COUNT(DISTINCT registration_id) FROM poll_answers "
            f"WHERE poll_id IN ({marks}) GROUP BY poll_id",
            ids,
        ):
            respondents[row[0]] = int(row[1])
        for row in await self._db.fetchall(
            f"SELECT poll_id, COUNT(*) FROM poll_ballots WHERE poll_id IN ({marks}) "
            f"GROUP BY poll_id",
            ids,
        ):
            registered[row[0]] = int(row[1])
        for row in await self._db.fetchall(
            f"SELECT poll_id, position, rank, count FROM poll_manual_counts "
            f"WHERE poll_id IN ({marks})",
            ids,
        ):
            if row[3] > 0:
                manual[row[0]][(row[1], row[2])] = int(row[3])
        return {p: RawTally(p, telegram[p], respondents[p], registered[p], manual[p]) for p in ids}

    # --- manual counts ----------------------------------------------------------------------
    async def set_manual(
        self,
        poll_id: int,
        position: int,
        rank: int | None,
        count: int,
        entered_by: int,
        now: dt.datetime,
    ) -> None:
        """Set (replace) the manual count of an option at a rank (None: order unknown)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM poll_manual_counts WHERE poll_id = ? AND position = ? "
                "AND IFNULL(rank, 0) = ?",
                (poll_id, position, rank or 0),
            )
            await conn.execute(
                "INSERT INTO poll_manual_counts (poll_id, position, rank, count, entered_by, "
                "entered_at) VALUES (?, ?, ?, ?, ?, ?)",
                (poll_id, position, rank, count, entered_by, to_db(now)),
            )

    async def set_manual_respondents(self, poll_id: int, count: int | None) -> None:
        """How many people answered by hand (None: estimate it from the counts)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE polls SET manual_respondents = ? WHERE id = ?", (count, poll_id)
            )

    async def view(
        self, name: str, event_id: str | None = None, zones: Iterable[int] | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of ``answers_export`` or ``results_by_zone`` (columns as in VIEW_COLUMNS)."""
        columns = VIEW_COLUMNS[name]
        clauses: list[str] = []
        params: list[Any] = []
        if event_id is not None:
            clauses.append("event_id = ?")
            params.append(event_id)
        if zones is not None:
            zone_list = list(zones)
            clauses.append(f"zone IN ({', '.join('?' for _ in zone_list) or 'NULL'})")
            params.extend(zone_list)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = (
            "poll_id, source DESC, respondent, rank, option_id"
            if name == "answers_export"
            else "poll_id, score DESC, chosen DESC, option_id"
        )
        rows = await self._db.fetchall(
            f"SELECT {', '.join(columns)} FROM {name} {where} ORDER BY {order}", params
        )
        return [tuple(row) for row in rows]
