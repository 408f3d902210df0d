use super::{Action, ApplyReport, ApplyResult, Counts, NotWritten, Outcome, Stop, Stopped};
use super::{Event, Observer, Pause, Target};
use crate::error::{Worded, Wording};
use crate::model::Field;
use crate::plan::{Change, Plan, Row, Status, View};
use crate::window::{self, Window};
use futures_util::future::BoxFuture;
use std::collections::BTreeSet;
use std::sync::Mutex;
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
    /// A code no row of the plan has, even matched as the plan matches codes
    /// ([`crate::text::code_key`]); `suggestion` is the plan's code probably meant.
    #[error(
        "employee code '{code}' is not in the plan; {}",
        suggestion.as_ref().map_or_else(
            || "run `crewsync plan` with the same flags to see the codes".to_string(),
            |meant| format!("did you mean '{meant}'?")
        )
    )]
    UnknownCode {
        code: String,
        suggestion: Option<String>,
    },
    #[error("employee {code} is {status} and cannot be applied{why}")]
    NotActionable {
        code: String,
        status: &'static str,
        why: String,
    },
    #[error(
        "employee {code} is {status}, which the status filter does not show; only rows shown can be written"
    )]
    NotShown { code: String, status: &'static str },
    #[error("a selection needs 'all', 'auto' or a comma-separated list of employee codes")]
    Empty,
}

impl crate::error::Diagnostic for SelectionError {
    fn value(&self) -> Option<&str> {
        match self {
            SelectionError::UnknownCode { code, .. }
            | SelectionError::NotActionable { code, .. }
            | SelectionError::NotShown { code, .. } => Some(code),
            SelectionError::Empty => None,
        }
    }
    fn input(&self) -> Option<crate::error::Input> {
        Some(crate::error::Input::Selection)
    }
    fn remedy(&self) -> Option<crate::error::Remedy> {
        match self {
            SelectionError::NotShown { status, .. } => {
                Some(crate::error::Remedy::ShowStatus(status))
            }
            _ => None,
        }
    }
    fn suggestion(&self) -> Option<&str> {
        match self {
            SelectionError::UnknownCode { suggestion, .. } => suggestion.as_deref(),
            _ => None,
        }
    }
}

