//! The history's searches, for the dashboard's 連携履歴 and `crewsync history` (issue 16 §3,
//! issue 17 §7): runs a page at a time, filtered by employee code (社員番号), by outcome, by
//! start date and by direction; and one employee's timeline across runs, which answers "when
//! was 00123 last synced, and what changed?".
//!
//! Codes are matched by [`code_key`], the key the planner matches them by, so a search for
//! `" 00123"` or `"００１２３"` finds the 00123 a run recorded. Dates are days in JST, the time
//! zone every time in the history is shown in.

use super::{
    History, HistoryError, RunId, RunStatus, RunSummary, SUMMARY_SELECT, lock, parse_action,
    parse_left_kind, parse_outcome, timestamp,
};
use crate::apply::{Action, LeftKind};
use crate::model::{Direction, Field};
use crate::plan::Change;
use crate::text::code_key;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rusqlite::types::Value;
use rusqlite::{Row, params_from_iter};
use serde::Serialize;
use std::str::FromStr;

pub use crate::apply::EmployeeOutcome;

/// Where each outcome is recorded.
impl EmployeeOutcome {
    /// The condition on a `run_employees e` row, for the outcomes recorded there.
    fn record_sql(self) -> Option<&'static str> {
        Some(match self {
            EmployeeOutcome::Created => "(e.outcome = 'ok' AND e.action = 'create')",
            EmployeeOutcome::Updated => "(e.outcome = 'ok' AND e.action = 'update')",
            EmployeeOutcome::Failed => "e.outcome = 'failed'",
            EmployeeOutcome::NotAttempted => "(e.outcome IS NULL OR e.outcome = 'not_attempted')",
            _ => return None,
        })
    }

    /// The `run_left_out` kind, for the outcomes recorded there.
    fn left_kind(self) -> Option<LeftKind> {
        LeftKind::ALL
            .into_iter()
            .find(|&k| EmployeeOutcome::of_left(k) == self)
    }
}

/// One outcome to search for: a run's status (`completed`, `stopped`, ...) or what became of
/// an employee in it (`created`, `failed`, `not_selected`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeFilter {
    Run(RunStatus),
    Employee(EmployeeOutcome),
}

impl OutcomeFilter {
    /// Every word [`OutcomeFilter::from_str`] accepts: the run statuses, then the employee
    /// outcomes.
    pub fn words() -> impl Iterator<Item = &'static str> {
        RunStatus::ALL
            .into_iter()
            .map(RunStatus::code)
            .chain(EmployeeOutcome::ALL.into_iter().map(EmployeeOutcome::code))
    }
}

/// A word that is neither a run status nor an employee outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown outcome '{}'{}; use a run's status ({}) or an employee's outcome ({})",
    crate::text::safe(.given),
    .suggestion.as_ref().map(|s| format!(" ({s})")).unwrap_or_default(),
    RunStatus::ALL.map(RunStatus::code).join(", "),
    EmployeeOutcome::ALL.map(EmployeeOutcome::code).join(", ")
)]
pub struct UnknownOutcome {
    pub given: String,
    /// "did you mean 'failed'?", when a word is near.
    pub suggestion: Option<String>,
}

impl FromStr for OutcomeFilter {
    type Err = UnknownOutcome;

    /// Case and `-` or a space for `_` do not matter: `Not-Selected` is `not_selected`.
    fn from_str(s: &str) -> Result<OutcomeFilter, UnknownOutcome> {
        let word = s.trim().to_lowercase().replace(['-', ' '], "_");
        RunStatus::ALL
            .into_iter()
            .find(|st| st.code() == word)
            .map(OutcomeFilter::Run)
            .or_else(|| {
                EmployeeOutcome::ALL
                    .into_iter()
                    .find(|o| o.code() == word)
                    .map(OutcomeFilter::Employee)
            })
            .ok_or_else(|| UnknownOutcome {
                given: s.to_string(),
                suggestion: crate::suggest::did_you_mean(&word, OutcomeFilter::words()),
            })
    }
}

