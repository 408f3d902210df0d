//! Reading a rules folder: compiling every script once, reading the YAML tables, and reporting
//! every problem at once (not just the first) so that one `rules check` shows all there is to fix.

use super::helpers::{self, Tables};
use super::syntax;
use super::{Hook, Limits, RuleFile, Rules};
use rhai::{Dynamic, Engine, Map};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// One thing wrong in a rules folder, located as precisely as the source allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as shown everywhere else (`rules/offices.rhai`).
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// The offending source line, shown under the message with a caret.
    pub source_line: Option<String>,
}

impl Problem {
    pub(crate) fn in_file(file: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
            source_line: None,
        }
    }

    pub(crate) fn at(
        file: &str,
        text: &str,
        line: Option<usize>,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Problem {
        let source_line = line
            .and_then(|l| text.lines().nth(l.saturating_sub(1)))
            .map(str::to_string);
        Problem {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            source_line,
        }
    }

    /// A YAML file that does not parse, at the place the parser stopped.
    pub(crate) fn yaml(
        file: &str,
        text: &str,
        error: &serde_yaml_ng::Error,
        message: impl Into<String>,
    ) -> Problem {
        let loc = error.location();
        Problem::at(
            file,
            text,
            loc.as_ref().map(|l| l.line()),
            loc.as_ref().map(|l| l.column()),
            message,
        )
    }

    /// `file:line:col`, as far as known.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file),
            (Some(l), None) => format!("{}:{l}", self.file),
            _ => self.file.clone(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)?;
        if let (Some(line), Some(text)) = (self.line, &self.source_line) {
            let gutter = line.to_string();
            write!(f, "\n {gutter} | {text}")?;
            if let Some(col) = self.column {
                // Columns count characters; wide (Japanese) characters take two cells.
                let pad: usize = text
                    .chars()
                    .take(col.saturating_sub(1))
                    .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(1))
                    .sum();
                write!(f, "\n {} | {}^", " ".repeat(gutter.len()), " ".repeat(pad))?;
            }
        }
        Ok(())
    }
}

/// Everything wrong with a rules folder; [`Rules::load`] refuses to load any of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render_problems(problems))]
pub struct RulesError {
    pub problems: Vec<Problem>,
}

impl crate::error::Diagnostic for RulesError {
    /// The first problem's place; each problem names its own in the message.
    fn location(&self) -> Option<crate::error::Location> {
        self.problems.first().map(|p| crate::error::Location {
            file: PathBuf::from(&p.file),
            line: p.line,
            column: p.column,
        })
    }
}

fn render_problems(problems: &[Problem]) -> String {
    let mut out: Vec<String> = problems.iter().map(Problem::to_string).collect();
    out.push(format!(
        "{} problem{} in the rules; fix {} and check again",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        if problems.len() == 1 { "it" } else { "them" },
    ));
    out.join("\n")
}

/// What `crewsync rules check` prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub scripts: Vec<String>,
    pub tables: Vec<String>,
    pub test_files: Vec<String>,
    pub problems: Vec<Problem>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        write!(
            f,
            "{} script{}, {} table{}, {} test file{}: ",
            self.scripts.len(),
            plural(self.scripts.len()),
            self.tables.len(),
            plural(self.tables.len()),
            self.test_files.len(),
            plural(self.test_files.len()),
        )?;
        match self.problems.len() {
            0 => write!(f, "no problems"),
            1 => write!(f, "1 problem"),
            n => write!(f, "{n} problems"),
        }
    }
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The name a file is shown by: the rules folder's own name and the file name, so that
/// provenance reads the same on every machine (`rules/offices.rhai`).
pub(crate) fn label(dir: &Path, path: &Path) -> String {
    let folder = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());
    let file = path
        .strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    format!("{folder}/{file}")
}

/// A rules folder (or its `tests/`) that cannot be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the rules folder {}: {source}; check its path", path.display())]
pub struct FolderError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Files in `dir` (not below it) whose names end with one of `extensions`, sorted by name:
/// that order is the documented precedence between scripts.
pub(crate) fn files_with(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>, FolderError> {
    let entries = std::fs::read_dir(dir).map_err(|source| FolderError {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| extensions.contains(&x))
        })
        .collect();
    paths.sort();
    Ok(paths)
}

