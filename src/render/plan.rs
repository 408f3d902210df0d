//! The plan, as a table for a person and as JSON for scripts.

use super::layout::{self, Atom};
use super::{ITEM_JOINER, Paint, Style, code_text, column};
use crate::error::Worded;
use crate::error::Wording;
use crate::plan::saved::SavedPlan;
use crate::plan::{
    Assigned, Change, DEFAULT_SELECTION, Excluded, FROM_DEFAULT_OFFICE, FROM_DEFAULT_TYPE, Plan,
    Row, Status,
};
use crate::text::{exact_width, look_alike, safe};
use serde_json::Value;

/// The plan's JSON: the shape `crewsync plan --format json` promises (issue 3), plus where
/// each decision came from, the employees rules left out, and what applying it later needs.
/// It is the saved plan's own shape: what `plan --format json` prints is what `--out` saves.
pub fn plan_json(saved: &SavedPlan) -> serde_json::Result<Value> {
    saved.to_json()
}

const NAME_MAX: usize = 20;
const CODE_MAX: usize = 16;
/// `unchanged`, the longest status label.
const STATUS_COLS: usize = 9;
const EXCLUDED_LABEL: &str = "excluded";
/// What the plan table says to do after rule errors. It names no command: the folder is the
/// one the person just gave, and a command without it would check another one.
const PLAN_AGAIN: &str = "Fix the rules (and their tests), then plan again.";
/// Shown for an empty value in a change, so that clearing a field is visible.
const EMPTY: &str = "(empty)";
/// What a clear shows instead of `→ (empty)`: a marker and the word, so that it stands out
/// even without colour.
const CLEAR_MARK: &str = "✗ clear";

/// The plan as a person reads it: a title, one line per employee (status, whether
/// `--select auto` takes it, code, name, then what happens to it), the employees rules left
/// out, and a summary line.
pub fn plan_table(plan: &Plan, style: &Style) -> String {
    let codes = plan
        .rows
        .iter()
        .map(|r| &r.code)
        .chain(plan.excluded.iter().map(|e| &e.code));
    let code_cols = column(
        codes.map(|c| layout::width(&code_text(c.as_deref()))),
        4,
        CODE_MAX,
    );
    let names = plan.rows.iter().map(|r| &r.name);
    let names = names.chain(plan.excluded.iter().map(|e| &e.name));
    let name_cols = column(names.map(|n| layout::width(&safe(n))), 4, NAME_MAX);
    let cols = Columns {
        code: code_cols,
        name: name_cols,
    };

    let mut out = vec![
        style.paint(
            &format!("{} as of {}", plan.direction, plan.as_of),
            Paint::new().bold(),
        ),
        String::new(),
    ];
    if plan.rows.is_empty() {
        out.push("no employees to show".to_string());
    } else {
        out.push(header(style, &cols));
        out.extend(
            plan.rows
                .iter()
                .map(|r| row_line(r, plan.words, style, &cols)),
        );
    }
    if !plan.excluded.is_empty() {
        out.push(String::new());
        out.extend(plan.excluded.iter().map(|e| excluded_line(e, style, &cols)));
    }
    out.push(String::new());
    out.push(summary_line(plan));
    out.extend(unreadable(plan, style));
    out.extend(rule_errors(plan, style, PLAN_AGAIN));
    let mut text = out.join("\n");
    text.push('\n');
    text
}

struct Columns {
    code: usize,
    name: usize,
}

fn header(style: &Style, cols: &Columns) -> String {
    let dim = || Paint::new().dim();
    let cells = [
        style.cell("status", dim(), STATUS_COLS),
        style.cell("sel", dim(), 3),
        style.cell("code", dim(), cols.code),
        style.cell("name", dim(), cols.name),
    ];
    layout::table_line(&cells, vec![style.atom("details", dim(), "")], style.width)
}

fn status_paint(status: Status) -> Paint {
    match status {
        Status::New => Paint::new().green(),
        Status::Changed => Paint::new().yellow(),
        Status::Unchanged => Paint::new().dim(),
        Status::Invalid => Paint::new().red().bold(),
    }
}

