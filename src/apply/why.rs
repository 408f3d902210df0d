//! Why a chosen employee was not written, and why a run stopped early, as data: the CLI, the
//! JSON, the history and the email say them in English ([`fmt::Display`], the words they have
//! always had), the dashboard in the page's language from the same fields. Only what a
//! service or the operating system said is kept as text.

use crate::error::{Advice, Worded, Wording};
use crate::model::{Field, Service};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a person stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopHow {
    /// Ctrl-C at the terminal.
    CtrlC,
    /// The run page's cancel button (同期を中止する).
    Dashboard,
}

impl fmt::Display for StopHow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopHow::CtrlC => "Ctrl-C",
            StopHow::Dashboard => "cancelled in the dashboard",
        })
    }
}

/// How every reason for a run a person stopped begins, whichever way they stopped it.
pub(super) const USER_STOP: &str = "stopped by the user";

/// Why a run stopped before every chosen employee was attempted. `before` is the employee
/// code of the first employee not attempted (`?` when it has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Stopped {
    /// A person stopped it (or stopped its wait for an access window).
    User { how: StopHow, before: String },
    /// KING OF TIME's access window refused a write and the run was not told to wait:
    /// `refusal` is the refusal as crewsync reports it.
    Window { refusal: String, before: String },
    /// The run waited for an access window as long as it may (`error`: how long, and the
    /// last refusal).
    WaitedOut { error: String, before: String },
    /// A second stop dropped the write of `code` in flight: whether it was applied is unknown.
    Abandoned { how: StopHow, code: String },
    /// `count` employees in a row failed with the same server-side error `key`
    /// (`circuit_breaker.consecutive_failures`).
    Breaker { count: usize, key: String },
    /// An outcome could not be recorded in the history (`error`), so the run went no further.
    NotRecorded { error: String },
}

impl Stopped {
    /// Whether a person stopped the run.
    pub fn by_user(&self) -> bool {
        matches!(self, Stopped::User { .. } | Stopped::Abandoned { .. })
    }

    /// The cause alone, as each employee not attempted after it is reported: the first line,
    /// without the hint the run's reason gives once.
    pub fn cause(&self) -> String {
        self.to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

impl Worded for Stopped {
    fn write(&self, f: &mut fmt::Formatter<'_>, words: Wording) -> fmt::Result {
        let before = |f: &mut fmt::Formatter<'_>, cause: &dyn fmt::Display, code: &str| {
            write!(
                f,
                "{cause} before employee {code}\n  hint: the employees before it were written; {}",
                words.advice(&Advice::ApplyAgain)
            )
        };
        match self {
            Stopped::User { how, before: code } => {
                before(f, &format_args!("{USER_STOP} ({how})"), code)
            }
            Stopped::Window {
                refusal,
                before: code,
            } => before(
                f,
                &format_args!("KING OF TIME's access window stopped the run: {refusal}"),
                code,
            ),
            Stopped::WaitedOut {
                error,
                before: code,
            } => before(f, error, code),
            Stopped::Abandoned { how, code } => write!(
                f,
                "{USER_STOP} ({how}) while employee {code} was being written; that write was abandoned, so whether it was applied is unknown\n  hint: run the same apply again: it re-reads the target, so it re-checks that employee and does the rest"
            ),
            Stopped::Breaker { count, key } => write!(
                f,
                "stopped after {count} employees in a row failed with the same server error ({key}); the rest were not attempted\n  hint: the service seems to be failing every write; check its status, then run the same apply again to do the rest (circuit_breaker.consecutive_failures in the configuration sets how many failures stop a run)"
            ),
            Stopped::NotRecorded { error } => {
                write!(f, "stopped: could not record the outcome: {error}")
            }
        }
    }
}

/// What changed in the target since a saved plan was made, so that its row is stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum StaleWhy {
    /// A new row's code now belongs to an employee of `target`.
    NowExists { target: Service, code: String },
    /// A changed row's record is no longer in `target`.
    Gone { target: Service },
    /// These values of a changed row's record changed in `target`.
    Changed { fields: Vec<Field>, target: Service },
}

