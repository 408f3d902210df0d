//! What the plan benchmarks share: timing `plan::build` alone, with fresh copies of the
//! rosters made (and the allocator settled) outside the timed part.

use crewsync::model::{Direction, Employee, Masters};
use crewsync::plan::{self, Defaults, Input, Policy};
use criterion::{BatchSize, Bencher};
use std::hint::black_box;

/// Employees per side: 100,000, or `EMPLOYEES` from the environment (a small number checks
/// that a benchmark works without measuring anything).
pub fn employees() -> usize {
    std::env::var("EMPLOYEES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// The same plan inputs for every iteration of one benchmark.
pub struct PlanInputs<'a> {
    pub direction: Direction,
    pub as_of: chrono::NaiveDate,
    pub source: &'a [Employee],
    pub target: &'a [Employee],
    pub masters: &'a Masters,
    pub defaults: &'a Defaults,
}

/// Times one `plan::build` per iteration. Cloning the rosters and freeing the previous plan
/// happen in the untimed setup, so the diff is not charged for them.
pub fn time_plan(b: &mut Bencher<'_>, inputs: &PlanInputs<'_>, policy: &dyn Policy) {
    b.iter_batched(
        || {
            let rosters = (inputs.source.to_vec(), inputs.target.to_vec());
            // A fresh allocation in setup keeps the previous iteration's frees from being
            // consolidated inside the timed part.
            drop(black_box(Vec::<u8>::with_capacity(1 << 16)));
            rosters
        },
        |(source, target)| {
            black_box(plan::build(Input {
                direction: inputs.direction,
                as_of: inputs.as_of,
                today: inputs.as_of,
                source,
                target,
                masters: inputs.masters,
                defaults: inputs.defaults,
                policy,
                words: crewsync::error::Wording::OWN,
            }))
        },
        BatchSize::PerIteration,
    )
}
