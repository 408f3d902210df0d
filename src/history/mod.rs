//! The sync history (連携履歴): every apply, when it ran, who ran it, what it was asked to do
//! and what happened to each employee, in an embedded SQLite database.
//!
//! The history is written *ahead* of the work: [`History::begin_run`] records the run and every
//! planned write before the first write to the target, and [`History::record`] commits each
//! employee's outcome the moment it is known. So a run whose process is killed half-way reads
//! back as [`RunStatus::Interrupted`] with exactly the employees that were done, and the
//! planned ones that were never attempted are listed as such. Every other employee of the plan
//! (invalid, not selected, excluded) is recorded with why, and the unchanged ones are counted,
//! so a run accounts for everybody. An apply that never began writing is recorded too
//! ([`History::record_unstarted`]), as refused or stopped, with why.
//!
//! Whether a `running` run is really still running is decided with the [`RunLock`]: an apply
//! holds it from just before its first write to its end (not while a person is choosing) and
//! the OS drops it when the process dies, so a `running` run
//! whose lock is free is one whose process is gone. The next [`History::begin_run`] (which
//! needs the lock) also writes that verdict down, so it does not depend on the lock file later.
//!
//! Each planned write keeps the values it sets (old → new), so the history can be searched
//! for one employee across runs ([`History::timeline`]) as well as run by run, a page at a
//! time and filtered ([`History::runs`]); see `query`.

mod handle;
mod lock;
mod query;
mod render;
mod schema;

pub use handle::HistoryHandle;
pub use lock::RunLock;
pub use query::{
    EmployeeOutcome, EmployeeTimeline, EntryWhy, OutcomeFilter, Page, PageRequest, RunFilter,
    TimelineEntry, UnknownOutcome,
};
pub use render::{counts_text, run_text, run_text_in, runs_table, timeline_text};

use crate::apply::{
    Action, ApplyReport, ApplyResult, Counts, LeftKind, LeftOut, NotWritten, Outcome, Picked,
};
use crate::model::{Direction, Field};
use crate::plan::Change;
use crate::text::code_key;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another connection's transaction (a concurrent `crewsync
/// history` read, say) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The history's folder is not there. It is never created: a mistyped `history:` path
    /// would silently start a second history, with a second run lock beside it.
    #[error(
        "the folder {path} of the history database does not exist\n  hint: correct the `history:` path in the config, or create the folder (mkdir -p {path}) if a new history there is meant"
    )]
    MissingDir { path: PathBuf },
    #[error(
        "cannot use the history database {path}: {source}; check the `history:` path in the config and that the file is a crewsync history"
    )]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the history database {path} has schema version {found}, newer than this crewsync understands (version {known}); upgrade crewsync, or point `history:` at another file"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error(
        "the history database {path} holds a value this crewsync cannot read ({detail}); it may have been edited by hand"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("no run '{0}' in the history; `crewsync history` lists the runs and their ids")]
    UnknownRun(String),
    #[error("run {id} is already {status}; its outcomes can no longer change")]
    NotRunning { id: String, status: RunStatus },
    #[error("{}", lock_held_message(*.pid, *.since, .path))]
    LockHeld {
        pid: Option<u32>,
        since: Option<DateTime<Utc>>,
        path: PathBuf,
    },
    #[error("cannot use the lock file {path}: {source}; check that its folder is writable")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the run lock {given} does not guard the history {history}; acquire the lock with the same history path"
    )]
    WrongLock { given: PathBuf, history: PathBuf },
    #[error(
        "the employee code '{}' is empty once spaces and invisible characters are set aside; give the 社員番号 to look for",
        crate::text::exact(.0)
    )]
    EmptyCode(String),
    #[error("the date range ends on {until}, before it starts on {since}; swap the two dates")]
    BackwardsRange { since: NaiveDate, until: NaiveDate },
    #[error(
        "page {number} of {size} per page cannot be shown: pages count from 1 and hold at least one entry"
    )]
    BadPage { number: usize, size: usize },
    /// The async runtime shut down before the work on the history could run.
    #[error("the history database {path} was not written: crewsync is shutting down")]
    ShuttingDown { path: PathBuf },
}

