//! Which rows of a saved plan are stale: their target changed between the plan and the apply,
//! so writing them would overwrite what somebody changed since, or create an employee twice.

use super::{NotWritten, StaleWhy};
use crate::model::Employee;
use crate::plan::{Plan, Status, TargetValues};
use crate::text::code_key;
use std::collections::{HashMap, HashSet};

/// A chosen row not written because its target changed since the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The row's index in the plan.
    pub row: usize,
    /// What changed: the row is not attempted with this reason ([`NotWritten::Stale`]).
    pub why: StaleWhy,
}

impl Stale {
    /// Why the row is not attempted.
    pub fn not_written(&self) -> NotWritten {
        NotWritten::Stale {
            why: self.why.clone(),
        }
    }
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
            let target = plan.direction.target();
            let why = match row.status {
                Status::New => row
                    .code
                    .as_deref()
                    .filter(|c| codes.contains(code_key(c).as_ref()))
                    .map(|c| StaleWhy::NowExists {
                        target,
                        code: c.to_string(),
                    }),
                _ => match row.target_id.as_deref().and_then(|id| by_id.get(id)) {
                    None => Some(StaleWhy::Gone { target }),
                    Some(now) => {
                        let now = TargetValues::of(now);
                        let seen = row.target_values.clone().unwrap_or_default();
                        let fields = seen.differing(&now);
                        (!fields.is_empty()).then_some(StaleWhy::Changed { fields, target })
                    }
                },
            }?;
            Some(Stale { row: i, why })
        })
        .collect()
}