fn row_line(row: &Row, words: Wording, style: &Style, cols: &Columns) -> String {
    let mark = match (row.status.is_actionable(), row.selected) {
        (true, true) => "[x]",
        (true, false) => "[ ]",
        (false, _) => "",
    };
    let cells = [
        style.cell(row.status.as_str(), status_paint(row.status), STATUS_COLS),
        style.cell(mark, Paint::new(), 3),
        style.cell(&code_text(row.code.as_deref()), Paint::new(), cols.code),
        style.cell(&row.name, Paint::new(), cols.name),
    ];
    layout::table_line(&cells, details(row, words, style), style.width)
}

/// What happens to the employee: its problems, its changes, the office and type a new one
/// gets, and a rule's say on its selection.
fn details(row: &Row, words: Wording, style: &Style) -> Vec<Atom> {
    let mut atoms = Vec::new();
    for problem in &row.problems {
        let problem = problem.said(words);
        atoms.extend(style.words(&problem, Paint::new().red(), ITEM_JOINER));
    }
    atoms.extend(row.changes.iter().map(|c| change(c, style)));
    if row.status == Status::New {
        let assigned = [
            ("office", &row.office, FROM_DEFAULT_OFFICE),
            ("employment_type", &row.employment_type, FROM_DEFAULT_TYPE),
        ];
        for (label, a, flag) in assigned {
            if let Some(a) = a {
                atoms.push(assignment(label, a, flag, style));
            }
        }
    }
    if let Some(by) = row
        .selected_by
        .as_deref()
        .filter(|b| *b != DEFAULT_SELECTION)
    {
        let verdict = if row.selected {
            "selected by"
        } else {
            "not selected by"
        };
        atoms.push(style.atom(&format!("{verdict} {by}"), Paint::new().dim(), ITEM_JOINER));
    }
    atoms
}

/// `field: old → new`, old in red struck through and new in green, as the closed feature
/// shows a difference; a clear ends in a bold, inverse `✗ clear` instead of a new value. When
/// the two would read the same (they differ only in white space, width or invisible
/// characters), whatever differs is escaped: `山田\u{3000}太郎 → 山田 太郎`.
pub(crate) fn change(c: &Change, style: &Style) -> Atom {
    let old = c.old.as_deref().unwrap_or(EMPTY);
    let (new, new_paint) = if c.is_clear() {
        (CLEAR_MARK, Paint::new().red().bold().reverse())
    } else {
        (c.new.as_deref().unwrap_or(EMPTY), Paint::new().green())
    };
    let (old, new) = if look_alike(old, new) {
        (exact_width(old), exact_width(new))
    } else {
        (safe(old), safe(new))
    };
    let (old, new) = (old.as_ref(), new.as_ref());
    let field = format!("{}: ", c.field);
    let arrow = " → ";
    Atom {
        painted: format!(
            "{field}{}{arrow}{}",
            style.paint(old, Paint::new().red().strikethrough()),
            style.paint(new, new_paint)
        ),
        width: layout::width(&field)
            + layout::width(old)
            + layout::width(arrow)
            + layout::width(new),
        joiner: ITEM_JOINER,
    }
}

/// A row as the interactive tick list offers it: status, code and name, made safe as in
/// the table.
pub fn pick_label(row: &Row) -> String {
    format!(
        "{:<8} {} {}",
        row.status.as_str(),
        code_text(row.code.as_deref()),
        safe(&row.name)
    )
}

/// `office: 本社`, with its origin unless it is the command-line default.
fn assignment(label: &str, a: &Assigned, flag: &str, style: &Style) -> Atom {
    let origin = if a.from == flag {
        String::new()
    } else {
        format!(" ({})", a.from)
    };
    let head = format!("{label}: {}", safe(&a.item.name));
    Atom {
        painted: format!("{head}{}", style.paint(&origin, Paint::new().dim())),
        width: layout::width(&head) + layout::width(&origin),
        joiner: ITEM_JOINER,
    }
}

