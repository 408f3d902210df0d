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
//! Targets on a 2-core machine: ≤ 3 s and ≤ 300 MB for the plan. The simulators run in a
//! second process (this example started again with [`SIMULATORS_ONLY`] set), so the peak
//! reported is crewsync's alone: the rosters the simulators hold and the answers they render
//! are theirs, as a real service's are. Their CPU is still shared with the client on the same
//! machine. The README's Benchmarks table records what it measured.

use crewsync::apply::Silent;
use crewsync::error::Wording;
use crewsync::model::Direction;
use crewsync::plan::{NoRules, Policy};
use crewsync::rules::Rules;
use crewsync::sim;
use crewsync::workflow::{self, Connections};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

// Shared by the examples; this one starts the simulators in a process of their own, not with
// `support::start`.
#[allow(dead_code)]
mod support;

/// Set in the second process, which only serves the simulators: it prints their base URLs on
/// one line and serves until its standard input closes (when the measuring process ends).
const SIMULATORS_ONLY: &str = "CREWSYNC_PLAN_50K_SIMULATORS";

/// Peak and current resident memory in MiB of a process (`self` or a pid), from /proc (Linux).
fn memory_mib(process: &str) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap_or_default();
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

/// Serves the simulators of `n` employees per side until standard input closes.
async fn serve_simulators(n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let sims = support::simulators(n, false).await?;
    println!("{} {}", sims.smarthr.base_url(), sims.kot.base_url());
    std::io::stdout().flush()?;
    tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
        .await??;
    Ok(())
}

/// Starts the simulators in a second process; its handle (ended when dropped: its standard
/// input closes) and clients for them.
fn simulators_apart(n: usize) -> Result<(Child, Connections), Box<dyn std::error::Error>> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg(n.to_string())
        .env(SIMULATORS_ONLY, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout from the simulators")?;
    BufReader::new(stdout).read_line(&mut line)?;
    let urls: Vec<&str> = line.split_whitespace().collect();
    let [smarthr, kot] = urls[..] else {
        return Err(format!("the simulators said {line:?}, not their two base URLs").into());
    };
    Ok((child, support::clients(smarthr, kot, false)?))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = support::arg(1)?.unwrap_or(50_000);
    if std::env::var_os(SIMULATORS_ONLY).is_some() {
        return serve_simulators(n).await;
    }
    let as_of = sim::SAMPLE_AS_OF;
    // With RULES, the whole command as a user runs it (fetch and plan) with the rules, to set
    // beside the same run without them.
    let rules = std::env::var_os("RULES")
        .map(|dir| Rules::load(std::path::Path::new(&dir)))
        .transpose()?;
    let policy: &dyn Policy = rules.as_ref().map_or(&NoRules, |r| r as &dyn Policy);
    let (mut sims, conn) = simulators_apart(n)?;
    let (_, sims_rss) = memory_mib(&sims.id().to_string());
    let (_, idle_rss) = memory_mib("self");
    println!(
        "{n} employees per side; the simulators hold {sims_rss:.0} MiB in their own process; this one {idle_rss:.0} MiB before fetching"
    );

    if std::env::var_os("BREAKDOWN").is_some() {
        // Each client's list alone, to see which one a regression is in.
        let report = |what: &str, start: Instant| {
            let (peak, rss) = memory_mib("self");
            println!(
                "{what}: {:.2}s; RSS ≈{rss:.0} MiB (peak ≈{peak:.0})",
                start.elapsed().as_secs_f64(),
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
        let (fetch_peak, _) = memory_mib("self");
        let defaults = workflow::resolve_defaults(direction, &rosters.masters, None, None)?;
        let plan = workflow::plan(rosters, &defaults, policy, Wording::OWN);
        let total = start.elapsed();
        let (peak, _) = memory_mib("self");
        println!(
            "{direction}: fetch {:.2}s (peak {fetch_peak:.0} MiB), plan {:.3}s, total {:.2}s; {:?}; peak RSS {peak:.0} MiB ({:.0} MB)",
            fetched.as_secs_f64(),
            (total - fetched).as_secs_f64(),
            total.as_secs_f64(),
            plan.summary,
            peak * 1.048_576
        );
    }
    drop(sims.stdin.take());
    sims.wait()?;
    Ok(())
}