impl std::str::FromStr for Selection {
    type Err = SelectionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "all" => Ok(Selection::All),
            "auto" => Ok(Selection::Auto),
            "" => Err(SelectionError::Empty),
            list => {
                let codes: BTreeSet<String> = list
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect();
                // ",," names no employee: as empty as "", not a run that selects nobody.
                if codes.is_empty() {
                    return Err(SelectionError::Empty);
                }
                Ok(Selection::Codes(codes))
            }
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
                // Matched as the planner matches codes, so "０００８３" or " 00083" is 00083.
                fn key(r: &Row) -> Option<std::borrow::Cow<'_, str>> {
                    r.code.as_deref().map(crate::text::code_key)
                }
                for code in codes {
                    let wanted = crate::text::code_key(code);
                    let row = plan
                        .rows
                        .iter()
                        .find(|r| key(r).as_deref() == Some(&*wanted))
                        .ok_or_else(|| SelectionError::UnknownCode {
                            code: code.clone(),
                            suggestion: crate::suggest::closest(
                                &wanted,
                                plan.rows.iter().filter_map(|r| r.code.as_deref()),
                            )
                            .map(str::to_string),
                        })?;
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
                                Status::Invalid => {
                                    format!(
                                        ": {}",
                                        crate::plan::problems_text(&row.problems, plan.words)
                                    )
                                }
                                _ => String::new(),
                            },
                        });
                    }
                }
                let wanted: BTreeSet<_> = codes.iter().map(|c| crate::text::code_key(c)).collect();
                Ok(indexes(plan, |r| {
                    key(r).is_some_and(|k| wanted.contains(&k))
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

/// How a run behaves when KOT closes its access window mid-run or a person stops it, and which
/// clears it may make, and when the server keeps failing.
#[derive(Debug, Default)]
pub struct Options {
    /// `Some`: pause and carry on after the window instead of stopping.
    pub wait: Option<Wait>,
    /// Ctrl-C: the first press stops the run after the write in flight, the second abandons it.
    pub stop: Stop,
    /// Which clears of unreadable fields this run may make anyway.
    pub allow_clear: AllowClear,
    /// Stop the run once this many employees in a row have failed with the same server-side
    /// error (each after its own retries), reporting the rest as not attempted: a server that
    /// fails every write would otherwise cost every employee its full retries. `None` or 0
    /// never stops (config key `circuit_breaker.consecutive_failures`).
    pub circuit_breaker: Option<usize>,
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
fn held(plan: &Plan, allow: &AllowClear) -> BTreeSet<Field> {
    plan.unreadable
        .iter()
        .map(|u| u.field)
        .filter(|&f| !allow.allows(f))
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
pub fn weight(plan: &Plan, chosen: &[usize], allow: &AllowClear) -> usize {
    let held = held(plan, allow);
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

/// `--wait`: how long to sleep on an access-window refusal (KOT code 104), and the most to
/// wait in all. Shared by the fetch and the writes of one run, so the limit is for the run.
#[derive(Debug)]
pub struct Wait {
    pub windows: Vec<Window>,
    /// How often to try again when the configured windows do not explain the refusal (or KOT's
    /// clock is behind and still refuses after the configured end).
    pub poll: Duration,
    /// The most the whole run may spend waiting (`max_wait_minutes`).
    pub limit: Duration,
    waited: Mutex<Duration>,
}

/// `--wait` waited as long as `max_wait_minutes` allows and KOT still refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "KING OF TIME still refused after crewsync waited {} for its access window, the most max_wait_minutes allows ({}): {refusal}",
    span(*.waited),
    span(*.limit)
)]
pub struct WaitError {
    pub waited: Duration,
    pub limit: Duration,
    pub refusal: String,
}

/// "90 min", or seconds below two minutes (a test's limit, or a short one on purpose).
fn span(d: Duration) -> String {
    match d.as_secs() {
        s if s < 120 => format!("{s} s"),
        s => format!("{} min", s.div_ceil(60)),
    }
}

impl Wait {
    pub fn new(windows: Vec<Window>, poll: Duration, limit: Duration) -> Wait {
        Wait {
            windows,
            poll,
            limit,
            waited: Mutex::new(Duration::ZERO),
        }
    }

    /// How long this run has waited so far.
    pub fn waited(&self) -> Duration {
        *self.waited.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps after an access-window refusal: to the configured window's end when `now` is
    /// inside one, else (or when KOT still refuses after that end) for `poll`; never past the
    /// run's `limit`, which, once used up, is the error.
    pub async fn pause(&self, observer: &dyn Observer, refusal: &str) -> Result<(), WaitError> {
        let waited = self.waited();
        let left = self.limit.saturating_sub(waited);
        if left.is_zero() {
            return Err(WaitError {
                waited,
                limit: self.limit,
                refusal: refusal.to_string(),
            });
        }
        let now = chrono::Utc::now();
        let (message, sleep) = match window::inside(&self.windows, now) {
            Some(inside) => (
                Pause::Window(inside),
                inside.wait(now).max(Duration::from_secs(1)),
            ),
            None => (
                Pause::Refused {
                    refusal: refusal.to_string(),
                    retry: self.poll,
                },
                self.poll,
            ),
        };
        let sleep = sleep.min(left);
        observer.event(Event::Waiting {
            message: &message,
            until: chrono::TimeDelta::from_std(sleep).ok().map(|d| now + d),
        });
        tokio::time::sleep(sleep).await;
        *self.waited.lock().unwrap_or_else(|e| e.into_inner()) += sleep;
        Ok(())
    }
}

/// What the caller does with each result as it happens (the history records it before the
/// next write), as a future so that the recording need not block the async thread. An error
/// stops the run: writing on without a record would lose track. `E` is the recorder's error
/// (the history's), only shown, so that `apply` need not know the history.
pub type OnResult<'a, E> = dyn FnMut(&ApplyResult) -> BoxFuture<'static, Result<(), E>> + Send + 'a;

/// Writes the chosen rows one employee at a time. A failure is reported and the rest go on; an
/// access window (KOT 104) stops the run (or pauses it with `wait`), as does Ctrl-C, and every
/// employee not attempted is reported as such, so the report accounts for everybody chosen.
/// The report's `left_out` is empty: the caller knows how the rows were chosen.
pub async fn run<E: std::fmt::Display>(
    plan: &Plan,
    chosen: &[usize],
    target: &Target<'_>,
    options: &Options,
    observer: &dyn Observer,
    run_id: &str,
    on_result: &mut OnResult<'_, E>,
) -> ApplyReport {
    let mut results = Vec::with_capacity(chosen.len());
    let mut stopped: Option<Stopped> = None;
    let held = held(plan, &options.allow_clear);
    let mut breaker = Breaker::new(options.circuit_breaker);
    for (n, &i) in chosen.iter().enumerate() {
        let row = &plan.rows[i];
        let writes = writes(row, &held);
        if stopped.is_none() && options.stop.presses() > 0 {
            stopped = Some(Stopped::User {
                how: options.stop.how(),
                before: code_of(row),
            });
        }
        let result = match &stopped {
            // The cause only: the run's reason gives the hint once, not once per employee.
            Some(why) => not_attempted(
                row,
                &writes,
                plan.words,
                NotWritten::Stopped {
                    stopped: why.clone(),
                    here: false,
                },
            ),
            None if action(row) == Action::Update && writes.changes.is_empty() => not_attempted(
                row,
                &writes,
                plan.words,
                NotWritten::NotCleared {
                    fields: writes.not_cleared.clone(),
                },
            ),
            None => loop {
                let result = tokio::select! {
                    result = write(row, &writes, target) => result,
                    () = options.stop.pressed(2) => Err(WriteError::Abandoned),
                };
                match (&result, &options.wait) {
                    (Err(WriteError::Api(e)), Some(wait)) if e.is_access_window() => {
                        let refusal = e.to_string();
                        let paused = tokio::select! {
                            paused = wait.pause(observer, &refusal) =>
                                paused.map_err(|e| Stopped::WaitedOut {
                                    error: e.to_string(),
                                    before: code_of(row),
                                }),
                            () = options.stop.pressed(1) => Err(Stopped::User {
                                how: options.stop.how(),
                                before: code_of(row),
                            }),
                        };
                        if let Err(why) = paused {
                            stopped = Some(why.clone());
                            break stopped_here(row, &writes, plan.words, why);
                        }
                    }
                    (Err(WriteError::Api(e)), None) if e.is_access_window() => {
                        let why = Stopped::Window {
                            refusal: e.to_string(),
                            before: code_of(row),
                        };
                        stopped = Some(why.clone());
                        break stopped_here(row, &writes, plan.words, why);
                    }
                    (Err(WriteError::Abandoned), _) => {
                        stopped = Some(Stopped::Abandoned {
                            how: options.stop.how(),
                            code: code_of(row),
                        });
                        break not_attempted(row, &writes, plan.words, NotWritten::Abandoned);
                    }
                    _ => {
                        if let Some(why) = breaker.observe(&result) {
                            stopped = Some(why);
                        }
                        break finished(row, &writes, result);
                    }
                }
            },
        };
        if let Err(e) = on_result(&result).await {
            stopped.get_or_insert(Stopped::NotRecorded {
                error: e.to_string(),
            });
        }
        observer.event(Event::Applying {
            result: &result,
            done: n + 1,
            total: chosen.len(),
        });
        results.push(result);
    }
    let mut summary = Counts::default();
    for r in &results {
        summary.count_result(r.outcome, r.action);
    }
    ApplyReport {
        run_id: run_id.to_string(),
        results,
        left_out: Vec::new(),
        summary,
        stopped: stopped.as_ref().map(|s| s.said(plan.words)),
        stopped_why: stopped,
    }
}

/// Whether a result is an employee whose write was abandoned in flight: not attempted as far
/// as this run knows, though the target may have applied it.
pub fn abandoned(result: &ApplyResult) -> bool {
    result.outcome == Outcome::NotAttempted
        && result
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with(super::why::ABANDONED))
}

/// The employee code a stop names: `?` for a row without one.
fn code_of(row: &Row) -> String {
    row.code.as_deref().unwrap_or("?").to_string()
}

/// The employee at which the run stopped: its reason in full, with the hint.
fn stopped_here(row: &Row, writes: &Writes<'_>, words: Wording, why: Stopped) -> ApplyResult {
    not_attempted(
        row,
        writes,
        words,
        NotWritten::Stopped {
            stopped: why,
            here: true,
        },
    )
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
    fn observe(&mut self, result: &Result<(), WriteError>) -> Option<Stopped> {
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
        (self.threshold > 0 && count >= self.threshold).then_some(Stopped::Breaker { count, key })
    }
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
        why: None,
        failure: None,
        fields: match action {
            Action::Create => Field::SYNCED.to_vec(),
            Action::Update => writes.changes.iter().map(|c| c.field).collect(),
        },
        not_cleared: writes.not_cleared.clone(),
    }
}

fn not_attempted(row: &Row, writes: &Writes<'_>, words: Wording, why: NotWritten) -> ApplyResult {
    ApplyResult {
        outcome: Outcome::NotAttempted,
        error: Some(why.said(words)),
        why: Some(why),
        ..base(row, writes)
    }
}

fn finished(row: &Row, writes: &Writes<'_>, result: Result<(), WriteError>) -> ApplyResult {
    match result {
        Ok(()) => base(row, writes),
        Err(e) => ApplyResult {
            outcome: Outcome::Failed,
            error: Some(e.to_string()),
            failure: match e {
                WriteError::Api(api) => Some(api),
                _ => None,
            },
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
    /// A second Ctrl-C dropped the request: the answer never came, so nobody knows whether the
    /// target applied it. Reported as not attempted, with this as the reason.
    #[error("{}", NotWritten::Abandoned)]
    Abandoned,
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
                .map(|c| (c.field, row.written_value(c)))
                .collect();
            target.update(id, &changes, current).await?;
        }
    }
    Ok(())
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
            target_values: None,
        }
    }

    fn plan_of(rows: Vec<Row>) -> Plan {
        Plan {
            direction: Direction::SmartHrToKot,
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default(),
            summary: Summary::of(&rows),
            rows,
            excluded: Vec::new(),
            rule_errors: Vec::new(),
            rule_warnings: Vec::new(),
            unreadable: Vec::new(),
            words: Wording::OWN,
        }
    }

    /// A list that names no code (`,,`, ` , `) is as empty as `""`: refused, not a run that
    /// selects nobody and ends green.
    #[test]
    fn a_list_of_no_codes_is_empty() {
        for given in ["", ",,", " , ", ","] {
            assert!(
                matches!(given.parse::<Selection>(), Err(SelectionError::Empty)),
                "{given:?}"
            );
        }
        assert!(matches!("a,,b".parse::<Selection>(), Ok(Selection::Codes(c)) if c.len() == 2));
    }

    /// What the tick list offers and `--select` takes are the rows shown, never hidden ones.
    #[test]
    fn a_selection_takes_only_shown_rows() {
        let rows = vec![
            row("1", Status::New, true),
            row("2", Status::Changed, true),
            row("3", Status::Unchanged, false),
        ];
        let plan = plan_of(rows);
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

    /// `--select` matches codes as the planner does (NFKC, invisible characters, spaces), and
    /// a code not in the plan names the one probably meant.
    #[test]
    fn selected_codes_match_by_their_key_and_an_unknown_one_gets_a_suggestion() {
        let rows = vec![
            row("00083", Status::New, true),
            row("00120", Status::Changed, true),
        ];
        let plan = plan_of(rows);
        let all = View::default();
        let pick = |codes: &[&str]| {
            Selection::Codes(codes.iter().map(|c| c.to_string()).collect()).pick(&plan, &all)
        };
        assert_eq!(pick(&["０００８３"]), Ok(vec![0]));
        assert_eq!(pick(&["\u{200b}00120 "]), Ok(vec![1]));
        let e = pick(&["00038"]).unwrap_err();
        assert_eq!(
            e,
            SelectionError::UnknownCode {
                code: "00038".into(),
                suggestion: Some("00083".into())
            }
        );
        assert!(e.to_string().ends_with("did you mean '00083'?"), "{e}");
        assert_eq!(
            pick(&["99999"]),
            Err(SelectionError::UnknownCode {
                code: "99999".into(),
                suggestion: None
            })
        );
    }
}
