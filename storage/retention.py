"""When the process ends: erase every personal value of every participant and staff member,
keep the anonymous results (registrations without who, poll answers and counts,
contributions, reports, broadcasts' figures, the plenaries' questions with their supports
and fates, without the names shown or the moderators who acted). And the cleanup of
abandoned conversations.

:func:`purge` is :meth:`storage.registrations.RegistrationRepository.erase_user` for
everyone at once, in one transaction, with two differences: registrations keep their status
(a cancelled one stays cancelled, a confirmed one confirmed: the figures of the day do not
change), and outbox rows are not deleted but made anonymous (kind, status and times stay:
how many reminders went out). Telegram file ids of photos on the boards stay (they are not
personal and the exports need them).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage._time import to_db
from storage.db import Database

ERASED = 0  # "someone whose data was erased", as in storage.registrations

# (what, how many there are, what erases them): in this order, in one transaction
_ERASE: tuple[tuple[str, str, str], ...] = (
    (
        "names, organisations and Telegram ids of registrations",
        "SELECT count(*) FROM registrations WHERE user_id IS NOT NULL OR display_name IS NOT "
        "NULL OR organisation IS NOT NULL",
        "UPDATE registrations SET user_id = NULL, display_name = NULL, organisation = NULL, "
        "checked_in_by = CASE WHEN checked_in_by IS NULL OR checked_in_by = user_id THEN NULL "
        f"ELSE {ERASED} END",
    ),
    ("participants (language, consent)", "SELECT count(*) FROM users", "DELETE FROM users"),
    (
        "conversations in progress",
        "SELECT count(*) FROM conversations",
        "DELETE FROM conversations",
    ),
    (
        "personal meeting links",
        "SELECT count(*) FROM personal_links",
        "DELETE FROM personal_links",
    ),
    (
        "messages not sent (cancelled)",
        "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')",
        "UPDATE outbox SET status = 'cancelled', reason = 'purged' "
        "WHERE status IN ('pending', 'sending')",
    ),
    (
        "recipients and contents of outbox messages",
        f"SELECT count(*) FROM outbox WHERE user_id != {ERASED} OR payload != '{{}}' "
        "OR sent_link IS NOT NULL",
        f"UPDATE outbox SET user_id = {ERASED}, payload = '{{}}', sent_link = NULL, "
        "dedupe_key = 'purged-' || id",
    ),
    ("staff roles (with their names)", "SELECT count(*) FROM roles", "DELETE FROM roles"),
    (
        "who invited and who accepted",
        f"SELECT count(*) FROM invites WHERE created_by != {ERASED} OR used_by != {ERASED}",
        f"UPDATE invites SET created_by = {ERASED}, used_by = CASE WHEN used_by IS NULL "
        f"THEN NULL ELSE {ERASED} END",
    ),
    (
        "who sent broadcasts, and the chats they were copied from",
        f"SELECT count(*) FROM broadcasts WHERE created_by != {ERASED} OR source_chat != "
        f"{ERASED} OR progress_chat IS NOT NULL",
        f"UPDATE broadcasts SET created_by = {ERASED}, source_chat = {ERASED}, "
        f"source_message = {ERASED}, progress_chat = NULL, progress_message = NULL, "
        "status = CASE WHEN status IN ('scheduled', 'sending') THEN 'cancelled' ELSE status END",
    ),
    (
        "who set links, opened polls, entered counts, wrote, edited or locked reports",
        "SELECT (SELECT count(*) FROM online_links WHERE set_by IS NOT NULL)"
        " + (SELECT count(*) FROM polls WHERE opened_by IS NOT NULL)"
        " + (SELECT count(*) FROM poll_manual_counts WHERE entered_by IS NOT NULL)"
        " + (SELECT count(*) FROM contributions WHERE added_by IS NOT NULL OR dedupe IS NOT NULL)"
        " + (SELECT count(*) FROM worksheets WHERE created_by IS NOT NULL)"
        " + (SELECT count(*) FROM zone_reports WHERE updated_by IS NOT NULL"
        "    OR submitted_by IS NOT NULL)"
        " + (SELECT count(*) FROM report_locks WHERE locked_by IS NOT NULL)",
        "UPDATE online_links SET set_by = NULL; UPDATE polls SET opened_by = NULL; "
        "UPDATE poll_manual_counts SET entered_by = NULL; "
        "UPDATE contributions SET added_by = NULL, dedupe = NULL; "
        "UPDATE worksheets SET created_by = NULL; "
        "UPDATE zone_reports SET updated_by = NULL, submitted_by = NULL; "
        "UPDATE report_locks SET locked_by = NULL",
    ),
    (  # issue 15: the questions stay (text, window, supports, fate), without who
        "names shown on the plenaries' questions, and the moderators who acted on them",
        "SELECT (SELECT count(*) FROM questions WHERE shown_name IS NOT NULL)"
        " + (SELECT count(*) FROM question_events WHERE by_user IS NOT NULL)",
        "UPDATE questions SET shown_name = NULL; UPDATE question_events SET by_user = NULL",
    ),
)

# what stays, counted for the report
_KEEP: tuple[tuple[str, str], ...] = (
    ("registrations (event, zone, mode, venue, status, times, category)", "registrations"),
    ("poll answers", "poll_answers"),
    ("manual counts", "poll_manual_counts"),
    ("polls", "polls"),
    ("contributions (text and photos, without who)", "contributions"),
    ("zone reports", "zone_reports"),
    ("broadcasts (audience and figures)", "broadcasts"),
    ("outbox delivery records (kind, status, times)", "outbox"),
    ("plenary questions (text, window, fate, without names)", "questions"),
    ("supports of the plenary questions (counted)", "question_supports"),
    ("the plenary questions' stories (what happened, when)", "question_events"),
)


@dataclass(frozen=True)
class PurgeReport:
    """What was (or, in a dry run, would be) erased, and what is kept, with counts;
    ``scrubbed``: the old values are gone from the file too (overwritten, and the WAL
    checkpointed into the database and emptied), not only from the tables."""

    erased: list[tuple[str, int]]
    kept: list[tuple[str, int]]
    dry_run: bool
    scrubbed: bool = False

    @property
    def erased_anything(self) -> bool:
        """Whether there was personal data to erase."""
        return any(count for _, count in self.erased)


async def _count(db: Database, sql: str) -> int:
    row = await db.fetchone(sql)
    return int(row[0]) if row and row[0] is not None else 0


async def purge(db: Database, *, dry_run: bool) -> PurgeReport:
    """Erase every personal value (unless ``dry_run``); what was erased and what is kept."""
    erased = [(what, await _count(db, count)) for what, count, _ in _ERASE]
    scrubbed = False
    if not dry_run:
        secure = await _count(db, "PRAGMA secure_delete")
        async with db.transaction() as conn:
            # the old values overwritten with zeros, not left in free space of the file
            await conn.execute("PRAGMA secure_delete=ON")
            try:
                for _, _, statements in _ERASE:
                    for statement in statements.split("; "):
                        await conn.execute(statement)
            finally:
                await conn.execute(f"PRAGMA secure_delete={int(bool(secure))}")
        # the pages before the purge are still in the WAL: fold it into the file and empty
        # it (busy, i.e. not done, while another connection reads; then at its next
        # checkpoint)
        row = await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
        scrubbed = row is not None and row[0] == 0
    kept = [(what, await _count(db, f"SELECT count(*) FROM {table}")) for what, table in _KEEP]
    return PurgeReport(erased, kept, dry_run, scrubbed)


async def forget_abandoned_conversations(db: Database, older_than: dt.datetime) -> int:
    """Delete conversations with no answer since ``older_than``; how many."""
    row = await db.fetchone(
        "SELECT count(*) FROM conversations WHERE updated_at < ?", (to_db(older_than),)
    )
    count = int(row[0]) if row else 0
    if count:
        await db.write("DELETE FROM conversations WHERE updated_at < ?", (to_db(older_than),))
    return count


def personal_data_count(database: Path) -> int:
    """How many rows hold a personal value :func:`purge` would erase (plain ``sqlite3``,
    read-only, for the commands: e.g. a backup made past the retention date says so)."""
    conn = sqlite3.connect(f"{Path(database).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return sum(int(conn.execute(count).fetchone()[0] or 0) for _, count, _ in _ERASE)
    finally:
        conn.close()
