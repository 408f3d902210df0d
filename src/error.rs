//! One error vocabulary for both front ends (issue 16 §4), modelled on `just`: a library error
//! carries what it is as data (its type and variant are the kind; where there is one, the
//! place in a file; the offending value; what to do about it; a "did you mean"), and each front
//! end renders it in one place, the CLI with its flag names and exit statuses, the dashboard
//! as HTML in the page's language.
//!
//! The library's messages therefore never name a command-line flag: what a person can do is a
//! [`Remedy`] (and the input a bad value came from an [`Input`]), which the CLI words with
//! `--force`, `--wait`, … (`cli/errors.rs`) and the dashboard with its own controls
//! (`web/errors.rs`). What the library reports as data rather than as an error (a row's
//! problem, a stopped run) says what to do as an [`Advice`], worded the same way. This module
//! imports only `model` and `window`, so that every module can use it without an import cycle.

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
    /// Make the plan again with this crewsync, saving it to this path.
    PlanAgain(PathBuf),
    /// Make a fresh plan (saving it to this path), or raise `plan_max_age_hours`: for a plan
    /// refused for its age only.
    FreshPlan(PathBuf),
    /// Make the plan again (saving it to this path) rather than edit a saved one; choose the
    /// employees to write when applying it.
    PlanUnedited(PathBuf),
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
    /// Listen on another port: something else already uses this one (CLI `serve --listen`).
    OtherAddress,
}

/// What a person can do about something the library reports as data rather than as an error:
/// a row's problem, a clear held back, a run that stopped early. Each front end words it: the
/// CLI with its flags (a [`Wording`]), the dashboard in the page's language; [`fmt::Display`]
/// is the library's own words, naming no flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advice {
    /// Give a default office for new employees (CLI `--office`), or decide it in a rule.
    DefaultOffice,
    /// Give a default employment type for new employees (CLI `--employment-type`), or decide
    /// it in a rule.
    DefaultEmploymentType,
    /// Check the token's permissions; clear these fields anyway only if the values really are
    /// to go (CLI `--allow-clear FIELD`).
    AllowClear(Vec<crate::model::Field>),
    /// Run the same apply again to do the rest, waiting for an access window if one stopped
    /// it (CLI `--wait`).
    ApplyAgain,
}

/// A front end's words for [`Advice`], given explicitly to what turns the library's data into
/// the texts it keeps for that front end: a plan carries the words of whoever made it
/// ([`crate::plan::Plan::words`]), so that its table, its JSON, its saved file and the reports,
/// history and email of its apply say the advice the same way. The CLI's words name its flags
/// (`cli/errors.rs`); [`Wording::OWN`] is the library's own ([`Advice`]'s `Display`), naming no
/// control, which the dashboard keeps (it says typed problems in the page's language).
#[derive(Clone, Copy)]
pub struct Wording(fn(&Advice) -> String);

impl Wording {
    /// The library's own words.
    pub const OWN: Wording = Wording(|advice| advice.to_string());

    /// A front end's words.
    pub const fn new(words: fn(&Advice) -> String) -> Wording {
        Wording(words)
    }

    /// `advice` in these words.
    pub fn advice(self, advice: &Advice) -> String {
        (self.0)(advice)
    }
}

impl Default for Wording {
    fn default() -> Wording {
        Wording::OWN
    }
}

impl fmt::Debug for Wording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Wording")
    }
}

/// The words a value is said in are not part of what it is: a plan read back from its file
/// equals the plan that was saved, whoever words it.
impl PartialEq for Wording {
    fn eq(&self, _other: &Wording) -> bool {
        true
    }
}

/// A value the library reports as data whose text holds an [`Advice`] (a row's problem, why a
/// run stopped or an employee was not written): its `Display` is the library's own words, and
/// [`Worded::said`] says it in a front end's, so that the CLI's table, JSON, history and email
/// name its flags without the value knowing the CLI.
pub trait Worded {
    /// Writes the value, its advice in `words`.
    fn write(&self, f: &mut fmt::Formatter<'_>, words: Wording) -> fmt::Result;

    /// The value as text, its advice in `words`.
    fn said(&self, words: Wording) -> String {
        struct In<'a, T: ?Sized>(&'a T, Wording);
        impl<T: Worded + ?Sized> fmt::Display for In<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, self.1)
            }
        }
        In(self, words).to_string()
    }
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Advice::DefaultOffice => f.write_str("choose a default office or decide it in a rule"),
            Advice::DefaultEmploymentType => {
                f.write_str("choose a default employment type or decide it in a rule")
            }
            Advice::AllowClear(fields) => write!(
                f,
                "check the token's permissions; clear {} anyway only if the values really are to go",
                fields
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Advice::ApplyAgain => f.write_str("run the same apply again to do the rest"),
        }
    }
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

/// A reference date that is not `YYYY-MM-DD` (a two-digit year included), or one outside
/// [`BadDate::RANGE`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", BadDate::describe(&self.0))]
pub struct BadDate(pub String);

impl BadDate {
    /// The reference dates crewsync takes: a date beyond them is a typo (`0001-01-01`,
    /// `+10000-01-01`) that KING OF TIME would only refuse after the rosters were fetched.
    pub const RANGE: std::ops::RangeInclusive<chrono::NaiveDate> = match (
        chrono::NaiveDate::from_ymd_opt(1900, 1, 1),
        chrono::NaiveDate::from_ymd_opt(2999, 12, 31),
    ) {
        (Some(first), Some(last)) => first..=last,
        _ => panic!("the reference date range is valid"),
    };

