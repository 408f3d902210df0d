//! The plan: what a sync would do to each employee, computed without writing anything.
//!
//! The data types live here so that apply, the history, the renderers and (later) the web
//! dashboard share one vocabulary. [`build`] turns two rosters into a [`Plan`]; a [`Policy`]
//! (the command-line defaults, or the Rhai rules) decides per employee what the closed SmartHR
//! feature decides once per run.

mod build;
pub mod saved;

pub use build::build;
pub(crate) use build::{CURRENT, DEFAULT_SELECTION, FROM_DEFAULT_OFFICE, FROM_DEFAULT_TYPE};

use crate::model::{Direction, Employee, Field, MasterItem, Masters, Raw, Service};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Where a value in the plan came from: `"--office"`, `"default"`, or a rule such as
/// `"rules/offices.rhai:office"`. Shown so that a surprising decision can be traced.
pub type Origin = String;

/// The status the closed feature shows per employee, plus `invalid` for rows that cannot be
/// applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Changed,
    Unchanged,
    Invalid,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::New,
        Status::Changed,
        Status::Unchanged,
        Status::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
            Status::Invalid => "invalid",
        }
    }

    /// Only new and changed rows can be ticked.
    pub fn is_actionable(self) -> bool {
        matches!(self, Status::New | Status::Changed)
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown status '{s}': use new, changed, unchanged or invalid"))
    }
}

/// One field whose target value would be overwritten by the source value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: Field,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Change {
    /// Whether the change empties a field the target has a value for: the most destructive
    /// change a sync makes, shown, counted and weighed apart from the others.
    pub fn is_clear(&self) -> bool {
        self.old.is_some() && self.new.is_none()
    }
}

/// A synced field the source read as empty for (nearly) every employee in scope while the
/// target holds values for a good share of them: almost certainly unreadable (a SmartHR token
/// without permission for an attribute reads it as null, smarthr-api.md §1), not emptied.
/// `apply` does not clear it unless told to (see `apply::AllowClear`). The thresholds are
/// [`build::UNREADABLE_EMPTY_SHARE`] and [`build::UNREADABLE_CLEARED_SHARE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub field: Field,
    /// Employees in the plan found on both sides.
    pub in_scope: usize,
    /// How many of them the source has no value for.
    pub empty_in_source: usize,
    /// How many of them the plan would clear in the target.
    pub clears: usize,
    /// The likely cause and what to do, for people.
    pub hint: String,
}

/// Why a row cannot be applied, as data: each front end says it in its own terms and
/// language ([`fmt::Display`] is the English of the plan's table, JSON and the history; the
/// dashboard has its own words for each). Only what a rule's author or a service wrote is kept
/// as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A new employee has no office (`Field::Office`) or employment type
    /// (`Field::EmploymentType`) in `target`: no default was given and no rule decided one.
    Undecided { field: Field, target: Service },
    /// The source record has no employee code.
    NoCode { source: Service },
    /// `uses` source records carry the same employee code.
    SharedInSource {
        code: String,
        uses: usize,
        source: Service,
    },
    /// `uses` target records carry the employee code, so which to update is unknown.
    SharedInTarget {
        code: String,
        uses: usize,
        target: Service,
    },
    /// The code in `side` has characters a person cannot see or would read as others
    /// ([`crate::text::oddities`]); `other` is the other side's code for the same employee.
    OddCode {
        code: String,
        side: Service,
        other: Option<(Service, String)>,
    },
    /// The plan would empty `field`, which `target` does not let be emptied.
    CannotClear {
        field: Field,
        target: Service,
        source: Service,
    },
    /// A new employee lacks values `target` requires to create one.
    MissingRequired {
        fields: Vec<Field>,
        target: Service,
        source: Service,
    },
    /// A gender `target` does not accept; `accepted` are the values it takes.
    Gender {
        value: String,
        accepted: Vec<String>,
        target: Service,
        source: Service,
    },
    /// A rule failed for this employee; `location` is `file:line:col` of the rule.
    Rule {
        location: Option<String>,
        failure: RuleFailure,
    },
    /// A problem read back from a saved plan, which keeps problems as text.
    Said { text: String },
}

/// How a rule failed for one employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "failure", rename_all = "snake_case")]
pub enum RuleFailure {
    /// As the rule (or the Rhai engine) said it: the rule author's words.
    Said { message: String },
    /// The rule's `overrides` (`from`) set `field` to a value with this problem.
    Override {
        field: Field,
        from: Origin,
        problem: Box<Problem>,
    },
    /// The rule (`from`) decided an office or employment type (`field`) `value` that `target`
    /// does not have; `choices` lists the valid ones.
    UnknownMaster {
        field: Field,
        target: Service,
        value: String,
        from: Origin,
        choices: String,
    },
}