pub(crate) fn compile(dir: &Path, limits: &Limits) -> (Option<Rules>, CheckReport) {
    let mut report = CheckReport::default();
    let dir_label = label(dir, dir);
    // Every file read, for the fingerprint: what was compiled, not what the folder holds later.
    let mut read = Vec::new();
    let (tables, table_names) = read_tables(dir, &mut report.problems, &mut read);
    report.tables = table_names;

    let scripts = match files_with(dir, &["rhai"]) {
        Ok(s) => s,
        Err(e) => {
            report
                .problems
                .push(Problem::in_file(&dir_label, e.to_string()));
            return (None, report);
        }
    };
    if scripts.is_empty() {
        report.problems.push(Problem::in_file(
            &dir_label,
            "no *.rhai files here: put the rules in this folder (see the shipped rules/ folder)",
        ));
    }

    let tables = Arc::new(tables);
    let engine = build_engine(limits, tables.clone());
    let functions = super::lint::Functions::of(&engine);
    let mut files = Vec::new();
    for path in scripts {
        let file = label(dir, &path);
        report.scripts.push(file.clone());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                report
                    .problems
                    .push(Problem::in_file(&file, format!("cannot read it: {e}")));
                continue;
            }
        };
        read.push((path.clone(), text.clone()));
        match compile_file(&engine, &functions, &file, &text, &tables) {
            Ok(rule_file) => files.push(rule_file),
            Err(problems) => report.problems.extend(problems),
        }
    }
    if !report.problems.is_empty() {
        return (None, report);
    }
    let rules = Rules::new(engine, files, limits.clone(), fingerprint(dir, read));
    (Some(rules), report)
}

/// Names the rules a run used, for the history and saved plans: the folder and a hash of every
/// script and table `read` from it (path and text), so two runs with different rules are told
/// apart even when the folder is the same. Made from the texts compiled, so that a file edited
/// after loading does not change what the run says it used.
fn fingerprint(dir: &Path, mut read: Vec<(PathBuf, String)>) -> String {
    read.sort_by(|a, b| a.0.cmp(&b.0));
    // FNV-1a: stable across runs and platforms, unlike std's randomly keyed hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, text) in &read {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        for byte in name.unwrap_or_default().bytes().chain(text.bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{} ({} files, {hash:016x})", dir.display(), read.len())
}

/// Compiles one script; `functions` (the engine's) and `tables` (the folder's) are for the lint.
fn compile_file(
    engine: &Engine,
    functions: &super::lint::Functions,
    file: &str,
    text: &str,
    tables: &Tables,
) -> Result<RuleFile, Vec<Problem>> {
    let mut ast = engine.compile(text).map_err(|e| {
        let pos = e.position();
        let mut message = e.err_type().to_string();
        if message.starts_with("Variable not found") {
            message.push_str(
                " (a function only sees its parameters and its own variables; \
                 put shared values in a YAML table and use lookup())",
            );
        }
        vec![Problem::at(file, text, pos.line(), pos.position(), message)]
    })?;
    ast.set_source(file);

    let mut problems = Vec::new();
    let mut hooks = BTreeMap::new();
    for f in ast.iter_fn_def() {
        let Some(hook) = Hook::ALL.into_iter().find(|h| h.name() == f.name) else {
            continue;
        };
        let line = syntax::line_of(f);
        if !(1..=2).contains(&f.params.len()) {
            problems.push(Problem::at(
                file,
                text,
                line,
                None,
                format!(
                    "fn {name} takes {n} parameter{s}; write it as `fn {name}({arg})` or \
                     `fn {name}({arg}, direction)`",
                    name = f.name,
                    n = f.params.len(),
                    s = plural(f.params.len()),
                    arg = hook.argument(),
                ),
            ));
            continue;
        }
        hooks.insert(hook, (f.params.len(), line));
    }
    let table_names: Vec<&str> = tables.keys().map(String::as_str).collect();
    problems.extend(
        super::lint::check(&ast, text, &table_names, functions)
            .into_iter()
            .map(|f| {
                Problem::at(
                    file,
                    text,
                    f.position.line(),
                    f.position.position(),
                    f.message,
                )
            }),
    );
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RuleFile {
        label: file.to_string(),
        hooks,
        raw: syntax::raw_keys(&ast),
        names_records: ["employee", "target"]
            .iter()
            .any(|w| syntax::names(&ast, w)),
        ast,
    })
}

