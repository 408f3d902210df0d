use super::{Action, ApplyReport, ApplyResult, ApplySummary, Outcome};
use crate::model::Field;
use crate::plan::{Plan, Row, Status};
use crate::sync::{Observer, Target};
use crate::window::{self, Window};
use std::collections::BTreeSet;
use std::time::Duration;

/// Which rows an apply writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every new and changed row.
    All,
    /// Exactly the rows the rules (or the default policy) selected.
    Auto,
    /// These employee codes.
    Codes(BTreeSet<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error(
        "--select: employee code '{0}' is not in the plan; run `crewsync plan` with the same flags to see the codes"
    )]
    UnknownCode(String),
    #[error("--select: employee {code} is {status} and cannot be applied{why}")]
    NotActionable {
        code: String,
        status: &'static str,
        why: String,
    },
}

impl std::str::FromStr for Selection {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "all" => Ok(Selection::All),
            "auto" => Ok(Selection::Auto),
            "" => Err(
                "--select needs 'all', 'auto' or a comma-separated list of employee codes".into(),
            ),
            list => Ok(Selection::Codes(
                list.split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect(),
            )),
        }
    }
}

impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selection::All => f.write_str("all"),
            Selection::Auto => f.write_str("auto"),
            Selection::Codes(codes) => {
                f.write_str(&codes.iter().cloned().collect::<Vec<_>>().join(","))
            }
        }
    }
}

impl Selection {
    /// The indexes of the rows to write, in plan order. Naming a code that cannot be written is
    /// an error rather than a silent skip, because the person asked for it by name.
    pub fn pick(&self, plan: &Plan) -> Result<Vec<usize>, SelectionError> {
        let actionable = |r: &Row| r.status.is_actionable();
        match self {
            Selection::All => Ok(indexes(plan, |r| actionable(r))),
            Selection::Auto => Ok(indexes(plan, |r| actionable(r) && r.selected)),
            Selection::Codes(codes) => {
                for code in codes {
                    let row = plan
                        .rows
                        .iter()
                        .find(|r| r.code.as_deref() == Some(code))
                        .ok_or_else(|| SelectionError::UnknownCode(code.clone()))?;
                    if !actionable(row) {
                        return Err(SelectionError::NotActionable {
                            code: code.clone(),
                            status: row.status.as_str(),
                            why: match row.status {
                                Status::Invalid => format!(": {}", row.problems.join("; ")),
                                _ => String::new(),
                            },
                        });
                    }
                }
                Ok(indexes(plan, |r| {
                    r.code.as_ref().is_some_and(|c| codes.contains(c))
                }))
            }
        }
    }
}

fn indexes(plan: &Plan, keep: impl Fn(&Row) -> bool) -> Vec<usize> {
    (0..plan.rows.len())
        .filter(|&i| keep(&plan.rows[i]))
        .collect()
}

/// How a run behaves when KOT closes its access window mid-run, and when the server keeps
/// failing.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `Some`: pause and carry on after the window instead of stopping.
    pub wait: Option<Wait>,
    /// Stop the run once this many employees in a row have failed with the same server-side
    /// error (each after its own retries), reporting the rest as not attempted: a server that
    /// fails every write would otherwise cost every employee its full retries. `None` or 0
    /// never stops (config key `circuit_breaker.consecutive_failures`).
    pub circuit_breaker: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Wait {
    pub windows: Vec<Window>,
    /// How often to try again when the configured windows do not explain the refusal.
    pub poll: Duration,
}

/// What the caller does with each result as it happens (the history records it before the
/// next write). An error stops the run: writing on without a record would lose track.
pub type OnResult<'a> = dyn FnMut(&ApplyResult) -> Result<(), String> + 'a;

/// Writes the chosen rows one employee at a time. A failure is reported and the rest go on; an
/// access window (KOT 104) stops the run (or pauses it with `wait`), and every employee not
/// attempted is reported as skipped, so the report always accounts for everybody.
pub async fn run(
    plan: &Plan,
    chosen: &[usize],
    target: &Target<'_>,
    options: &Options,
    observer: &dyn Observer,
    run_id: &str,
    on_result: &mut OnResult<'_>,
) -> ApplyReport {
    let mut results = Vec::with_capacity(chosen.len());
    let mut stopped: Option<String> = None;
    let mut breaker = Breaker::new(options.circuit_breaker);
    for (n, &i) in chosen.iter().enumerate() {
        let row = &plan.rows[i];
        let result = match &stopped {
            Some(why) => skipped(row, why),
            None => loop {
                let result = write(row, target).await;
                match (&result, &options.wait) {
                    (Err(WriteError::Api(e)), Some(wait)) if e.is_access_window() => {
                        pause(wait, observer, &e.to_string()).await;
                    }
                    (Err(WriteError::Api(e)), None) if e.is_access_window() => {
                        let why = format!(
                            "KING OF TIME's access window stopped the run before employee {}: {e}\n  hint: the employees before it were written; run the same apply again after the window (or add --wait) to do the rest",
                            row.code.as_deref().unwrap_or("?")
                        );
                        stopped = Some(why.clone());
                        break skipped(row, &why);
                    }
                    _ => {
                        if let Some(why) = breaker.observe(&result) {
                            stopped = Some(why);
                        }
                        break finished(row, result);
                    }
                }
            },
        };
        if let Err(e) = on_result(&result) {
            stopped.get_or_insert(format!("stopped: could not record the outcome: {e}"));
        }
        observer.applied(&result, n + 1, chosen.len());
        results.push(result);
    }
    ApplyReport {
        run_id: run_id.to_string(),
        summary: summarise(&results),
        results,
        stopped,
    }
}

