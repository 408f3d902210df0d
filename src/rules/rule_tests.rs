//! Rule tests: YAML cases kept in `tests/` beside the rules, run by `crewsync rules test` and on
//! every save by `crewsync watch`, so that an edit that breaks an expectation never goes live.

use super::Rules;
use super::load::{Problem, files_with, label, plural};
use crate::model::{Direction, Employee, Field, MasterItem};
use crate::plan::{Change, Policy, SelectInput, Status};
use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};
use std::fmt;
use std::path::Path;

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// `office`, `employment_type`, `fields.email`, `excluded`, `selected`, `error`, ...
    pub what: String,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub file: String,
    pub name: String,
    pub failures: Vec<Mismatch>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    pub cases: Vec<CaseResult>,
    /// Rules that do not compile, or test files that cannot be read: nothing could be tested.
    pub problems: Vec<Problem>,
}

impl TestReport {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// Whether the rules may go live: everything compiled and every case passed.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.failed() == 0
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        for case in self.cases.iter().filter(|c| !c.passed()) {
            writeln!(f, "FAIL {}: {}", case.file, case.name)?;
            for m in &case.failures {
                writeln!(f, "  {}:", m.what)?;
                writeln!(f, "    - expected: {}", m.expected)?;
                writeln!(f, "    + actual:   {}", m.actual)?;
            }
        }
        write!(f, "{} passed, {} failed", self.passed(), self.failed())?;
        if !self.problems.is_empty() {
            write!(
                f,
                ", {} problem{} before testing",
                self.problems.len(),
                plural(self.problems.len())
            )?;
        }
        Ok(())
    }
}

/// A `tests/*.yaml` file, parsed.
pub(crate) struct TestFile {
    pub(crate) label: String,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    direction: Direction,
    /// Canonical fields plus optional `raw`; numbers are read as text so `code: 1001` works.
    employee: Mapping,
    /// For `expect.selected`: the row's status and changes; a new employee by default.
    #[serde(default)]
    row: Option<RowSpec>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RowSpec {
    status: Status,
    #[serde(default)]
    changes: Vec<Change>,
    #[serde(default)]
    target: Option<Mapping>,
}

/// Each key is checked only when present; `null` means "no rule decides".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default, deserialize_with = "present")]
    office: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    employment_type: Option<Option<String>>,
    /// Field values after overrides, `null` for empty.
    #[serde(default)]
    fields: Option<Mapping>,
    /// A reason (exact), `true` (any reason), or `false`/`null` (kept).
    #[serde(default, deserialize_with = "present")]
    excluded: Option<Option<Value>>,
    #[serde(default)]
    selected: Option<bool>,
    #[serde(default, rename = "move")]
    move_existing: Option<bool>,
    /// Part of the error message the rules must fail with.
    #[serde(default)]
    error: Option<String>,
}

/// Tells "key absent" (outer `None`) from "key: null" (`Some(None)`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

pub(crate) fn read_test_files(dir: &Path) -> (Vec<TestFile>, Vec<Problem>) {
    let tests_dir = dir.join("tests");
    if !tests_dir.is_dir() {
        return (Vec::new(), Vec::new());
    }
    let paths = match files_with(&tests_dir, &["yaml", "yml"]) {
        Ok(p) => p,
        Err(e) => {
            return (
                Vec::new(),
                vec![Problem::in_file(&label(dir, &tests_dir), e.to_string())],
            );
        }
    };
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let file = label(dir, &path);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem::in_file(&file, format!("cannot read it: {e}")));
                continue;
            }
        };
        match serde_yaml_ng::from_str::<Vec<Case>>(&text) {
            Ok(cases) => files.push(TestFile { label: file, cases }),
            Err(e) => {
                problems.push(Problem::yaml(
                    &file,
                    &text,
                    &e,
                    format!(
                        "not a list of rule tests: {e} (each case has name, direction, \
                         employee, expect; see rules/tests/ in the repository)"
                    ),
                ));
            }
        }
    }
    (files, problems)
}

