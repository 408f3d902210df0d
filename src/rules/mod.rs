//! Integrators' Rhai rules: per-employee decisions that the closed SmartHR feature makes once
//! per run (office, employment type), plus field overrides, scoping and auto-selection.
//!
//! A rules folder holds `*.rhai` scripts, `*.yaml` lookup tables and `tests/*.yaml` rule tests.
//! Each script may define any of these functions, all called once per employee with `e`, the
//! source record as a map, and optionally `direction` (`"kot-to-smarthr"` / `"smarthr-to-kot"`):
//!
//! | function | returns | `()` means |
//! |---|---|---|
//! | `exclude(e, direction)` | a reason (text) to leave the employee out | keep |
//! | `overrides(e, direction)` | a map `#{field: new value}`; `""` clears a field | change nothing; for one field, leave it to later files |
//! | `office(e, direction)` | an office id or exact name in the target | the `--office` default |
//! | `employment_type(e, direction)` | a KOT working type code or name | the default |
//! | `move_existing(e, direction)` | `true`, or `#{office: true, employment_type: false}` | never move existing employees |
//! | `select(row, direction)` | `true` / `false` for `apply --select auto` | selected |
//!
//! Precedence: scripts are consulted in file-name order and the first that returns something
//! other than `()` decides (for `overrides`, per field: a field whose value is `()` is skipped).
//! `exclude` and `overrides` see the
//! record as the source system returned it; the overrides are then applied, and `office`,
//! `employment_type`, `move_existing` and `select` see the overridden record (the values that
//! will be compared and sent).

mod convert;
mod delta;
mod examples;
mod helpers;
mod lint;
mod load;
mod rule_tests;
mod syntax;
mod watch;

pub use delta::{DeltaChange, DeltaLine, plan_delta, render_delta};
pub use examples::{EXAMPLE_RULES, ExamplesError, write_examples};
pub use load::{CheckReport, Problem, RulesError};
pub(crate) use rule_tests::run_tests_with;
pub use rule_tests::{CaseResult, Mismatch, TestReport, run_tests};
pub use watch::{RulesHandle, RulesWatcher, WatchEvent, reload, watch};

use crate::model::{Direction, Employee, Field};
use crate::plan::{Decided, Decision, Overridden, Policy, PolicyError, SelectInput};
use convert::{RowView, Subject};
use load::{DEADLINE_MARKER, DeadlineGuard};
use rhai::{AST, CallFnOptions, Dynamic, Engine, EvalAltResult, Scope};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use syntax::RawKeys;

/// Compiles everything in `dir` (scripts, tables, test files) and reports every problem, in
/// the test files too even when a script is broken, so that one run shows all there is to fix.
/// Here rather than in `load` so that `load` does not depend on `rule_tests`, which depends on
/// it.
pub fn check(dir: &Path) -> CheckReport {
    let (_, mut report) = load::compile(dir, &Limits::default());
    let (files, problems) = rule_tests::read_test_files(dir);
    report.test_files = files.iter().map(|f| f.label.clone()).collect();
    report.problems.extend(problems);
    report
}

/// How much one employee's evaluation may cost before it is stopped and its row made invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for all of one employee's rule functions together.
    pub deadline: Duration,
    /// Rhai operations per function call; stops runaway loops even on a fast machine.
    pub max_operations: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_millis(100),
            max_operations: 1_000_000,
        }
    }
}

/// The functions a rules file may define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Hook {
    Exclude,
    Overrides,
    Office,
    EmploymentType,
    MoveExisting,
    Select,
}

impl Hook {
    pub(crate) const ALL: [Hook; 6] = [
        Hook::Exclude,
        Hook::Overrides,
        Hook::Office,
        Hook::EmploymentType,
        Hook::MoveExisting,
        Hook::Select,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Hook::Exclude => "exclude",
            Hook::Overrides => "overrides",
            Hook::Office => "office",
            Hook::EmploymentType => "employment_type",
            Hook::MoveExisting => "move_existing",
            Hook::Select => "select",
        }
    }

    pub(crate) fn argument(self) -> &'static str {
        match self {
            Hook::Select => "row",
            _ => "e",
        }
    }
}

/// One compiled script and the hooks it defines (with their arity and line).
pub(crate) struct RuleFile {
    pub(crate) label: String,
    pub(crate) ast: AST,
    pub(crate) hooks: BTreeMap<Hook, (usize, Option<usize>)>,
    /// The raw keys this file reads.
    pub(crate) raw: RawKeys,
    /// Whether it names `employee` or `target` (what `select` may read of `row`).
    pub(crate) names_records: bool,
}

