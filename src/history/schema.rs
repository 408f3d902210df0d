//! The history's schema, versioned with SQLite's `user_version`.
//!
//! Each migration moves the schema from version `n` to `n + 1` and runs exactly once, inside the
//! same immediate transaction that reads and bumps the version, so two processes opening an
//! old database at the same moment cannot both apply it. Migrations are append-only: an old
//! database is brought forward by running the ones it has not seen, in order.

use rusqlite::{Connection, TransactionBehavior};

/// Outcome codes: `ok`, `failed`, `not_attempted` (`skipped` before v2), or NULL for planned
/// but never reached (the process ended first).
const MIGRATIONS: &[&str] = &[
    // v1: runs and their employees.
    "CREATE TABLE runs (
        id           TEXT PRIMARY KEY,
        started_at   TEXT NOT NULL,
        ended_at     TEXT,
        status       TEXT NOT NULL,
        user         TEXT NOT NULL,
        pid          INTEGER NOT NULL,
        direction    TEXT NOT NULL,
        as_of        TEXT NOT NULL,
        selection    TEXT NOT NULL,
        defaults     TEXT NOT NULL,
        rules        TEXT,
        note         TEXT,
        email_status TEXT,
        email_error  TEXT,
        email_at     TEXT
    );
    CREATE INDEX runs_started ON runs(started_at);
    CREATE TABLE run_employees (
        run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        code        TEXT NOT NULL,
        name        TEXT NOT NULL,
        action      TEXT NOT NULL,
        fields      TEXT NOT NULL,
        outcome     TEXT,
        error       TEXT,
        recorded_at TEXT,
        PRIMARY KEY (run_id, code)
    );",
    // v2: every employee of the plan is accounted for, not only those written (issue 14):
    // the ones left out (not selected, invalid, excluded) with the reason, and how many were
    // unchanged. Invalid rows may lack a code or share one, hence their own key. One word for
    // "not attempted" everywhere.
    "CREATE TABLE run_left_out (
        run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        code    TEXT,
        name    TEXT NOT NULL,
        reason  TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    ALTER TABLE runs ADD COLUMN unchanged INTEGER NOT NULL DEFAULT 0;
    UPDATE run_employees SET outcome = 'not_attempted' WHERE outcome = 'skipped';",
];

/// The schema version this build writes.
pub const CURRENT: u32 = MIGRATIONS.len() as u32;

pub enum Migrated {
    Ok,
    /// The file was written by a newer crewsync; reading it could misinterpret its columns.
    TooNew(u32),
}

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > CURRENT {
        return Ok(Migrated::TooNew(found));
    }
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version as u32 + 1)?;
    }
    tx.commit()?;
    Ok(Migrated::Ok)
}