/// Counts consecutive employees failing with the same server-side error.
struct Breaker {
    threshold: usize,
    streak: Option<(String, usize)>,
}

impl Breaker {
    fn new(threshold: Option<usize>) -> Breaker {
        Breaker {
            threshold: threshold.unwrap_or(0),
            streak: None,
        }
    }

    /// Notes one employee's result; why the run must stop, once the streak is long enough.
    fn observe(&mut self, result: &Result<(), WriteError>) -> Option<String> {
        let key = match result {
            Err(WriteError::Api(e)) => e.server_side(),
            _ => None,
        };
        let Some(key) = key else {
            self.streak = None;
            return None;
        };
        let count = match self.streak.take() {
            Some((last, n)) if last == key => n + 1,
            _ => 1,
        };
        self.streak = Some((key.clone(), count));
        (self.threshold > 0 && count >= self.threshold).then(|| {
            format!(
                "stopped after {count} employees in a row failed with the same server error ({key}); the rest were not attempted\n  hint: the service seems to be failing every write; check its status, then run the same apply again to do the rest (circuit_breaker.consecutive_failures in the configuration sets how many failures stop a run)"
            )
        })
    }
}

async fn pause(wait: &Wait, observer: &dyn Observer, refusal: &str) {
    let now = chrono::Utc::now();
    let sleep = match window::inside(&wait.windows, now) {
        Some(inside) => {
            observer.waiting(&format!("{inside}; waiting (--wait)"));
            inside.wait(now).max(Duration::from_secs(1))
        }
        None => {
            observer.waiting(&format!(
                "{refusal}; trying again in {}s (--wait)",
                wait.poll.as_secs()
            ));
            wait.poll
        }
    };
    tokio::time::sleep(sleep).await;
}

fn action(row: &Row) -> Action {
    match row.status {
        Status::New => Action::Create,
        _ => Action::Update,
    }
}

fn base(row: &Row) -> ApplyResult {
    let action = action(row);
    ApplyResult {
        code: row.code.clone().unwrap_or_default(),
        name: row.name.clone(),
        action,
        outcome: Outcome::Ok,
        error: None,
        fields: match action {
            Action::Create => Field::SYNCED.to_vec(),
            Action::Update => row.changes.iter().map(|c| c.field).collect(),
        },
    }
}

fn skipped(row: &Row, why: &str) -> ApplyResult {
    ApplyResult {
        outcome: Outcome::Skipped,
        error: Some(why.to_string()),
        ..base(row)
    }
}

fn finished(row: &Row, result: Result<(), WriteError>) -> ApplyResult {
    match result {
        Ok(()) => base(row),
        Err(e) => ApplyResult {
            outcome: Outcome::Failed,
            error: Some(e.to_string()),
            ..base(row)
        },
    }
}

/// Why one employee's write failed.
#[derive(Debug, thiserror::Error)]
enum WriteError {
    #[error(transparent)]
    Api(#[from] crate::http::ApiError),
    /// A plan row without what a write needs is a planner bug; it fails that employee, not
    /// the run.
    #[error("internal error: the plan row has no {0}; nothing was written for this employee")]
    Incomplete(&'static str),
}

async fn write(row: &Row, target: &Target<'_>) -> Result<(), WriteError> {
    match action(row) {
        Action::Create => {
            let source = row
                .source
                .as_ref()
                .ok_or(WriteError::Incomplete("source record"))?;
            target
                .create(
                    source,
                    row.office.as_ref().map(|a| &a.item),
                    row.employment_type.as_ref().map(|a| &a.item),
                )
                .await?;
        }
        Action::Update => {
            let id = row
                .target_id
                .as_deref()
                .ok_or(WriteError::Incomplete("target id"))?;
            let changes: Vec<(Field, Option<String>)> = row
                .changes
                .iter()
                .map(|c| {
                    let value = match c.field {
                        // The plan shows names for people; the API wants the id.
                        Field::Office => row.office.as_ref().map(|a| a.item.id.clone()),
                        Field::EmploymentType => {
                            row.employment_type.as_ref().map(|a| a.item.id.clone())
                        }
                        _ => c.new.clone(),
                    };
                    (c.field, value)
                })
                .collect();
            target.update(id, &changes).await?;
        }
    }
    Ok(())
}

fn summarise(results: &[ApplyResult]) -> ApplySummary {
    let mut s = ApplySummary::default();
    for r in results {
        match (r.outcome, r.action) {
            (Outcome::Ok, Action::Create) => s.created += 1,
            (Outcome::Ok, Action::Update) => s.updated += 1,
            (Outcome::Failed, _) => s.failed += 1,
            (Outcome::Skipped, _) => s.skipped += 1,
        }
    }
    s
}