impl crate::error::Diagnostic for HistoryError {
    fn value(&self) -> Option<&str> {
        match self {
            HistoryError::UnknownRun(id) => Some(id),
            _ => None,
        }
    }
}

fn lock_held_message(pid: Option<u32>, since: Option<DateTime<Utc>>, path: &Path) -> String {
    let who = match (pid, since) {
        (Some(pid), Some(since)) => format!(" (pid {pid}, started {})", render::jst(since)),
        (Some(pid), None) => format!(" (pid {pid})"),
        _ => String::new(),
    };
    format!(
        "another crewsync apply is running against this history{who}; wait for it to finish and \
         run again (`crewsync history` shows its progress). The lock ({}) is released \
         automatically when that process ends, so there is nothing to delete.",
        path.display()
    )
}

/// A run's id: `YYYYMMDD-HHMMSS-xxxx`, the UTC start time plus four random hex digits, so ids
/// sort by start time, are short enough to type, and two runs in one second still differ.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    fn generate(now: DateTime<Utc>, salt: u64) -> RunId {
        RunId(crate::clock::stamp_id(now, salt))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One employee the run means to write, recorded before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedWrite {
    pub code: String,
    pub name: String,
    pub action: Action,
    pub fields: Vec<Field>,
    /// The values the write sets, so the history can say what changed: an update's changes
    /// as the plan showed them (old → new), every value a create writes (old empty).
    pub changes: Vec<Change>,
}

/// What a run was asked to do, as recorded before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStart {
    pub direction: Direction,
    pub as_of: NaiveDate,
    /// The OS user; [`os_user`] finds it.
    pub user: String,
    /// `all`, `auto`, the employee codes given, ticked in a terminal or the dashboard.
    pub selection: Picked,
    /// The defaults for new employees, e.g. `office=本社, employment_type=正社員`.
    pub defaults: String,
    /// The rules folder and a hash of its content, when rules were used.
    pub rules: Option<String>,
    pub planned: Vec<PlannedWrite>,
    /// Every other employee of the plan but the unchanged ones, with why it is not written.
    pub left_out: Vec<LeftOut>,
    pub unchanged: usize,
}

/// How a run ended. The status follows from it and from the recorded outcomes, so it cannot
/// disagree with them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunEnd {
    /// Why the run stopped before every planned employee was attempted, e.g. `stopped: KOT
    /// access window until 10:00 JST`.
    pub stopped: Option<String>,
}