impl Problem {
    /// What to do about it, for a problem whose remedy is an input of a front end.
    pub fn advice(&self) -> Option<crate::error::Advice> {
        match self {
            Problem::Undecided { field, .. } => Some(Problem::undecided_advice(*field)),
            _ => None,
        }
    }

    fn undecided_advice(field: Field) -> crate::error::Advice {
        match field {
            Field::EmploymentType => crate::error::Advice::DefaultEmploymentType,
            _ => crate::error::Advice::DefaultOffice,
        }
    }
}

/// What `target` calls an office (`Field::Office`) or an employment type: `office
/// (biz_establishment)`, `division`, ...
pub fn master_label(field: Field, target: Service) -> &'static str {
    match (field, target) {
        (Field::EmploymentType, Service::SmartHr) => "employment type",
        (Field::EmploymentType, Service::Kot) => "employment type (working type)",
        (_, Service::SmartHr) => "office (biz_establishment)",
        (_, Service::Kot) => "division",
    }
}

/// The problem as the plan's text says it (table, JSON, history), its advice in the plan's
/// words ([`Plan::words`]).
impl crate::error::Worded for Problem {
    fn write(&self, f: &mut fmt::Formatter<'_>, words: crate::error::Wording) -> fmt::Result {
        match self {
            Problem::Undecided { field, target } => write!(
                f,
                "no {} for a new employee: {}",
                master_label(*field, *target),
                words.advice(&Problem::undecided_advice(*field))
            ),
            Problem::NoCode { source } => {
                write!(f, "no employee code: give the employee a code in {source}")
            }
            Problem::SharedInSource { code, uses, source } => write!(
                f,
                "employee code {code} is used by {uses} records in {source}: give each employee its own code"
            ),
            Problem::SharedInTarget { code, uses, target } => write!(
                f,
                "employee code {code} is used by {uses} records in {target}: remove the duplicates there first"
            ),
            Problem::OddCode { code, side, other } => {
                let shown = |c: &str| format!("\"{}\"", crate::text::exact(c));
                let beside = match other {
                    Some((other_side, o)) => format!("; {other_side} has {}", shown(o)),
                    None => String::new(),
                };
                write!(
                    f,
                    "社員番号 {} in {side} has {}{beside}: fix the 社員番号 in {side}",
                    shown(code),
                    crate::text::code_oddities(code),
                )
            }
            Problem::CannotClear {
                field,
                target,
                source,
            } => write!(
                f,
                "{field} cannot be cleared in {target}: fill it in {source} or leave it out with a rule"
            ),
            Problem::MissingRequired {
                fields,
                target,
                source,
            } => write!(
                f,
                "missing {} which {target} requires to create an employee: fill {} in {source}",
                fields
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                if fields.len() == 1 { "it" } else { "them" },
            ),
            Problem::Gender {
                value,
                accepted,
                target,
                source,
            } => write!(
                f,
                "gender '{value}' is not accepted by {target}: it takes only {}; set it in {source}",
                accepted.join(" or "),
            ),
            Problem::Rule { location, failure } => {
                if let Some(l) = location {
                    write!(f, "{l}: ")?;
                }
                write!(f, "{failure}")
            }
            Problem::Said { text } => f.write_str(text),
        }
    }
}

impl fmt::Display for RuleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleFailure::Said { message } => f.write_str(message),
            RuleFailure::Override {
                field,
                from,
                problem,
            } => write!(f, "fn overrides set {field} (from {from}): {problem}"),
            RuleFailure::UnknownMaster {
                field,
                target,
                value,
                from,
                choices,
            } => write!(
                f,
                "{} '{value}' (from {from}) does not exist in {target}; {choices}",
                master_label(*field, *target),
            ),
        }
    }
}

/// The problem in the library's own words.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::Worded::write(self, f, crate::error::Wording::OWN)
    }
}

/// A row's problems as one line of text, `; ` between them, advice in `words`.
pub fn problems_text(problems: &[Problem], words: crate::error::Wording) -> String {
    problems
        .iter()
        .map(|p| crate::error::Worded::said(p, words))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<String> for Problem {
    fn from(text: String) -> Problem {
        Problem::Said { text }
    }
}

impl From<&str> for Problem {
    fn from(text: &str) -> Problem {
        Problem::Said {
            text: text.to_string(),
        }
    }
}

/// An office or employment type given to an employee, with where the choice came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assigned {
    pub item: MasterItem,
    pub from: Origin,
}