fn excluded_line(e: &Excluded, style: &Style, cols: &Columns) -> String {
    let cells = [
        style.cell(EXCLUDED_LABEL, Paint::new().dim(), STATUS_COLS),
        style.cell("", Paint::new(), 3),
        style.cell(&code_text(e.code.as_deref()), Paint::new(), cols.code),
        style.cell(&e.name, Paint::new(), cols.name),
    ];
    let mut atoms = style.words(&e.reason, Paint::new(), ITEM_JOINER);
    atoms.extend(style.words(&format!("({})", e.from), Paint::new().dim(), " "));
    layout::table_line(&cells, atoms, style.width)
}

/// Each distinct rule error once, with how many employees it made invalid: when one broken
/// rule fails for everybody, this says so in a line instead of leaving it to be read off every
/// row. `next` is the closing line: what to do about it where this is shown.
pub fn rule_errors(plan: &Plan, style: &Style, next: &str) -> Vec<String> {
    let mut lines = rule_warnings(plan, style);
    if plan.rule_errors.is_empty() {
        return lines;
    }
    lines.extend(failed_rules(plan, style, next));
    lines
}

/// What rules did that is allowed but almost always a mistake, such as clearing a field for
/// most employees.
fn rule_warnings(plan: &Plan, style: &Style) -> Vec<String> {
    if plan.rule_warnings.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        String::new(),
        style.paint("Rules to check:", Paint::new().bold()),
    ];
    lines.extend(
        plan.rule_warnings
            .iter()
            .map(|w| format!("  {} × {}", w.employees, w.error)),
    );
    lines
}

fn failed_rules(plan: &Plan, style: &Style, next: &str) -> Vec<String> {
    let employees: usize = plan.rule_errors.iter().map(|e| e.employees).sum();
    let mut lines = vec![
        String::new(),
        style.paint(
            &format!(
                "Rules failed for {employees} employee{}, whose rows are invalid:",
                if employees == 1 { "" } else { "s" }
            ),
            Paint::new().bold(),
        ),
    ];
    lines.extend(
        plan.rule_errors
            .iter()
            .map(|e| format!("  {} × {}", e.employees, safe(&e.error))),
    );
    lines.push(next.to_string());
    lines
}

/// Each field that looks unreadable in the source, once, with the likely cause.
fn unreadable(plan: &Plan, style: &Style) -> Vec<String> {
    plan.unreadable
        .iter()
        .flat_map(|u| {
            [
                String::new(),
                style.paint(
                    &format!("warning: {} looks unreadable, not emptied", u.field),
                    Paint::new().yellow().bold(),
                ),
                format!("  {}", u.hint),
            ]
        })
        .collect()
}

/// `3 new, 5 changed, 90 unchanged, 2 invalid`, how many fields would be cleared, and how
/// many rules left out.
fn summary_line(plan: &Plan) -> String {
    let s = plan.summary;
    let mut line = format!(
        "{} new, {} changed, {} unchanged, {} invalid",
        s.new, s.changed, s.unchanged, s.invalid
    );
    if s.clears > 0 {
        line.push_str(&format!(
            ", {} field{} cleared",
            s.clears,
            if s.clears == 1 { "" } else { "s" }
        ));
    }
    if !plan.excluded.is_empty() {
        line.push_str(&format!(", {} excluded", plan.excluded.len()));
    }
    line
}

/// One line per row for `apply`'s tick list: status, code and name in aligned columns, then
/// what would change (as in the table, without colour), cut to `cols` terminal columns so
/// that no item wraps: a wrapped item breaks the list's redrawing.
pub fn tick_labels(plan: &Plan, rows: &[usize], cols: usize) -> Vec<String> {
    let style = Style::plain(usize::MAX);
    let picked = || rows.iter().map(|&i| &plan.rows[i]);
    let code_cols = column(
        picked().map(|r| layout::width(&code_text(r.code.as_deref()))),
        4,
        CODE_MAX,
    );
    let name_cols = column(picked().map(|r| layout::width(&safe(&r.name))), 4, NAME_MAX);
    picked()
        .map(|row| {
            let cells = [
                style.cell(row.status.as_str(), Paint::new(), "changed".len()),
                style.cell(&code_text(row.code.as_deref()), Paint::new(), code_cols),
                style.cell(&row.name, Paint::new(), name_cols),
            ];
            let line = layout::table_line(&cells, details(row, plan.words, &style), usize::MAX);
            layout::truncate(&line, cols)
        })
        .collect()
}