/// A file that defines a hook, found once at load rather than looked up for every employee.
struct HookFn {
    file: usize,
    arity: usize,
    /// Provenance shown in the plan (`rules/30_offices.rhai:office`), made once.
    from: String,
}

/// A loaded rules folder: compiled once, shared by every thread that plans.
pub struct Rules {
    engine: Engine,
    files: Vec<RuleFile>,
    limits: Limits,
    /// For each hook (in [`Hook::ALL`] order), the files defining it, in precedence order.
    hooks: [Vec<HookFn>; Hook::ALL.len()],
    /// The `direction` argument for Rhai, made once so that calls only bump a reference count.
    directions: [Dynamic; 2],
    /// Converting the raw API record is the costliest step of an evaluation: convert only the
    /// keys that the scripts defining a `decide` hook (resp. `select`) read.
    raw_for_decide: RawKeys,
    raw_for_select: RawKeys,
    /// Whether `row.employee` / `row.target` must be built for `select`.
    select_records: bool,
    /// See [`Rules::fingerprint`].
    fingerprint: String,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules")
            .field("files", &self.files().collect::<Vec<_>>())
            .field("limits", &self.limits)
            .finish()
    }
}

/// What a hook returned and which file it came from.
struct Answer<'a> {
    value: Dynamic,
    file: &'a RuleFile,
    hook: Hook,
    from: &'a str,
}

impl Answer<'_> {
    fn from(&self) -> String {
        self.from.to_string()
    }

    /// For a value of the wrong kind: Rhai knows no position for it, so point at the function.
    fn error(&self, message: String) -> PolicyError {
        PolicyError {
            message: format!("fn {} {message}", self.hook.name()),
            location: Some(self.file.location(self.hook)),
        }
    }

    fn type_name(&self) -> String {
        shown(&self.value)
    }

    /// Office and type names may be written as numbers (`1000`) as well as text.
    fn id_or_name(&self) -> Result<Decided<String>, PolicyError> {
        let value = if let Some(text) = self.value.read_lock::<rhai::ImmutableString>() {
            text.to_string()
        } else if let Ok(i) = self.value.as_int() {
            i.to_string()
        } else {
            return Err(self.error(format!(
                "returned {}; return an id or exact name as text, or () for the default",
                self.type_name()
            )));
        };
        Ok(Decided {
            value,
            from: self.from(),
            location: Some(self.file.location(self.hook)),
        })
    }
}

impl RuleFile {
    /// `file:line:1` of the function defining `hook` (Rhai keeps no position for the value a
    /// function returns), or the file alone.
    fn location(&self, hook: Hook) -> String {
        match self.hooks.get(&hook).and_then(|(_, l)| *l) {
            Some(l) => format!("{}:{l}:1", self.label),
            None => self.label.clone(),
        }
    }
}

/// One field an `overrides` function decided.
struct Write<'a> {
    field: Field,
    /// The text to store; `""` clears the field.
    value: String,
    by: &'a HookFn,
}

impl Rules {
    /// Compiles every script and reads every table in `dir`; refuses on any problem.
    pub fn load(dir: &Path) -> Result<Rules, RulesError> {
        Rules::load_with(dir, &Limits::default())
    }

    pub fn load_with(dir: &Path, limits: &Limits) -> Result<Rules, RulesError> {
        match load::compile(dir, limits) {
            (Some(rules), _) => Ok(rules),
            (None, report) => Err(RulesError {
                problems: report.problems,
            }),
        }
    }

    fn new(engine: Engine, files: Vec<RuleFile>, limits: Limits, fingerprint: String) -> Rules {
        let raw_for = |select: bool| {
            let mut keys = RawKeys::None;
            for f in &files {
                if f.hooks.keys().any(|h| (*h == Hook::Select) == select) {
                    keys.union(&f.raw);
                }
            }
            keys
        };
        let hooks = Hook::ALL.map(|hook| {
            files
                .iter()
                .enumerate()
                .filter_map(|(i, f)| {
                    let &(arity, _) = f.hooks.get(&hook)?;
                    Some(HookFn {
                        file: i,
                        arity,
                        from: format!("{}:{}", f.label, hook.name()),
                    })
                })
                .collect()
        });
        let directions = [Direction::SmartHrToKot, Direction::KotToSmartHr]
            .map(|d| Dynamic::from(rhai::ImmutableString::from(d.as_str())));
        let select_records = files
            .iter()
            .any(|f| f.names_records && f.hooks.contains_key(&Hook::Select));
        Rules {
            fingerprint,
            select_records,
            raw_for_decide: raw_for(false),
            raw_for_select: raw_for(true),
            engine,
            files,
            limits,
            hooks,
            directions,
        }
    }

