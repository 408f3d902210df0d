//! Every employee of a plan that an apply does not write, with the reason: an unattended run
//! is only as trustworthy as the list of what it left for a person.

use super::{Counts, LeftKind, LeftOut, LeftWhy, NotPicked, Selection};
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
        let why = match kind {
            LeftKind::Invalid => LeftWhy::Invalid {
                problems: row.problems.clone(),
            },
            _ => LeftWhy::NotSelected {
                status: row.status,
                how: not_picked(row, how),
            },
        };
        left.push(LeftOut::new(
            kind,
            row.code.clone(),
            row.name.clone(),
            why,
            plan.words,
        ));
    }
    left.extend(plan.excluded.iter().map(|e| {
        let why = LeftWhy::Excluded {
            reason: e.reason.clone(),
            from: e.from.clone(),
        };
        LeftOut::new(
            LeftKind::Excluded,
            e.code.clone(),
            e.name.clone(),
            why,
            plan.words,
        )
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

fn not_picked(row: &crate::plan::Row, how: Chosen<'_>) -> NotPicked {
    match how {
        Chosen::Selection(Selection::Auto) => NotPicked::Auto {
            rule: row.selected_by.clone(),
        },
        Chosen::Selection(Selection::Codes(_)) => NotPicked::Codes,
        // `all` takes every new and changed row; one left out was held back for a reason
        // recorded with the run.
        Chosen::Selection(Selection::All) => NotPicked::All,
        Chosen::Ticked => NotPicked::Ticked,
    }
}