/// Which runs to show. Empty fields do not filter. Several outcomes: a run matches one of
/// its statuses given (if any) and has an employee with one of the employee outcomes given
/// (if any); with a code, it is that employee's outcome that must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub outcomes: Vec<OutcomeFilter>,
    /// Runs started on or after this day (JST).
    pub since: Option<NaiveDate>,
    /// Runs started on or before this day (JST).
    pub until: Option<NaiveDate>,
    pub direction: Option<Direction>,
}

impl RunFilter {
    /// Whether it lets every run through.
    pub fn is_empty(&self) -> bool {
        *self == RunFilter::default()
    }

    /// The run statuses and the employee outcomes asked for, apart.
    fn outcomes(&self) -> (Vec<RunStatus>, Vec<EmployeeOutcome>) {
        let mut statuses = Vec::new();
        let mut employees = Vec::new();
        for outcome in &self.outcomes {
            match *outcome {
                OutcomeFilter::Run(s) => statuses.push(s),
                OutcomeFilter::Employee(e) => employees.push(e),
            }
        }
        (statuses, employees)
    }
}

/// Which page: `number` counts from 1, `size` entries a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub number: usize,
    pub size: usize,
}

/// One page of results, newest first, with how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The page number, from 1.
    pub number: usize,
    /// Entries per page.
    pub size: usize,
    /// Entries matching, on every page.
    pub total: usize,
}

impl<T> Page<T> {
    /// The number of the last page; 1 when nothing matches.
    pub fn last(&self) -> usize {
        self.total.div_ceil(self.size.max(1)).max(1)
    }

    /// Whether the page asked for lies after the last one.
    pub fn is_past_end(&self) -> bool {
        self.number > self.last()
    }
}

/// One employee in one run, as their timeline lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub run: RunId,
    pub started_at: DateTime<Utc>,
    /// When the outcome was recorded; none for the employees left out of the run and those it
    /// never reached.
    pub recorded_at: Option<DateTime<Utc>>,
    pub user: String,
    pub direction: Direction,
    pub run_status: RunStatus,
    /// The code as that run recorded it.
    pub code: String,
    pub name: String,
    pub outcome: EmployeeOutcome,
    /// The fields the write set (or would have set); none for an employee left out.
    pub fields: Vec<Field>,
    /// The values of those fields, old → new (old empty for a create). `None` for a run
    /// recorded by a crewsync that did not keep values.
    pub changes: Option<Vec<Change>>,
    /// Why it failed, was not attempted or was left out.
    pub reason: Option<String>,
    /// Clears the update held back ([`crate::apply::ApplyResult::not_cleared`]); empty for
    /// runs recorded before schema v5.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_cleared: Vec<Field>,
    /// `reason` as data, for runs recorded since schema v4 (a failure's since the service's
    /// message is kept with it).
    #[serde(skip)]
    pub why: Option<EntryWhy>,
}

/// Why an employee of a [`TimelineEntry`] was not written, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryWhy {
    /// Chosen, but not attempted.
    NotWritten(crate::apply::NotWritten),
    /// Left out of the run.
    Left(crate::apply::LeftWhy),
    /// Attempted, and the service refused the write.
    Failed(crate::http::ApiError),
}

/// One employee across runs, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmployeeTimeline {
    /// The code searched for, as matched ([`code_key`]).
    pub code: String,
    /// The latest run that wrote the employee (created or updated), whatever the filter.
    pub last_synced: Option<TimelineEntry>,
    pub entries: Page<TimelineEntry>,
}

/// An SQL condition and its `?` parameters, in order.
#[derive(Debug, Default, Clone)]
struct Where {
    terms: Vec<String>,
    params: Vec<Value>,
}

impl Where {
    fn push(&mut self, term: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.terms.push(term.into());
        self.params.extend(params);
    }

    fn sql(&self) -> String {
        if self.terms.is_empty() {
            "1".to_string()
        } else {
            self.terms.join(" AND ")
        }
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Midnight JST of `day`, as the history stores times.
fn jst_midnight(day: NaiveDate) -> String {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    let at = crate::clock::JST
        .from_local_datetime(&local)
        .single()
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc));
    timestamp(at)
}