impl From<&ApplyReport> for RunEnd {
    fn from(report: &ApplyReport) -> RunEnd {
        RunEnd {
            stopped: report.stopped.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Completed,
    /// Ended, but at least one chosen employee failed or was not attempted (the exit status 2).
    CompletedWithFailures,
    /// Ended early on purpose: at a KOT access window, or stopped by the user (Ctrl-C, or
    /// "no" at the confirmation); the note says which.
    Stopped,
    /// The process ended without finishing the run.
    Interrupted,
    /// Never started writing: a configuration or token problem, KOT or SmartHR refusing or
    /// unreachable, an access window, another apply holding the lock, `max_changes`. The note
    /// says why.
    Refused,
}

impl RunStatus {
    const ALL: [RunStatus; 6] = [
        RunStatus::Running,
        RunStatus::Completed,
        RunStatus::CompletedWithFailures,
        RunStatus::Stopped,
        RunStatus::Interrupted,
        RunStatus::Refused,
    ];

    /// The spelling stored in the database and used in JSON.
    fn code(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::CompletedWithFailures => "completed_with_failures",
            RunStatus::Stopped => "stopped",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Refused => "refused",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code().replace('_', " "))
    }
}

/// Whether the completion email went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "error", rename_all = "lowercase")]
pub enum EmailOutcome {
    Sent,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailRecord {
    #[serde(flatten)]
    pub outcome: EmailOutcome,
    pub at: DateTime<Utc>,
}

/// Per-run counts, derived from the recorded outcomes: the apply report's counts, with the
/// same words. `not_attempted` includes employees planned but never reached because the
/// process ended.
pub type RunCounts = Counts;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub id: RunId,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub user: String,
    pub pid: u32,
    pub direction: Direction,
    pub as_of: NaiveDate,
    pub selection: String,
    /// `selection` as data, for runs recorded since schema v4.
    #[serde(skip)]
    pub picked: Option<Picked>,
    pub counts: RunCounts,
    pub note: Option<String>,
    pub email: Option<EmailRecord>,
}

/// One employee of a run. `outcome` is `None` when the run never got to it. In JSON its
/// outcome is said as every report says it ([`RecordJson`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "RecordJson")]
pub struct EmployeeRecord {
    pub code: String,
    pub name: String,
    pub action: Action,
    pub fields: Vec<Field>,
    pub outcome: Option<Outcome>,
    pub error: Option<String>,
    /// Why it was not attempted, as data (`error` is its English), for runs recorded since
    /// schema v4.
    #[serde(skip)]
    pub why: Option<NotWritten>,
    /// Why the write failed, as data, when a service refused it (`error` is its English).
    #[serde(skip)]
    pub failure: Option<crate::http::ApiError>,
    pub recorded_at: Option<DateTime<Utc>>,
    /// Clears the update held back ([`ApplyResult::not_cleared`]); empty for runs recorded
    /// before schema v5.
    pub not_cleared: Vec<Field>,
}

/// An [`EmployeeRecord`] as `history show --format json` gives it: `outcome` in the words of
/// the apply report and the counts (`created`, `updated`, `failed`, `not_attempted`), `null`
/// for an employee the run never reached; `not_cleared` only when a clear was held back.
#[derive(Serialize)]
struct RecordJson {
    code: String,
    name: String,
    action: Action,
    fields: Vec<Field>,
    outcome: Option<EmployeeOutcome>,
    error: Option<String>,
    recorded_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    not_cleared: Vec<Field>,
}

impl From<EmployeeRecord> for RecordJson {
    fn from(e: EmployeeRecord) -> RecordJson {
        RecordJson {
            outcome: e
                .outcome
                .map(|o| EmployeeOutcome::of_record(Some(o), e.action)),
            code: e.code,
            name: e.name,
            action: e.action,
            fields: e.fields,
            error: e.error,
            recorded_at: e.recorded_at,
            not_cleared: e.not_cleared,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunDetail {
    #[serde(flatten)]
    pub summary: RunSummary,
    pub defaults: String,
    pub rules: Option<String>,
    /// The selected employees, in plan order.
    pub employees: Vec<EmployeeRecord>,
    /// The rest of the plan but the unchanged: invalid, not selected, excluded, with why.
    pub left_out: Vec<LeftOut>,
}

impl RunDetail {
    /// An apply that ended before its first write, as [`History::record_unstarted`] would read
    /// back, for the email when the history itself could not be written.
    pub fn unrecorded(start: &RunStart, status: RunStatus, why: &str) -> RunDetail {
        let now = Utc::now();
        let mut counts = RunCounts {
            not_attempted: start.planned.len(),
            unchanged: start.unchanged,
            ..RunCounts::default()
        };
        for left in &start.left_out {
            counts.count_left(left.kind);
        }
        RunDetail {
            summary: RunSummary {
                id: RunId::generate(now, 0),
                status,
                started_at: now,
                ended_at: Some(now),
                user: start.user.clone(),
                pid: std::process::id(),
                direction: start.direction,
                as_of: start.as_of,
                selection: start.selection.to_string(),
                picked: Some(start.selection.clone()),
                counts,
                note: Some(why.to_string()),
                email: None,
            },
            defaults: start.defaults.clone(),
            rules: start.rules.clone(),
            employees: start
                .planned
                .iter()
                .map(|w| EmployeeRecord {
                    code: w.code.clone(),
                    name: w.name.clone(),
                    action: w.action,
                    fields: w.fields.clone(),
                    outcome: Some(Outcome::NotAttempted),
                    error: Some(unstarted_reason(status)),
                    why: Some(unstarted_why(status)),
                    failure: None,
                    recorded_at: Some(now),
                    not_cleared: Vec::new(),
                })
                .collect(),
            left_out: start.left_out.clone(),
        }
    }
}

/// Why the planned employees of a run that never began writing (refused, or stopped) were
/// not attempted.
pub fn unstarted_why(status: RunStatus) -> crate::apply::NotWritten {
    crate::apply::NotWritten::Unstarted {
        refused: status != RunStatus::Stopped,
    }
}

/// [`unstarted_why`] as the history's text says it.
pub fn unstarted_reason(status: RunStatus) -> String {
    unstarted_why(status).to_string()
}

/// The OS user running crewsync, for the history's "who ran it": `USER`, `USERNAME` or
/// `LOGNAME` as the login set them, else the account the process runs as (the password
/// database on Unix, as `id -un` reads it): cron and systemd often set none of the three.
/// "unknown" only when the system cannot name the account either.
pub fn os_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .or_else(|| whoami::username().ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History").field("path", &self.path).finish()
    }
}

/// A run's summary plus the two columns only its detail shows: defaults and rules.
type SummaryRow = (RunSummary, String, Option<String>);

/// The counts, computed in SQL so that listing many runs stays one query. Each `SUM` is over
/// booleans; `COALESCE` covers runs with no employees at all.
const SUMMARY_SELECT: &str = "
    SELECT r.id, r.status, r.started_at, r.ended_at, r.user, r.pid, r.direction, r.as_of,
           r.selection, r.note, r.email_status, r.email_error, r.email_at,
           COALESCE(SUM(e.action = 'create' AND e.outcome = 'ok'), 0),
           COALESCE(SUM(e.action = 'update' AND e.outcome = 'ok'), 0),
           COALESCE(SUM(e.outcome = 'failed'), 0),
           COALESCE(SUM(e.run_id IS NOT NULL
                        AND (e.outcome IS NULL OR e.outcome = 'not_attempted')), 0),
           r.defaults, r.rules, r.unchanged,
           (SELECT COUNT(*) FROM run_left_out l WHERE l.run_id = r.id AND l.kind = 'invalid'),
           (SELECT COUNT(*) FROM run_left_out l
             WHERE l.run_id = r.id AND l.kind = 'not_selected'),
           (SELECT COUNT(*) FROM run_left_out l WHERE l.run_id = r.id AND l.kind = 'excluded'),
           r.selection_said
    FROM runs r LEFT JOIN run_employees e ON e.run_id = r.id";

impl History {
    /// Opens (creating it and its folder if need be) the history at `path`, bringing its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        require_parent(path)?;
        let sqlite = |source| HistoryError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(sqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        // WAL lets `crewsync history` read while an apply writes, and keeps every committed
        // outcome on disk if the process is killed.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(sqlite)?;
        match schema::migrate(&mut conn).map_err(sqlite)? {
            schema::Migrated::Ok => Ok(History {
                conn,
                path: path.to_path_buf(),
            }),
            schema::Migrated::TooNew(found) => Err(HistoryError::TooNew {
                path: path.to_path_buf(),
                found,
                known: schema::CURRENT,
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a run and its planned writes; call it before the first write. Holding `lock`
    /// proves no other run is live, so any run still marked running is written down as
    /// interrupted here.
    pub fn begin_run(&self, lock: &RunLock, start: &RunStart) -> Result<RunId, HistoryError> {
        let expected = lock::lock_path(&self.path)?;
        if lock.path() != expected {
            return Err(HistoryError::WrongLock {
                given: lock.path().to_path_buf(),
                history: self.path.clone(),
            });
        }
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.sqlite(e))?;
        tx.execute(
            "UPDATE runs SET status = ?1 WHERE status = ?2",
            params![RunStatus::Interrupted.code(), RunStatus::Running.code()],
        )
        .map_err(|e| self.sqlite(e))?;
        let id = self.insert_run(&tx, start, None)?;
        tx.commit().map_err(|e| self.sqlite(e))?;
        Ok(id)
    }

    /// Records an apply that ended before its first write: `status` is
    /// [`RunStatus::Refused`] (and `why` the error) or [`RunStatus::Stopped`] (the person
    /// cancelled). Needs no lock and touches no other run, so it is safe while another apply
    /// holds the lock and writes: its one transaction waits for theirs.
    pub fn record_unstarted(
        &self,
        start: &RunStart,
        status: RunStatus,
        why: &str,
    ) -> Result<RunId, HistoryError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.sqlite(e))?;
        let id = self.insert_run(&tx, start, Some((status, why)))?;
        tx.commit().map_err(|e| self.sqlite(e))?;
        Ok(id)
    }

    /// Inserts a run with its planned and left-out employees. `ended`: the run is over
    /// before it began (see [`History::record_unstarted`]), and its planned employees are
    /// recorded as not attempted.
    fn insert_run(
        &self,
        conn: &Connection,
        start: &RunStart,
        ended: Option<(RunStatus, &str)>,
    ) -> Result<RunId, HistoryError> {
        let sqlite = |e| self.sqlite(e);
        let now = Utc::now();
        let (status, note) = ended.map_or((RunStatus::Running, None), |(s, why)| (s, Some(why)));
        let mut salt = 0;
        let id = loop {
            let id = RunId::generate(now, salt);
            let inserted = conn
                .execute(
                    "INSERT OR IGNORE INTO runs (id, started_at, status, user, pid, direction,
                        as_of, selection, defaults, rules, unchanged, ended_at, note,
                        selection_said)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                    params![
                        id.as_str(),
                        timestamp(now),
                        status.code(),
                        start.user,
                        std::process::id(),
                        start.direction.as_str(),
                        start.as_of.to_string(),
                        start.selection.to_string(),
                        start.defaults,
                        start.rules,
                        i64::try_from(start.unchanged).unwrap_or(i64::MAX),
                        ended.map(|_| timestamp(now)),
                        note,
                        said(&start.selection),
                    ],
                )
                .map_err(sqlite)?;
            if inserted == 1 {
                break id;
            }
            salt += 1;
        };
        let seq = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let (outcome, error, error_said, recorded_at) = match ended {
            Some((status, _)) => (
                Some(Outcome::NotAttempted.code()),
                Some(unstarted_reason(status)),
                said(&unstarted_why(status)),
                Some(timestamp(now)),
            ),
            None => (None, None, None, None),
        };
        let mut insert = conn
            .prepare(
                "INSERT INTO run_employees (run_id, seq, code, name, action, fields, outcome,
                    error, recorded_at, code_key, changes, error_said)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (run_id, code) DO NOTHING",
            )
            .map_err(sqlite)?;
        for (n, write) in start.planned.iter().enumerate() {
            insert
                .execute(params![
                    id.as_str(),
                    seq(n),
                    write.code,
                    write.name,
                    action_code(write.action),
                    fields_text(&write.fields),
                    outcome,
                    error,
                    recorded_at,
                    code_key(&write.code),
                    changes_text(&write.changes),
                    error_said,
                ])
                .map_err(sqlite)?;
        }
        let mut insert = conn
            .prepare(
                "INSERT INTO run_left_out (run_id, seq, kind, code, name, reason, code_key,
                    reason_said)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(sqlite)?;
        for (n, left) in start.left_out.iter().enumerate() {
            insert
                .execute(params![
                    id.as_str(),
                    seq(n),
                    left.kind.code(),
                    left.code,
                    left.name,
                    left.reason,
                    left.code.as_deref().map(code_key),
                    left.why.as_ref().and_then(said),
                ])
                .map_err(sqlite)?;
        }
        Ok(id)
    }

    /// The employees among `codes` that a run recorded an outcome for (written or failed)
    /// at or after `since`, with that run: a plan fetched at `since` no longer shows what
    /// they are in the target, so writing them would rest on a stale comparison.
    pub fn written_since(
        &self,
        codes: &[&str],
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, RunId)>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT code, run_id FROM run_employees
                 WHERE code = ?1 AND recorded_at >= ?2 AND outcome IN ('ok', 'failed')
                 ORDER BY recorded_at DESC LIMIT 1",
            )
            .map_err(|e| self.sqlite(e))?;
        let since = timestamp(since);
        let mut found = Vec::new();
        for code in codes {
            let hit = stmt
                .query_row(params![code, since], |r| {
                    Ok((r.get::<_, String>(0)?, RunId(r.get(1)?)))
                })
                .optional()
                .map_err(|e| self.sqlite(e))?;
            found.extend(hit);
        }
        Ok(found)
    }

