//! Benchmark (issue 16): `crewsync watch`, from a save in the rules folder to the printed delta,
//! with N employees per side (default 10,000) and the example rules. The rosters are fetched
//! once from the simulators (not timed, as in `watch`); then each save toggles a line of a copy
//! of the example rules' `departments.yaml` (経理部 → 大阪支社, which moves that department's
//! new employees), and the time is taken when the delta has been printed. What happens between
//! is what `watch` does: the watcher's debounce, recompiling the rules, running their tests,
//! planning again and comparing with the previous plan.
//!
//! ```sh
//! cargo run --release --example watch_delta                  # 10000 per side, 5 saves
//! cargo run --release --example watch_delta -- 200 2         # N, saves
//! ```
//!
//! Target: ≤ 1 s for each save. The README's Benchmarks table records what it measured.

use crewsync::apply::Silent;
use crewsync::error::Wording;
use crewsync::model::Direction;
use crewsync::rules::{self, RulesHandle, WatchEvent};
use crewsync::sim;
use crewsync::workflow;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

/// The edit each save makes, and undoes on the next.
const EDIT: &str = "経理部: 大阪支社\n";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = support::arg(1)?.unwrap_or(10_000);
    let saves: usize = support::arg(2)?.unwrap_or(5);
    let direction = Direction::SmartHrToKot;
    let (_sims, conn) = support::start(n, false).await?;
    let rosters = workflow::fetch(&conn, direction, sim::SAMPLE_AS_OF, &Silent).await?;
    let defaults =
        workflow::resolve_defaults(direction, &rosters.masters, Some("本社"), Some("正社員"))?;

    let folder = tempfile::tempdir()?;
    let dir = folder.path().join("rules");
    rules::write_examples(&dir)?;
    let table = dir.join("departments.yaml");
    let original = std::fs::read_to_string(&table)?;
    let handle = Arc::new(RulesHandle::new(rules::Rules::load(&dir)?));
    let mut last = workflow::plan(
        rosters.clone(),
        &defaults,
        handle.current().as_ref(),
        Wording::OWN,
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let _watcher = rules::watch(&dir, handle, rules::Limits::default(), move |event| {
        let _ = tx.send(event);
    })?;
    println!("{n} employees per side, {direction}; watching a copy of the example rules");

    let mut slowest = Duration::ZERO;
    for save in 1..=saves {
        // Apart from the previous save by more than the debounce, as a person's saves are.
        std::thread::sleep(Duration::from_secs(1));
        let text = if save % 2 == 1 {
            format!("{original}{EDIT}")
        } else {
            original.clone()
        };
        let start = Instant::now();
        std::fs::write(&table, text)?;
        let event = rx.recv_timeout(Duration::from_secs(60))?;
        let WatchEvent::Reloaded { rules, .. } = &event else {
            return Err(format!("save {save}: {event}").into());
        };
        let plan = workflow::plan(rosters.clone(), &defaults, rules.as_ref(), Wording::OWN);
        let delta = rules::plan_delta(&last, &plan);
        println!("{event}\n{}", rules::render_delta(&delta, Wording::OWN));
        let took = start.elapsed();
        slowest = slowest.max(took);
        println!(
            "save {save}: {} delta lines; from the save to the printed delta {:.3}s",
            delta.len(),
            took.as_secs_f64()
        );
        last = plan;
    }
    println!("slowest: {:.3}s (target ≤ 1 s)", slowest.as_secs_f64());
    Ok(())
}