    /// What the history and a saved plan record as the rules used: the folder and a hash of the
    /// scripts and tables as they were loaded (`rules (3 files, 0123456789abcdef)`).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The scripts in precedence order, as shown in provenance.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.label.as_str())
    }

    fn hook_fns(&self, hook: Hook) -> &[HookFn] {
        &self.hooks[hook as usize]
    }

    fn call(
        &self,
        hook: Hook,
        f: &HookFn,
        arg: &Dynamic,
        direction: Direction,
    ) -> Result<Dynamic, PolicyError> {
        let direction = match direction {
            Direction::SmartHrToKot => &self.directions[0],
            Direction::KotToSmartHr => &self.directions[1],
        };
        let file = &self.files[f.file];
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let run = |scope: &mut Scope<'static>| {
            if f.arity == 1 {
                self.engine.call_fn_with_options::<Dynamic>(
                    options,
                    scope,
                    &file.ast,
                    hook.name(),
                    (arg.clone(),),
                )
            } else {
                self.engine.call_fn_with_options::<Dynamic>(
                    options,
                    scope,
                    &file.ast,
                    hook.name(),
                    (arg.clone(), direction.clone()),
                )
            }
        };
        // One scope per thread, rewound after each call, so that calls do not allocate one.
        let result = SCOPE.with(|scope| match scope.try_borrow_mut() {
            Ok(mut scope) => run(&mut scope),
            Err(_) => run(&mut Scope::new()),
        });
        result
            .map(Dynamic::flatten)
            .map_err(|e| self.script_error(file, hook, &e))
    }

    /// The first answer other than `()` (and, for yes/no hooks where `false` is the default,
    /// other than `false`), in file-name order.
    fn first<'a>(
        &'a self,
        hook: Hook,
        arg: &Dynamic,
        direction: Direction,
        skip_false: bool,
    ) -> Result<Option<Answer<'a>>, PolicyError> {
        for f in self.hook_fns(hook) {
            let value = self.call(hook, f, arg, direction)?;
            let no_opinion = value.is_unit() || (skip_false && value.as_bool() == Ok(false));
            if !no_opinion {
                return Ok(Some(Answer {
                    value,
                    file: &self.files[f.file],
                    hook,
                    from: &f.from,
                }));
            }
        }
        Ok(None)
    }

    fn script_error(&self, file: &RuleFile, hook: Hook, error: &EvalAltResult) -> PolicyError {
        let inner = error.unwrap_inner();
        let pos = inner.position();
        // A script stopped by the deadline has no position of its own: point at the function.
        let fn_line = file.hooks.get(&hook).and_then(|(_, l)| *l);
        let location = match (pos.line(), pos.position(), fn_line) {
            (Some(l), Some(c), _) => format!("{}:{l}:{c}", file.label),
            (Some(l), None, _) | (None, _, Some(l)) => format!("{}:{l}:1", file.label),
            _ => file.label.clone(),
        };
        let message = match inner {
            EvalAltResult::ErrorTerminated(v, _)
                if v.clone().into_string().ok().as_deref() == Some(DEADLINE_MARKER) =>
            {
                format!(
                    "fn {} took longer than {} ms for this employee and was stopped \
                     (an endless loop?)",
                    hook.name(),
                    self.limits.deadline.as_millis()
                )
            }
            EvalAltResult::ErrorTooManyOperations(_) => format!(
                "fn {} ran more than {} operations for this employee and was stopped \
                 (an endless loop?)",
                hook.name(),
                self.limits.max_operations
            ),
            EvalAltResult::ErrorAssignmentToConstant(name, _) => format!(
                "fn {}: `{name}` cannot be changed; build a new map instead, e.g. \
                 `let changes = #{{}}; changes.email = lower(e.email); changes`",
                hook.name()
            ),
            EvalAltResult::ErrorRuntime(v, _) if v.is_string() => {
                format!("fn {}: {v}", hook.name())
            }
            EvalAltResult::ErrorFunctionNotFound(signature, _) => {
                format!("fn {}: {}", hook.name(), not_found(signature))
            }
            other => {
                // The position is already in `location`.
                let text = other.to_string();
                let suffix = format!(" ({pos})");
                let text = text.strip_suffix(&suffix).unwrap_or(&text);
                format!("fn {}: {text}", hook.name())
            }
        };
        PolicyError {
            message,
            location: Some(location),
        }
    }

    /// The fields the `overrides` functions change, with their new values: at most one per
    /// field (the first file to give it a value other than `()` decides), and none that
    /// already holds its value.
    fn overrides<'a>(
        &'a self,
        e: &Dynamic,
        employee: &Employee,
        direction: Direction,
    ) -> Result<Vec<Write<'a>>, PolicyError> {
        // The fields decided so far, one bit each: the first file to name a field decides
        // it, even when what it decides is the value the employee already holds.
        let mut decided = 0u16;
        let mut writes = Vec::new();
        let mut decide = |field: Field, value: &str, by: &'a HookFn| {
            let bit = 1u16 << field as u16;
            if decided & bit == 0 {
                decided |= bit;
                if !convert::holds(employee, field, Some(value)) {
                    writes.push(Write {
                        field,
                        value: value.to_string(),
                        by,
                    });
                }
            }
        };
        for f in self.hook_fns(Hook::Overrides) {
            let value = self.call(Hook::Overrides, f, e, direction)?;
            if value.is_unit() {
                continue;
            }
            let answer = Answer {
                value,
                file: &self.files[f.file],
                hook: Hook::Overrides,
                from: &f.from,
            };
            let Some(entries) = answer.value.read_lock::<rhai::Map>().map(|m| m.clone()) else {
                return Err(answer.error(format!(
                    "returned {}; return a map such as #{{email: lower(e.email)}}, or ()",
                    answer.type_name()
                )));
            };
            for (key, value) in entries {
                let field = overridable(&key).ok_or_else(|| {
                    answer.error(format!(
                        "returned the field '{key}', which cannot be overridden; \
                         the fields are: {} (office and employment type have their own \
                         functions)",
                        Field::SYNCED.map(Field::name).join(", ")
                    ))
                })?;
                let value = value.flatten();
                // `()` is "no opinion", as for every other function: a later file (or the
                // source's own value) decides. Clearing takes "" (or `clear()`).
                if value.is_unit() {
                    continue;
                }
                let Some(text) = value.read_lock::<rhai::ImmutableString>() else {
                    return Err(answer.error(format!(
                        "returned {} for {key}; return text (\"\" or clear() to clear it), \
                         or () to leave it to later files and the source",
                        shown(&value)
                    )));
                };
                decide(field, text.as_str(), f);
            }
        }
        Ok(writes)
    }

    fn decide_inner(
        &self,
        direction: Direction,
        source: &mut Employee,
        // Whether the target lacks the employee, which then needs an office and a type.
        new: bool,
    ) -> Result<Decision, PolicyError> {
        let mut decision = Decision::default();
        let subject = Subject::new(source, &self.raw_for_decide);
        let e = subject.whole().clone();

        if let Some(answer) = self.first(Hook::Exclude, &e, direction, true)? {
            let reason = if answer.value.as_bool() == Ok(true) {
                format!("left out by {}", answer.file.label)
            } else if let Some(reason) = answer.value.read_lock::<rhai::ImmutableString>() {
                reason.to_string()
            } else {
                return Err(answer.error(format!(
                    "returned {}; return the reason as text, or () to keep the employee",
                    answer.type_name()
                )));
            };
            decision.exclude = Some(Decided {
                value: reason,
                from: answer.from(),
                location: Some(answer.file.location(Hook::Exclude)),
            });
            return Ok(decision);
        }

        let overrides = self.overrides(&e, subject.employee, direction)?;
        // The decisions after the overrides (office, employment type, move, and later select)
        // see the values that will be sent; `raw` is not overridden and is kept.
        let raw = subject.into_raw();
        for w in overrides {
            let location = Some(self.files[w.by.file].location(Hook::Overrides));
            let cleared = w.value.trim().is_empty()
                && source.get(w.field).is_some_and(|v| !v.trim().is_empty());
            source
                .set(w.field, Some(&w.value))
                .map_err(|err| PolicyError {
                    message: format!("fn overrides: {err}"),
                    location: location.clone(),
                })?;
            decision.overridden.push(Overridden {
                field: w.field,
                cleared,
                from: w.by.from.clone(),
                location,
            });
        }
        let subject = Subject::with_raw(source, &self.raw_for_decide, raw);
        let e = subject.whole().clone();
        if let Some(answer) = self.first(Hook::MoveExisting, &e, direction, true)? {
            let (office, employment_type) = move_flags(&answer)?;
            decision.move_office = office;
            decision.move_employment_type = employment_type;
        }
        if (new || decision.move_office)
            && let Some(answer) = self.first(Hook::Office, &e, direction, false)?
        {
            decision.office = Some(answer.id_or_name()?);
        }
        if (new || decision.move_employment_type)
            && let Some(answer) = self.first(Hook::EmploymentType, &e, direction, false)?
        {
            decision.employment_type = Some(answer.id_or_name()?);
        }
        Ok(decision)
    }
}

