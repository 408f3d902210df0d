//! The history's schema, versioned with SQLite's `user_version`.
//!
//! Each migration moves the schema from version `n` to `n + 1` and runs exactly once, inside the
//! same immediate transaction that reads and bumps the version, so two processes opening an
//! old database at the same moment cannot both apply it. Migrations are append-only: an old
//! database is brought forward by running the ones it has not seen, in order.

use crate::text::code_key;
use rusqlite::{Connection, TransactionBehavior, params};

/// One step of the schema: SQL, then, where SQL cannot compute a value an old database needs
/// (the code key, which is Unicode NFKC), Rust over the rows that exist.
struct Migration {
    sql: &'static str,
    backfill: Option<fn(&Connection) -> rusqlite::Result<()>>,
}

const fn sql(sql: &'static str) -> Migration {
    Migration {
        sql,
        backfill: None,
    }
}

/// Outcome codes: `ok`, `failed`, `not_attempted` (`skipped` before v2), or NULL for planned
/// but never reached (the process ended first).
const MIGRATIONS: &[Migration] = &[
    // v1: runs and their employees.
    sql("CREATE TABLE runs (
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
    );"),
    // v2: every employee of the plan is accounted for, not only those written (issue 14):
    // the ones left out (not selected, invalid, excluded) with the reason, and how many were
    // unchanged. Invalid rows may lack a code or share one, hence their own key. One word for
    // "not attempted" everywhere.
    sql("CREATE TABLE run_left_out (
        run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq     INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        code    TEXT,
        name    TEXT NOT NULL,
        reason  TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    ALTER TABLE runs ADD COLUMN unchanged INTEGER NOT NULL DEFAULT 0;
    UPDATE run_employees SET outcome = 'not_attempted' WHERE outcome = 'skipped';"),
    // v3: the history answers "when was 00123 last synced, and what changed?" (issue 16 §3,
    // issue 17 §7). `code_key` is the code as the planner matches it (`text::code_key`), so a
    // search for " 00123" finds 00123; `changes` the values each write set, as JSON
    // `[{"field", "old", "new"}]` (NULL for runs recorded before v3, whose values are
    // unknown). The indexes serve the searches by code, by outcome, by status and direction
    // within a date range, newest first.
    Migration {
        sql: "ALTER TABLE run_employees ADD COLUMN code_key TEXT;
            ALTER TABLE run_employees ADD COLUMN changes TEXT;
            ALTER TABLE run_left_out ADD COLUMN code_key TEXT;
            CREATE INDEX run_employees_code_key ON run_employees(code_key);
            CREATE INDEX run_left_out_code_key ON run_left_out(code_key);
            CREATE INDEX run_employees_outcome ON run_employees(outcome, run_id);
            CREATE INDEX run_left_out_kind ON run_left_out(kind, run_id);
            CREATE INDEX runs_status_started ON runs(status, started_at);
            CREATE INDEX runs_direction_started ON runs(direction, started_at);",
        backfill: Some(fill_code_keys),
    },
    // v4: what the history says as English text it also keeps as data, as JSON (a `kind` and
    // its fields), so that a front end says it in its own language (issue 17: a Japanese
    // dashboard page never shows a library sentence): how the run's employees were chosen
    // (`apply::Picked`), why an employee was not attempted (`apply::NotWritten`), why one
    // was left out (`apply::LeftWhy`). NULL for rows recorded before v4 (and for failures,
    // whose reason is a service's text): their text is shown as it is.
    sql("ALTER TABLE runs ADD COLUMN selection_said TEXT;
        ALTER TABLE run_employees ADD COLUMN error_said TEXT;
        ALTER TABLE run_left_out ADD COLUMN reason_said TEXT;"),
    // v5: the clears a written update held back because the plan found the field unreadable
    // in the source (issue 13 §3, `ApplyResult::not_cleared`), so that the history, the email
    // and the dashboard say what the terminal said. Field names comma-separated, as `fields`;
    // empty when none was held back, and for rows recorded before v5, which did not keep it.
    sql("ALTER TABLE run_employees ADD COLUMN not_cleared TEXT NOT NULL DEFAULT '';"),
];

/// Gives every recorded employee of an older history its code key.
fn fill_code_keys(conn: &Connection) -> rusqlite::Result<()> {
    for table in ["run_employees", "run_left_out"] {
        let rows: Vec<(i64, String)> = conn
            .prepare(&format!(
                "SELECT rowid, code FROM {table} WHERE code IS NOT NULL"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut update = conn.prepare(&format!(
            "UPDATE {table} SET code_key = ?2 WHERE rowid = ?1"
        ))?;
        for (rowid, code) in rows {
            update.execute(params![rowid, code_key(&code)])?;
        }
    }
    Ok(())
}

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
    for (version, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(step.sql)?;
        if let Some(backfill) = step.backfill {
            backfill(&tx)?;
        }
        tx.pragma_update(None, "user_version", version as u32 + 1)?;
    }
    tx.commit()?;
    Ok(Migrated::Ok)
}
