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
        finished_at     TEXT,
        reported_at     TEXT                 -- the final report was sent (once)
    );

    ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER REFERENCES broadcasts (id);
    CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, status);

    ALTER TABLE registrations ADD COLUMN checked_in_at TEXT;
    ALTER TABLE registrations ADD COLUMN checked_in_by INTEGER;
    """,
    # 4: polls (strategy priorities, quick questions), ballots, answers, manual counts, and
    #    the read-only views for exports and SQLite tools (documented in the README).
    """
    CREATE TABLE polls (
        id                 INTEGER PRIMARY KEY,
        kind               TEXT NOT NULL CHECK (kind IN ('priority', 'quick')),
        event_id           TEXT NOT NULL,
        zone               INTEGER NOT NULL,
        item_id            TEXT NOT NULL,       -- the table session (agenda item id)
        question           TEXT,                -- quick polls: the facilitator's question
        max_choices        INTEGER NOT NULL CHECK (max_choices >= 1),
        ranked             INTEGER NOT NULL,    -- 1: the order of the choices counts
        status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        opened_by          INTEGER,
        opened_at          TEXT NOT NULL,
        closes_at          TEXT NOT NULL,       -- the end of the table session
        closed_at          TEXT,
        closed_reason      TEXT,                -- facilitator | session_end
        manual_respondents INTEGER              -- people who answered by hand (NULL: estimated)
    );
    CREATE INDEX polls_by_zone ON polls (event_id, zone, kind);
    CREATE INDEX polls_closing ON polls (status, closes_at);
    CREATE UNIQUE INDEX polls_one_open_priority
        ON polls (event_id, zone) WHERE status = 'open' AND kind = 'priority';

    CREATE TABLE poll_options (
        poll_id   INTEGER NOT NULL REFERENCES polls (id),
        position  INTEGER NOT NULL,             -- 0-based, as in the buttons
        key       TEXT NOT NULL,                -- strategy or axis id; quick polls: 1, 2, ...
        axis      TEXT,                         -- the axis of a strategy
        label     TEXT NOT NULL,                -- Italian title at opening, or the typed option
        PRIMARY KEY (poll_id, position)
    );

    -- One ballot per poll and registration: the picks being made (in tap order) and the last
    -- confirmed answer; registrations, not users, so an erased participant stays counted.
    CREATE TABLE poll_ballots (
        poll_id          INTEGER NOT NULL REFERENCES polls (id),
        registration_id  INTEGER NOT NULL REFERENCES registrations (id),
        picks            TEXT NOT NULL DEFAULT '[]',
        answer           TEXT,                  -- JSON list of positions, NULL = no answer
        answered_at      TEXT,
        updated_at       TEXT NOT NULL,
        PRIMARY KEY (poll_id, registration_id)
    );

    CREATE TABLE poll_answers (
        poll_id          INTEGER NOT NULL REFERENCES polls (id),
        registration_id  INTEGER NOT NULL REFERENCES registrations (id),
        position         INTEGER NOT NULL,
        rank             INTEGER,               -- 1 = first choice; NULL when order does not count
        answered_at      TEXT NOT NULL,
        PRIMARY KEY (poll_id, registration_id, position)
    );

    -- Counts entered by a facilitator for people without Telegram (show of hands, paper).
    CREATE TABLE poll_manual_counts (
        poll_id     INTEGER NOT NULL REFERENCES polls (id),
        position    INTEGER NOT NULL,
        rank        INTEGER,                    -- NULL: chosen, order unknown
        count       INTEGER NOT NULL CHECK (count >= 0),
        entered_by  INTEGER,
        entered_at  TEXT NOT NULL
    );
    CREATE UNIQUE INDEX poll_manual_one ON poll_manual_counts (poll_id, position, IFNULL(rank, 0));

    -- A facilitator's unfinished poll set-up (a quick question, a count being typed).
    CREATE TABLE poll_drafts (
        user_id     INTEGER PRIMARY KEY,
        step        TEXT NOT NULL,
        token       TEXT NOT NULL,
        data        TEXT NOT NULL DEFAULT '{}',
        updated_at  TEXT NOT NULL
    );

    -- One row per answer: a Telegram choice (count 1) or a manual count; no personal data.
    CREATE VIEW answers_export AS
    SELECT p.id AS poll_id, p.kind AS poll_kind, p.event_id, p.zone, p.item_id AS session,
           o.key AS option_id, o.label AS option_label, a.rank, a.answered_at AS time,
           'telegram' AS source, 1 AS count,
           DENSE_RANK() OVER (PARTITION BY a.poll_id ORDER BY a.registration_id) AS respondent
    FROM poll_answers a
    JOIN polls p ON p.id = a.poll_id
    JOIN poll_options o ON o.poll_id = a.poll_id AND o.position = a.position
    UNION ALL
    SELECT p.id, p.kind, p.event_id, p.zone, p.item_id, o.key, o.label, m.rank, m.entered_at,
           'manual', m.count, NULL
    FROM poll_manual_counts m
    JOIN polls p ON p.id = m.poll_id
    JOIN poll_options o ON o.poll_id = m.poll_id AND o.position = m.position
    WHERE m.count > 0;

    -- One row per poll and option: counts, rank-weighted score, respondents, normalised score.
    CREATE VIEW results_by_zone AS
    WITH
    telegram AS (
        SELECT a.poll_id, a.position, COUNT(*) AS chosen,
               SUM(a.rank = 1) AS first_choices,
               SUM(CASE WHEN p.ranked THEN p.max_choices - a.rank + 1 ELSE 1 END) AS score
        FROM poll_answers a JOIN polls p ON p.id = a.poll_id
        GROUP BY a.poll_id, a.position
    ),
    manual AS (
        SELECT m.poll_id, m.position, SUM(m.count) AS chosen,
               SUM(CASE WHEN m.rank = 1 THEN m.count ELSE 0 END) AS first_choices,
               SUM(m.count * CASE WHEN NOT p.ranked THEN 1.0
                                  WHEN m.rank IS NULL THEN (p.max_choices + 1) / 2.0
                                  ELSE p.max_choices - m.rank + 1 END) AS score
        FROM poll_manual_counts m JOIN polls p ON p.id = m.poll_id
        GROUP BY m.poll_id, m.position
    ),
    people AS (
        SELECT p.id AS poll_id,
               (SELECT COUNT(*) FROM poll_ballots b WHERE b.poll_id = p.id) AS registered,
               (SELECT COUNT(DISTINCT a.registration_id) FROM poll_answers a
                WHERE a.poll_id = p.id) AS respondents_telegram,
               COALESCE(p.manual_respondents, MAX(
                   (SELECT IFNULL(SUM(m.count), 0) FROM poll_manual_counts m
                    WHERE m.poll_id = p.id AND (m.rank = 1 OR NOT p.ranked
                                                AND p.max_choices = 1)),
                   (SELECT IFNULL(MAX(m.count), 0) FROM poll_manual_counts m
                    WHERE m.poll_id = p.id))) AS respondents_manual
        FROM polls p
    )
    SELECT p.id AS poll_id, p.kind AS poll_kind, p.event_id, p.zone, p.item_id AS session,
           p.status AS poll_status, p.question, o.key AS option_id, o.label AS option_label,
           p.max_choices, people.registered, people.respondents_telegram,
           people.respondents_manual,
           people.respondents_telegram + people.respondents_manual AS respondents,
           IFNULL(t.chosen, 0) AS chosen_telegram, IFNULL(m.chosen, 0) AS chosen_manual,
           IFNULL(t.chosen, 0) + IFNULL(m.chosen, 0) AS chosen,
           IFNULL(t.first_choices, 0) + IFNULL(m.first_choices, 0) AS first_choices,
           IFNULL(t.score, 0) AS score_telegram, IFNULL(m.score, 0) AS score_manual,
           IFNULL(t.score, 0) + IFNULL(m.score, 0) AS score,
           CASE WHEN people.respondents_telegram + people.respondents_manual = 0 THEN 0.0
                ELSE (IFNULL(t.score, 0) + IFNULL(m.score, 0)) * 1.0
                     / ((people.respondents_telegram + people.respondents_manual)
                        * CASE WHEN p.ranked THEN p.max_choices * (p.max_choices + 1) / 2.0
                               ELSE 1 END)
           END AS score_normalised
    FROM polls p
    JOIN poll_options o ON o.poll_id = p.id
    JOIN people ON people.poll_id = p.id
    LEFT JOIN telegram t ON t.poll_id = p.id AND t.position = o.position
    LEFT JOIN manual m ON m.poll_id = p.id AND m.position = o.position;
    """,
    # 5: the name a facilitator or referent had on Telegram when they accepted the invitation,
    #    shown by /staff (deleted with the role, and by erasure).
    """
    ALTER TABLE roles ADD COLUMN name TEXT;
    """,
    # 6: a person waiting for a message (their registration's confirmation) goes before
    #    bulk traffic (reminders, broadcasts) in the outbox.
    """
    ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_due_by_priority ON outbox (status, priority DESC, due_at, id);
    """,
    # 7: the facilitators' poll set-ups are conversations like every other flow's
    #    (``conversations``); their own table goes.
    """
    DROP TABLE poll_drafts;
    """,
    # 8: session 2 at the tables. A zone's worksheets (one per strategy it chose, or that its
    #    facilitator added), the contributions to their sections (from participants, by
    #    registration; from the facilitator, by Telegram id), the facilitators' reports (one
    #    per zone and event: a text per worksheet and section, '' for the free note) and the
    #    regia's lock. Contributions reference registrations, so erasure leaves them anonymous.
    """
    CREATE TABLE worksheets (
        id INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL,
        zone INTEGER NOT NULL,
        strategy TEXT NOT NULL,
        position INTEGER NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('poll', 'facilitator')),
        poll_id INTEGER REFERENCES polls(id),
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        created_by INTEGER,
        UNIQUE (event_id, zone, strategy)
    );
    CREATE INDEX worksheets_by_zone ON worksheets (event_id, zone, active, position);
    CREATE TABLE contributions (
        id INTEGER PRIMARY KEY,
        worksheet_id INTEGER NOT NULL REFERENCES worksheets(id),
        section TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('text', 'photo')),
        text TEXT NOT NULL DEFAULT '',
        photo TEXT,
        origin TEXT NOT NULL CHECK (origin IN ('participant', 'facilitator')),
        registration_id INTEGER REFERENCES registrations(id),
        added_by INTEGER,
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'withdrawn', 'hidden')),
        starred INTEGER NOT NULL DEFAULT 0,
        merged_into INTEGER REFERENCES contributions(id),
        dedupe TEXT UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX contributions_by_sheet ON contributions (worksheet_id, section, status);
    CREATE INDEX contributions_by_registration ON contributions (registration_id);
    CREATE TABLE zone_reports (
        id INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL,
        zone INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
        updated_at TEXT NOT NULL,
        updated_by INTEGER,
        submitted_at TEXT,
        submitted_by INTEGER,
        UNIQUE (event_id, zone)
    );
    CREATE TABLE report_texts (
        report_id INTEGER NOT NULL REFERENCES zone_reports(id),
        worksheet_id INTEGER NOT NULL REFERENCES worksheets(id),
        section TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (report_id, worksheet_id, section)
    );
    CREATE TABLE report_locks (
        event_id TEXT PRIMARY KEY,
        locked_at TEXT NOT NULL,
        locked_by INTEGER
    );
    CREATE VIEW contributions_export AS
    SELECT c.id AS item_id, w.event_id, w.zone, w.strategy, c.section, c.kind, c.text,
           c.photo AS photo_file_id, c.origin AS source, c.starred, c.status,
           CASE WHEN c.status = 'hidden' THEN 1 ELSE 0 END AS hidden,
           c.merged_into, c.created_at AS time
    FROM contributions c JOIN worksheets w ON w.id = c.worksheet_id
    WHERE c.status != 'withdrawn';
    CREATE VIEW reports_export AS
    SELECT r.event_id, r.zone, w.strategy, t.section, t.text, r.status,
           r.submitted_at, r.updated_at
    FROM zone_reports r
    JOIN report_texts t ON t.report_id = r.id
    JOIN worksheets w ON w.id = t.worksheet_id;
    """,
    # 9: operations (issue 14). The running bot's heartbeat (one row: when it last received
    #    updates, written every ~30 s) and the 429s it got (one row each, kept a day), for
    #    psm-bot status and /healthz. No personal data.
    """
    CREATE TABLE ops_heartbeat (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        pid             INTEGER NOT NULL,
        started_at      TEXT NOT NULL,
        last_update_at  TEXT,                -- the last successful getUpdates (or webhook)
        beat_at         TEXT NOT NULL,       -- when this row was last written
        stopped_at      TEXT                 -- set by a clean stop
    );
    CREATE TABLE ops_floods (
        at          TEXT NOT NULL,
        endpoint    TEXT NOT NULL
    );
    CREATE INDEX ops_floods_at ON ops_floods (at);
    """,
    # 10: the hybrid plenaries' questions (issue 15). A question belongs to an event and a
    #    question window (an agenda item's id, or a window's own id from the event file's
    #    ``questions:`` block), optionally to an axis; it is asked by a registration (erasure
    #    leaves it anonymous: the registration row stays, its personal data goes) and shown
    #    with ``shown_name`` only when the asker chose so. Its status is its fate:
    #    pending (waiting for a moderator) -> published -> highlighted (being answered now) ->
    #    answered; or hidden (with a reason) or merged (into another question); "not reached"
    #    is a published question still open when its window closed (derived, not stored).
    #    Nothing is deleted: every change is a row of ``question_events``. Supports: one per
    #    registration and question (pressing again withdraws it: the row goes). The
    #    ``moderator`` role (scope: the event id, or '*' for every event) joins the roles and
    #    invites, whose CHECK constraints are rebuilt to allow it.
    """
    CREATE TABLE questions (
        id               INTEGER PRIMARY KEY,
        event_id         TEXT NOT NULL,
        window_id        TEXT NOT NULL,
        axis             TEXT,                 -- an axis id of the event file, or NULL
        text             TEXT NOT NULL,
        registration_id  INTEGER REFERENCES registrations(id),
        mode             TEXT NOT NULL CHECK (mode IN ('in_person', 'online')),
        language         TEXT NOT NULL CHECK (language IN ('it', 'en')),
        named            INTEGER NOT NULL DEFAULT 0,   -- the asker chose to show their name
        shown_name       TEXT,                 -- the name shown when named; erased by purge
        status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                         ('pending', 'published', 'highlighted', 'answered', 'hidden', 'merged')),
        hide_reason      TEXT,                 -- a reason key (see bot/questions), when hidden
        merged_into      INTEGER REFERENCES questions(id),
        dedupe           TEXT UNIQUE,          -- one question per confirmation press
        created_at       TEXT NOT NULL,
        published_at     TEXT,
        highlighted_at   TEXT,
        answered_at      TEXT,
        updated_at       TEXT NOT NULL
    );
    CREATE INDEX questions_by_window ON questions (event_id, window_id, status);
    CREATE INDEX questions_by_registration ON questions (registration_id);
    CREATE TABLE question_supports (
        question_id      INTEGER NOT NULL REFERENCES questions(id),
        registration_id  INTEGER NOT NULL REFERENCES registrations(id),
        created_at       TEXT NOT NULL,
        PRIMARY KEY (question_id, registration_id)
    );
    CREATE INDEX question_supports_by_registration ON question_supports (registration_id);
    CREATE TABLE question_events (
        id           INTEGER PRIMARY KEY,
        question_id  INTEGER NOT NULL REFERENCES questions(id),
        at           TEXT NOT NULL,
        action       TEXT NOT NULL CHECK (action IN ('asked', 'published', 'hidden',
                     'shown_again', 'merged', 'highlighted', 'answered', 'reopened')),
        by_user      INTEGER,                  -- the moderator (NULL: the bot or erased)
        detail       TEXT                      -- hide reason, or the id merged into
    );
    CREATE INDEX question_events_by_question ON question_events (question_id, at);
    -- The fate of every question, for the exports (one row per question; supports count the
    -- question's own supporters and those of the questions merged into it, each person once).
    CREATE VIEW questions_export AS
    SELECT q.id AS question_id, q.event_id, q.window_id, q.axis, q.text, q.mode, q.language,
           CASE WHEN q.named = 1 THEN q.shown_name ELSE NULL END AS name,
           q.status, q.hide_reason, q.merged_into,
           (SELECT COUNT(DISTINCT s.registration_id) FROM question_supports s
             WHERE s.question_id = q.id
                OR s.question_id IN (SELECT m.id FROM questions m WHERE m.merged_into = q.id))
             AS supports,
           q.created_at, q.published_at, q.highlighted_at, q.answered_at
    FROM questions q;
    CREATE TABLE roles_new (
        user_id     INTEGER NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('facilitator', 'referent', 'moderator')),
        scope       TEXT NOT NULL,
        granted_by  INTEGER,
        granted_at  TEXT NOT NULL,
        name        TEXT,
        PRIMARY KEY (user_id, role, scope)
    );
    INSERT INTO roles_new (user_id, role, scope, granted_by, granted_at, name)
        SELECT user_id, role, scope, granted_by, granted_at, name FROM roles;
    DROP TABLE roles;
    ALTER TABLE roles_new RENAME TO roles;
    CREATE TABLE invites_new (
        token       TEXT PRIMARY KEY,
        role        TEXT NOT NULL CHECK (role IN ('facilitator', 'referent', 'moderator')),
        scope       TEXT NOT NULL,
        created_by  INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        used_by     INTEGER,
        used_at     TEXT,
        revoked_at  TEXT
    );
    INSERT INTO invites_new SELECT token, role, scope, created_by, created_at, expires_at,
        used_by, used_at, revoked_at FROM invites;
    DROP TABLE invites;
    ALTER TABLE invites_new RENAME TO invites;
    """,
]
