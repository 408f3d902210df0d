//! Writing a plan's selected rows to the target, one employee at a time, and accounting for
//! every employee of the plan, written or not.

use crate::model::Field;
use serde::{Deserialize, Serialize};

mod account;
mod progress;
mod run;
mod stale;
mod stop;
mod target;
mod why;

pub use account::{Chosen, account};
pub use progress::{Event, Observer, Pause, Silent, Warning};
pub use run::{
    AllowClear, OnResult, Options, Selection, SelectionError, Wait, WaitError, abandoned, run,
    weight,
};
pub use stale::{Stale, stale};
pub use stop::{Stop, stopped_by_user};
pub use target::Target;
pub use why::{LeftWhy, NotPicked, NotWritten, Picked, StaleWhy, StopHow, Stopped};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
}

/// What happened to a selected employee. `NotAttempted`: the run stopped before writing it (an
/// access window, Ctrl-C, a refusal), or the write was held back (see [`ApplyResult::error`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Failed,
    NotAttempted,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Ok, Outcome::Failed, Outcome::NotAttempted];

    /// The spelling in the history database. Reports say [`EmployeeOutcome`] instead, where
    /// `ok` is `created` or `updated`.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::NotAttempted => "not_attempted",
        }
    }
}

/// What became of one employee of a plan in a run: the one vocabulary of every report (the
/// apply table and JSON, its summary, the history, the email, the dashboard; issue 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmployeeOutcome {
    Created,
    Updated,
    Failed,
    /// Chosen but not written: stopped, stale, held back, or never reached.
    NotAttempted,
    /// Left out of the run: the plan could not write it.
    Invalid,
    /// Left out of the run: new or changed, but not selected.
    NotSelected,
    /// Left out of the run: a rule excluded it.
    Excluded,
}

impl EmployeeOutcome {
    pub const ALL: [EmployeeOutcome; 7] = [
        EmployeeOutcome::Created,
        EmployeeOutcome::Updated,
        EmployeeOutcome::Failed,
        EmployeeOutcome::NotAttempted,
        EmployeeOutcome::Invalid,
        EmployeeOutcome::NotSelected,
        EmployeeOutcome::Excluded,
    ];

    /// The spelling in JSON and on the command line: `not_attempted`.
    pub fn code(self) -> &'static str {
        match self {
            EmployeeOutcome::Created => "created",
            EmployeeOutcome::Updated => "updated",
            EmployeeOutcome::Failed => "failed",
            EmployeeOutcome::NotAttempted => "not_attempted",
            EmployeeOutcome::Invalid => "invalid",
            EmployeeOutcome::NotSelected => "not_selected",
            EmployeeOutcome::Excluded => "excluded",
        }
    }

    /// The word for a person: `not attempted`.
    pub fn word(self) -> &'static str {
        match self {
            EmployeeOutcome::NotAttempted => "not attempted",
            EmployeeOutcome::NotSelected => "not selected",
            other => other.code(),
        }
    }

    /// Whether the employee's record was written.
    pub fn written(self) -> bool {
        matches!(self, EmployeeOutcome::Created | EmployeeOutcome::Updated)
    }

    /// A chosen employee's outcome; `None` (the run never reached it) is not attempted.
    pub fn of_record(outcome: Option<Outcome>, action: Action) -> EmployeeOutcome {
        match (outcome, action) {
            (Some(Outcome::Ok), Action::Create) => EmployeeOutcome::Created,
            (Some(Outcome::Ok), Action::Update) => EmployeeOutcome::Updated,
            (Some(Outcome::Failed), _) => EmployeeOutcome::Failed,
            (Some(Outcome::NotAttempted) | None, _) => EmployeeOutcome::NotAttempted,
        }
    }

    pub fn of_left(kind: LeftKind) -> EmployeeOutcome {
        match kind {
            LeftKind::Invalid => EmployeeOutcome::Invalid,
            LeftKind::NotSelected => EmployeeOutcome::NotSelected,
            LeftKind::Excluded => EmployeeOutcome::Excluded,
        }
    }
}

impl std::fmt::Display for EmployeeOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyResult {
    pub code: String,
    pub name: String,
    pub action: Action,
    pub outcome: Outcome,
    /// Why it failed or was not attempted.
    pub error: Option<String>,
    /// Why it was not attempted, as data (`error` is its English): for a front end that says
    /// it in its own words, and for the history.
    #[serde(skip)]
    pub why: Option<NotWritten>,
    /// Why the write failed, as data, when a service refused it (`error` is its English): for
    /// a front end that frames the service's own message in its own words, and for the history.
    #[serde(skip)]
    pub failure: Option<crate::http::ApiError>,
    /// The fields written (every synced field on create).
    pub fields: Vec<Field>,
    /// Clears the plan showed but this run held back: the source seemed unable to read the
    /// field (see `plan::Unreadable`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_cleared: Vec<Field>,
}

