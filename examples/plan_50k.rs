//! Benchmark (issue 3): plan 50,000 employees on each side against the simulators with rate
//! limits off, reporting wall time and peak memory. Run it in release:
//!
//! ```sh
//! cargo run --release --example plan_50k            # default 50000 per side
//! cargo run --release --example plan_50k -- 20000   # another size
//! BREAKDOWN=1 cargo run --release --example plan_50k # also time each client's list alone
//! ```
//!
//! Targets on a 2-core machine: ≤ 3 s and ≤ 300 MB for the plan. The simulators run in the
//! same process, so the memory they hold is measured first and reported separately; their
//! CPU is shared with the client, and the memory they use while answering counts as "above".
//!
//! Measured (2 cores, load average 1.1–3, other builds running), per direction:
//!
//! | | before | after |
//! |---|---|---|
//! | kot-to-smarthr | 3.9–6.4 s, ≈920 MiB above | 1.9–2.8 s, ≈360 MiB above (fetch alone ≈250) |
//! | smarthr-to-kot | 3.9–5.5 s, ≈940 MiB above | 2.1–2.4 s, ≈380 MiB above (fetch alone ≈340) |
//!
//! SmartHR `list_crews` went from ≈3.2 s / +520 MiB to ≈1.6 s / +122 MiB, KOT
//! `list_employees` from ≈1.0 s / +300 MiB to ≈0.5–0.9 s / +≈70 MiB. The second direction's
//! peak includes heap the first one freed but the allocator kept. `plan::build` adds ≈0.25 s
//! and ≈110 MiB on top of the fetched rosters, which is what still keeps the plan above the
//! 300 MB target.

use crewsync::http::{Limits, Secret};
use crewsync::model::Direction;
use crewsync::plan::NoRules;
use crewsync::sim::{self, Company, SimConfig};
use crewsync::sync::{self, Connections, Silent};
use crewsync::{kot, smarthr};
use std::time::Instant;

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
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(50_000);
    let as_of = sim::SAMPLE_AS_OF;
    let clock = chrono::FixedOffset::east_opt(9 * 3600).and_then(|jst| {
        as_of
            .and_hms_opt(12, 0, 0)?
            .and_local_timezone(jst)
            .single()
    });
    let sims = sim::start(SimConfig {
        company: Company::generated(n),
        kot_clock: clock,
        rate_limits: false,
    })
    .await?;
    let (_, sim_rss) = memory_mib();
    println!("{n} employees per side; simulators hold {sim_rss:.0} MiB");

    let conn = Connections {
        smarthr: smarthr::Client::new(
            &sims.smarthr.base_url(),
            Secret::new(sim::SMARTHR_TOKEN),
            Limits::unlimited(),
        )?,
        kot: kot::Client::new(
            &sims.kot.base_url(),
            Secret::new(sim::KOT_TOKEN),
            Limits::unlimited(),
        )?,
    };
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
    for direction in Direction::ALL {
        // Each direction is its own run in practice: restart the peak (VmHWM) so that the
        // first direction's high-water mark is not reported again for the second.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let start = Instant::now();
        let rosters = sync::fetch(&conn, direction, as_of, &Silent).await?;
        let fetched = start.elapsed();
        let (fetch_peak, _) = memory_mib();
        let defaults = sync::resolve_defaults(direction, &rosters.masters, None, None)?;
        let plan = sync::plan(&rosters, &defaults, &NoRules);
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