    /// Commits one employee's outcome at once. An employee that was not planned is added at
    /// the end, so nothing that was written goes unrecorded.
    pub fn record(&self, run: &RunId, result: &ApplyResult) -> Result<(), HistoryError> {
        self.require_running(run.as_str())?;
        self.conn
            .execute(
                "INSERT INTO run_employees
                    (run_id, seq, code, name, action, fields, outcome, error, recorded_at,
                     code_key, error_said, not_cleared)
                 VALUES (?1,
                    (SELECT COALESCE(MAX(seq) + 1, 0) FROM run_employees WHERE run_id = ?1),
                    ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (run_id, code) DO UPDATE SET
                    name = excluded.name, action = excluded.action, fields = excluded.fields,
                    outcome = excluded.outcome, error = excluded.error,
                    recorded_at = excluded.recorded_at, error_said = excluded.error_said,
                    not_cleared = excluded.not_cleared",
                params![
                    run.as_str(),
                    result.code,
                    result.name,
                    action_code(result.action),
                    fields_text(&result.fields),
                    result.outcome.code(),
                    result.error,
                    timestamp(Utc::now()),
                    code_key(&result.code),
                    // One column keeps either: a failure is never also not attempted.
                    result
                        .why
                        .as_ref()
                        .and_then(said)
                        .or_else(|| result.failure.as_ref().and_then(said)),
                    fields_text(&result.not_cleared),
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Closes a run: `completed`, `completed with failures` or, when `end.stopped` says why,
    /// `stopped`.
    pub fn finish(&self, run: &RunId, end: &RunEnd) -> Result<RunStatus, HistoryError> {
        self.require_running(run.as_str())?;
        // Not attempted (a stale row of a saved plan, an abandoned write) is as much a reason
        // to look as a failure: the run's exit status is 2 for both.
        let failed: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM run_employees WHERE run_id = ?1 AND outcome IN ('failed', 'not_attempted')",
                [run.as_str()],
                |r| r.get(0),
            )
            .map_err(|e| self.sqlite(e))?;
        let status = match (&end.stopped, failed) {
            (Some(_), _) => RunStatus::Stopped,
            (None, 0) => RunStatus::Completed,
            (None, _) => RunStatus::CompletedWithFailures,
        };
        self.conn
            .execute(
                "UPDATE runs SET status = ?2, ended_at = ?3, note = ?4 WHERE id = ?1",
                params![
                    run.as_str(),
                    status.code(),
                    timestamp(Utc::now()),
                    end.stopped
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(status)
    }

    /// Records whether the completion email went out (it is sent after [`History::finish`],
    /// from the finished run's detail).
    pub fn record_email(&self, run: &RunId, outcome: &EmailOutcome) -> Result<(), HistoryError> {
        let (status, error) = match outcome {
            EmailOutcome::Sent => ("sent", None),
            EmailOutcome::Failed(error) => ("failed", Some(error.as_str())),
        };
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET email_status = ?2, email_error = ?3, email_at = ?4 WHERE id = ?1",
                params![run.as_str(), status, error, timestamp(Utc::now())],
            )
            .map_err(|e| self.sqlite(e))?;
        if changed == 0 {
            return Err(HistoryError::UnknownRun(run.to_string()));
        }
        Ok(())
    }

    /// The latest `limit` runs, newest first ([`History::runs`] pages and filters them).
    pub fn list(&self, limit: usize) -> Result<Vec<RunSummary>, HistoryError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let first = PageRequest {
            number: 1,
            size: limit,
        };
        Ok(self.runs(None, &RunFilter::default(), first)?.items)
    }

    /// One run with every employee, or an error naming `run` when there is no such run.
    pub fn show(&self, run: &str) -> Result<RunDetail, HistoryError> {
        let sql = format!("{SUMMARY_SELECT} WHERE r.id = ?1 GROUP BY r.id");
        let found = self
            .conn
            .query_row(&sql, [run], |row| Ok(self.summary_from_row(row)))
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let Some(found) = found else {
            return Err(HistoryError::UnknownRun(run.to_string()));
        };
        let (mut summary, defaults, rules) = found?;
        self.settle_running(std::iter::once(&mut summary))?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT code, name, action, fields, outcome, error, recorded_at, error_said,
                    not_cleared
                 FROM run_employees WHERE run_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([run], |row| Ok(self.employee_from_row(row)))
            .map_err(|e| self.sqlite(e))?;
        let mut employees = Vec::new();
        for row in rows {
            employees.push(row.map_err(|e| self.sqlite(e))??);
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, code, name, reason, reason_said FROM run_left_out
                 WHERE run_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([run], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(|e| self.sqlite(e))?;
        let mut left_out = Vec::new();
        for row in rows {
            let (kind, code, name, reason, reason_said) = row.map_err(|e| self.sqlite(e))?;
            left_out.push(LeftOut {
                kind: parse_left_kind(&kind)
                    .ok_or_else(|| self.corrupt(format!("left-out kind '{kind}'")))?,
                code,
                name,
                reason,
                why: read_said(reason_said.as_deref()),
            });
        }
        Ok(RunDetail {
            summary,
            defaults,
            rules,
            employees,
            left_out,
        })
    }

    /// A run the database calls running is interrupted when no process holds the lock: the
    /// process that was running it has gone.
    fn settle_running<'a>(
        &self,
        runs: impl Iterator<Item = &'a mut RunSummary>,
    ) -> Result<(), HistoryError> {
        let mut held = None;
        for run in runs.filter(|r| r.status == RunStatus::Running) {
            let held = match held {
                Some(held) => held,
                None => *held.insert(lock::is_held(&self.path)?),
            };
            if !held {
                run.status = RunStatus::Interrupted;
            }
        }
        Ok(())
    }

    fn require_running(&self, id: &str) -> Result<(), HistoryError> {
        let status: Option<String> = self
            .conn
            .query_row("SELECT status FROM runs WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))?;
        match status {
            None => Err(HistoryError::UnknownRun(id.to_string())),
            Some(s) => match self.parse_status(&s)? {
                RunStatus::Running => Ok(()),
                status => Err(HistoryError::NotRunning {
                    id: id.to_string(),
                    status,
                }),
            },
        }
    }

    fn summary_from_row(&self, row: &Row<'_>) -> Result<SummaryRow, HistoryError> {
        let get_err = |e| self.sqlite(e);
        let text = |i| row.get::<_, String>(i).map_err(get_err);
        let opt_text = |i| row.get::<_, Option<String>>(i).map_err(get_err);
        let count = |i| {
            row.get::<_, i64>(i)
                .map_err(get_err)
                .map(|n| usize::try_from(n).unwrap_or_default())
        };
        let email = match (opt_text(10)?, opt_text(12)?) {
            (Some(status), Some(at)) => Some(EmailRecord {
                outcome: match status.as_str() {
                    "sent" => EmailOutcome::Sent,
                    _ => EmailOutcome::Failed(opt_text(11)?.unwrap_or_default()),
                },
                at: self.parse_time(&at)?,
            }),
            _ => None,
        };
        let direction = text(6)?;
        let as_of = text(7)?;
        let summary = RunSummary {
            id: RunId(text(0)?),
            status: self.parse_status(&text(1)?)?,
            started_at: self.parse_time(&text(2)?)?,
            ended_at: opt_text(3)?.map(|t| self.parse_time(&t)).transpose()?,
            user: text(4)?,
            pid: u32::try_from(row.get::<_, i64>(5).map_err(get_err)?).unwrap_or_default(),
            direction: direction
                .parse()
                .map_err(|_| self.corrupt(format!("direction '{direction}'")))?,
            as_of: NaiveDate::parse_from_str(&as_of, "%Y-%m-%d")
                .map_err(|_| self.corrupt(format!("as-of date '{as_of}'")))?,
            selection: text(8)?,
            picked: read_said(opt_text(23)?.as_deref()),
            counts: RunCounts {
                created: count(13)?,
                updated: count(14)?,
                failed: count(15)?,
                not_attempted: count(16)?,
                unchanged: count(19)?,
                invalid: count(20)?,
                not_selected: count(21)?,
                excluded: count(22)?,
            },
            note: opt_text(9)?,
            email,
        };
        Ok((summary, text(17)?, opt_text(18)?))
    }

    fn employee_from_row(&self, row: &Row<'_>) -> Result<EmployeeRecord, HistoryError> {
        let get_err = |e| self.sqlite(e);
        let text = |i| row.get::<_, String>(i).map_err(get_err);
        let opt_text = |i| row.get::<_, Option<String>>(i).map_err(get_err);
        let action = text(2)?;
        let fields = text(3)?;
        // One column keeps either why it was not written or why its write failed.
        let said = opt_text(7)?;
        Ok(EmployeeRecord {
            code: text(0)?,
            name: text(1)?,
            action: parse_action(&action)
                .ok_or_else(|| self.corrupt(format!("action '{action}'")))?,
            fields: self.read_fields(&fields)?,
            outcome: opt_text(4)?
                .map(|o| parse_outcome(&o).ok_or_else(|| self.corrupt(format!("outcome '{o}'"))))
                .transpose()?,
            error: opt_text(5)?,
            why: read_said(said.as_deref()),
            failure: read_said(said.as_deref()),
            recorded_at: opt_text(6)?.map(|t| self.parse_time(&t)).transpose()?,
            not_cleared: self.read_fields(&text(8)?)?,
        })
    }

    fn read_fields(&self, names: &str) -> Result<Vec<Field>, HistoryError> {
        parse_fields(names).ok_or_else(|| self.corrupt(format!("field list '{names}'")))
    }

    fn parse_status(&self, s: &str) -> Result<RunStatus, HistoryError> {
        RunStatus::ALL
            .into_iter()
            .find(|st| st.code() == s)
            .ok_or_else(|| self.corrupt(format!("run status '{s}'")))
    }

    fn parse_time(&self, s: &str) -> Result<DateTime<Utc>, HistoryError> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| self.corrupt(format!("time '{s}'")))
    }

    fn sqlite(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, detail: String) -> HistoryError {
        HistoryError::Corrupt {
            path: self.path.clone(),
            detail,
        }
    }
}

fn require_parent(path: &Path) -> Result<(), HistoryError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err(HistoryError::MissingDir {
                path: dir.to_path_buf(),
            })
        }
        _ => Ok(()),
    }
}