/// One employee in the plan. Its JSON shape ([`saved::RowShape`]) is the one `plan --format
/// json` prints and a saved plan keeps, so it carries what apply needs to write without
/// planning again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "saved::RowShape", try_from = "saved::RowShape")]
pub struct Row {
    pub code: Option<String>,
    pub status: Status,
    pub name: String,
    pub changes: Vec<Change>,
    /// For a new employee: the office it will be created in. For an existing one: its office in
    /// the target, or the office it moves to when a rule moves it.
    pub office: Option<Assigned>,
    pub employment_type: Option<Assigned>,
    /// Whether `apply --select auto` takes this row.
    pub selected: bool,
    pub selected_by: Option<Origin>,
    /// Why an `invalid` row cannot be applied; empty otherwise.
    pub problems: Vec<Problem>,
    /// The source record after rule overrides: what a create writes.
    pub source: Option<SourceRecord>,
    /// The target's handle (SmartHR crew id, KOT key) for an update.
    pub target_id: Option<String>,
    /// For a `changed` row, the target record as read: an update writes a changed part of a
    /// larger value (KOT's first email address) with the rest of that value as it was.
    pub target_record: Option<Raw>,
    /// For a `changed` row, the target's values the plan was computed against: applying a
    /// saved plan writes the row only while the target still holds them.
    pub target_values: Option<TargetValues>,
}

/// An employee's values as the plan compares them ([`Employee::get`]), by field; a field with
/// no value is left out. See [`TargetValues::of`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TargetValues(pub std::collections::BTreeMap<Field, String>);

impl TargetValues {
    /// Every field a plan compares or writes, `emp_status` included.
    fn fields() -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().chain([Field::EmpStatus])
    }

    pub fn of(employee: &Employee) -> TargetValues {
        TargetValues(
            Self::fields()
                .filter_map(|f| employee.get(f).map(|v| (f, v)))
                .collect(),
        )
    }

    /// The fields whose values differ between `self` and `other`.
    pub fn differing(&self, other: &TargetValues) -> Vec<Field> {
        Self::fields()
            .filter(|f| self.0.get(f) != other.0.get(f))
            .collect()
    }
}

/// A row's source record, shared with the roster it came from rather than copied out of it:
/// copying 100,000 records into their rows was a third of a plan's time. It reads as the
/// [`Employee`] it points to.
#[derive(Clone)]
pub struct SourceRecord {
    roster: Arc<Vec<Employee>>,
    index: usize,
}

impl Deref for SourceRecord {
    type Target = Employee;
    fn deref(&self) -> &Employee {
        &self.roster[self.index]
    }
}

impl fmt::Debug for SourceRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl SourceRecord {
    /// A record of its own, not shared with a roster: one read back from a saved plan.
    pub fn alone(employee: Employee) -> SourceRecord {
        SourceRecord {
            roster: Arc::new(vec![employee]),
            index: 0,
        }
    }
}

impl PartialEq for SourceRecord {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

/// An employee a rule left out of the sync, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    pub code: Option<String>,
    pub name: String,
    pub reason: String,
    pub from: Origin,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub invalid: usize,
    /// Field clears ([`Change::is_clear`]) in `changed` rows: how many values an apply of
    /// every row would empty.
    #[serde(default)]
    pub clears: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub direction: Direction,
    pub as_of: NaiveDate,
    pub rows: Vec<Row>,
    pub summary: Summary,
    #[serde(default)]
    pub excluded: Vec<Excluded>,
    /// Each distinct error a rule raised, with how many employees it made invalid, most first:
    /// one broken rule can make every row invalid with the same message.
    #[serde(default)]
    pub rule_errors: Vec<RuleError>,
    /// What rules did that is allowed but almost always a mistake (one rule clearing a field
    /// for most employees), with how many employees it touched, most first.
    #[serde(default)]
    pub rule_warnings: Vec<RuleError>,
    /// Fields that look unreadable in the source rather than emptied; said once per field.
    #[serde(default)]
    pub unreadable: Vec<Unreadable>,
    /// The words of the front end the plan was made for, in which its texts say their advice
    /// (its problems, and the reasons its apply reports); not saved: a front end that reads a
    /// saved plan gives its own.
    #[serde(skip)]
    pub words: crate::error::Wording,
}

/// Which rows of a plan a person is shown (`--status`; later the dashboard's filters). Apply
/// offers, selects and writes only shown rows, so nothing is written that was not seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// Only rows with one of these statuses; empty shows every status.
    pub statuses: Vec<Status>,
}