fn read_tables(
    dir: &Path,
    problems: &mut Vec<Problem>,
    read: &mut Vec<(PathBuf, String)>,
) -> (BTreeMap<String, Map>, Vec<String>) {
    let mut tables = BTreeMap::new();
    let mut names = Vec::new();
    let Ok(paths) = files_with(dir, &["yaml", "yml"]) else {
        return (tables, names);
    };
    for path in paths {
        let file = label(dir, &path);
        let Some(name) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem::in_file(&file, format!("cannot read it: {e}")));
                continue;
            }
        };
        read.push((path.clone(), text.clone()));
        match parse_table(&text) {
            Ok(map) => {
                names.push(file);
                tables.insert(name, map);
            }
            Err(TableError::Yaml(e)) => {
                problems.push(Problem::yaml(
                    &file,
                    &text,
                    &e,
                    format!("not valid YAML: {e}"),
                ));
            }
            Err(TableError::Shape(message)) => problems.push(Problem::in_file(&file, message)),
        }
    }
    (tables, names)
}

enum TableError {
    Yaml(serde_yaml_ng::Error),
    Shape(String),
}

/// A table is a YAML mapping; its keys become text so that `1000:` and `"1000":` are the same.
fn parse_table(text: &str) -> Result<Map, TableError> {
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(TableError::Yaml)?;
    let serde_yaml_ng::Value::Mapping(mapping) = value else {
        return Err(TableError::Shape(
            "a table must be a YAML mapping of `key: value` lines".to_string(),
        ));
    };
    let mut map = Map::new();
    for (key, value) in mapping {
        let key = match key {
            serde_yaml_ng::Value::String(s) => s,
            serde_yaml_ng::Value::Number(n) => n.to_string(),
            serde_yaml_ng::Value::Bool(b) => b.to_string(),
            other => {
                return Err(TableError::Shape(format!(
                    "table keys must be text or numbers, not {other:?}"
                )));
            }
        };
        let value: Dynamic = rhai::serde::to_dynamic(&value)
            .map_err(|e| TableError::Shape(format!("value for '{key}': {e}")))?;
        map.insert(key.into(), value);
    }
    Ok(map)
}

thread_local! {
    /// When the current employee's evaluation must stop. Per thread, because the one engine
    /// is shared by every thread that plans.
    static DEADLINE: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// Sets the deadline for the evaluations made while it lives.
pub(crate) struct DeadlineGuard(Option<Instant>);

impl DeadlineGuard {
    pub(crate) fn start(limits: &Limits) -> DeadlineGuard {
        let previous = DEADLINE.replace(Some(Instant::now() + limits.deadline));
        DeadlineGuard(previous)
    }
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        DEADLINE.set(self.0);
    }
}

/// Whether the current employee's evaluation has run past its deadline.
pub(crate) fn past_deadline() -> bool {
    DEADLINE.get().is_some_and(|d| Instant::now() >= d)
}

/// The marker `on_progress` stops a script with, recognised when the error is converted.
pub(crate) const DEADLINE_MARKER: &str = "crewsync-deadline";

/// The longest text a script may make, in bytes; a longer one stops the script with Rhai's
/// own error.
const MAX_STRING_SIZE: usize = 64 * 1024;

/// One hardened engine per loaded rules folder: Rhai's standard library for strings, arrays
/// and maps, our helpers, and nothing that reaches outside the process. No module resolver is
/// set, so `import` cannot read files; `eval` is disabled so scripts cannot compile code.
pub(crate) fn build_engine(limits: &Limits, tables: Tables) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(rhai::packages::Package::as_shared_module(
        &rhai::packages::StandardPackage::new(),
    ));
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine.set_strict_variables(true);
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(32);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(MAX_STRING_SIZE);
    engine.set_max_array_size(10_000);
    engine.set_max_map_size(10_000);
    engine.set_max_variables(1_000);
    engine.set_max_functions(1_000);
    engine.set_max_modules(0);
    engine.on_progress(|ops| {
        // Reading the clock costs more than a script operation, so look only now and then.
        if !ops.is_multiple_of(1024) {
            return None;
        }
        past_deadline().then(|| Dynamic::from(DEADLINE_MARKER))
    });
    helpers::register(&mut engine, tables);
    engine
}