fn sql_count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl History {
    /// The runs `filter` lets through that touched the employee `code` (written, failed,
    /// not attempted or left out; any run when `None`), page `page` of them, newest first.
    /// Only that page's runs are read.
    ///
    /// Errors: [`HistoryError::EmptyCode`], [`HistoryError::BackwardsRange`],
    /// [`HistoryError::BadPage`], or the database's.
    pub fn runs(
        &self,
        code: Option<&str>,
        filter: &RunFilter,
        page: PageRequest,
    ) -> Result<Page<RunSummary>, HistoryError> {
        check_page(page)?;
        let key = code.map(key_of).transpose()?;
        let mut runs = self.run_where(filter)?;
        let (_, outcomes) = filter.outcomes();
        if key.is_some() || !outcomes.is_empty() {
            let (records, left) = employee_where(key.as_deref(), &outcomes);
            runs.push(
                format!(
                    "(r.id IN (SELECT e.run_id FROM run_employees e WHERE {})
                      OR r.id IN (SELECT l.run_id FROM run_left_out l WHERE {}))",
                    records.sql(),
                    left.sql()
                ),
                records.params.into_iter().chain(left.params),
            );
        }
        let total: i64 = self
            .conn
            .query_row(
                &format!("SELECT COUNT(*) FROM runs r WHERE {}", runs.sql()),
                params_from_iter(&runs.params),
                |r| r.get(0),
            )
            .map_err(|e| self.sqlite(e))?;
        let sql = format!(
            "{SUMMARY_SELECT} WHERE r.id IN (
                SELECT r.id FROM runs r WHERE {}
                ORDER BY r.started_at DESC, r.rowid DESC LIMIT ? OFFSET ?)
             GROUP BY r.id ORDER BY r.started_at DESC, r.rowid DESC",
            runs.sql()
        );
        let params = runs.params.into_iter().chain(limit_offset(page));
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map(params_from_iter(params), |row| {
                Ok(self.summary_from_row(row))
            })
            .map_err(|e| self.sqlite(e))?;
        let mut items = Vec::new();
        for row in rows {
            items.push(row.map_err(|e| self.sqlite(e))??.0);
        }
        self.settle_running(items.iter_mut())?;
        Ok(Page {
            items,
            number: page.number,
            size: page.size,
            total: usize::try_from(total).unwrap_or_default(),
        })
    }

    /// The employee `code` across the runs `filter` lets through, page `page` of the entries,
    /// newest first, and the latest run that wrote them: "when was 00123 last synced, and
    /// what changed?". Errors as [`History::runs`].
    pub fn timeline(
        &self,
        code: &str,
        filter: &RunFilter,
        page: PageRequest,
    ) -> Result<EmployeeTimeline, HistoryError> {
        check_page(page)?;
        let key = key_of(code)?;
        let entries = self.entries(&key, filter, page)?;
        let written = RunFilter {
            outcomes: vec![
                OutcomeFilter::Employee(EmployeeOutcome::Created),
                OutcomeFilter::Employee(EmployeeOutcome::Updated),
            ],
            ..RunFilter::default()
        };
        let first = PageRequest { number: 1, size: 1 };
        let last_synced = self
            .entries(&key, &written, first)?
            .items
            .into_iter()
            .next();
        Ok(EmployeeTimeline {
            code: key,
            last_synced,
            entries,
        })
    }

    fn entries(
        &self,
        key: &str,
        filter: &RunFilter,
        page: PageRequest,
    ) -> Result<Page<TimelineEntry>, HistoryError> {
        let runs = self.run_where(filter)?;
        let (records, left) = employee_where(Some(key), &filter.outcomes().1);
        let union = format!(
            "SELECT r.id AS run_id, r.started_at AS started_at, r.rowid AS run_row,
                    r.user AS user, r.direction AS direction, r.status AS status,
                    e.code AS code, e.name AS name, e.action AS action, e.fields AS fields,
                    e.changes AS changes, e.outcome AS outcome, e.error AS reason,
                    e.recorded_at AS recorded_at, NULL AS kind, 0 AS part, e.seq AS seq,
                    e.error_said AS reason_said, e.not_cleared AS not_cleared
             FROM run_employees e JOIN runs r ON r.id = e.run_id WHERE {} AND {}
             UNION ALL
             SELECT r.id, r.started_at, r.rowid, r.user, r.direction, r.status,
                    l.code, l.name, NULL, NULL, NULL, NULL, l.reason, NULL, l.kind, 1, l.seq,
                    l.reason_said, ''
             FROM run_left_out l JOIN runs r ON r.id = l.run_id WHERE {} AND {}",
            records.sql(),
            runs.sql(),
            left.sql(),
            runs.sql()
        );
        let params: Vec<Value> = records
            .params
            .into_iter()
            .chain(runs.params.iter().cloned())
            .chain(left.params)
            .chain(runs.params.iter().cloned())
            .collect();
        let total: i64 = self
            .conn
            .query_row(
                &format!("SELECT COUNT(*) FROM ({union})"),
                params_from_iter(&params),
                |r| r.get(0),
            )
            .map_err(|e| self.sqlite(e))?;
        let sql = format!(
            "SELECT run_id, started_at, recorded_at, user, direction, status, code, name,
                    action, fields, changes, outcome, reason, kind, reason_said, not_cleared
             FROM ({union}) ORDER BY started_at DESC, run_row DESC, part, seq
             LIMIT ? OFFSET ?"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map(
                params_from_iter(params.into_iter().chain(limit_offset(page))),
                |row| Ok(self.entry_from_row(row)),
            )
            .map_err(|e| self.sqlite(e))?;
        let mut items = Vec::new();
        for row in rows {
            items.push(row.map_err(|e| self.sqlite(e))??);
        }
        if items.iter().any(|e| e.run_status == RunStatus::Running) && !lock::is_held(&self.path)? {
            for entry in items.iter_mut() {
                if entry.run_status == RunStatus::Running {
                    entry.run_status = RunStatus::Interrupted;
                }
            }
        }
        Ok(Page {
            items,
            number: page.number,
            size: page.size,
            total: usize::try_from(total).unwrap_or_default(),
        })
    }

    /// The conditions on a run (`runs r`) of `filter`. A run the database calls running is
    /// interrupted when nobody holds the lock ([`History::settle_running`]), so the statuses
    /// are matched as they read back, not as stored.
    fn run_where(&self, filter: &RunFilter) -> Result<Where, HistoryError> {
        if let (Some(since), Some(until)) = (filter.since, filter.until)
            && since > until
        {
            return Err(HistoryError::BackwardsRange { since, until });
        }
        let mut w = Where::default();
        if let Some(direction) = filter.direction {
            w.push(
                "r.direction = ?",
                [Value::from(direction.as_str().to_string())],
            );
        }
        if let Some(since) = filter.since {
            w.push("r.started_at >= ?", [Value::from(jst_midnight(since))]);
        }
        if let Some(until) = filter.until {
            let next = until.succ_opt().unwrap_or(until);
            w.push("r.started_at < ?", [Value::from(jst_midnight(next))]);
        }
        let (statuses, _) = filter.outcomes();
        if !statuses.is_empty() {
            let ambiguous = statuses
                .iter()
                .any(|s| matches!(s, RunStatus::Running | RunStatus::Interrupted));
            let held = ambiguous && lock::is_held(&self.path)?;
            let mut stored: Vec<&str> = Vec::new();
            for status in statuses {
                match status {
                    RunStatus::Running if !held => {}
                    RunStatus::Interrupted if !held => {
                        stored.extend([RunStatus::Interrupted.code(), RunStatus::Running.code()])
                    }
                    status => stored.push(status.code()),
                }
            }
            if stored.is_empty() {
                w.push("0", []);
            } else {
                w.push(
                    format!("r.status IN ({})", placeholders(stored.len())),
                    stored.into_iter().map(|s| Value::from(s.to_string())),
                );
            }
        }
        Ok(w)
    }

    fn entry_from_row(&self, row: &Row<'_>) -> Result<TimelineEntry, HistoryError> {
        let get_err = |e| self.sqlite(e);
        let text = |i| row.get::<_, String>(i).map_err(get_err);
        let opt_text = |i| row.get::<_, Option<String>>(i).map_err(get_err);
        let direction = text(4)?;
        let (outcome, fields, changes) = match opt_text(13)? {
            Some(kind) => {
                let kind = parse_left_kind(&kind)
                    .ok_or_else(|| self.corrupt(format!("left-out kind '{kind}'")))?;
                (EmployeeOutcome::of_left(kind), Vec::new(), Some(Vec::new()))
            }
            None => {
                let action = text(8)?;
                let action = parse_action(&action)
                    .ok_or_else(|| self.corrupt(format!("action '{action}'")))?;
                let outcome = opt_text(11)?
                    .map(|o| {
                        parse_outcome(&o).ok_or_else(|| self.corrupt(format!("outcome '{o}'")))
                    })
                    .transpose()?;
                let fields = self.read_fields(&text(9)?)?;
                let changes = opt_text(10)?
                    .map(|json| {
                        serde_json::from_str::<Vec<Change>>(&json)
                            .map_err(|_| self.corrupt(format!("changes '{json}'")))
                    })
                    .transpose()?
                    .map(|changes| written_changes(changes, action, &fields));
                (EmployeeOutcome::of_record(outcome, action), fields, changes)
            }
        };
        Ok(TimelineEntry {
            run: RunId(text(0)?),
            started_at: self.parse_time(&text(1)?)?,
            recorded_at: opt_text(2)?.map(|t| self.parse_time(&t)).transpose()?,
            user: text(3)?,
            direction: direction
                .parse()
                .map_err(|_| self.corrupt(format!("direction '{direction}'")))?,
            run_status: self.parse_status(&text(5)?)?,
            code: text(6)?,
            name: text(7)?,
            outcome,
            fields,
            changes,
            reason: opt_text(12)?,
            not_cleared: self.read_fields(&text(15)?)?,
            why: {
                let said = opt_text(14)?;
                match opt_text(13)? {
                    None => super::read_said(said.as_deref())
                        .map(EntryWhy::NotWritten)
                        .or_else(|| super::read_said(said.as_deref()).map(EntryWhy::Failed)),
                    Some(_) => super::read_said(said.as_deref()).map(EntryWhy::Left),
                }
            },
        })
    }
}