/// UTC with milliseconds, so stored times sort as text.
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn action_code(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
    }
}

fn parse_action(s: &str) -> Option<Action> {
    [Action::Create, Action::Update]
        .into_iter()
        .find(|a| action_code(*a) == s)
}

fn parse_outcome(s: &str) -> Option<Outcome> {
    Outcome::ALL.into_iter().find(|o| o.code() == s)
}

fn parse_left_kind(s: &str) -> Option<LeftKind> {
    LeftKind::ALL.into_iter().find(|k| k.code() == s)
}

/// The changes as JSON; an empty list is stored too, so that only runs recorded before v3
/// read back as "values unknown".
fn changes_text(changes: &[Change]) -> String {
    serde_json::to_string(changes).unwrap_or_else(|_| "[]".to_string())
}

/// A value the history keeps as data beside its text (schema v4), as JSON.
fn said<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// A value kept as data, read back: `None` for rows recorded before v4, and for JSON this
/// crewsync cannot read (edited by hand, or a kind of a newer build), whose text is then shown
/// as it is.
fn read_said<T: serde::de::DeserializeOwned>(json: Option<&str>) -> Option<T> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

/// Canonical field names, comma-separated (readable with the `sqlite3` shell).
fn fields_text(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_fields(s: &str) -> Option<Vec<Field>> {
    s.split(',')
        .filter(|name| !name.is_empty())
        .map(|name| name.parse().ok())
        .collect()
}
