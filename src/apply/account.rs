//! Every employee of a plan that an apply does not write, with the reason: an unattended run
//! is only as trustworthy as the list of what it left for a person.

use super::{Counts, LeftKind, LeftOut, Selection};
use crate::plan::{Plan, Status};
use std::collections::HashSet;

/// How the rows to write were chosen, to say why a row was not.
#[derive(Debug, Clone, Copy)]
pub enum Chosen<'a> {
    /// `--select`.
    Selection(&'a Selection),
    /// Ticked at the terminal's tick list.
    Ticked,
}

/// The employees of `plan` outside `chosen` (indexes into its rows), invalid and excluded
/// first, and the counts of the left-out and unchanged ones (the written ones are counted as
/// their results come in).
pub fn account(plan: &Plan, chosen: &[usize], how: Chosen<'_>) -> (Vec<LeftOut>, Counts) {
    let chosen: HashSet<usize> = chosen.iter().copied().collect();
    let mut left = Vec::new();
    let mut counts = Counts::default();
    for (i, row) in plan.rows.iter().enumerate() {
        let kind = match row.status {
            Status::Unchanged => {
                counts.unchanged += 1;
                continue;
            }
            Status::Invalid => LeftKind::Invalid,
            Status::New | Status::Changed if chosen.contains(&i) => continue,
            Status::New | Status::Changed => LeftKind::NotSelected,
        };
        let reason = match kind {
            LeftKind::Invalid if row.problems.is_empty() => "the plan cannot write it".into(),
            LeftKind::Invalid => crate::plan::problems_text(&row.problems, plan.words),
            _ => not_selected_reason(row, how),
        };
        left.push(LeftOut {
            kind,
            code: row.code.clone(),
            name: row.name.clone(),
            reason,
        });
    }
    left.extend(plan.excluded.iter().map(|e| LeftOut {
        kind: LeftKind::Excluded,
        code: e.code.clone(),
        name: e.name.clone(),
        reason: format!("{} ({})", e.reason, e.from),
    }));
    left.sort_by_key(|l| match l.kind {
        LeftKind::Invalid => 0,
        LeftKind::NotSelected => 1,
        LeftKind::Excluded => 2,
    });
    for l in &left {
        counts.count_left(l.kind);
    }
    (left, counts)
}

fn not_selected_reason(row: &crate::plan::Row, how: Chosen<'_>) -> String {
    let status = row.status.as_str();
    match how {
        Chosen::Selection(Selection::Auto) => match &row.selected_by {
            Some(by) => format!("{status}; not selected by {by} (automatic selection)"),
            None => format!("{status}; not selected by the rules (automatic selection)"),
        },
        Chosen::Selection(Selection::Codes(_)) => {
            format!("{status}; not among the employee codes selected")
        }
        // `all` takes every new and changed row; one left out was held back for a reason
        // recorded with the run.
        Chosen::Selection(Selection::All) => format!("{status}; not selected"),
        Chosen::Ticked => format!("{status}; not ticked"),
    }
}
