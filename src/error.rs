//! One error vocabulary for both front ends (issue 16 §4), modelled on `just`: a library error
//! carries what it is as data (its type and variant are the kind; where there is one, the
//! place in a file; the offending value; what to do about it; a "did you mean"), and each front
//! end renders it in one place, the CLI with its flag names and exit statuses, the dashboard
//! as HTML in the page's language.
//!
//! The library's messages therefore never name a command-line flag: what a person can do is a
//! [`Remedy`] (and the input a bad value came from an [`Input`]), which the CLI words with
//! `--force`, `--wait`, … and the dashboard with its own controls.

use crate::window::{Inside, Window};
use std::fmt;
use std::path::PathBuf;

/// A place in a file: the configuration YAML, a rules script, a rule test file, a saved plan.
/// Lines and columns count from 1, columns in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// Which input a bad value came from. The CLI names it by its flag (`--select`), the
/// dashboard by the field of its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Which employees to write (CLI `--select`).
    Selection,
    /// The default office for new employees (CLI `--office`).
    Office,
    /// The default employment type for new employees (CLI `--employment-type`).
    EmploymentType,
    /// The reference date (CLI `--as-of`).
    ReferenceDate,
    /// The dashboard's public address (CLI `serve --public-url`).
    PublicUrl,
}

/// What a person can do about an error, as data: each front end words it in its own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// Name another configuration file, or create this one.
    ConfigFile(PathBuf),
    /// Check the direction and the reference date; write anyway if the size is intended
    /// (CLI `--force`).
    Force,
    /// Let the apply pause for the target's request budget to reset (CLI `--wait`), or select
    /// fewer employees.
    WaitForBudget,
    /// Run again after the rate limit's reset, or pace across it (CLI `--wait`).
    WaitForReset,
    /// Say which employees to write and confirm, without a terminal (CLI `--select`, `--yes`).
    SelectAndConfirm,
    /// Confirm the write without a terminal (CLI `--yes`).
    Confirm,
    /// Choose a new rules folder, or move the existing file away (CLI `--rules DIR`).
    OtherRulesFolder,
    /// Give the path of a saved plan (CLI `plan --out` writes one).
    SavedPlanFile,
    /// Save a plan to this path first (CLI `plan … --out PATH`).
    SavePlan(PathBuf),
    /// Make the plan again with this crewsync.
    PlanAgain,
    /// Make a fresh plan, or raise `plan_max_age_hours`.
    FreshPlan,
    /// Show rows of this status so that they can be written (CLI `--status`), or leave the
    /// code out.
    ShowStatus(&'static str),
    /// Leave the default employment type out (SmartHR keeps the source's own), or decide the
    /// type in a rule.
    NoEmploymentType,
    /// Run again after the access window closes (`reopens`, as `HH:MM JST`), or schedule runs
    /// outside these windows.
    AfterWindow {
        reopens: String,
        windows: Vec<Window>,
    },
}

/// What an error says beyond its message, for a front end to render: the place, the value,
/// the input it came from, the remedy and a "did you mean". Every field is optional; the
/// defaults say "nothing more".
pub trait Diagnostic: std::error::Error {
    /// Where in a file the error is.
    fn location(&self) -> Option<Location> {
        None
    }
    /// The offending value, as given.
    fn value(&self) -> Option<&str> {
        None
    }
    /// The input the value came from.
    fn input(&self) -> Option<Input> {
        None
    }
    /// What to do about it.
    fn remedy(&self) -> Option<Remedy> {
        None
    }
    /// What was probably meant.
    fn suggestion(&self) -> Option<&str> {
        None
    }
}

/// The library's [`Diagnostic`] in an error chain link, if it is one of the library's errors:
/// the one place that knows them all, so that a front end renders every kind the same way.
pub fn diagnostic<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a dyn Diagnostic> {
    macro_rules! any_of {
        ($($t:ty),* $(,)?) => {
            $(if let Some(d) = e.downcast_ref::<$t>() { return Some(d); })*
        };
    }
    any_of!(
        crate::config::ConfigError,
        crate::workflow::SyncError,
        crate::http::ApiError,
        crate::history::HistoryError,
        crate::plan::saved::SavedPlanError,
        crate::apply::SelectionError,
        crate::rules::ExamplesError,
        crate::rules::RulesError,
        crate::web::WebError,
        Refused,
        BadDate,
    );
    None
}