    /// Parses a reference date as both front ends take it (the CLI's `--as-of`, `--since`,
    /// `--until`; the dashboard's step 1).
    pub fn parse(s: &str) -> Result<chrono::NaiveDate, BadDate> {
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| BadDate::RANGE.contains(d))
            .ok_or_else(|| BadDate(s.to_string()))
    }

    /// Whether the value is a date with a four-digit year, only outside [`BadDate::RANGE`]
    /// (rather than not a date, or a year written short).
    pub fn out_of_range(&self) -> bool {
        chrono::NaiveDate::parse_from_str(self.0.trim(), "%Y-%m-%d").is_ok() && !self.short_year()
    }

    /// Whether the year is written with fewer than four digits (`26-04-01`): chrono reads it as
    /// the year 26, which is a typo for 2026 rather than a date out of range.
    pub fn short_year(&self) -> bool {
        let year = self.0.trim().split('-').next().unwrap_or_default();
        !year.is_empty() && year.len() < 4 && year.chars().all(|c| c.is_ascii_digit())
    }

    fn describe(value: &str) -> String {
        let (first, last) = (BadDate::RANGE.start(), BadDate::RANGE.end());
        let bad = BadDate(value.to_string());
        if bad.short_year() {
            format!(
                "'{value}' has a short year: write the year with four digits, YYYY-MM-DD, e.g. 2026-04-01"
            )
        } else if bad.out_of_range() {
            format!(
                "'{value}' is outside the dates crewsync takes ({first} to {last}): use YYYY-MM-DD, e.g. 2026-04-01"
            )
        } else {
            format!("'{value}' is not a date: use YYYY-MM-DD, e.g. 2026-04-01")
        }
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

/// A serde error message (`invalid value: integer `-1`, expected usize`) in plain words: the
/// Rust types it names (`usize`, `f64`, `struct ServiceConfig`) said as what a person writes
/// in a configuration or plan file, so that no error about a file names a type of the code.
pub fn plain_serde(message: &str) -> String {
    const EXPECTED: &str = "expected ";
    // serde_yaml's word for a whole number beyond 64 bits.
    let message = message
        .replace(" as u128,", " (too large),")
        .replace(" as i128,", " (too large),");
    let mut out = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(at) = rest.find(EXPECTED) {
        let (before, after) = rest.split_at(at + EXPECTED.len());
        out.push_str(before);
        let word_end = |s: &str| {
            s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(s.len())
        };
        let first = &after[..word_end(after)];
        let (said, used) = match first {
            "usize" | "u64" | "u32" | "u16" | "u8" => {
                (Some("a whole number from 0 up".to_string()), first.len())
            }
            "isize" | "i64" | "i32" | "i16" | "i8" => {
                (Some("a whole number".to_string()), first.len())
            }
            "f64" | "f32" => (
                Some("a number (at most about 1.8e308)".to_string()),
                first.len(),
            ),
            "struct" | "enum" => {
                let name_at = first.len() + 1;
                let name = after.get(name_at..).map_or("", |s| &s[..word_end(s)]);
                let said = match (first, name) {
                    ("enum", _) => "one of the names this key takes".to_string(),
                    (_, "MasterItem") => "an object with an id and a name".to_string(),
                    _ => "a mapping of keys (key: value)".to_string(),
                };
                (Some(said), name_at + name.len())
            }
            _ => (None, 0),
        };
        out.push_str(said.as_deref().unwrap_or_default());
        rest = &after[used..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_s_rust_types_are_said_in_plain_words() {
        assert_eq!(
            plain_serde("a: invalid value: integer `-1`, expected usize at line 2 column 4"),
            "a: invalid value: integer `-1`, expected a whole number from 0 up at line 2 column 4"
        );
        assert_eq!(
            plain_serde("invalid type: string \"x\", expected struct MasterItem"),
            "invalid type: string \"x\", expected an object with an id and a name"
        );
        assert_eq!(
            plain_serde("smarthr: invalid type: sequence, expected struct ServiceConfig"),
            "smarthr: invalid type: sequence, expected a mapping of keys (key: value)"
        );
        assert_eq!(plain_serde("expected a string"), "expected a string");
    }

    #[test]
    fn a_bad_date_carries_its_value_and_input() {
        let e = BadDate::parse("2026-02-30").unwrap_err();
        assert_eq!(
            (e.value(), e.input()),
            (Some("2026-02-30"), Some(Input::ReferenceDate))
        );
    }

    /// A year KING OF TIME would refuse is refused here first, naming the value.
    #[test]
    fn a_date_outside_the_range_is_refused_up_front() {
        for typo in ["0001-01-01", "+10000-01-01", "1899-12-31", "3000-01-01"] {
            let e = BadDate::parse(typo).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "'{typo}' is outside the dates crewsync takes (1900-01-01 to 2999-12-31): use YYYY-MM-DD, e.g. 2026-04-01"
                )
            );
        }
        for short in ["26-04-01", "026-4-1"] {
            let e = BadDate::parse(short).unwrap_err();
            assert!(!e.out_of_range(), "{short}");
            assert!(e.to_string().contains("four digits, YYYY-MM-DD"), "{e}");
        }
        for fine in ["1900-01-01", "2026-04-01", "2999-12-31"] {
            assert!(BadDate::parse(fine).is_ok(), "{fine}");
        }
    }
}