thread_local! {
    static SCOPE: std::cell::RefCell<Scope<'static>> = std::cell::RefCell::new(Scope::new());
}

/// A value and its type as a message shows them: `42 (i64)`.
fn shown(value: &Dynamic) -> String {
    format!("{value} ({})", value.type_name())
}

/// Rhai's "Function not found: lower (&str | ImmutableString | String, i64)" in a rule
/// writer's words: "no function `lower` takes (text, number)". The types are those Rhai's
/// `gen_fn_call_signature` writes: a string as its three Rust forms, the rest by
/// `Engine::map_type_name`.
fn not_found(signature: &str) -> String {
    let (name, types) = signature
        .split_once(" (")
        .map_or((signature, ""), |(n, t)| {
            (n, t.strip_suffix(')').unwrap_or(t))
        });
    let types: Vec<&str> = types
        .split(", ")
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            t if t.contains("String") || t == "&str" => "text",
            "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128"
            | "f32" | "f64" | "decimal" => "number",
            "bool" => "true/false",
            "char" => "character",
            "Fn" => "function",
            t if t.ends_with("Array") || t == "array" => "array",
            t if t.ends_with("Map") || t == "map" => "map",
            other => other,
        })
        .collect();
    format!(
        "no function `{name}` takes ({}); see rules/README.md, \"Helpers\", for what each \
         function takes",
        types.join(", ")
    )
}

