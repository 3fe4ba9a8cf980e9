"""Append-only schema migrations: never edit a released entry, add a new one at the end.

``MIGRATIONS[n]`` brings a database from ``user_version`` n to n+1. Times are stored as
ISO-8601 text in UTC.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: participants, conversation state, registrations, comune -> zone mapping.
    """
    CREATE TABLE users (
        user_id     INTEGER PRIMARY KEY,
        language    TEXT CHECK (language IN ('it', 'en')),  -- explicit choice; NULL = Telegram's
        consent_at  TEXT,                                   -- privacy notice accepted
        reachable   INTEGER NOT NULL DEFAULT 1,
        created_at  TEXT NOT NULL
    );

    -- One open conversation per user: the step they are at and what they answered so far.
    CREATE TABLE conversations (
        user_id     INTEGER PRIMARY KEY,
        flow        TEXT NOT NULL,
        step        TEXT NOT NULL,
        token       TEXT NOT NULL,       -- changes with every step: older buttons go stale
        data        TEXT NOT NULL DEFAULT '{}',
        updated_at  TEXT NOT NULL
    );

    CREATE TABLE registrations (
        id            INTEGER PRIMARY KEY,
        event_id      TEXT NOT NULL,
        user_id       INTEGER,           -- NULL once the participant erased their data
        display_name  TEXT,
        zone          INTEGER NOT NULL,
        mode          TEXT NOT NULL CHECK (mode IN ('in_person', 'online')),
        venue_id      TEXT,              -- in-person venue; NULL online
        organisation  TEXT,
        category      TEXT,
        status        TEXT NOT NULL
                      CHECK (status IN ('confirmed', 'waitlisted', 'cancelled', 'erased')),
        language      TEXT NOT NULL DEFAULT 'it',
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        waitlisted_at TEXT,
        promoted_at   TEXT,
        cancelled_at  TEXT
    );
    CREATE UNIQUE INDEX registrations_one_active
        ON registrations (event_id, user_id) WHERE status IN ('confirmed', 'waitlisted');
    CREATE INDEX registrations_by_venue ON registrations (event_id, venue_id, status);
    CREATE INDEX registrations_by_user ON registrations (user_id);

    CREATE TABLE comuni (
        key     TEXT PRIMARY KEY,        -- normalised name (case, accents, punctuation)
        name    TEXT NOT NULL,
        istat   TEXT,
        zone    INTEGER,
        source  TEXT NOT NULL DEFAULT ''
    );
    """,
    # 2: the durable outbox (one row per participant and message), online links.
    """
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        dedupe_key      TEXT NOT NULL UNIQUE,    -- the same message is never planned twice
        kind            TEXT NOT NULL,           -- reminder, link_fix, notice, broadcast
        user_id         INTEGER NOT NULL,
        registration_id INTEGER REFERENCES registrations (id),
        event_id        TEXT,
        rule_id         TEXT,
        anchor          TEXT NOT NULL DEFAULT '',  -- agenda item the reminder is about
        payload         TEXT NOT NULL DEFAULT '{}',
        due_at          TEXT NOT NULL,
        expires_at      TEXT,                    -- not worth sending after this
        status          TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'failed',
                                          'cancelled')),
        reason          TEXT,                    -- why skipped / failed / cancelled
        attempts        INTEGER NOT NULL DEFAULT 0,
        sent_link       TEXT,                    -- the online link the message carried
        message_id      INTEGER,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        sent_at         TEXT
    );
    CREATE INDEX outbox_due ON outbox (status, due_at);
    CREATE INDEX outbox_by_registration ON outbox (registration_id, status);
    CREATE INDEX outbox_by_user ON outbox (user_id, status);

    -- Links set by organisers from the chat; item_id '' is the event's default link.
    CREATE TABLE online_links (
        event_id    TEXT NOT NULL,
        item_id     TEXT NOT NULL DEFAULT '',
        url         TEXT NOT NULL,
        set_by      INTEGER,
        set_at      TEXT NOT NULL,
        PRIMARY KEY (event_id, item_id)
    );

    -- A participant's own link from the meeting platform, used instead of the shared one.
    CREATE TABLE personal_links (
        registration_id INTEGER PRIMARY KEY REFERENCES registrations (id),
        url             TEXT NOT NULL,
        set_at          TEXT NOT NULL
    );
    """,
    # 3: roles (facilitators per zone, referents per venue), invites, broadcasts, check-in.
    """
    CREATE TABLE roles (
        user_id     INTEGER NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('facilitator', 'referent')),
        scope       TEXT NOT NULL,           -- zone number (facilitator) or venue id (referent)
        granted_by  INTEGER,
        granted_at  TEXT NOT NULL,
        PRIMARY KEY (user_id, role, scope)
    );

    CREATE TABLE invites (
        token       TEXT PRIMARY KEY,        -- the secret in the one-time deep link
        role        TEXT NOT NULL CHECK (role IN ('facilitator', 'referent')),
        scope       TEXT NOT NULL,
        created_by  INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        used_by     INTEGER,
        used_at     TEXT,
        revoked_at  TEXT
    );

    CREATE TABLE broadcasts (
        id              INTEGER PRIMARY KEY,
        created_by      INTEGER NOT NULL,
        source_chat     INTEGER NOT NULL,    -- the organiser's message, copied as sent
        source_message  INTEGER NOT NULL,
        content         TEXT NOT NULL,       -- text, photo, document...
        audience        TEXT NOT NULL,       -- JSON: event, zones, venue, mode, checked in
        status          TEXT NOT NULL
                        CHECK (status IN ('scheduled', 'sending', 'done', 'cancelled')),
        scheduled_at    TEXT NOT NULL,
        total           INTEGER NOT NULL DEFAULT 0,
        progress_chat   INTEGER,
        progress_message INTEGER,
        created_at      TEXT NOT NULL,
        finished_at     TEXT
    );

    ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER REFERENCES broadcasts (id);
    CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, status);

    ALTER TABLE registrations ADD COLUMN checked_in_at TEXT;
    ALTER TABLE registrations ADD COLUMN checked_in_by INTEGER;
    """,
]