impl fmt::Display for StaleWhy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StaleWhy::NowExists { target, code } => {
                write!(f, "{target} now has an employee with code {code}")
            }
            StaleWhy::Gone { target } => write!(f, "the record is no longer in {target}"),
            StaleWhy::Changed { fields, target } => write!(
                f,
                "{} changed in {target} since the plan",
                fields
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Why a chosen employee was not attempted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotWritten {
    /// The run stopped at this employee (`here`: its reason in full) or before it (the cause
    /// alone, [`Stopped::cause`]: the run's reason gives the hint once).
    Stopped { stopped: Stopped, here: bool },
    /// This employee's write was in flight when a second stop dropped it: whether the target
    /// applied it is unknown.
    Abandoned,
    /// Every change of the update was a clear held back (`plan::Unreadable`).
    NotCleared { fields: Vec<Field> },
    /// Its target changed since the saved plan was made.
    Stale { why: StaleWhy },
    /// Run `run` wrote this employee after this run's plan was fetched.
    WrittenSince { run: String },
    /// The run was refused (or stopped, `refused: false`) before any write.
    Unstarted { refused: bool },
}

/// How an employee whose write a second stop abandoned is reported; `abandoned` tells it.
pub(super) const ABANDONED: &str = "abandoned by a second Ctrl-C while its write was in flight";

impl Worded for NotWritten {
    fn write(&self, f: &mut fmt::Formatter<'_>, words: Wording) -> fmt::Result {
        match self {
            NotWritten::Stopped {
                stopped,
                here: true,
            } => stopped.write(f, words),
            NotWritten::Stopped { stopped, .. } => f.write_str(&stopped.cause()),
            NotWritten::Abandoned => write!(
                f,
                "{ABANDONED}: its outcome is unknown (the target may or may not have applied it); the next apply re-checks it, and `crewsync plan` shows which"
            ),
            NotWritten::NotCleared { fields } => write!(
                f,
                "nothing written: clearing {} was held back because the plan found it unreadable in the source\n  hint: {}",
                fields
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                words.advice(&Advice::AllowClear(fields.clone()))
            ),
            NotWritten::Stale { why } => write!(
                f,
                "stale: {why}; not written\n  hint: make a new plan to pick up the change"
            ),
            NotWritten::WrittenSince { run } => write!(
                f,
                "run {run} wrote this employee after this plan was fetched, so the plan is out of date for it; run the same apply again to plan it afresh"
            ),
            NotWritten::Unstarted { refused } => write!(
                f,
                "the run was {} before any write",
                if *refused { "refused" } else { "stopped" }
            ),
        }
    }
}

/// How the employees of a run were chosen, as the history records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Picked {
    /// `--select`: `all`, `auto` or the employee codes given, as given.
    Select { select: String },
    /// Ticked at the terminal's tick list.
    Terminal,
    /// Ticked in the dashboard's list of plan `plan`.
    Dashboard { plan: String },
    /// From the saved plan `plan` (its id, when it could be read) at `path`.
    SavedPlan {
        picked: Box<Picked>,
        plan: Option<String>,
        path: String,
    },
}

impl fmt::Display for Picked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Picked::Select { select } => f.write_str(select),
            Picked::Terminal => f.write_str("picked in a terminal"),
            Picked::Dashboard { plan } => write!(f, "picked in the dashboard (plan {plan})"),
            Picked::SavedPlan {
                picked,
                plan: Some(plan),
                path,
            } => write!(f, "{picked} of saved plan {plan} ({path})"),
            Picked::SavedPlan {
                picked,
                plan: None,
                path,
            } => write!(f, "{picked} of saved plan {path}"),
        }
    }
}

/// A `--select` value as given.
impl From<&str> for Picked {
    fn from(select: &str) -> Picked {
        Picked::Select {
            select: select.to_string(),
        }
    }
}

/// Why an employee of the plan was left out of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LeftWhy {
    /// The plan cannot write it, for these problems.
    Invalid { problems: Vec<crate::plan::Problem> },
    /// New or changed (`status`), but not chosen, as `how` says.
    NotSelected {
        status: crate::plan::Status,
        how: NotPicked,
    },
    /// A rule (`from`) left it out, for the rule's `reason`.
    Excluded { reason: String, from: String },
}

/// How a new or changed row came not to be chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum NotPicked {
    /// `--select auto` and the rules (`by`, when one decided) did not select it.
    Auto { rule: Option<String> },
    /// `--select` named other codes.
    Codes,
    /// `--select all`, and it was held back for a reason recorded with the run.
    All,
    /// Not ticked (at the terminal or in the dashboard).
    Ticked,
}

impl Worded for LeftWhy {
    fn write(&self, f: &mut fmt::Formatter<'_>, words: Wording) -> fmt::Result {
        match self {
            LeftWhy::Invalid { problems } if problems.is_empty() => {
                f.write_str("the plan cannot write it")
            }
            LeftWhy::Invalid { problems } => {
                f.write_str(&crate::plan::problems_text(problems, words))
            }
            LeftWhy::NotSelected { status, how } => {
                let status = status.as_str();
                match how {
                    NotPicked::Auto { rule: Some(by) } => {
                        write!(f, "{status}; not selected by {by} (automatic selection)")
                    }
                    NotPicked::Auto { rule: None } => write!(
                        f,
                        "{status}; not selected by the rules (automatic selection)"
                    ),
                    NotPicked::Codes => {
                        write!(f, "{status}; not among the employee codes selected")
                    }
                    NotPicked::All => write!(f, "{status}; not selected"),
                    NotPicked::Ticked => write!(f, "{status}; not ticked"),
                }
            }
            LeftWhy::Excluded { reason, from } => write!(f, "{reason} ({from})"),
        }
    }
}

/// Each in the library's own words ([`Wording::OWN`]); a front end's with [`Worded::said`].
macro_rules! own_words {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.write(f, Wording::OWN)
            }
        }
    )*};
}
own_words!(Stopped, NotWritten, LeftWhy);
