use super::{Action, ApplyReport, ApplyResult, ApplySummary, Outcome};
use crate::model::Field;
use crate::plan::{Change, Plan, Row, Status, View};
use crate::sync::{Observer, Target};
use crate::window::{self, Window};
use std::collections::BTreeSet;
use std::time::Duration;

/// Which rows an apply writes, among the rows the person was shown (a [`View`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every new and changed row shown.
    All,
    /// Exactly the rows shown that the rules (or the default policy) selected.
    Auto,
    /// These employee codes, each of which must be shown.
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
    #[error(
        "--select: employee {code} is {status}, which --status does not show; only rows shown can be written: add {status} to --status, or leave the code out"
    )]
    NotShown { code: String, status: &'static str },
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
    /// The indexes of the rows to write, in plan order, among those `view` shows: a row the
    /// person did not see is never written. Naming a code that cannot be written is an error
    /// rather than a silent skip, because the person asked for it by name.
    pub fn pick(&self, plan: &Plan, view: &View) -> Result<Vec<usize>, SelectionError> {
        let actionable = |r: &Row| r.status.is_actionable() && view.shows(r);
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
                    if !view.shows(row) {
                        return Err(SelectionError::NotShown {
                            code: code.clone(),
                            status: row.status.as_str(),
                        });
                    }
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

/// How a run behaves when KOT closes its access window mid-run, and which clears it may make.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `Some`: pause and carry on after the window instead of stopping.
    pub wait: Option<Wait>,
    pub allow_clear: AllowClear,
}

/// Which of the fields a plan found unreadable ([`Plan::unreadable`]) an apply may clear
/// anyway: none unless the person says so (`--allow-clear FIELD`, or `--force` for all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowClear {
    pub all: bool,
    pub fields: BTreeSet<Field>,
}

impl AllowClear {
    pub fn allows(&self, field: Field) -> bool {
        self.all || self.fields.contains(&field)
    }
}

/// What an update writes of a row, and which clears it holds back.
struct Writes<'a> {
    changes: Vec<&'a Change>,
    not_cleared: Vec<Field>,
}

/// The fields whose clears this run holds back: the unreadable ones not allowed.
fn held(plan: &Plan, options: &Options) -> BTreeSet<Field> {
    plan.unreadable
        .iter()
        .map(|u| u.field)
        .filter(|&f| !options.allow_clear.allows(f))
        .collect()
}

/// Splits a row's changes into those written and the clears held back. A status change that
/// follows a held resignation-date clear is held with it, so the status stays consistent with
/// the date SmartHR keeps.
fn writes<'a>(row: &'a Row, held: &BTreeSet<Field>) -> Writes<'a> {
    let mut not_cleared: Vec<Field> = row
        .changes
        .iter()
        .filter(|c| c.is_clear() && held.contains(&c.field))
        .map(|c| c.field)
        .collect();
    if not_cleared.contains(&Field::ResignationDate) {
        not_cleared.extend(
            row.changes
                .iter()
                .filter(|c| c.field == Field::EmpStatus)
                .map(|c| c.field),
        );
    }
    Writes {
        changes: row
            .changes
            .iter()
            .filter(|c| !not_cleared.contains(&c.field))
            .collect(),
        not_cleared,
    }
}

/// How much of the roster an apply of `chosen` would change, for `max_changes`: each employee
/// written counts one, and each field it clears counts one more, since a clear loses a value
/// where any other change replaces it. Clears held back do not count.
pub fn weight(plan: &Plan, chosen: &[usize], options: &Options) -> usize {
    let held = held(plan, options);
    chosen
        .iter()
        .map(|&i| {
            let row = &plan.rows[i];
            1 + writes(row, &held)
                .changes
                .iter()
                .filter(|c| c.is_clear())
                .count()
        })
        .sum()
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
    let held = held(plan, options);
    for (n, &i) in chosen.iter().enumerate() {
        let row = &plan.rows[i];
        let writes = writes(row, &held);
        let result = match &stopped {
            Some(why) => skipped(row, &writes, why),
            None if action(row) == Action::Update && writes.changes.is_empty() => {
                skipped(row, &writes, &not_cleared_reason(&writes.not_cleared))
            }
            None => loop {
                let result = write(row, &writes, target).await;
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
                        break skipped(row, &writes, &why);
                    }
                    _ => break finished(row, &writes, result),
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

fn base(row: &Row, writes: &Writes<'_>) -> ApplyResult {
    let action = action(row);
    ApplyResult {
        code: row.code.clone().unwrap_or_default(),
        name: row.name.clone(),
        action,
        outcome: Outcome::Ok,
        error: None,
        fields: match action {
            Action::Create => Field::SYNCED.to_vec(),
            Action::Update => writes.changes.iter().map(|c| c.field).collect(),
        },
        not_cleared: writes.not_cleared.clone(),
    }
}

/// Why an update was not sent: every change it had was a clear held back.
fn not_cleared_reason(fields: &[Field]) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
    format!(
        "nothing written: clearing {} was held back because the plan found it unreadable in the source\n  hint: check the token's permissions; to clear it anyway, pass --allow-clear {}",
        names.join(", "),
        names.join(" --allow-clear ")
    )
}

fn skipped(row: &Row, writes: &Writes<'_>, why: &str) -> ApplyResult {
    ApplyResult {
        outcome: Outcome::Skipped,
        error: Some(why.to_string()),
        ..base(row, writes)
    }
}

fn finished(row: &Row, writes: &Writes<'_>, result: Result<(), WriteError>) -> ApplyResult {
    match result {
        Ok(()) => base(row, writes),
        Err(e) => ApplyResult {
            outcome: Outcome::Failed,
            error: Some(e.to_string()),
            ..base(row, writes)
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

async fn write(row: &Row, writes: &Writes<'_>, target: &Target<'_>) -> Result<(), WriteError> {
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
            let current = row
                .target_record
                .as_ref()
                .ok_or(WriteError::Incomplete("target record"))?;
            let changes: Vec<(Field, Option<String>)> = writes
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
            target.update(id, &changes, current).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Direction;
    use crate::plan::Summary;

    fn row(code: &str, status: Status, selected: bool) -> Row {
        Row {
            code: Some(code.into()),
            status,
            name: code.into(),
            changes: Vec::new(),
            office: None,
            employment_type: None,
            selected,
            selected_by: None,
            problems: Vec::new(),
            source: None,
            target_id: None,
            target_record: None,
        }
    }

    /// What the tick list offers and `--select` takes are the rows shown, never hidden ones.
    #[test]
    fn a_selection_takes_only_shown_rows() {
        let rows = vec![
            row("1", Status::New, true),
            row("2", Status::Changed, true),
            row("3", Status::Unchanged, false),
        ];
        let plan = Plan {
            direction: Direction::SmartHrToKot,
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default(),
            summary: Summary::of(&rows),
            rows,
            excluded: Vec::new(),
            rule_errors: Vec::new(),
            rule_warnings: Vec::new(),
            unreadable: Vec::new(),
        };
        let only_new = View {
            statuses: vec![Status::New],
        };
        assert_eq!(Selection::All.pick(&plan, &only_new), Ok(vec![0]));
        assert_eq!(Selection::Auto.pick(&plan, &only_new), Ok(vec![0]));
        assert_eq!(Selection::All.pick(&plan, &View::default()), Ok(vec![0, 1]));
        let hidden = Selection::Codes(["2".to_string()].into());
        assert!(matches!(
            hidden.pick(&plan, &only_new),
            Err(SelectionError::NotShown { .. })
        ));
    }
}