/// The field an `overrides` key names, if it is one that may be overridden.
fn overridable(key: &str) -> Option<Field> {
    key.parse::<Field>()
        .ok()
        .filter(|f| Field::SYNCED.contains(f))
}

fn move_flags(answer: &Answer<'_>) -> Result<(bool, bool), PolicyError> {
    if answer.value.as_bool() == Ok(true) {
        return Ok((true, true));
    }
    let bad = || {
        answer.error(format!(
            "returned {}; return true (move office and type), \
             #{{office: true, employment_type: false}}, or () to leave existing employees",
            answer.type_name()
        ))
    };
    let entries = answer
        .value
        .read_lock::<rhai::Map>()
        .map(|m| m.clone())
        .ok_or_else(bad)?;
    let mut flags = (false, false);
    for (key, value) in entries {
        let flag = value.as_bool().map_err(|_| bad())?;
        match key.as_str() {
            "office" => flags.0 = flag,
            "employment_type" => flags.1 = flag,
            _ => return Err(bad()),
        }
    }
    Ok(flags)
}

impl Policy for Rules {
    fn decide(&self, direction: Direction, source: &mut Employee) -> Result<Decision, PolicyError> {
        let _deadline = DeadlineGuard::start(&self.limits);
        self.decide_inner(direction, source, true)
    }

    fn decide_existing(
        &self,
        direction: Direction,
        source: &mut Employee,
    ) -> Result<Decision, PolicyError> {
        let _deadline = DeadlineGuard::start(&self.limits);
        // An existing employee keeps its office and type unless a rule moves it; asking
        // `office` and `employment_type` for it otherwise would be work nobody reads.
        self.decide_inner(direction, source, false)
    }

    fn select(
        &self,
        direction: Direction,
        row: &SelectInput<'_>,
    ) -> Result<Option<Decided<bool>>, PolicyError> {
        let _deadline = DeadlineGuard::start(&self.limits);
        let row = RowView::new(row, self.select_records.then_some(&self.raw_for_select));
        let Some(answer) = self.first(Hook::Select, row.whole(), direction, false)? else {
            return Ok(None);
        };
        let value = answer.value.as_bool().map_err(|_| {
            answer.error(format!(
                "returned {}; return true, false, or () for the default (selected)",
                answer.type_name()
            ))
        })?;
        Ok(Some(Decided {
            value,
            from: answer.from(),
            location: Some(answer.file.location(Hook::Select)),
        }))
    }
}