impl ApplyResult {
    /// What became of the employee, in the words of every report.
    pub fn ended(&self) -> EmployeeOutcome {
        EmployeeOutcome::of_record(Some(self.outcome), self.action)
    }
}

/// "not cleared: email (unreadable in the source)": the clears a written update held back
/// ([`ApplyResult::not_cleared`]), as the apply report, the history and the email say them.
/// An update held back whole says so in its reason instead ([`NotWritten::NotCleared`]).
pub fn not_cleared_text(fields: &[Field]) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
    format!(
        "not cleared: {} (unreadable in the source)",
        names.join(", ")
    )
}

/// Why an employee of the plan was never meant to be written by this apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftKind {
    /// New or changed, but not in the selection (and which rule or choice left it out).
    NotSelected,
    /// The plan cannot write it (a new hire without an office, a duplicated code, ...).
    Invalid,
    /// A rule excluded it from the sync.
    Excluded,
}

impl LeftKind {
    pub const ALL: [LeftKind; 3] = [LeftKind::NotSelected, LeftKind::Invalid, LeftKind::Excluded];

    /// The spelling in JSON and in the history database.
    pub fn code(self) -> &'static str {
        EmployeeOutcome::of_left(self).code()
    }

    /// The word used for it in every report, history and email.
    pub fn as_str(self) -> &'static str {
        EmployeeOutcome::of_left(self).word()
    }
}

/// An employee of the plan the apply did not try to write, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub kind: LeftKind,
    /// `None` when the source record has no employee code (that is then why it is invalid).
    pub code: Option<String>,
    pub name: String,
    pub reason: String,
    /// The reason as data (`reason` is its English), when known: a front end says it in its
    /// own words; the history keeps it.
    #[serde(skip)]
    pub why: Option<LeftWhy>,
}

impl LeftOut {
    /// An employee left out for `why`, its reason said in English, its advice in `words`
    /// (the plan's).
    pub fn new(
        kind: LeftKind,
        code: Option<String>,
        name: String,
        why: LeftWhy,
        words: crate::error::Wording,
    ) -> LeftOut {
        LeftOut {
            kind,
            code,
            name,
            reason: crate::error::Worded::said(&why, words),
            why: Some(why),
        }
    }
}

/// How many employees of the plan ended each way. The same counts, with the same words, are in
/// the apply report, the history and the email; every employee of the plan is in exactly one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub failed: usize,
    pub not_attempted: usize,
    pub invalid: usize,
    pub not_selected: usize,
    pub excluded: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// The counts of an apply report; the history's [`crate::history::RunCounts`] is the same.
pub type ApplySummary = Counts;

impl Counts {
    /// Each count with its word, those that need a person first.
    pub fn labelled(&self) -> [(usize, &'static str); 8] {
        use EmployeeOutcome as O;
        [
            (self.failed, O::Failed.word()),
            (self.not_attempted, O::NotAttempted.word()),
            (self.invalid, O::Invalid.word()),
            (self.not_selected, O::NotSelected.word()),
            (self.excluded, O::Excluded.word()),
            (self.created, O::Created.word()),
            (self.updated, O::Updated.word()),
            (self.unchanged, "unchanged"),
        ]
    }

    /// "1 failed, 2 invalid, 5 created, 40 unchanged": needs-a-person first, zeros left out.
    pub fn text(&self) -> String {
        let parts: Vec<String> = self
            .labelled()
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        if parts.is_empty() {
            "no employees".to_string()
        } else {
            parts.join(", ")
        }
    }

    /// Adds one left-out employee.
    pub fn count_left(&mut self, kind: LeftKind) {
        match kind {
            LeftKind::NotSelected => self.not_selected += 1,
            LeftKind::Invalid => self.invalid += 1,
            LeftKind::Excluded => self.excluded += 1,
        }
    }

    /// Adds one selected employee's result.
    pub fn count_result(&mut self, outcome: Outcome, action: Action) {
        match (outcome, action) {
            (Outcome::Ok, Action::Create) => self.created += 1,
            (Outcome::Ok, Action::Update) => self.updated += 1,
            (Outcome::Failed, _) => self.failed += 1,
            (Outcome::NotAttempted, _) => self.not_attempted += 1,
        }
    }

    /// Whether anything written or not needs a person: a failure, a row left undone, an
    /// invalid row.
    pub fn needs_attention(&self) -> bool {
        self.failed + self.not_attempted + self.invalid > 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    pub run_id: String,
    /// The selected employees, in plan order.
    pub results: Vec<ApplyResult>,
    /// Every other employee of the plan except the unchanged ones, who are only counted.
    pub left_out: Vec<LeftOut>,
    pub summary: ApplySummary,
    /// Why the run stopped before every selected employee was attempted.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stopped: Option<String>,
    /// The same, as data, when the run stopped itself (`None` for a run refused before it
    /// began, whose reason is an error).
    #[serde(skip)]
    pub stopped_why: Option<Stopped>,
}