/// Loads the rules in `dir` and runs the tests beside them.
pub fn run_tests(dir: &Path) -> TestReport {
    match Rules::load(dir) {
        Ok(rules) => run_tests_with(&rules, dir),
        Err(e) => TestReport {
            cases: Vec::new(),
            problems: e.problems,
        },
    }
}

/// Runs the tests in `dir/tests` against rules already loaded (the watcher loads once).
pub(crate) fn run_tests_with(rules: &Rules, dir: &Path) -> TestReport {
    let (files, problems) = read_test_files(dir);
    let mut report = TestReport {
        cases: Vec::new(),
        problems,
    };
    for file in files {
        for case in file.cases {
            let failures = run_case(rules, &case).unwrap_or_else(|message| {
                vec![Mismatch {
                    what: "test case".to_string(),
                    expected: "a valid test case".to_string(),
                    actual: message.to_string(),
                }]
            });
            report.cases.push(CaseResult {
                file: file.label.clone(),
                name: case.name,
                failures,
            });
        }
    }
    report
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".to_string(), str::to_string)
}

/// YAML scalars as the text a rule would see; numbers and booleans become text.
fn yaml_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// A test case that cannot be run as written: it fails as a case, naming what to fix.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// `employee:` has a key that is not a field; `suggestion` is the one probably meant.
    #[error(
        "employee has an unknown key '{name}'{}; the keys are: {}",
        suggestion.as_ref().map_or_else(String::new, |s| format!(" (did you mean '{s}'?)")),
        known.join(", ")
    )]
    UnknownKey {
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    /// `employee:` does not read as an employee (a value of the wrong shape).
    #[error("employee: {0}")]
    Employee(#[from] serde_yaml_ng::Error),
    #[error("expect.excluded is {0}; use a reason, true, or false")]
    Excluded(String),
    #[error("expect.fields: {0}")]
    Field(#[from] crate::model::FieldError),
}

/// Builds an [`Employee`] from a test's YAML, naming any key that is not one of its fields.
fn employee(mapping: &Mapping) -> Result<Employee, CaseError> {
    let known = serde_json::to_value(Employee::default())
        .ok()
        .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
        .unwrap_or_default();
    let mut fixed = Mapping::new();
    for (key, value) in mapping {
        let name = yaml_text(key).unwrap_or_default();
        if !known.contains(&name) {
            let suggestion =
                crate::suggest::closest(&name, known.iter().map(String::as_str)).map(String::from);
            return Err(CaseError::UnknownKey {
                name,
                suggestion,
                known,
            });
        }
        let value = match (name.as_str(), value) {
            ("raw", v) => v.clone(),
            // `office: 本社` is short for `office: {id: 本社, name: 本社}`.
            ("office" | "employment_type", v) if !v.is_mapping() && !v.is_null() => {
                let text = yaml_text(v).unwrap_or_default();
                serde_yaml_ng::to_value(MasterItem {
                    id: text.clone(),
                    name: text,
                })?
            }
            (_, v) if v.is_mapping() => v.clone(),
            (_, v) => yaml_text(v).map_or(Value::Null, Value::String),
        };
        fixed.insert(key.clone(), value);
    }
    Ok(serde_yaml_ng::from_value(Value::Mapping(fixed))?)
}

fn run_case(rules: &Rules, case: &Case) -> Result<Vec<Mismatch>, CaseError> {
    let mut failures = Vec::new();
    let mut fail = |what: &str, expected: String, actual: String| {
        failures.push(Mismatch {
            what: what.to_string(),
            expected,
            actual,
        });
    };
    let expect = &case.expect;
    let mut source = employee(&case.employee)?;
    let decision = match rules.decide(case.direction, &mut source) {
        Ok(d) => d,
        Err(err) => {
            match &expect.error {
                Some(part) if err.to_string().contains(part.as_str()) => {}
                Some(part) => fail(
                    "error",
                    format!("an error containing '{part}'"),
                    err.to_string(),
                ),
                None => fail("error", "no error".to_string(), err.to_string()),
            }
            return Ok(failures);
        }
    };
    if let Some(part) = &expect.error {
        fail(
            "error",
            format!("an error containing '{part}'"),
            "no error".to_string(),
        );
    }

    let decided = |d: &Option<crate::plan::Decided<String>>| match d {
        Some(d) => format!("{} ({})", d.value, d.from),
        None => "(none: the command-line default)".to_string(),
    };
    let check_decided = |what: &str,
                         expected: &Option<Option<String>>,
                         actual: &Option<crate::plan::Decided<String>>|
     -> Option<Mismatch> {
        let expected = expected.as_ref()?;
        let same = expected.as_deref() == actual.as_ref().map(|d| d.value.as_str());
        (!same).then(|| Mismatch {
            what: what.to_string(),
            expected: expected
                .clone()
                .unwrap_or_else(|| "(none: the command-line default)".to_string()),
            actual: decided(actual),
        })
    };
    let mismatches = [
        check_decided("office", &expect.office, &decision.office),
        check_decided(
            "employment_type",
            &expect.employment_type,
            &decision.employment_type,
        ),
    ];
    for m in mismatches.into_iter().flatten() {
        fail(&m.what, m.expected, m.actual);
    }

    if let Some(expected) = &expect.excluded {
        let actual = decision.exclude.as_ref();
        let shown_actual = actual.map_or_else(
            || "(kept)".to_string(),
            |d| format!("{} ({})", d.value, d.from),
        );
        let ok = match expected {
            None | Some(Value::Bool(false)) => actual.is_none(),
            Some(Value::Bool(true)) => actual.is_some(),
            Some(Value::String(reason)) => actual.is_some_and(|d| &d.value == reason),
            Some(other) => {
                return Err(CaseError::Excluded(format!("{other:?}")));
            }
        };
        if !ok {
            let expected = match expected {
                None | Some(Value::Bool(false)) => "(kept)".to_string(),
                Some(Value::Bool(true)) => "(left out, any reason)".to_string(),
                Some(v) => yaml_text(v).unwrap_or_default(),
            };
            fail("excluded", expected, shown_actual);
        }
    }

    if let Some(expected) = expect.move_existing {
        let actual = decision.move_office || decision.move_employment_type;
        if actual != expected {
            fail("move", expected.to_string(), actual.to_string());
        }
    }

    if let Some(fields) = &expect.fields {
        for (key, value) in fields {
            let name = yaml_text(key).unwrap_or_default();
            let field: Field = name.parse()?;
            let expected = yaml_text(value);
            let actual = source.get(field);
            if expected != actual {
                fail(
                    &format!("fields.{name}"),
                    shown(expected.as_deref()),
                    shown(actual.as_deref()),
                );
            }
        }
    }

    if let Some(expected) = expect.selected {
        let target = match case.row.as_ref().and_then(|r| r.target.as_ref()) {
            Some(t) => Some(employee(t)?),
            None => None,
        };
        let input = SelectInput {
            status: case.row.as_ref().map_or(Status::New, |r| r.status),
            changes: case.row.as_ref().map_or(&[], |r| r.changes.as_slice()),
            source: &source,
            target: target.as_ref(),
        };
        match rules.select(case.direction, &input) {
            Ok(decided) => {
                let actual = decided.as_ref().is_none_or(|d| d.value);
                if actual != expected {
                    let from = decided.map_or("the default".to_string(), |d| d.from);
                    fail(
                        "selected",
                        expected.to_string(),
                        format!("{actual} ({from})"),
                    );
                }
            }
            Err(err) => fail("selected", expected.to_string(), format!("error: {err}")),
        }
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::employee;

    #[test]
    fn an_unknown_employee_key_is_named_with_the_key_meant() {
        let yaml: serde_yaml_ng::Mapping =
            serde_yaml_ng::from_str("code: \"0001\"\nemial: a@example.com\n").unwrap();
        let err = employee(&yaml).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "employee has an unknown key 'emial' (did you mean 'email'?); the keys"
            ),
            "{err}"
        );
        let yaml: serde_yaml_ng::Mapping = serde_yaml_ng::from_str("salary: 1\n").unwrap();
        let err = employee(&yaml).unwrap_err().to_string();
        assert!(
            err.starts_with("employee has an unknown key 'salary'; the keys are: "),
            "{err}"
        );
    }
}