/// Any error the dashboard shows, in one type: it renders each kind in the page's language
/// (`web::i18n`), where the CLI renders the same values through `anyhow` and [`diagnostic`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sync(#[from] crate::workflow::SyncError),
    /// The rules in `dir` do not compile.
    #[error("the rules in {} do not compile:\n{source}", dir.display())]
    Rules {
        dir: PathBuf,
        source: crate::rules::RulesError,
    },
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Date(#[from] BadDate),
}

impl From<crate::config::ConfigError> for Error {
    fn from(e: crate::config::ConfigError) -> Error {
        Error::Sync(e.into())
    }
}

/// A guard refused to start an apply: nothing was written. Each is a safety rule of the
/// feature (feature.md: 連携の上限, 実行時間帯, 同時実行).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// `max_changes`: more changes than the configured share of the roster is more likely a
    /// mistake (a wrong date, a wrong tenant) than an intention.
    #[error(
        "apply would make {changes} changes (each employee written counts one, each field cleared one more), more than max_changes allows ({limit} of a roster of {roster})"
    )]
    TooManyChanges {
        changes: usize,
        limit: usize,
        roster: usize,
    },
    /// Inside one of KOT's configured access windows.
    #[error("{inside}")]
    InsideWindow {
        inside: Inside,
        windows: Vec<Window>,
    },
    /// The target's remaining request budget does not cover the writes; `budget` says the
    /// numbers ([`crate::workflow::BudgetCheck::describe`]).
    #[error("{budget}; nothing was written")]
    BudgetShort { budget: String },
    /// Not in a terminal, so nobody can tick employees.
    #[error("apply is not running in a terminal, so it cannot ask which employees to sync")]
    NoSelection,
    /// Not in a terminal, so nobody can confirm.
    #[error("apply would write {writes} employee(s) to {target} and needs confirmation")]
    NoConfirmation {
        writes: usize,
        target: crate::model::Service,
    },
}

impl Refused {
    /// The `max_changes` guard: `changes` is [`crate::apply::weight`] of the selection,
    /// `roster` the plan's rows.
    pub fn check_max_changes(
        max: Option<crate::config::MaxChanges>,
        changes: usize,
        roster: usize,
    ) -> Result<(), Refused> {
        match max.map(|m| m.limit(roster)) {
            Some(limit) if changes > limit => Err(Refused::TooManyChanges {
                changes,
                limit,
                roster,
            }),
            _ => Ok(()),
        }
    }

    /// The access-window guard: refuses inside one of `windows` at `now`.
    pub fn check_window(
        windows: &[Window],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Refused> {
        match crate::window::inside(windows, now) {
            Some(inside) => Err(Refused::InsideWindow {
                inside,
                windows: windows.to_vec(),
            }),
            None => Ok(()),
        }
    }
}

impl Diagnostic for Refused {
    fn remedy(&self) -> Option<Remedy> {
        Some(match self {
            Refused::TooManyChanges { .. } => Remedy::Force,
            Refused::InsideWindow { inside, windows } => Remedy::AfterWindow {
                reopens: inside.reopens.format("%H:%M JST").to_string(),
                windows: windows.clone(),
            },
            Refused::BudgetShort { .. } => Remedy::WaitForBudget,
            Refused::NoSelection => Remedy::SelectAndConfirm,
            Refused::NoConfirmation { .. } => Remedy::Confirm,
        })
    }
}

/// A reference date that is not `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a date: use YYYY-MM-DD, e.g. 2026-04-01")]
pub struct BadDate(pub String);

impl BadDate {
    /// Parses a reference date as both front ends take it.
    pub fn parse(s: &str) -> Result<chrono::NaiveDate, BadDate> {
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| BadDate(s.to_string()))
    }
}

