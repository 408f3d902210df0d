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

    /// The spelling in JSON and in the history database.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::NotAttempted => "not_attempted",
        }
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
        match self {
            LeftKind::NotSelected => "not_selected",
            LeftKind::Invalid => "invalid",
            LeftKind::Excluded => "excluded",
        }
    }

    /// The word used for it in every report, history and email.
    pub fn as_str(self) -> &'static str {
        match self {
            LeftKind::NotSelected => "not selected",
            LeftKind::Invalid => "invalid",
            LeftKind::Excluded => "excluded",
        }
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
        [
            (self.failed, "failed"),
            (self.not_attempted, "not attempted"),
            (self.invalid, LeftKind::Invalid.as_str()),
            (self.not_selected, LeftKind::NotSelected.as_str()),
            (self.excluded, LeftKind::Excluded.as_str()),
            (self.created, "created"),
            (self.updated, "updated"),
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