/// The planned changes an update's outcome kept: a clear held back at write time is not in
/// the fields recorded, so it is not shown as written. A create writes every value.
fn written_changes(changes: Vec<Change>, action: Action, fields: &[Field]) -> Vec<Change> {
    match action {
        Action::Create => changes,
        Action::Update => changes
            .into_iter()
            .filter(|c| fields.contains(&c.field))
            .collect(),
    }
}

/// The conditions on `run_employees e` and `run_left_out l` for the employee `key` (any when
/// `None`) with one of `outcomes` (any when empty).
fn employee_where(key: Option<&str>, outcomes: &[EmployeeOutcome]) -> (Where, Where) {
    let mut records = Where::default();
    let mut left = Where::default();
    if let Some(key) = key {
        records.push("e.code_key = ?", [Value::from(key.to_string())]);
        left.push("l.code_key = ?", [Value::from(key.to_string())]);
    }
    if !outcomes.is_empty() {
        let terms: Vec<&str> = outcomes.iter().filter_map(|o| o.record_sql()).collect();
        records.push(
            if terms.is_empty() {
                "0".to_string()
            } else {
                format!("({})", terms.join(" OR "))
            },
            [],
        );
        let kinds: Vec<Value> = outcomes
            .iter()
            .filter_map(|o| o.left_kind())
            .map(|k| Value::from(k.code().to_string()))
            .collect();
        if kinds.is_empty() {
            left.push("0", []);
        } else {
            left.push(format!("l.kind IN ({})", placeholders(kinds.len())), kinds);
        }
    }
    (records, left)
}

fn key_of(code: &str) -> Result<String, HistoryError> {
    let key = code_key(code);
    if key.is_empty() {
        return Err(HistoryError::EmptyCode(code.to_string()));
    }
    Ok(key.into_owned())
}

fn check_page(page: PageRequest) -> Result<(), HistoryError> {
    if page.number == 0 || page.size == 0 {
        return Err(HistoryError::BadPage {
            number: page.number,
            size: page.size,
        });
    }
    Ok(())
}

fn limit_offset(page: PageRequest) -> [Value; 2] {
    let offset = (page.number - 1).saturating_mul(page.size);
    [
        Value::from(sql_count(page.size)),
        Value::from(sql_count(offset)),
    ]
}