impl Diagnostic for BadDate {
    fn value(&self) -> Option<&str> {
        Some(&self.0)
    }
    fn input(&self) -> Option<Input> {
        Some(Input::ReferenceDate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::SelectionError;
    use crate::plan::saved::SavedPlanError;

    /// No library message names a command-line flag: what to do is a [`Remedy`] (and where a
    /// value came from an [`Input`]) that each front end words, and every kind here is one
    /// [`diagnostic`] knows.
    #[test]
    fn no_library_message_names_a_flag() {
        let path = PathBuf::from("plan.json");
        let io = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let errors: Vec<Box<dyn std::error::Error>> = vec![
            Box::new(crate::config::ConfigError::Read {
                path: path.clone(),
                source: io(),
            }),
            Box::new(crate::workflow::SyncError::EmploymentTypeNotForSmartHr),
            Box::new(SavedPlanError::Read {
                path: path.clone(),
                source: io(),
            }),
            Box::new(SavedPlanError::Parse {
                path: path.clone(),
                message: "expected value".into(),
                location: None,
            }),
            Box::new(SavedPlanError::Version {
                path: path.clone(),
                found: "99".into(),
            }),
            Box::new(SavedPlanError::TooOld {
                path: path.clone(),
                made_at: chrono::Utc::now(),
                age: 30.0,
                max: 24.0,
            }),
            Box::new(SelectionError::UnknownCode("9".into())),
            Box::new(SelectionError::NotShown {
                code: "9".into(),
                status: "unchanged",
            }),
            Box::new(SelectionError::Empty),
            Box::new(crate::rules::ExamplesError::Exists(path.clone())),
            Box::new(crate::web::WebError::BadPublicUrl("ftp://x".into())),
            Box::new(Refused::TooManyChanges {
                changes: 5,
                limit: 2,
                roster: 5,
            }),
            Box::new(Refused::BudgetShort {
                budget: "SmartHR's request budget has 3 left".into(),
            }),
            Box::new(Refused::NoSelection),
            Box::new(Refused::NoConfirmation {
                writes: 2,
                target: crate::model::Service::Kot,
            }),
            Box::new(BadDate("2026-13-45".into())),
        ];
        for e in &errors {
            let text = e.to_string();
            assert!(!text.contains("--"), "a flag in: {text}");
            assert!(
                !text.contains("hint:"),
                "a hint worded in the library: {text}"
            );
            assert!(
                diagnostic(e.as_ref()).is_some(),
                "unknown to diagnostic: {text}"
            );
        }
    }

    #[test]
    fn errors_carry_their_value_input_remedy_and_place() {
        let e = SelectionError::NotShown {
            code: "0042".into(),
            status: "unchanged",
        };
        assert_eq!(e.value(), Some("0042"));
        assert_eq!(e.input(), Some(Input::Selection));
        assert_eq!(e.remedy(), Some(Remedy::ShowStatus("unchanged")));

        let e = BadDate::parse("2026-02-30").unwrap_err();
        assert_eq!(
            (e.value(), e.input()),
            (Some("2026-02-30"), Some(Input::ReferenceDate))
        );

        let e = crate::config::Config::parse(
            std::path::Path::new("c.yaml"),
            "smarthr:\n  base_url: [\n",
        )
        .unwrap_err();
        let at = e.location().expect("a YAML error has a place");
        assert_eq!(
            (at.file.as_path(), at.line.is_some()),
            (std::path::Path::new("c.yaml"), true)
        );

        let e = Refused::check_max_changes(Some(crate::config::MaxChanges::Count(2)), 3, 10)
            .unwrap_err();
        assert_eq!(e.remedy(), Some(Remedy::Force));
        assert!(Refused::check_max_changes(None, 3, 10).is_ok());
        assert!(
            Refused::check_max_changes(Some(crate::config::MaxChanges::Count(3)), 3, 10).is_ok()
        );
    }
}
