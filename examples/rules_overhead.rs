//! Benchmark (issue 16): what the example rules add to a real plan. With the simulators' default
//! (realistic) rate limits and clients pacing themselves as against the real services, plans
//! N employees per side (default 10,000) without rules and with the shipped `rules/` folder,
//! alternating, and reports each run and the ratio of the totals. Each run is what
//! `crewsync plan` does apart from printing: load the rules (when used), fetch both sides, plan.
//!
//! ```sh
//! cargo run --release --example rules_overhead                    # 10000 per side, smarthr-to-kot, 2 rounds
//! cargo run --release --example rules_overhead -- 200 kot-to-smarthr 1   # N, direction, rounds
//! ```
//!
//! Target: with the rules ≤ 1.05 × without. The README's Benchmarks table records what it
//! measured.

use crewsync::apply::Silent;
use crewsync::error::Wording;
use crewsync::model::Direction;
use crewsync::plan::{NoRules, Plan, Policy};
use crewsync::rules::Rules;
use crewsync::sim;
use crewsync::workflow::{self, Connections};
use std::path::Path;
use std::time::{Duration, Instant};

mod support;

/// One `crewsync plan`, timed from the start to the finished plan.
async fn timed_plan(
    conn: &Connections,
    direction: Direction,
    rules: Option<&Path>,
) -> Result<(Duration, Plan), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let rules = rules.map(Rules::load).transpose()?;
    let policy: &dyn Policy = rules.as_ref().map_or(&NoRules, |r| r as &dyn Policy);
    let rosters = workflow::fetch(conn, direction, sim::SAMPLE_AS_OF, &Silent).await?;
    // The defaults a run without rules needs for new employees; the rules decide most of them.
    let employment_type = direction.target_needs_employment_type().then_some("正社員");
    let defaults =
        workflow::resolve_defaults(direction, &rosters.masters, Some("本社"), employment_type)?;
    let plan = workflow::plan(rosters, &defaults, policy, Wording::OWN);
    Ok((start.elapsed(), plan))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = support::arg(1)?.unwrap_or(10_000);
    let direction: Direction = support::arg(2)?.unwrap_or(Direction::SmartHrToKot);
    let rounds: usize = support::arg(3)?.unwrap_or(2);
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let (_sims, conn) = support::start(n, true).await?;
    println!("{n} employees per side, {direction}, realistic rate limits, {rounds} round(s)");

    let (mut without, mut with) = (Duration::ZERO, Duration::ZERO);
    for round in 1..=rounds {
        for (name, folder, total) in [
            ("without rules", None, &mut without),
            ("with rules/", Some(rules.as_path()), &mut with),
        ] {
            let (took, plan) = timed_plan(&conn, direction, folder).await?;
            *total += took;
            println!(
                "round {round}, {name}: {:.2}s; {:?}, {} excluded",
                took.as_secs_f64(),
                plan.summary,
                plan.excluded.len()
            );
        }
    }
    println!(
        "with / without: {:.3} (target ≤ 1.05)",
        with.as_secs_f64() / without.as_secs_f64()
    );
    Ok(())
}
