//! The result of an apply, as a table for a person and as JSON for scripts.

use super::layout::{self, Atom};
use super::{ITEM_JOINER, Paint, Style, code_text, column};
use crate::apply::{Action, ApplyReport, ApplyResult, LeftKind, Outcome};
use crate::model::Field;
use crate::text::safe;
use serde_json::{Value, json};

fn action_str(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update",
    }
}

/// The apply's JSON: the shape `crewsync apply --format json` promises (issue 3): `results`
/// for the selected employees, `left_out` for every other one but the unchanged, `summary`
/// counting every employee of the plan, plus `stopped` when the run ended early. Each
/// `outcome` is an [`crate::apply::EmployeeOutcome`] code, as in the history and the summary.
pub fn apply_json(report: &ApplyReport) -> Value {
    let results: Vec<Value> = report
        .results
        .iter()
        .map(|r| {
            json!({
                "code": r.code,
                "action": action_str(r.action),
                "outcome": r.ended().code(),
                "error": r.error,
                "not_cleared": r.not_cleared.iter().map(|f| f.name()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let left_out: Vec<Value> = report
        .left_out
        .iter()
        .map(|l| {
            json!({
                "code": l.code,
                "name": l.name,
                "outcome": l.kind.code(),
                "reason": l.reason,
            })
        })
        .collect();
    let mut out = json!({
        "run_id": report.run_id,
        "results": results,
        "left_out": left_out,
        "summary": report.summary,
    });
    if let Some(why) = &report.stopped {
        out["stopped"] = json!(why);
    }
    out
}

/// "not attempted", the longest outcome word.
const OUTCOME_COLS: usize = 13;
const ACTION_COLS: usize = 6;
const NAME_MAX: usize = 20;
const CODE_MAX: usize = 16;

/// The apply's result as a person reads it: failures first with their errors, then what was
/// done and what was not attempted, then a summary line and why the run stopped, if it did.
pub fn apply_table(report: &ApplyReport, style: &Style) -> String {
    let code_cols = column(
        report
            .results
            .iter()
            .map(|r| layout::width(&code_text(Some(&r.code))))
            .chain(
                report
                    .left_out
                    .iter()
                    .map(|l| layout::width(&code_text(l.code.as_deref()))),
            ),
        4,
        CODE_MAX,
    );
    let name_cols = column(
        report
            .results
            .iter()
            .map(|r| layout::width(&safe(&r.name)))
            .chain(
                report
                    .left_out
                    .iter()
                    .map(|l| layout::width(&safe(&l.name))),
            ),
        4,
        NAME_MAX,
    );
    let rank = |r: &ApplyResult| match r.outcome {
        Outcome::Failed => 0,
        Outcome::NotAttempted => 1,
        Outcome::Ok => 2,
    };
    let mut results: Vec<&ApplyResult> = report.results.iter().collect();
    results.sort_by_key(|r| rank(r));
    // Failures and rows not attempted, then what was left for a person, then what was written.
    let (first, written): (Vec<&ApplyResult>, Vec<&ApplyResult>) =
        results.into_iter().partition(|r| r.outcome != Outcome::Ok);

    let mut out = vec![style.paint(&format!("run {}", report.run_id), Paint::new().bold())];
    out.push(String::new());
    let result_line = |r: &ApplyResult| {
        let outcome = match r.outcome {
            Outcome::Ok => Paint::new().green(),
            Outcome::Failed => Paint::new().red().bold(),
            Outcome::NotAttempted => Paint::new().yellow(),
        };
        let cells = [
            style.cell(r.ended().word(), outcome, OUTCOME_COLS),
            // A written row's outcome (created, updated) already says what was done; the
            // action is said for what failed or was not attempted.
            style.cell(
                if r.outcome == Outcome::Ok {
                    ""
                } else {
                    action_str(r.action)
                },
                Paint::new(),
                ACTION_COLS,
            ),
            style.cell(&code_text(Some(&r.code)), Paint::new(), code_cols),
            style.cell(&r.name, Paint::new(), name_cols),
        ];
        layout::table_line(&cells, detail(r, style), style.width)
    };
    out.extend(first.into_iter().map(result_line));
    for l in &report.left_out {
        let paint = match l.kind {
            LeftKind::Invalid => Paint::new().red(),
            LeftKind::NotSelected | LeftKind::Excluded => Paint::new().yellow(),
        };
        let cells = [
            style.cell(l.kind.as_str(), paint, OUTCOME_COLS),
            style.cell("", Paint::new(), ACTION_COLS),
            style.cell(&code_text(l.code.as_deref()), Paint::new(), code_cols),
            style.cell(&l.name, Paint::new(), name_cols),
        ];
        let why = style.words(&l.reason, Paint::new().dim(), ITEM_JOINER);
        out.push(layout::table_line(&cells, why, style.width));
    }
    out.extend(written.into_iter().map(result_line));
    if !report.results.is_empty() || !report.left_out.is_empty() {
        out.push(String::new());
    }
    out.push(report.summary.text());
    if let Some(why) = &report.stopped {
        // Line by line: the reason's own hint lines stay lines, while any record text it
        // quotes is still made safe.
        let why = format!("stopped: {why}");
        out.extend(why.lines().map(|l| style.paint(l, Paint::new().yellow())));
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// The error of a failure; the fields written by an update, and the clears held back.
fn detail(r: &ApplyResult, style: &Style) -> Vec<Atom> {
    let mut atoms = match (&r.error, r.action, r.outcome) {
        (Some(e), _, _) => style.words(e, Paint::new().red(), ITEM_JOINER),
        (None, Action::Update, Outcome::Ok) => {
            let fields: Vec<&str> = r.fields.iter().map(|f: &Field| f.name()).collect();
            style.words(&fields.join(", "), Paint::new().dim(), ITEM_JOINER)
        }
        _ => Vec::new(),
    };
    if !r.not_cleared.is_empty() && r.outcome == Outcome::Ok {
        atoms.extend(style.words(
            &crate::apply::not_cleared_text(&r.not_cleared),
            Paint::new().yellow(),
            ITEM_JOINER,
        ));
    }
    atoms
}
