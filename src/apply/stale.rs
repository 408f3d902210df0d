//! Which rows of a saved plan are stale: their target changed between the plan and the apply,
//! so writing them would overwrite what somebody changed since, or create an employee twice.

use crate::model::{Employee, Field};
use crate::plan::{Plan, Status, TargetValues};
use crate::text::code_key;
use std::collections::{HashMap, HashSet};

/// A chosen row not written because its target changed since the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The row's index in the plan.
    pub row: usize,
    /// What changed, for the report: the row is not attempted with this reason.
    pub why: String,
}

/// The rows among `chosen` whose target no longer is what the plan saw, given the target's
/// roster read now (`target`, as a plan fetches it). A changed row is stale when its record is
/// gone or any value it was planned against differs; a new row when the target now has an
/// employee with its code.
pub fn stale(plan: &Plan, chosen: &[usize], target: &[Employee]) -> Vec<Stale> {
    let by_id: HashMap<&str, &Employee> = target
        .iter()
        .filter_map(|e| e.target_id.as_deref().map(|id| (id, e)))
        .collect();
    let codes: HashSet<String> = target
        .iter()
        .filter_map(|e| e.code.as_deref())
        .map(|c| code_key(c).into_owned())
        .collect();
    chosen
        .iter()
        .filter_map(|&i| {
            let row = &plan.rows[i];
            let why = match row.status {
                Status::New => row
                    .code
                    .as_deref()
                    .filter(|c| codes.contains(code_key(c).as_ref()))
                    .map(|c| {
                        format!(
                            "{} now has an employee with code {c}",
                            plan.direction.target().display_name()
                        )
                    }),
                _ => match row.target_id.as_deref().and_then(|id| by_id.get(id)) {
                    None => Some(format!(
                        "the record is no longer in {}",
                        plan.direction.target().display_name()
                    )),
                    Some(now) => {
                        let now = TargetValues::of(now);
                        let seen = row.target_values.clone().unwrap_or_default();
                        let changed: Vec<&str> =
                            seen.differing(&now).into_iter().map(Field::name).collect();
                        (!changed.is_empty()).then(|| {
                            format!(
                                "{} changed in {} since the plan",
                                changed.join(", "),
                                plan.direction.target().display_name()
                            )
                        })
                    }
                },
            }?;
            Some(Stale {
                row: i,
                why: format!(
                    "stale: {why}; not written\n  hint: make a new plan to pick up the change"
                ),
            })
        })
        .collect()
}
