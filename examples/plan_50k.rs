//! Benchmark (issues 3 and 16): plan 50,000 employees on each side against the simulators with
//! rate limits off, reporting wall time and peak memory. Run it in release:
//!
//! ```sh
//! cargo run --release --example plan_50k            # default 50000 per side
//! cargo run --release --example plan_50k -- 20000   # another size
//! cargo run --release --example plan_50k -- 50000 smarthr-to-kot   # one direction, alone
//! BREAKDOWN=1 cargo run --release --example plan_50k # also time each client's list alone
//! RULES=rules cargo run --release --example plan_50k # the same plan with a rules folder
//! ```
//!
//! Targets on a 2-core machine: ≤ 3 s and ≤ 300 MB for the plan. The simulators run in the
//! same process, so the memory they hold is measured first and reported separately; their
//! CPU is shared with the client, and the memory they use while answering counts as "above".
//! The README's Benchmarks table records what it measured.

use crewsync::error::Wording;
use crewsync::apply::Silent;
use crewsync::model::Direction;
use crewsync::plan::{NoRules, Policy};
use crewsync::rules::Rules;
use crewsync::sim;
use crewsync::workflow;
use std::time::Instant;

mod support;

/// Peak and current resident memory in MiB, from /proc (Linux).
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = support::arg(1)?.unwrap_or(50_000);
    let as_of = sim::SAMPLE_AS_OF;
    // With RULES, the whole command as a user runs it (fetch and plan) with the rules, to set
    // beside the same run without them.
    let rules = std::env::var_os("RULES")
        .map(|dir| Rules::load(std::path::Path::new(&dir)))
        .transpose()?;
    let policy: &dyn Policy = rules.as_ref().map_or(&NoRules, |r| r as &dyn Policy);
    let (_sims, conn) = support::start(n, false).await?;
    let (_, sim_rss) = memory_mib();
    println!("{n} employees per side; simulators hold {sim_rss:.0} MiB");

    if std::env::var_os("BREAKDOWN").is_some() {
        // Each client's list alone, to see which one a regression is in.
        let report = |what: &str, start: Instant| {
            let (peak, rss) = memory_mib();
            println!(
                "{what}: {:.2}s; RSS ≈{:.0} MiB (peak ≈{:.0}) above the simulators",
                start.elapsed().as_secs_f64(),
                rss - sim_rss,
                peak - sim_rss
            );
        };
        let start = Instant::now();
        drop(conn.smarthr.list_crews(&|_, _| {}).await?);
        report("SmartHR list_crews", start);
        let start = Instant::now();
        drop(conn.kot.list_employees(as_of, true).await?);
        report("KOT list_employees", start);
    }
    // A direction as the second argument measures it alone, in a fresh process: the only
    // honest peak for the second direction, since the allocator keeps what the first freed.
    let only: Option<Direction> = support::arg(2)?;
    for direction in Direction::ALL
        .into_iter()
        .filter(|d| only.is_none_or(|o| o == *d))
    {
        // Each direction is its own run in practice: restart the peak (VmHWM) so that the
        // first direction's high-water mark is not reported again for the second.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let start = Instant::now();
        let rosters = workflow::fetch(&conn, direction, as_of, &Silent).await?;
        let fetched = start.elapsed();
        let (fetch_peak, _) = memory_mib();
        let defaults = workflow::resolve_defaults(direction, &rosters.masters, None, None)?;
        let plan = workflow::plan(rosters, &defaults, policy, Wording::OWN);
        let total = start.elapsed();
        let (peak, _) = memory_mib();
        println!(
            "{direction}: fetch {:.2}s (peak ≈{:.0} MiB above the simulators), plan {:.3}s, total {:.2}s; {:?}; peak RSS {peak:.0} MiB (≈{:.0} MiB above the simulators)",
            fetched.as_secs_f64(),
            fetch_peak - sim_rss,
            (total - fetched).as_secs_f64(),
            total.as_secs_f64(),
            plan.summary,
            peak - sim_rss
        );
    }
    Ok(())
}
