//! Writing a plan's selected rows to the target, one employee at a time.

use crate::model::Field;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
}

/// `skipped`: not attempted because the run stopped first (an access window, say), or because
/// every change it had was a clear held back (see [`AllowClear`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyResult {
    pub code: String,
    pub name: String,
    pub action: Action,
    pub outcome: Outcome,
    pub error: Option<String>,
    /// The fields written (every synced field on create).
    pub fields: Vec<Field>,
    /// Clears the plan showed but this run held back: the source seemed unable to read the
    /// field (see `plan::Unreadable`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_cleared: Vec<Field>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplySummary {
    pub created: usize,
    pub updated: usize,
    pub failed: usize,
    pub skipped: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    pub run_id: String,
    pub results: Vec<ApplyResult>,
    pub summary: ApplySummary,
    /// Why the run stopped before every selected employee was attempted.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stopped: Option<String>,
}

mod run;
pub use run::{AllowClear, OnResult, Options, Selection, SelectionError, Wait, run, weight};