impl View {
    pub fn shows(&self, row: &Row) -> bool {
        self.statuses.is_empty() || self.statuses.contains(&row.status)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleError {
    /// `file:line:col: message`, as on the rows (for a warning, the rule's location and what
    /// it did).
    pub error: String,
    pub employees: usize,
}

/// The run-wide defaults for new employees, already resolved against the target's masters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defaults {
    pub office: Option<MasterItem>,
    pub employment_type: Option<MasterItem>,
}

/// Everything [`build`] needs. The rosters are owned because the policy rewrites source
/// records in place (overrides) and the rows keep them for apply.
pub struct Input<'a> {
    pub direction: Direction,
    pub as_of: NaiveDate,
    /// Today (JST): whether a resignation date is past, for SmartHR's `emp_status`.
    pub today: NaiveDate,
    /// The source roster, already limited to employees employed on `as_of`.
    pub source: Vec<Employee>,
    /// Every record in the target, whatever its dates.
    pub target: Vec<Employee>,
    pub masters: &'a Masters,
    pub defaults: &'a Defaults,
    pub policy: &'a dyn Policy,
    /// The words of the front end the plan is for ([`Plan::words`]).
    pub words: crate::error::Wording,
}

/// A per-employee decision that a policy may make; `None` means "no opinion: use the
/// command-line default".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided<T> {
    pub value: T,
    pub from: Origin,
    /// `file:line:col` of the rule that decided (its function), so that a value the target
    /// rejects is reported as that rule's failure; `None` for decisions no rule made.
    pub location: Option<String>,
}

/// A field that a rule's `overrides` changed for one employee, kept so that a problem with the
/// value is blamed on the rule, and a rule that clears a field for most employees is noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overridden {
    pub field: Field,
    /// Whether the rule emptied a field the source had filled.
    pub cleared: bool,
    /// `rules/20_names.rhai:overrides`.
    pub from: Origin,
    /// `file:line:col` of the `overrides` function.
    pub location: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Office id or exact name in the target (SmartHR biz_establishment, KOT division).
    pub office: Option<Decided<String>>,
    /// Employment type id or exact name in the target (KOT working type).
    pub employment_type: Option<Decided<String>>,
    /// Leave this employee out of the sync, with a reason.
    pub exclude: Option<Decided<String>>,
    /// Opt in to moving an existing employee to the decided office / type.
    pub move_office: bool,
    pub move_employment_type: bool,
    /// The fields the rules' `overrides` changed (the employee already holds the new values).
    pub overridden: Vec<Overridden>,
}

/// A rule failure for one employee; it makes that row invalid and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location.as_ref().map(|l| format!("{l}: ")).unwrap_or_default())]
pub struct PolicyError {
    pub message: String,
    /// `file:line:col` of the failing rule.
    pub location: Option<String>,
}

/// What the planner shows a policy when asking whether to auto-select a row.
pub struct SelectInput<'a> {
    pub status: Status,
    pub changes: &'a [Change],
    pub source: &'a Employee,
    pub target: Option<&'a Employee>,
}

/// Per-employee decisions. Implemented by [`NoRules`] (the closed feature's behaviour) and by
/// the Rhai rules.
pub trait Policy: Sync {
    /// Called once per source employee before comparison; may rewrite fields in place.
    fn decide(&self, direction: Direction, source: &mut Employee) -> Result<Decision, PolicyError>;

    /// [`Policy::decide`] for an employee the target already has. Its office and employment
    /// type are used only when the decision moves it, so a policy may leave them undecided
    /// unless it sets `move_office` / `move_employment_type`.
    fn decide_existing(
        &self,
        direction: Direction,
        source: &mut Employee,
    ) -> Result<Decision, PolicyError> {
        self.decide(direction, source)
    }

    /// Called for each new or changed row; `None` means the default (selected).
    fn select(
        &self,
        direction: Direction,
        row: &SelectInput<'_>,
    ) -> Result<Option<Decided<bool>>, PolicyError>;
}

/// The closed feature's behaviour: no per-employee decisions, every new and changed row is
/// selectable.
pub struct NoRules;

impl Policy for NoRules {
    fn decide(&self, _: Direction, _: &mut Employee) -> Result<Decision, PolicyError> {
        Ok(Decision::default())
    }

    fn select(
        &self,
        _: Direction,
        _: &SelectInput<'_>,
    ) -> Result<Option<Decided<bool>>, PolicyError> {
        Ok(None)
    }
}
